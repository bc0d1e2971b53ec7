"""The rejects queue: rejected records are kept whole, can be corrected and replayed, and their file still
reconciles afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.selectors import unbalanced_transactions
from accounts.tests.factories import main_wallet
from rating.models import RatedUsage, RejectedRecord, RejectReason, RejectStatus, ServiceIdentifier, UsageFile
from rating.services.usage.rejects import rejected_record_dismiss, rejected_record_fix, rejected_records_replay
from rating.tests.usage_factories import SINCE, call, import_text, make_plan, make_subscriber, make_tariff

A = "353871000001"
UNKNOWN = "353879999999"


@pytest.fixture
def plan(operator):
    return make_plan(operator, [make_tariff(operator)])


@pytest.fixture
def account(operator, plan):
    return make_subscriber(operator, A, plan, balance=Decimal("5.00"))[0]


def test_an_unknown_subscriber_replays_once_the_number_is_provisioned(operator, plan, account, tmp_path):
    usage_file = import_text(operator, tmp_path, "a.csv", call(1) + call(2, src=UNKNOWN))
    reject = RejectedRecord.objects.get()
    assert (reject.reason, reject.line_no) == (RejectReason.UNKNOWN_SUBSCRIBER, 2)
    _, subscription = make_subscriber(operator, "353871000002", plan, balance=Decimal("1.00"))
    ServiceIdentifier.objects.create(subscription=subscription, kind="msisdn", value=UNKNOWN, valid_from=SINCE)

    result = rejected_records_replay(rejects=[reject])

    reject.refresh_from_db()
    usage_file.refresh_from_db()
    assert (result.rated, reject.status) == (1, RejectStatus.REPLAYED)
    assert RatedUsage.objects.get(record_key="ast:1709632800.2").usage_file == usage_file
    assert (usage_file.rated, usage_file.rejected) == (2, 0)
    assert usage_file.balanced
    assert main_wallet(subscription.account).balance == Decimal("0.90")


def test_a_malformed_field_is_corrected_then_replayed(operator, account, tmp_path):
    bad = call(1).replace(',60,"ANSWERED"', ',6O,"ANSWERED"')
    import_text(operator, tmp_path, "a.csv", bad)
    reject = RejectedRecord.objects.get()
    assert reject.reason == RejectReason.MALFORMED

    rejected_record_fix(reject=reject, corrected={"usage": "60"})
    rejected_records_replay(rejects=[RejectedRecord.objects.get()])

    row = RatedUsage.objects.get()
    assert (row.usage, row.cost, row.record_key) == (60, Decimal("0.1000"), "ast:1709632800.1")
    assert main_wallet(account).balance == Decimal("4.90")


def test_corrections_are_validated(operator, account, tmp_path):
    import_text(operator, tmp_path, "a.csv", call(1, src=UNKNOWN))

    with pytest.raises(ValidationError) as caught:
        rejected_record_fix(reject=RejectedRecord.objects.get(), corrected={"usage": "-3", "colour": "red"})

    assert "corrected" in caught.value.message_dict


def test_a_record_still_unratable_stays_in_the_queue_with_its_new_reason(operator, account, tmp_path):
    usage_file = import_text(operator, tmp_path, "a.csv", call(1, src=UNKNOWN))

    result = rejected_records_replay(rejects=RejectedRecord.objects.all())

    reject = RejectedRecord.objects.get()
    assert (result.rejected, reject.status, reject.reason) == (1, RejectStatus.OPEN, RejectReason.UNKNOWN_SUBSCRIBER)
    assert UsageFile.objects.get(pk=usage_file.pk).rejected == 1


def test_a_conflict_replayed_replaces_the_rated_record_and_recharges_it(operator, account, tmp_path):
    import_text(operator, tmp_path, "a.csv", call(1, billsec=60))
    second = import_text(operator, tmp_path, "b.csv", call(1, billsec=120))
    conflict = RejectedRecord.objects.get(reason=RejectReason.CONFLICT)

    rejected_records_replay(rejects=[conflict])

    row = RatedUsage.objects.get()
    second.refresh_from_db()
    assert (row.usage, row.cost) == (120, Decimal("0.2000"))
    assert main_wallet(account).balance == Decimal("4.80")
    assert (second.rejected, second.conflicts, second.duplicates) == (0, 0, 1)
    assert second.balanced
    assert not unbalanced_transactions().exists()


def test_a_dismissed_record_stays_counted_as_rejected(operator, account, tmp_path):
    usage_file = import_text(operator, tmp_path, "a.csv", call(1, src=UNKNOWN))

    rejected_record_dismiss(reject=RejectedRecord.objects.get())

    assert RejectedRecord.objects.get().status == RejectStatus.DISMISSED
    assert rejected_records_replay(rejects=RejectedRecord.objects.all()).rated == 0
    assert UsageFile.objects.get(pk=usage_file.pk).rejected == 1
