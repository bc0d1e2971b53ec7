"""The rating function: price one usage record against a compiled tariff.

Semantics (in the order they are applied)
-----------------------------------------
1. **Validation.**  ``usage`` and ``usage_so_far`` are non-negative ints in the service's base unit
   (seconds / messages / bytes), ``start`` is aware, the destination is normalised (one leading ``+``
   or ``00`` stripped, then digits only; see ``prefix.normalize_number``) and may be empty only for data.
   The record's service must be the tariff's.  Violations raise ``RatingError("bad_input")``.
2. **Zero usage.**  Unanswered records and ``usage == 0`` cost nothing and touch no allowance, unless
   the tariff sets ``min_charge_on_zero``, in which case they cost ``min_charge``.
3. **Allowances** (``allowance.consume``) cover the head of the record in raw units; only the tail
   ``[covered, usage)`` is priced.  A fully covered record costs 0: no connect fee, no minimum.
4. **Parts.**  Voice is split at time-band changes (``timebands``: second ``k`` belongs to the band in
   force at ``start + k``); SMS and data use the band at ``start``.  Each part takes the rate of the
   longest matching prefix that has a rate for the part's band, falling back to the prefix's "any
   time" rate (``time_band=None``) and then to shorter prefixes and ``'*'``.  No rate -> ``no_tariff``.
5. **Steps.**  Positions are measured from the start of the record (from the start of the billing
   cycle, i.e. shifted by ``usage_so_far``, when the tariff is ``tiered``).  Step ``i`` covers
   ``[start_i, start_{i+1})``; its usage is ``min(end, start_{i+1}) - max(start_i, covered)`` and is
   rounded **up** to whole increments laid on a grid anchored where that usage begins.  Each
   increment is priced in the part in which it *begins*, so splitting a call into band parts never
   changes the number of billed increments of a step, it only changes their price.
   ``amount = billed / rate_unit * price`` -- steps are never rounded individually.
6. **Totals.**  ``subtotal = sum(step amounts) + connect fee`` (once per record, from the first priced
   part's rate), then ``max(subtotal, min_charge)``, then ``min(..., max_cost)``; that is
   ``unrounded_cost``.  Finally ``cost = unrounded_cost.quantize(10**-decimals)`` with the tariff's
   explicitly named mode: ``up`` = ``ROUND_UP`` (away from zero: a ceiling for the non-negative
   amounts charged here), ``half_up`` = ``ROUND_HALF_UP``, ``down`` = ``ROUND_DOWN``.
   ``max_cost``, ``rounding`` and ``decimals`` are the tariff's unless the record's rate (the first
   priced part's, as for the connect fee) sets its own: a deck may cap or round one destination apart.

Precision: every ``price * billed`` is scaled to a common denominator (the lcm of the tariff's rate
units) and summed exactly; the subtotal is then **one** division carried out in a private 34-digit
``decimal.Context`` (never the caller's current context).  So sub-cent precision survives until the
single final rounding and the total does not depend on how a record was split into parts.  The
per-step and per-part amounts in the breakdown are each that numerator divided the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from itertools import pairwise
from math import lcm
from typing import Any

from .allowance import consume
from .prefix import PrefixMatcher, normalize_number, normalize_prefix
from .timebands import CompiledCalendar
from .types import (
    BAD_INPUT,
    BAD_TARIFF,
    NO_TARIFF,
    SERVICE_UNITS,
    ZERO,
    PartCharge,
    Pocket,
    Rate,
    RatingError,
    RatingResult,
    StepCharge,
    Tariff,
    UsageRecord,
)

_CTX = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
# Only used when compiling, to shift prices to integers; a lost digit there would be a bug, so trap it.
_EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation, Overflow])
_ROUNDING = {"up": ROUND_UP, "half_up": ROUND_HALF_UP, "down": ROUND_DOWN}
_MAX_DECIMALS = 12


def _amount(value: Any, what: str) -> Decimal:
    # Floats are refused: 0.1 as a float is not 0.1, and a price list must be exact.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise RatingError(BAD_TARIFF, f"{what} must be a Decimal, got {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise RatingError(BAD_TARIFF, f"{what} must be a finite, non-negative amount")
    return value


def _count(value: Any, what: str, minimum: int, code: str = BAD_TARIFF) -> int:
    if type(value) is not int or value < minimum:
        raise RatingError(code, f"{what} must be an integer >= {minimum}")
    return value


class _Terms:
    """How a record's total is capped and rounded: the tariff's terms, or a rate's overrides of them."""

    __slots__ = ("decimals", "max_cost", "mode", "quantum", "rounding")

    def __init__(self, rounding: Any, decimals: Any, max_cost: Any, what: str) -> None:
        if rounding not in _ROUNDING:
            raise RatingError(BAD_TARIFF, f"{what}: rounding must be one of {sorted(_ROUNDING)}")
        if _count(decimals, f"{what}: decimals", 0) > _MAX_DECIMALS:
            raise RatingError(BAD_TARIFF, f"{what}: decimals must be at most {_MAX_DECIMALS}")
        self.rounding: str = rounding
        self.decimals: int = decimals
        self.max_cost = None if max_cost is None else _amount(max_cost, f"{what}: max_cost")
        self.mode = _ROUNDING[rounding]
        self.quantum = Decimal(1).scaleb(-decimals, _EXACT)

    def overridden_by(self, rate: Rate) -> _Terms:
        if rate.rounding is None and rate.decimals is None and rate.max_cost is None:
            return self
        return _Terms(
            self.rounding if rate.rounding is None else rate.rounding,
            self.decimals if rate.decimals is None else rate.decimals,
            self.max_cost if rate.max_cost is None else rate.max_cost,
            f"rate {rate.prefix!r}/{rate.time_band!r}",
        )


