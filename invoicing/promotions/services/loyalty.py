"""Earning loyalty points (invoice paid on time, tenure month, top-up), spending them, expiring them.

Every grant is keyed `loyalty:{rule}:{event}` (unique `LoyaltyGrant.idempotency_key`, also on the ledger
legs), checked under the account's row lock: rerunning any earning grants nothing twice. Points are
rounded down to the PTS unit. Redemptions take points from the account's PTS pockets, earliest expiry
first (`wallets_consume`), and give credit at the tenant's exchange rate, items or a discount.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.exceptions import InvalidAmount
from accounts.models import BillingAccount, LedgerAccountKind, LedgerTransaction, Unit
from accounts.models.customers import AccountStatus
from accounts.models.ledger import TransactionKind
from accounts.money import quantize_money, to_decimal
from accounts.services import audit_record, pockets_expire, wallets_consume
from accounts.services.ledger import exchange_rate_for
from invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from invoicing.selectors import tenant_today
from invoicing.services.periods import anchored, shift_month
from invoicing.services.pricing import plain_number

from .. import selectors
from ..exceptions import LoyaltyRefused
from ..models import (
    LoyaltyGrant,
    LoyaltyRedemption,
    LoyaltyRedemptionKind,
    LoyaltyReward,
    LoyaltyRewardKind,
    LoyaltyRule,
)
from ..models import LoyaltyRuleKind as Kind
from .grants import (
    POINTS_UNIT,
    account_lock,
    discount_grant,
    grant_post,
    main_pocket,
    points_expiry,
    points_pocket,
    points_unit,
    units_grant,
    whole_units,
)


def _grant(
    *, rule: LoyaltyRule, account: BillingAccount, points: Decimal, key: str, reason: str, **links: Any
) -> LoyaltyGrant | None:
    """Grant `points` (rounded down to the unit) once per `key`; None when already granted or nothing."""
    points = whole_units(points, points_unit())
    if points <= 0:
        return None
    try:
        with transaction.atomic():
            locked = account_lock(account)
            if LoyaltyGrant.objects.filter(idempotency_key=key).exists():
                return None
            pocket = points_pocket(locked, points_expiry(locked, tenant_today(locked.tenant), rule.expiry_days))
            txn = grant_post(
                pocket=pocket,
                amount=points,
                counter_kind=LedgerAccountKind.POINTS_LIABILITY,
                key=key,
                reason=reason,
                reference=f"loyalty-rule:{rule.pk}",
            )
            return LoyaltyGrant.objects.create(
                rule=rule,
                account=locked,
                points=points,
                idempotency_key=key,
                reason=reason[:255],
                pocket=pocket,
                ledger_transaction=txn,
                **links,
            )
    except IntegrityError:
        # A concurrent run granted the same key first; the unique key decided, nothing was posted here.
        return None


def loyalty_earn_paid_invoice(*, invoice: Invoice, paid_on: date) -> list[LoyaltyGrant]:
    """Points per currency unit paid, for an invoice fully paid on or before its due date (none when
    paid late). Idempotent per rule and invoice."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.PAID or invoice.due_date is None:
        return []
    if paid_on > invoice.due_date:
        return []
    account = invoice.account
    granted = []
    for rule in selectors.loyalty_rules_for(tenant=account.tenant, kind=Kind.PAID_ON_TIME):
        if paid_on < timezone.localtime(rule.valid_from, timezone=_zone(account)).date():
            continue
        reason = (
            f"{rule.name}: invoice {invoice.display_number} paid on time ({paid_on}, due {invoice.due_date}), "
            f"{quantize_money(invoice.amount_paid, invoice.currency.decimals)} {invoice.currency} x "
            f"{plain_number(rule.points)}"
        )
        grant = _grant(
            rule=rule,
            account=account,
            points=invoice.amount_paid * rule.points,
            key=f"loyalty:{rule.pk}:invoice:{invoice.pk}",
            reason=reason,
            invoice=invoice,
        )
        granted += [grant] if grant else []
    return granted


