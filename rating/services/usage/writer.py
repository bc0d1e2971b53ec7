"""Writing a rated chunk: pocket locks, debits, the ledger, rated rows (COPY) and rejects - one transaction.

Called inside the chunk's `transaction.atomic()`:
1. lock every ledger account the chunk touches (item pockets used, money pockets of prepaid and hybrid
   accounts, the tenants' usage revenue accounts) in pk order, in one statement;
2. check that the item pockets still hold what the pricing assumed; if another writer (the real-time API)
   moved one, raise `StalePockets` so the chunk is rolled back and priced again with fresh balances;
3. size the money debits under the lock: a prepaid pocket pays each record down to zero (hybrid: down to
   minus its credit limit); a record it cannot pay in full is still rated, debited what is left and flagged
   `insufficient_balance`. Postpaid usage is not debited: it is accrued as unbilled rated usage;
4. post one ledger transaction per account per chunk (mass import) or per record (real-time events):
   pockets debited, the tenant's usage revenue credited, per unit;
5. COPY the rated rows into `RatedUsage` and the rejects into `RejectedRecord`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models.ledger import TransactionKind
from accounts.services.ledger_batch import Posting, ledger_post_batch, ledger_rows_lock

from .context import UsageContext
from .records import ZERO, RejectRow, UsageRow

INSUFFICIENT_BALANCE = "insufficient_balance"
NO_MONEY_POCKET = "no_money_pocket"

RATED_COLUMNS = (
    "tenant_id", "account_id", "subscription_id", "record_key", "service", "start", "destination", "usage",
    "covered_usage", "charged_usage", "cost", "currency_id", "tariff_id", "prefix", "time_band", "breakdown",
    "prepaid", "flagged", "rated_at", "usage_file_id", "content_hash", "debited", "tariff_version", "rate_step",
    "call_offset",
)  # fmt: skip
REJECT_COLUMNS = (
    "tenant_id", "usage_file_id", "line_no", "raw_line", "record_key", "content_hash", "reason", "detail",
    "fields", "corrected", "status", "conflicting_usage_id", "created_at",
)  # fmt: skip


class StalePockets(Exception):
    """Item pockets moved since they were read; the chunk must be priced again."""

    def __init__(self, account_ids: set[int]) -> None:
        super().__init__(f"allowance pockets of accounts {sorted(account_ids)} changed")
        self.account_ids = account_ids


def _esc(text: str) -> str:
    """COPY text format: backslash, tab and line ends must be escaped (record ids come from files)."""
    if "\\" in text or not text.isprintable():
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def chunk_write(
    *,
    ctx: UsageContext,
    rows: list[UsageRow],
    rejects: list[RejectRow],
    usage_file_id: int | None,
    label: str,
    now: datetime,
    per_record: bool = False,
) -> None:
    """Lock, check, debit, post and persist one chunk (see the module docstring)."""
    if rows:
        locked = ledger_rows_lock(_ledger_ids(ctx, rows))
        _check_pockets(ctx, rows, locked)
        size_debits(rows, locked)
        pairs = postings_for(ctx, rows, label, per_record)
        ledger_post_batch(postings=[posting for _, posting in pairs], locked=locked, at=now)
        for row, posting in pairs:
            if row is not None:
                row.balance_after = posting.balances_after.get(row.account.main_pocket_id)
        _copy_rated(ctx, rows, usage_file_id, now)
    if rejects:
        _copy_rejects(ctx, rejects, usage_file_id, now)


def _moves(row: UsageRow) -> bool:
    return bool(row.debited or row.uses)


def _ledger_ids(ctx: UsageContext, rows: list[UsageRow]) -> set[int]:
    ids: set[int] = set()
    units: set[tuple[int, int]] = set()
    for row in rows:
        account = row.account
        if row.cost and account.debits_money and account.main_pocket_id:
            ids.add(account.main_pocket_id)
            units.add((account.tenant_id, account.currency_id))
        if row.uses:
            pockets = {p.id: p for p in account.pockets}
            for pocket_id, _, _ in row.uses:
                ids.add(pocket_id)
                units.add((account.tenant_id, pockets[pocket_id].unit_id))
    ids.update(ctx.revenue_account_id(tenant_id, unit_id) for tenant_id, unit_id in units)
    return ids


def _check_pockets(ctx: UsageContext, rows: list[UsageRow], locked: dict[int, Any]) -> None:
    stale: set[int] = set()
    for account in {row.account.id: row.account for row in rows if row.uses}.values():
        for pocket in account.pockets:
            row = locked.get(pocket.id)
            if row is not None and row.balance.quantize(pocket.quantum) != pocket.committed:
                stale.add(account.id)
    if stale:
        raise StalePockets(stale)


def size_debits(rows: list[UsageRow], locked: dict[int, Any]) -> None:
    available: dict[int, Decimal] = {}
    for row in rows:
        row.debited = ZERO
        account = row.account
        if not row.cost or not account.debits_money:
            continue
        pocket_id = account.main_pocket_id
        if pocket_id is None:
            row.flagged = NO_MONEY_POCKET
            continue
        if pocket_id not in available:
            pocket = locked[pocket_id]
            available[pocket_id] = max(pocket.balance - pocket.floor, ZERO)
        take = min(row.cost, available[pocket_id])
        available[pocket_id] -= take
        row.debited = take
        row.flagged = INSUFFICIENT_BALANCE if take < row.cost else ""


def legs_for(ctx: UsageContext, rows: list[UsageRow]) -> list[tuple[int, Decimal]]:
    """Debits of the rows' pockets and the matching revenue credits, netted per ledger account."""
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        account = row.account
        if row.debited:
            amounts[account.main_pocket_id] -= row.debited
            amounts[ctx.revenue_account_id(account.tenant_id, account.currency_id)] += row.debited
        if row.uses:
            units = {p.id: p.unit_id for p in account.pockets}
            for pocket_id, _, taken in row.uses:
                if taken:
                    amounts[pocket_id] -= taken
                    amounts[ctx.revenue_account_id(account.tenant_id, units[pocket_id])] += taken
    return [(pk, amount) for pk, amount in amounts.items() if amount]


