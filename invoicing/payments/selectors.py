"""Read queries of payments, shared by admin, API, dunning and services.

- `reconciliation_report`: per day and gateway (and currency), what was received, how much of it is
  allocated to invoices, left as customer credit, refunded or charged back, and what arrived on bank
  statements but is not matched yet (the review queue).
- `failed_payments` / `accounts_with_failed_payments`: the input dunning reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from accounts.models import BillingAccount
from accounts.tenancy import scope_queryset
from invoicing.models import Invoice, InvoiceKind
from invoicing.services.lifecycle import OPEN_STATUSES

from .models import RECEIVED_STATUSES, REVIEW_STATUSES, BankStatementLine, Direction, Gateway, Payment, PaymentStatus

ZERO = Decimal("0")


@dataclass
class ReconciliationRow:
    day: date
    gateway: str
    currency: str
    payments: int = 0
    received: Decimal = ZERO
    allocated: Decimal = ZERO
    credit: Decimal = ZERO
    refunded: Decimal = ZERO
    unmatched_lines: int = 0
    unmatched: Decimal = ZERO
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gateway_label(self) -> str:
        return Gateway(self.gateway).label

    @property
    def balanced(self) -> bool:
        """Received money is fully accounted for: allocated + credit + refunded = received."""
        return self.allocated + self.credit + self.refunded == self.received


def reconciliation_report(*, user: Any, date_from: date, date_to: date) -> list[ReconciliationRow]:
    """Rows per (day, gateway, currency) between the dates (inclusive), for what `user` may see.
    Days are UTC calendar days of `received_at` (payments) and booking dates (statement lines)."""
    rows: dict[tuple[date, str, str], ReconciliationRow] = {}

    def row(day: date, gateway: str, currency: str) -> ReconciliationRow:
        key = (day, gateway, currency)
        if key not in rows:
            rows[key] = ReconciliationRow(day=day, gateway=gateway, currency=currency)
        return rows[key]

    payments = scope_queryset(Payment.objects.all(), user).filter(
        status__in=RECEIVED_STATUSES, received_at__date__gte=date_from, received_at__date__lte=date_to
    )
    grouped = (
        payments.annotate(day=TruncDate("received_at"))
        .values("day", "gateway", "currency__code")
        .annotate(
            n=Count("pk"),
            received=Sum("settled_amount"),
            allocated=Sum("amount_allocated"),
            refunded=Sum("amount_refunded"),
            charged_back=Sum("amount_charged_back"),
        )
    )
    for group in grouped:
        target = row(group["day"], group["gateway"], group["currency__code"])
        target.payments = group["n"]
        target.received = group["received"]
        target.allocated = group["allocated"]
        target.refunded = group["refunded"] + group["charged_back"]
        target.credit = target.received - target.allocated - target.refunded
    lines = scope_queryset(BankStatementLine.objects.all(), user).filter(
        match_status__in=REVIEW_STATUSES,
        direction=Direction.CREDIT,
        booking_date__gte=date_from,
        booking_date__lte=date_to,
    )
    for group in lines.values("booking_date", "currency_code").annotate(n=Count("pk"), total=Sum("amount")):
        target = row(group["booking_date"], Gateway.BANK_TRANSFER, group["currency_code"])
        target.unmatched_lines, target.unmatched = group["n"], group["total"]
    return [rows[key] for key in sorted(rows)]


def reconciliation_totals(rows: list[ReconciliationRow]) -> dict[str, dict[str, Decimal]]:
    """Totals per currency of a report (amounts of different currencies are never added up)."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in rows:
        for name in ("received", "allocated", "credit", "refunded", "unmatched"):
            totals[r.currency][name] += getattr(r, name)
    return {currency: dict(values) for currency, values in totals.items()}


def failed_payments(*, since: datetime | None = None) -> QuerySet[Payment]:
    """Failed payments (declined cards, failed auto-pay, checkout expired), newest first."""
    found = Payment.objects.filter(status=PaymentStatus.FAILED).select_related("account", "invoice")
    if since is not None:
        found = found.filter(updated_at__gte=since)
    return found.order_by("-updated_at")


def accounts_with_failed_payments(*, since: datetime | None = None) -> QuerySet[BillingAccount]:
    """Accounts with a failed payment (updated since `since`): the input dunning reads."""
    ids = failed_payments(since=since).values("account_id")
    return BillingAccount.objects.filter(pk__in=ids)


def allocation_candidates(*, payment: Payment) -> list[Invoice]:
    """The invoices a payment could be allocated to: the account's open invoices and those it pays now."""
    allocated = payment.allocations.values("invoice_id")
    return list(
        Invoice.objects.filter(account_id=payment.account_id, kind=InvoiceKind.INVOICE)
        .filter(Q(status__in=OPEN_STATUSES) | Q(pk__in=allocated))
        .order_by("pk")
    )


def payments_for_account(*, account: BillingAccount) -> QuerySet[Payment]:
    return Payment.objects.filter(account=account).select_related("currency", "unit", "invoice").order_by("-id")
