"""Read queries of the portal. Every one takes the signed-in customer and returns only its rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import BillingAccount, Customer, LedgerEntry, Wallet
from accounts.models.customers import AccountStatus

ZERO = Decimal("0")
AMOUNT = DecimalField(max_digits=30, decimal_places=10)


def portal_accounts(*, customer: Customer) -> QuerySet[BillingAccount]:
    """The customer's open accounts with their pockets (each annotated with `granted`: all it was credited)."""
    pockets = (
        Wallet.objects.select_related("unit")
        .annotate(
            granted=Coalesce(Sum("entries__amount", filter=Q(entries__amount__gt=0)), Value(ZERO), output_field=AMOUNT)
        )
        .order_by("priority", "unit__kind", "unit__code", "valid_to", "id")
    )
    return (
        BillingAccount.objects.filter(customer=customer)
        .exclude(status=AccountStatus.CLOSED)
        .select_related("currency", "billing_cycle")
        .prefetch_related(Prefetch("ledger_accounts", queryset=pockets, to_attr="pockets"))
        .order_by("number")
    )


@dataclass(frozen=True)
class ActivityLine:
    when: object
    description: str
    amount: Decimal
    unit: object
    account_number: str


def portal_recent_activity(*, customer: Customer, limit: int = 8) -> list[ActivityLine]:
    """The latest movements on the customer's pockets, newest first."""
    entries = (
        LedgerEntry.objects.filter(ledger_account__billing_account__customer=customer, ledger_account__kind="pocket")
        .select_related("transaction", "unit", "ledger_account__billing_account")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        ActivityLine(
            when=e.created_at,
            description=e.transaction.description,
            amount=e.amount,
            unit=e.unit,
            account_number=e.ledger_account.billing_account.number,
        )
        for e in entries
    ]
