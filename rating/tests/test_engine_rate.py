"""Rating engine: steps, increments, fees, caps, rounding, prefixes and input errors (no DB)."""

from __future__ import annotations

import json
import pickle
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal, localcontext

import pytest

from rating.engine import (
    KB,
    MB,
    CompiledTariff,
    Rate,
    RateStep,
    RatingError,
    Tariff,
    UsageRecord,
    compile_tariff,
    rate_record,
)

D = Decimal
MONDAY_10 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


def steps(*rows: tuple[int, str, int, int]) -> tuple[RateStep, ...]:
    return tuple(RateStep(start, D(price), unit, increment) for start, price, unit, increment in rows)


def voice_tariff(*rows: tuple[int, str, int, int], connect_fee: str = "0", **terms: object) -> CompiledTariff:
    spain = Rate("34", "Spain", steps(*rows), D(connect_fee))
    return compile_tariff(Tariff("EUR", "voice", (spain,), **terms))  # type: ignore[arg-type]


def call(seconds: int, destination: str = "+34911223344", **extra: object) -> UsageRecord:
    return UsageRecord("voice", destination, MONDAY_10, seconds, **extra)  # type: ignore[arg-type]


# ------------------------------------------------------------------ increment schemes


def test_60_60_increment_rounds_61s_up_to_two_minutes() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60))

    result = rate_record(call(61), tariff)

    # 61 s -> ceil(61/60) = 2 increments = 120 s; 120/60 * 0.10 = 0.20
    (step,) = result.parts[0].steps
    assert (step.usage, step.increments, step.billed) == (61, 2, 120)
    assert step.amount == D("0.20")
    assert result.cost == D("0.20")


def test_60_60_increment_charges_exactly_one_minute_for_60s() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60))

    result = rate_record(call(60), tariff)

    assert result.cost == D("0.10")


def test_60_60_increment_charges_a_whole_minute_for_1s() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60))

    result = rate_record(call(1), tariff)

    assert result.cost == D("0.10")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (5, "0.0600"),  # first 30 s minimum: 30/60 * 0.12 = 0.06
        (30, "0.0600"),  # exactly the minimum
        (31, "0.0720"),  # 0.06 + one 6 s increment: 6/60 * 0.12 = 0.012
        (45, "0.0960"),  # 0.06 + ceil(15/6) = 3 increments = 18 s: 18/60 * 0.12 = 0.036
    ],
)
def test_30_6_bills_a_30s_minimum_then_6s_increments(seconds: int, expected: str) -> None:
    tariff = voice_tariff((0, "0.12", 60, 30), (30, "0.12", 60, 6), decimals=4)

    result = rate_record(call(seconds), tariff)

    assert result.cost == D(expected)


def test_1_1_increment_bills_every_second_keeping_sub_cent_precision() -> None:
    tariff = voice_tariff((0, "0.10", 60, 1), decimals=4)

    result = rate_record(call(61), tariff)

    # 61/60 * 0.10 = 0.10166..., kept at 34 significant digits until the final rounding to 0.1017
    assert result.unrounded_cost == D("0.1016666666666666666666666666666667")
    assert result.cost == D("0.1017")


def test_data_per_kb_rounds_bytes_up_to_whole_kilobytes() -> None:
    internet = Rate("*", "Internet", steps((0, "0.50", MB, KB)))
    tariff = compile_tariff(Tariff("EUR", "data", (internet,), decimals=4))

    result = rate_record(UsageRecord("data", "", MONDAY_10, 1_500_000), tariff)

    # ceil(1_500_000 / 1024) = 1465 KB; 1465/1024 MB * 0.50 = 0.71533203125 -> 0.7153
    (step,) = result.parts[0].steps
    assert (step.increments, step.billed) == (1465, 1465 * KB)
    assert result.unrounded_cost == D("0.71533203125")
    assert result.cost == D("0.7153")


