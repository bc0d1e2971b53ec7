"""The catalog API: products, plans with charges, tariffs with steps and deck uploads, bands, holidays - scoped."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from accounts.tests.api_client import ids, results, token_client
from accounts.tests.factories import make_account, unit
from rating.models import Charge, PricePlan, Product, RateDeckImport, Subscription, Tariff, TariffRateStep

from .factories import make_band, make_plan, make_step, make_tariff

pytestmark = pytest.mark.django_db

API = "/api/v1/rating"
DECK = (
    "prefix,destination,time_band,effective_from,interval_start,connect_fee,rate,rate_unit,increment,"
    "rounding,decimals,max_cost\n"
    "34,Spain,,2024-01-01,0,,0.10,60,60,,,\n"
    "44,UK,,2024-01-01,0,,ten,60,60,,,\n"
)


def deck_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("wholesale.csv", DECK.encode(), content_type="text/csv")


def test_a_product_is_created_in_the_users_tenant_and_its_code_is_unique_there(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)

    created = client.post(f"{API}/products/", {"code": "mobile-s", "name": "Mobile S"}, format="json")
    twin = client.post(f"{API}/products/", {"code": "mobile-s", "name": "Again"}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["tenant"] == reseller_a.pk
    assert (twin.status_code, list(twin.json())) == (400, ["code"])
    assert AuditEvent.objects.filter(action="product.create", object_id=str(created.json()["id"])).exists()


def test_another_tenants_catalog_is_invisible_and_cannot_be_written_into(reseller_a_staff, reseller_b):
    theirs = Product.objects.create(tenant=reseller_b, code="bravo", name="Bravo")
    tariff = make_tariff(tenant=reseller_b)
    client = token_client(reseller_a_staff)

    assert client.get(f"{API}/products/{theirs.pk}/").status_code == 404
    assert theirs.pk not in ids(client.get(f"{API}/products/"))
    assert client.get(f"{API}/tariffs/{tariff.pk}/steps/").status_code == 404
    refused = client.post(f"{API}/products/", {"tenant": reseller_b.pk, "code": "x", "name": "X"}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["tenant"])


def test_a_price_plan_lists_its_charges_of_every_kind(operator, operator_staff):
    tariff = make_tariff(tenant=operator)
    plan = make_plan(tenant=operator, code="mobile-m", tariffs={"voice": tariff})
    unit("MIN")  # seeded; recreated if a transactional test flushed the table
    client = token_client(operator_staff)
    charges = [
        {"code": "monthly", "name": "Monthly fee", "kind": "recurring", "amount": "9.99", "period": "month",
         "timing": "advance"},
        {"code": "activation", "name": "Activation", "kind": "one_off", "amount": "15"},
        {"code": "minutes", "name": "300 minutes", "kind": "allowance", "allowance_unit": "MIN",
         "allowance_quantity": "300"},
        {"code": "welcome", "name": "50% for 3 months", "kind": "discount", "discount_percent": "50",
         "discount_applies_to": "recurring", "discount_periods": 3},
    ]  # fmt: skip

    for charge in charges:
        response = client.post(f"{API}/charges/", {"price_plan": plan.pk, **charge}, format="json")
        assert response.status_code == 201, response.content

    body = client.get(f"{API}/price-plans/{plan.pk}/").json()
    assert sorted(c["kind"] for c in body["charges"]) == ["allowance", "discount", "one_off", "recurring", "usage"]
    assert (body["tenant"], body["currency"]) == (operator.pk, "EUR")


def test_quantity_tiers_are_written_nested_and_replaced_on_update(operator, operator_staff):
    plan = make_plan(tenant=operator)
    client = token_client(operator_staff)
    tiers = [
        {"from_quantity": "0", "to_quantity": "10", "unit_price": "5.00"},
        {"from_quantity": "10", "to_quantity": None, "unit_price": "4.00"},
    ]
    created = client.post(
        f"{API}/charges/",
        {"price_plan": plan.pk, "code": "seats", "name": "Seats", "kind": "quantity", "quantity_pricing": "tiered",
         "tiers": tiers},
        format="json",
    )  # fmt: skip

    updated = client.patch(
        f"{API}/charges/{created.json()['id']}/",
        {"tiers": [{"from_quantity": "0", "to_quantity": None, "unit_price": "3.50"}]},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert [t["unit_price"] for t in created.json()["tiers"]] == ["5.000000", "4.000000"]
    assert [t["unit_price"] for t in updated.json()["tiers"]] == ["3.500000"]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"from_quantity": "5", "unit_price": "1"}], "from 0 without gaps"),
        ([{"from_quantity": "0", "to_quantity": "10", "unit_price": "1"},
          {"from_quantity": "12", "unit_price": "1"}], "without gaps"),
        ([{"from_quantity": "0", "to_quantity": "0", "unit_price": "1"}], "must exceed"),
    ],
)  # fmt: skip
def test_tiers_must_follow_each_other(operator, operator_staff, tiers, message):
    plan = make_plan(tenant=operator)

    response = token_client(operator_staff).post(
        f"{API}/charges/",
        {"price_plan": plan.pk, "code": "seats", "name": "Seats", "kind": "quantity", "quantity_pricing": "volume",
         "tiers": tiers},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert message in response.json()["tiers"][0]


def test_a_usage_charge_takes_a_tariff_of_its_service_from_its_tenant_or_above(
    operator, reseller_a, reseller_b, reseller_a_staff
):
    plan = make_plan(tenant=reseller_a)
    client = token_client(reseller_a_staff)
    body = {"price_plan": plan.pk, "code": "calls", "name": "Calls", "kind": "usage", "service": "voice"}

    inherited = client.post(f"{API}/charges/", {**body, "tariff": make_tariff(tenant=operator).pk}, format="json")
    wrong_service = client.post(
        f"{API}/charges/", {**body, "code": "c2", "tariff": make_tariff(tenant=reseller_a, service="sms").pk},
        format="json",
    )  # fmt: skip
    sibling = client.post(f"{API}/charges/", {**body, "code": "c3", "tariff": make_tariff(tenant=reseller_b).pk},
                          format="json")  # fmt: skip

    assert inherited.status_code == 201, inherited.content
    assert (wrong_service.status_code, list(wrong_service.json())) == (400, ["tariff"])
    assert (sibling.status_code, list(sibling.json())) == (400, ["tariff"])


def test_a_plan_sold_in_a_subscription_cannot_be_deleted(operator, operator_staff):
    plan = make_plan(tenant=operator)
    Subscription.objects.create(account=make_account(tenant=operator), product=plan.product, price_plan=plan,
                                start_date="2024-01-01")  # fmt: skip

    response = token_client(operator_staff).delete(f"{API}/price-plans/{plan.pk}/")

    assert (response.status_code, response.json()["code"]) == (409, "in_use")
    assert PricePlan.objects.filter(pk=plan.pk).exists()
    assert not AuditEvent.objects.filter(action="priceplan.delete").exists()


def test_tariff_terms_change_through_the_api_and_move_the_revision(operator, operator_staff):
    client = token_client(operator_staff)
    created = client.post(
        f"{API}/tariffs/",
        {"code": "voice-eu", "name": "Voice EU", "service": "voice", "currency": "EUR"},
        format="json",
    )
    tariff = Tariff.objects.get(pk=created.json()["id"])

    changed = client.patch(f"{API}/tariffs/{tariff.pk}/", {"decimals": 2, "max_cost": "5.00"}, format="json")
    service = client.patch(f"{API}/tariffs/{tariff.pk}/", {"service": "data"}, format="json")
    too_precise = client.patch(f"{API}/tariffs/{tariff.pk}/", {"decimals": 8}, format="json")

    assert created.status_code == 201, created.content
    assert (changed.json()["decimals"], changed.json()["max_cost"]) == (2, "5.000000")
    assert changed.json()["revision"] > created.json()["revision"]
    assert (service.status_code, list(service.json())) == (400, ["service"])
    assert (too_precise.status_code, list(too_precise.json())) == (400, ["decimals"])


def test_a_rate_deck_upload_reports_rejected_lines_and_a_replay_imports_nothing(operator, operator_staff):
    tariff = make_tariff(tenant=operator)
    client = token_client(operator_staff)
    url = f"{API}/tariffs/{tariff.pk}/rate-deck/"

    first = client.post(url, {"file": deck_file()}, format="multipart", HTTP_IDEMPOTENCY_KEY="deck-1")
    replay = client.post(url, {"file": deck_file()}, format="multipart", HTTP_IDEMPOTENCY_KEY="deck-1")
    no_key = client.post(url, {"file": deck_file()}, format="multipart")

    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["lines_read"], body["lines_loaded"], body["lines_rejected"]) == (2, 1, 1)
    assert body["report"]["rejections"] == [
        {"line": 3, "reason": "rate 'ten' is not a decimal number", "text": "44,UK,,2024-01-01,0,,ten,60,60,,,"}
    ]
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()["id"]) == (201, "true", body["id"])
    assert no_key.status_code == 400
    assert RateDeckImport.objects.count() == 1
    assert TariffRateStep.objects.filter(tariff=tariff).count() == 1


def test_a_file_that_is_not_a_deck_is_a_400(operator, operator_staff):
    tariff = make_tariff(tenant=operator)
    junk = SimpleUploadedFile("photo.csv", b"\xff\xd8\xff\xe0 not text", content_type="text/csv")

    response = token_client(operator_staff).post(
        f"{API}/tariffs/{tariff.pk}/rate-deck/", {"file": junk}, format="multipart", HTTP_IDEMPOTENCY_KEY="junk"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid_rate_deck")


def test_another_tenants_tariff_takes_no_deck(reseller_a_staff, reseller_b):
    tariff = make_tariff(tenant=reseller_b)

    response = token_client(reseller_a_staff).post(
        f"{API}/tariffs/{tariff.pk}/rate-deck/", {"file": deck_file()}, format="multipart", HTTP_IDEMPOTENCY_KEY="x"
    )

    assert response.status_code == 404
    assert not TariffRateStep.objects.exists()


def test_steps_are_listed_and_filtered_by_prefix(operator, operator_staff):
    tariff = make_tariff(tenant=operator)
    for prefix in ("34", "346", "44"):
        make_step(tariff, prefix, "0.10")

    rows = results(token_client(operator_staff).get(f"{API}/tariffs/{tariff.pk}/steps/?prefix=34"))

    assert [row["prefix"] for row in rows] == ["34", "346"]
    assert rows[0]["rate"] == "0.100000"


def test_the_tariff_list_counts_steps(operator, operator_staff):
    tariff = make_tariff(tenant=operator)
    make_step(tariff, "34", "0.10")
    make_step(tariff, "34", "0.05", interval_start=60)

    [row] = results(token_client(operator_staff).get(f"{API}/tariffs/"))

    assert (row["id"], row["steps"]) == (tariff.pk, 2)


def test_time_bands_and_holidays_are_unique_per_tenant(operator, operator_staff):
    client = token_client(operator_staff)
    band = {"name": "peak", "weekdays": [4, 0, 1, 2, 3, 3], "start": "08:00", "end": "20:00"}

    created = client.post(f"{API}/time-bands/", band, format="json")
    twin = client.post(f"{API}/time-bands/", band, format="json")
    bad_day = client.post(f"{API}/time-bands/", {**band, "name": "x", "weekdays": [7]}, format="json")
    holiday = client.post(f"{API}/holidays/", {"date": "2024-12-25", "name": "Christmas"}, format="json")
    holiday_twin = client.post(f"{API}/holidays/", {"date": "2024-12-25", "name": "Again"}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["weekdays"] == [0, 1, 2, 3, 4]
    assert (twin.status_code, list(twin.json())) == (400, ["name"])
    assert (bad_day.status_code, list(bad_day.json())) == (400, ["weekdays"])
    assert holiday.status_code == 201
    assert (holiday_twin.status_code, list(holiday_twin.json())) == (400, ["date"])


def test_a_band_named_by_a_step_cannot_be_deleted(operator, operator_staff):
    band = make_band(tenant=operator, name="peak", weekdays=[0], start=time(8), end=time(20))
    make_step(make_tariff(tenant=operator), "34", "0.10", time_band=band)

    response = token_client(operator_staff).delete(f"{API}/time-bands/{band.pk}/")

    assert (response.status_code, response.json()["code"]) == (409, "in_use")


def test_rate_deck_imports_are_listed_within_the_tenant_subtree(reseller_a, reseller_b, reseller_a_staff):
    from rating.services import rate_deck_import

    ours = rate_deck_import(tariff=make_tariff(tenant=reseller_a), file=DECK.encode())
    rate_deck_import(tariff=make_tariff(tenant=reseller_b), file=DECK.encode())

    assert ids(token_client(reseller_a_staff).get(f"{API}/rate-deck-imports/")) == {ours.pk}


def test_a_charge_cannot_move_to_another_plan(operator, operator_staff):
    plan, other = make_plan(tenant=operator), make_plan(tenant=operator)
    charge = Charge.objects.create(price_plan=plan, code="fee", name="Fee", kind="one_off", amount=Decimal("1"))

    response = token_client(operator_staff).patch(
        f"{API}/charges/{charge.pk}/", {"price_plan": other.pk}, format="json"
    )

    assert (response.status_code, list(response.json())) == (400, ["price_plan"])
