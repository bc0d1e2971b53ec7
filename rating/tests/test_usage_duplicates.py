"""Nothing lost, nothing twice: files by checksum, records by key, conflicts kept for review, and for
every file read = rated + rejected + duplicates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import main_wallet
from rating.models import RatedUsage, RejectedRecord, RejectReason, UsageFile, UsageFileStatus
from rating.tests.usage_factories import call, import_text, make_plan, make_subscriber, make_tariff

A = "353871000001"


@pytest.fixture
def subscriber(operator):
    plan = make_plan(operator, [make_tariff(operator)])  # 0.10 per minute, per second
    account, _ = make_subscriber(operator, A, plan, balance=Decimal("20.00"))
    return account


def balance(account) -> Decimal:
    return main_wallet(account).balance


def test_reimporting_the_same_file_adds_nothing(operator, subscriber, tmp_path):
    text = call(1) + call(2) + call(3)
    first = import_text(operator, tmp_path, "Master.csv", text)

    again = import_text(operator, tmp_path, "Master.csv", text)

    assert (first.rated, first.status) == (3, UsageFileStatus.DONE)
    assert (again.status, again.duplicate_of_id, again.lines_read, again.duplicates, again.rated) == (
        UsageFileStatus.DUPLICATE, first.pk, 3, 3, 0
    )  # fmt: skip
    assert RatedUsage.objects.count() == 3
    assert balance(subscriber) == Decimal("19.70")


def test_a_renamed_copy_is_a_duplicate_of_the_first_file(operator, subscriber, tmp_path):
    text = call(1) + call(2)
    first = import_text(operator, tmp_path, "Master-0305.csv", text)

    copy = import_text(operator, tmp_path, "Master-0305 (copy).csv", text)

    assert copy.status == UsageFileStatus.DUPLICATE
    assert copy.duplicate_of == first
    assert RatedUsage.objects.count() == 2
    assert balance(subscriber) == Decimal("19.80")


def test_a_file_overlapping_half_of_an_earlier_one_rates_only_the_new_half(operator, subscriber, tmp_path):
    import_text(operator, tmp_path, "a.csv", call(1) + call(2) + call(3) + call(4))

    second = import_text(operator, tmp_path, "b.csv", call(3) + call(4) + call(5) + call(6))

    assert (second.lines_read, second.rated, second.duplicates, second.rejected) == (4, 2, 2, 0)
    assert RatedUsage.objects.count() == 6
    assert balance(subscriber) == Decimal("19.40")


def test_a_repeated_record_inside_one_file_is_counted_once(operator, subscriber, tmp_path):
    usage_file = import_text(operator, tmp_path, "a.csv", call(1) + call(2) + call(1))

    assert (usage_file.lines_read, usage_file.rated, usage_file.duplicates) == (3, 2, 1)


def test_same_record_id_with_other_content_is_a_conflict_for_review_not_dropped(operator, subscriber, tmp_path):
    import_text(operator, tmp_path, "a.csv", call(1) + call(2))
    original = RatedUsage.objects.get(record_key="ast:1709632800.2")

    second = import_text(operator, tmp_path, "b.csv", call(2, billsec=75))

    conflict = RejectedRecord.objects.get(usage_file=second)
    assert (second.lines_read, second.rated, second.rejected, second.conflicts, second.duplicates) == (1, 0, 1, 1, 0)
    assert conflict.reason == RejectReason.CONFLICT
    assert conflict.conflicting_usage == original
    assert ",75," in conflict.raw_line
    assert RatedUsage.objects.get(record_key="ast:1709632800.2").usage == 60  # the rated record is untouched
    assert balance(subscriber) == Decimal("19.80")


def test_conflicts_inside_one_file_are_kept_too(operator, subscriber, tmp_path):
    usage_file = import_text(operator, tmp_path, "a.csv", call(1) + call(1, billsec=30))

    assert (usage_file.rated, usage_file.rejected, usage_file.conflicts) == (1, 1, 1)


def test_every_file_conserves_its_records(operator, subscriber, tmp_path):
    import_text(operator, tmp_path, "earlier.csv", call(1) + call(2))
    text = (
        call(1)  # duplicate of the earlier file
        + call(2, billsec=9)  # conflict
        + call(3)  # rated
        + call(4, src="353870000000")  # unknown subscriber
        + call(5).replace(',60,"ANSWERED"', ',6O,"ANSWERED"')  # malformed billsec
        + call(6)
        + call(6)  # rated, then a repeat
        + call(7)[:40]  # truncated last line
    )

    usage_file = import_text(operator, tmp_path, "day.csv", text)

    counts = (usage_file.lines_read, usage_file.rated, usage_file.rejected, usage_file.duplicates)
    assert counts == (8, 2, 4, 2)
    assert usage_file.balanced
    reasons = sorted(RejectedRecord.objects.filter(usage_file=usage_file).values_list("reason", flat=True))
    assert reasons == ["conflict", "malformed", "truncated", "unknown_subscriber"]
    line_numbers = sorted(RejectedRecord.objects.filter(usage_file=usage_file).values_list("line_no", flat=True))
    assert line_numbers == [2, 4, 5, 8]
    assert UsageFile.objects.get(pk=usage_file.pk).lines_done == 8


def test_reimporting_a_file_of_rejects_counts_them_as_duplicates_not_new_rejects(operator, subscriber, tmp_path):
    first = import_text(operator, tmp_path, "a.csv", call(1, src="353870000000") + call(2))

    second = import_text(operator, tmp_path, "b.csv", call(1, src="353870000000") + call(3))

    assert (first.rejected, second.rejected, second.duplicates, second.rated) == (1, 0, 1, 1)
    assert RejectedRecord.objects.count() == 1
