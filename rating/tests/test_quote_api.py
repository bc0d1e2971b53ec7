"""POST /api/v1/rating/quote: decks imported through the API, then quoted, with exact hand-computed costs.

The operator's time zone is UTC here, so band times read as written. The voice tariff rounds half-up to
4 places unless a rate says otherwise; costs below are `billed / rate_unit * rate` summed, plus the fee.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import LedgerEntry, LedgerTransaction
from accounts.tests.api_client import token_client
from accounts.tests.factories import make_account
from rating.models import RatedUsage, Subscription
from rating.tariffs import tariff_deck_invalidate

from .factories import make_band, make_holiday, make_plan, make_step, make_tariff

pytestmark = pytest.mark.django_db

URL = "/api/v1/rating/quote"
HEADER = (
    "prefix,destination,time_band,effective_from,interval_start,connect_fee,rate,rate_unit,increment,"
    "rounding,decimals,max_cost"
)
VOICE_DECK = f"""{HEADER}
34,Spain,,2024-01-01,0,,0.10,60,60,,,
34,Spain,,2025-01-01,0,,0.08,60,60,,,
346,Spain mobile,,2024-01-01,0,,0.25,60,60,,,
33,France,,2024-01-01,0,,0.12,60,30,,,
33,France,,2024-01-01,30,,0.12,60,6,,,
49,Germany,,2024-01-01,0,,0.09,60,1,,,
44,United Kingdom,,2024-01-01,0,0.15,0.20,60,60,,,
39,Italy,,2024-01-01,0,,0.20,60,60,,,
39,Italy,,2024-01-01,120,,0.05,60,60,,,
1,USA,,2024-01-01,0,,0.50,60,60,,,2.00
3511,Round up 2,,2024-01-01,0,,0.10,60,1,up,2,
3512,Round half-up 2,,2024-01-01,0,,0.10,60,1,half_up,2,
3513,Round down 2,,2024-01-01,0,,0.10,60,1,down,2,
3514,Round up 4,,2024-01-01,0,,0.10,60,1,up,4,
3515,Round half-up 4,,2024-01-01,0,,0.10,60,1,half_up,4,
3516,Round down 4,,2024-01-01,0,,0.10,60,1,down,4,
31,Netherlands,peak,2024-01-01,0,,0.30,60,60,,,
31,Netherlands,night,2024-01-01,0,,0.02,60,60,,,
31,Netherlands,weekend,2024-01-01,0,,0.05,60,60,,,
31,Netherlands,holiday,2024-01-01,0,,0.01,60,60,,,
31,Netherlands,,2024-01-01,0,,0.10,60,60,,,
*,Rest of world,,2024-01-01,0,,1.00,60,60,,,
"""
DATA_DECK = f"""{HEADER}
*,Internet,,2024-01-01,0,,0.01,MB,KB,,,
44,UK roaming,,2024-01-01,0,,0.50,MB,MB,,,
"""
TIERED_DECK = f"""{HEADER}
*,Internet,,2024-01-01,0,,0.02,MB,MB,,,
*,Internet,,2024-01-01,1GB,,0.01,MB,MB,,,
*,Internet,,2024-01-01,5GB,,0.005,MB,MB,,,
"""
SMS_DECK = f"""{HEADER}
*,Any network,,2024-01-01,0,,0.05,1,1,,,
"""
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _fresh_decks():
    tariff_deck_invalidate()


@pytest.fixture
def client(operator_staff) -> APIClient:
    return token_client(operator_staff)


def upload(client: APIClient, tariff, text: str, key: str):
    csv = SimpleUploadedFile("deck.csv", text.encode(), content_type="text/csv")
    return client.post(
        f"/api/v1/rating/tariffs/{tariff.pk}/rate-deck/", {"file": csv}, format="multipart", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.fixture
def catalog(operator, client):
    """Plan mobile-m (voice, SMS, data per KB/MB) and plan data-xl (tiered data), decks loaded via the API."""
    for name, days, start, end, holidays_only in [
        ("peak", [0, 1, 2, 3, 4], time(8), time(20), False),
        ("night", list(range(7)), time(22), time(6), False),
        ("weekend", [5, 6], time(0), time(0), False),
        ("holiday", list(range(7)), time(0), time(0), True),
    ]:
        make_band(tenant=operator, name=name, weekdays=days, start=start, end=end, holidays_only=holidays_only)
    make_holiday(tenant=operator, day="2024-12-25", name="Christmas")
    voice = make_tariff(tenant=operator, code="voice-eu", decimals=4)
    data = make_tariff(tenant=operator, service="data", code="data-eu", decimals=4)
    sms = make_tariff(tenant=operator, service="sms", code="sms-eu", decimals=2)
    tiered = make_tariff(tenant=operator, service="data", code="data-tiers", decimals=2, tiered=True)
    for tariff, deck in [(voice, VOICE_DECK), (data, DATA_DECK), (sms, SMS_DECK), (tiered, TIERED_DECK)]:
        response = upload(client, tariff, deck, key=f"deck-{tariff.code}")
        assert response.status_code == 201, response.content
        assert response.json()["lines_rejected"] == 0, response.json()["report"]
    plans = {
        "mobile-m": make_plan(tenant=operator, code="mobile-m", tariffs={"voice": voice, "sms": sms, "data": data}),
        "data-xl": make_plan(tenant=operator, code="data-xl", tariffs={"data": tiered}),
    }
    return plans


def quote(client: APIClient, **body):
    return client.post(URL, {"price_plan": "mobile-m", **body}, format="json")


def cost(client: APIClient, destination: str, start: str = "2024-05-07T10:00:00Z", **body) -> Decimal:
    """Tuesday 7 May 2024 10:00 UTC (peak) unless said otherwise; a 200 is required."""
    body.setdefault("service", "voice")
    response = quote(client, destination=destination, start=start, **body)
    assert response.status_code == 200, response.content
    return Decimal(response.json()["cost"])


# ----------------------------------------------------------------------------- increments and steps


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (60, "0.1000"),  # 1 x 60 s = 1 min x 0.10
        (61, "0.2000"),  # 60/60: 61 s -> 2 increments = 2 min x 0.10
        (1, "0.1000"),  # 1 s still a whole minute
    ],
)
def test_60_60_bills_whole_minutes(client, catalog, seconds, expected):
    assert cost(client, "+34911223344", duration=seconds) == Decimal(expected)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (10, "0.0600"),  # first 30 s block: 30/60 x 0.12 = 0.06
        (31, "0.0720"),  # 30 s (0.06) + 1 s rounded to 6 s: 6/60 x 0.12 = 0.012 -> 0.072
        (47, "0.0960"),  # 30 s + 17 s rounded to 18 s: 48/60 x 0.12 = 0.096
    ],
)
def test_30_6_bills_a_30_second_block_then_6_second_increments(client, catalog, seconds, expected):
    assert cost(client, "+33142", duration=seconds) == Decimal(expected)


def test_1_1_bills_every_second(client, catalog):
    # 61 s x 0.09 / 60 = 0.0915
    assert cost(client, "+4930", duration=61) == Decimal("0.0915")


def test_connect_fee_is_added_once(client, catalog):
    response = quote(client, service="voice", destination="+44207", start="2024-05-07T10:00:00Z", duration=61)

    # 0.15 fee + 2 min x 0.20 = 0.55
    body = response.json()
    assert (body["cost"], body["connect_fee"]) == ("0.5500", "0.150000")


def test_rate_changes_after_n_seconds(client, catalog):
    # Italy: 0.20/min for the first 120 s, then 0.05/min. 200 s = 2 min x 0.20 + ceil(80/60) = 2 min x 0.05
    # = 0.40 + 0.10 = 0.50
    response = quote(client, service="voice", destination="+3906", start="2024-05-07T10:00:00Z", duration=200)

    steps = response.json()["breakdown"][0]["steps"]
    assert [(s["interval_start"], s["usage"], s["increments"], s["amount"]) for s in steps] == [
        (0, 120, 2, "0.400000"),
        (120, 80, 2, "0.100000"),
    ]
    assert response.json()["cost"] == "0.5000"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        # 61 s x 0.10 / 60 = 0.101666...
        ("3511", "0.11"),  # up to 2 places
        ("3512", "0.10"),  # half-up to 2 places (third digit 1)
        ("3513", "0.10"),  # down to 2 places
        ("3514", "0.1017"),  # up to 4 places
        ("3515", "0.1017"),  # half-up to 4 places (fifth digit 6)
        ("3516", "0.1016"),  # down to 4 places
    ],
)
def test_rounding_method_and_decimals_per_rate(client, catalog, prefix, expected):
    response = quote(client, service="voice", destination=prefix + "00", start="2024-05-07T10:00:00Z", duration=61)

    assert response.json()["cost"] == expected
    assert response.json()["unrounded_cost"].startswith("0.1016666")


def test_max_cost_caps_the_call(client, catalog):
    response = quote(client, service="voice", destination="+1212", start="2024-05-07T10:00:00Z", duration=600)

    # 10 min x 0.50 = 5.00, capped at the USA rate's 2.00
    body = response.json()
    assert (body["cost"], body["subtotal"], body["cap_applied"], body["max_cost"]) == (
        "2.0000",
        "5.000000",
        True,
        "2.000000",
    )


def test_zero_duration_costs_nothing_not_even_the_connect_fee(client, catalog):
    assert cost(client, "+44207", duration=0) == Decimal("0.0000")


@pytest.mark.parametrize(
    ("number", "prefix", "expected"),
    [
        ("+34600111222", "346", "0.2500"),  # Spain mobile, longer than 34
        ("0034911223344", "34", "0.1000"),  # Spain, 00 stripped
        ("+99912345", "*", "1.0000"),  # nothing matches: the catch-all
    ],
)
def test_longest_prefix_wins_and_the_catch_all_backs_the_rest(client, catalog, number, prefix, expected):
    response = quote(client, service="voice", destination=number, start="2024-05-07T10:00:00Z", duration=60)

    assert (response.json()["prefix"], response.json()["cost"]) == (prefix, expected)


# ----------------------------------------------------------------------------- time bands and dates


@pytest.mark.parametrize(
    ("start", "seconds", "bands", "expected"),
    [
        ("2024-05-07T10:00:00Z", 60, ["peak"], "0.3000"),  # Tuesday 10:00 peak, 1 min x 0.30
        ("2024-05-07T21:00:00Z", 60, [None], "0.1000"),  # Tuesday 21:00 no band: the any-time 0.10
        ("2024-05-07T23:00:00Z", 60, ["night"], "0.0200"),  # 22:00-06:00 night
        # Friday 23:59 for 2 min: minute 1 begins in the night (0.02), minute 2 on Saturday (weekend 0.05)
        ("2024-05-10T23:59:00Z", 120, ["night", "weekend"], "0.0700"),
        ("2024-05-11T12:00:00Z", 60, ["weekend"], "0.0500"),  # Saturday noon
        ("2024-12-25T10:00:00Z", 60, ["holiday"], "0.0100"),  # Christmas Wednesday: holiday beats peak
    ],
)
def test_time_bands_price_each_part_of_the_call(client, catalog, start, seconds, bands, expected):
    response = quote(client, service="voice", destination="+31201234", start=start, duration=seconds)

    body = response.json()
    assert ([part["time_band"] for part in body["breakdown"]], body["cost"]) == (bands, expected)


def test_a_tariff_change_applies_from_its_date(client, catalog):
    # Spain is 0.10/min until 2025-01-01 00:00 UTC and 0.08/min from then on.
    before = quote(client, service="voice", destination="+3491", start="2024-12-31T23:59:59Z", duration=60).json()
    after = quote(client, service="voice", destination="+3491", start="2025-01-01T00:00:00Z", duration=60).json()

    assert (before["cost"], before["tariff_version"]) == ("0.1000", "2024-01-01T00:00:00Z")
    assert (after["cost"], after["tariff_version"]) == ("0.0800", "2025-01-01T00:00:00Z")


# ----------------------------------------------------------------------------- SMS and data


def test_sms_volume_is_messages(client, catalog):
    # 3 messages x 0.05
    assert cost(client, "+34600", service="sms", volume=3) == Decimal("0.15")


def test_data_per_kb_rounds_bytes_up_to_whole_kilobytes(client, catalog):
    # 1,500,000 bytes = 1464.84 KB -> 1465 KB = 1465/1024 MB x 0.01 = 0.014306640625 -> 0.0143
    assert cost(client, "", service="data", volume=1_500_000) == Decimal("0.0143")


def test_data_per_mb_rounds_bytes_up_to_whole_megabytes(client, catalog):
    # UK roaming: 1,500,000 bytes -> 2 MB x 0.50 = 1.00
    assert cost(client, "44", service="data", volume=1_500_000) == Decimal("1.0000")


@pytest.mark.parametrize(
    ("so_far", "volume", "expected"),
    [
        (0, 100 * MB, "2.00"),  # all in the first tier: 100 MB x 0.02
        # 900 MB used: 124 MB to reach 1 GB at 0.02 = 2.48, then 76 MB at 0.01 = 0.76 -> 3.24
        (900 * MB, 200 * MB, "3.24"),
        (5 * 1024 * MB, 100 * MB, "0.50"),  # beyond 5 GB: 100 MB x 0.005
    ],
)
def test_data_tiers_price_by_the_volume_used_in_the_cycle(client, catalog, so_far, volume, expected):
    body = {"price_plan": "data-xl", "service": "data", "start": "2024-05-07T10:00:00Z"}

    response = client.post(URL, {**body, "volume": volume, "usage_so_far": so_far}, format="json")

    assert response.json()["cost"] == expected


def test_minimum_charge_lifts_a_short_call(operator, client):
    tariff = make_tariff(tenant=operator, min_charge=Decimal("0.05"), decimals=2)
    make_step(tariff, "34", "0.10", 60, 1)
    make_plan(tenant=operator, code="budget", tariffs={"voice": tariff})

    # 10 s x 0.10 / 60 = 0.0167, lifted to the 0.05 minimum
    response = quote(client, price_plan="budget", service="voice", destination="+34911", start="2024-05-07T10:00:00Z",
                     duration=10)  # fmt: skip

    assert (response.json()["cost"], response.json()["min_charge_applied"]) == ("0.05", True)


# ----------------------------------------------------------------------------- accounts, scope, side effects


def test_an_account_is_quoted_with_its_active_subscriptions_plan(operator, client, catalog):
    account = make_account(tenant=operator)
    product = catalog["mobile-m"].product
    Subscription.objects.create(
        account=account, product=product, price_plan=catalog["mobile-m"], start_date="2024-01-01"
    )

    response = client.post(URL, {"account": str(account.pk), "service": "voice", "destination": "+34911",
                                 "start": "2024-05-07T10:00:00Z", "duration": 61}, format="json")  # fmt: skip

    assert (response.status_code, response.json()["cost"], response.json()["price_plan"]) == (200, "0.2000", "mobile-m")


def test_a_quote_charges_nobody(operator, client, catalog):
    account = make_account(tenant=operator, balance=Decimal("10"))
    Subscription.objects.create(account=account, product=catalog["mobile-m"].product, price_plan=catalog["mobile-m"],
                                start_date="2024-01-01")  # fmt: skip
    counts = (LedgerEntry.objects.count(), LedgerTransaction.objects.count(), RatedUsage.objects.count())

    response = client.post(URL, {"account": account.pk, "service": "voice", "destination": "+34911",
                                 "start": "2024-05-07T10:00:00Z", "duration": 600}, format="json")  # fmt: skip

    assert response.status_code == 200
    assert (LedgerEntry.objects.count(), LedgerTransaction.objects.count(), RatedUsage.objects.count()) == counts


def test_another_tenants_plan_code_is_a_400_on_price_plan(reseller_a, reseller_b, reseller_a_staff):
    make_plan(tenant=reseller_b, code="bravo-only", tariffs={"voice": make_tariff(tenant=reseller_b)})

    response = token_client(reseller_a_staff).post(
        URL, {"price_plan": "bravo-only", "service": "voice", "destination": "+34911",
              "start": "2024-05-07T10:00:00Z", "duration": 60}, format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert list(response.json()) == ["price_plan"]


def test_another_tenants_account_is_a_400_on_account(reseller_a_staff, reseller_b):
    account = make_account(tenant=reseller_b)

    response = token_client(reseller_a_staff).post(
        URL, {"account": account.pk, "service": "voice", "destination": "+34911", "start": "2024-05-07T10:00:00Z",
              "duration": 60}, format="json",
    )  # fmt: skip

    assert (response.status_code, list(response.json())) == (400, ["account"])


def test_a_reseller_quotes_its_operators_plan_and_its_own_plan_of_the_same_code_first(
    operator, reseller_a, reseller_a_staff
):
    operator_tariff, own_tariff = make_tariff(tenant=operator), make_tariff(tenant=reseller_a)
    make_step(operator_tariff, "34", "0.10")
    make_step(own_tariff, "34", "0.07")
    make_plan(tenant=operator, code="shared", tariffs={"voice": operator_tariff})
    make_plan(tenant=operator, code="operator-only", tariffs={"voice": operator_tariff})
    make_plan(tenant=reseller_a, code="shared", tariffs={"voice": own_tariff})
    client = token_client(reseller_a_staff)
    call = {"service": "voice", "destination": "+34911", "start": "2024-05-07T10:00:00Z", "duration": 60}

    assert client.post(URL, {"price_plan": "operator-only", **call}, format="json").json()["cost"] == "0.10"
    assert client.post(URL, {"price_plan": "shared", **call}, format="json").json()["cost"] == "0.07"


# ----------------------------------------------------------------------------- bad input


GOOD = {"price_plan": "mobile-m", "service": "voice", "destination": "+34911", "start": "2024-05-07T10:00:00Z",
        "duration": 60}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": None}, "service"),
        ({"service": "fax"}, "service"),
        ({"start": None}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2024-05-07T10:00:00"}, "start"),  # no offset: not an instant
        ({"start": "2023-06-01T10:00:00Z"}, "start"),  # before the tariff's first version
        ({"duration": None}, "duration"),
        ({"duration": -5}, "duration"),
        ({"duration": "long"}, "duration"),
        ({"volume": 3}, "volume"),  # voice takes a duration
        ({"destination": "call me"}, "destination"),
        ({"destination": ""}, "destination"),
        ({"price_plan": None}, "price_plan"),
        ({"price_plan": "no-such-plan"}, "price_plan"),
        ({"account": "1"}, "account"),  # both a plan and an account
        ({"price_plan": None, "account": "A-17"}, "account"),
        ({"service": "sms", "duration": None, "volume": None}, "volume"),
        ({"service": "data", "duration": None, "volume": -1}, "volume"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, catalog, change, field):
    body = {key: value for key, value in {**GOOD, **change}.items() if value is not None}

    response = client.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_a_service_the_plan_does_not_rate_is_a_400_on_service(operator, client):
    make_plan(tenant=operator, code="voice-only", tariffs={"voice": make_tariff(tenant=operator)})

    body = {"price_plan": "voice-only", "service": "sms", "destination": "+34600", "start": GOOD["start"], "volume": 1}

    response = client.post(URL, body, format="json")

    assert (response.status_code, list(response.json())) == (400, ["service"])


def test_a_destination_no_rate_covers_is_a_400_on_destination(operator, client):
    tariff = make_tariff(tenant=operator)
    make_step(tariff, "34", "0.10")
    make_plan(tenant=operator, code="spain-only", tariffs={"voice": tariff})

    response = client.post(URL, {**GOOD, "price_plan": "spain-only", "destination": "+44207"}, format="json")

    assert (response.status_code, list(response.json())) == (400, ["destination"])


def test_the_quote_is_in_the_openapi_document():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    operation = yaml.safe_load(response.content)["paths"]["/api/v1/rating/quote"]["post"]
    assert operation["operationId"] == "rating_quote"
    assert set(operation["responses"]) >= {"200", "400"}
