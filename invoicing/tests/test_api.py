"""The invoicing API: reads with explanations, transitions behind Idempotency-Key, tenant isolation."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.tests.factories import make_staff
from invoicing.models import Invoice, InvoiceStatus, NumberSeries, OneOffCharge
from invoicing.services import invoice_generate
from invoicing.tests.factories import (
    at,
    make_postpaid,
    make_tariff,
    monthly_plan,
    rate_usage,
    subscribe,
    tax_rate,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def draft(reseller_a):
    tax_rate(reseller_a, "21")
    account = make_postpaid(reseller_a)
    sub = subscribe(account, monthly_plan(reseller_a, "10.00"), date(2024, 3, 18))
    tariff = make_tariff(reseller_a)
    for day in (19, 20, 21):
        rate_usage(account, "0.100000", at(date(2024, 3, day)), subscription=sub, tariff=tariff)
    return invoice_generate(account=account, bill_date=date(2024, 4, 1))


def post(client: APIClient, url: str, key: str, body: dict | None = None):
    return client.post(url, body or {}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_invoice_detail_shows_lines_with_their_explanation_and_amounts_at_the_minor_unit(draft, reseller_a_staff):
    response = client_for(reseller_a_staff).get(f"/api/v1/invoices/{draft.uuid}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["total"]) == (f"DRAFT-{draft.pk}", "draft", "17.93")
    first = body["lines"][0]
    assert (first["amount"], first["proration"], first["tax_amount"]) == ("4.52", "14/31", "0.95")
    assert first["explanation"]["exact_amount"] == "4.516129032258"
    assert [row["tax_amount"] for row in body["tax_summary"]] == ["3.11"]  # 21% of 14.82 = 3.1122


def test_another_tenants_invoice_answers_404_on_every_route(draft, reseller_b):
    outsider = client_for(make_staff(tenant=reseller_b))

    assert outsider.get(f"/api/v1/invoices/{draft.uuid}/").status_code == 404
    assert post(outsider, f"/api/v1/invoices/{draft.uuid}/approve/", "k1").status_code == 404
    assert outsider.get("/api/v1/invoices/").json()["count"] == 0
    preview = outsider.post("/api/v1/invoices/preview/", {"account": str(draft.account.uuid)}, format="json")
    assert preview.status_code == 400


def test_the_operator_sees_its_resellers_invoices(draft, operator_staff):
    assert client_for(operator_staff).get("/api/v1/invoices/").json()["count"] == 1


def test_issue_replayed_with_the_same_idempotency_key_takes_one_number(draft, reseller_a_staff):
    client = client_for(reseller_a_staff)
    assert post(client, f"/api/v1/invoices/{draft.uuid}/approve/", "approve-1").status_code == 200

    first = post(client, f"/api/v1/invoices/{draft.uuid}/issue/", "issue-1", {"issue_date": "2024-04-01"})
    replay = post(client, f"/api/v1/invoices/{draft.uuid}/issue/", "issue-1", {"issue_date": "2024-04-01"})

    assert first.status_code == replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert (first.json()["number"], first.json()["due_date"]) == ("INV-000001", "2024-04-15")
    assert NumberSeries.objects.get(tenant=draft.tenant, series="INV").next_number == 2


def test_a_transition_from_a_wrong_state_is_a_409_with_a_clear_message(draft, reseller_a_staff):
    response = post(client_for(reseller_a_staff), f"/api/v1/invoices/{draft.uuid}/issue/", "issue-early")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_invoice_state"
    assert "only approved" in response.json()["detail"]


def test_a_post_without_an_idempotency_key_is_refused(draft, reseller_a_staff):
    response = client_for(reseller_a_staff).post(f"/api/v1/invoices/{draft.uuid}/approve/", {}, format="json")

    assert response.status_code == 400
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT


def test_cancel_then_credit_note_on_an_issued_invoice(draft, reseller_a_staff):
    client = client_for(reseller_a_staff)
    post(client, f"/api/v1/invoices/{draft.uuid}/approve/", "a")
    issued = post(client, f"/api/v1/invoices/{draft.uuid}/issue/", "i").json()
    line = issued["lines"][1]["id"]

    refused = post(client, f"/api/v1/invoices/{draft.uuid}/cancel/", "c", {"reason": "late"})
    parts = {"reason": "goodwill", "lines": [{"line": line, "amount": "5.00"}]}
    note = post(client, f"/api/v1/invoices/{draft.uuid}/credit-note/", "cn", parts)

    assert refused.status_code == 409
    assert note.status_code == 201
    assert (note.json()["number"], note.json()["total"]) == ("CN-000001", "6.05")
    assert client.get(f"/api/v1/credit-notes/{note.json()['uuid']}/").json()["invoice_number"] == "INV-000001"


def test_usage_detail_lists_the_records_behind_a_usage_line(draft, reseller_a_staff):
    usage_line = draft.lines.get(kind="usage")

    response = client_for(reseller_a_staff).get(f"/api/v1/invoices/{draft.uuid}/lines/{usage_line.pk}/usage/?limit=2")

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [row["cost"] for row in response.json()["results"]] == ["0.100000", "0.100000"]


def test_preview_returns_the_engines_invoice_and_creates_nothing(draft, reseller_a_staff):
    invoices = Invoice.objects.count()

    response = client_for(reseller_a_staff).post(
        "/api/v1/invoices/preview/", {"account": str(draft.account.uuid), "as_of": "2024-05-01"}, format="json"
    )

    assert response.status_code == 200
    assert [line["amount"] for line in response.json()["lines"]] == ["10.00"]  # May; March and April are claimed
    assert Invoice.objects.count() == invoices


def test_one_off_invoice_and_pending_charge_through_the_api(reseller_a, reseller_a_staff):
    account = make_postpaid(reseller_a)
    client = client_for(reseller_a_staff)

    invoice = post(
        client,
        "/api/v1/invoices/one-off/",
        "oo-1",
        {
            "account": str(account.uuid),
            "charge_date": "2024-03-05",
            "items": [{"description": "Installation", "unit_price": "80.00"}],
        },
    )
    pending = post(
        client,
        "/api/v1/one-off-charges/",
        "oc-1",
        {
            "account": str(account.uuid),
            "description": "Late fee",
            "unit_price": "5.00",
            "charge_date": "2024-03-20",
        },
    )

    assert invoice.status_code == 201
    assert (invoice.json()["status"], invoice.json()["total"]) == ("issued", "80.00")
    assert pending.status_code == 201
    assert OneOffCharge.objects.get(uuid=pending.json()["uuid"]).unit_price == D("5.00")


def test_pdf_holds_the_invoice_and_the_call_detail_annex(draft, reseller_a_staff):
    response = client_for(reseller_a_staff).get(f"/api/v1/invoices/{draft.uuid}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert f"Invoice DRAFT-{draft.pk}" in text
    assert "17.93" in text
    assert "Annex: Voice usage" in text
    assert "2024-03-20 12:00:00" in text
