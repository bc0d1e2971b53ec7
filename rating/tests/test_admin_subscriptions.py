"""The subscriptions back office: scoped to the tenant subtree, with the inherited catalog and clean errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.utils import timezone

from accounts.tests.conftest import change_form_data, login
from accounts.tests.factories import make_account
from rating.models import Product, ServiceIdentifier, Subscription

pytestmark = pytest.mark.django_db

RATING_ADMINS = ["product", "subscription", "serviceidentifier"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _subscribe(account, product, msisdn: str) -> Subscription:
    subscription = Subscription.objects.create(account=account, product=product, start_date=date(2024, 1, 1))
    ServiceIdentifier.objects.create(
        subscription=subscription, kind="msisdn", value=msisdn, valid_from=timezone.now() - timedelta(days=30)
    )
    return subscription


@pytest.fixture
def catalog(operator, reseller_a, reseller_b):
    return {
        "operator": Product.objects.create(tenant=operator, code="mobile-s", name="Mobile S"),
        "a": Product.objects.create(tenant=reseller_a, code="alpha-plan", name="Alpha plan"),
        "b": Product.objects.create(tenant=reseller_b, code="bravo-plan", name="Bravo plan"),
    }


@pytest.fixture
def subscriptions(reseller_a, reseller_b, catalog):
    return {
        "a": _subscribe(make_account(tenant=reseller_a), catalog["operator"], "34600000001"),
        "b": _subscribe(make_account(tenant=reseller_b), catalog["b"], "34600000002"),
    }


def test_every_rating_model_admin_is_covered():
    registered = {model._meta.model_name for model in admin.site._registry if model._meta.app_label == "rating"}

    assert registered >= set(RATING_ADMINS)


@pytest.mark.parametrize("model_name", RATING_ADMINS)
def test_changelist_and_change_page_answer(operator_staff, subscriptions, model_name):
    client = login(operator_staff)
    sample = {
        "product": subscriptions["a"].product,
        "subscription": subscriptions["a"],
        "serviceidentifier": subscriptions["a"].identifiers.get(),
    }[model_name]

    listing = client.get(f"/admin/rating/{model_name}/")
    page = client.get(f"/admin/rating/{model_name}/{sample.pk}/change/")

    assert listing.status_code == 200
    assert page.status_code == 200


@pytest.mark.parametrize("model_name", RATING_ADMINS)
def test_add_pages_answer_for_tenant_staff(reseller_a_staff, model_name):
    client = login(reseller_a_staff)

    response = client.get(f"/admin/rating/{model_name}/add/")

    assert response.status_code == 200


def test_reseller_sees_only_its_subscriptions_and_identifiers(reseller_a_staff, subscriptions):
    client = login(reseller_a_staff)

    listed = client.get("/admin/rating/subscription/").context["cl"].result_list
    identifiers = client.get("/admin/rating/serviceidentifier/").content.decode()
    foreign = client.get(f"/admin/rating/subscription/{subscriptions['b'].pk}/change/")

    assert list(listed) == [subscriptions["a"]]
    assert "34600000001" in identifiers
    assert "34600000002" not in identifiers
    assert foreign.status_code == 404


def test_subscriptions_are_searchable_by_account_number_and_identifiers_by_value(operator_staff, subscriptions):
    client = login(operator_staff)
    number = subscriptions["b"].account.number

    by_account = client.get("/admin/rating/subscription/", {"q": number}).context["cl"].result_list
    by_value = client.get("/admin/rating/serviceidentifier/", {"q": "34600000001"}).context["cl"].result_list

    assert list(by_account) == [subscriptions["b"]]
    assert [i.value for i in by_value] == ["34600000001"]


def test_subscriptions_filter_by_status_and_product(operator_staff, subscriptions, catalog):
    Subscription.objects.filter(pk=subscriptions["b"].pk).update(status="paused")
    client = login(operator_staff)

    paused = client.get("/admin/rating/subscription/", {"status__exact": "paused"}).context["cl"].result_list
    by_product = client.get("/admin/rating/subscription/", {"product__id__exact": catalog["operator"].pk})

    assert list(paused) == [subscriptions["b"]]
    assert list(by_product.context["cl"].result_list) == [subscriptions["a"]]


def _new_subscription(account_pk: int, product_pk: int) -> dict[str, object]:
    return {
        "account": account_pk,
        "product": product_pk,
        "quantity": "1",
        "start_date": "2024-02-01",
        "status": "active",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }


def test_reseller_subscribes_its_account_to_its_own_or_the_operators_product_only(
    reseller_a_staff, reseller_a, catalog
):
    account = make_account(tenant=reseller_a)
    client = login(reseller_a_staff)

    inherited = client.post("/admin/rating/subscription/add/", _new_subscription(account.pk, catalog["operator"].pk))
    own = client.post("/admin/rating/subscription/add/", _new_subscription(account.pk, catalog["a"].pk))
    sibling = client.post("/admin/rating/subscription/add/", _new_subscription(account.pk, catalog["b"].pk))

    assert inherited.status_code == 302
    assert own.status_code == 302
    assert "product" in sibling.context["adminform"].form.errors
    assert set(account.subscriptions.values_list("product__code", flat=True)) == {"mobile-s", "alpha-plan"}


def test_subscribing_another_tenants_account_is_refused(reseller_a_staff, reseller_b, catalog):
    foreign_account = make_account(tenant=reseller_b)
    client = login(reseller_a_staff)

    response = client.post(
        "/admin/rating/subscription/add/", _new_subscription(foreign_account.pk, catalog["operator"].pk)
    )

    assert "account" in response.context["adminform"].form.errors
    assert not foreign_account.subscriptions.exists()


def test_a_msisdn_already_in_use_is_a_form_error_not_a_crash(operator_staff, subscriptions):
    client = login(operator_staff)
    target = subscriptions["b"]
    data = change_form_data(client.get(f"/admin/rating/subscription/{target.pk}/change/"))
    data |= {
        "identifiers-TOTAL_FORMS": "2",
        "identifiers-1-kind": "msisdn",
        "identifiers-1-value": "34600000001",
        "identifiers-1-valid_from_0": "2024-06-01",
        "identifiers-1-valid_from_1": "00:00:00",
    }

    response = client.post(f"/admin/rating/subscription/{target.pk}/change/", data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[1] == {"value": ["34600000001 is already in use on another subscription in that period."]}
    assert target.identifiers.count() == 1
