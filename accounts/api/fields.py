"""Serializer fields for amounts: decimal strings in and out, shown at the precision of their unit.

The ledger stores 10 decimal places; a client should read "12.50" for a euro balance, and
"12.876544" when rating left sub-cent precision, never "12.5000000000". Amounts are sent as JSON
strings; a JSON number is only accepted when its string form is an exact decimal DRF can parse.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from rest_framework import serializers


class _UnitAmount(NamedTuple):
    value: Decimal
    decimals: int


def format_amount(value: Decimal, decimals: int) -> str:
    """At least the unit's `decimals` places, more only when the value carries them (exact, never rounded)."""
    exponent = value.normalize().as_tuple().exponent
    places = max(decimals, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{value:.{places}f}"


class UnitAmountField(serializers.DecimalField):
    """A decimal-string amount rendered at the precision of the unit found at `unit_source` on the object."""

    def __init__(self, *, unit_source: str = "unit", **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 30)
        kwargs.setdefault("decimal_places", 10)
        super().__init__(**kwargs)
        self.unit_source = unit_source

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is None:
            return None
        unit = instance
        for part in self.unit_source.split("."):
            unit = getattr(unit, part)
        return _UnitAmount(value, unit.decimals)

    def to_representation(self, value: Any) -> str:
        if isinstance(value, _UnitAmount):
            return format_amount(value.value, value.decimals)
        return str(super().to_representation(value))
