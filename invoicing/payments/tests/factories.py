"""Factories for payments tests: postpaid accounts with issued invoices of exact totals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from accounts.models import BillingAccount, LedgerAccount, Tenant
from accounts.services.ledger import MAIN_POCKET
from invoicing.models import Invoice
from invoicing.services import OneOffItem, invoice_one_off_create
from invoicing.tests.factories import make_postpaid


def account_with_invoices(
    tenant: Tenant, *totals: str, start: date | None = None
) -> tuple[BillingAccount, list[Invoice]]:
    """A postpaid account with one issued invoice per total (no tax), a day apart, oldest first, the
    last one issued today unless `start` says otherwise (so none is overdue yet)."""
    account = make_postpaid(tenant)
    start = start or date.today() - timedelta(days=len(totals) - 1)
    invoices = [
        invoice_one_off_create(
            account=account,
            items=[OneOffItem(description=f"Service {n}", unit_price=Decimal(total))],
            charge_date=date.fromordinal(start.toordinal() + n),
        )
        for n, total in enumerate(totals)
    ]
    return account, invoices


def credit_of(account: BillingAccount) -> Decimal:
    """The customer's credit: the main money pocket's balance."""
    return LedgerAccount.objects.get(billing_account=account, kind="pocket", code=MAIN_POCKET).balance


def receivable_of(account: BillingAccount) -> Decimal:
    return LedgerAccount.objects.get(billing_account=account, kind="receivable").balance


def fresh(invoice: Invoice) -> Invoice:
    invoice.refresh_from_db()
    return invoice
