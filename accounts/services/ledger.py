"""Ledger services: every balance change is one balanced ledger transaction.

Rules kept here (and by the database as a second line of defence):
- legs of one transaction sum to zero per unit (checked here, and by a deferred trigger at commit);
- the ledger accounts touched are locked in pk order first, balances are checked after the lock;
- a pocket never goes below its floor: zero for every pocket but one; the account's main money pocket
  (code "main", opened with the account) may reach minus the credit limit of a postpaid or hybrid account;
- a leg with an idempotency key is posted once per ledger account: a replay returns the first
  transaction and posts nothing; the same key reused for something else is a conflict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.exceptions import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LedgerImbalance,
    NoExchangeRate,
    PocketNotUsable,
    TenantMismatch,
)
from accounts.locks import ledger_accounts_lock
from accounts.models import (
    BillingAccount,
    ExchangeRate,
    LedgerAccount,
    LedgerAccountKind,
    LedgerEntry,
    LedgerTransaction,
    Tenant,
    Unit,
    Wallet,
)
from accounts.models.ledger import TransactionKind
from accounts.money import quantize_money, to_decimal

from .audit import audit_record

ZERO = Decimal("0")
MAIN_POCKET = "main"  # code of the account's main money pocket, the only one with a credit limit


@dataclass(frozen=True)
class Leg:
    """One side of a ledger transaction: `amount` > 0 credits the account, < 0 debits it."""

    account: LedgerAccount
    amount: Decimal
    idempotency_key: str = ""


def pocket_floor(account: LedgerAccount) -> Decimal | None:
    """The lowest balance a ledger account may reach; None for the operator's own accounts."""
    if account.kind != LedgerAccountKind.POCKET:
        return None
    billing_account = account.billing_account
    assert billing_account is not None
    if account.code == MAIN_POCKET:
        return billing_account.floor
    return ZERO


def ledger_system_account(*, tenant: Tenant, kind: str, unit: Unit, code: str = "") -> LedgerAccount:
    """The tenant's own ledger account of `kind` in `unit` (cash per gateway via `code`); created once."""
    lookup = {"tenant": tenant, "kind": kind, "unit": unit, "code": code, "billing_account": None}
    found = LedgerAccount.objects.filter(**lookup).first()
    if found:
        return found
    label = LedgerAccountKind(kind).label + (f" - {code}" if code else "")
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup, name=label)
    except IntegrityError:
        # Another writer created it between our read and insert; the unique constraint decided.
        return LedgerAccount.objects.get(**lookup)


def wallet_open(
    *,
    account: BillingAccount,
    unit: Unit,
    name: str = "",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    priority: int = 100,
    code: str = "",
) -> Wallet:
    """Open a pocket of `unit` for `account` (balance zero; fund it with `wallet_credit`)."""
    if valid_from and valid_to and valid_to <= valid_from:
        raise InvalidAmount("A pocket's validity must end after it starts.", code="invalid_validity")
    return Wallet.objects.create(
        tenant_id=account.tenant_id,
        billing_account=account,
        unit=unit,
        name=name or f"{unit.name}",
        valid_from=valid_from,
        valid_to=valid_to,
        priority=priority,
        code=code,
    )


def _replayed_transaction(legs: Sequence[Leg]) -> LedgerTransaction | None:
    keyed = [leg for leg in legs if leg.idempotency_key]
    if not keyed:
        return None
    match = Q()
    for leg in keyed:
        match |= Q(ledger_account_id=leg.account.pk, idempotency_key=leg.idempotency_key)
    found = list(LedgerEntry.objects.filter(match).values_list("transaction_id", flat=True))
    if not found:
        return None
    if len(found) != len(keyed) or len(set(found)) != 1:
        raise IdempotencyConflict("This idempotency key was already used for a different ledger movement.")
    return LedgerTransaction.objects.get(pk=found[0])