def loyalty_earn_top_up(*, top_up: LedgerTransaction) -> list[LoyaltyGrant]:
    """Points per currency unit of a top-up (a top-up transaction crediting a money pocket), for rules
    in force when it happened. Idempotent per rule and transaction."""
    entry = (
        top_up.entries.filter(ledger_account__kind=LedgerAccountKind.POCKET, amount__gt=0)
        .select_related("ledger_account__billing_account__tenant", "unit")
        .first()
    )
    if top_up.kind != TransactionKind.TOP_UP or entry is None or not entry.unit.is_money:
        return []
    account = entry.ledger_account.billing_account
    assert account is not None
    granted = []
    for rule in selectors.loyalty_rules_for(tenant=account.tenant, kind=Kind.TOP_UP):
        if top_up.created_at < rule.valid_from:
            continue
        grant = _grant(
            rule=rule,
            account=account,
            points=entry.amount * rule.points,
            key=f"loyalty:{rule.pk}:top-up:{top_up.pk}",
            reason=f"{rule.name}: top-up of {plain_number(entry.amount)} {entry.unit} x {plain_number(rule.points)}",
            source_transaction=top_up,
        )
        granted += [grant] if grant else []
    return granted


def tenure_months(account: BillingAccount, as_of: date) -> list[tuple[int, date]]:
    """(n, anniversary) for each whole month the account has completed by `as_of` (tenant's days)."""
    start = timezone.localtime(account.created_at, timezone=_zone(account)).date()
    months, n = [], 1
    while (day := anchored(*shift_month(start.year, start.month, n), start.day)) <= as_of:
        months.append((n, day))
        n += 1
    return months


def _zone(account: BillingAccount) -> ZoneInfo:
    return ZoneInfo(account.tenant.timezone)


def loyalty_earn_tenure(*, account: BillingAccount, as_of: date | None = None) -> list[LoyaltyGrant]:
    """Points for each month of tenure completed since the rule started (catching up missed days).
    Only active accounts earn. Idempotent per rule, account and month."""
    if account.status != AccountStatus.ACTIVE:
        return []
    as_of = as_of or tenant_today(account.tenant)
    granted = []
    for rule in selectors.loyalty_rules_for(tenant=account.tenant, kind=Kind.TENURE_MONTH):
        since = timezone.localtime(rule.valid_from, timezone=_zone(account)).date()
        for n, anniversary in tenure_months(account, as_of):
            if anniversary < since:
                continue
            grant = _grant(
                rule=rule,
                account=account,
                points=rule.points,
                key=f"loyalty:{rule.pk}:tenure:{account.pk}:{n}",
                reason=f"{rule.name}: month {n} with us (completed {anniversary})",
                tenure_month=n,
            )
            granted += [grant] if grant else []
    return granted


def points_expire(*, as_of: datetime | None = None) -> int:
    """Expire the points (and only the points) whose pockets' validity ended: what is left goes to the
    tenant's breakage account. Idempotent (one expiry per pocket)."""
    unit = Unit.objects.filter(code=POINTS_UNIT).first()
    return pockets_expire(as_of=as_of, unit=unit) if unit else 0


def points_balance(*, account: BillingAccount, at: datetime | None = None) -> Decimal:
    """The points the account can spend now (valid pockets only)."""
    now = at or timezone.now()
    pockets = account.ledger_accounts.filter(kind=LedgerAccountKind.POCKET, unit__code="PTS")
    return sum((p.balance for p in pockets if p.is_valid_at(now)), Decimal("0"))


def _spend(account: BillingAccount, points: Decimal, counter_kind: str, key: str, reason: str) -> LedgerTransaction:
    consumed = wallets_consume(
        account=account,
        unit=points_unit(),
        amount=points,
        counter_kind=counter_kind,
        kind=TransactionKind.PROMOTION,
        description=reason,
        idempotency_key=key,
    )
    assert consumed.transaction is not None
    return consumed.transaction


