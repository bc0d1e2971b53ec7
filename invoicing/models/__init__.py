"""Models of the invoicing app, one module per concern."""

from .charges import BilledCharge, BilledChargeKind, OneOffCharge
from .credit_notes import CreditNote, CreditNoteLine
from .discounts import AccountDiscount
from .invoices import (
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTaxSummary,
    LineKind,
    RevenueKind,
)
from .settings import NumberSeries, TaxRate, TenantBillingSettings

__all__ = [
    "AccountDiscount",
    "BilledCharge",
    "BilledChargeKind",
    "CreditNote",
    "CreditNoteLine",
    "Invoice",
    "InvoiceEvent",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceStatus",
    "InvoiceTaxSummary",
    "LineKind",
    "NumberSeries",
    "OneOffCharge",
    "RevenueKind",
    "TaxRate",
    "TenantBillingSettings",
]