def test_data_per_mb_rounds_bytes_up_to_whole_megabytes() -> None:
    internet = Rate("*", "Internet", steps((0, "0.50", MB, MB)))
    tariff = compile_tariff(Tariff("EUR", "data", (internet,)))

    result = rate_record(UsageRecord("data", "", MONDAY_10, 1_500_000), tariff)

    # 1.43 MB -> 2 MB * 0.50 = 1.00
    assert result.cost == D("1.00")


def test_sms_is_priced_per_message() -> None:
    sms = Rate("34", "Spain", steps((0, "0.05", 1, 1)))
    tariff = compile_tariff(Tariff("EUR", "sms", (sms,)))

    result = rate_record(UsageRecord("sms", "34600111222", MONDAY_10, 3), tariff)

    assert result.cost == D("0.15")


# ------------------------------------------------------------------ fees, steps, caps


def test_connect_fee_is_added_once_per_call() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), connect_fee="0.15")

    result = rate_record(call(61), tariff)

    # 2 minutes * 0.10 + 0.15
    assert result.connect_fee == D("0.15")
    assert result.cost == D("0.35")


def test_rate_changes_after_n_seconds_with_a_second_step() -> None:
    tariff = voice_tariff((0, "0.20", 60, 60), (120, "0.05", 60, 60))

    result = rate_record(call(200), tariff)

    # [0,120): 2 min * 0.20 = 0.40; [120,200): 80 s -> 2 min * 0.05 = 0.10
    first, second = result.parts[0].steps
    assert (first.interval_start, first.interval_end, first.amount) == (0, 120, D("0.40"))
    assert (second.interval_start, second.interval_end, second.billed, second.amount) == (
        120,
        None,
        120,
        D("0.10"),
    )
    assert result.cost == D("0.50")


def test_call_shorter_than_the_second_step_only_uses_the_first() -> None:
    tariff = voice_tariff((0, "0.20", 60, 60), (120, "0.05", 60, 60))

    result = rate_record(call(100), tariff)

    assert len(result.parts[0].steps) == 1
    assert result.cost == D("0.40")


@pytest.mark.parametrize(
    ("method", "decimals", "expected"),
    [
        # 61 s at 0.10/min by the second = 0.1016666...
        ("up", 2, "0.11"),
        ("half_up", 2, "0.10"),
        ("down", 2, "0.10"),
        ("up", 4, "0.1017"),
        ("half_up", 4, "0.1017"),
        ("down", 4, "0.1016"),
    ],
)
def test_total_is_rounded_with_the_tariff_method_and_decimals(method: str, decimals: int, expected: str) -> None:
    tariff = voice_tariff((0, "0.10", 60, 1), rounding=method, decimals=decimals)

    result = rate_record(call(61), tariff)

    assert result.cost == D(expected)
    assert (result.rounding, result.decimals) == (method, decimals)


@pytest.mark.parametrize(
    ("method", "two_dp", "four_dp"),
    [("up", "0.13", "0.1235"), ("half_up", "0.13", "0.1235"), ("down", "0.12", "0.1234")],
)
def test_exact_halves_round_away_from_zero_with_half_up(method: str, two_dp: str, four_dp: str) -> None:
    # 50 s at 0.15/min = 0.125 exactly; 30 s at 0.2469/min = 0.12345 exactly.
    half_cent = voice_tariff((0, "0.15", 60, 1), rounding=method, decimals=2)
    half_basis_point = voice_tariff((0, "0.2469", 60, 1), rounding=method, decimals=4)

    assert rate_record(call(50), half_cent).cost == D(two_dp)
    assert rate_record(call(30), half_basis_point).cost == D(four_dp)


def test_rounding_ignores_the_callers_decimal_context() -> None:
    tariff = voice_tariff((0, "0.15", 60, 1), rounding="half_up")

    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_FLOOR
        result = rate_record(call(50), tariff)

    assert result.cost == D("0.13")


