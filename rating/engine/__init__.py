"""Pure rating engine: prices usage records against tariffs held as plain data.

No Django or database code lives here; callers load tariffs, calendars and pockets into the
dataclasses of ``types``, compile the tariff once (``compile_tariff``) and call ``rate_record`` per record.
The rules (steps, increments, rounding, bands, tiers, allowances) are documented in the docstrings
of ``rate``, ``versions``, ``timebands``, ``allowance`` and ``prefix``.
"""

from .allowance import consume, eligible_pockets
from .prefix import CATCH_ALL, PrefixMatcher, normalize_number
from .rate import CompiledTariff, compile_tariff, rate_record
from .timebands import BandPart, CompiledCalendar, compile_calendar
from .types import (
    ALL_WEEKDAYS,
    BAD_INPUT,
    BAD_TARIFF,
    GB,
    KB,
    MB,
    NO_TARIFF,
    SERVICE_UNITS,
    AllowanceUse,
    BandCalendar,
    PartCharge,
    Pocket,
    Rate,
    RateStep,
    RatingError,
    RatingResult,
    StepCharge,
    Tariff,
    TimeBand,
    UsageRecord,
)
from .versions import RateDeck, select_in_force

__all__ = [
    "ALL_WEEKDAYS",
    "BAD_INPUT",
    "BAD_TARIFF",
    "CATCH_ALL",
    "GB",
    "KB",
    "MB",
    "NO_TARIFF",
    "SERVICE_UNITS",
    "AllowanceUse",
    "BandCalendar",
    "BandPart",
    "CompiledCalendar",
    "CompiledTariff",
    "PartCharge",
    "Pocket",
    "PrefixMatcher",
    "Rate",
    "RateDeck",
    "RateStep",
    "RatingError",
    "RatingResult",
    "StepCharge",
    "Tariff",
    "TimeBand",
    "UsageRecord",
    "compile_calendar",
    "compile_tariff",
    "consume",
    "eligible_pockets",
    "normalize_number",
    "rate_record",
    "select_in_force",
]
