"""Customer and account use cases: create, open, update, and the account's status transitions.

Every write locks the account row first and checks the saved state after the lock; each change that
did something appends an audit event (who, before, after) in the same transaction. Repeating a
transition that already happened (suspending a suspended account) changes nothing and audits nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts.exceptions import InvalidAccountState, InvalidAmount, InvalidState
from accounts.locks import ledger_accounts_lock
from accounts.models import BillingAccount, BillingCycle, Customer, LedgerAccountKind, Tenant, Unit
from accounts.models.customers import AccountStatus, PaymentMode

from .audit import apply_changes, audit_record
from .ledger import MAIN_POCKET, wallet_open

# What the back office and the API may change on an open account; the currency and customer never move.
ACCOUNT_EDITABLE_FIELDS = frozenset({"name", "billing_cycle", "payment_terms_days", "payment_mode", "credit_limit"})


def customer_create(*, tenant: Tenant, number: str, name: str, actor: Any = None, **fields: Any) -> Customer:
    """Create a customer of `tenant` (number unique per tenant, enforced by the database)."""
    with transaction.atomic():
        customer = Customer(tenant=tenant, number=number, name=name, **fields)
        customer.full_clean()
        customer.save()
        audit_record(action="customer.create", obj=customer, actor=actor, after={"number": number, "name": name})
        return customer


def account_open(
    *,
    customer: Customer,
    number: str,
    currency: Unit,
    payment_mode: str = PaymentMode.POSTPAID,
    credit_limit: Decimal = Decimal("0"),
    billing_cycle: BillingCycle | None = None,
    payment_terms_days: int = 14,
    name: str = "",
    actor: Any = None,
) -> BillingAccount:
    """Open a billing account with its main money pocket (currency, no expiry, priority 100)."""
    with transaction.atomic():
        account = BillingAccount(
            customer=customer,
            tenant=customer.tenant,
            number=number,
            name=name,
            currency=currency,
            payment_mode=payment_mode,
            credit_limit=credit_limit,
            billing_cycle=billing_cycle,
            payment_terms_days=payment_terms_days,
        )
        account.full_clean(exclude=["tenant"])
        account.save()
        wallet_open(account=account, unit=currency, name=f"Main balance ({currency.code})", code=MAIN_POCKET)
        audit_record(
            action="account.open",
            obj=account,
            actor=actor,
            after={"number": number, "mode": payment_mode, "credit_limit": str(credit_limit)},
        )
        return account


# Fields an integrator or the back office may change on a customer; the tenant never changes.
CUSTOMER_MUTABLE_FIELDS = frozenset(
    {
        "number", "kind", "name", "email", "phone", "address_line1", "address_line2",
        "postal_code", "city", "country", "tax_id", "language", "segment",
    }
)  # fmt: skip

# Account status is a small state machine: closed is final (history and invoices stay attached).
ACCOUNT_STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    AccountStatus.ACTIVE: frozenset({AccountStatus.SUSPENDED, AccountStatus.CLOSED}),
    AccountStatus.SUSPENDED: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    AccountStatus.CLOSED: frozenset(),
}


def _save_changes(locked: Customer | BillingAccount, changes: dict[str, Any], *, action: str, actor: Any) -> None:
    """Apply `changes` to a locked row, validate, save the changed fields and audit them; nothing if unchanged."""
    before, after = apply_changes(locked, changes)
    if after:
        locked.full_clean()
        locked.save(update_fields=list(after))
        audit_record(action=action, obj=locked, actor=actor, before=before, after=after)


def customer_update(*, customer: Customer, actor: Any = None, **changes: Any) -> Customer:
    """Change a customer's contact and classification fields (never its tenant).

    Locks the customer row; a call that changes nothing writes nothing. Audited with before/after.
    """
    unknown = set(changes) - CUSTOMER_MUTABLE_FIELDS
    if unknown:
        raise TypeError(f"customer_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        _save_changes(locked, changes, action="customer.update", actor=actor)
        return locked


def customer_delete(*, customer: Customer, actor: Any = None) -> None:
    """Delete a customer that never had a billing account; one with accounts is kept (close them instead)."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.accounts.exists():
            raise InvalidState(
                f"Customer {locked.number} has billing accounts; close them instead of deleting the customer.",
                code="customer_has_accounts",
            )
        audit_record(
            action="customer.delete", obj=locked, actor=actor, before={"number": locked.number, "name": locked.name}
        )
        locked.delete()


