"""Real-time usage events (online charging): the same pipeline, one event per transaction.

An event is a JSON object: `event_id` (required; the record key is `evt:<event_id>`), `subscriber`,
`service` (voice, sms, data), `start` (ISO 8601; without an offset, the tenant's time zone), `duration`
(voice seconds), `volume` (data bytes or SMS count, default 1), `destination`, `answered` (default true).
Events are normalised by the same reader as files (a built-in "api" format), rated and debited one by one:
each prepaid debit is its own ledger transaction with an idempotency key per pocket. Sending the same
event id again returns the first result and charges nothing (status `duplicate`); the same id with other
content is a `conflict` reject. The answer per event says what it cost, what allowances covered, the
money balance after the debit, or why it was rejected.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from accounts.models import LedgerAccount, Tenant, Unit
from rating.models import RatedUsage, RejectedRecord, RejectReason

from .formats import FormatReader, FormatSpec
from .pipeline import ChunkOutcome, UsagePipeline
from .records import RejectRow, UsageRow
from .runs import rating_settings_for

EVENT_COLUMNS = ("event_id", "subscriber", "service", "start", "duration", "volume", "destination", "answered")
EVENT_SPEC = FormatSpec(
    code="api",
    key_prefix="evt",
    has_header=False,
    columns=EVENT_COLUMNS,
    mapping={
        "record_id": "event_id",
        "subscriber": "subscriber",
        "service": "service",
        "start": "start",
        "duration": "duration",
        "volume": "volume",
        "destination": "destination",
        "disposition": "answered",
    },
    answered_values=("true", "True", "1", "yes"),
)


def _fields(event: dict[str, Any]) -> list[str]:
    values = []
    for column in EVENT_COLUMNS:
        value = event.get(column)
        if column == "answered":
            value = "true" if value is None or value is True else str(value).lower()
        values.append("" if value is None else str(value))
    return values


def usage_events_rate(*, tenant: Tenant, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rate each event in its own transaction; returns one answer per event, in order."""
    spec = EVENT_SPEC.__class__(**{**EVENT_SPEC.__dict__, "timezone": tenant.timezone or "UTC"})
    reader = FormatReader(spec, late_days=rating_settings_for(tenant).late_record_days)
    pipeline = UsagePipeline(tenant=tenant, per_record=True, key_prefix="evt")
    answers = []
    for number, event in enumerate(events, start=1):
        raw = json.dumps(event, sort_keys=True, default=str)
        item = reader.normalise(number, raw + "\n", _fields(event))
        outcome = pipeline.process([item])
        answers.append(_answer(str(event.get("event_id", "")), item, outcome))
    return answers


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _balance(account_id: int) -> Decimal | None:
    return (
        LedgerAccount.objects.filter(billing_account_id=account_id, kind="pocket", code="main")
        .values_list("balance", flat=True)
        .first()
    )


def _rated_answer(event_id: str, usage: RatedUsage, status: str, balance: Decimal | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "status": status,
        "usage_id": usage.pk,
        "record_key": usage.record_key,
        "cost": _money(usage.cost),
        "currency": Unit.objects.get(pk=usage.currency_id).code,
        "covered": usage.covered_usage,
        "charged_usage": usage.charged_usage,
        "debited": _money(usage.debited),
        "flagged": usage.flagged,
        "balance_after": _money(balance) if usage.prepaid else None,
    }


def _answer(event_id: str, item: UsageRow | RejectRow, outcome: ChunkOutcome) -> dict[str, Any]:
    if outcome.rated:
        row = outcome.rated[0]
        usage = RatedUsage.objects.get(tenant_id=row.account.tenant_id, record_key=row.key)
        balance = row.balance_after if row.balance_after is not None else _balance(row.account.id)
        return _rated_answer(event_id, usage, "rated", balance)
    if outcome.duplicates:
        _, usage_id = outcome.duplicates[0]
        if usage_id is not None:
            usage = RatedUsage.objects.get(pk=usage_id)
            return _rated_answer(event_id, usage, "duplicate", _balance(usage.account_id))
        first = RejectedRecord.objects.filter(record_key=item.key, content_hash=item.chash).order_by("id").first()
        reason, detail = (first.reason, first.detail) if first else (RejectReason.MALFORMED, "")
        return {"event_id": event_id, "status": "rejected", "reason": reason, "detail": detail, "duplicate": True}
    reject = outcome.rejects[0]
    return {"event_id": event_id, "status": "rejected", "reason": reject.reason, "detail": reject.detail}
