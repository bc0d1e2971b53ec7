"""Time bands: which named band is in force at an instant, and splitting an interval at band changes.

Rules
-----
* Bands are evaluated on the **local wall clock** of the calendar's IANA zone (``zoneinfo``).  A band
  matches local date ``d`` and time of day ``t`` when ``d.weekday()`` is in its weekdays and ``t`` is
  in ``[start, end)``; ``end == 00:00`` is midnight at the end of the day, ``end < start`` wraps
  (``22:00-06:00`` on Monday covers Monday 00:00-06:00 and Monday 22:00-24:00), ``start == end`` is
  the whole day.
* Precedence when several bands match: on a calendar holiday a matching ``holidays_only`` band wins;
  otherwise (and on ordinary days, where ``holidays_only`` bands never match) the **most specific**
  band wins, i.e. the one covering the fewest seconds per week (``len(weekdays) * daily span``); ties go
  to the band listed first.  If nothing matches the band is ``None`` ("any time" rates apply).
* Durations are **elapsed** seconds.  Across a DST change the wall clock jumps but the call does not:
  on the Europe/Madrid spring-forward day 00:00-08:00 local is only 7 hours long.
* ``split`` reports parts in whole seconds from the interval start: second ``k`` (the instant
  ``start + k`` s) belongs to the band in force at that instant, so a boundary falling inside a second
  moves the whole second to the later band.  Adjacent parts in the same band are merged.

Implementation: for each local day the calendar precomputes (and caches) the sorted UTC instants, in
integer microseconds, at which the band may change (band starts/ends in both DST folds, plus any
UTC-offset transition found by sampling hourly and bisecting).  Lookups are then a ``bisect``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .types import BAD_INPUT, BAD_TARIFF, BandCalendar, RatingError, TimeBand

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SECOND = 1_000_000
_HOUR = 3600 * _SECOND
_DAY_SECONDS = 86_400
_DAY_MICROS = _DAY_SECONDS * _SECOND
_EPOCH_ORDINAL = _EPOCH.toordinal()
_CACHE_DAYS = 4096


@dataclass(frozen=True, slots=True)
class BandPart:
    """A slice ``[start, end)`` of an interval, in seconds from its start, inside one band."""

    start: int
    end: int
    band: str | None


def to_micros(instant: datetime) -> int:
    """Exact POSIX time of an aware datetime in integer microseconds."""
    try:
        return (instant - _EPOCH) // _US
    except TypeError as exc:  # naive datetimes cannot be subtracted from an aware one
        raise RatingError(BAD_INPUT, f"datetime {instant!r} must be timezone-aware") from exc


def _seconds_of_day(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


class _Band:
    __slots__ = ("end", "name", "order", "start", "weekdays", "weekly", "wraps")

    def __init__(self, band: TimeBand, order: int) -> None:
        if not band.weekdays or not set(band.weekdays) <= set(range(7)):
            raise RatingError(BAD_TARIFF, f"band {band.name!r}: weekdays must be a non-empty subset of 0..6")
        for value in (band.start, band.end):
            if not isinstance(value, time) or value.tzinfo is not None or value.microsecond:
                raise RatingError(BAD_TARIFF, f"band {band.name!r}: start/end must be naive whole-second times")
        self.name = band.name
        self.weekdays = frozenset(band.weekdays)
        self.start = _seconds_of_day(band.start)
        end = _seconds_of_day(band.end)
        self.end = end if end > self.start else end + _DAY_SECONDS
        # A wrapping band is matched as two daily ranges: [start, 24h) and [0, end - 24h).
        self.wraps = self.end > _DAY_SECONDS
        self.weekly = len(self.weekdays) * (self.end - self.start)
        self.order = order

    def covers(self, weekday: int, second: int) -> bool:
        if weekday not in self.weekdays:
            return False
        if self.start <= second < self.end:
            return True
        return self.wraps and second < self.end - _DAY_SECONDS


class CompiledCalendar:
    """A ``BandCalendar`` prepared for fast ``band_at`` and ``split`` calls (immutable apart from caches)."""

    __slots__ = ("_cuts", "_days", "_holiday", "_holidays", "_regular", "calendar", "tz")

    def __init__(self, calendar: BandCalendar) -> None:
        try:
            self.tz = ZoneInfo(calendar.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise RatingError(BAD_TARIFF, f"unknown time zone {calendar.timezone!r}") from exc
        names = [band.name for band in calendar.bands]
        if len(set(names)) != len(names):
            raise RatingError(BAD_TARIFF, "time band names must be unique")
        bands = [_Band(band, order) for order, band in enumerate(calendar.bands)]
        bands.sort(key=lambda band: (band.weekly, band.order))
        self.calendar = calendar
        self._regular = tuple(band for band in bands if not calendar.bands[band.order].holidays_only)
        self._holiday = tuple(band for band in bands if calendar.bands[band.order].holidays_only)
        self._holidays = frozenset(calendar.holidays)
        # Local times at which some band may start or stop; midnight is every day's first point anyway.
        cuts = {moment for band in calendar.bands for moment in (band.start, band.end)} - {time(0)}
        self._cuts = tuple(sorted(cuts))
        self._days: dict[int, tuple[list[int], list[str | None], int]] = {}

    @property
    def band_names(self) -> frozenset[str]:
        return frozenset(band.name for band in self.calendar.bands)

    def band_for_wall_time(self, day: date, second: int) -> str | None:
        """Band in force at local ``day`` and ``second`` of the day, applying the precedence rules."""
        weekday = day.weekday()
        if day in self._holidays:
            for band in self._holiday:
                if band.covers(weekday, second):
                    return band.name
        for band in self._regular:
            if band.covers(weekday, second):
                return band.name
        return None

    def band_at(self, instant: datetime) -> str | None:
        """Band in force at an aware instant."""
        micros = to_micros(instant)
        points, bands, _ = self._day_of(micros)[1]
        return bands[bisect_right(points, micros) - 1]

    def split(self, start: datetime, seconds: int) -> list[BandPart]:
        """Split ``[start, start + seconds)`` at band changes; see the module rules."""
        return [BandPart(lo, hi, band) for lo, hi, band in self.split_raw(start, seconds)]

    def split_raw(self, start: datetime, seconds: int) -> list[tuple[int, int, str | None]]:
        """Like ``split`` but returns ``(start, end, band)`` tuples (the engine's fast path)."""
        if seconds <= 0:
            return []
        origin = to_micros(start)
        finish = origin + seconds * _SECOND
        ordinal, (points, bands, day_end) = self._day_of(origin)
        index = bisect_right(points, origin) - 1
        parts: list[tuple[int, int, str | None]] = []
        cursor = origin
        while cursor < finish:
            seg_end = points[index + 1] if index + 1 < len(points) else day_end
            upto = seg_end if seg_end < finish else finish
            # Ceiling division: a second that starts at or after the change belongs to the new band.
            lo = -((origin - cursor) // _SECOND)
            hi = -((origin - upto) // _SECOND)
            band = bands[index]
            if hi > lo:
                if parts and parts[-1][2] == band:
                    parts[-1] = (parts[-1][0], hi, band)
                else:
                    parts.append((lo, hi, band))
            cursor = upto
            index += 1
            if index == len(points) and cursor < finish:
                ordinal += 1
                points, bands, day_end = self._day(ordinal)
                index = 0
        return parts

    # ------------------------------------------------------------------ per-day tables

    def _day_of(self, micros: int) -> tuple[int, tuple[list[int], list[str | None], int]]:
        # Start from the UTC date: UTC offsets are under a day, so the local date is at most one off.
        ordinal = micros // _DAY_MICROS + _EPOCH_ORDINAL
        table = self._day(ordinal)
        if micros < table[0][0]:
            ordinal -= 1
            table = self._day(ordinal)
        elif micros >= table[2]:
            ordinal += 1
            table = self._day(ordinal)
        return ordinal, table

    def _day(self, ordinal: int) -> tuple[list[int], list[str | None], int]:
        table = self._days.get(ordinal)
        if table is None:
            if len(self._days) >= _CACHE_DAYS:
                self._days.clear()
            table = self._days[ordinal] = self._build_day(ordinal)
        return table

    def _local_micros(self, day: date, at: time, fold: int) -> int:
        return to_micros(datetime.combine(day, at, tzinfo=self.tz).replace(fold=fold))

    def _offset(self, micros: int) -> timedelta | None:
        return (_EPOCH + micros * _US).astimezone(self.tz).utcoffset()

    def _build_day(self, ordinal: int) -> tuple[list[int], list[str | None], int]:
        day = date.fromordinal(ordinal)
        first = self._local_micros(day, time(0), 0)
        last = self._local_micros(day + timedelta(days=1), time(0), 0)
        points = {first}
        for cut in self._cuts:
            for fold in (0, 1):
                micros = self._local_micros(day, cut, fold)
                if first < micros < last:
                    points.add(micros)
        # Offset changes (DST) move the wall clock without a band cut; find them by sampling + bisection.
        samples = sorted(points | {last} | set(range(first, last, _HOUR)))
        for left, right in pairwise(samples):
            if self._offset(left) != self._offset(right - _SECOND):
                points.add(self._transition(left, right - _SECOND))
        ordered = sorted(points)
        bands: list[str | None] = []
        merged: list[int] = []
        for micros in ordered:
            local = (_EPOCH + micros * _US).astimezone(self.tz)
            band = self.band_for_wall_time(local.date(), local.hour * 3600 + local.minute * 60 + local.second)
            if not bands or bands[-1] != band:
                merged.append(micros)
                bands.append(band)
        return merged, bands, last

    def _transition(self, lo: int, hi: int) -> int:
        """First whole second in ``(lo, hi]`` whose UTC offset differs from the offset at ``lo``."""
        before = self._offset(lo)
        while hi - lo > _SECOND:
            mid = lo + (hi - lo) // (2 * _SECOND) * _SECOND
            if self._offset(mid) == before:
                lo = mid
            else:
                hi = mid
        return hi


def compile_calendar(calendar: BandCalendar) -> CompiledCalendar:
    """Validate and prepare a calendar; reuse the result for every record."""
    return CompiledCalendar(calendar)