def account_status_set(*, account: BillingAccount, status: str, actor: Any = None, reason: str = "") -> BillingAccount:
    """Move an account to `status` (active <-> suspended, either -> closed; closed is final).

    Locks the row and checks the saved status before the transition; the same status is a no-op.
    """
    if status not in ACCOUNT_STATUS_TRANSITIONS:
        raise ValidationError({"status": f"Unknown account status {status!r}."})
    with transaction.atomic():
        locked = BillingAccount.objects.select_for_update().get(pk=account.pk)
        if locked.status == status:
            return locked
        if status not in ACCOUNT_STATUS_TRANSITIONS[locked.status]:
            raise InvalidState(f"Account {locked.number} is {locked.status}; it cannot become {status}.")
        before = {"status": locked.status}
        locked.status = status
        locked.save(update_fields=["status"])
        audit_record(
            action="account.status", obj=locked, actor=actor, before=before, after={"status": status, "reason": reason}
        )
        return locked


def _account_lock(account: BillingAccount) -> BillingAccount:
    return BillingAccount.objects.select_for_update().select_related("customer").get(pk=account.pk)


def _audit_value(value: Any) -> Any:
    """A JSON-friendly form of a field value for the audit trail (related rows by pk, Decimals as text)."""
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, (bool, int)):
        return value
    return str(value)


def floor_refusal(*, account: BillingAccount, payment_mode: str, credit_limit: Decimal, balance: Decimal) -> str | None:
    """Why these terms cannot apply to an account whose main pocket holds `balance`, or None if they can."""
    floor = Decimal("0") if payment_mode == PaymentMode.PREPAID else -credit_limit
    if balance >= floor:
        return None
    return (
        f"The main pocket is at {balance.normalize():f} {account.currency.code}; these terms would put its floor "
        f"at {floor.normalize():f}. Settle the balance first."
    )


def account_update(*, account: BillingAccount, changes: dict[str, Any], actor: Any = None) -> BillingAccount:
    """Change an account's terms (see ACCOUNT_EDITABLE_FIELDS) and audit before/after.

    Locks the account, then its main pocket, and refuses (InvalidAmount, nothing changed) a payment
    mode or credit limit whose floor would sit above the main pocket's current balance: the ledger
    promises a pocket is never below its floor.
    """
    unknown = set(changes) - ACCOUNT_EDITABLE_FIELDS
    if unknown:
        raise InvalidAccountState(f"These account fields cannot be changed here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = _account_lock(account)
        before = {name: _audit_value(getattr(locked, name)) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["tenant"])
        main = locked.ledger_accounts.filter(kind=LedgerAccountKind.POCKET, code=MAIN_POCKET).first()
        if main is not None:
            balance = ledger_accounts_lock([main.pk])[main.pk].balance
            refusal = floor_refusal(
                account=locked, payment_mode=locked.payment_mode, credit_limit=locked.credit_limit, balance=balance
            )
            if refusal:
                raise InvalidAmount(refusal, code="floor_above_balance")
        locked.save()
        after = {name: _audit_value(getattr(locked, name)) for name in changes}
        if before != after:
            audit_record(action="account.update", obj=locked, actor=actor, before=before, after=after)
        return locked


def _account_transition(
    *, account: BillingAccount, field: str, value: Any, allowed_from: set[str] | None, action: str, actor: Any
) -> bool:
    with transaction.atomic():
        locked = _account_lock(account)
        current = getattr(locked, field)
        if current == value:
            return False
        if allowed_from is not None and locked.status not in allowed_from:
            raise InvalidAccountState(f"Account {locked.number} is {locked.get_status_display().lower()}.")
        setattr(locked, field, value)
        locked.save(update_fields=[field])
        audit_record(action=action, obj=locked, actor=actor, before={field: current}, after={field: value})
        setattr(account, field, value)
        return True


def account_suspend(*, account: BillingAccount, actor: Any = None) -> bool:
    """Suspend an active account. Returns False (nothing done) when it already is; a closed one is refused."""
    return _account_transition(
        account=account,
        field="status",
        value=AccountStatus.SUSPENDED,
        allowed_from={AccountStatus.ACTIVE},
        action="account.suspend",
        actor=actor,
    )


def account_reactivate(*, account: BillingAccount, actor: Any = None) -> bool:
    """Reactivate a suspended account. Returns False when it is already active; a closed one is refused."""
    return _account_transition(
        account=account,
        field="status",
        value=AccountStatus.ACTIVE,
        allowed_from={AccountStatus.SUSPENDED},
        action="account.reactivate",
        actor=actor,
    )


def account_skip_dunning_set(*, account: BillingAccount, skip: bool, actor: Any = None) -> bool:
    """Exclude the account from (or return it to) dunning. Returns False when it already was so."""
    return _account_transition(
        account=account,
        field="skip_dunning",
        value=skip,
        allowed_from=None,
        action="account.skip_dunning" if skip else "account.resume_dunning",
        actor=actor,
    )
