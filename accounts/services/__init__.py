"""Every write the accounts domain does, one function per use case (see docs/architecture.md)."""

from .audit import audit_record
from .customers import account_open, customer_create
from .ledger import (
    Leg,
    ledger_post,
    ledger_system_account,
    ledger_transaction_reverse,
    pocket_transfer,
    pockets_expire,
    wallet_credit,
    wallet_debit,
    wallet_open,
    wallets_consume,
)
from .staff import TENANT_ADMIN_GROUP, tenant_admin_group_sync

__all__ = [
    "TENANT_ADMIN_GROUP",
    "Leg",
    "account_open",
    "audit_record",
    "customer_create",
    "ledger_post",
    "ledger_system_account",
    "ledger_transaction_reverse",
    "pocket_transfer",
    "pockets_expire",
    "tenant_admin_group_sync",
    "wallet_credit",
    "wallet_debit",
    "wallet_open",
    "wallets_consume",
]