class _CompiledRate:
    __slots__ = ("connect_fee", "destination", "fee_weight", "prefix", "steps", "terms")

    def __init__(
        self, prefix: str, destination: str, connect_fee: Decimal, steps: tuple[Any, ...], terms: _Terms
    ) -> None:
        self.prefix = prefix
        self.destination = destination
        self.connect_fee = connect_fee
        self.terms = terms
        # (start, end or None, price, rate_unit, increment[, weight]) tuples: the fastest to unpack.
        self.steps = steps
        self.fee_weight = 0

    def set_weights(self, scale: int, exponent: int) -> None:
        """Turn prices into integer numerators over ``scale * 10**exponent`` (see rule 6)."""

        def shifted(amount: Decimal) -> int:
            return int(amount.scaleb(exponent, _EXACT))

        self.steps = tuple(
            (start, end, price, unit, increment, shifted(price) * (scale // unit))
            for start, end, price, unit, increment in self.steps
        )
        self.fee_weight = shifted(self.connect_fee) * scale


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _compile_rate(rate: Rate, prefix: str, terms: _Terms) -> _CompiledRate:
    what = f"rate {rate.prefix!r}/{rate.time_band!r}"
    if not rate.steps:
        raise RatingError(BAD_TARIFF, f"{what} has no steps")
    starts = [_count(step.interval_start, f"{what} interval_start", 0) for step in rate.steps]
    if starts[0] != 0 or any(b <= a for a, b in pairwise(starts)):
        raise RatingError(BAD_TARIFF, f"{what}: interval starts must begin at 0 and strictly increase")
    steps = tuple(
        (
            start,
            starts[i + 1] if i + 1 < len(starts) else None,
            _amount(step.price, f"{what} price"),
            _count(step.rate_unit, f"{what} rate_unit", 1),
            _count(step.increment, f"{what} increment", 1),
        )
        for i, (start, step) in enumerate(zip(starts, rate.steps, strict=True))
    )
    fee = _amount(rate.connect_fee, f"{what} connect_fee")
    return _CompiledRate(prefix, rate.destination, fee, steps, terms.overridden_by(rate))


class CompiledTariff:
    """A validated ``Tariff`` with its prefix index and calendar built once; pass it to ``rate_record``."""

    __slots__ = ("_matcher", "calendar", "divisor", "min_charge", "tariff", "terms")

    def __init__(self, tariff: Tariff) -> None:
        if tariff.service not in SERVICE_UNITS:
            raise RatingError(BAD_TARIFF, f"unknown service {tariff.service!r}")
        if not isinstance(tariff.currency, str) or not tariff.currency:
            raise RatingError(BAD_TARIFF, "currency is required")
        self.terms = _Terms(tariff.rounding, tariff.decimals, tariff.max_cost, "tariff")
        self.min_charge = None if tariff.min_charge is None else _amount(tariff.min_charge, "min_charge")
        if tariff.effective_from is not None and tariff.effective_from.utcoffset() is None:
            raise RatingError(BAD_TARIFF, "effective_from must be timezone-aware")
        self.tariff = tariff
        self.calendar = CompiledCalendar(tariff.calendar) if tariff.calendar else None
        known = self.calendar.band_names if self.calendar else frozenset()
        by_prefix: dict[str, dict[str | None, _CompiledRate]] = {}
        for rate in tariff.rates:
            try:
                prefix = normalize_prefix(rate.prefix)
            except RatingError as exc:
                raise RatingError(BAD_TARIFF, exc.message) from exc
            if rate.time_band is not None and rate.time_band not in known:
                raise RatingError(BAD_TARIFF, f"rate {rate.prefix!r} uses unknown band {rate.time_band!r}")
            entry = by_prefix.setdefault(prefix, {})
            if rate.time_band in entry:
                raise RatingError(BAD_TARIFF, f"duplicate rate for {prefix!r} in band {rate.time_band!r}")
            entry[rate.time_band] = _compile_rate(rate, prefix, self.terms)
        if not by_prefix:
            raise RatingError(BAD_TARIFF, "tariff has no rates")
        # Common denominator: lcm of the rate units times 10**(most price decimals), so every amount is
        # an exact integer numerator and each division is a single correctly rounded operation (rule 6).
        crates = [crate for entry in by_prefix.values() for crate in entry.values()]
        scale = lcm(*{step[3] for crate in crates for step in crate.steps})
        exponent = max(_exponent(d) for c in crates for d in (c.connect_fee, *(s[2] for s in c.steps)))
        for crate in crates:
            crate.set_weights(scale, exponent)
        # Coefficient `scale`, exponent `exponent`: exact quotients keep the prices' decimals (0.20, not 0.2).
        self.divisor = Decimal(scale).scaleb(exponent, _EXACT)
        self._matcher = PrefixMatcher(by_prefix)

    @property
    def effective_from(self) -> datetime | None:
        return self.tariff.effective_from

    @property
    def max_cost(self) -> Decimal | None:
        """The tariff's own cap (a rate may override it)."""
        return self.terms.max_cost

    def lookup(self, number: str, band: str | None) -> _CompiledRate:
        """Rate for a normalised number in a band (see rule 4 of the module docstring)."""
        longest = self._matcher.match(number)
        if longest is not None:
            found = longest[1].get(band) or longest[1].get(None)
            if found is not None:
                return found
        for _, entry in self._matcher.matches(number):
            found = entry.get(band) or entry.get(None)
            if found is not None:
                return found
        raise RatingError(NO_TARIFF, f"no rate for destination {number!r} in band {band!r}")


def compile_tariff(tariff: Tariff) -> CompiledTariff:
    """Validate a tariff and build its lookup structures (do this once, not per record)."""
    return CompiledTariff(tariff)


def _price_part(
    crate: _CompiledRate, lo: int, hi: int, window_start: int, window_end: int, divisor: Decimal
) -> tuple[tuple[StepCharge, ...], int]:
    """Charge the increments that begin in ``[lo, hi)`` (step coordinates) for one rate.

    Returns the step charges and the exact integer sum of their numerators over ``divisor``.
    """
    charges: list[StepCharge] = []
    total = 0
    for start, end, price, rate_unit, increment, weight in crate.steps:
        if start >= window_end:
            break
        begin = start if start > window_start else window_start
        stop = window_end if end is None or end > window_end else end
        if stop <= begin:
            continue
        # Increment k spans [begin + k*inc, begin + (k+1)*inc); the step bills ceil((stop-begin)/inc) of them.
        count = -((begin - stop) // increment)
        first = 0 if lo <= begin else -((begin - lo) // increment)
        last = count if hi >= stop else min(count, -((begin - hi) // increment))
        if last <= first:
            continue
        billed = (last - first) * increment
        numerator = weight * billed
        total += numerator
        amount = _CTX.divide(numerator, divisor)
        used = (hi if hi < stop else stop) - (lo if lo > begin else begin)
        charges.append(StepCharge(start, end, price, rate_unit, increment, used, last - first, billed, amount))
    return tuple(charges), total


def rate_record(record: UsageRecord, tariff: CompiledTariff | Tariff, pockets: Sequence[Pocket] = ()) -> RatingResult:
    """Price ``record``; see the module docstring for every rule.  Pure: nothing is mutated.

    Pass a ``CompiledTariff`` (``compile_tariff``) when rating many records: a plain ``Tariff`` is
    compiled again on every call.
    """
    compiled = tariff if isinstance(tariff, CompiledTariff) else CompiledTariff(tariff)
    plan = compiled.tariff
    service = record.service
    if service != plan.service:
        if service not in SERVICE_UNITS:
            raise RatingError(BAD_INPUT, f"unknown service {service!r}")
        raise RatingError(NO_TARIFF, f"tariff is for {plan.service}, record is {service}")
    usage = record.usage
    so_far = record.usage_so_far
    if type(usage) is not int or usage < 0 or type(so_far) is not int or so_far < 0:
        raise RatingError(BAD_INPUT, "usage and usage_so_far must be non-negative integers")
    start = record.start
    if not isinstance(start, datetime) or start.utcoffset() is None:
        raise RatingError(BAD_INPUT, "start must be a timezone-aware datetime")
    number = normalize_number(record.destination)
    if not number and service != "data":
        raise RatingError(BAD_INPUT, "destination is empty")

    chargeable = usage if record.answered else 0
    covered = 0
    uses: tuple[Any, ...] = ()
    if pockets and chargeable:
        covered, uses = consume(pockets, SERVICE_UNITS[service], start, chargeable)
    calendar = compiled.calendar
    spans: Sequence[tuple[int, int, str | None]]
    if covered >= chargeable:
        spans = ()
    elif calendar is None:
        spans = ((covered, chargeable, None),)
    elif service == "voice":
        origin = start + timedelta(seconds=covered) if covered else start
        spans = [(lo + covered, hi + covered, b) for lo, hi, b in calendar.split_raw(origin, chargeable - covered)]
    else:
        spans = ((covered, chargeable, calendar.band_at(start)),)

    base = so_far if plan.tiered else 0
    parts: list[PartCharge] = []
    numerators = 0
    first: _CompiledRate | None = None
    for lo, hi, band in spans:
        crate = compiled.lookup(number, band)
        if first is None:
            first = crate
        steps, numerator = _price_part(crate, base + lo, base + hi, base + covered, base + chargeable, compiled.divisor)
        amount = steps[0].amount if len(steps) == 1 else _CTX.divide(numerator, compiled.divisor)
        parts.append(PartCharge(lo, hi, band, crate.prefix, crate.destination, steps, amount))
        numerators += numerator
    if first is not None:
        connect_fee = first.connect_fee
        if len(parts) == 1 and not first.fee_weight:
            subtotal = parts[0].amount
        else:
            # One division of the exact sum, so the total does not depend on how the record was split.
            subtotal = _CTX.divide(numerators + first.fee_weight, compiled.divisor)
        time_bands = (parts[0].time_band,) if len(parts) == 1 else tuple([p.time_band for p in parts])
    else:
        band = calendar.band_at(start) if calendar is not None else None
        first = compiled.lookup(number, band)
        connect_fee = subtotal = ZERO
        time_bands = (band,)

    total = subtotal
    min_applied = cap_applied = False
    min_charge = compiled.min_charge
    if min_charge is not None and (parts or (chargeable == 0 and plan.min_charge_on_zero)) and total < min_charge:
        total = min_charge
        min_applied = True
    terms = first.terms
    max_cost = terms.max_cost
    if max_cost is not None and total > max_cost:
        total = max_cost
        cap_applied = True

    # Positional on purpose: keyword parsing of 22 arguments is a measurable share of the hot path.
    return RatingResult(
        total.quantize(terms.quantum, terms.mode, _CTX),  # cost: (exponent, rounding, context)
        plan.currency,  # currency
        total,  # unrounded_cost
        subtotal,  # subtotal
        first.prefix,  # prefix
        first.destination,  # destination
        time_bands,  # time_bands
        tuple(parts),  # parts
        connect_fee,  # connect_fee
        min_charge,  # min_charge
        min_applied,  # min_charge_applied
        max_cost,  # max_cost
        cap_applied,  # cap_applied
        terms.rounding,  # rounding
        terms.decimals,  # decimals
        uses,  # allowances
        usage,  # usage
        covered,  # covered
        chargeable - covered,  # charged_usage
        plan.tiered,  # tiered
        so_far,  # usage_so_far
        tuple(step for part in parts for step in part.steps) if plan.tiered else (),  # tier_split
    )
