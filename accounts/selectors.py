"""Read queries of the accounts domain, shared by admin, API, portal and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import BillingAccount, Customer, LedgerAccount, LedgerEntry, LedgerTransaction, Tenant, UnitKind, Wallet
from .models.customers import PaymentMode
from .tenancy import scope_queryset

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


def ledger_entries_for_account(*, account_id: int, limit: int = 20) -> QuerySet[LedgerEntry]:
    """The latest entries on any pocket of one billing account, newest first."""
    return (
        LedgerEntry.objects.filter(ledger_account__billing_account_id=account_id)
        .select_related("transaction", "unit", "ledger_account")
        .order_by("-id")[:limit]
    )


@dataclass(frozen=True)
class BackOfficeFigures:
    customers: int
    accounts_by_mode: dict[str, int]
    prepaid_balance_by_unit: dict[str, Decimal]


def back_office_figures(*, user: object) -> BackOfficeFigures:
    """Headline counts for the admin index, within what `user` may see: three cheap aggregate queries."""
    customers = scope_queryset(Customer.objects.all(), user).count()
    by_mode = dict(
        scope_queryset(BillingAccount.objects.all(), user)
        .values_list("payment_mode")
        .annotate(n=Count("id"))
        .order_by("payment_mode")
    )
    labels = dict(PaymentMode.choices)
    prepaid = (
        scope_queryset(Wallet.objects.all(), user)
        .filter(billing_account__payment_mode=PaymentMode.PREPAID, unit__kind__in=[UnitKind.CURRENCY, UnitKind.CRYPTO])
        .values_list("unit__code")
        .annotate(total=Sum("balance"))
        .order_by("unit__code")
    )
    return BackOfficeFigures(
        customers=customers,
        accounts_by_mode={labels[mode]: by_mode.get(mode, 0) for mode in PaymentMode.values},
        prepaid_balance_by_unit=dict(prepaid),
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
