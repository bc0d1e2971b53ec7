"""Volume tiers: a tiered tariff splits a record by the cycle's cumulative usage (no DB)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rating.engine import (
    GB,
    MB,
    CompiledTariff,
    Pocket,
    Rate,
    RateStep,
    Tariff,
    UsageRecord,
    compile_tariff,
    rate_record,
)

D = Decimal
NOON = datetime(2024, 5, 6, 12, tzinfo=UTC)


def tiered_data(tiered: bool = True) -> CompiledTariff:
    # first GB of the cycle at 0.01/MB, the rest at 0.005/MB, charged per started MB
    internet = Rate("*", "Internet", (RateStep(0, D("0.01"), MB, MB), RateStep(GB, D("0.005"), MB, MB)))
    return compile_tariff(Tariff("EUR", "data", (internet,), decimals=4, tiered=tiered))


def session(volume: int, usage_so_far: int) -> UsageRecord:
    return UsageRecord("data", "", NOON, volume, usage_so_far=usage_so_far)


def test_record_within_the_first_tier_uses_its_price() -> None:
    result = rate_record(session(100 * MB, 0), tiered_data())

    # 100 MB * 0.01
    assert result.cost == D("1.0000")


def test_record_after_the_first_tier_uses_the_second_price() -> None:
    result = rate_record(session(100 * MB, 2 * GB), tiered_data())

    # 100 MB * 0.005
    assert result.cost == D("0.5000")


def test_record_crossing_a_tier_is_split_by_usage_so_far() -> None:
    result = rate_record(session(300 * MB, 900 * MB), tiered_data())

    # cycle [900 MB, 1200 MB): 124 MB * 0.01 = 1.24 in tier 1, 176 MB * 0.005 = 0.88 in tier 2
    first, second = result.tier_split
    assert (first.interval_start, first.usage, first.amount) == (0, 124 * MB, D("1.24"))
    assert (second.interval_start, second.usage, second.amount) == (GB, 176 * MB, D("0.88"))
    assert result.tiered is True
    assert result.usage_so_far == 900 * MB
    assert result.cost == D("2.1200")


def test_increments_are_rounded_up_separately_on_each_side_of_a_tier_boundary() -> None:
    half_mb = MB // 2

    result = rate_record(session(MB, GB - half_mb), tiered_data())

    # 0.5 MB rounds to 1 MB in each tier: 0.01 + 0.005
    assert [step.billed for step in result.tier_split] == [MB, MB]
    assert result.cost == D("0.0150")


def test_usage_so_far_is_ignored_when_the_tariff_is_not_tiered() -> None:
    result = rate_record(session(100 * MB, 2 * GB), tiered_data(tiered=False))

    # positions count from the record start: all 100 MB in the first step
    assert result.tier_split == ()
    assert result.cost == D("1.0000")


def test_allowance_covers_the_head_so_the_tail_lands_in_later_tiers() -> None:
    pocket = Pocket("bundle", "bytes", 100 * MB)

    result = rate_record(session(300 * MB, 900 * MB), tiered_data(), [pocket])

    # covered [900, 1000) MB; charged [1000, 1200) MB: 24 MB * 0.01 + 176 MB * 0.005 = 0.24 + 0.88
    assert result.covered == 100 * MB
    assert result.cost == D("1.1200")
