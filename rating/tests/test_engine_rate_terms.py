"""Rating engine: a rate's own rounding, decimals and cap override the tariff's for the records it prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rating.engine import Rate, RateStep, RatingError, Tariff, UsageRecord, compile_tariff, rate_record

D = Decimal
MONDAY_10 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
PER_SECOND = (RateStep(0, D("0.10"), 60, 1),)


def call(seconds: int, destination: str) -> UsageRecord:
    return UsageRecord("voice", destination, MONDAY_10, seconds)


def two_rate_tariff(**overrides: object) -> Tariff:
    # Spain keeps the tariff's terms; the UK rate carries the overrides under test.
    spain = Rate("34", "Spain", PER_SECOND)
    uk = Rate("44", "United Kingdom", PER_SECOND, **overrides)  # type: ignore[arg-type]
    return Tariff("EUR", "voice", (spain, uk), rounding="half_up", decimals=2, max_cost=D("1.00"))


def test_a_rates_cap_replaces_the_tariffs_cap_for_that_destination_only() -> None:
    tariff = compile_tariff(two_rate_tariff(max_cost=D("0.50")))

    spain = rate_record(call(900, "+34911"), tariff)
    uk = rate_record(call(900, "+44207"), tariff)

    # 900 s at 0.10/min = 1.50: Spain is capped at the tariff's 1.00, the UK at its own 0.50.
    assert (spain.cost, spain.cap_applied, spain.max_cost) == (D("1.00"), True, D("1.00"))
    assert (uk.cost, uk.cap_applied, uk.max_cost) == (D("0.50"), True, D("0.50"))


def test_a_rates_rounding_and_decimals_replace_the_tariffs() -> None:
    tariff = compile_tariff(two_rate_tariff(rounding="up", decimals=4))

    spain = rate_record(call(61, "+34911"), tariff)
    uk = rate_record(call(61, "+44207"), tariff)

    # 61 s at 0.10/min = 0.101666...: half-up to 2 places 0.10 (Spain), up to 4 places 0.1017 (UK).
    assert (spain.cost, spain.rounding, spain.decimals) == (D("0.10"), "half_up", 2)
    assert (uk.cost, uk.rounding, uk.decimals) == (D("0.1017"), "up", 4)


def test_an_override_of_one_term_keeps_the_tariffs_other_terms() -> None:
    tariff = compile_tariff(two_rate_tariff(decimals=3))

    uk = rate_record(call(61, "+44207"), tariff)

    # 0.101666... half-up (tariff's method) to 3 places (the rate's) = 0.102; the tariff cap still applies.
    assert (uk.cost, uk.rounding, uk.decimals, uk.max_cost) == (D("0.102"), "half_up", 3, D("1.00"))


@pytest.mark.parametrize(
    "overrides", [{"rounding": "banker"}, {"decimals": 13}, {"decimals": -1}, {"max_cost": 0.5}, {"max_cost": D(-1)}]
)
def test_invalid_rate_terms_are_rejected_when_compiled(overrides: dict[str, object]) -> None:
    with pytest.raises(RatingError) as caught:
        compile_tariff(two_rate_tariff(**overrides))

    assert caught.value.code == "bad_tariff"
    assert "'44'" in caught.value.message