def test_max_cost_caps_an_expensive_call() -> None:
    tariff = voice_tariff((0, "1.00", 60, 60), max_cost=D("5.00"))

    result = rate_record(call(600), tariff)

    # 10 minutes * 1.00 = 10.00, capped at 5.00
    assert result.subtotal == D("10.00")
    assert result.cap_applied is True
    assert result.cost == D("5.00")


def test_minimum_charge_lifts_a_cheap_call() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), min_charge=D("0.25"))

    result = rate_record(call(61), tariff)

    # 0.20 < 0.25 -> 0.25
    assert result.min_charge_applied is True
    assert result.cost == D("0.25")


def test_cap_is_applied_after_the_minimum_charge() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), min_charge=D("0.25"), max_cost=D("0.20"))

    result = rate_record(call(10), tariff)

    # 0.10 -> minimum 0.25 -> capped to 0.20
    assert (result.min_charge_applied, result.cap_applied) == (True, True)
    assert result.cost == D("0.20")


def test_zero_duration_call_costs_nothing_not_even_the_connect_fee() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), connect_fee="0.15", min_charge=D("0.25"))

    result = rate_record(call(0), tariff)

    assert result.cost == D("0.00")
    assert result.parts == ()
    assert (result.connect_fee, result.min_charge_applied) == (D(0), False)
    assert result.prefix == "34"


def test_unanswered_call_costs_nothing_whatever_its_duration() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), connect_fee="0.15")

    result = rate_record(call(45, answered=False), tariff)

    assert result.cost == D("0.00")
    assert result.charged_usage == 0


def test_zero_duration_call_pays_the_minimum_when_the_tariff_says_so() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), min_charge=D("0.25"), min_charge_on_zero=True)

    assert rate_record(call(0), tariff).cost == D("0.25")
    assert rate_record(call(30, answered=False), tariff).cost == D("0.25")


# ------------------------------------------------------------------ prefixes


def prefix_tariff(with_catch_all: bool = True) -> CompiledTariff:
    rates = [
        Rate("34", "Spain", steps((0, "0.10", 60, 60))),
        Rate("346", "Spain mobile", steps((0, "0.30", 60, 60))),
    ]
    if with_catch_all:
        rates.append(Rate("*", "Rest of world", steps((0, "1.00", 60, 60))))
    return compile_tariff(Tariff("EUR", "voice", tuple(rates)))


@pytest.mark.parametrize(
    ("destination", "prefix", "name", "cost"),
    [
        ("+34600111222", "346", "Spain mobile", "0.30"),
        ("34911223344", "34", "Spain", "0.10"),
        ("0034911223344", "34", "Spain", "0.10"),
        ("+4420711122", "*", "Rest of world", "1.00"),
    ],
)
def test_longest_prefix_wins_and_the_catch_all_backs_the_rest(
    destination: str, prefix: str, name: str, cost: str
) -> None:
    result = rate_record(call(60, destination), prefix_tariff())

    assert (result.prefix, result.destination, result.cost) == (prefix, name, D(cost))


def test_unknown_destination_without_catch_all_is_no_tariff() -> None:
    with pytest.raises(RatingError) as error:
        rate_record(call(60, "+4420711122"), prefix_tariff(with_catch_all=False))

    assert error.value.code == "no_tariff"


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "record",
    [
        UsageRecord("voice", "+34911", MONDAY_10, -1),
        UsageRecord("voice", "+34911", MONDAY_10, True),
        UsageRecord("voice", "+34911", MONDAY_10, 1.5),  # type: ignore[arg-type]
        UsageRecord("voice", "+34911", datetime(2024, 5, 6, 10), 60),
        UsageRecord("voice", "34-911", MONDAY_10, 60),
        UsageRecord("voice", "", MONDAY_10, 60),
        UsageRecord("voice", "+34911", MONDAY_10, 60, usage_so_far=-5),
        UsageRecord("fax", "+34911", MONDAY_10, 60),  # type: ignore[arg-type]
    ],
)
def test_invalid_records_are_rejected_as_bad_input(record: UsageRecord) -> None:
    with pytest.raises(RatingError) as error:
        rate_record(record, prefix_tariff())

    assert error.value.code == "bad_input"


