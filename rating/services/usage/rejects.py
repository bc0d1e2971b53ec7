"""The rejects queue: correct a rejected record, replay it through the pipeline, or dismiss it.

- `rejected_record_fix` stores corrections of normalised fields (subscriber, service, start, usage,
  destination, answered) and marks the record `fixed`; nothing is rated yet.
- `rejected_records_replay` rates the records again (corrections applied; a record whose fields could not
  be read is parsed again from its raw line with its file's format, which may have been corrected since).
  Rated: the reject becomes `replayed` and its file's counts move (rejected - 1, rated + 1), so the file
  still reconciles. Rejected again: the reason and detail are updated, the record stays in the queue.
  A `conflict` is resolved in favour of the new content: the rated record it collided with is re-rated
  with it (its charges given back and taken anew, see `rerate`), unless that record was invoiced already.
- `rejected_record_dismiss` closes a record that must not be rated (e.g. test traffic); it stays counted
  as rejected.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.exceptions import InvalidState
from accounts.services.audit import audit_record
from rating.engine import RatingError, normalize_number
from rating.models import RatedUsage, RejectedRecord, RejectReason, RejectStatus, UsageFile

from .context import UsageContext
from .formats import SERVICES, FormatReader, FormatSpec, normalise_subscriber
from .pipeline import UsagePipeline
from .records import UsageRow, content_hash
from .rerate import usage_reprice

CORRECTABLE = ("subscriber", "service", "start", "usage", "destination", "answered")


@dataclass(frozen=True)
class ReplayResult:
    rated: int
    rejected: int
    duplicates: int


def _clean(corrected: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(corrected) - set(CORRECTABLE))
    if unknown:
        raise ValidationError(
            {"corrected": f"Only {', '.join(CORRECTABLE)} can be corrected, not {', '.join(unknown)}."}
        )
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in corrected.items():
        try:
            if name == "start":
                moment = datetime.fromisoformat(str(value))
                clean[name] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
            elif name == "usage":
                number = int(str(value))
                if number < 0:
                    raise ValueError("negative")
                clean[name] = number
            elif name == "service":
                if value not in SERVICES:
                    raise ValueError(value)
                clean[name] = value
            elif name == "destination":
                clean[name] = normalize_number(str(value))
            elif name == "answered":
                clean[name] = value in (True, "true", "1", 1, "yes", "on")
            else:
                clean[name] = normalise_subscriber(str(value)) or str(value).strip()
        except (ValueError, RatingError):
            errors[name] = f"{value!r} is not a valid {name}."
    if errors:
        raise ValidationError(errors)
    return clean


def rejected_record_fix(*, reject: RejectedRecord, corrected: dict[str, Any], actor: Any = None) -> RejectedRecord:
    """Store corrections for a later replay (validated; merged with earlier corrections)."""
    if reject.status in (RejectStatus.REPLAYED, RejectStatus.DISMISSED):
        raise InvalidState(f"This record is {reject.get_status_display().lower()}; it cannot be corrected.")
    before = dict(reject.corrected)
    reject.corrected = {**reject.corrected, **_clean(corrected)}
    reject.status = RejectStatus.FIXED
    reject.save(update_fields=["corrected", "status"])
    audit_record(
        action="usage.reject_fix", obj=reject, actor=actor, tenant=reject.tenant, before=before, after=reject.corrected
    )
    return reject


def rejected_record_dismiss(*, reject: RejectedRecord, actor: Any = None) -> RejectedRecord:
    if reject.status == RejectStatus.REPLAYED:
        raise InvalidState("This record was replayed and rated; it cannot be dismissed.")
    reject.status = RejectStatus.DISMISSED
    reject.resolved_at = timezone.now()
    reject.resolved_by = actor if getattr(actor, "pk", None) else None
    reject.save(update_fields=["status", "resolved_at", "resolved_by"])
    return reject


def _parsed_fields(reject: RejectedRecord) -> dict[str, Any]:
    """The fields of a record that was rejected before its fields could be read, parsed again."""
    if reject.usage_file is None:
        return {}
    usage_file = reject.usage_file
    spec = FormatSpec.from_model(usage_file.format, tenant_timezone=usage_file.tenant.timezone)
    if spec.has_header:
        return {}  # the header is not kept with the line; corrections must supply the fields
    reader = FormatReader(spec, now=reject.created_at, late_days=100_000)
    fields = next(csv.reader([reject.raw_line], delimiter=spec.delimiter, quotechar=spec.quotechar), [])
    item = reader.normalise(reject.line_no, reject.raw_line + "\n", fields)
    return item.fields() if isinstance(item, UsageRow) else dict(item.fields)


def replay_row(reject: RejectedRecord) -> UsageRow | None:
    """The row a reject becomes with its corrections; None while fields are still missing."""
    # What was read at import, then a fresh parse (the format may have been corrected since), then corrections.
    fields = {**(reject.fields or {}), **_parsed_fields(reject), **reject.corrected}
    if not all(fields.get(name) not in (None, "") for name in ("subscriber", "service", "start", "usage")):
        return None
    start = datetime.fromisoformat(str(fields["start"])).astimezone(UTC)
    start_text = start.isoformat(sep=" ")
    usage, destination = int(fields["usage"]), str(fields.get("destination") or "")
    answered = bool(fields.get("answered", True))
    chash = content_hash(fields["subscriber"], fields["service"], start_text, usage, destination, answered)
    return UsageRow(
        reject.line_no, reject.raw_line, reject.record_key, chash, str(fields["subscriber"]), str(fields["service"]),
        start, start_text, usage, destination, answered,
    )  # fmt: skip


def rejected_records_replay(*, rejects: Iterable[RejectedRecord], actor: Any = None) -> ReplayResult:
    """Rate open or fixed rejects again (see the module docstring); returns what became of them."""
    todo = [r for r in rejects if r.status in (RejectStatus.OPEN, RejectStatus.FIXED)]
    counts: dict[str, int] = defaultdict(int)
    groups: dict[tuple[int, int | None], list[RejectedRecord]] = defaultdict(list)
    for reject in todo:
        if reject.reason == RejectReason.CONFLICT:
            counts[_replace_conflict(reject, actor)] += 1
        else:
            groups[(reject.tenant_id, reject.usage_file_id)].append(reject)
    for group in groups.values():
        for outcome, n in _replay_group(group, actor).items():
            counts[outcome] += n
    return ReplayResult(counts["rated"], counts["rejected"], counts["duplicate"])


def _resolve(reject: RejectedRecord, actor: Any, *, rated: bool) -> None:
    reject.status = RejectStatus.REPLAYED
    reject.resolved_at = timezone.now()
    reject.resolved_by = actor if getattr(actor, "pk", None) else None
    reject.save(update_fields=["status", "resolved_at", "resolved_by"])
    if reject.usage_file_id:
        moved = {"rated": F("rated") + 1} if rated else {"duplicates": F("duplicates") + 1}
        conflict = {"conflicts": F("conflicts") - 1} if reject.reason == RejectReason.CONFLICT else {}
        UsageFile.objects.filter(pk=reject.usage_file_id).update(rejected=F("rejected") - 1, **moved, **conflict)


def _replay_group(group: list[RejectedRecord], actor: Any) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    first = group[0]
    rows: list[UsageRow] = []
    by_key: dict[str, RejectedRecord] = {}
    for reject in group:
        row = replay_row(reject)
        if row is None:
            counts["rejected"] += 1
            continue
        rows.append(row)
        by_key[row.key] = reject
    if not rows:
        return counts
    fmt = first.usage_file.format if first.usage_file else None
    with transaction.atomic():
        pipeline = UsagePipeline(
            tenant=first.tenant,
            usage_file=first.usage_file,
            subscriber_kind=fmt.subscriber_kind if fmt else "msisdn",
            per_record=first.usage_file is None,
            replay=True,
        )
        outcome = pipeline.process(rows)
        for row in outcome.rated:
            _resolve(by_key[row.key], actor, rated=True)
            counts["rated"] += 1
        for item, _ in outcome.duplicates:
            _resolve(by_key[item.key], actor, rated=False)
            counts["duplicate"] += 1
        for again in outcome.rejects:
            reject = by_key[again.key]
            reject.reason, reject.detail = again.reason, again.detail
            reject.save(update_fields=["reason", "detail"])
            counts["rejected"] += 1
    return counts


def _replace_conflict(reject: RejectedRecord, actor: Any) -> str:
    """Re-rate the rated record a conflict collided with, using the conflict's content."""
    row = replay_row(reject)
    usage = reject.conflicting_usage
    if row is None or usage is None:
        return "rejected"
    with transaction.atomic():
        usage = RatedUsage.objects.select_for_update().select_related("account__tenant").get(pk=usage.pk)
        if usage.invoice_id is not None:
            raise InvalidState("The record it conflicts with is invoiced already; correct it with a credit note.")
        ctx = UsageContext(usage.account.tenant)
        ctx.prepare([row])
        window = ctx.subscription_at(row.subscriber, row.start)
        if window is None or window[2] != usage.subscription_id:
            reject.reason = RejectReason.CONFLICT
            reject.detail = "the new content belongs to another subscription; correct the subscriber first"
            reject.save(update_fields=["detail"])
            return "rejected"
        usage_reprice(
            account=usage.account, usages=[usage], replacements={usage.pk: row}, reason="conflict", actor=actor
        )
        # The record lives on in the row it replaced (counted with the earlier file): here it is a repeat.
        _resolve(reject, actor, rated=False)
    return "rated"
