"""Which open invoice a bank line pays.

1. Invoice numbers in the reference ("INV-000123", "INV 123", "inv000123"): the open invoices of the
   tenant's tree in the line's currency with such a series and number. One -> matched (an amount above
   its open amount leaves credit, below it pays part); several -> ambiguous.
2. No invoice named: open invoices in the line's currency whose open amount is exactly the line's
   amount. One -> matched; several -> ambiguous; none -> unknown.
Money out (debit lines) is never matched: it is not a customer paying.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet

from accounts.models import Tenant
from invoicing.models import Invoice, InvoiceKind
from invoicing.payments.models import Direction, MatchStatus
from invoicing.services.lifecycle import OPEN_STATUSES

from .parsers import ParsedLine

INVOICE_NUMBER = re.compile(r"\b([A-Za-z]{1,16})[-\s/#]?0*(\d{1,12})\b")
MAX_NUMBERS = 20


@dataclass(frozen=True)
class Match:
    status: str
    invoice: Invoice | None = None
    candidates: list[int] = field(default_factory=list)


def open_invoices(tenant: Tenant, currency: str) -> QuerySet[Invoice]:
    open_amount = ExpressionWrapper(
        F("total") - F("amount_paid") - F("amount_credited") - F("amount_written_off"),
        output_field=DecimalField(max_digits=26, decimal_places=8),
    )
    return (
        Invoice.objects.filter(tenant__path__startswith=tenant.path, kind=InvoiceKind.INVOICE)
        .filter(status__in=OPEN_STATUSES, currency__code=currency)
        .annotate(open=open_amount)
        .select_related("account")
        .order_by("pk")
    )


def numbers_in(reference: str) -> list[tuple[str, int]]:
    return [(series.upper(), int(number)) for series, number in INVOICE_NUMBER.findall(reference)[:MAX_NUMBERS]]


def statement_line_match(tenant: Tenant, line: ParsedLine) -> Match:
    if line.direction != Direction.CREDIT:
        return Match(MatchStatus.IGNORED)
    candidates = open_invoices(tenant, line.currency)
    named = numbers_in(line.reference)
    if named:
        by_number = Q()
        for series, number in named:
            by_number |= Q(series__iexact=series, number=number)
        found = list(candidates.filter(by_number))
        if found:
            return _decide(found)
    return _decide(list(candidates.filter(open=line.amount)))


def _decide(found: list[Invoice]) -> Match:
    if len(found) == 1:
        return Match(MatchStatus.MATCHED, found[0], [found[0].pk])
    if found:
        return Match(MatchStatus.AMBIGUOUS, None, [invoice.pk for invoice in found])
    return Match(MatchStatus.UNKNOWN)
