"""Customer and account use cases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.exceptions import InvalidState
from accounts.models import BillingAccount, BillingCycle, Customer, Tenant, Unit
from accounts.models.customers import AccountStatus, PaymentMode
from accounts.money import to_decimal

from .audit import apply_changes, audit_record
from .ledger import MAIN_POCKET, wallet_open


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


def account_update(
    *,
    account: BillingAccount,
    actor: Any = None,
    name: str | None = None,
    credit_limit: Decimal | None = None,
    payment_terms_days: int | None = None,
    skip_dunning: bool | None = None,
) -> BillingAccount:
    """Change an account's terms; None leaves a field as it is. Locks the account row; audited.

    Lowering the credit limit below what a postpaid pocket already owes is allowed: the debt stays,
    further debits are refused until the balance is back above the new floor.
    """
    requested = {
        "name": name,
        "credit_limit": None if credit_limit is None else to_decimal(credit_limit),
        "payment_terms_days": payment_terms_days,
        "skip_dunning": skip_dunning,
    }
    changes = {field: value for field, value in requested.items() if value is not None}
    with transaction.atomic():
        locked = BillingAccount.objects.select_for_update().get(pk=account.pk)
        if locked.status == AccountStatus.CLOSED and changes:
            raise InvalidState(f"Account {locked.number} is closed; its terms cannot change.", code="account_closed")
        _save_changes(locked, changes, action="account.update", actor=actor)
        return locked


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
