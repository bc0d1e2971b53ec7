"""Runs and alerts: the inbox is scanned, files archived and runs recorded; a file that cannot be parsed
or a reject ratio above the tenant's threshold raises an alert (admin, e-mail, API)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from rating.models import AlertKind, RatingRun, RatingSettings, RunStatus, UsageAlert, UsageFile, UsageFileStatus
from rating.services.usage.inbox import usage_inbox_scan
from rating.tasks import usage_inbox_scan_task
from rating.tests.usage_factories import asterisk_line, call, import_text, make_plan, make_subscriber, make_tariff

A = "353871000001"


@pytest.fixture
def subscriber(operator):
    operator.operations_email = "noc@operator.example.com"
    operator.save()
    return make_subscriber(operator, A, make_plan(operator, [make_tariff(operator)]), balance=Decimal("5.00"))[0]


@pytest.fixture
def folders(settings, tmp_path):
    settings.USAGE_INBOX_DIR = tmp_path / "inbox"
    settings.USAGE_ARCHIVE_DIR = tmp_path / "archive"
    return tmp_path


def recent_call(n: int, src: str = A) -> str:
    """A call of an hour ago (inbox imports judge dates against the real clock)."""
    moment = (timezone.now() - timedelta(hours=1)).replace(microsecond=0, tzinfo=None)
    return asterisk_line(f"1700000000.{n}", src, "34911222333", (moment + timedelta(minutes=n)).isoformat(sep=" "), 60)


def drop(folders, tenant, code: str, name: str, text: str | bytes):
    folder = folders / "inbox" / tenant.code / code
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_the_reject_ratio_alert_fires_above_the_tenant_threshold(
    operator, subscriber, tmp_path, django_capture_on_commit_callbacks
):
    RatingSettings.objects.create(tenant=operator, reject_ratio_alert=Decimal("0.25"))

    with django_capture_on_commit_callbacks(execute=True):
        usage_file = import_text(operator, tmp_path, "a.csv", call(1) + call(2, src="353870000000"))

    alert = UsageAlert.objects.get()
    assert (alert.kind, alert.usage_file) == (AlertKind.REJECT_RATIO, usage_file)
    assert "1 of 2 records rejected" in alert.message
    assert [m.to for m in mail.outbox] == [["noc@operator.example.com"]]


def test_no_alert_at_or_below_the_threshold(operator, subscriber, tmp_path):
    RatingSettings.objects.create(tenant=operator, reject_ratio_alert=Decimal("0.50"))

    import_text(operator, tmp_path, "a.csv", call(1) + call(2, src="353870000000"))

    assert not UsageAlert.objects.exists()


def test_a_file_that_cannot_be_parsed_fails_with_an_alert(
    operator, subscriber, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        usage_file = import_text(operator, tmp_path, "a.csv", "PK\x03\x04\x00\x00binary")

    assert usage_file.status == UsageFileStatus.FAILED
    assert "binary" in usage_file.error
    assert UsageAlert.objects.get().kind == AlertKind.PARSE_FAILURE
    assert len(mail.outbox) == 1


def test_the_inbox_scan_rates_archives_and_records_a_run(operator, subscriber, folders):
    drop(folders, operator, "asterisk-master", "Master-1.csv", recent_call(1) + recent_call(2))
    drop(folders, operator, "asterisk-master", "Master-2.csv.part", recent_call(3))  # still being written

    [run] = usage_inbox_scan(settle=0)

    assert (run.status, run.files, run.lines_read, run.rated) == (RunStatus.DONE, 1, 2, 2)
    assert run.duration_seconds is not None
    usage_file = UsageFile.objects.get()
    assert usage_file.run == run
    assert usage_file.stored_path.startswith(str(folders / "archive" / operator.code))
    remaining = sorted(p.name for p in (folders / "inbox" / operator.code / "asterisk-master").iterdir())
    assert remaining == ["Master-2.csv.part"]


def test_a_file_dropped_twice_is_a_duplicate_the_second_time(operator, subscriber, folders):
    text = recent_call(1)
    drop(folders, operator, "asterisk-master", "Master.csv", text)
    usage_inbox_scan(settle=0)
    drop(folders, operator, "asterisk-master", "Master.csv", text)

    [run] = usage_inbox_scan(settle=0)

    assert (run.rated, run.duplicates) == (0, 1)
    assert UsageFile.objects.filter(status=UsageFileStatus.DUPLICATE).count() == 1
    assert len(list((folders / "archive" / operator.code).glob("*/Master*.csv"))) == 2


def test_an_unknown_format_folder_is_a_run_error_with_an_alert(operator, subscriber, folders):
    drop(folders, operator, "no-such-format", "x.csv", recent_call(1))

    [run] = usage_inbox_scan(settle=0)

    assert run.status == RunStatus.DONE_WITH_ERRORS
    assert "no-such-format" in run.errors[0]["error"]
    assert UsageAlert.objects.get().kind == AlertKind.RUN_ERROR


def test_the_beat_task_runs_the_scan(operator, subscriber, folders, settings):
    settings.USAGE_INBOX_SETTLE_SECONDS = 0
    drop(folders, operator, "asterisk-master", "Master.csv", recent_call(1))

    run_ids = usage_inbox_scan_task.delay().get()

    assert RatingRun.objects.get(pk=run_ids[0]).rated == 1
    assert "usage-inbox-scan" in settings.CELERY_BEAT_SCHEDULE


def test_import_usage_command_reports_the_counts(operator, subscriber, tmp_path, capsys):
    RatingSettings.objects.create(tenant=operator, late_record_days=10_000)
    path = tmp_path / "Master.csv"
    path.write_text(call(1) + call(2, src="353870000000"))

    call_command("import_usage", str(path), "--format", "asterisk-master", "--tenant", operator.code, "--no-progress")

    assert "read 2, rated 1, rejected 1 (conflicts 0), duplicates 0" in capsys.readouterr().out
    assert RatingRun.objects.get().status == RunStatus.DONE
