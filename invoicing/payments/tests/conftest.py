"""Payments tests: every scenario ends with a ledger that agrees with invoices and payments.

On top of the invoicing invariants (trial balance, receivable = -open amounts), each payment's
settled amount = allocated + unallocated credit + refunded + charged back, its allocations equal the
sum of its allocation rows, and an invoice's amount paid equals the net allocations on it.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum

from invoicing.models import Invoice
from invoicing.payments.models import Payment, PaymentAllocation
from invoicing.tests.conftest import assert_ledger_agrees

from .fake_stripe import fake_stripe  # noqa: F401  (fixture)


def assert_payments_agree() -> None:
    per_payment: dict[int, Decimal] = defaultdict(Decimal)
    per_invoice: dict[int, Decimal] = defaultdict(Decimal)
    for row in PaymentAllocation.objects.values("payment_id", "invoice_id").annotate(total=Sum("amount")):
        per_payment[row["payment_id"]] += row["total"]
        per_invoice[row["invoice_id"]] += row["total"]
    for payment in Payment.objects.all():
        assert payment.amount_allocated == per_payment.get(payment.pk, Decimal("0")), payment
        assert payment.unallocated >= 0, payment
    for invoice in Invoice.objects.filter(pk__in=per_invoice):
        assert invoice.amount_paid == per_invoice[invoice.pk], invoice


@pytest.fixture(autouse=True)
def _ledger_and_payments_agree_after_each_scenario(request):
    yield
    if request.node.get_closest_marker("django_db"):
        assert_ledger_agrees()
        assert_payments_agree()
