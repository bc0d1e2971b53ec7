"""Posting many small ledger transactions at once, for mass runs (usage rating debits per chunk).

Same rules as `ledger_post`, applied to a batch inside the caller's database transaction:
- the caller locks every ledger account touched first (`ledger_rows_lock`: one SELECT ... FOR UPDATE in pk
  order) and posts against the balances read under that lock;
- each posting's legs sum to zero per unit (checked here; the deferred trigger checks again at commit);
- a pocket never goes below its floor (zero; minus the credit limit for a postpaid/hybrid main pocket);
- entries carry `balance_after`, and each account's balance is updated once per batch.
Transactions are inserted with one statement, entries with COPY, balances with one UPDATE: a chunk of a
rating run costs a handful of statements whatever the number of accounts. Raises `InsufficientFunds` or
`LedgerImbalance` and writes nothing when a posting breaks a rule (callers size debits under the lock).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection

from accounts.exceptions import InsufficientFunds, LedgerImbalance, TenantMismatch

ZERO = Decimal("0")


@dataclass(slots=True)
class LockedRow:
    """A ledger account as read under its row lock."""

    id: int
    tenant_id: int
    unit_id: int
    kind: str
    code: str
    balance: Decimal
    floor: Decimal | None  # None: no floor (the operator's own accounts)


@dataclass(slots=True)
class Posting:
    """One ledger transaction to write: legs of (ledger account id, amount); amount > 0 credits."""

    tenant_id: int
    kind: str
    description: str
    legs: list[tuple[int, Decimal]]
    reference: str = ""
    idempotency_keys: dict[int, str] = field(default_factory=dict)  # ledger account id -> key
    balances_after: dict[int, Decimal] = field(default_factory=dict)  # filled by ledger_post_batch


def ledger_rows_lock(ids: set[int]) -> dict[int, LockedRow]:
    """Lock the ledger accounts in pk order and read balance and floor under the lock."""
    if not ids:
        return {}
    sql = """
        SELECT la.id, la.tenant_id, la.unit_id, la.kind, la.code, la.balance, ba.payment_mode, ba.credit_limit
          FROM accounts_ledgeraccount la
          LEFT JOIN accounts_billingaccount ba ON ba.id = la.billing_account_id
         WHERE la.id = ANY(%s)
         ORDER BY la.id
           FOR UPDATE OF la
    """
    rows: dict[int, LockedRow] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(ids)])
        for pk, tenant_id, unit_id, kind, code, balance, mode, credit_limit in cursor.fetchall():
            floor: Decimal | None = None
            if kind == "pocket":
                floor = -credit_limit if code == "main" and mode in ("postpaid", "hybrid") else ZERO
            rows[pk] = LockedRow(pk, tenant_id, unit_id, kind, code, balance, floor)
    return rows


def ledger_post_batch(*, postings: list[Posting], locked: dict[int, LockedRow], at: datetime) -> list[int]:
    """Write `postings` against the `locked` rows (updated in place); returns the new transaction ids."""
    if not postings:
        return []
    start_balance = {pk: row.balance for pk, row in locked.items()}
    entries: list[
        tuple[int, int, int, Decimal, Decimal, str]
    ] = []  # (posting index, account, unit, amount, after, key)
    for index, posting in enumerate(postings):
        per_unit: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for account_id, amount in posting.legs:
            row = locked.get(account_id)
            if row is None:
                raise LedgerImbalance(f"Ledger account {account_id} was not locked before posting.")
            if row.tenant_id != posting.tenant_id:
                raise TenantMismatch(f"Ledger account {account_id} belongs to another tenant.")
            if amount == ZERO:
                raise LedgerImbalance("A ledger leg cannot be zero.")
            per_unit[row.unit_id] += amount
            row.balance += amount
            posting.balances_after[account_id] = row.balance
            key = posting.idempotency_keys.get(account_id, "")
            entries.append((index, account_id, row.unit_id, amount, row.balance, key))
        if any(total != ZERO for total in per_unit.values()):
            raise LedgerImbalance(f"Posting '{posting.description}' does not sum to zero per unit.")
    for pk, row in locked.items():
        if row.floor is not None and row.balance < start_balance[pk] and row.balance < row.floor:
            raise InsufficientFunds(f"Ledger account {pk} would go to {row.balance}, below its floor of {row.floor}.")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_ledgertransaction (tenant_id, kind, description, reference, created_at)
            SELECT t, k, d, r, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS u(t, k, d, r)
            RETURNING id
            """,
            [
                at,
                [p.tenant_id for p in postings],
                [p.kind for p in postings],
                [p.description[:255] for p in postings],
                [p.reference[:80] for p in postings],
            ],
        )
        # INSERT ... SELECT FROM unnest returns the rows in input order.
        txn_ids = [row[0] for row in cursor.fetchall()]
        copy_sql = (
            "COPY accounts_ledgerentry (transaction_id, ledger_account_id, unit_id, amount, balance_after, "
            "idempotency_key, created_at) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:  # type: ignore[attr-defined]
            for index, account_id, unit_id, amount, after, key in entries:
                copy.write_row((txn_ids[index], account_id, unit_id, amount, after, key, at))
        changed = [pk for pk, row in locked.items() if row.balance != start_balance[pk]]
        if changed:
            cursor.execute(
                """
                UPDATE accounts_ledgeraccount la SET balance = v.balance
                  FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, balance) WHERE la.id = v.id
                """,
                [changed, [locked[pk].balance for pk in changed]],
            )
    return txn_ids
