"""Tariff versions: the version in force at a record's instant prices it, so old usage re-rates as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from rating.engine import Rate, RateDeck, RateStep, RatingError, Tariff, UsageRecord, select_in_force

D = Decimal
JAN = datetime(2024, 1, 1, tzinfo=UTC)
JUNE = datetime(2024, 6, 1, tzinfo=UTC)


def version(price: str, effective_from: datetime | None, name: str = "") -> Tariff:
    spain = Rate("34", "Spain", (RateStep(0, D(price), 60, 60),))
    return Tariff("EUR", "voice", (spain,), effective_from=effective_from, name=name)


def minute_call(start: datetime) -> UsageRecord:
    return UsageRecord("voice", "+34911", start, 60)


def test_select_in_force_picks_the_latest_version_not_after_the_instant() -> None:
    versions = [version("0.08", JUNE, "june"), version("0.10", JAN, "january")]

    assert select_in_force(versions, datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC)).name == "january"
    assert select_in_force(versions, JUNE).name == "june"


def test_select_in_force_treats_a_missing_effective_date_as_always_in_force() -> None:
    versions = [version("0.12", None, "original"), version("0.10", JAN, "january")]

    assert select_in_force(versions, datetime(2023, 7, 1, tzinfo=UTC)).name == "original"


def test_no_version_in_force_before_the_first_effective_date() -> None:
    with pytest.raises(RatingError) as error:
        select_in_force([version("0.10", JAN)], datetime(2023, 12, 31, tzinfo=UTC))

    assert error.value.code == "no_tariff"


def test_versions_with_the_same_effective_date_are_ambiguous() -> None:
    with pytest.raises(RatingError) as error:
        select_in_force([version("0.10", JAN), version("0.11", JAN)], JUNE)

    assert error.value.code == "bad_tariff"


def test_select_in_force_needs_an_aware_instant() -> None:
    with pytest.raises(RatingError) as error:
        select_in_force([version("0.10", JAN)], datetime(2024, 6, 1))

    assert error.value.code == "bad_input"


def test_rate_deck_rates_old_usage_at_the_old_price_and_new_usage_at_the_new() -> None:
    deck = RateDeck([version("0.10", JAN), version("0.08", JUNE)])

    before = deck.rate_record(minute_call(datetime(2024, 5, 31, 23, 59, tzinfo=UTC)))
    after = deck.rate_record(minute_call(JUNE))

    assert before.cost == D("0.10")
    assert after.cost == D("0.08")


def test_rate_deck_compares_instants_across_time_zones() -> None:
    deck = RateDeck([version("0.10", JAN), version("0.08", JUNE)])

    # 2024-06-01 01:30 in UTC+02:00 is still 2024-05-31 23:30 UTC: the old version
    early_june_local = datetime(2024, 6, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert deck.rate_record(minute_call(early_june_local)).cost == D("0.10")


def test_rate_deck_refuses_usage_before_its_first_version() -> None:
    deck = RateDeck([version("0.10", JAN)])

    with pytest.raises(RatingError) as error:
        deck.rate_record(minute_call(datetime(2023, 6, 1, tzinfo=UTC)))

    assert error.value.code == "no_tariff"
