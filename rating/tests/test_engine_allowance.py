"""Allowances: pocket eligibility, consumption order and pricing of the uncovered rest (no DB)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rating.engine import (
    AllowanceUse,
    BandCalendar,
    CompiledTariff,
    Pocket,
    Rate,
    RateStep,
    RatingError,
    Tariff,
    TimeBand,
    UsageRecord,
    compile_tariff,
    consume,
    eligible_pockets,
    rate_record,
)

D = Decimal
NOW = datetime(2024, 5, 15, 12, tzinfo=UTC)
END_OF_MAY = datetime(2024, 6, 1, tzinfo=UTC)
END_OF_JUNE = datetime(2024, 7, 1, tzinfo=UTC)


def voice_tariff() -> CompiledTariff:
    spain = Rate("34", "Spain", (RateStep(0, D("0.10"), 60, 60),), D("0.15"))
    return compile_tariff(Tariff("EUR", "voice", (spain,)))


def call(seconds: int, **extra: object) -> UsageRecord:
    return UsageRecord("voice", "+34911", NOW, seconds, **extra)  # type: ignore[arg-type]


def test_pockets_are_ordered_by_priority_then_earliest_expiry_then_never_expiring() -> None:
    pockets = [
        Pocket("forever", "seconds", 60, priority=1),
        Pocket("june", "seconds", 60, priority=1, valid_to=END_OF_JUNE),
        Pocket("may", "seconds", 60, priority=1, valid_to=END_OF_MAY),
        Pocket("promo", "seconds", 60, priority=0, valid_to=END_OF_JUNE),
    ]

    ordered = eligible_pockets(pockets, "seconds", NOW)

    assert [pocket.id for pocket in ordered] == ["promo", "may", "june", "forever"]


def test_only_pockets_valid_at_the_instant_with_the_right_unit_and_a_balance_are_eligible() -> None:
    pockets = [
        Pocket("expired", "seconds", 60, valid_to=NOW),  # valid_to is exclusive
        Pocket("future", "seconds", 60, valid_from=NOW + timedelta(seconds=1)),
        Pocket("sms", "messages", 60),
        Pocket("empty", "seconds", 0),
        Pocket("ok", "seconds", 60, valid_from=NOW, valid_to=END_OF_MAY),  # valid_from is inclusive
    ]

    assert [pocket.id for pocket in eligible_pockets(pockets, "seconds", NOW)] == ["ok"]


def test_record_exhausting_one_pocket_continues_on_the_next() -> None:
    pockets = [Pocket("b", "seconds", 500, priority=1), Pocket("a", "seconds", 100, priority=0)]

    covered, uses = consume(pockets, "seconds", NOW, 250)

    # a gives its 100 s, b the remaining 150 s
    assert covered == 250
    assert uses == (AllowanceUse("a", "seconds", 100, 0), AllowanceUse("b", "seconds", 150, 350))


def test_pockets_smaller_than_the_record_leave_a_remainder() -> None:
    covered, uses = consume([Pocket("a", "seconds", 40), Pocket("b", "seconds", 20)], "seconds", NOW, 100)

    assert covered == 60
    assert [use.balance_after for use in uses] == [0, 0]


def test_call_fully_covered_by_pockets_costs_nothing_not_even_the_connect_fee() -> None:
    pockets = [Pocket("a", "seconds", 100), Pocket("b", "seconds", 500, priority=1)]

    result = rate_record(call(250), voice_tariff(), pockets)

    assert (result.covered, result.charged_usage) == (250, 0)
    assert [(use.pocket_id, use.used) for use in result.allowances] == [("a", 100), ("b", 150)]
    assert result.parts == ()
    assert result.cost == D("0.00")


def test_allowance_exhausted_mid_call_prices_only_the_rest() -> None:
    pockets = [Pocket("a", "seconds", 100)]

    result = rate_record(call(250), voice_tariff(), pockets)

    # seconds [100, 250) are charged: 150 s -> ceil(150/60) = 3 minutes * 0.10 = 0.30, + 0.15 connect fee
    (part,) = result.parts
    assert (part.start_offset, part.end_offset) == (100, 250)
    assert (part.steps[0].usage, part.steps[0].billed) == (150, 180)
    assert (result.covered, result.charged_usage) == (100, 150)
    assert result.cost == D("0.45")


def test_expired_pocket_is_skipped_and_the_valid_one_is_used() -> None:
    pockets = [
        Pocket("old", "seconds", 1000, priority=0, valid_to=NOW - timedelta(days=1)),
        Pocket("current", "seconds", 30, priority=5),
    ]

    result = rate_record(call(90), voice_tariff(), pockets)

    # 30 s covered; 60 s charged = 1 minute * 0.10 + 0.15
    assert [use.pocket_id for use in result.allowances] == ["current"]
    assert result.cost == D("0.25")


def test_earlier_expiring_pocket_is_consumed_first_at_equal_priority() -> None:
    pockets = [
        Pocket("june", "seconds", 100, valid_to=END_OF_JUNE),
        Pocket("may", "seconds", 100, valid_to=END_OF_MAY),
    ]

    result = rate_record(call(150), voice_tariff(), pockets)

    assert [(use.pocket_id, use.used) for use in result.allowances] == [("may", 100), ("june", 50)]


def test_sms_pocket_covers_messages_and_the_rest_is_charged() -> None:
    sms = compile_tariff(Tariff("EUR", "sms", (Rate("34", "Spain", (RateStep(0, D("0.05"), 1, 1),)),)))

    result = rate_record(UsageRecord("sms", "34600", NOW, 5), sms, [Pocket("texts", "messages", 3)])

    # 3 covered, 2 * 0.05 charged
    assert result.cost == D("0.10")


def test_unanswered_call_does_not_touch_the_pockets() -> None:
    result = rate_record(call(120, answered=False), voice_tariff(), [Pocket("a", "seconds", 100)])

    assert result.allowances == ()


@pytest.mark.parametrize(
    "pocket",
    [
        Pocket("negative", "seconds", -1),
        Pocket("fraction", "seconds", 1.5),  # type: ignore[arg-type]
        Pocket("naive", "seconds", 10, valid_to=datetime(2024, 6, 1)),
    ],
)
def test_invalid_pockets_are_bad_input(pocket: Pocket) -> None:
    with pytest.raises(RatingError) as error:
        rate_record(call(60), voice_tariff(), [pocket])

    assert error.value.code == "bad_input"


def test_consumption_is_reported_in_to_dict() -> None:
    result = rate_record(call(250), voice_tariff(), [Pocket("a", "seconds", 100)])

    assert result.to_dict()["allowances"] == [{"pocket_id": "a", "unit": "seconds", "used": 100, "balance_after": 0}]


def test_allowance_then_band_split_prices_the_tail_on_a_grid_starting_after_the_allowance() -> None:
    weekdays = frozenset(range(5))
    calendar = BandCalendar(
        "Europe/Madrid",
        (TimeBand("peak", weekdays, time(8), time(20)), TimeBand("offpeak", weekdays, time(20), time(8))),
    )
    rates = (
        Rate("34", "Spain", (RateStep(0, D("0.20"), 60, 60),), time_band="peak"),
        Rate("34", "Spain", (RateStep(0, D("0.05"), 60, 60),), time_band="offpeak"),
    )
    tariff = compile_tariff(Tariff("EUR", "voice", rates, calendar=calendar))
    start = datetime(2024, 5, 6, 19, 58, tzinfo=ZoneInfo("Europe/Madrid"))

    result = rate_record(UsageRecord("voice", "+34911", start, 300), tariff, [Pocket("a", "seconds", 60)])

    # covered [0,60); tail [60,300) splits at 20:00 = second 120: increments start at 60 (peak),
    # 120, 180, 240 (off-peak): 1 * 0.20 + 3 * 0.05
    assert [(p.start_offset, p.end_offset, p.time_band) for p in result.parts] == [
        (60, 120, "peak"),
        (120, 300, "offpeak"),
    ]
    assert result.cost == D("0.35")
