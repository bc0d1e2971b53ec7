"""The usage API: real-time events charged once per event id, uploads, the rejects queue, and tenant scoping
on every endpoint."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import LedgerTransaction
from accounts.tests.api_client import ids, results, token_client
from accounts.tests.factories import main_wallet
from rating.models import RatedUsage, RatingSettings, RejectedRecord, UsageFile, UsageFileStatus
from rating.tests.usage_factories import (
    asterisk_line,
    call,
    import_text,
    make_plan,
    make_subscriber,
    make_tariff,
    preset,
)

A = "353871000001"


@pytest.fixture
def subscriber(operator):
    return make_subscriber(operator, A, make_plan(operator, [make_tariff(operator)]), balance=Decimal("1.00"))[0]


@pytest.fixture
def api(operator_staff):
    return token_client(operator_staff)


START = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0).isoformat()


def event(event_id: str, **changes: object) -> dict[str, object]:
    return {"event_id": event_id, "subscriber": A, "service": "voice", "start": START, "duration": 90,
            "destination": "34911222333", **changes}  # fmt: skip


def test_replaying_a_real_time_event_id_charges_once(api, subscriber):
    first = api.post("/api/v1/usage", event("ev-1"), format="json")
    replay = api.post("/api/v1/usage", event("ev-1"), format="json")

    assert first.status_code == replay.status_code == 200
    assert first.json()["status"] == "rated"
    assert (first.json()["cost"], first.json()["balance_after"]) == ("0.150000", "0.8500000000")
    assert replay.json()["status"] == "duplicate"
    assert replay.json()["usage_id"] == first.json()["usage_id"]
    assert RatedUsage.objects.count() == 1
    assert main_wallet(subscriber).balance == Decimal("0.85")
    assert LedgerTransaction.objects.filter(kind="usage").count() == 1


def test_a_batch_gets_one_answer_per_event_and_a_prepaid_balance_runs_out(api, subscriber):
    batch = {"events": [event(f"ev-{i}", duration=360) for i in range(3)] + [event("ev-x", subscriber="353870000000")]}

    response = api.post("/api/v1/usage", batch, format="json")

    answers = response.json()["results"]
    assert [a["status"] for a in answers] == ["rated", "rated", "rated", "rejected"]
    assert [a["debited"] for a in answers[:3]] == ["0.600000", "0.400000", "0.000000"]
    assert [a["flagged"] for a in answers[:3]] == ["", "insufficient_balance", "insufficient_balance"]
    assert answers[3]["reason"] == "unknown_subscriber"
    assert main_wallet(subscriber).balance == Decimal("0")


def test_the_same_event_id_with_other_content_is_a_conflict(api, subscriber):
    api.post("/api/v1/usage", event("ev-1"), format="json")

    response = api.post("/api/v1/usage", event("ev-1", duration=30), format="json")

    assert (response.json()["status"], response.json()["reason"]) == ("rejected", "conflict")
    assert main_wallet(subscriber).balance == Decimal("0.85")


def test_an_invalid_event_answers_400(api, subscriber):
    response = api.post("/api/v1/usage", {"event_id": "x", "service": "fax"}, format="json")

    assert response.status_code == 400
    assert "service" in response.json()


def test_uploading_a_file_rates_it_and_the_same_bytes_again_are_a_duplicate(
    api, operator, subscriber, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.USAGE_UPLOAD_DIR = tmp_path / "uploads"
    settings.USAGE_ARCHIVE_DIR = tmp_path / "archive"
    RatingSettings.objects.create(tenant=operator, late_record_days=10_000)
    preset("asterisk-master")
    content = (call(1) + call(2)).encode()

    with django_capture_on_commit_callbacks(execute=True):  # the import task is queued after commit
        first = api.post(
            "/api/v1/rating/usage-files/",
            {"file": SimpleUploadedFile("Master.csv", content), "format": "asterisk-master"},
        )
    again = api.post(
        "/api/v1/rating/usage-files/", {"file": SimpleUploadedFile("copy.csv", content), "format": "asterisk-master"}
    )

    assert first.status_code == 201
    rated = api.get(f"/api/v1/rating/usage-files/{first.json()['id']}/").json()
    assert (rated["status"], rated["rated"], rated["balanced"]) == ("done", 2, True)
    assert (again.json()["status"], again.json()["duplicates"]) == (UsageFileStatus.DUPLICATE, 2)
    assert RatedUsage.objects.count() == 2


def test_a_reject_is_corrected_with_patch_and_replayed(api, operator, subscriber, tmp_path):
    usage_file = import_text(operator, tmp_path, "a.csv", call(1).replace(',60,"ANSWERED"', ',6O,"ANSWERED"'))
    reject = RejectedRecord.objects.get()
    reconciliation = api.get(f"/api/v1/rating/usage-files/{usage_file.pk}/reconciliation/").json()
    assert reconciliation["rejects_by_reason"] == [{"reason": "malformed", "total": 1, "open": 1}]

    patched = api.patch(f"/api/v1/rating/rejected-records/{reject.pk}/", {"corrected": {"usage": 30}}, format="json")
    replayed = api.post(f"/api/v1/rating/rejected-records/{reject.pk}/replay/")

    assert patched.json()["status"] == "fixed"
    assert replayed.json()["status"] == "replayed"
    assert RatedUsage.objects.get().cost == Decimal("0.0500")
    assert UsageFile.objects.get(pk=usage_file.pk).rated == 1


def test_rated_usage_filters_by_account_and_period_and_explains_a_record(api, operator, subscriber, tmp_path):
    import_text(operator, tmp_path, "a.csv", call(1) + call(2))

    listed = api.get("/api/v1/rating/rated-usage/", {"account": subscriber.pk, "start_after": "2024-03-05T10:02:00Z"})
    row = results(listed)
    explained = api.get(f"/api/v1/rating/rated-usage/{row[0]['id']}/explain/").json()

    assert [r["record_key"] for r in row] == ["ast:1709632800.2"]
    assert explained["matches"] is True


def test_formats_list_presets_and_own_formats_and_a_tenant_creates_its_own(api):
    for code in ("asterisk-master", "freeswitch-csv", "edr-generic"):
        preset(code)
    created = api.post(
        "/api/v1/rating/usage-formats/",
        {"code": "pbx", "name": "PBX", "has_header": True, "key_prefix": "pbx", "service": "voice",
         "mapping": {"record_id": "id", "subscriber": "from", "destination": "to", "start": "at", "duration": "s"}},
        format="json",
    )  # fmt: skip

    codes = {row["code"]: row["preset"] for row in results(api.get("/api/v1/rating/usage-formats/"))}
    assert created.status_code == 201, created.content
    assert codes == {"asterisk-master": True, "freeswitch-csv": True, "edr-generic": True, "pbx": False}


def test_a_format_without_the_required_mapping_is_refused(api):
    response = api.post(
        "/api/v1/rating/usage-formats/",
        {"code": "bad", "name": "Bad", "has_header": True, "key_prefix": "bad", "service": "voice",
         "mapping": {"subscriber": "from"}},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "mapping" in response.json()


def test_another_resellers_usage_files_rejects_and_rated_usage_are_invisible(
    operator, reseller_a, reseller_b, reseller_a_staff, tmp_path
):
    for tenant, number in ((reseller_a, "353871000011"), (reseller_b, "353871000022")):
        make_subscriber(tenant, number, make_plan(tenant, [make_tariff(tenant)]), balance=Decimal("1.00"))
        text = asterisk_line(f"{number}.1", number, "34911222333", "2024-03-05 10:00:00", 60)
        text += asterisk_line(f"{number}.2", "353870000000", "34911222333", "2024-03-05 10:00:00", 60)
        import_text(tenant, tmp_path, f"{tenant.code}.csv", text)
    api = token_client(reseller_a_staff)
    mine = UsageFile.objects.get(tenant=reseller_a)
    theirs = UsageFile.objects.get(tenant=reseller_b)

    assert ids(api.get("/api/v1/rating/usage-files/")) == {mine.pk}
    assert api.get(f"/api/v1/rating/usage-files/{theirs.pk}/").status_code == 404
    assert ids(api.get("/api/v1/rating/rejected-records/")) == set(
        RejectedRecord.objects.filter(tenant=reseller_a).values_list("pk", flat=True)
    )
    assert ids(api.get("/api/v1/rating/rated-usage/")) == set(
        RatedUsage.objects.filter(tenant=reseller_a).values_list("pk", flat=True)
    )
    their_reject = RejectedRecord.objects.get(tenant=reseller_b)
    assert api.post(f"/api/v1/rating/rejected-records/{their_reject.pk}/replay/").status_code == 404
