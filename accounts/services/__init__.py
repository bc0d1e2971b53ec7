"""Every write the accounts domain does, one function per use case (see docs/architecture.md)."""

from .audit import apply_changes, audit_record
from .customers import (
    account_open,
    account_reactivate,
    account_skip_dunning_set,
    account_status_set,
    account_suspend,
    account_update,
    customer_create,
    customer_delete,
    customer_update,
)
from .ledger import (
    Leg,
    account_receivable,
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
    "account_reactivate",
    "account_receivable",
    "account_skip_dunning_set",
    "account_status_set",
    "account_suspend",
    "account_update",
    "apply_changes",
    "audit_record",
    "customer_create",
    "customer_delete",
    "customer_update",
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
