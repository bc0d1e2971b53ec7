"""Money and unit arithmetic: Decimal only, and every rounding names its mode.

Where rounding happens:
- Rating keeps sub-cent precision: per-record charges and rates are quantized to RATE_PLACES (6) with
  `quantize_rate`, never to the currency's minor unit.
- Invoice lines are rounded to the currency's ISO 4217 exponent with the tenant's rule (default half-up)
  by `quantize_money`; an invoice total is the sum of its rounded lines plus rounded tax.
- Gateways that speak integers (Stripe) get `to_minor_units`, which refuses an amount that is not
  already exact at the minor unit instead of silently rounding it.
Floats are refused everywhere: `to_decimal(0.1)` raises.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

RATE_PLACES = 6
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)

# ISO 4217 exponents that differ from 2; everything else (EUR, USD, GBP...) uses 2.
ISO_4217_EXPONENTS: dict[str, int] = {
    "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0,
    "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


class MoneyError(ValueError):
    """An amount that cannot be represented exactly as asked."""


def currency_exponent(code: str) -> int:
    return ISO_4217_EXPONENTS.get(code.upper(), 2)


def to_decimal(value: object) -> Decimal:
    """A Decimal from str, int or Decimal; floats are refused (0.1 is not a tenth in binary)."""
    if isinstance(value, (bool, float)):
        raise MoneyError(f"refusing a {type(value).__name__} as an amount: pass a string or Decimal")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError) as exc:
            raise MoneyError(f"not a decimal amount: {value!r}") from exc
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return result


def quantize_money(amount: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to `decimals` places (the currency's exponent) with the named rounding mode."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


def quantize_rate(amount: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round a rate or per-record charge to RATE_PLACES, keeping sub-cent precision."""
    return amount.quantize(RATE_QUANTUM, rounding=rounding)


def to_minor_units(amount: Decimal, decimals: int) -> int:
    """12.34 EUR -> 1234. Raises if the amount has more precision than the minor unit."""
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than {decimals} decimal places")
    return int(scaled)


def from_minor_units(value: int, decimals: int) -> Decimal:
    """1234 -> Decimal('12.34') for a 2-decimal currency."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"minor units must be an integer, got {value!r}")
    return Decimal(value).scaleb(-decimals)


def has_at_most_places(amount: Decimal, decimals: int) -> bool:
    return amount == amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