def postings_for(
    ctx: UsageContext, rows: list[UsageRow], label: str, per_record: bool
) -> list[tuple[UsageRow | None, Posting]]:
    """The ledger postings of the chunk, each with the row it belongs to (per record) or None (per account)."""
    postings: list[tuple[UsageRow | None, Posting]] = []
    if per_record:
        for row in rows:
            legs = legs_for(ctx, [row]) if _moves(row) else []
            if legs:
                keys = {pk: f"usage:{row.key}"[:120] for pk, amount in legs if amount < 0}
                tenant_id = row.account.tenant_id
                posting = Posting(tenant_id, TransactionKind.USAGE, f"Usage {row.key}", legs, f"usage:{row.key}", keys)
                postings.append((row, posting))
        return postings
    by_account: dict[int, list[UsageRow]] = defaultdict(list)
    for row in rows:
        if _moves(row):
            by_account[row.account.id].append(row)
    for account_rows in by_account.values():
        legs = legs_for(ctx, account_rows)
        if legs:
            tenant_id = account_rows[0].account.tenant_id
            count = len(account_rows)
            description = f"Usage: {count} records of {label}"
            postings.append((None, Posting(tenant_id, TransactionKind.USAGE, description, legs, label)))
    return postings


def _breakdown(row: UsageRow) -> str:
    if not row.uses:
        return "\\N"
    uses = [{"pocket": pk, "used": used, "taken": format(taken, "f")} for pk, used, taken in row.uses]
    return _esc(json.dumps({"allowances": uses}, separators=(",", ":")))


def _copy_rated(ctx: UsageContext, rows: list[UsageRow], usage_file_id: int | None, now: datetime) -> None:
    rated_at = now.isoformat()
    file_id = "\\N" if usage_file_id is None else str(usage_file_id)
    lines = []
    for row in rows:
        account = row.account
        tariff = row.tariff
        version = "\\N" if row.version is None else row.version.isoformat()
        step = "\\N" if row.step is None else str(row.step)
        lines.append(
            f"{account.tenant_id}\t{account.id}\t{row.subscription_id}\t{_esc(row.key)}\t{row.service}\t"
            f"{row.start_text}\t{row.destination}\t{row.usage}\t{row.covered}\t{row.charged}\t{row.cost:f}\t"
            f"{tariff.currency_id}\t{tariff.id}\t{row.prefix}\t{row.bands}\t{_breakdown(row)}\t"
            f"{'t' if account.debits_money else 'f'}\t{row.flagged}\t{rated_at}\t{file_id}\t{row.chash}\t"
            f"{row.debited:f}\t{version}\t{step}\t{row.offset}\n"
        )
    sql = f"COPY rating_ratedusage ({', '.join(RATED_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        copy.write("".join(lines))


def _copy_rejects(ctx: UsageContext, rejects: list[RejectRow], usage_file_id: int | None, now: datetime) -> None:
    sql = f"COPY rating_rejectedrecord ({', '.join(REJECT_COLUMNS)}) FROM STDIN"
    tenant_id = ctx.tenant.pk
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        for reject in rejects:
            copy.write_row(
                (
                    tenant_id, usage_file_id, reject.line_no, reject.raw, reject.key[:128], reject.chash,
                    reject.reason, reject.detail, json.dumps(reject.fields), "{}", "open", reject.usage_id, now,
                )
            )  # fmt: skip
