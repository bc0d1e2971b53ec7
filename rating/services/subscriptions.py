"""Subscription use cases: subscribe an account to a product, change or end it, assign service identifiers.

A service identifier (MSISDN, IMSI...) is unique per kind at any instant. The database decides, through
its exclusion constraint, so two concurrent assignments cannot both win; a violation becomes a
ValidationError on `identifiers` naming the identifier - never a 500. Identifiers are history (usage is
matched through them), so they are never deleted here: an identifier is released by setting `valid_to`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.exceptions import InvalidState
from accounts.models import BillingAccount
from accounts.models.customers import AccountStatus
from accounts.services import apply_changes, audit_record
from rating.models import Product, ServiceIdentifier, Subscription, SubscriptionStatus

OVERLAP_CONSTRAINT = "service_identifier_no_overlap"

# Ended is final: an ended subscription has been billed to its last day; a new one starts afresh.
SUBSCRIPTION_TRANSITIONS: dict[str, frozenset[str]] = {
    SubscriptionStatus.PENDING: frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.ENDED}),
    SubscriptionStatus.ACTIVE: frozenset({SubscriptionStatus.PAUSED, SubscriptionStatus.ENDED}),
    SubscriptionStatus.PAUSED: frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.ENDED}),
    SubscriptionStatus.ENDED: frozenset(),
}
SUBSCRIPTION_MUTABLE_FIELDS = frozenset({"quantity", "start_date", "end_date", "status"})


@dataclass(frozen=True)
class IdentifierSpec:
    """An identifier to add (no `id`) or an existing one of the subscription to change (`id` given)."""

    kind: str
    value: str
    valid_from: datetime
    valid_to: datetime | None = None
    id: int | None = None


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _identifier_save(identifier: ServiceIdentifier) -> None:
    label = f"{identifier.get_kind_display()} {identifier.value}"
    if identifier.valid_to is not None and identifier.valid_to <= identifier.valid_from:
        raise ValidationError({"identifiers": f"{label}: valid_to must be after valid_from."})
    # The exclusion constraint is checked by the insert itself below (race-free), not by a pre-read.
    identifier.full_clean(exclude=["subscription"], validate_constraints=False)
    try:
        with transaction.atomic():
            identifier.save()
    except IntegrityError as exc:
        if _violated_constraint(exc) != OVERLAP_CONSTRAINT:
            raise
        window = f"from {identifier.valid_from:%Y-%m-%d %H:%M}" + (
            f" to {identifier.valid_to:%Y-%m-%d %H:%M}" if identifier.valid_to else " on"
        )
        raise ValidationError(
            {"identifiers": f"{label} is already assigned to a subscription for part of the time {window}."}
        ) from exc


def service_identifiers_save(*, subscription: Subscription, identifiers: Sequence[IdentifierSpec]) -> None:
    """Add the identifiers without an id and change those with one (they must be this subscription's).

    Raises ValidationError on `identifiers` when one would overlap an identifier of the same kind and value.
    """
    existing = {row.pk: row for row in subscription.identifiers.select_for_update()}
    for spec in identifiers:
        if spec.id is None:
            identifier = ServiceIdentifier(subscription=subscription)
        elif spec.id in existing:
            identifier = existing[spec.id]
        else:
            raise ValidationError({"identifiers": f"Identifier #{spec.id} is not one of this subscription's."})
        identifier.kind, identifier.value = spec.kind, spec.value
        identifier.valid_from, identifier.valid_to = spec.valid_from, spec.valid_to
        _identifier_save(identifier)


def _check_dates(subscription: Subscription) -> None:
    if subscription.end_date is not None and subscription.end_date < subscription.start_date:
        raise ValidationError({"end_date": "The last day of service cannot be before the start date."})
    if subscription.status == SubscriptionStatus.ENDED and subscription.end_date is None:
        raise ValidationError({"end_date": "An ended subscription needs its last day of service."})


def _summary(subscription: Subscription) -> dict[str, Any]:
    return {
        "product": subscription.product_id,
        "quantity": subscription.quantity,
        "start_date": str(subscription.start_date),
        "status": subscription.status,
    }


def subscription_create(
    *,
    account: BillingAccount,
    product: Product,
    start_date: date,
    quantity: int = 1,
    end_date: date | None = None,
    status: str = SubscriptionStatus.ACTIVE,
    identifiers: Sequence[IdentifierSpec] = (),
    actor: Any = None,
) -> Subscription:
    """Subscribe `account` to `product` (from its tenant's catalog or one above) with its identifiers.

    All or nothing: an identifier already in use leaves no subscription behind. Audited.
    """
    if account.status == AccountStatus.CLOSED:
        raise InvalidState(f"Account {account.number} is closed.", code="account_closed")
    if not product.active:
        raise ValidationError({"product": f"{product} is no longer sold."})
    with transaction.atomic():
        subscription = Subscription(
            account=account, product=product, quantity=quantity, start_date=start_date, end_date=end_date, status=status
        )
        _check_dates(subscription)
        subscription.full_clean()
        subscription.save()
        service_identifiers_save(subscription=subscription, identifiers=identifiers)
        audit_record(
            action="subscription.create",
            obj=subscription,
            tenant=account.tenant,
            actor=actor,
            after={**_summary(subscription), "identifiers": [f"{i.kind}:{i.value}" for i in identifiers]},
        )
        return subscription


def subscription_update(
    *,
    subscription: Subscription,
    identifiers: Sequence[IdentifierSpec] | None = None,
    actor: Any = None,
    **changes: Any,
) -> Subscription:
    """Change quantity, dates or status (pending/active/paused -> ended is final) and identifiers.

    Locks the subscription row and checks the saved status before a transition. Audited.
    """
    unknown = set(changes) - SUBSCRIPTION_MUTABLE_FIELDS
    if unknown:
        raise TypeError(f"subscription_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        locked = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("account__tenant")
            .get(pk=subscription.pk)
        )
        new_status = changes.get("status", locked.status)
        if new_status != locked.status and new_status not in SUBSCRIPTION_TRANSITIONS[locked.status]:
            raise InvalidState(f"The subscription is {locked.status}; it cannot become {new_status}.")
        before, after = apply_changes(locked, changes)
        if after:
            _check_dates(locked)
            locked.full_clean()
            locked.save(update_fields=list(after))
        if identifiers:
            service_identifiers_save(subscription=locked, identifiers=identifiers)
            after["identifiers"] = [f"{i.kind}:{i.value}" for i in identifiers]
        if after:
            audit_record(
                action="subscription.update",
                obj=locked,
                tenant=locked.account.tenant,
                actor=actor,
                before=before,
                after=after,
            )
        return locked


def subscription_delete(*, subscription: Subscription, actor: Any = None) -> None:
    """Delete a subscription that never started (pending); one that ran is ended instead, keeping its history."""
    with transaction.atomic():
        locked = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("account__tenant")
            .get(pk=subscription.pk)
        )
        if locked.status != SubscriptionStatus.PENDING:
            raise InvalidState(
                f"The subscription is {locked.status}; end it (status ended with an end_date) instead of deleting it."
            )
        audit_record(
            action="subscription.delete", obj=locked, tenant=locked.account.tenant, actor=actor, before=_summary(locked)
        )
        locked.delete()