def ledger_post(
    *,
    tenant: Tenant,
    kind: str,
    legs: Sequence[Leg],
    description: str = "",
    reference: str = "",
    actor: Any = None,
    reverses: LedgerTransaction | None = None,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction. Locks the accounts in pk order; floors are checked after the lock.

    Idempotent through the legs' idempotency keys. Raises LedgerImbalance, InsufficientFunds,
    IdempotencyConflict or TenantMismatch and changes nothing when it does.
    """
    if len(legs) < 2:
        raise LedgerImbalance("A ledger transaction needs at least two legs.")
    per_unit: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for leg in legs:
        amount = to_decimal(leg.amount)
        if amount == ZERO:
            raise InvalidAmount("A ledger leg cannot be zero.")
        per_unit[leg.account.unit_id] += amount
    unbalanced = {unit: total for unit, total in per_unit.items() if total != ZERO}
    if unbalanced:
        raise LedgerImbalance(f"Legs do not sum to zero per unit: {unbalanced}")

    with transaction.atomic():
        locked = ledger_accounts_lock(leg.account.pk for leg in legs)
        replay = _replayed_transaction(legs)
        if replay is not None:
            replay.replayed = True  # type: ignore[attr-defined]
            return replay
        for row in locked.values():
            if row.tenant_id != tenant.pk:
                raise TenantMismatch(f"Ledger account {row.pk} belongs to another tenant.")
        now = at or timezone.now()
        running = {pk: row.balance for pk, row in locked.items()}
        entries: list[LedgerEntry] = []
        for leg in legs:
            row = locked[leg.account.pk]
            running[row.pk] += leg.amount
            entries.append(
                LedgerEntry(
                    ledger_account_id=row.pk,
                    unit_id=row.unit_id,
                    amount=leg.amount,
                    balance_after=running[row.pk],
                    idempotency_key=leg.idempotency_key,
                    created_at=now,
                )
            )
        for pk, new_balance in running.items():
            row = locked[pk]
            floor = pocket_floor(row)
            if floor is not None and new_balance < row.balance and new_balance < floor:
                raise InsufficientFunds(
                    f"{row} would go to {new_balance} {row.unit.code}, below its floor of {floor}; "
                    f"available: {row.balance - floor}."
                )
        txn = LedgerTransaction.objects.create(
            tenant=tenant,
            kind=kind,
            description=description[:255],
            reference=reference[:80],
            reverses=reverses,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        for entry in entries:
            entry.transaction = txn
        LedgerEntry.objects.bulk_create(entries)
        for pk, new_balance in running.items():
            locked[pk].balance = new_balance
        LedgerAccount.objects.bulk_update(list(locked.values()), ["balance"])
        txn.replayed = False  # type: ignore[attr-defined]
        return txn


def _check_positive(amount: Decimal, unit: Unit) -> Decimal:
    amount = to_decimal(amount)
    if amount <= ZERO:
        raise InvalidAmount(f"The amount must be positive, got {amount}.")
    # The ledger stores 10 decimal places; more would be silently rounded by the database.
    if amount != quantize_money(amount, 10):
        raise InvalidAmount(f"{amount} has more than 10 decimal places.")
    return amount


def _check_usable(wallet: LedgerAccount, at: datetime) -> None:
    if wallet.kind != LedgerAccountKind.POCKET:
        raise PocketNotUsable("Only a customer pocket can be credited or debited this way.")
    if not wallet.is_valid_at(at):
        raise PocketNotUsable(f"{wallet} is not valid on {at:%Y-%m-%d %H:%M}.")


def wallet_credit(
    *,
    wallet: LedgerAccount,
    amount: Decimal,
    kind: str = TransactionKind.TOP_UP,
    counter_kind: str = LedgerAccountKind.ADJUSTMENTS,
    counter_code: str = "",
    description: str = "",
    reference: str = "",
    idempotency_key: str = "",
    actor: Any = None,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Credit `amount` to a pocket against one of the tenant's own accounts (cash per gateway, promotions...).

    Idempotent by `idempotency_key` per pocket. Writes an audit event.
    """
    now = at or timezone.now()
    amount = _check_positive(amount, wallet.unit)
    _check_usable(wallet, now)
    counter = ledger_system_account(tenant=wallet.tenant, kind=counter_kind, unit=wallet.unit, code=counter_code)
    with transaction.atomic():
        txn = ledger_post(
            tenant=wallet.tenant,
            kind=kind,
            legs=[Leg(wallet, amount, idempotency_key), Leg(counter, -amount)],
            description=description or f"Credit {amount} {wallet.unit.code}",
            reference=reference,
            actor=actor,
            at=now,
        )
        if not txn.replayed:  # type: ignore[attr-defined]
            audit_record(action="wallet.credit", obj=wallet, actor=actor, after={"amount": str(amount), "txn": txn.pk})
    return txn


def wallet_debit(
    *,
    wallet: LedgerAccount,
    amount: Decimal,
    kind: str = TransactionKind.DEBIT,
    counter_kind: str = LedgerAccountKind.REVENUE_ONEOFF,
    counter_code: str = "",
    description: str = "",
    reference: str = "",
    idempotency_key: str = "",
    actor: Any = None,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Debit `amount` from one pocket; refused (InsufficientFunds, nothing changed) below its floor.

    Locks the pocket and checks after the lock. Idempotent by `idempotency_key` per pocket.
    """
    now = at or timezone.now()
    amount = _check_positive(amount, wallet.unit)
    _check_usable(wallet, now)
    counter = ledger_system_account(tenant=wallet.tenant, kind=counter_kind, unit=wallet.unit, code=counter_code)
    with transaction.atomic():
        txn = ledger_post(
            tenant=wallet.tenant,
            kind=kind,
            legs=[Leg(wallet, -amount, idempotency_key), Leg(counter, amount)],
            description=description or f"Debit {amount} {wallet.unit.code}",
            reference=reference,
            actor=actor,
            at=now,
        )
        if not txn.replayed:  # type: ignore[attr-defined]
            audit_record(action="wallet.debit", obj=wallet, actor=actor, after={"amount": str(amount), "txn": txn.pk})
    return txn


@dataclass(frozen=True)
class Consumption:
    transaction: LedgerTransaction | None
    taken: list[tuple[int, Decimal]]  # (pocket id, amount) in consumption order
    shortfall: Decimal


def wallets_consume(
    *,
    account: BillingAccount,
    unit: Unit,
    amount: Decimal,
    counter_kind: str = LedgerAccountKind.REVENUE_USAGE,
    kind: str = TransactionKind.USAGE,
    description: str = "",
    reference: str = "",
    idempotency_key: str = "",
    allow_partial: bool = False,
    at: datetime | None = None,
) -> Consumption:
    """Take `amount` of `unit` from the account's pockets valid at `at`: lowest priority number first,
    then earliest expiry, each down to its floor, in one transaction.

    Locks every pocket of that unit in pk order before reading balances. Without `allow_partial` a
    shortfall raises InsufficientFunds and nothing is taken; with it, what is available is taken and
    the shortfall returned.
    """
    now = at or timezone.now()
    amount = _check_positive(amount, unit)
    with transaction.atomic():
        ids = Wallet.objects.filter(billing_account=account, unit=unit).values_list("pk", flat=True)
        locked = ledger_accounts_lock(ids)
        usable = [w for w in locked.values() if w.is_valid_at(now)]
        far_future = datetime.max.replace(tzinfo=now.tzinfo)
        usable.sort(key=lambda w: (w.priority, w.valid_to or far_future, w.pk))
        remaining = amount
        taken: list[tuple[int, Decimal]] = []
        for pocket in usable:
            floor = pocket_floor(pocket)
            available = pocket.balance - (floor if floor is not None else ZERO)
            if available <= ZERO or remaining <= ZERO:
                continue
            take = min(available, remaining)
            taken.append((pocket.pk, take))
            remaining -= take
        if remaining > ZERO and not allow_partial:
            raise InsufficientFunds(f"{account.number} lacks {remaining} {unit.code} (asked {amount}).")
        if not taken:
            return Consumption(None, [], remaining)
        total = amount - remaining
        counter = ledger_system_account(tenant=account.tenant, kind=counter_kind, unit=unit)
        key = idempotency_key
        legs = [Leg(locked[pk], -take, f"{key}:{pk}" if key else "") for pk, take in taken]
        legs.append(Leg(counter, total))
        txn = ledger_post(
            tenant=account.tenant,
            kind=kind,
            legs=legs,
            description=description or f"Consume {total} {unit.code}",
            reference=reference,
            at=now,
        )
        return Consumption(txn, taken, remaining)


def exchange_rate_for(*, tenant: Tenant, from_unit: Unit, to_unit: Unit, at: datetime) -> ExchangeRate:
    """The rate in force at `at`, defined on the tenant or, failing that, the closest ancestor."""
    ancestor_ids = [int(pk) for pk in tenant.path.strip("/").split("/") if pk]
    candidates = ExchangeRate.objects.filter(
        tenant_id__in=ancestor_ids, from_unit=from_unit, to_unit=to_unit, valid_from__lte=at
    ).order_by("-valid_from")
    by_tenant: dict[int, ExchangeRate] = {}
    for rate in candidates:
        by_tenant.setdefault(rate.tenant_id, rate)
    for pk in reversed(ancestor_ids):
        if pk in by_tenant:
            return by_tenant[pk]
    raise NoExchangeRate(f"No exchange rate from {from_unit} to {to_unit} is defined for {tenant}.")


def pocket_transfer(
    *,
    source: LedgerAccount,
    target: LedgerAccount,
    amount: Decimal,
    idempotency_key: str = "",
    actor: Any = None,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Move `amount` from one pocket to another of the same account, converting at the exchange rate.

    The converted amount is rounded down to the target unit's decimals (the customer never receives
    more than the exact value). Exchange legs keep each unit's sum at zero.
    """
    now = at or timezone.now()
    if source.billing_account_id != target.billing_account_id or source.pk == target.pk:
        raise PocketNotUsable("A transfer moves value between two different pockets of one account.")
    amount = _check_positive(amount, source.unit)
    _check_usable(source, now)
    _check_usable(target, now)
    tenant = source.tenant
    if source.unit_id == target.unit_id:
        legs = [Leg(source, -amount, idempotency_key), Leg(target, amount)]
        note = f"Transfer {amount} {source.unit.code}"
    else:
        rate = exchange_rate_for(tenant=tenant, from_unit=source.unit, to_unit=target.unit, at=now)
        converted = quantize_money(amount * rate.rate, target.unit.decimals, ROUND_DOWN)
        if converted <= ZERO:
            raise InvalidAmount(f"{amount} {source.unit.code} is worth less than one {target.unit.code} unit.")
        ex_source = ledger_system_account(tenant=tenant, kind=LedgerAccountKind.EXCHANGE, unit=source.unit)
        ex_target = ledger_system_account(tenant=tenant, kind=LedgerAccountKind.EXCHANGE, unit=target.unit)
        legs = [
            Leg(source, -amount, idempotency_key),
            Leg(ex_source, amount),
            Leg(ex_target, -converted),
            Leg(target, converted),
        ]
        note = f"Exchange {amount} {source.unit.code} -> {converted} {target.unit.code} at {rate.rate} ({rate.source})"
    with transaction.atomic():
        txn = ledger_post(
            tenant=tenant, kind=TransactionKind.TRANSFER, legs=legs, description=note, actor=actor, at=now
        )
        if not txn.replayed:  # type: ignore[attr-defined]
            audit_record(action="wallet.transfer", obj=source, actor=actor, after={"note": note, "txn": txn.pk})
    return txn


def pockets_expire(*, as_of: datetime | None = None, tenant: Tenant | None = None, unit: Unit | None = None) -> int:
    """Move what is left in pockets whose validity ended to the tenant's breakage account (only the
    pockets of `tenant` and of `unit` when given).

    Idempotent: each pocket expires once (idempotency key per pocket); rerunning posts nothing.
    Returns how many pockets were expired by this call.
    """
    now = as_of or timezone.now()
    due = Wallet.objects.filter(valid_to__lte=now, balance__gt=0)
    if tenant is not None:
        due = due.filter(tenant=tenant)
    if unit is not None:
        due = due.filter(unit=unit)
    expired = 0
    for pocket_id in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            pocket = ledger_accounts_lock([pocket_id])[pocket_id]
            if pocket.balance <= ZERO:
                continue
            breakage = ledger_system_account(tenant=pocket.tenant, kind=LedgerAccountKind.BREAKAGE, unit=pocket.unit)
            ledger_post(
                tenant=pocket.tenant,
                kind=TransactionKind.EXPIRY,
                legs=[Leg(pocket, -pocket.balance, f"expire:{pocket.pk}"), Leg(breakage, pocket.balance)],
                description=f"Expiry of {pocket} on {pocket.valid_to:%Y-%m-%d}",
                at=now,
            )
            expired += 1
    return expired


def ledger_transaction_reverse(*, txn: LedgerTransaction, reason: str, actor: Any = None) -> LedgerTransaction:
    """Post the mirror image of `txn` (corrections are reversals; entries are never edited).

    A transaction is reversed at most once (unique `reverses`). Floors still apply: spent money
    cannot be reversed out of a prepaid pocket.
    """
    if not reason.strip():
        raise InvalidAmount("A reversal needs a reason.", code="reason_required")
    with transaction.atomic():
        if LedgerTransaction.objects.filter(reverses=txn).exists():
            return LedgerTransaction.objects.get(reverses=txn)
        legs = [
            Leg(entry.ledger_account, -entry.amount)
            for entry in txn.entries.select_related("ledger_account").order_by("pk")
        ]
        reversal = ledger_post(
            tenant=txn.tenant,
            kind=TransactionKind.REVERSAL,
            legs=legs,
            description=f"Reversal of #{txn.pk}: {reason}",
            reference=txn.reference,
            reverses=txn,
            actor=actor,
        )
        audit_record(action="ledger.reverse", obj=txn, actor=actor, after={"reversal": reversal.pk, "reason": reason})
        return reversal


def account_receivable(*, account: BillingAccount) -> LedgerAccount:
    """The billing account's own receivable ledger account in its currency; created once.

    Issued invoices debit it, credit notes and payments credit it, so its balance is minus what the
    customer owes. No floor applies (it is not a pocket).
    """
    lookup = {"tenant_id": account.tenant_id, "billing_account": account, "kind": LedgerAccountKind.RECEIVABLE}
    found = LedgerAccount.objects.filter(**lookup, unit_id=account.currency_id).first()
    if found:
        return found
    with transaction.atomic():
        # Serialise concurrent first invoices of one account on the account row (no unique index covers it).
        BillingAccount.objects.select_for_update().filter(pk=account.pk).first()
        found = LedgerAccount.objects.filter(**lookup, unit_id=account.currency_id).first()
        return found or LedgerAccount.objects.create(
            **lookup, unit_id=account.currency_id, code="receivable", name=f"Receivable {account.number}"
        )
