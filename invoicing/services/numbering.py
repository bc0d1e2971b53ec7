"""Gapless document numbers per tenant and series.

The counter row is locked (SELECT ... FOR UPDATE) in the caller's transaction, so the number and the
document that takes it commit or roll back together: no gaps, and concurrent issuers queue on the
row. The unique constraints on invoices and credit notes are the second line of defence.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Tenant
from invoicing.models import NumberSeries


def number_take(*, tenant: Tenant, series: str) -> int:
    """The next number of `series` for `tenant`; call inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_take must run inside the transaction that issues the document")
    counter = NumberSeries.objects.select_for_update().filter(tenant=tenant, series=series).first()
    if counter is None:
        # First use of the series: insert-if-absent, then lock the row whoever inserted it.
        NumberSeries.objects.bulk_create([NumberSeries(tenant=tenant, series=series)], ignore_conflicts=True)
        counter = NumberSeries.objects.select_for_update().get(tenant=tenant, series=series)
    number = counter.next_number
    counter.next_number = number + 1
    counter.save(update_fields=["next_number", "updated_at"])
    return number
