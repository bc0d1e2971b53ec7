"""Plain-data inputs and outputs of the rating engine.

Everything here is a frozen, slotted dataclass holding plain Python values (``str``, ``int``,
``Decimal``, ``datetime``); nothing refers to Django or a database, so the engine can be used
from a view, a Celery task or a batch script alike.

Units: a record's ``usage`` is an integer in the base unit of its service (see ``SERVICE_UNITS``):
seconds for voice, messages for SMS and **bytes** for data.  Step and tier positions, rate units
and increments use the same base unit, so "per MB, charged per KB" is ``rate_unit=MB`` and
``increment=KB`` (``KB = 1024`` bytes, ``MB = 1024 * KB``).

Money is always ``Decimal``; floats are rejected when a tariff is compiled because they cannot
represent prices such as 0.1 exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, TypeVar

Service = Literal["voice", "sms", "data"]
RoundingMethod = Literal["up", "half_up", "down"]

SERVICE_UNITS: dict[str, str] = {"voice": "seconds", "sms": "messages", "data": "bytes"}
ALL_WEEKDAYS: frozenset[int] = frozenset(range(7))
KB = 1024
MB = 1024 * KB
GB = 1024 * MB
ZERO = Decimal(0)

NO_TARIFF = "no_tariff"
BAD_INPUT = "bad_input"
BAD_TARIFF = "bad_tariff"


class RatingError(Exception):
    """Raised when a record cannot be rated.

    ``code`` is machine readable: ``no_tariff`` (no rate or tariff version applies),
    ``bad_input`` (the record or pockets are invalid) or ``bad_tariff`` (the tariff data is invalid).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _money(value: Decimal | None) -> str | None:
    # Fixed-point notation: str(Decimal) may use exponents (e.g. '1E+1'), which API clients dislike.
    return None if value is None else format(value, "f")


T = TypeVar("T")


