"""The usage back office: the reconciliation page and its replay button, the rejects queue, the format
mapping form, read-only rated usage with its explanation, alerts - each scoped to the tenant subtree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.conftest import login
from rating.models import (
    RatedUsage,
    RejectedRecord,
    RejectStatus,
    ServiceIdentifier,
    UsageAlert,
    UsageFile,
    UsageFormat,
)
from rating.tests.usage_factories import SINCE, call, import_text, make_plan, make_subscriber, make_tariff
from rating.tests.usage_factories import preset as preset_format

A = "353871000001"
UNKNOWN = "353879999999"
PAGES = ["usageformat", "usagefile", "ratingrun", "rejectedrecord", "ratedusage", "usagealert", "ratingsettings"]


@pytest.fixture
def plan(operator):
    return make_plan(operator, [make_tariff(operator)])


@pytest.fixture
def usage_file(operator, plan, tmp_path):
    make_subscriber(operator, A, plan, balance=Decimal("5.00"))
    return import_text(operator, tmp_path, "Master.csv", call(1) + call(2, src=UNKNOWN) + call(3)[:30])


@pytest.mark.parametrize("model_name", PAGES)
def test_every_usage_changelist_answers(operator_staff, usage_file, model_name):
    response = login(operator_staff).get(f"/admin/rating/{model_name}/")

    assert response.status_code == 200


def test_the_reconciliation_page_shows_counts_by_reason_and_replays(operator, operator_staff, plan, usage_file):
    client = login(operator_staff)
    page = client.get(f"/admin/rating/usagefile/{usage_file.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "read = rated + rejected + duplicates" in html
    assert "unknown_subscriber" in html and "truncated" in html
    _, subscription = make_subscriber(operator, "353871000002", plan, balance=Decimal("1.00"))
    ServiceIdentifier.objects.create(subscription=subscription, kind="msisdn", value=UNKNOWN, valid_from=SINCE)

    response = client.post(f"/admin/rating/usagefile/{usage_file.pk}/replay/")

    usage_file.refresh_from_db()
    assert response.status_code == 302
    assert (usage_file.rated, usage_file.rejected) == (2, 1)
    assert usage_file.balanced


def test_another_resellers_file_answers_404(reseller_a, reseller_b, reseller_a_staff, tmp_path):
    make_subscriber(reseller_b, A, make_plan(reseller_b, [make_tariff(reseller_b)]), balance=Decimal("1.00"))
    theirs = import_text(reseller_b, tmp_path, "b.csv", call(1) + call(2, src=UNKNOWN))
    client = login(reseller_a_staff)

    assert client.get(f"/admin/rating/usagefile/{theirs.pk}/change/").status_code == 404
    assert client.post(f"/admin/rating/usagefile/{theirs.pk}/replay/").status_code == 302
    reject = RejectedRecord.objects.get(tenant=reseller_b)
    assert client.get(f"/admin/rating/rejectedrecord/{reject.pk}/change/").status_code == 404
    assert RejectedRecord.objects.get(pk=reject.pk).status == RejectStatus.OPEN


def test_a_reject_is_corrected_in_its_form_and_replayed_by_the_action(operator_staff, usage_file):
    client = login(operator_staff)
    reject = RejectedRecord.objects.get(reason="truncated")
    fields = {f"fix_{name}": "" for name in ("subscriber", "service", "start", "usage", "destination", "answered")}
    fields.update(fix_subscriber=A, fix_service="voice", fix_start="2024-03-05T10:03:00+00:00", fix_usage="45",
                  fix_destination="34911222333")  # fmt: skip

    saved = client.post(f"/admin/rating/rejectedrecord/{reject.pk}/change/", fields)
    replayed = client.post(
        "/admin/rating/rejectedrecord/", {"action": "replay", "_selected_action": [reject.pk]}, follow=True
    )

    assert saved.status_code == 302
    assert "1 rated" in replayed.content.decode()
    assert RejectedRecord.objects.get(pk=reject.pk).status == RejectStatus.REPLAYED
    assert RatedUsage.objects.filter(usage=45).exists()


def test_a_tenant_defines_its_format_with_the_mapping_form(operator_staff, operator):
    data = {
        "tenant": operator.pk, "code": "pbx", "name": "PBX", "active": "on", "key_prefix": "pbx",
        "subscriber_kind": "msisdn", "kind": "csv", "has_header": "on", "columns": "[]", "delimiter": ";",
        "quotechar": '"', "encoding": "utf-8", "service": "voice", "service_values": "{}", "answered_values": "[]",
        "date_format": "", "timezone": "", "volume_unit": "1", "leg_policy": "each",
        "map_record_id": "id", "map_subscriber": "from", "map_destination": "to", "map_start": "at",
        "map_duration": "secs",
    }  # fmt: skip

    response = login(operator_staff).post("/admin/rating/usageformat/add/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    fmt = UsageFormat.objects.get(code="pbx")
    assert fmt.mapping == {
        "record_id": "id",
        "subscriber": "from",
        "destination": "to",
        "start": "at",
        "duration": "secs",
    }


def test_a_format_form_without_the_required_columns_shows_the_error(operator_staff, operator):
    data = {"tenant": operator.pk, "code": "bad", "name": "Bad", "key_prefix": "bad", "subscriber_kind": "msisdn",
            "kind": "csv", "has_header": "on", "columns": "[]", "delimiter": ",", "quotechar": '"',
            "encoding": "utf-8", "service": "voice", "service_values": "{}", "answered_values": "[]",
            "volume_unit": "1", "leg_policy": "each", "map_subscriber": "from"}  # fmt: skip

    response = login(operator_staff).post("/admin/rating/usageformat/add/", data)

    assert response.status_code == 200
    assert "Map the required fields" in response.content.decode()


def test_presets_are_read_only_for_tenant_staff(operator_staff):
    preset = preset_format("asterisk-master")

    page = login(operator_staff).get(f"/admin/rating/usageformat/{preset.pk}/change/")

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_a_rated_record_page_explains_its_price(operator_staff, usage_file):
    row = RatedUsage.objects.get()

    page = login(operator_staff).get(f"/admin/rating/ratedusage/{row.pk}/change/")

    assert page.status_code == 200
    assert "&quot;matches&quot;: true" in page.content.decode()


def test_alerts_are_acknowledged_from_the_list(operator, operator_staff):
    alert = UsageAlert.objects.create(tenant=operator, kind="reject_ratio", message="too many rejects")

    login(operator_staff).post("/admin/rating/usagealert/", {"action": "acknowledge", "_selected_action": [alert.pk]})

    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


def test_the_files_calls_are_listed_from_the_reconciliation_page(operator_staff, usage_file):
    response = login(operator_staff).get(f"/admin/rating/ratedusage/?usage_file={usage_file.pk}")

    assert response.status_code == 200
    assert UsageFile.objects.get(pk=usage_file.pk).rated == 1
    assert "34911222333" in response.content.decode()
