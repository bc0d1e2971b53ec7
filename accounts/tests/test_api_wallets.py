"""Wallets and ledger entries through the REST API: idempotent top-ups, adjustments, floors, filters."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, IdempotencyRecord, LedgerEntry, LedgerTransaction
from accounts.models.customers import PaymentMode
from accounts.selectors import ledger_accounts_out_of_balance, unbalanced_transactions
from accounts.services import wallet_credit, wallet_debit
from accounts.tests.api_client import ids, results, token_client
from accounts.tests.factories import main_wallet, make_account, make_pocket

pytestmark = pytest.mark.django_db


def top_up_url(wallet) -> str:
    return f"/api/v1/wallets/{wallet.pk}/top-up/"


def adjust(client, wallet, direction: str, amount: str, reason: str, key: str):
    return client.post(
        f"/api/v1/wallets/{wallet.pk}/adjust/",
        {"direction": direction, "amount": amount, "reason": reason},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.fixture
def prepaid_wallet(reseller_a):
    return main_wallet(make_account(tenant=reseller_a, mode=PaymentMode.PREPAID, balance=Decimal("5.00")))


def test_top_up_replayed_three_times_posts_once(prepaid_wallet, reseller_a_staff):
    client = token_client(reseller_a_staff)
    body = {"amount": "10.50", "channel": "shop", "reference": "receipt-77"}
    entries_before = LedgerEntry.objects.count()

    answers = [
        client.post(top_up_url(prepaid_wallet), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1") for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [201, 201, 201, 201]
    assert "Idempotent-Replayed" not in answers[0]
    assert [a["Idempotent-Replayed"] for a in answers[1:]] == ["true", "true", "true"]
    assert all(a.json() == answers[0].json() for a in answers[1:])
    assert answers[0].json()["wallet"]["balance"] == "15.50"
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("15.50")
    assert LedgerEntry.objects.count() == entries_before + 2
    txn = LedgerTransaction.objects.get(pk=answers[0].json()["transaction"]["id"])
    assert (txn.kind, txn.reference, txn.created_by) == ("top_up", "receipt-77", reseller_a_staff)
    assert txn.entries.get(amount__lt=0).ledger_account.code == "shop"
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()


def test_same_key_with_another_body_is_a_422_and_posts_nothing(prepaid_wallet, reseller_a_staff):
    client = token_client(reseller_a_staff)
    client.post(top_up_url(prepaid_wallet), {"amount": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = client.post(top_up_url(prepaid_wallet), {"amount": "2.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_conflict"
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("6.00")


def test_top_up_without_an_idempotency_key_is_a_400(prepaid_wallet, reseller_a_staff):
    response = token_client(reseller_a_staff).post(top_up_url(prepaid_wallet), {"amount": "1.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("5.00")


@pytest.mark.parametrize("amount", ["0", "-3.00", "abc", "1.005", "", "1e400"])
def test_bad_top_up_amounts_are_a_400_naming_amount_and_the_key_stays_usable(prepaid_wallet, reseller_a_staff, amount):
    client = token_client(reseller_a_staff)

    refused = client.post(top_up_url(prepaid_wallet), {"amount": amount}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    corrected = client.post(top_up_url(prepaid_wallet), {"amount": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert refused.status_code == 400
    assert "amount" in refused.json()
    assert corrected.status_code == 201
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("6.00")


def test_a_json_number_is_read_from_its_exact_text(prepaid_wallet, reseller_a_staff):
    response = token_client(reseller_a_staff).post(
        top_up_url(prepaid_wallet), {"amount": 10.5}, format="json", HTTP_IDEMPOTENCY_KEY="k-4"
    )

    assert response.status_code == 201, response.content
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("15.50")


def test_debit_beyond_a_prepaid_balance_is_a_409_and_changes_nothing(prepaid_wallet, reseller_a_staff):
    entries_before = LedgerEntry.objects.count()

    response = adjust(token_client(reseller_a_staff), prepaid_wallet, "debit", "5.01", "goodwill reversal", "k-5")

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("5.00")
    assert LedgerEntry.objects.count() == entries_before
    assert not IdempotencyRecord.objects.filter(key="k-5").exists()


def test_adjust_credit_and_debit_with_sub_cent_precision_and_an_audit_event(prepaid_wallet, reseller_a_staff):
    client = token_client(reseller_a_staff)

    credit = adjust(client, prepaid_wallet, "credit", "0.004", "rating rounding", "k-6")
    debit = adjust(client, prepaid_wallet, "debit", "2.50", "manual charge", "k-7")

    assert (credit.status_code, debit.status_code) == (201, 201)
    assert debit.json()["wallet"]["balance"] == "2.504"
    assert debit.json()["transaction"]["description"] == "Adjustment: manual charge"
    prepaid_wallet.refresh_from_db()
    assert prepaid_wallet.balance == Decimal("2.504")
    assert AuditEvent.objects.filter(action="wallet.debit", object_id=str(prepaid_wallet.pk)).count() == 1


def test_adjust_needs_a_reason_and_a_direction(prepaid_wallet, reseller_a_staff):
    response = token_client(reseller_a_staff).post(
        f"/api/v1/wallets/{prepaid_wallet.pk}/adjust/",
        {"amount": "1.00", "reason": "  "},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-8",
    )

    assert response.status_code == 400
    assert {"reason", "direction"} <= set(response.json())


def test_postpaid_debit_may_use_the_credit_limit_and_available_says_what_is_left(reseller_a, reseller_a_staff):
    wallet = main_wallet(make_account(tenant=reseller_a, mode=PaymentMode.POSTPAID, credit_limit=Decimal("50")))
    client = token_client(reseller_a_staff)

    response = adjust(client, wallet, "debit", "30", "installation", "k-9")

    assert response.status_code == 201, response.content
    assert response.json()["wallet"]["balance"] == "-30.00"
    assert response.json()["wallet"]["available"] == "20.00"


def test_wallet_list_filters_by_account_and_unit(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a)
    minutes = make_pocket(account, "MIN", name="Bundle minutes")
    other = make_account(tenant=reseller_a)
    client = token_client(reseller_a_staff)

    assert ids(client.get("/api/v1/wallets/", {"account": account.pk})) == {main_wallet(account).pk, minutes.pk}
    assert ids(client.get("/api/v1/wallets/", {"unit": "min"})) == {minutes.pk}
    assert main_wallet(other).pk in ids(client.get("/api/v1/wallets/", {"unit": "EUR"}))


def test_wallet_balance_is_a_decimal_string_at_its_precision(prepaid_wallet, reseller_a_staff):
    wallet_debit(wallet=prepaid_wallet, amount=Decimal("0.123456"))

    body = token_client(reseller_a_staff).get(f"/api/v1/wallets/{prepaid_wallet.pk}/").json()

    assert (body["balance"], body["available"], body["unit"]) == ("4.876544", "4.876544", "EUR")


def test_ledger_entries_filter_by_wallet_kind_and_date_range(prepaid_wallet, reseller_a_staff):
    now = timezone.now()
    wallet_credit(wallet=prepaid_wallet, amount=Decimal("1.00"), at=now - timedelta(days=10))
    wallet_debit(wallet=prepaid_wallet, amount=Decimal("2.00"), at=now - timedelta(days=1))
    client = token_client(reseller_a_staff)
    url = "/api/v1/ledger-entries/"

    of_wallet = results(client.get(url, {"wallet": prepaid_wallet.pk}))
    debits = results(client.get(url, {"wallet": prepaid_wallet.pk, "kind": "debit"}))
    window = results(
        client.get(
            url,
            {
                "wallet": prepaid_wallet.pk,
                "created_after": (now - timedelta(days=11)).isoformat(),
                "created_before": (now - timedelta(days=2)).isoformat(),
            },
        )
    )

    assert len(of_wallet) == 3
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in debits] == [("debit", "-2.00", "4.00")]
    assert [(e["kind"], e["amount"]) for e in window] == [("top_up", "1.00")]
    assert {e["ledger_account"] for e in of_wallet} == {prepaid_wallet.pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_post_once(reseller_a, reseller_a_staff):
    wallet = main_wallet(make_account(tenant=reseller_a, mode=PaymentMode.PREPAID))
    token_client(reseller_a_staff)  # the token exists before the threads race for it
    barrier = threading.Barrier(4)
    answers: list[tuple[int, str]] = []

    def post() -> None:
        try:
            client = token_client(reseller_a_staff)
            barrier.wait()
            response = client.post(top_up_url(wallet), {"amount": "7.25"}, format="json", HTTP_IDEMPOTENCY_KEY="race")
            answers.append((response.status_code, response.get("Idempotent-Replayed", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [(201, ""), (201, "true"), (201, "true"), (201, "true")]
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("7.25")
    assert wallet.entries.count() == 1