def test_record_for_another_service_has_no_tariff() -> None:
    with pytest.raises(RatingError) as error:
        rate_record(UsageRecord("sms", "+34911", MONDAY_10, 1), prefix_tariff())

    assert error.value.code == "no_tariff"


@pytest.mark.parametrize(
    "tariff",
    [
        Tariff("EUR", "voice", (Rate("34", "Spain", (RateStep(0, 0.1, 60, 60),)),)),  # type: ignore[arg-type]
        Tariff("EUR", "voice", (Rate("34", "Spain", steps((10, "0.1", 60, 60))),)),
        Tariff("EUR", "voice", (Rate("34", "Spain", steps((0, "0.1", 60, 0))),)),
        Tariff("EUR", "voice", (Rate("34", "Spain", steps((0, "-0.1", 60, 60))),)),
        Tariff("EUR", "voice", (Rate("34", "Spain", steps((0, "0.1", 60, 60))), Rate("+34", "Dup", ()))),
        Tariff("EUR", "voice", (Rate("34", "Spain", steps((0, "0.1", 60, 60)), time_band="peak"),)),
        Tariff("EUR", "voice", (Rate("3x", "Bad", steps((0, "0.1", 60, 60))),)),
        Tariff("EUR", "voice", ()),
        Tariff("EUR", "voice", (Rate("34", "Spain", steps((0, "0.1", 60, 60))),), rounding="banker"),  # type: ignore[arg-type]
    ],
)
def test_invalid_tariffs_are_rejected_when_compiled(tariff: Tariff) -> None:
    with pytest.raises(RatingError) as error:
        compile_tariff(tariff)

    assert error.value.code == "bad_tariff"


def test_rate_accepts_an_uncompiled_tariff_too() -> None:
    plain = Tariff("EUR", "voice", (Rate("34", "Spain", steps((0, "0.10", 60, 60))),))

    assert rate_record(call(61), plain).cost == D("0.20")


# ------------------------------------------------------------------ breakdown


def test_to_dict_is_json_ready_with_decimals_as_strings() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60), connect_fee="0.15", max_cost=D("9"))

    breakdown = rate_record(call(61), tariff).to_dict()

    assert json.loads(json.dumps(breakdown)) == breakdown
    assert breakdown["cost"] == "0.35"
    assert breakdown["unrounded_cost"] == "0.35"
    assert breakdown["max_cost"] == "9"
    assert breakdown["min_charge"] is None
    assert breakdown["prefix"] == "34"
    assert breakdown["time_bands"] == [None]
    assert breakdown["parts"][0]["steps"][0] == {
        "interval_start": 0,
        "interval_end": None,
        "price": "0.10",
        "rate_unit": 60,
        "increment": 60,
        "usage": 61,
        "increments": 2,
        "billed": 120,
        "amount": "0.20",
    }


def test_to_dict_never_uses_exponent_notation() -> None:
    tariff = voice_tariff((0, "0.00000001", 60, 1), decimals=8)

    breakdown = rate_record(call(1), tariff).to_dict()

    # 1/60 * 1e-8 would print as 1.666...E-10 with str()
    assert "E" not in breakdown["unrounded_cost"]
    assert breakdown["cost"] == "0.00000000"


def test_results_are_immutable_comparable_and_picklable() -> None:
    tariff = voice_tariff((0, "0.10", 60, 60))
    result = rate_record(call(61), tariff)

    with pytest.raises(FrozenInstanceError):
        result.cost = D("0")  # type: ignore[misc]
    # Round-trips our own bytes (Celery may pickle results), so S301 does not apply.
    assert pickle.loads(pickle.dumps(result)) == result == rate_record(call(61), tariff)  # noqa: S301
    assert hash(result.parts[0].steps[0]) == hash(rate_record(call(61), tariff).parts[0].steps[0])
