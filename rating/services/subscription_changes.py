"""Subscription life-cycle use cases that billing depends on: end, pause, resume, change plan or quantity.

Billing reads subscriptions by dates, never by status alone: a subscription is charged for the days in
[start_date, end_date] that no pause covers. A plan or quantity change therefore never edits a row that
may already have been billed: it ends the old subscription the day before the change and starts a new
one (`replaces` = the old) on the change day, so the invoice engine credits the unused part of what
was billed in advance and charges the new plan from that day - once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone as dj_timezone

from accounts.exceptions import BillingError
from accounts.services import audit_record
from rating.models import PricePlan, Subscription, SubscriptionPause, SubscriptionStatus


class SubscriptionChangeRefused(BillingError):
    code = "subscription_change_refused"
    http_status = 409


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update().select_related("account", "product").get(pk=subscription.pk)


def _check_in_service(sub: Subscription, day: date, what: str) -> None:
    if day < sub.start_date:
        raise SubscriptionChangeRefused(f"Cannot {what} on {day}: the subscription starts on {sub.start_date}.")
    if sub.end_date is not None and day > sub.end_date:
        raise SubscriptionChangeRefused(f"Cannot {what} on {day}: the subscription ended on {sub.end_date}.")


def subscription_end(*, subscription: Subscription, end_date: date, actor: Any = None) -> Subscription:
    """Set the last day of service. Locks the subscription; refuses a date outside its service."""
    with transaction.atomic():
        sub = _locked(subscription)
        _check_in_service(sub, end_date, "end it")
        before = {"end_date": str(sub.end_date) if sub.end_date else None, "status": sub.status}
        sub.end_date = end_date
        sub.status = SubscriptionStatus.ENDED
        sub.save(update_fields=["end_date", "status"])
        audit_record(
            action="subscription.end",
            obj=sub,
            actor=actor,
            tenant=sub.account.tenant,
            before=before,
            after={"end_date": str(end_date)},
        )
        return sub


def subscription_pause(
    *, subscription: Subscription, start_date: date, end_date: date | None = None, reason: str = "", actor: Any = None
) -> SubscriptionPause:
    """Suspend charging from `start_date` to `end_date` (inclusive; None = until resumed).

    Locks the subscription; refuses a pause outside its service or overlapping another pause.
    """
    with transaction.atomic():
        sub = _locked(subscription)
        _check_in_service(sub, start_date, "pause it")
        if end_date is not None and end_date < start_date:
            raise SubscriptionChangeRefused("A pause must end on or after the day it starts.")
        for other in sub.pauses.all():
            other_end = other.end_date or date.max
            if start_date <= other_end and (end_date or date.max) >= other.start_date:
                raise SubscriptionChangeRefused(f"The pause overlaps the pause from {other.start_date}.")
        pause = SubscriptionPause.objects.create(
            subscription=sub, start_date=start_date, end_date=end_date, reason=reason
        )
        sub.status = SubscriptionStatus.PAUSED
        sub.save(update_fields=["status"])
        audit_record(
            action="subscription.pause",
            obj=sub,
            actor=actor,
            tenant=sub.account.tenant,
            after={"start_date": str(start_date), "end_date": str(end_date) if end_date else None},
        )
        return pause


def subscription_resume(*, subscription: Subscription, resume_date: date, actor: Any = None) -> SubscriptionPause:
    """End the open pause: service (and charging) starts again on `resume_date`. Locks the subscription."""
    with transaction.atomic():
        sub = _locked(subscription)
        pause = sub.pauses.filter(end_date__isnull=True).first()
        if pause is None:
            raise SubscriptionChangeRefused("The subscription has no open pause to resume from.")
        if resume_date <= pause.start_date:
            raise SubscriptionChangeRefused(f"Resume after the pause starts ({pause.start_date}).")
        pause.end_date = resume_date - timedelta(days=1)
        pause.save(update_fields=["end_date"])
        sub.status = SubscriptionStatus.ACTIVE
        sub.save(update_fields=["status"])
        audit_record(
            action="subscription.resume",
            obj=sub,
            actor=actor,
            tenant=sub.account.tenant,
            after={"resume_date": str(resume_date)},
        )
        return pause


def subscription_change_plan(
    *,
    subscription: Subscription,
    effective_date: date,
    price_plan: PricePlan | None = None,
    quantity: int | None = None,
    actor: Any = None,
) -> Subscription:
    """Move to another price plan and/or quantity from `effective_date`.

    Ends the old subscription on the day before and starts a new one on `effective_date` that
    `replaces` it; the invoice engine then credits the unused part of the old charge and bills the new
    one on the next invoice. Locks the old subscription; a subscription is replaced at most once.
    """
    with transaction.atomic():
        sub = _locked(subscription)
        new_plan = price_plan or sub.price_plan
        new_quantity = quantity if quantity is not None else sub.quantity
        if new_plan == sub.price_plan and new_quantity == sub.quantity:
            raise SubscriptionChangeRefused("The change keeps the same plan and quantity.")
        if effective_date <= sub.start_date:
            raise SubscriptionChangeRefused(
                f"A change takes effect after the subscription starts ({sub.start_date}); edit a pending one instead."
            )
        _check_in_service(sub, effective_date, "change it")
        if Subscription.objects.filter(replaces=sub).exists():
            raise SubscriptionChangeRefused("This subscription was already replaced by a change.")
        if new_plan is not None and new_plan.product_id != sub.product_id:
            raise SubscriptionChangeRefused("The new plan belongs to another product.")
        if new_plan is not None and new_plan.currency_id != sub.account.currency_id:
            raise SubscriptionChangeRefused("The new plan is priced in another currency than the account.")
        old_end = sub.end_date
        sub.end_date = effective_date - timedelta(days=1)
        sub.status = SubscriptionStatus.ENDED
        sub.save(update_fields=["end_date", "status"])
        successor = Subscription(
            account=sub.account,
            product=sub.product,
            price_plan=new_plan,
            quantity=new_quantity,
            start_date=effective_date,
            end_date=old_end,
            replaces=sub,
        )
        successor.full_clean()
        successor.save()
        # Pauses that reach past the change day move to the successor's days.
        for pause in sub.pauses.filter(end_date__isnull=True) | sub.pauses.filter(end_date__gte=effective_date):
            SubscriptionPause.objects.create(
                subscription=successor,
                start_date=max(pause.start_date, effective_date),
                end_date=pause.end_date,
                reason=pause.reason,
            )
            if pause.start_date >= effective_date:
                pause.delete()
            else:
                pause.end_date = sub.end_date
                pause.save(update_fields=["end_date"])
        identifiers = list(sub.identifiers.filter(valid_to__isnull=True))
        audit_record(
            action="subscription.change_plan",
            obj=sub,
            actor=actor,
            tenant=sub.account.tenant,
            before={"plan": sub.price_plan_id, "quantity": sub.quantity},
            after={"plan": new_plan.pk if new_plan else None, "quantity": new_quantity, "successor": successor.pk},
        )
        _move_identifiers(identifiers, successor, effective_date)
        return successor


def _move_identifiers(identifiers: list[Any], successor: Subscription, effective_date: date) -> None:
    """Open identifiers (MSISDN...) follow the service: closed on the old row, reopened on the new."""
    if not identifiers:
        return
    zone = ZoneInfo(successor.account.tenant.timezone)
    switch = dj_timezone.make_aware(datetime.combine(effective_date, time.min), zone)
    for identifier in identifiers:
        if identifier.valid_from >= switch:
            identifier.subscription = successor
            identifier.save(update_fields=["subscription"])
            continue
        identifier.valid_to = switch
        identifier.save(update_fields=["valid_to"])
        identifier.pk = None
        identifier.subscription = successor
        identifier.valid_from = switch
        identifier.valid_to = None
        identifier.save()
