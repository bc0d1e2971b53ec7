"""The catalog back office: pages answer, scope holds, deck upload and quote form work, plans take their tenant."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.conftest import login
from accounts.tests.factories import make_account, unit
from rating.models import Charge, PricePlan, RateDeckImport, Subscription, TariffRateStep, TimeBand
from rating.services import rate_deck_import

from .factories import make_band, make_holiday, make_plan, make_step, make_tariff

pytestmark = pytest.mark.django_db

CATALOG_ADMINS = ["product", "priceplan", "charge", "tariff", "tariffratestep", "timeband", "holiday", "ratedeckimport"]
DECK = (
    b"prefix,destination,time_band,effective_from,interval_start,connect_fee,rate,rate_unit,increment,"
    b"rounding,decimals,max_cost\n"
    b"34,Spain,,2024-01-01,0,0.05,0.10,60,60,,,\n"
    b"44,UK,,2024-01-01,0,,0.20,60,,,,\n"
)


@pytest.fixture
def world(operator, reseller_a, reseller_b):
    tariff = make_tariff(tenant=reseller_a, code="voice-a")
    step = make_step(tariff, "34", "0.10")
    plan = make_plan(tenant=reseller_a, code="alpha", tariffs={"voice": tariff})
    return {
        "tariff": tariff,
        "tariffratestep": step,
        "priceplan": plan,
        "product": plan.product,
        "charge": plan.charges.get(),
        "timeband": make_band(tenant=reseller_a, name="peak", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(20)),
        "holiday": make_holiday(tenant=reseller_a, day="2024-12-25"),
        "ratedeckimport": rate_deck_import(tariff=tariff, file=DECK),
        "foreign_tariff": make_tariff(tenant=reseller_b, code="voice-b"),
    }


@pytest.mark.parametrize("model_name", CATALOG_ADMINS)
def test_changelist_and_change_page_answer(operator_staff, world, model_name):
    client = login(operator_staff)

    listing = client.get(f"/admin/rating/{model_name}/")
    page = client.get(f"/admin/rating/{model_name}/{world[model_name].pk}/change/")

    assert (listing.status_code, page.status_code) == (200, 200)


@pytest.mark.parametrize("model_name", ["product", "priceplan", "charge", "tariff", "timeband", "holiday"])
def test_add_pages_answer_for_tenant_staff(reseller_a_staff, model_name):
    assert login(reseller_a_staff).get(f"/admin/rating/{model_name}/add/").status_code == 200


def test_steps_and_imports_are_read_only(operator_staff, world):
    client = login(operator_staff)

    assert client.get("/admin/rating/tariffratestep/add/").status_code == 403
    assert client.get("/admin/rating/ratedeckimport/add/").status_code == 403


def test_another_tenants_tariff_pages_are_404(reseller_a_staff, world):
    client = login(reseller_a_staff)
    foreign = world["foreign_tariff"].pk

    listed = client.get("/admin/rating/tariff/").context["cl"].result_list

    assert list(listed) == [world["tariff"]]
    for page in ("change", "rate-deck", "quote"):
        assert client.get(f"/admin/rating/tariff/{foreign}/{page}/").status_code == 404


def test_a_deck_uploaded_in_the_admin_loads_and_shows_its_report(reseller_a, reseller_a_staff):
    tariff = make_tariff(tenant=reseller_a)
    client = login(reseller_a_staff)

    response = client.post(
        f"/admin/rating/tariff/{tariff.pk}/rate-deck/", {"file": SimpleUploadedFile("deck.csv", DECK)}, follow=True
    )

    record = RateDeckImport.objects.get(tariff=tariff)
    assert response.redirect_chain[-1][0] == f"/admin/rating/ratedeckimport/{record.pk}/change/"
    assert (record.source, record.lines_loaded, record.lines_rejected) == ("admin", 1, 1)
    page = response.content.decode()
    assert "increment is required" in page
    assert "Read 2 lines: 1 loaded, 0 unchanged, 1 rejected." in page
    assert TariffRateStep.objects.filter(tariff=tariff).count() == 1


def test_a_file_that_is_not_a_deck_is_a_form_error(reseller_a, reseller_a_staff):
    tariff = make_tariff(tenant=reseller_a)

    response = login(reseller_a_staff).post(
        f"/admin/rating/tariff/{tariff.pk}/rate-deck/", {"file": SimpleUploadedFile("empty.csv", b" ")}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["The file is empty."]


def test_the_quote_form_prices_like_rating(reseller_a_staff, world):
    tariff = world["tariff"]
    make_step(tariff, "44", "0.20", connect_fee="0.15")

    response = login(reseller_a_staff).post(
        f"/admin/rating/tariff/{tariff.pk}/quote/",
        {"destination": "+44207", "start_0": "2024-05-07", "start_1": "10:00:00", "usage": "61", "usage_so_far": "0"},
    )

    # 0.15 fee + 2 min x 0.20 = 0.55
    result = response.context["result"]
    assert (str(result.cost), result.prefix) == ("0.55", "44")
    assert "Cost 0.55 EUR" in response.content.decode()


def test_the_quote_form_names_a_destination_no_rate_covers(reseller_a_staff, world):
    response = login(reseller_a_staff).post(
        f"/admin/rating/tariff/{world['tariff'].pk}/quote/",
        {"destination": "+44207", "start_0": "2024-05-07", "start_1": "10:00:00", "usage": "61", "usage_so_far": "0"},
    )

    assert "destination" in response.context["form"].errors
    assert response.context["result"] is None


def test_a_price_plan_takes_its_products_tenant_and_a_unique_code(reseller_a, reseller_a_staff, world):
    client = login(reseller_a_staff)
    body = {
        "product": world["product"].pk, "name": "Beta", "currency": unit("EUR").pk, "active": "on",
        "charges-TOTAL_FORMS": "0", "charges-INITIAL_FORMS": "0",
    }  # fmt: skip

    created = client.post("/admin/rating/priceplan/add/", {**body, "code": "beta"})
    twin = client.post("/admin/rating/priceplan/add/", {**body, "code": "alpha"})

    assert created.status_code == 302
    assert PricePlan.objects.get(code="beta").tenant == reseller_a
    assert "code" in twin.context["adminform"].form.errors


def test_a_time_band_is_chosen_with_weekday_boxes(reseller_a, reseller_a_staff):
    response = login(reseller_a_staff).post(
        "/admin/rating/timeband/add/",
        {"tenant": reseller_a.pk, "name": "weekend", "weekdays": ["5", "6"], "start": "00:00", "end": "00:00"},
    )

    assert response.status_code == 302
    assert TimeBand.objects.get(name="weekend").weekdays == [5, 6]


def test_a_usage_charge_inline_may_name_the_operators_tariff(operator, reseller_a_staff, world):
    inherited = make_tariff(tenant=operator, code="operator-voice")
    plan = world["priceplan"]
    charge = plan.charges.get()
    client = login(reseller_a_staff)

    form = client.get(f"/admin/rating/priceplan/{plan.pk}/change/").context["inline_admin_formsets"][0].formset
    choices = set(form.forms[0].fields["tariff"].queryset)

    assert inherited in choices
    assert world["foreign_tariff"] not in choices
    assert Charge.objects.get(pk=charge.pk).tariff == world["tariff"]


def test_the_tariff_page_previews_its_steps_and_links_to_all(reseller_a_staff, world):
    page = login(reseller_a_staff).get(f"/admin/rating/tariff/{world['tariff'].pk}/change/").content.decode()

    assert f"?tariff__id__exact={world['tariff'].pk}" in page
    # The fixture's deck re-sent Spain (already in force) with a fee and the UK without an increment:
    # both refused, so the one step made directly is all there is.
    assert "Browse all steps (1)" in page
    assert "<td>34</td>" in page


def test_a_subscription_takes_a_price_plan_of_its_product_only(reseller_a, reseller_a_staff, world):
    account = make_account(tenant=reseller_a)
    other_plan = make_plan(tenant=reseller_a, code="other")
    body = {"account": account.pk, "product": world["product"].pk, "quantity": "1", "start_date": "2024-02-01",
            "status": "active", "identifiers-TOTAL_FORMS": "0", "identifiers-INITIAL_FORMS": "0"}  # fmt: skip
    client = login(reseller_a_staff)

    wrong = client.post("/admin/rating/subscription/add/", {**body, "price_plan": other_plan.pk})
    right = client.post("/admin/rating/subscription/add/", {**body, "price_plan": world["priceplan"].pk})

    assert "price_plan" in wrong.context["adminform"].form.errors
    assert right.status_code == 302
    assert Subscription.objects.get(account=account).price_plan == world["priceplan"]
