"""The invoice engine: a pure function from a `BillingInput` to a `ComputedInvoice`.

No database access here, so the bill run can load thousands of accounts in a few queries and call
`invoice_compute` per account; the preview calls it too and writes nothing. Same input, same invoice.

What an invoice with bill date T holds (Kill Bill's "target date"):
- recurring (and periodic quantity) charges: every period of the charge's grid not yet billed that is
  due by T - in advance: periods starting on or before T; in arrears: periods ending on or before T -
  prorated by the days of service (start, end, pauses) in the period;
- corrections of periods already billed whose days of service changed since (end, pause, plan
  change): the difference between what the period is worth now and what was billed, as a proration
  credit (or re-charge), computed from the price it was billed at;
- discounts of the plan on those charges for the first N periods (N counted from the plan's start);
- one-off charges of a plan when a fresh subscription starts, and pending operator one-offs dated <= T;
- account discounts (promotions, loyalty, goodwill) on the first N invoices dated on or after their start;
- unbilled rated usage before T, summarised per subscription, service and tariff;
- tax per rate, see `pricing`.
A prepaid account gets a statement: its usage, already debited from its pockets, shown, not charged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from . import periods
from .billing_data import (
    BilledKey,
    BilledRow,
    BillingInput,
    ChargeData,
    ComputedInvoice,
    ComputedLine,
    SubscriptionData,
)
from .other_lines import account_discount_lines, explain_origin, one_off_lines, usage_lines
from .pricing import (
    HUNDRED,
    Money,
    apply_taxes,
    average_unit_price,
    full_period_price,
    plain_number,
    prorate,
    shown,
)

ZERO = Decimal("0")
PERIODIC_KINDS = ("recurring", "quantity")
REVENUE_OF = {"recurring": "recurring", "quantity": "recurring", "one_off": "one_off", "usage": "usage"}


class EngineError(ValueError):
    """The input cannot be invoiced as it is (e.g. a plan priced in another currency)."""


@dataclass
class _Priced:
    """A charge period's value now, and what has been billed for it."""

    period: periods.Period
    numerator: int
    denominator: int
    full_price: Decimal
    amount: Decimal  # what the period is worth now, rounded
    billed: list[BilledRow]
    line: ComputedLine | None = None  # the line this invoice writes for it, if any


