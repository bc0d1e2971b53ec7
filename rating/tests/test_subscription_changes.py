"""Subscription changes that billing relies on: ends, pauses, resumes and plan or quantity changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from accounts.models import AuditEvent
from accounts.models.customers import PaymentMode
from accounts.tests.factories import make_account, unit
from rating.models import PricePlan, Product, ServiceIdentifier, Subscription, SubscriptionStatus
from rating.services.subscription_changes import (
    SubscriptionChangeRefused,
    subscription_change_plan,
    subscription_end,
    subscription_pause,
    subscription_resume,
)

pytestmark = pytest.mark.django_db


def plan(product: Product, code: str) -> PricePlan:
    return PricePlan.objects.create(tenant=product.tenant, product=product, code=code, name=code, currency=unit("EUR"))


@pytest.fixture
def sub(operator):
    product = Product.objects.create(tenant=operator, code="mobile", name="Mobile")
    account = make_account(tenant=operator, mode=PaymentMode.POSTPAID)
    return Subscription.objects.create(
        account=account, product=product, price_plan=plan(product, "s"), start_date=date(2024, 3, 1)
    )


def test_plan_change_ends_the_old_subscription_the_day_before_and_starts_a_successor(operator, sub):
    larger = plan(sub.product, "l")
    ServiceIdentifier.objects.create(
        subscription=sub, kind="msisdn", value="34600000001", valid_from=datetime(2024, 3, 1, tzinfo=UTC)
    )

    successor = subscription_change_plan(subscription=sub, price_plan=larger, effective_date=date(2024, 3, 15))

    sub.refresh_from_db()
    assert (sub.end_date, sub.status) == (date(2024, 3, 14), SubscriptionStatus.ENDED)
    assert (successor.start_date, successor.price_plan, successor.replaces) == (date(2024, 3, 15), larger, sub)
    # The MSISDN follows the service: closed on the old row at the change, open on the new one.
    assert successor.identifiers.get().valid_to is None
    assert sub.identifiers.get().valid_to == datetime(2024, 3, 15, tzinfo=UTC)
    assert AuditEvent.objects.filter(action="subscription.change_plan").count() == 1


def test_a_subscription_is_replaced_once_and_changes_must_change_something(sub):
    with pytest.raises(SubscriptionChangeRefused, match="same plan and quantity"):
        subscription_change_plan(subscription=sub, quantity=1, effective_date=date(2024, 3, 10))
    subscription_change_plan(subscription=sub, quantity=2, effective_date=date(2024, 3, 10))

    with pytest.raises(SubscriptionChangeRefused, match="ended on 2024-03-09"):
        subscription_change_plan(subscription=sub, quantity=3, effective_date=date(2024, 3, 20))


def test_a_pause_moves_to_the_successor_when_it_reaches_past_the_change(sub):
    subscription_pause(subscription=sub, start_date=date(2024, 3, 10))

    successor = subscription_change_plan(subscription=sub, quantity=2, effective_date=date(2024, 3, 15))

    assert list(sub.pauses.values_list("start_date", "end_date")) == [(date(2024, 3, 10), date(2024, 3, 14))]
    assert list(successor.pauses.values_list("start_date", "end_date")) == [(date(2024, 3, 15), None)]


def test_overlapping_pauses_and_resuming_without_a_pause_are_refused(sub):
    subscription_pause(subscription=sub, start_date=date(2024, 3, 10), end_date=date(2024, 3, 20))

    with pytest.raises(SubscriptionChangeRefused, match="overlaps"):
        subscription_pause(subscription=sub, start_date=date(2024, 3, 20))
    with pytest.raises(SubscriptionChangeRefused, match="no open pause"):
        subscription_resume(subscription=sub, resume_date=date(2024, 3, 25))


def test_resume_closes_the_open_pause_the_day_before(sub):
    subscription_pause(subscription=sub, start_date=date(2024, 3, 10))

    pause = subscription_resume(subscription=sub, resume_date=date(2024, 4, 2))

    sub.refresh_from_db()
    assert (pause.end_date, sub.status) == (date(2024, 4, 1), SubscriptionStatus.ACTIVE)


def test_an_end_before_the_start_is_refused(sub):
    with pytest.raises(SubscriptionChangeRefused, match="starts on 2024-03-01"):
        subscription_end(subscription=sub, end_date=date(2024, 2, 28))
