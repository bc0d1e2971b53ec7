"""The tariff loader: stored steps become the engine's dated deck, compiled once per revision."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rating.engine import UsageRecord
from rating.exceptions import AmbiguousTariff, TariffNotFound
from rating.models import Charge, ChargeKind
from rating.tariffs import plan_tariff_for, tariff_deck_for, tariff_deck_invalidate

from .factories import make_band, make_holiday, make_plan, make_step, make_tariff

pytestmark = pytest.mark.django_db

D = Decimal
TUESDAY_10 = datetime(2024, 5, 7, 10, 0, tzinfo=UTC)
NEW_YEAR_2025 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    tariff_deck_invalidate()
    yield
    tariff_deck_invalidate()


def call(seconds: int, destination: str = "+34911223344", start: datetime = TUESDAY_10) -> UsageRecord:
    return UsageRecord("voice", destination, start, seconds)


def cost(tariff, record: UsageRecord) -> Decimal:
    return tariff_deck_for(tariff_id=tariff.pk).rate_record(record).cost


def test_steps_of_a_prefix_become_one_rate_with_the_first_steps_connect_fee(operator):
    tariff = make_tariff(tenant=operator)
    make_step(tariff, "34", "0.10", 60, 60, connect_fee="0.05", destination="Spain")
    make_step(tariff, "34", "0.06", 60, 60, interval_start=120)

    result = tariff_deck_for(tariff_id=tariff.pk).rate_record(call(180))

    # 0.05 fee + 2 min at 0.10 (0..120 s) + 1 min at 0.06 (120..180 s) = 0.05 + 0.20 + 0.06 = 0.31
    assert result.cost == D("0.31")
    assert (result.prefix, result.destination, result.connect_fee) == ("34", "Spain", D("0.05"))
    assert [(s.interval_start, s.billed) for s in result.parts[0].steps] == [(0, 120), (120, 60)]


def test_all_steps_load_in_one_query_and_a_second_call_only_checks_the_revision(operator):
    tariff = make_tariff(tenant=operator)
    for prefix in range(3400, 3450):
        make_step(tariff, str(prefix), "0.10")
        make_step(tariff, str(prefix), "0.05", interval_start=60)

    with CaptureQueriesContext(connection) as first:
        deck = tariff_deck_for(tariff_id=tariff.pk)
    with CaptureQueriesContext(connection) as second:
        again = tariff_deck_for(tariff_id=tariff.pk)

    # revision check, the tariff, all 100 steps, the holidays; then the revision check alone
    assert len(first) == 4
    assert sum("rating_tariffratestep" in q["sql"] for q in first.captured_queries) == 1
    assert len(second) == 1
    assert again is deck


def test_a_later_effective_date_changes_only_the_rates_it_names(operator):
    tariff = make_tariff(tenant=operator)
    make_step(tariff, "34", "0.10")
    make_step(tariff, "44", "0.20")
    make_step(tariff, "34", "0.05", effective_from=NEW_YEAR_2025)
    after = datetime(2025, 3, 4, 10, tzinfo=UTC)

    # 1 min each: Spain 0.10 before 2025 and 0.05 from it; the UK keeps its 0.20 throughout.
    assert cost(tariff, call(60)) == D("0.10")
    assert cost(tariff, call(60, start=after)) == D("0.05")
    assert cost(tariff, call(60, "+44207", start=after)) == D("0.20")


def test_a_rates_rounding_decimals_and_cap_override_the_tariffs(operator):
    tariff = make_tariff(tenant=operator, rounding="half_up", decimals=2, max_cost=D("1.00"))
    make_step(tariff, "34", "0.10", 60, 1)
    make_step(tariff, "44", "0.10", 60, 1, rounding="up", decimals=4, max_cost="0.50")

    # 61 s per second at 0.10/min = 0.101666...: Spain half-up to 2 places, the UK up to 4 places.
    assert cost(tariff, call(61)) == D("0.10")
    assert cost(tariff, call(61, "+44207")) == D("0.1017")
    # 900 s = 1.50: capped at the tariff's 1.00 for Spain and the rate's 0.50 for the UK.
    assert cost(tariff, call(900)) == D("1.00")
    assert cost(tariff, call(900, "+44207")) == D("0.5000")


def test_bands_use_the_tenant_time_zone_and_holiday_calendar(operator):
    operator.timezone = "Europe/Madrid"
    operator.save()
    weekdays = make_band(tenant=operator, name="peak", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(20))
    holiday = make_band(tenant=operator, name="holiday", weekdays=list(range(7)), start=time(0), end=time(0),
                        holidays_only=True)  # fmt: skip
    make_holiday(tenant=operator, day=date(2024, 5, 1))
    tariff = make_tariff(tenant=operator)
    make_step(tariff, "34", "0.20", time_band=weekdays)
    make_step(tariff, "34", "0.02", time_band=holiday)
    make_step(tariff, "34", "0.05")

    # 07:30 UTC = 09:30 in Madrid (CEST): peak. 19:30 UTC = 21:30: off-peak (any time).
    assert cost(tariff, call(60, start=datetime(2024, 5, 7, 7, 30, tzinfo=UTC))) == D("0.20")
    assert cost(tariff, call(60, start=datetime(2024, 5, 7, 19, 30, tzinfo=UTC))) == D("0.05")
    # Wednesday 1 May 2024 is a holiday: the holiday band wins over peak.
    assert cost(tariff, call(60, start=datetime(2024, 5, 1, 9, tzinfo=UTC))) == D("0.02")


def test_a_band_the_tariff_does_not_name_cannot_shadow_its_own(operator):
    make_band(tenant=operator, name="lunch", weekdays=[1], start=time(12), end=time(13))
    peak = make_band(tenant=operator, name="peak", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(20))
    tariff = make_tariff(tenant=operator)
    make_step(tariff, "34", "0.20", time_band=peak)

    # "lunch" is more specific than "peak" but unused by this tariff, so Tuesday 12:30 is peak.
    assert cost(tariff, call(60, start=datetime(2024, 5, 7, 12, 30, tzinfo=UTC))) == D("0.20")


@pytest.mark.parametrize("change", ["step", "tariff", "band", "holiday", "timezone"])
def test_any_change_that_alters_rating_recompiles_the_deck(operator, change):
    band = make_band(tenant=operator, name="peak", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(20))
    holiday = make_band(tenant=operator, name="holiday", weekdays=list(range(7)), start=time(0), end=time(0),
                        holidays_only=True)  # fmt: skip
    tariff = make_tariff(tenant=operator, decimals=2)
    step = make_step(tariff, "34", "0.20", time_band=band)
    make_step(tariff, "34", "0.01", time_band=holiday)
    make_step(tariff, "34", "0.05")
    before = tariff_deck_for(tariff_id=tariff.pk)

    if change == "step":
        step.rate = D("0.30")
        step.save()
    elif change == "tariff":
        tariff.decimals = 4
        tariff.save()
    elif change == "band":
        band.start = time(11)
        band.save()
    elif change == "holiday":
        make_holiday(tenant=operator, day=date(2024, 5, 7))
    else:
        operator.timezone = "America/Los_Angeles"
        operator.save()

    after = tariff_deck_for(tariff_id=tariff.pk)
    assert after is not before
    # Tuesday 10:00 UTC is peak (0.20) until the change; then the new price, 4 places, off-peak (peak
    # starts at 11:00), the holiday band, off-peak (03:00 in Los Angeles).
    expected = {"step": "0.30", "tariff": "0.2000", "band": "0.05", "holiday": "0.01", "timezone": "0.05"}
    assert after.rate_record(call(60)).cost == D(expected[change])


def test_an_unknown_tariff_is_not_found():
    with pytest.raises(TariffNotFound):
        tariff_deck_for(tariff_id=987654)


def test_plan_tariff_for_finds_the_usage_charge_of_the_service(operator):
    voice = make_tariff(tenant=operator, service="voice")
    data = make_tariff(tenant=operator, service="data")
    plan = make_plan(tenant=operator, tariffs={"voice": voice, "data": data})

    assert plan_tariff_for(price_plan=plan, service="voice") == voice
    assert plan_tariff_for(price_plan=plan, service="data") == data
    with pytest.raises(TariffNotFound, match="no usage charge for sms"):
        plan_tariff_for(price_plan=plan, service="sms")


def test_plan_tariff_for_refuses_to_guess_between_two_tariffs(operator):
    plan = make_plan(tenant=operator, tariffs={"voice": make_tariff(tenant=operator)})
    Charge.objects.create(price_plan=plan, code="roaming", name="Roaming", kind=ChargeKind.USAGE, service="voice",
                          tariff=make_tariff(tenant=operator))  # fmt: skip

    with pytest.raises(AmbiguousTariff):
        plan_tariff_for(price_plan=plan, service="voice")
