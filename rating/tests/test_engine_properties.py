"""Property tests (hypothesis) for invariants of the rating engine (no DB)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Context, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rating.engine import (
    BandCalendar,
    Pocket,
    PrefixMatcher,
    Rate,
    RateStep,
    Tariff,
    TimeBand,
    UsageRecord,
    compile_calendar,
    compile_tariff,
    rate_record,
)

D = Decimal
WEEK_START = datetime(2024, 3, 25, tzinfo=UTC)  # the week of the Madrid spring DST change
CALENDAR = BandCalendar(
    "Europe/Madrid",
    (
        TimeBand("peak", frozenset(range(5)), time(8), time(20)),
        TimeBand("offpeak", frozenset(range(5)), time(20), time(8)),
        TimeBand("weekend", frozenset({5, 6})),
    ),
)

prices = st.decimals(min_value=0, max_value=5, places=3, allow_nan=False, allow_infinity=False)
units = st.sampled_from([1, 6, 30, 60])


@st.composite
def step_lists(draw: st.DrawFn) -> tuple[RateStep, ...]:
    starts = [0, *sorted(draw(st.sets(st.integers(1, 600), max_size=3)))]
    return tuple(RateStep(start, draw(prices), draw(units), draw(units)) for start in starts)


instants = st.integers(0, 14 * 86_400).map(lambda s: WEEK_START + timedelta(seconds=s))
durations = st.integers(0, 4 * 3600)


@settings(max_examples=300, deadline=None)
@given(steps=step_lists(), fee=prices, first=durations, extra=durations)
def test_cost_never_decreases_when_a_call_gets_longer(
    steps: tuple[RateStep, ...], fee: Decimal, first: int, extra: int
) -> None:
    tariff = compile_tariff(Tariff("EUR", "voice", (Rate("*", "Any", steps, fee),), rounding="up"))
    start = datetime(2024, 5, 6, 10, tzinfo=UTC)

    shorter = rate_record(UsageRecord("voice", "34", start, first), tariff)
    longer = rate_record(UsageRecord("voice", "34", start, first + extra), tariff)

    assert shorter.unrounded_cost <= longer.unrounded_cost
    assert shorter.cost <= longer.cost


@settings(max_examples=200, deadline=None)
@given(
    peak=step_lists(),
    offpeak=step_lists(),
    weekend=step_lists(),
    start=instants,
    first=durations,
    extra=durations,
)
def test_banded_cost_never_decreases_when_a_call_gets_longer(
    peak: tuple[RateStep, ...],
    offpeak: tuple[RateStep, ...],
    weekend: tuple[RateStep, ...],
    start: datetime,
    first: int,
    extra: int,
) -> None:
    rates = (
        Rate("*", "Any", peak, time_band="peak"),
        Rate("*", "Any", offpeak),
        Rate("*", "Any", weekend, time_band="weekend"),
    )
    tariff = compile_tariff(Tariff("EUR", "voice", rates, calendar=CALENDAR))

    shorter = rate_record(UsageRecord("voice", "34", start, first), tariff)
    longer = rate_record(UsageRecord("voice", "34", start, first + extra), tariff)

    assert shorter.unrounded_cost <= longer.unrounded_cost


@settings(max_examples=200, deadline=None)
@given(steps=step_lists(), start=instants, seconds=durations)
def test_splitting_at_bands_with_one_shared_rate_costs_the_same_as_not_splitting(
    steps: tuple[RateStep, ...], start: datetime, seconds: int
) -> None:
    anytime = (Rate("*", "Any", steps, D("0.01")),)
    plain = compile_tariff(Tariff("EUR", "voice", anytime, decimals=6))
    banded = compile_tariff(Tariff("EUR", "voice", anytime, calendar=CALENDAR, decimals=6))
    record = UsageRecord("voice", "34", start, seconds)

    assert rate_record(record, banded).unrounded_cost == rate_record(record, plain).unrounded_cost


@settings(max_examples=200, deadline=None)
@given(start=instants, seconds=durations)
def test_band_parts_are_contiguous_and_cover_the_whole_call(start: datetime, seconds: int) -> None:
    parts = compile_calendar(CALENDAR).split(start, seconds)

    assert [part.start for part in parts[:1]] == ([0] if seconds else [])
    assert all(a.end == b.start and a.band != b.band for a, b in pairwise(parts))
    assert all(part.start < part.end for part in parts)
    assert [part.end for part in parts[-1:]] == ([seconds] if seconds else [])


pockets = st.lists(
    st.builds(
        Pocket,
        id=st.uuids().map(str),
        unit=st.sampled_from(["seconds", "seconds", "messages"]),
        balance=st.integers(0, 500),
        priority=st.integers(0, 3),
        valid_to=st.none() | st.integers(-3, 3).map(lambda d: datetime(2024, 5, 15, tzinfo=UTC) + timedelta(days=d)),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(pocket_list=pockets, seconds=st.integers(0, 2000))
def test_allowance_coverage_plus_charged_remainder_equals_the_usage(pocket_list: list[Pocket], seconds: int) -> None:
    tariff = compile_tariff(Tariff("EUR", "voice", (Rate("*", "Any", (RateStep(0, D("0.10"), 60, 1),)),)))
    at = datetime(2024, 5, 15, tzinfo=UTC)

    result = rate_record(UsageRecord("voice", "34", at, seconds), tariff, pocket_list)

    usable = sum(p.balance for p in pocket_list if p.unit == "seconds" and (p.valid_to is None or p.valid_to > at))
    assert result.covered + result.charged_usage == seconds
    assert result.covered == min(seconds, usable)
    assert sum(use.used for use in result.allowances) == result.covered
    by_id = {p.id: p for p in pocket_list}
    assert all(0 < use.used <= by_id[use.pocket_id].balance for use in result.allowances)
    # charged seconds at 1/1: exactly the remainder is priced (same 34-digit precision as the engine)
    assert result.unrounded_cost == Context(prec=34).divide(D("0.10") * result.charged_usage, 60)


@settings(max_examples=200, deadline=None)
@given(
    prefixes=st.sets(st.from_regex(r"[1-9][0-9]{0,5}", fullmatch=True), max_size=40),
    number=st.text("0123456789", max_size=12),
)
def test_prefix_matcher_agrees_with_a_brute_force_scan(prefixes: set[str], number: str) -> None:
    matcher = PrefixMatcher({p: p for p in prefixes})

    candidates = [p for p in prefixes if number.startswith(p)]
    expected = max(candidates, key=len) if candidates else None

    found = matcher.match(number)
    assert (found[0] if found else None) == expected


ZONES = ["Europe/Madrid", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Santiago", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    seconds=st.integers(0, 3 * 365 * 86_400),
)
def test_band_at_agrees_with_the_local_wall_clock_in_any_zone(zone: str, seconds: int) -> None:
    calendar = compile_calendar(BandCalendar(zone, CALENDAR.bands))
    instant = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)

    local = instant.astimezone(ZoneInfo(zone))
    expected = calendar.band_for_wall_time(local.date(), local.hour * 3600 + local.minute * 60 + local.second)

    assert calendar.band_at(instant) == expected


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    offset=st.integers(0, 3 * 365 * 86_400),
    micros=st.integers(0, 999_999),
    seconds=st.integers(1, 3 * 86_400),
    probes=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=10),
)
def test_every_second_of_a_split_is_in_the_band_in_force_when_it_starts(
    zone: str, offset: int, micros: int, seconds: int, probes: list[float]
) -> None:
    calendar = compile_calendar(BandCalendar(zone, CALENDAR.bands))
    start = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=offset, microseconds=micros)

    parts = calendar.split(start, seconds)

    for k in [part.start for part in parts] + [int(p * seconds) for p in probes]:
        (part,) = [part for part in parts if part.start <= k < part.end]
        assert part.band == calendar.band_at(start + timedelta(seconds=k))