def loyalty_redeem(
    *,
    account: BillingAccount,
    points: Decimal | None = None,
    reward: LoyaltyReward | None = None,
    idempotency_key: str = "",
    actor: Any = None,
) -> LoyaltyRedemption:
    """Spend points: `points` for credit at the tenant's PTS -> currency exchange rate (rounded down to
    the currency's minor unit), or the `points` price of a `reward` (items or a discount).

    Locks the account, then its PTS pockets; refused (nothing changed) when the valid points do not
    cover it. A replay with the same `idempotency_key` returns the first redemption.
    """
    if (points is None) == (reward is None):
        raise LoyaltyRefused("Redeem either a number of points for credit or a reward.")
    key = f"loyalty-redeem:{account.pk}:{idempotency_key or uuid.uuid4()}"
    with transaction.atomic():
        locked = account_lock(account)
        replay = LoyaltyRedemption.objects.filter(idempotency_key=key).first()
        if replay:
            return replay
        if locked.status != AccountStatus.ACTIVE:
            raise LoyaltyRefused(f"Account {locked.number} is {locked.status}.")
        if reward is not None:
            redemption = _redeem_reward(locked, reward, key, actor)
        else:
            assert points is not None
            redemption = _redeem_credit(locked, to_decimal(points), key, actor)
        audit_record(
            action="loyalty.redeem",
            obj=redemption,
            actor=actor,
            tenant=locked.tenant,
            after={"points": str(redemption.points), "kind": redemption.kind, "value": str(redemption.value)},
        )
        return redemption


def _redeem_credit(account: BillingAccount, points: Decimal, key: str, actor: Any) -> LoyaltyRedemption:
    pts = points_unit()
    if points <= 0 or whole_units(points, pts) != points:
        raise InvalidAmount(f"Redeem a positive whole number of points, not {points}.")
    currency: Unit = account.currency
    rate = exchange_rate_for(tenant=account.tenant, from_unit=pts, to_unit=currency, at=timezone.now())
    value = quantize_money(points * rate.rate, currency.decimals, ROUND_DOWN)
    if value <= 0:
        raise InvalidAmount(f"{points} points are worth less than one {currency} minor unit.")
    reason = f"{plain_number(points)} loyalty points redeemed for {value} {currency} at {plain_number(rate.rate)}"
    # The two halves of a pocket transfer: points out to the exchange account, money in from it.
    spent = _spend(account, points, LedgerAccountKind.EXCHANGE, key, reason)
    credited = grant_post(
        pocket=main_pocket(account),
        amount=value,
        counter_kind=LedgerAccountKind.EXCHANGE,
        key=key,
        reason=reason,
        reference=f"loyalty-points:{spent.pk}",
        actor=actor,
    )
    return LoyaltyRedemption.objects.create(
        account=account,
        kind=LoyaltyRedemptionKind.CREDIT,
        points=points,
        value=value,
        value_unit=currency,
        exchange_rate=rate.rate,
        points_transaction=spent,
        value_transaction=credited,
        idempotency_key=key,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _redeem_reward(account: BillingAccount, reward: LoyaltyReward, key: str, actor: Any) -> LoyaltyRedemption:
    if not reward.active or reward.tenant_id not in selectors.tenant_chain(account.tenant):
        raise LoyaltyRefused(f"Reward {reward.code} is not offered to account {account.number}.")
    reason = f"{plain_number(reward.points)} loyalty points redeemed for {reward.name}"
    spent = _spend(account, reward.points, LedgerAccountKind.POINTS_LIABILITY, key, reason)
    redemption = LoyaltyRedemption(
        account=account,
        points=reward.points,
        reward=reward,
        points_transaction=spent,
        idempotency_key=key,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    if reward.kind == LoyaltyRewardKind.ITEMS:
        assert reward.unit is not None and reward.quantity is not None
        _, redemption.value_transaction = units_grant(
            account=account,
            benefit=reward,
            counter_kind=LedgerAccountKind.POINTS_LIABILITY,
            key=key,
            reason=f"{reason}: {plain_number(reward.quantity)} {reward.unit} for {reward.validity_days} days",
            name=reward.name,
            reference=f"loyalty-points:{spent.pk}",
            actor=actor,
        )
        redemption.kind, redemption.value, redemption.value_unit = "items", reward.quantity, reward.unit
    else:
        if reward.discount_amount is not None and reward.currency_id != account.currency_id:
            raise LoyaltyRefused(f"Reward {reward.code} is in {reward.currency}, not {account.currency}.")
        redemption.account_discount = discount_grant(
            account=account, benefit=reward, name=reward.name, source="loyalty", reference=f"loyalty-points:{spent.pk}"
        )
        discount = redemption.account_discount
        redemption.kind = LoyaltyRedemptionKind.DISCOUNT
        # A percent discount is worth no fixed amount: its value is the percent, without a unit.
        redemption.value = discount.percent if discount.percent is not None else discount.amount
        redemption.value_unit = account.currency if discount.amount is not None else None
    redemption.save()
    return redemption
