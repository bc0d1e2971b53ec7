"""Read queries of the accounts domain, shared by admin, API, portal and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, DecimalField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import LedgerAccount, LedgerEntry, LedgerTransaction, Tenant, Wallet

ZERO = Decimal("0")


def wallets_for_account(*, account_id: int) -> QuerySet[Wallet]:
    return (
        Wallet.objects.filter(billing_account_id=account_id).select_related("unit").order_by("unit__code", "priority")
    )


def ledger_entries_for(*, ledger_account_id: int, limit: int = 50) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(ledger_account_id=ledger_account_id)
        .select_related("transaction", "unit")
        .order_by("-id")[:limit]
    )


@dataclass(frozen=True)
class TrialBalanceRow:
    kind: str
    code: str
    unit: str
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        return self.credit - self.debit


def trial_balance(
    *, tenant: Tenant, start: datetime | None = None, end: datetime | None = None, subtree: bool = True
) -> list[TrialBalanceRow]:
    """Debits and credits per ledger-account kind, code and unit for a tenant (and its resellers) and period.

    Customer pockets are summed per unit into one row; per unit, total debits equal total credits.
    """
    entries = LedgerEntry.objects.all()
    if subtree:
        entries = entries.filter(transaction__tenant__path__startswith=tenant.path)
    else:
        entries = entries.filter(transaction__tenant=tenant)
    if start:
        entries = entries.filter(created_at__gte=start)
    if end:
        entries = entries.filter(created_at__lt=end)
    money = DecimalField(max_digits=30, decimal_places=10)
    rows = (
        entries.values(kind=F("ledger_account__kind"), code=F("ledger_account__code"), unit_code=F("unit__code"))
        .annotate(
            debit=Coalesce(Sum(Case(When(amount__lt=0, then=-F("amount")), output_field=money)), Value(ZERO)),
            credit=Coalesce(Sum(Case(When(amount__gt=0, then=F("amount")), output_field=money)), Value(ZERO)),
        )
        .order_by("unit_code", "kind", "code")
    )
    return [TrialBalanceRow(r["kind"], r["code"], r["unit_code"], r["debit"], r["credit"]) for r in rows]


def unbalanced_transactions() -> QuerySet[LedgerTransaction]:
    """Transactions whose entries do not sum to zero per unit (must always be empty)."""
    bad = (
        LedgerEntry.objects.values("transaction_id", "unit_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values("transaction_id")
    )
    return LedgerTransaction.objects.filter(pk__in=bad)


def ledger_accounts_out_of_balance() -> QuerySet[LedgerAccount]:
    """Ledger accounts whose stored balance differs from the sum of their entries (must be empty)."""
    return LedgerAccount.objects.annotate(
        entries_total=Coalesce(
            Sum("entries__amount"), Value(ZERO), output_field=DecimalField(max_digits=30, decimal_places=10)
        )
    ).exclude(balance=F("entries_total"))
