"""Time bands: band lookup, precedence, splitting across midnight/DST and per-part pricing (no DB)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rating.engine import (
    BandCalendar,
    BandPart,
    CompiledTariff,
    Rate,
    RateStep,
    RatingError,
    Tariff,
    TimeBand,
    UsageRecord,
    compile_calendar,
    compile_tariff,
    rate_record,
)

D = Decimal
MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS = frozenset(range(5))
MAY_DAY = date(2024, 5, 1)  # a Wednesday

CALENDAR = BandCalendar(
    "Europe/Madrid",
    (
        TimeBand("peak", WEEKDAYS, time(8), time(20)),
        TimeBand("offpeak", WEEKDAYS, time(20), time(8)),
        TimeBand("weekend", frozenset({5, 6})),
        TimeBand("holiday", holidays_only=True),
    ),
    frozenset({MAY_DAY}),
)


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def per_minute(price: str, band: str | None, prefix: str = "34", connect_fee: str = "0") -> Rate:
    return Rate(prefix, "Spain", (RateStep(0, D(price), 60, 60),), D(connect_fee), band)


def banded_tariff(*rates: Rate) -> CompiledTariff:
    return compile_tariff(Tariff("EUR", "voice", rates, calendar=CALENDAR))


# ------------------------------------------------------------------ band lookup


@pytest.mark.parametrize(
    ("instant", "band"),
    [
        (madrid(2024, 5, 6, 10, 0), "peak"),  # Monday morning
        (madrid(2024, 5, 6, 8, 0), "peak"),  # start is inclusive
        (madrid(2024, 5, 6, 7, 59, 59), "offpeak"),  # wrapped band, early side
        (madrid(2024, 5, 6, 20, 0), "offpeak"),  # end is exclusive
        (madrid(2024, 5, 6, 23, 59, 59), "offpeak"),  # wrapped band, late side
        (madrid(2024, 5, 11, 12, 0), "weekend"),  # Saturday
        (madrid(2024, 5, 12, 3, 0), "weekend"),  # Sunday night
        (madrid(2024, 5, 1, 10, 0), "holiday"),  # holiday beats the weekday peak band
        (datetime(2024, 5, 6, 7, 0, tzinfo=UTC), "peak"),  # 07:00 UTC is 09:00 in Madrid
    ],
)
def test_band_at_follows_the_local_wall_clock(instant: datetime, band: str) -> None:
    calendar = compile_calendar(CALENDAR)

    assert calendar.band_at(instant) == band


def test_holiday_band_never_applies_on_ordinary_days() -> None:
    calendar = compile_calendar(CALENDAR)

    assert calendar.band_at(madrid(2024, 5, 2, 10, 0)) == "peak"


def test_weekday_bands_apply_on_a_holiday_outside_the_holiday_band_hours() -> None:
    morning_holiday = BandCalendar(
        "Europe/Madrid",
        (
            TimeBand("peak", WEEKDAYS, time(8), time(20)),
            TimeBand("holiday", start=time(9), end=time(14), holidays_only=True),
        ),
        frozenset({MAY_DAY}),
    )
    calendar = compile_calendar(morning_holiday)

    assert calendar.band_at(madrid(2024, 5, 1, 10, 0)) == "holiday"
    assert calendar.band_at(madrid(2024, 5, 1, 16, 0)) == "peak"


def test_most_specific_band_wins_when_bands_overlap() -> None:
    lunch = BandCalendar(
        "Europe/Madrid",
        (TimeBand("peak", WEEKDAYS, time(8), time(20)), TimeBand("lunch", WEEKDAYS, time(13), time(15))),
    )
    calendar = compile_calendar(lunch)

    # lunch covers 5 * 2 h a week, peak 5 * 12 h: lunch is more specific
    assert calendar.band_at(madrid(2024, 5, 6, 14, 0)) == "lunch"
    assert calendar.band_at(madrid(2024, 5, 6, 16, 0)) == "peak"


def test_holiday_band_beats_a_more_specific_weekday_band_on_a_holiday() -> None:
    lunch_and_holiday = BandCalendar(
        "Europe/Madrid",
        (TimeBand("lunch", WEEKDAYS, time(13), time(15)), TimeBand("holiday", holidays_only=True)),
        frozenset({MAY_DAY}),
    )

    assert compile_calendar(lunch_and_holiday).band_at(madrid(2024, 5, 1, 14, 0)) == "holiday"


def test_band_lookup_needs_an_aware_instant() -> None:
    with pytest.raises(RatingError) as error:
        compile_calendar(CALENDAR).band_at(datetime(2024, 5, 6, 10, 0))

    assert error.value.code == "bad_input"


def test_equally_specific_bands_resolve_to_the_first_listed() -> None:
    twins = BandCalendar(
        "UTC", (TimeBand("first", start=time(8), end=time(9)), TimeBand("second", start=time(8), end=time(9)))
    )

    assert compile_calendar(twins).band_at(datetime(2024, 5, 6, 8, 30, tzinfo=UTC)) == "first"


def test_no_matching_band_is_none_meaning_any_time() -> None:
    office = BandCalendar("UTC", (TimeBand("office", WEEKDAYS, time(9), time(17)),))

    assert compile_calendar(office).band_at(datetime(2024, 5, 6, 18, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    "calendar",
    [
        BandCalendar("Mars/Olympus", ()),
        BandCalendar("UTC", (TimeBand("a"), TimeBand("a"))),
        BandCalendar("UTC", (TimeBand("a", frozenset({7})),)),
        BandCalendar("UTC", (TimeBand("a", frozenset()),)),
    ],
)
def test_invalid_calendars_are_rejected(calendar: BandCalendar) -> None:
    with pytest.raises(RatingError) as error:
        compile_calendar(calendar)

    assert error.value.code == "bad_tariff"


# ------------------------------------------------------------------ splitting


def test_call_across_midnight_into_the_weekend_is_split_at_midnight() -> None:
    calendar = compile_calendar(CALENDAR)

    # Friday 23:50 + 20 min: 10 min off-peak, then Saturday
    parts = calendar.split(madrid(2024, 5, 10, 23, 50), 1200)

    assert parts == [BandPart(0, 600, "offpeak"), BandPart(600, 1200, "weekend")]


def test_call_across_midnight_within_one_band_stays_in_one_part() -> None:
    calendar = compile_calendar(CALENDAR)

    # Monday 23:50 -> Tuesday 00:10 is off-peak on both days
    parts = calendar.split(madrid(2024, 5, 6, 23, 50), 1200)

    assert parts == [BandPart(0, 1200, "offpeak")]


def test_call_across_a_band_boundary_is_split_at_the_boundary() -> None:
    calendar = compile_calendar(CALENDAR)

    parts = calendar.split(madrid(2024, 5, 6, 19, 58), 300)

    assert parts == [BandPart(0, 120, "peak"), BandPart(120, 300, "offpeak")]


def test_second_straddling_a_boundary_belongs_to_the_later_band() -> None:
    calendar = compile_calendar(CALENDAR)

    # second 0 starts 19:59:59.5 (peak), second 1 starts 20:00:00.5 (off-peak)
    parts = calendar.split(madrid(2024, 5, 6, 19, 59, 59, 500_000), 2)

    assert parts == [BandPart(0, 1, "peak"), BandPart(1, 2, "offpeak")]


def test_long_call_spans_several_days_and_bands() -> None:
    calendar = compile_calendar(CALENDAR)

    # Friday 19:00 for 2 days: peak 1 h, off-peak 4 h to midnight, weekend 43 h
    parts = calendar.split(madrid(2024, 5, 10, 19, 0), 48 * 3600)

    assert parts == [
        BandPart(0, 3600, "peak"),
        BandPart(3600, 5 * 3600, "offpeak"),
        BandPart(5 * 3600, 48 * 3600, "weekend"),
    ]


NIGHT_AND_DAY = BandCalendar("Europe/Madrid", (TimeBand("night", end=time(8)), TimeBand("day", start=time(8))))


def test_dst_spring_forward_night_band_lasts_seven_hours_in_madrid() -> None:
    calendar = compile_calendar(NIGHT_AND_DAY)

    # 2024-03-31: 02:00 CET jumps to 03:00 CEST, so 00:00 -> 08:00 local is 7 elapsed hours
    parts = calendar.split(madrid(2024, 3, 31, 0, 0), 8 * 3600)

    assert parts == [BandPart(0, 7 * 3600, "night"), BandPart(7 * 3600, 8 * 3600, "day")]


def test_dst_fall_back_night_band_lasts_nine_hours_in_madrid() -> None:
    calendar = compile_calendar(NIGHT_AND_DAY)

    # 2024-10-27: 03:00 CEST falls back to 02:00 CET, so 00:00 -> 08:00 local is 9 elapsed hours
    parts = calendar.split(madrid(2024, 10, 27, 0, 0), 10 * 3600)

    assert parts == [BandPart(0, 9 * 3600, "night"), BandPart(9 * 3600, 10 * 3600, "day")]


TWO_AM = BandCalendar("Europe/Madrid", (TimeBand("two_am", start=time(2), end=time(3)),))


def test_band_in_the_repeated_autumn_hour_applies_twice() -> None:
    calendar = compile_calendar(TWO_AM)

    # 00:00 UTC = 02:00 CEST; 02:00-03:00 local happens twice (00:00-02:00 UTC) then 03:00 CET
    parts = calendar.split(datetime(2024, 10, 27, 0, 0, tzinfo=UTC), 3 * 3600)

    assert parts == [BandPart(0, 2 * 3600, "two_am"), BandPart(2 * 3600, 3 * 3600, None)]


def test_band_in_the_skipped_spring_hour_never_applies() -> None:
    calendar = compile_calendar(TWO_AM)

    # 00:30 UTC = 01:30 CET; at 01:00 UTC the clock jumps from 02:00 to 03:00 CEST
    parts = calendar.split(datetime(2024, 3, 31, 0, 30, tzinfo=UTC), 3600)

    assert parts == [BandPart(0, 3600, None)]


def test_split_of_an_empty_interval_has_no_parts() -> None:
    assert compile_calendar(CALENDAR).split(madrid(2024, 5, 6, 10), 0) == []


# ------------------------------------------------------------------ pricing by band


def test_call_in_a_band_is_priced_with_that_bands_rate() -> None:
    tariff = banded_tariff(per_minute("0.20", "peak"), per_minute("0.05", "offpeak"), per_minute("0.01", "weekend"))

    saturday = rate_record(UsageRecord("voice", "+34911", madrid(2024, 5, 11, 12), 600), tariff)
    monday = rate_record(UsageRecord("voice", "+34911", madrid(2024, 5, 6, 12), 600), tariff)

    # 10 min * 0.01 and 10 min * 0.20
    assert (saturday.time_bands, saturday.cost) == (("weekend",), D("0.10"))
    assert (monday.time_bands, monday.cost) == (("peak",), D("2.00"))


def test_call_on_a_holiday_uses_the_holiday_rate() -> None:
    tariff = banded_tariff(per_minute("0.20", "peak"), per_minute("0.02", "holiday"))

    result = rate_record(UsageRecord("voice", "+34911", madrid(2024, 5, 1, 12), 300), tariff)

    assert (result.time_bands, result.cost) == (("holiday",), D("0.10"))


def test_call_across_band_boundary_prices_each_increment_in_the_band_where_it_starts() -> None:
    tariff = banded_tariff(
        Rate(
            "34",
            "Spain",
            (RateStep(0, D("0.20"), 60, 60), RateStep(120, D("0.10"), 60, 60)),
            D("0.10"),
            "peak",
        ),
        Rate(
            "34",
            "Spain",
            (RateStep(0, D("0.05"), 60, 60), RateStep(120, D("0.02"), 60, 60)),
            D("0.50"),
            "offpeak",
        ),
    )

    # Monday 19:57:00 + 300 s: peak [0,180), off-peak [180,300); increments start at 0, 60, 120, 180, 240
    result = rate_record(UsageRecord("voice", "+34911", madrid(2024, 5, 6, 19, 57), 300), tariff)

    peak, offpeak = result.parts
    # peak: step 1 slots 0 and 60 -> 2 * 0.20 = 0.40; step 2 (from second 120) slot 120 -> 0.10
    assert [(s.interval_start, s.increments, s.amount) for s in peak.steps] == [
        (0, 2, D("0.40")),
        (120, 1, D("0.10")),
    ]
    # off-peak part starts at second 180, so only its second step applies: slots 180, 240 -> 2 * 0.02
    assert [(s.interval_start, s.increments, s.amount) for s in offpeak.steps] == [(120, 2, D("0.04"))]
    assert (peak.start_offset, peak.end_offset, offpeak.start_offset, offpeak.end_offset) == (
        0,
        180,
        180,
        300,
    )
    # connect fee once, from the first part's (peak) rate: 0.40 + 0.10 + 0.04 + 0.10
    assert result.connect_fee == D("0.10")
    assert result.time_bands == ("peak", "offpeak")
    assert result.cost == D("0.64")


def test_band_split_does_not_add_increments_to_a_short_call() -> None:
    tariff = banded_tariff(per_minute("0.20", "peak"), per_minute("0.05", "offpeak"))

    # 19:59:50 + 30 s crosses 20:00, but its single 60 s increment starts in peak
    result = rate_record(UsageRecord("voice", "+34911", madrid(2024, 5, 6, 19, 59, 50), 30), tariff)

    peak, offpeak = result.parts
    assert (peak.amount, peak.steps[0].increments) == (D("0.20"), 1)
    # the off-peak part [10, 30) is reported, but no increment starts in it
    assert (offpeak.start_offset, offpeak.end_offset, offpeak.steps, offpeak.amount) == (10, 30, (), D(0))
    assert result.cost == D("0.20")


def test_dst_spring_forward_call_is_priced_by_elapsed_time_in_each_band() -> None:
    tariff = compile_tariff(
        Tariff("EUR", "voice", (per_minute("0.01", "night"), per_minute("0.10", "day")), calendar=NIGHT_AND_DAY)
    )

    result = rate_record(UsageRecord("voice", "+34911", madrid(2024, 3, 31, 0, 0), 8 * 3600), tariff)

    # 420 night minutes * 0.01 + 60 day minutes * 0.10 = 4.20 + 6.00
    assert [part.amount for part in result.parts] == [D("4.20"), D("6.00")]
    assert result.cost == D("10.20")


def test_band_without_a_rate_falls_back_to_the_any_time_rate_then_shorter_prefixes() -> None:
    tariff = banded_tariff(per_minute("0.30", "peak", prefix="346"), per_minute("0.10", None, prefix="34"))

    peak = rate_record(UsageRecord("voice", "+34600111", madrid(2024, 5, 6, 12), 60), tariff)
    evening = rate_record(UsageRecord("voice", "+34600111", madrid(2024, 5, 6, 22), 60), tariff)

    assert (peak.prefix, peak.cost) == ("346", D("0.30"))
    assert (evening.prefix, evening.cost) == ("34", D("0.10"))


def test_sms_takes_the_band_at_its_start_instant() -> None:
    sms = Tariff(
        "EUR",
        "sms",
        (
            Rate("34", "Spain", (RateStep(0, D("0.05"), 1, 1),), time_band="peak"),
            Rate("34", "Spain", (RateStep(0, D("0.01"), 1, 1),)),
        ),
        calendar=CALENDAR,
    )

    result = rate_record(UsageRecord("sms", "34600", madrid(2024, 5, 6, 19, 59, 59), 2), compile_tariff(sms))

    assert (result.time_bands, result.cost) == (("peak",), D("0.10"))


def test_instants_far_apart_use_independent_day_tables() -> None:
    calendar = compile_calendar(CALENDAR)
    start = madrid(2024, 5, 6, 10)

    bands = [calendar.band_at(start + timedelta(days=n)) for n in range(7)]

    assert bands == ["peak"] * 5 + ["weekend"] * 2
