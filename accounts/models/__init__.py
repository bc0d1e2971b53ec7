"""Models of the accounts app, one module per concern."""

from .audit import AuditEvent, IdempotencyRecord
from .customers import BillingAccount, BillingCycle, Customer, PaymentMode
from .ledger import ExchangeRate, LedgerAccount, LedgerAccountKind, LedgerEntry, LedgerTransaction, Wallet
from .tenancy import Tenant, User
from .units import Unit, UnitKind

__all__ = [
    "AuditEvent",
    "BillingAccount",
    "BillingCycle",
    "Customer",
    "ExchangeRate",
    "IdempotencyRecord",
    "LedgerAccount",
    "LedgerAccountKind",
    "LedgerEntry",
    "LedgerTransaction",
    "PaymentMode",
    "Tenant",
    "Unit",
    "UnitKind",
    "User",
    "Wallet",
]
