"""The ledger movements every promotion, loyalty and referral grant is made of.

- credit: the account's main money pocket is credited against the tenant's promotions expense;
- free units: a new item pocket with a validity window, credited against promotions expense (a
  promotion) or points liability (a loyalty reward) in that unit;
- points: a PTS pocket per account and expiry day, credited against points liability;
- a discount: an `invoicing.AccountDiscount`; its ledger movements are the invoices it reduces.
Each posting carries the reason in its description and an idempotency key on both legs, so a replay
posts nothing and a second grant under the same key is refused by the database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.exceptions import InvalidAmount
from accounts.models import BillingAccount, LedgerAccount, LedgerAccountKind, LedgerTransaction, Unit, Wallet
from accounts.models.ledger import TransactionKind
from accounts.money import quantize_money
from accounts.services import Leg, audit_record, ledger_post, ledger_system_account, wallet_open
from accounts.services.ledger import MAIN_POCKET
from invoicing import selectors as invoicing_selectors
from invoicing.models import AccountDiscount
from invoicing.services import account_discount_create

from ..models.benefits import Benefit

POINTS_UNIT = "PTS"
POINTS_POCKET = "points"


def account_lock(account: BillingAccount) -> BillingAccount:
    """The billing account row, locked: grants and redemptions of one account run one at a time."""
    return (
        BillingAccount.objects.select_for_update(of=("self",))
        .select_related("tenant", "currency", "customer")
        .get(pk=account.pk)
    )


def points_unit() -> Unit:
    return Unit.objects.get(code=POINTS_UNIT)


def whole_units(amount: Decimal, unit: Unit) -> Decimal:
    """`amount` rounded down to what the unit can hold (nobody is granted a fraction it cannot use)."""
    return quantize_money(amount, unit.decimals, ROUND_DOWN)


def grant_post(
    *,
    pocket: LedgerAccount,
    amount: Decimal,
    counter_kind: str,
    key: str,
    reason: str,
    reference: str = "",
    actor: Any = None,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Credit `pocket` with `amount` against the tenant's `counter_kind` account in the pocket's unit."""
    if amount <= 0:
        raise InvalidAmount(f"Nothing to grant: {amount} {pocket.unit.code}.")
    counter = ledger_system_account(tenant=pocket.tenant, kind=counter_kind, unit=pocket.unit)
    with transaction.atomic():
        txn = ledger_post(
            tenant=pocket.tenant,
            kind=TransactionKind.PROMOTION,
            legs=[Leg(pocket, amount, key), Leg(counter, -amount, key)],
            description=reason,
            reference=reference,
            actor=actor,
            at=at,
        )
        if not txn.replayed:  # type: ignore[attr-defined]
            audit_record(
                action="promotions.grant",
                obj=pocket,
                actor=actor,
                after={"amount": str(amount), "unit": pocket.unit.code, "reason": reason, "txn": txn.pk},
            )
        return txn


def main_pocket(account: BillingAccount) -> LedgerAccount:
    return Wallet.objects.select_related("unit", "tenant").get(billing_account=account, code=MAIN_POCKET)


def credit_grant(
    *, account: BillingAccount, amount: Decimal, key: str, reason: str, reference: str = "", actor: Any = None
) -> LedgerTransaction:
    """Money into the account's main pocket, against promotions expense."""
    pocket = main_pocket(account)
    value = whole_units(amount, pocket.unit)
    return grant_post(
        pocket=pocket,
        amount=value,
        counter_kind=LedgerAccountKind.PROMOTIONS_EXPENSE,
        key=key,
        reason=reason,
        reference=reference,
        actor=actor,
    )


def units_grant(
    *,
    account: BillingAccount,
    benefit: Benefit,
    counter_kind: str,
    key: str,
    reason: str,
    name: str,
    reference: str = "",
    actor: Any = None,
) -> tuple[LedgerAccount, LedgerTransaction]:
    """`benefit.quantity` of `benefit.unit` into a new pocket valid from now for `validity_days`."""
    assert benefit.unit is not None and benefit.quantity is not None and benefit.validity_days
    now = timezone.now()
    pocket = wallet_open(
        account=account,
        unit=benefit.unit,
        name=name[:120],
        valid_from=now,
        valid_to=now + timedelta(days=benefit.validity_days),
    )
    txn = grant_post(
        pocket=pocket,
        amount=whole_units(benefit.quantity, benefit.unit),
        counter_kind=counter_kind,
        key=key,
        reason=reason,
        reference=reference,
        actor=actor,
        at=now,
    )
    return pocket, txn


def discount_grant(
    *,
    account: BillingAccount,
    benefit: Benefit,
    name: str,
    source: str,
    reference: str,
    actor: Any = None,
    **extra: Any,
) -> AccountDiscount:
    """A discount on the account's next invoices, from today (the engine applies it)."""
    return account_discount_create(
        account=account,
        name=name,
        percent=benefit.discount_percent,
        amount=benefit.discount_amount,
        periods=benefit.discount_periods,
        applies_to=benefit.discount_applies_to,
        source=source,
        reference=reference,
        actor=actor,
        **extra,
    )


def points_expiry(account: BillingAccount, earned_on: date, expiry_days: int | None) -> datetime | None:
    """Points earned on `earned_on` (tenant's day) keep for `expiry_days` whole days after it: they
    expire at the start of the next day in the tenant's zone."""
    if expiry_days is None:
        return None
    return invoicing_selectors.day_start(account.tenant, earned_on + timedelta(days=expiry_days + 1))


def points_pocket(account: BillingAccount, expires_at: datetime | None) -> LedgerAccount:
    """The account's PTS pocket expiring at `expires_at` (one per expiry day), opened when missing.
    Call it under `account_lock` so two grants never open the same pocket twice."""
    unit = points_unit()
    found = Wallet.objects.filter(billing_account=account, unit=unit, code=POINTS_POCKET, valid_to=expires_at).first()
    if found:
        return found
    label = f"Loyalty points expiring {expires_at:%Y-%m-%d}" if expires_at else "Loyalty points"
    return wallet_open(account=account, unit=unit, name=label, valid_to=expires_at, code=POINTS_POCKET)
