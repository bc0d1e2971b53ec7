"""Rate-deck import: a wholesale operator's CSV into a tariff's steps, with a report of every rejected line.

Parsing and line validation live in `rating.rate_deck_format` (see its docstring for the rules). Here the
good groups (one rate's steps for one effective date) meet the stored ones:
- a group not stored yet is inserted (bulk);
- a group stored with exactly the same steps is left alone, so re-importing a deck adds nothing;
- a group stored with other steps is replaced when its date is still in the future (a corrected deck
  sent before it applies), and rejected when it is already in force: usage already rated at those rates
  must re-rate as it was, so a change needs a later effective_from.
Each import is one transaction under a row lock on the tariff (two imports of one tariff queue up) and
leaves a RateDeckImport record plus an audit event; the tariff's revision moves when a step changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.services import audit_record
from rating.exceptions import RateDeckInvalid
from rating.models import RateDeckImport, RateDeckSource, Tariff, TariffRateStep, TimeBand
from rating.rate_deck_format import DeckLine, GroupKey, ParsedDeck, Rejection, group_label, parse_rate_deck
from rating.signals import tariff_revision_bump

MAX_DECK_BYTES = 64 * 1024 * 1024
MAX_REPORTED_REJECTIONS = 5000
_SIGNATURE = (
    "interval_start", "destination", "connect_fee", "rate", "rate_unit", "increment",
    "rounding", "decimals", "max_cost",
)  # fmt: skip

Signature = tuple[tuple[Any, ...], ...]


def _signature(lines: list[DeckLine]) -> Signature:
    return tuple(
        (
            line.interval_start,
            line.destination,
            line.connect_fee or Decimal(0),
            line.rate,
            line.rate_unit,
            line.increment,
            line.rounding,
            line.decimals,
            line.max_cost,
        )
        for line in lines
    )


def _stored_groups(
    tariff: Tariff, dates: set[datetime], band_names: dict[int, str]
) -> dict[GroupKey, tuple[list[int], Signature]]:
    """The stored steps of the deck's effective dates, grouped like the deck (one query)."""
    found: dict[GroupKey, list[tuple[Any, ...]]] = {}
    rows = (
        TariffRateStep.objects.filter(tariff=tariff, effective_from__in=dates)
        .order_by("interval_start")
        .values_list("id", "prefix", "time_band_id", "effective_from", *_SIGNATURE)
    )
    for pk, prefix, band_id, effective, *values in rows:
        band = None if band_id is None else band_names.get(band_id, f"#{band_id}")
        found.setdefault((prefix, band, effective), []).append((pk, *values))
    return {key: ([r[0] for r in steps], tuple(tuple(r[1:]) for r in steps)) for key, steps in found.items()}


def _step(tariff: Tariff, line: DeckLine, band_ids: dict[str, int]) -> TariffRateStep:
    return TariffRateStep(
        tariff=tariff,
        prefix=line.prefix,
        destination=line.destination,
        time_band_id=band_ids[line.time_band] if line.time_band else None,
        effective_from=line.effective_from,
        interval_start=line.interval_start,
        connect_fee=line.connect_fee or Decimal(0),
        rate=line.rate,
        rate_unit=line.rate_unit,
        increment=line.increment,
        rounding=line.rounding,
        decimals=line.decimals,
        max_cost=line.max_cost,
    )


def _report(deck: ParsedDeck, rejected: list[Rejection], counts: dict[str, int]) -> dict[str, Any]:
    return {
        **counts,
        "rejections": [r.to_dict() for r in rejected[:MAX_REPORTED_REJECTIONS]],
        "rejections_truncated": len(rejected) > MAX_REPORTED_REJECTIONS,
        "warnings": deck.warnings,
    }


def rate_deck_import(
    *,
    tariff: Tariff,
    file: IO[bytes] | bytes,
    actor: Any = None,
    file_name: str = "",
    source: str = RateDeckSource.API,
    progress: Callable[[int], None] | None = None,
) -> RateDeckImport:
    """Load a rate-deck CSV into `tariff`; returns the import record with its report (see module docstring).

    Idempotent: importing the same deck again loads nothing and rejects nothing new. Raises
    RateDeckInvalid when the file is not a deck (not UTF-8, no header, too large). Locks the tariff row.
    """
    data = file if isinstance(file, bytes) else file.read(MAX_DECK_BYTES + 1)
    if len(data) > MAX_DECK_BYTES:
        raise RateDeckInvalid(f"A rate deck may have at most {MAX_DECK_BYTES // (1024 * 1024)} MB.")
    bands = {band.pk: band.name for band in TimeBand.objects.filter(tenant_id=tariff.tenant_id)}
    band_ids = {name: pk for pk, name in bands.items()}
    deck = parse_rate_deck(
        data,
        service=tariff.service,
        bands={name.lower(): name for name in band_ids},
        timezone=tariff.tenant.timezone,
        progress=progress,
    )
    rejected = list(deck.rejected)
    counts = {"read": deck.read, "loaded": 0, "unchanged": 0, "rejected": 0}
    groups = {"inserted": 0, "replaced": 0, "unchanged": 0, "refused": 0}
    now = timezone.now()
    with transaction.atomic():
        locked = Tariff.objects.select_for_update().select_related("tenant").get(pk=tariff.pk)
        stored = _stored_groups(locked, {key[2] for key in deck.groups}, bands)
        new_steps: list[TariffRateStep] = []
        replaced: list[int] = []
        for key, lines in deck.groups.items():
            existing = stored.get(key)
            if existing is not None and existing[1] == _signature(lines):
                groups["unchanged"] += 1
                counts["unchanged"] += len(lines)
                continue
            if existing is not None and key[2] <= now:
                groups["refused"] += 1
                reason = (
                    f"the rate ({group_label(key)}) is already in force with other steps; "
                    "send the change with a later effective_from"
                )
                rejected.extend(Rejection(line.line, reason, line.text) for line in lines)
                continue
            if existing is not None:
                replaced.extend(existing[0])
            groups["replaced" if existing is not None else "inserted"] += 1
            counts["loaded"] += len(lines)
            new_steps.extend(_step(locked, line, band_ids) for line in lines)
        if replaced:
            # Plain SQL: the revision is bumped once below, not once per step by the delete signal.
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM rating_tariffratestep WHERE id = ANY(%s)", [replaced])
        TariffRateStep.objects.bulk_create(new_steps, batch_size=5000)
        if new_steps:
            tariff_revision_bump(tariff_ids=[locked.pk])
        rejected.sort(key=lambda r: r.line)
        counts["rejected"] = len(rejected)
        record = RateDeckImport.objects.create(
            tenant=locked.tenant,
            tariff=locked,
            file_name=file_name[:255],
            checksum=hashlib.sha256(data).hexdigest(),
            size=len(data),
            source=source,
            lines_read=counts["read"],
            lines_loaded=counts["loaded"],
            lines_unchanged=counts["unchanged"],
            lines_rejected=counts["rejected"],
            report=_report(deck, rejected, {**counts, "groups": groups}),  # type: ignore[dict-item]
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="tariff.rate_deck_import", obj=locked, tenant=locked.tenant, actor=actor,
            after={"import": record.pk, "file": file_name, **counts},
        )  # fmt: skip
    return record
