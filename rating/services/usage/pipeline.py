"""The usage pipeline: dedup -> subscription -> tariff -> allowances and price -> write, one chunk at a time.

Each chunk is one database transaction (`UsagePipeline.process`): a crash loses at most that chunk, and the
unique (tenant, record_key) of rated usage backs the code's duplicate detection. Per chunk:
1. Duplicates, in bulk: the chunk's keys are looked up in rated usage and rejected records of the tenant's
   subtree with one query (keys of earlier chunks of the same import are remembered in memory). Same key and
   same content hash: a duplicate (counted, nothing written). Same key, other content than a rated record: a
   `conflict` reject, kept for review next to the record it collides with - never silently dropped.
2. Subscription at the record's start through the service identifiers; none -> `unknown_subscriber`; a
   suspended or closed account -> `account_barred`; no usage charge for the service in the subscription's
   price plan (or in another currency than the account's) -> `no_tariff`.
3. Price (`pricing.Pricer`): allowances from item pockets first, the rest by the tariff; engine refusals
   become `no_tariff` or `malformed` rejects.
4. Write (`writer.chunk_write`): locks, debits, ledger, COPY; file counters and the resume cursor move in the
   same transaction.
If the allowance pockets moved under the import (a real-time event), the chunk is rolled back and priced
again with fresh balances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Tenant
from rating.engine import NO_TARIFF, RatingError
from rating.models import LegPolicy, RejectReason, UsageFile

from .context import UsageContext
from .pricing import Pricer
from .records import RejectRow, UsageRow
from .writer import StalePockets, chunk_write

_ATTEMPTS = 3
_MAX_LEGS = 64


@dataclass
class ChunkOutcome:
    rated: list[UsageRow] = field(default_factory=list)
    rejects: list[RejectRow] = field(default_factory=list)
    duplicates: list[tuple[Any, int | None]] = field(default_factory=list)  # (item, rated usage id if known)

    @property
    def read(self) -> int:
        return len(self.rated) + len(self.rejects) + len(self.duplicates)

    @property
    def conflicts(self) -> int:
        return sum(1 for reject in self.rejects if reject.reason == RejectReason.CONFLICT)


def text_array(values: list[str]) -> str:
    """A PostgreSQL array literal of `values`: one parameter the server parses, instead of thousands the
    driver would adapt one by one (measured: most of the duplicate lookup's time went into that)."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"


def _existing(
    tenant_ids: list[int], keys: list[str], *, rejects: bool = True
) -> dict[str, tuple[list[tuple[int, int]], set[int]]]:
    """key -> ([(content hash, rated usage id)], {content hashes of rejected records}) - one query."""
    found: dict[str, tuple[list[tuple[int, int]], set[int]]] = {}
    if not keys:
        return found
    sql = """
        SELECT record_key, content_hash, id, true FROM rating_ratedusage
         WHERE tenant_id = ANY(%(tenants)s) AND record_key = ANY(%(keys)s::text[])
    """
    if rejects:
        sql += """
        UNION ALL
        SELECT record_key, content_hash, id, false FROM rating_rejectedrecord
         WHERE tenant_id = ANY(%(tenants)s) AND record_key = ANY(%(keys)s::text[])
        """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tenants": tenant_ids, "keys": text_array(keys)})
        for key, chash, pk, rated in cursor.fetchall():
            entry = found.setdefault(key, ([], set()))
            if rated:
                entry[0].append((chash, pk))
            else:
                entry[1].add(chash)
    return found


class UsagePipeline:
    """Rates chunks for one tenant (and one file, when there is one); see the module docstring."""

    def __init__(
        self,
        *,
        tenant: Tenant,
        usage_file: UsageFile | None = None,
        subscriber_kind: str = "msisdn",
        leg_policy: str = LegPolicy.EACH,
        key_prefix: str = "",
        per_record: bool = False,
        replay: bool = False,
    ) -> None:
        self.tenant = tenant
        self.usage_file = usage_file
        self.ctx = UsageContext(tenant, subscriber_kind=subscriber_kind)
        self.pricer = Pricer()
        self.leg_policy = leg_policy
        self.key_prefix = key_prefix
        self.per_record = per_record
        # Replaying rejected records: they are looked up in rated usage only (not among the rejects, where
        # they would find themselves), and their rejects are handed back instead of written again.
        self.replay = replay
        self.label = f"file {usage_file.name}" if usage_file else "real-time events"
        self._seen: dict[str, tuple[int, bool]] = {}  # key -> (content hash, parsed) of committed chunks
        self._leg_usage: dict[str, int] = {}  # continued legs: key -> usage of committed legs

    def process(self, items: list[Any], *, now: datetime | None = None) -> ChunkOutcome:
        """Rate and write one chunk in one transaction; returns what became of each item."""
        for attempt in range(_ATTEMPTS):
            try:
                with transaction.atomic():
                    outcome, pending = self._rate(items)
                    moment = now or timezone.now()
                    file_id = self.usage_file.pk if self.usage_file else None
                    chunk_write(
                        ctx=self.ctx,
                        rows=outcome.rated,
                        rejects=[] if self.replay else outcome.rejects,
                        usage_file_id=file_id,
                        label=self.label,
                        now=moment,
                        per_record=self.per_record,
                    )
                    if self.usage_file is not None and not self.replay:
                        self._count(outcome)
            except StalePockets as stale:
                self.ctx.pockets_rollback()
                if attempt + 1 == _ATTEMPTS:
                    raise
                self.ctx.refresh_pockets(stale.account_ids)
                continue
            except BaseException:
                self.ctx.pockets_rollback()
                raise
            self.ctx.pockets_commit()
            self._seen.update(pending)
            for row in outcome.rated:
                if self.leg_policy == LegPolicy.CONTINUE:
                    self._leg_usage[row.key] = row.usage
            return outcome
        raise AssertionError("unreachable")

    def _count(self, outcome: ChunkOutcome) -> None:
        assert self.usage_file is not None
        UsageFile.objects.filter(pk=self.usage_file.pk).update(
            lines_read=F("lines_read") + outcome.read,
            rated=F("rated") + len(outcome.rated),
            rejected=F("rejected") + len(outcome.rejects),
            duplicates=F("duplicates") + len(outcome.duplicates),
            conflicts=F("conflicts") + outcome.conflicts,
            lines_done=F("lines_done") + outcome.read,
        )

    # ------------------------------------------------------------------ the steps

    def _rate(self, items: list[Any]) -> tuple[ChunkOutcome, dict[str, tuple[int, bool]]]:
        outcome = ChunkOutcome()
        rows, pending = self._dedup(items, outcome)
        self.ctx.prepare(rows)
        if self.leg_policy == LegPolicy.CONTINUE:
            self._offsets(rows)
        pricer = self.pricer
        ctx = self.ctx
        for row in rows:
            window = ctx.subscription_at(row.subscriber, row.start)
            if window is None:
                detail = f"no subscription holds {ctx.subscriber_kind} {row.subscriber} at {row.start_text}"
                outcome.rejects.append(RejectRow.of(row, RejectReason.UNKNOWN_SUBSCRIBER, detail))
                continue
            account = ctx.accounts[window[3]]
            if account.barred:
                detail = f"account {account.id} is {account.status}"
                outcome.rejects.append(RejectRow.of(row, RejectReason.ACCOUNT_BARRED, detail))
                continue
            try:
                tariff = ctx.tariff_for(window[4], row.service)
                if tariff.currency_id != account.currency_id:
                    raise RatingError(NO_TARIFF, "the tariff's currency is not the account's")
                row.subscription_id = window[2]
                row.account = account
                row.tariff = tariff
                pricer.price(row, tariff.deck, account.pockets)
            except RatingError as exc:
                reason = RejectReason.NO_TARIFF if exc.code != "bad_input" else RejectReason.MALFORMED
                outcome.rejects.append(RejectRow.of(row, reason, exc.message))
                continue
            outcome.rated.append(row)
        return outcome, pending

    def _dedup(self, items: list[Any], outcome: ChunkOutcome) -> tuple[list[UsageRow], dict[str, tuple[int, bool]]]:
        existing = _existing(self.ctx.tenant_ids, list({item.key for item in items}), rejects=not self.replay)
        pending: dict[str, tuple[int, bool]] = {}
        rows: list[UsageRow] = []
        for item in items:
            key, chash, parsed = item.key, item.chash, isinstance(item, UsageRow)
            earlier = pending.get(key) or self._seen.get(key)
            if earlier is not None:
                if earlier[0] == chash:
                    outcome.duplicates.append((item, None))
                    continue
                if earlier[1] and parsed:
                    detail = "same record id as an earlier record of this import, other content"
                    outcome.rejects.append(RejectRow.of(item, RejectReason.CONFLICT, detail))
                    continue
            found = existing.get(key)
            if found is not None:
                rated, rejected = found
                same = [pk for h, pk in rated if h == chash]
                if same:
                    outcome.duplicates.append((item, same[0]))
                    continue
                if rated and parsed:
                    detail = "same record id as a rated record, other content"
                    outcome.rejects.append(RejectRow.of(item, RejectReason.CONFLICT, detail, usage_id=rated[0][1]))
                    continue
                if chash in rejected:
                    outcome.duplicates.append((item, None))
                    continue
            pending[key] = (chash, parsed)
            if parsed:
                rows.append(item)
            else:
                outcome.rejects.append(item)
        return rows, pending

    def _offsets(self, rows: list[UsageRow]) -> None:
        """Usage of the earlier legs of each continued call (memory first, then rated usage in one query)."""
        wanted: dict[str, list[str]] = {}
        for row in rows:
            if row.leg > 0:
                wanted[row.key] = [
                    f"{self.key_prefix}:{row.call_id}:{k}" for k in range(max(0, row.leg - _MAX_LEGS), row.leg)
                ]
        unknown = {key for keys in wanted.values() for key in keys if key not in self._leg_usage}
        known = dict(self._leg_usage)
        if unknown:
            with connection.cursor() as cursor:
                sql = (
                    "SELECT record_key, usage FROM rating_ratedusage WHERE tenant_id = ANY(%s) AND record_key = ANY(%s)"
                )
                cursor.execute(sql, [self.ctx.tenant_ids, sorted(unknown)])
                known.update(cursor.fetchall())
        in_chunk: dict[str, int] = defaultdict(int)
        for row in rows:
            row.offset = sum(known.get(key, in_chunk.get(key, 0)) for key in wanted.get(row.key, ()))
            in_chunk[row.key] = row.usage
