"""Prices, rounding and tax of invoice lines - pure functions.

Rounding rule (one, everywhere): each line amount is computed exactly (Decimal, proration as the
exact fraction numerator/denominator) and rounded once to the currency's minor unit with the
tenant's rounding mode (`accounts.money.quantize_money`). Tax is computed per rate on the sum of the
rounded lines of that rate and rounded once; it is then allocated to the lines by largest remainder
so the lines' tax amounts add up to it. Invoice total = sum of the lines + sum of the tax per rate.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.money import quantize_money, quantize_rate

from .billing_data import ChargeData, ComputedLine, ComputedTax, TaxRateData

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Wide enough that price x quantity x numerator / denominator is exact or correct far past any minor unit.
EXACT = decimal.Context(prec=60)


@dataclass(frozen=True)
class Money:
    """The account's rounding: the currency exponent and the tenant's rounding mode."""

    decimals: int
    rounding: str

    def round(self, amount: Decimal) -> Decimal:
        return quantize_money(amount, self.decimals, self.rounding)

    @property
    def unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimals)

    def describe(self) -> str:
        return f"{self.rounding} to {self.decimals} decimals"


def prorate(price: Decimal, numerator: int, denominator: int) -> Decimal:
    """price x numerator / denominator, exact (or correct to 60 digits)."""
    return EXACT.divide(EXACT.multiply(price, Decimal(numerator)), Decimal(denominator))


def plain_number(value: Decimal) -> str:
    """20.0000 -> "20", 12.5000 -> "12.5", 250 -> "250" (never the exponent form "2.5E+2" of normalize())."""
    return format(value.normalize(), "f")


def shown(amount: Decimal) -> str:
    """An exact intermediate amount for an explanation (12 places is plenty to check a rounding by hand)."""
    return str(amount.quantize(Decimal("1e-12")).normalize()) if amount != amount.to_integral() else str(amount)


def full_period_price(charge: ChargeData, quantity: Decimal) -> tuple[Decimal, list[dict[str, Any]]]:
    """The price of `quantity` units for one full period (or once, for one-off charges), with its tiers."""
    if charge.kind != "quantity" or not charge.tiers or charge.quantity_pricing in ("", "per_unit"):
        return quantity * charge.amount, []
    tiers = sorted(charge.tiers, key=lambda tier: tier.from_quantity)
    if charge.quantity_pricing == "volume":
        for tier in tiers:
            if quantity > tier.from_quantity and (tier.to_quantity is None or quantity <= tier.to_quantity):
                price = quantity * tier.unit_price + tier.flat_fee
                return price, [
                    _tier_row(tier.from_quantity, tier.to_quantity, quantity, tier.unit_price, tier.flat_fee)
                ]
        raise ValueError(f"no tier of charge {charge.code} holds quantity {quantity}")
    total, rows = ZERO, []
    for tier in tiers:
        upper = quantity if tier.to_quantity is None else min(quantity, tier.to_quantity)
        units = upper - tier.from_quantity
        if units <= 0:
            continue
        total += units * tier.unit_price + tier.flat_fee
        rows.append(_tier_row(tier.from_quantity, tier.to_quantity, units, tier.unit_price, tier.flat_fee))
    return total, rows


def _tier_row(low: Decimal, high: Decimal | None, units: Decimal, price: Decimal, fee: Decimal) -> dict[str, Any]:
    return {
        "from": str(low),
        "to": str(high) if high is not None else None,
        "units": str(units),
        "unit_price": str(price),
        "flat_fee": str(fee),
    }


def average_unit_price(price: Decimal, quantity: Decimal) -> Decimal:
    return quantize_rate(EXACT.divide(price, quantity)) if quantity else price


def tax_rate_for(category: str, on: date, rates: Sequence[TaxRateData]) -> TaxRateData | None:
    """The rate of `category` on `on`: the nearest tenant's rate for the category, else the nearest
    tenant's default rate (empty category), else None (no tax configured)."""
    valid = [r for r in rates if r.valid_from <= on and (r.valid_to is None or on <= r.valid_to)]
    for wanted in (category, ""):
        matches = sorted((r for r in valid if r.category == wanted), key=lambda r: r.depth)
        if matches:
            return matches[0]
    return None


def apply_taxes(lines: list[ComputedLine], on: date, rates: Sequence[TaxRateData], money: Money) -> list[ComputedTax]:
    """Set each line's rate and tax amount; return the tax per rate (see module docstring)."""
    groups: dict[tuple[int | None, str, Decimal], list[ComputedLine]] = {}
    for line in lines:
        rate = tax_rate_for(line.tax_category, on, rates)
        line.tax_rate = rate.rate if rate else ZERO
        line.tax_rate_id = rate.id if rate else None
        line.tax_name = rate.name if rate else "No tax"
        groups.setdefault((line.tax_rate_id, line.tax_name, line.tax_rate), []).append(line)
    taxes = []
    for (rate_id, name, rate), members in groups.items():
        base = sum((line.amount for line in members), ZERO)
        tax = money.round(base * rate / HUNDRED)
        shares = allocate(tax, [line.amount * rate / HUNDRED for line in members], money)
        for line, share in zip(members, shares, strict=True):
            line.tax_amount = share
        taxes.append(ComputedTax(rate_id, name, rate, base, tax))
    return sorted(taxes, key=lambda t: (-t.rate, t.name))


def allocate(total: Decimal, exact: Sequence[Decimal], money: Money) -> list[Decimal]:
    """Round each exact share, then move whole minor units to the largest remainders (earliest first on a
    tie) until the shares add up to `total`."""
    rounded = [money.round(share) for share in exact]
    units_left = int((total - sum(rounded, ZERO)) / money.unit)
    step = money.unit if units_left > 0 else -money.unit
    order = sorted(range(len(rounded)), key=lambda i: (-(exact[i] - rounded[i]) * step, i))
    for i in order[: abs(units_left)]:
        rounded[i] += step
    return rounded
