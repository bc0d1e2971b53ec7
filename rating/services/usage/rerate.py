"""Re-rating an account's usage after a tariff fix: give back what was taken, price again, take anew.

`rerate_records(account, start, end)` works on the account's rated usage whose start is in [start, end) and
that no invoice has billed yet (`invoice_id` empty). Usage already invoiced is never re-rated here: it is
corrected by a credit note on the invoice side, and the result says how many rows were left alone.

In one transaction, with the account's pockets and the tenant's usage revenue accounts locked:
1. one `reversal` ledger transaction gives back exactly what the earlier ratings took - the money debited
   (`RatedUsage.debited`) and each allowance pocket's units (`breakdown.allowances[].taken`);
2. the rows are priced again, in time order, with today's tariff of the subscription's plan and the
   pockets as they stand after the give-back (the same pricing as an import);
3. one `usage` ledger transaction takes the new charges, sized under the lock like an import;
4. the rows are updated in place (cost, debit, allowances, what produced the price, `rated_at`).
The ledger shows both transactions; the pockets end where a first rating with the fixed tariff would
have left them. Anything that cannot be priced aborts the whole re-rate (nothing changes).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.exceptions import InvalidState
from accounts.models import BillingAccount, LedgerAccount, LedgerAccountKind
from accounts.models.ledger import TransactionKind
from accounts.services.audit import audit_record
from accounts.services.ledger_batch import Posting, ledger_post_batch, ledger_rows_lock
from rating.engine import NO_TARIFF, RatingError
from rating.models import RatedUsage, Subscription

from .context import UsageContext
from .pricing import PocketState, Pricer
from .records import ALLOWANCE_UNITS, ZERO, UsageRow
from .writer import legs_for, size_debits

STORED = Decimal("0.000001")  # the six places RatedUsage.cost keeps


@dataclass(frozen=True)
class RerateResult:
    records: int
    skipped_invoiced: int
    cost_before: Decimal
    cost_after: Decimal
    transactions: tuple[int, ...]


def _answered(usage: RatedUsage) -> bool:
    # Not stored: a record with usage that neither an allowance nor the tariff charged was not answered.
    return usage.usage == 0 or usage.covered_usage + usage.charged_usage == usage.usage


def usage_row_of(usage: RatedUsage) -> UsageRow:
    """The pipeline row of a rated record, to price it again."""
    row = UsageRow(
        0, "", usage.record_key, usage.content_hash, "", usage.service, usage.start,
        usage.start.isoformat(sep=" "), usage.usage, usage.destination, _answered(usage),
    )  # fmt: skip
    row.offset = usage.call_offset
    return row


def _taken(usage: RatedUsage) -> list[tuple[int, Decimal]]:
    uses = (usage.breakdown or {}).get("allowances", [])
    return [(int(use["pocket"]), Decimal(use["taken"])) for use in uses]


def _account_pockets(account: BillingAccount) -> list[dict[str, Any]]:
    return list(
        LedgerAccount.objects.filter(
            billing_account=account, kind=LedgerAccountKind.POCKET, unit__code__in=list(ALLOWANCE_UNITS)
        ).values("pk", "unit_id", "unit__code", "unit__decimals", "priority", "valid_from", "valid_to")
    )


def usage_reprice(
    *,
    account: BillingAccount,
    usages: list[RatedUsage],
    replacements: dict[int, UsageRow] | None = None,
    reason: str,
    actor: Any = None,
    now: datetime | None = None,
) -> tuple[int, ...]:
    """Give back, price again and charge anew the given rows of one account (see the module docstring).

    `replacements` maps a row id to new content for it (a conflict resolved in favour of the new record).
    Call inside a transaction holding the rows' locks. Returns the ledger transaction ids posted.
    """
    moment = now or timezone.now()
    replacements = replacements or {}
    ctx = UsageContext(account.tenant)
    ctx.prepare_account(account.pk)
    info = ctx.accounts[account.pk]
    pockets = _account_pockets(account)
    units = {p["pk"]: p["unit_id"] for p in pockets}
    ids = {p["pk"] for p in pockets} | {ctx.revenue_account_id(info.tenant_id, u) for u in set(units.values())}
    if info.main_pocket_id:
        ids |= {info.main_pocket_id, ctx.revenue_account_id(info.tenant_id, info.currency_id)}
    locked = ledger_rows_lock(ids)
    transactions: list[int] = []

    back: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for usage in usages:
        if usage.debited:
            back[info.main_pocket_id] += usage.debited  # type: ignore[index]
            back[ctx.revenue_account_id(info.tenant_id, info.currency_id)] -= usage.debited
        for pocket_id, taken in _taken(usage):
            back[pocket_id] += taken
            back[ctx.revenue_account_id(info.tenant_id, units[pocket_id])] -= taken
    legs = [(pk, amount) for pk, amount in back.items() if amount]
    if legs:
        give_back = Posting(
            info.tenant_id, TransactionKind.REVERSAL, f"Re-rating: charges given back ({reason})", legs, "rerate"
        )
        transactions += ledger_post_batch(postings=[give_back], locked=locked, at=moment)

    info.pockets = []
    for p in pockets:
        service, factor = ALLOWANCE_UNITS[p["unit__code"]]
        quantum = Decimal(1).scaleb(-p["unit__decimals"])
        balance = locked[p["pk"]].balance.quantize(quantum)
        info.pockets.append(
            PocketState(
                p["pk"],
                account.pk,
                p["unit_id"],
                service,
                factor,
                quantum,
                balance,
                balance,
                p["priority"],
                p["valid_from"],
                p["valid_to"],
            )
        )
    plans = dict(
        Subscription.objects.filter(pk__in={u.subscription_id for u in usages}).values_list("pk", "price_plan_id")
    )
    pricer = Pricer()
    rows: list[UsageRow] = []
    for usage in usages:
        row = replacements.get(usage.pk) or usage_row_of(usage)
        try:
            tariff = ctx.tariff_for(plans.get(usage.subscription_id), row.service)
            if tariff.currency_id != info.currency_id:
                raise RatingError(NO_TARIFF, "the tariff's currency is not the account's")
            row.account, row.tariff, row.subscription_id = info, tariff, usage.subscription_id
            pricer.price(row, tariff.deck, info.pockets)
        except RatingError as exc:
            raise InvalidState(f"Record {usage.record_key} cannot be priced: {exc.message}") from exc
        rows.append(row)

    size_debits(rows, locked)
    legs = legs_for(ctx, rows)
    if legs:
        charge = Posting(
            info.tenant_id, TransactionKind.USAGE, f"Re-rating: {len(rows)} records ({reason})", legs, "rerate"
        )
        transactions += ledger_post_batch(postings=[charge], locked=locked, at=moment)
    for usage, row in zip(usages, rows, strict=True):
        _apply(usage, row, moment)
    fields = [
        "cost", "debited", "covered_usage", "charged_usage", "prefix", "time_band", "rate_step", "tariff",
        "tariff_version", "breakdown", "flagged", "rated_at", "currency", "start", "usage", "destination",
        "service", "content_hash",
    ]  # fmt: skip
    RatedUsage.objects.bulk_update(usages, fields, batch_size=2000)
    return tuple(transactions)


def _apply(usage: RatedUsage, row: UsageRow, moment: datetime) -> None:
    usage.cost = row.cost
    usage.debited = row.debited
    usage.covered_usage = row.covered
    usage.charged_usage = row.charged
    usage.prefix = row.prefix
    usage.time_band = row.bands
    usage.rate_step = row.step
    usage.tariff_id = row.tariff.id
    usage.currency_id = row.tariff.currency_id
    usage.tariff_version = row.version
    uses = [{"pocket": pk, "used": used, "taken": format(taken, "f")} for pk, used, taken in row.uses]
    usage.breakdown = json.loads(json.dumps({"allowances": uses})) if uses else None
    usage.flagged = row.flagged
    usage.rated_at = moment
    usage.start = row.start
    usage.usage = row.usage
    usage.destination = row.destination
    usage.service = row.service
    usage.content_hash = row.chash


def rerate_records(
    *, account: BillingAccount, start: datetime, end: datetime, actor: Any = None, now: datetime | None = None
) -> RerateResult:
    """Re-rate the account's unbilled usage of [start, end); see the module docstring. Idempotent in effect:
    a second run with unchanged tariffs gives back and takes the same amounts."""
    period = {"account": account, "start__gte": start, "start__lt": end}
    with transaction.atomic():
        usages = list(
            RatedUsage.objects.select_for_update().filter(**period, invoice_id__isnull=True).order_by("start", "id")
        )
        skipped = RatedUsage.objects.filter(**period, invoice_id__isnull=False).count()
        before = sum((u.cost for u in usages), ZERO).quantize(STORED)
        reason = f"{account.number} {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        transactions = (
            usage_reprice(account=account, usages=usages, reason=reason, actor=actor, now=now) if usages else ()
        )
        after = sum((u.cost for u in usages), ZERO).quantize(STORED)
        audit_record(
            action="usage.rerate",
            obj=account,
            actor=actor,
            before={"cost": str(before)},
            after={
                "cost": str(after),
                "records": len(usages),
                "skipped_invoiced": skipped,
                "transactions": list(transactions),
            },
        )
    return RerateResult(len(usages), skipped, before, after, transactions)