def _fast_init(cls: type[T]) -> type[T]:
    """Give a frozen, slotted output dataclass an equivalent but quicker ``__init__``.

    The ``__init__`` generated for frozen dataclasses stores every field through
    ``object.__setattr__`` (a global lookup plus a generic call per field).  ``rate_record()`` builds several
    result objects per record, and storing through each slot's own descriptor, bound once here, roughly
    halves that cost.  Fields, defaults-free signature, equality, hashing and immutability are unchanged.
    """
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    setters: dict[str, Callable[[Any, Any], None]] = {f"_set_{n}": cls.__dict__[n].__set__ for n in names}
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    namespace: dict[str, Any] = {}
    # Same technique the dataclasses module itself uses; the source is built from field names only.
    exec(f"def __init__(self, {', '.join(names)}):\n{body}", setters, namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[misc]
    return cls


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class RateStep:
    """One step of a rate: applies to usage from ``interval_start`` up to the next step's start."""

    interval_start: int
    price: Decimal
    rate_unit: int
    increment: int


@dataclass(frozen=True, slots=True)
class Rate:
    """The steps charged for a destination prefix, optionally only within one named time band.

    ``prefix`` is digits or ``'*'`` (catch-all); ``time_band=None`` means "any time".  ``rounding``,
    ``decimals`` and ``max_cost`` override the tariff's terms for records priced at this rate (a
    wholesale deck may cap or round one destination differently); ``None`` keeps the tariff's.
    """

    prefix: str
    destination: str
    steps: tuple[RateStep, ...]
    connect_fee: Decimal = ZERO
    time_band: str | None = None
    rounding: RoundingMethod | None = None
    decimals: int | None = None
    max_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TimeBand:
    """A named slice of the week in local time.

    ``weekdays`` uses ``date.weekday()`` numbers (0 = Monday).  The band covers local times
    ``start <= t < end`` of each listed day; ``end == 00:00`` means midnight at the end of the day and
    ``end <= start`` wraps past midnight (both sides count as the *same calendar day's* weekday).
    ``start == end`` covers the whole day.  A ``holidays_only`` band matches only on calendar holidays.
    """

    name: str
    weekdays: frozenset[int] = ALL_WEEKDAYS
    start: time = time(0)
    end: time = time(0)
    holidays_only: bool = False


@dataclass(frozen=True, slots=True)
class BandCalendar:
    """A tenant's time bands, public holidays and IANA time zone name."""

    timezone: str = "UTC"
    bands: tuple[TimeBand, ...] = ()
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Tariff:
    """A complete price list for one service.

    With ``tiered=True`` step positions are cumulative volume in the billing cycle (volume tiers)
    instead of positions from the start of the record.  ``min_charge_on_zero`` makes zero-usage and
    unanswered records cost ``min_charge``; otherwise they are free.
    """

    currency: str
    service: Service
    rates: tuple[Rate, ...]
    calendar: BandCalendar | None = None
    rounding: RoundingMethod = "half_up"
    decimals: int = 2
    max_cost: Decimal | None = None
    min_charge: Decimal | None = None
    min_charge_on_zero: bool = False
    tiered: bool = False
    effective_from: datetime | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One call, message batch or data session to rate.

    ``usage`` is in the service's base unit (seconds, messages, bytes); ``usage_so_far`` is the
    cycle's cumulative usage of the service *before* this record (only used by tiered tariffs).
    """

    service: Service
    destination: str
    start: datetime
    usage: int
    answered: bool = True
    usage_so_far: int = 0


@dataclass(frozen=True, slots=True)
class Pocket:
    """An allowance bucket: ``balance`` of ``unit`` usable in ``valid_from <= t < valid_to``."""

    id: str
    unit: str
    balance: int
    priority: int = 0
    valid_from: datetime | None = None
    valid_to: datetime | None = None


# --------------------------------------------------------------------------- outputs


@_fast_init
@dataclass(frozen=True, slots=True)
class StepCharge:
    """What one rate step charged within one part.

    ``usage`` is the raw usage falling in the step and part, ``increments`` how many whole increments
    were billed and ``billed = increments * increment``; ``amount = billed / rate_unit * price``.
    """

    interval_start: int
    interval_end: int | None
    price: Decimal
    rate_unit: int
    increment: int
    usage: int
    increments: int
    billed: int
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval_start": self.interval_start,
            "interval_end": self.interval_end,
            "price": _money(self.price),
            "rate_unit": self.rate_unit,
            "increment": self.increment,
            "usage": self.usage,
            "increments": self.increments,
            "billed": self.billed,
            "amount": _money(self.amount),
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class PartCharge:
    """A slice ``[start_offset, end_offset)`` of the record (offsets from its start) in one band."""

    start_offset: int
    end_offset: int
    time_band: str | None
    prefix: str
    destination: str
    steps: tuple[StepCharge, ...]
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_offset": self.start_offset,
            "end_offset": self.end_offset,
            "time_band": self.time_band,
            "prefix": self.prefix,
            "destination": self.destination,
            "steps": [step.to_dict() for step in self.steps],
            "amount": _money(self.amount),
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class AllowanceUse:
    """How much of one pocket a record consumed."""

    pocket_id: str
    unit: str
    used: int
    balance_after: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "pocket_id": self.pocket_id,
            "unit": self.unit,
            "used": self.used,
            "balance_after": self.balance_after,
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class RatingResult:
    """The priced record and the full explanation of how the price was reached."""

    cost: Decimal
    currency: str
    unrounded_cost: Decimal
    subtotal: Decimal
    prefix: str
    destination: str
    time_bands: tuple[str | None, ...]
    parts: tuple[PartCharge, ...]
    connect_fee: Decimal
    min_charge: Decimal | None
    min_charge_applied: bool
    max_cost: Decimal | None
    cap_applied: bool
    rounding: str
    decimals: int
    allowances: tuple[AllowanceUse, ...]
    usage: int
    covered: int
    charged_usage: int
    tiered: bool
    usage_so_far: int
    tier_split: tuple[StepCharge, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly breakdown: Decimals become fixed-point strings, everything else stays plain."""
        return {
            "cost": _money(self.cost),
            "currency": self.currency,
            "unrounded_cost": _money(self.unrounded_cost),
            "subtotal": _money(self.subtotal),
            "prefix": self.prefix,
            "destination": self.destination,
            "time_bands": list(self.time_bands),
            "parts": [part.to_dict() for part in self.parts],
            "connect_fee": _money(self.connect_fee),
            "min_charge": _money(self.min_charge),
            "min_charge_applied": self.min_charge_applied,
            "max_cost": _money(self.max_cost),
            "cap_applied": self.cap_applied,
            "rounding": self.rounding,
            "decimals": self.decimals,
            "allowances": [use.to_dict() for use in self.allowances],
            "usage": self.usage,
            "covered": self.covered,
            "charged_usage": self.charged_usage,
            "tiered": self.tiered,
            "usage_so_far": self.usage_so_far,
            "tier_split": [step.to_dict() for step in self.tier_split],
        }