class _Engine:
    def __init__(self, data: BillingInput) -> None:
        self.data = data
        self.account = data.account
        self.money = Money(self.account.decimals, self.account.rounding)
        self.bill_date = data.bill_date
        self.lines: list[ComputedLine] = []
        self.billed: dict[tuple[int, int, int | None], dict[date, list[BilledRow]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for row in data.billed:
            self.billed[(row.subscription_id, row.charge_id, row.applies_to_charge_id)][row.period_start].append(row)

    # -- subscriptions --------------------------------------------------------------------------
    def subscription(self, sub: SubscriptionData) -> None:
        if sub.status == "pending" or sub.start > self.bill_date:
            return
        if sub.charges and sub.plan_currency != self.account.currency:
            raise EngineError(
                f"Plan {sub.plan_code} is priced in {sub.plan_currency}, the account in {self.account.currency}."
            )
        intervals = periods.service_intervals(sub.start, sub.end, sub.pauses)
        discounts = [c for c in sub.charges if c.kind == "discount"]
        for charge in sub.charges:
            if charge.kind in PERIODIC_KINDS and charge.period:
                priced = self.periodic(sub, charge, intervals)
                for discount in discounts:
                    if discount.discount_applies_to in ("", charge.kind):
                        self.periodic_discount(sub, discount, charge, priced)
            elif charge.kind in ("one_off", "quantity") and not sub.is_change:
                priced_once = self.plan_one_off(sub, charge)
                for discount in discounts:
                    if priced_once and discount.discount_applies_to in ("", charge.kind):
                        self.periodic_discount(sub, discount, charge, [priced_once])

    def periodic(self, sub: SubscriptionData, charge: ChargeData, intervals: list[tuple[date, date]]) -> list[_Priced]:
        grid = periods.charge_grid(charge.period, self.account.cycle_period, self.account.bill_day, sub.start)
        billed = self.billed[(sub.id, charge.id, None)]
        quantity = Decimal(sub.quantity)
        price, tiers = full_period_price(charge, quantity)
        last_start = min(self.bill_date, sub.end or self.bill_date)
        # Periods already billed are re-checked as they were billed (their own dates, even if the bill
        # day moved since); new periods only charge days no billed period covers, so nothing is billed twice.
        billed_periods = {
            start: periods.Period(start, rows[0].period_end + timedelta(days=1)) for start, rows in billed.items()
        }
        unbilled_service = periods.subtract(intervals, [(p.start, p.end) for p in billed_periods.values()])
        due = [
            p
            for p in grid.periods(sub.start, last_start)
            if p.start not in billed_periods and (charge.timing == "advance" or p.end <= self.bill_date)
        ]
        result = []
        for period in sorted([*due, *billed_periods.values()]):
            rows = billed.get(period.start, [])
            billed_price = rows[0].full_price if rows else price
            days = periods.service_days(intervals if rows else unbilled_service, period)
            numerator, denominator = periods.proration(days, period, charge.period, self.account.thirty_day_months)
            exact = prorate(billed_price, numerator, denominator)
            worth = self.money.round(exact)
            priced = _Priced(period, numerator, denominator, billed_price, worth, rows)
            if not rows and worth:
                priced.line = self.charge_line(sub, charge, priced, exact, quantity, tiers)
            elif rows:
                priced.line = self.correction_line(sub, charge, priced, exact, quantity)
            result.append(priced)
        return result

    def charge_line(
        self,
        sub: SubscriptionData,
        charge: ChargeData,
        priced: _Priced,
        exact: Decimal,
        quantity: Decimal,
        tiers: list[dict[str, Any]],
    ) -> ComputedLine:
        period = priced.period
        fraction = f"{priced.numerator}/{priced.denominator}"
        prorated = priced.numerator != priced.denominator
        line = ComputedLine(
            kind=charge.kind,
            revenue="recurring",
            description=f"{sub.product} - {charge.name}, {period.start} to {period.last_day}"
            + (f" ({fraction})" if prorated else ""),
            amount=priced.amount,
            quantity=quantity,
            unit_price=charge.amount if not tiers else average_unit_price(priced.full_price, quantity),
            numerator=priced.numerator,
            denominator=priced.denominator,
            **_charge_fields(sub, charge, period),
            explanation={
                **explain_origin(sub, charge),
                **_explain_period(period),
                "timing": charge.timing,
                "charge_period": charge.period,
                "proration": fraction,
                "convention": self.convention(charge.period),
                "quantity": str(quantity),
                "full_period_price": str(priced.full_price),
                **({"tiers": tiers} if tiers else {}),
                "exact_amount": shown(exact),
                "rounding": self.money.describe(),
            },
            billed=self.billed_key(sub, charge, None, "charge", priced, None, priced.amount),
        )
        self.lines.append(line)
        return line

    def correction_line(
        self, sub: SubscriptionData, charge: ChargeData, priced: _Priced, exact: Decimal, quantity: Decimal
    ) -> ComputedLine | None:
        already = sum((row.amount for row in priced.billed), ZERO)
        difference = priced.amount - already
        if not difference:
            return None
        last = priced.billed[-1]
        period = priced.period
        now, before = f"{priced.numerator}/{priced.denominator}", f"{last.numerator}/{last.denominator}"
        line = ComputedLine(
            kind="proration_credit" if difference < 0 else charge.kind,
            revenue="recurring",
            description=f"{sub.product} - {charge.name}, {period.start} to {period.last_day}: "
            + ("credit for unused days" if difference < 0 else "additional days")
            + f" ({before} billed, {now} used)",
            amount=difference,
            quantity=quantity,
            unit_price=charge.amount if priced.full_price == quantity * charge.amount else None,
            numerator=abs(priced.numerator - last.numerator) if priced.denominator == last.denominator else None,
            denominator=priced.denominator if priced.denominator == last.denominator else None,
            **_charge_fields(sub, charge, period),
            explanation={
                **explain_origin(sub, charge),
                **_explain_period(period),
                "billed_proration": before,
                "billed_amount": str(already),
                "billed_on_invoices": sorted({row.invoice_id for row in priced.billed}),
                "proration": now,
                "convention": self.convention(charge.period),
                "service": self.service_note(sub),
                "full_period_price": str(priced.full_price),
                "exact_amount": shown(exact),
                "correct_amount": str(priced.amount),
                "rounding": self.money.describe(),
            },
            billed=self.billed_key(sub, charge, None, "adjustment", priced, None, difference),
        )
        self.lines.append(line)
        return line

    def plan_one_off(self, sub: SubscriptionData, charge: ChargeData) -> _Priced | None:
        """A one-off (or per-quantity one-off) charge of the plan, billed once when the subscription starts."""
        billed = self.billed[(sub.id, charge.id, None)]
        quantity = Decimal(sub.quantity)
        price, tiers = full_period_price(charge, quantity)
        day = periods.Period(sub.start, sub.start + timedelta(days=1))
        priced = _Priced(day, 1, 1, price, self.money.round(price), billed.get(sub.start, []))
        if priced.billed or not priced.amount:
            return priced if priced.billed else None
        priced.line = ComputedLine(
            kind=charge.kind,
            revenue="one_off",
            description=f"{sub.product} - {charge.name}",
            amount=priced.amount,
            quantity=quantity,
            unit_price=charge.amount if not tiers else average_unit_price(price, quantity),
            period_start=sub.start,
            period_end=sub.start,
            subscription_id=sub.id,
            charge_id=charge.id,
            tax_category=charge.tax_category or sub.category,
            explanation={
                **explain_origin(sub, charge),
                "billed_once": "when the subscription starts",
                "quantity": str(quantity),
                **({"tiers": tiers} if tiers else {}),
                "exact_amount": shown(price),
                "rounding": self.money.describe(),
            },
            billed=self.billed_key(sub, charge, None, "charge", priced, None, priced.amount),
        )
        self.lines.append(priced.line)
        return priced

    def periodic_discount(
        self, sub: SubscriptionData, discount: ChargeData, target: ChargeData, priced: Iterable[_Priced]
    ) -> None:
        """A discount on each period of `target`: new when the period is charged now, corrected when the
        period's value changed; it never exceeds the charge it discounts."""
        billed = self.billed[(sub.id, discount.id, target.id)]
        grid = None
        if target.period:
            grid = periods.charge_grid(target.period, self.account.cycle_period, self.account.bill_day, sub.start)
        for item in priced:
            rows = billed.get(item.period.start, [])
            new_charge = item.line is not None and item.line.kind != "proration_credit" and not item.billed
            if not rows and not new_charge:
                continue
            index = grid.index_of(sub.plan_start, item.period) if grid else 0
            in_force = discount.discount_periods is None or index < discount.discount_periods
            percent = rows[0].percent if rows else discount.discount_percent
            flat = rows[0].full_price if rows else discount.amount
            if not in_force:
                worth = ZERO
            elif percent is not None:
                worth = -self.money.round(item.amount * percent / HUNDRED)
            else:
                worth = -min(self.money.round(prorate(flat, item.numerator, item.denominator)), item.amount)
            already = sum((row.amount for row in rows), ZERO)
            difference = worth - already
            if not difference:
                continue
            what = f"{plain_number(percent)}%" if percent is not None else f"{flat} per period"
            line = ComputedLine(
                kind="discount",
                revenue=REVENUE_OF[target.kind],
                description=f"{sub.product} - {discount.name} ({what}) on {target.name}, "
                f"{item.period.start} to {item.period.last_day}" + (" - correction" if rows else ""),
                amount=difference,
                numerator=item.numerator,
                denominator=item.denominator,
                period_start=item.period.start,
                period_end=item.period.last_day,
                subscription_id=sub.id,
                charge_id=discount.id,
                tax_category=target.tax_category or sub.category,
                explanation={
                    **explain_origin(sub, discount),
                    "discounts": target.code,
                    "discounted_amount": str(item.amount),
                    "percent": str(percent) if percent is not None else None,
                    "amount_per_period": str(flat) if percent is None else None,
                    "period_number": index + 1,
                    "for_periods": discount.discount_periods,
                    "already_discounted": str(already),
                    "rounding": self.money.describe(),
                },
                billed=BilledKey(
                    sub.id,
                    discount.id,
                    target.id,
                    "adjustment" if rows else "charge",
                    item.period.start,
                    item.period.last_day,
                    item.numerator,
                    item.denominator,
                    flat,
                    percent,
                    difference,
                ),
            )
            self.lines.append(line)

    # -- helpers --------------------------------------------------------------------------------
    def invoice_period(self) -> periods.Period:
        """The billing period the invoice closes: the cycle period holding the day before the bill date."""
        grid = periods.cycle_grid(self.account.cycle_period, self.account.bill_day)
        return grid.containing(self.bill_date - timedelta(days=1))

    def convention(self, unit: str) -> str:
        if unit == periods.MONTH and self.account.thirty_day_months:
            return "30-day months: 1/30 of the monthly price per day of service, at most 30/30"
        return "days of service / days of the period"

    @staticmethod
    def service_note(sub: SubscriptionData) -> str:
        note = f"in service from {sub.start}" + (f" to {sub.end}" if sub.end else "")
        for start, end in sub.pauses:
            note += f"; paused {start} to {end or 'further notice'}"
        return note

    @staticmethod
    def billed_key(
        sub: SubscriptionData,
        charge: ChargeData,
        target: int | None,
        kind: str,
        priced: _Priced,
        percent: Decimal | None,
        amount: Decimal,
    ) -> BilledKey:
        return BilledKey(
            sub.id,
            charge.id,
            target,
            kind,
            priced.period.start,
            priced.period.last_day,
            priced.numerator,
            priced.denominator,
            priced.full_price,
            percent,
            amount,
        )


def _charge_fields(sub: SubscriptionData, charge: ChargeData, period: periods.Period) -> dict[str, Any]:
    """The fields every line of a subscription charge period carries."""
    return {
        "period_start": period.start,
        "period_end": period.last_day,
        "subscription_id": sub.id,
        "charge_id": charge.id,
        "tax_category": charge.tax_category or sub.category,
    }


def _explain_period(period: periods.Period) -> dict[str, Any]:
    return {"period": {"start": str(period.start), "end": str(period.last_day), "days": period.days}}


def invoice_compute(data: BillingInput) -> ComputedInvoice:
    """The invoice (or prepaid statement) of `data.account` for bill date `data.bill_date`."""
    engine = _Engine(data)
    statement = data.account.payment_mode == "prepaid"
    subscriptions = {sub.id: sub for sub in data.subscriptions}
    if not statement:
        for sub in sorted(data.subscriptions, key=lambda s: (s.start, s.id)):
            engine.subscription(sub)
    lines = engine.lines
    lines += usage_lines(data.account, engine.money, data.usage, subscriptions, engine.invoice_period())
    if not statement:
        lines += one_off_lines(data.one_offs, data.bill_date, engine.money)
        lines += account_discount_lines(data.account_discounts, lines, subscriptions, engine.money)
    taxes = [] if statement else apply_taxes(lines, data.bill_date, data.tax_rates, engine.money)
    subtotal = sum((line.amount for line in lines), ZERO)
    tax_total = sum((tax.tax_amount for tax in taxes), ZERO)
    period = engine.invoice_period()
    return ComputedInvoice(
        account_id=data.account.id,
        kind="statement" if statement else "invoice",
        bill_date=data.bill_date,
        period_start=period.start,
        period_end=data.bill_date - timedelta(days=1),
        currency=data.account.currency,
        lines=lines,
        taxes=taxes,
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
    )
