"""Invoice lines that do not come from subscription charge periods: usage (and its discounts), the
operator's one-off charges and account discounts. Pure functions over the engine's plain data, like
`compute`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from . import periods
from .billing_data import (
    AccountData,
    AccountDiscountData,
    ChargeData,
    ComputedLine,
    OneOffData,
    SubscriptionData,
    UsageGroup,
)
from .pricing import HUNDRED, Money, allocate, plain_number, shown

ZERO = Decimal("0")


def explain_origin(sub: SubscriptionData, charge: ChargeData) -> dict[str, Any]:
    """Where a subscription line comes from, for its explanation."""
    return {
        "source": "subscription",
        "subscription": sub.uuid,
        "product": sub.product,
        "price_plan": sub.plan_code,
        "charge": charge.code,
        "charge_kind": charge.kind,
    }


def _usage_order(group: UsageGroup) -> tuple[Any, ...]:
    return (group.subscription_id or 0, group.service, group.tariff_name, group.prepaid)


def usage_lines(
    account: AccountData,
    money: Money,
    groups: Iterable[UsageGroup],
    subscriptions: dict[int, SubscriptionData],
    invoice_period: periods.Period,
) -> list[ComputedLine]:
    """One line per usage group. On a prepaid statement the lines show what was debited; on an
    invoice, usage already debited from a pocket (hybrid accounts) is shown at zero - never charged twice."""
    statement = account.payment_mode == "prepaid"
    cycle = periods.cycle_grid(account.cycle_period, account.bill_day)
    lines: list[ComputedLine] = []
    for group in sorted(groups, key=_usage_order):
        sub = subscriptions.get(group.subscription_id) if group.subscription_id else None
        usage_charge = None
        if sub:
            usage_charge = next((c for c in sub.charges if c.kind == "usage" and c.service == group.service), None)
        charged = statement or not group.prepaid
        line = ComputedLine(
            kind="usage",
            revenue="usage",
            description=f"{group.service.capitalize()} usage - {group.tariff_name or 'no tariff'}"
            + (f" ({sub.product})" if sub else "")
            + ("" if charged else " - already debited from your balance"),
            amount=money.round(group.cost) if charged else ZERO,
            quantity=Decimal(group.records),
            period_start=group.first_day,
            period_end=group.last_day,
            subscription_id=group.subscription_id,
            tariff_id=group.tariff_id,
            service=group.service,
            tax_category=(usage_charge.tax_category if usage_charge else "") or (sub.category if sub else ""),
            usage_prepaid=group.prepaid,
            explanation={
                "source": "rated usage",
                "subscription": sub.uuid if sub else None,
                "service": group.service,
                "tariff": group.tariff_name,
                "records": group.records,
                "usage": group.usage,
                "charged_usage": group.charged_usage,
                "exact_cost": str(group.cost),
                "prepaid": group.prepaid,
                "already_debited": str(group.cost) if (group.prepaid or statement) else None,
                "rounding": money.describe(),
            },
        )
        lines.append(line)
        if sub and charged and not statement:
            index = cycle.index_of(sub.plan_start, cycle.containing(invoice_period.start))
            lines += _usage_discounts(sub, line, index, money)
    return lines


def _usage_discounts(sub: SubscriptionData, line: ComputedLine, index: int, money: Money) -> list[ComputedLine]:
    """The plan's discounts on usage while the invoice's billing period is within their first N."""
    found = []
    for discount in sub.charges:
        if discount.kind != "discount" or discount.discount_applies_to not in ("", "usage") or not line.amount:
            continue
        if discount.discount_periods is not None and index >= discount.discount_periods:
            continue
        if discount.discount_percent is not None:
            amount = -money.round(line.amount * discount.discount_percent / HUNDRED)
        else:
            amount = -min(money.round(discount.amount), line.amount)
        found.append(
            ComputedLine(
                kind="discount",
                revenue="usage",
                description=f"{sub.product} - {discount.name} on {line.service} usage",
                amount=amount,
                period_start=line.period_start,
                period_end=line.period_end,
                subscription_id=sub.id,
                charge_id=discount.id,
                tariff_id=line.tariff_id,
                service=line.service,
                tax_category=line.tax_category,
                explanation={
                    **explain_origin(sub, discount),
                    "discounted_amount": str(line.amount),
                    "percent": str(discount.discount_percent) if discount.discount_percent is not None else None,
                    "period_number": index + 1,
                    "for_periods": discount.discount_periods,
                },
            )
        )
    return found


def one_off_lines(items: Iterable[OneOffData], bill_date: Any, money: Money) -> list[ComputedLine]:
    """Pending operator one-off charges dated on or before the bill date."""
    lines = []
    for item in sorted(items, key=lambda o: (o.charge_date, o.id)):
        if item.charge_date > bill_date:
            continue
        exact = item.quantity * item.unit_price
        lines.append(
            ComputedLine(
                kind=item.kind if item.kind in ("one_off", "quantity") else "one_off",
                revenue="one_off",
                description=item.description,
                amount=money.round(exact),
                quantity=item.quantity,
                unit_price=item.unit_price,
                period_start=item.charge_date,
                period_end=item.charge_date,
                charge_id=item.charge_id,
                tax_category=item.tax_category,
                one_off_id=item.id,
                explanation={
                    "source": "one-off charge",
                    "one_off_charge": item.id,
                    "date": str(item.charge_date),
                    "quantity": str(item.quantity),
                    "unit_price": str(item.unit_price),
                    "exact_amount": shown(exact),
                    "rounding": money.describe(),
                },
            )
        )
    return lines


def account_discount_lines(
    discounts: Iterable[AccountDiscountData],
    lines: list[ComputedLine],
    subscriptions: dict[int, SubscriptionData],
    money: Money,
) -> list[ComputedLine]:
    """The lines of the account discounts still in force, in the order they were granted.

    Each is computed on the invoice's lines it targets (percents do not compound), grouped by revenue
    kind and tax category so it reduces the right revenue and tax, and capped at what earlier account
    discounts left of each group, so together they never take a group below zero. A discount with
    nothing left to discount writes nothing and uses no period.
    """
    left: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        left[(line.revenue, line.tax_category)] += line.amount
    found: list[ComputedLine] = []
    for discount in sorted(discounts, key=lambda d: d.id):
        bases: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for line in lines:
            if discount.applies_to in ("", line.revenue) and _of_product(line, discount.product_id, subscriptions):
                bases[(line.revenue, line.tax_category)] += line.amount
        groups = sorted((key, base, min(base, left[key])) for key, base in bases.items() if min(base, left[key]) > 0)
        if not groups or (discount.periods is not None and discount.used >= discount.periods):
            continue
        if discount.percent is not None:
            values = [min(money.round(base * discount.percent / HUNDRED), room) for _, base, room in groups]
            what = f"{plain_number(discount.percent)}%"
        else:
            assert discount.amount is not None
            room_total = sum((room for _, _, room in groups), ZERO)
            capped = min(money.round(discount.amount), room_total)
            values = allocate(capped, [capped * room / room_total for _, _, room in groups], money)
            what = f"{money.round(discount.amount)} off"
        number = discount.used + 1
        of = f", invoice {number} of {discount.periods}" if discount.periods else ""
        for (key, base, _), value in zip(groups, values, strict=True):
            left[key] -= value
            if value:
                found.append(_account_discount_line(discount, key, base, -value, what + of, len(groups) > 1, money))
    return found


def _account_discount_line(
    discount: AccountDiscountData,
    group: tuple[str, str],
    base: Decimal,
    amount: Decimal,
    what: str,
    split: bool,
    money: Money,
) -> ComputedLine:
    revenue, category = group
    return ComputedLine(
        kind="discount",
        revenue=revenue,
        description=f"{discount.name} ({what})" + (f" on {revenue} charges" if split else ""),
        amount=amount,
        tax_category=category,
        account_discount_id=discount.id,
        explanation={
            "source": "account discount",
            "account_discount": discount.id,
            "granted_by": discount.reference,
            "discounted_amount": str(base),
            "percent": str(discount.percent) if discount.percent is not None else None,
            "amount": str(discount.amount) if discount.amount is not None else None,
            "period_number": discount.used + 1,
            "for_periods": discount.periods,
            "rounding": money.describe(),
        },
    )


def _of_product(line: ComputedLine, product_id: int | None, subscriptions: dict[int, SubscriptionData]) -> bool:
    if product_id is None:
        return True
    sub = subscriptions.get(line.subscription_id) if line.subscription_id else None
    return sub is not None and sub.product_id == product_id
