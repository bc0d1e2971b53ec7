"""The payments API: manual payments, allocations and refunds behind Idempotency-Key, statement upload
and review, the reconciliation report, card and checkout payments, tenant isolation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from invoicing.models import InvoiceStatus
from invoicing.payments.models import BankStatementLine, Payment
from invoicing.payments.services import payment_record_offline

from .factories import account_with_invoices, fresh
from .stripe_helpers import save_card
from .test_statements import camt053, entry

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client: APIClient, url: str, key: str, body: dict | None = None, **kwargs):
    return client.post(url, body or {}, format=kwargs.pop("format", "json"), HTTP_IDEMPOTENCY_KEY=key, **kwargs)


def test_manual_payment_is_recorded_once_per_idempotency_key(reseller_a, reseller_a_staff):
    account, (invoice,) = account_with_invoices(reseller_a, "80.00")
    api = client_for(reseller_a_staff)
    body = {"account": str(account.uuid), "amount": "100.00", "gateway": "bank_transfer", "reference": "TR-1"}

    first = post(api, "/api/v1/payments/", "k1", body)
    replay = post(api, "/api/v1/payments/", "k1", body)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    data = first.json()
    assert (data["status"], data["settled_amount"], data["amount_allocated"], data["unallocated"]) == (
        "succeeded",
        "100.00",
        "80.00",
        "20.00",
    )
    assert data["allocations"][0]["invoice"] == str(invoice.uuid)
    assert Payment.objects.count() == 1
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_post_without_idempotency_key_is_refused(reseller_a, reseller_a_staff):
    account, _ = account_with_invoices(reseller_a, "10.00")
    response = client_for(reseller_a_staff).post(
        "/api/v1/payments/", {"account": str(account.uuid), "amount": "1", "gateway": "cash"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"


def test_allocations_are_edited_and_refunds_posted_through_the_api(reseller_a, reseller_a_staff):
    account, (first, second) = account_with_invoices(reseller_a, "30.00", "30.00")
    api = client_for(reseller_a_staff)
    payment = post(api, "/api/v1/payments/", "p", {"account": str(account.uuid), "amount": "30", "gateway": "cash"})
    url = f"/api/v1/payments/{payment.json()['uuid']}"

    moved = post(api, f"{url}/allocations/", "a", {"allocations": [{"invoice": str(second.uuid), "amount": "30"}]})
    refund = post(api, f"{url}/refunds/", "r", {"amount": "5.00", "reason": "goodwill"})

    assert moved.status_code == 200, moved.json()
    assert (fresh(first).status, fresh(second).status) == (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
    assert (refund.status_code, refund.json()["status"], refund.json()["amount"]) == (201, "succeeded", "5.00")
    rows = api.get(f"{url}/allocations/").json()
    assert [row["amount"] for row in rows] == ["30.00", "-30.00", "30.00", "-5.00"]


def test_refund_above_the_payment_answers_409(reseller_a, reseller_a_staff):
    account, _ = account_with_invoices(reseller_a, "10.00")
    api = client_for(reseller_a_staff)
    payment = post(api, "/api/v1/payments/", "p", {"account": str(account.uuid), "amount": "10", "gateway": "cash"})

    refused = post(api, f"/api/v1/payments/{payment.json()['uuid']}/refunds/", "r", {"amount": "11", "reason": "x"})

    assert (refused.status_code, refused.json()["code"]) == (409, "refund_refused")


def test_statement_upload_matches_and_the_review_queue_is_worked(operator, operator_staff):
    _a, (fifty,) = account_with_invoices(operator, "50.00")
    _b, (twenty,) = account_with_invoices(operator, "20.00")
    api = client_for(operator_staff)
    content = camt053(entry("B-1", "50.00", fifty.display_number), entry("B-2", "20.01", "?"))
    upload = SimpleUploadedFile("may.xml", content, content_type="application/xml")

    response = post(api, "/api/v1/bank-statements/", "s1", {"file": upload, "format": "camt053"}, format="multipart")

    assert response.status_code == 201, response.json()
    assert (response.json()["matched"], response.json()["unknown"]) == (1, 1)
    queue = api.get("/api/v1/bank-statement-lines/?review=true").json()["results"]
    assert [line["bank_ref"] for line in queue] == ["B-2"]
    assigned = post(api, f"/api/v1/bank-statement-lines/{queue[0]['id']}/assign/", "as", {"invoice": str(twenty.uuid)})
    assert assigned.status_code == 200 and assigned.json()["match_status"] == "assigned"
    assert fresh(twenty).status == InvoiceStatus.PAID  # 0.01 left as credit


def test_reconciliation_report_per_day_and_gateway(operator, operator_staff):
    account, _ = account_with_invoices(operator, "50.00")
    api = client_for(operator_staff)
    post(api, "/api/v1/payments/", "p", {"account": str(account.uuid), "amount": "60", "gateway": "cash"})
    post(
        api,
        "/api/v1/bank-statements/",
        "s",
        {"file": SimpleUploadedFile("s.xml", camt053(entry("B-7", "9.99", "?"))), "format": "camt053"},
        format="multipart",
    )
    today = date.today().isoformat()

    rows = api.get(f"/api/v1/payments/reconciliation/?date_from=2024-05-01&date_to={today}").json()

    by_gateway = {(row["day"], row["gateway"]): row for row in rows}
    cash = by_gateway[(today, "cash")]
    assert (cash["received"], cash["allocated"], cash["credit"], cash["balanced"]) == ("60.00", "50.00", "10.00", True)
    bank = by_gateway[("2024-05-02", "bank_transfer")]
    assert (bank["unmatched_lines"], bank["unmatched"], bank["received"]) == (1, "9.99", "0.00")


def test_card_payment_through_the_api_with_a_saved_card(operator, operator_staff, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "12.00")
    save_card(account)

    response = post(
        client_for(operator_staff),
        "/api/v1/payments/card/",
        "c1",
        {"account": str(account.uuid), "amount": "12.00", "invoice": str(invoice.uuid)},
    )

    assert (response.status_code, response.json()["status"]) == (201, "succeeded")
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_checkout_through_the_api_returns_the_page_to_send_the_customer_to(operator, operator_staff, fake_stripe):
    account, _ = account_with_invoices(operator, "12.00")

    response = post(
        client_for(operator_staff), "/api/v1/payments/checkout/", "c2", {"account": str(account.uuid), "amount": "12"}
    )

    assert response.status_code == 201
    assert response.json()["checkout_url"].startswith(fake_stripe.base_url)


def test_another_tenants_payments_and_lines_answer_404(reseller_a, reseller_b, reseller_a_staff):
    account_b, _ = account_with_invoices(reseller_b, "10.00")
    api_b_payment = payment_record_offline(account=account_b, amount=D("10.00"), gateway="cash")
    api = client_for(reseller_a_staff)

    assert api.get(f"/api/v1/payments/{api_b_payment.uuid}/").status_code == 404
    assert api.get("/api/v1/payments/").json()["results"] == []
    refund = post(api, f"/api/v1/payments/{api_b_payment.uuid}/refunds/", "x", {"amount": "1", "reason": "x"})
    assert refund.status_code == 404
    paying_b = post(api, "/api/v1/payments/", "y", {"account": str(account_b.uuid), "amount": "1", "gateway": "cash"})
    assert paying_b.status_code == 400
    assert not BankStatementLine.objects.exists()


def test_returned_transfer_through_the_api(reseller_a, reseller_a_staff):
    account, (invoice,) = account_with_invoices(reseller_a, "10.00")
    api = client_for(reseller_a_staff)
    payment = post(
        api, "/api/v1/payments/", "p", {"account": str(account.uuid), "amount": "10", "gateway": "bank_transfer"}
    )

    response = post(
        api, f"/api/v1/payments/{payment.json()['uuid']}/returned/", "r", {"reason": "account closed", "code": "AC04"}
    )

    assert (response.status_code, response.json()["kind"], response.json()["amount"]) == (201, "return", "10.00")
    detail = api.get(f"/api/v1/payments/{payment.json()['uuid']}/").json()
    assert (detail["status"], detail["failure_code"]) == ("failed", "AC04")
    assert fresh(invoice).status == InvoiceStatus.ISSUED
