"""Row-lock helpers: lock, then check, then write - always in pk order so two writers never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from .models import LedgerAccount


def ledger_accounts_lock(ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """SELECT ... FOR UPDATE the ledger accounts in pk order; returns them by pk, freshly read."""
    ordered = sorted(set(ids))
    rows = (
        LedgerAccount.objects.select_for_update(of=("self",))
        .select_related("unit", "billing_account")
        .filter(pk__in=ordered)
    )
    return {row.pk: row for row in rows.order_by("pk")}
