"""Portal sign-in: customers see their own accounts only; staff are sent to the back office."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.models.customers import PaymentMode
from accounts.services import wallet_credit, wallets_consume
from accounts.tests.factories import make_account, make_customer, make_pocket, make_staff, unit

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Portal-123"


@pytest.fixture
def two_customers(operator):
    """Two customers of one tenant, each with an account and a portal user."""
    alice = make_customer(tenant=operator, name="Alice Walsh")
    bob = make_customer(tenant=operator, name="Bob Doyle")
    alice_account = make_account(customer=alice, mode=PaymentMode.PREPAID, balance=Decimal("12.50"))
    bob_account = make_account(customer=bob, mode=PaymentMode.PREPAID, balance=Decimal("99.00"))
    User.objects.create_user(username="alice", password=PASSWORD, customer=alice, first_name="Alice")
    User.objects.create_user(username="bob", password=PASSWORD, customer=bob)
    return alice_account, bob_account


def test_login_page_renders_a_labelled_form(client):
    response = client.get("/selfcare/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'href="/static/css/site.css"' in html


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/selfcare/")

    assert response.status_code == 302
    assert response["Location"] == "/selfcare/login/?next=/selfcare/"


def test_customer_signs_in_and_sees_only_its_own_accounts(client, two_customers):
    alice_account, bob_account = two_customers

    response = client.post("/selfcare/login/", {"username": "alice", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/selfcare/", 302)]
    html = response.content.decode()
    assert "Hello, Alice" in html
    assert alice_account.number in html
    assert "€12.50" in html
    assert bob_account.number not in html
    assert "€99.00" not in html


def test_home_shows_bundles_with_what_is_left_of_what_was_granted(client, two_customers):
    alice_account, _ = two_customers
    now = timezone.now()
    minutes = make_pocket(
        alice_account, "MIN", name="Minutes bundle", valid_from=now, valid_to=now + timedelta(days=30)
    )
    wallet_credit(wallet=minutes, amount=Decimal("300"))
    wallets_consume(account=alice_account, unit=unit("MIN"), amount=Decimal("120"))
    client.login(username="alice", password=PASSWORD)

    html = client.get("/selfcare/").content.decode()

    assert "Minutes bundle" in html
    assert "180 min" in html
    assert "of 300 min" in html
    assert 'aria-valuenow="60"' in html


def test_staff_cannot_sign_in_to_the_portal(client, operator):
    make_staff(tenant=operator, username="clerk")

    response = client.post("/selfcare/login/", {"username": "clerk", "password": "pw-Secret-123"})

    assert response.status_code == 200
    assert "Staff sign in to the back office at /admin/" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_signed_in_elsewhere_is_told_to_use_the_back_office(client, operator_staff):
    client.force_login(operator_staff)

    response = client.get("/selfcare/")

    assert response.status_code == 403
    assert 'href="/admin/"' in response.content.decode()


def test_sign_out_ends_the_session(client, two_customers):
    client.login(username="alice", password=PASSWORD)

    response = client.post("/selfcare/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/selfcare/login/"
    assert client.get("/selfcare/").status_code == 302
