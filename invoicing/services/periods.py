"""Pure date math of billing: period grids aligned on the bill-cycle day, days of service, proration.

Conventions (see docs/invoicing.md):
- A period is [start, end) - `end` exclusive; `last_day` is the inclusive end shown on invoices.
- Monthly grids are anchored on the bill-cycle day; days 29-31 fall back to the month's last day in
  shorter months (day 31 gives Jan 31 -> Feb 28 (29 in leap years) -> Mar 31 -> Apr 30 ...).
- Weekly grids start on an ISO weekday (1 = Monday); yearly cycles start on the bill day of January;
  a yearly charge's periods start on the bill day of the month of its first aligned date, so a
  subscription starting off the bill day gets a leading stub up to that date (Kill Bill's alignment).
- Proration = days of service / days of the period that holds them (14 days of a 31-day month =
  14/31). With the tenant's 30-day option a monthly period counts 30 days and each day of service
  1/30, never more than 30/30. Fractions stay exact (numerator, denominator) until the amount is rounded.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MONTH = "month"
WEEK = "week"
YEAR = "year"
DAY = "day"
THIRTY = 30


def month_last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def anchored(year: int, month: int, day: int) -> date:
    """Day `day` of the month, falling back to the month's last day (bill day 31 in April -> 30)."""
    return date(year, month, min(day, month_last_day(year, month)))


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def overlap_days(self, start: date, end: date) -> int:
        """Days of [start, end) inside this period."""
        return max(0, (min(self.end, end) - max(self.start, start)).days)


@dataclass(frozen=True)
class Grid:
    """Consecutive periods of one length: `day` is the day of month (month/year), the ISO weekday (week);
    `month` is the anchor month of yearly grids."""

    unit: str
    day: int = 1
    month: int = 1

    def containing(self, when: date) -> Period:
        if self.unit == DAY:
            return Period(when, when + timedelta(days=1))
        if self.unit == WEEK:
            start = when - timedelta(days=(when.isoweekday() - self.day) % 7)
            return Period(start, start + timedelta(days=7))
        if self.unit == MONTH:
            anchor = anchored(when.year, when.month, self.day)
            if when >= anchor:
                return Period(anchor, anchored(*shift_month(when.year, when.month, 1), self.day))
            return Period(anchored(*shift_month(when.year, when.month, -1), self.day), anchor)
        if self.unit == YEAR:
            anchor = anchored(when.year, self.month, self.day)
            if when >= anchor:
                return Period(anchor, anchored(when.year + 1, self.month, self.day))
            return Period(anchored(when.year - 1, self.month, self.day), anchor)
        raise ValueError(f"unknown period unit {self.unit!r}")

    def following(self, period: Period) -> Period:
        return self.containing(period.end)

    def periods(self, first_day: date, last_start: date) -> Iterator[Period]:
        """The periods from the one holding `first_day` up to the last one starting on or before `last_start`."""
        period = self.containing(first_day)
        while period.start <= last_start:
            yield period
            period = self.following(period)

    def index_of(self, origin: date, period: Period) -> int:
        """How many periods lie between the one holding `origin` (index 0) and `period`."""
        index, current = 0, self.containing(origin)
        while current.start < period.start:
            current, index = self.following(current), index + 1
        return index


def weekday_of(bill_day: int) -> int:
    return (bill_day - 1) % 7 + 1


def cycle_grid(cycle_period: str, bill_day: int) -> Grid:
    """The grid of an account's billing periods (invoice periods)."""
    if cycle_period == WEEK:
        return Grid(WEEK, weekday_of(bill_day))
    if cycle_period in (MONTH, YEAR, DAY):
        return Grid(cycle_period, bill_day, 1)
    raise ValueError(f"unknown billing period {cycle_period!r}")


def charge_grid(charge_period: str, cycle_period: str, bill_day: int, first_service_day: date) -> Grid:
    """The grid of a recurring charge's periods, aligned on the account's bill-cycle day."""
    day_of_month = bill_day if cycle_period in (MONTH, YEAR) else 1
    if charge_period == MONTH:
        return Grid(MONTH, day_of_month)
    if charge_period == WEEK:
        return Grid(WEEK, weekday_of(bill_day) if cycle_period == WEEK else 1)
    if charge_period == DAY:
        return Grid(DAY)
    if charge_period == YEAR:
        # Anchor month: the first date on or after the start that falls on the bill day.
        first = first_service_day
        month = first.month
        if first > anchored(first.year, first.month, day_of_month):
            month = shift_month(first.year, first.month, 1)[1]
        return Grid(YEAR, day_of_month, month)
    raise ValueError(f"unknown charge period {charge_period!r}")


def subtract(intervals: Sequence[tuple[date, date]], cuts: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """[from, to) intervals minus the [from, to) cuts."""
    result = list(intervals)
    for cut_start, cut_stop in sorted(cuts):
        kept: list[tuple[date, date]] = []
        for a, b in result:
            if cut_stop <= a or cut_start >= b:
                kept.append((a, b))
                continue
            if a < cut_start:
                kept.append((a, cut_start))
            if cut_stop < b:
                kept.append((cut_stop, b))
        result = kept
    return result


def service_intervals(
    start: date, end: date | None, pauses: Sequence[tuple[date, date | None]] = ()
) -> list[tuple[date, date]]:
    """Days in service as [from, to) intervals: [start, end] minus the paused days."""
    whole = [(start, end + timedelta(days=1) if end else date.max)]
    return subtract(whole, [(a, b + timedelta(days=1) if b else date.max) for a, b in pauses])


def service_days(intervals: Sequence[tuple[date, date]], period: Period) -> int:
    return sum(period.overlap_days(a, b) for a, b in intervals)


def proration(days: int, period: Period, unit: str, thirty_day_months: bool) -> tuple[int, int]:
    """(numerator, denominator) of the charge for `days` of service in `period` (kept exact, not reduced)."""
    if unit == MONTH and thirty_day_months:
        return (THIRTY if days >= period.days else min(days, THIRTY)), THIRTY
    return days, period.days
