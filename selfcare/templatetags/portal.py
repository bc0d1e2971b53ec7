"""Template filters of the portal: amounts shown at their unit's precision, never as floats."""

from __future__ import annotations

from decimal import Decimal

from django import template

from accounts.models import Unit, UnitKind
from accounts.money import quantize_money

register = template.Library()

# How item units read in a sentence ("110 min left"); codes not listed are shown as they are.
ITEM_LABELS = {"MIN": "min", "SEC": "s", "SMS": "SMS", "MB": "MB", "PTS": "points"}


GIGABYTE = Decimal("1024")


@register.filter
def unit_amount(value: Decimal | None, unit: Unit) -> str:
    """`value` rounded half-up to the unit's decimals, grouped by thousands, with the symbol or unit label.

    Data reads in GB from one gigabyte up (display only: the pocket keeps its MB to three places).
    """
    amount = value or Decimal("0")
    if unit.code == "MB" and abs(amount) >= GIGABYTE:
        return _grouped(quantize_money(amount / GIGABYTE, 2), 2) + " GB"
    amount = quantize_money(amount, unit.decimals)
    digits = _grouped(amount, unit.decimals)
    if unit.kind == UnitKind.CURRENCY and unit.symbol:
        return digits.replace("-", "-" + unit.symbol) if amount < 0 else unit.symbol + digits
    return f"{digits} {ITEM_LABELS.get(unit.code, unit.code)}"


def _grouped(amount: Decimal, places: int) -> str:
    return f"{amount:,.{places}f}"


@register.filter
def percent_of(part: Decimal | None, whole: Decimal | None) -> int:
    """Whole-number percentage of `part` in `whole`, clamped to 0..100 (for progress bars)."""
    if not whole or whole <= 0 or part is None:
        return 0
    return max(0, min(100, int(part * 100 / whole)))


@register.filter
def minus(value: Decimal | None, other: Decimal | None) -> Decimal:
    """`value - other` in Decimal (e.g. a balance minus the account's floor = what is available)."""
    return (value or Decimal("0")) - (other or Decimal("0"))
