"""Cost quotes: what a call, message batch or data session would cost, priced by the real engine, charging nobody.

A quote names the price plan by code (in the caller's tenant subtree or a tenant above it, nearest
first) or an account by id (its subscription active at the instant supplies the plan). The plan's usage
charge for the service names the tariff, whose compiled deck (`rating.tariffs.tariff_deck_for`, the very
deck mass rating uses) prices the record. Allowances are not applied: a quote is the tariff price, as if
no bundle covered the usage. Nothing is written.

Problems are Django ValidationErrors naming the request field they come from, so the API answers 400
with that field: an unknown plan (`price_plan`), account (`account`), a plan without a tariff for the
service (`service`), a destination no rate covers (`destination`), an instant before the tariff's first
version (`start`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.exceptions import BillingError
from accounts.models import BillingAccount
from accounts.tenancy import scope_queryset
from rating import engine
from rating.models import ChargeKind, PricePlan, Subscription, SubscriptionStatus, Tariff
from rating.tariffs import plan_tariff_for, tariff_deck_for


@dataclass(frozen=True)
class Quote:
    price_plan: PricePlan
    tariff: Tariff
    result: engine.RatingResult
    tariff_version: datetime | None


def _depth(plan: PricePlan) -> int:
    return plan.tenant.path.count("/")


def quote_plan_by_code(*, code: str, user: Any) -> PricePlan:
    """The plan with `code` the user may quote: their own tenant's first, then the nearest tenant above.

    Codes are unique per tenant only; one found solely in several tenants below the user is ambiguous.
    """
    plans = list(
        scope_queryset(PricePlan.objects.filter(code=code), user, include_ancestors=True).select_related("tenant")
    )
    if not plans:
        raise ValidationError({"price_plan": f"No price plan {code!r} in your catalog."})
    own_tenant = getattr(user, "tenant", None)
    own_path = own_tenant.path if own_tenant is not None else "/"
    # The user's tenant and its ancestors are the catalog it sells from; the deepest of them is nearest.
    lineage = [plan for plan in plans if own_path.startswith(plan.tenant.path)]
    if lineage:
        return max(lineage, key=_depth)
    if len(plans) > 1:
        raise ValidationError(
            {"price_plan": f"Several tenants below yours have a price plan {code!r}; quote for an account instead."}
        )
    return plans[0]


def quote_plan_for_account(*, account_id: str | int, service: str, at: datetime, user: Any) -> PricePlan:
    """The plan of the account's subscription active at `at` that rates `service`."""
    account = scope_queryset(BillingAccount.objects.select_related("tenant"), user).filter(pk=account_id).first()
    if account is None:
        raise ValidationError({"account": f"No account {account_id} for you."})
    # Subscriptions run by calendar day in the tenant's zone, as billing counts them.
    local_date = at.astimezone(ZoneInfo(account.tenant.timezone)).date()
    subscriptions = (
        Subscription.objects.filter(account=account, status=SubscriptionStatus.ACTIVE, start_date__lte=local_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=local_date))
        .exclude(price_plan=None)
        .select_related("price_plan")
        .order_by("start_date", "id")
    )
    for subscription in subscriptions:
        assert subscription.price_plan is not None
        if subscription.price_plan.charges.filter(kind=ChargeKind.USAGE, service=service).exists():
            return subscription.price_plan
    raise ValidationError(
        {"account": f"Account {account.number} has no subscription active on {local_date} whose plan rates {service}."}
    )


def tariff_quote(
    *, tariff: Tariff, destination: str, start: datetime, usage: int, usage_so_far: int = 0
) -> tuple[engine.RatingResult, datetime | None]:
    """Price one record of the tariff's service with its compiled deck; returns the result and the version used."""
    deck = tariff_deck_for(tariff_id=tariff.pk)
    service = tariff.service
    record = engine.UsageRecord(service, destination, start, usage, usage_so_far=usage_so_far)  # type: ignore[arg-type]
    try:
        version = deck.at(start)
        return engine.rate_record(record, version), version.effective_from
    except engine.RatingError as exc:
        if exc.code == engine.BAD_TARIFF:
            raise BillingError(f"Tariff {tariff.code} cannot rate: {exc.message}", code="bad_tariff") from exc
        field = "start" if "version in force" in exc.message else "destination"
        raise ValidationError({field: exc.message}) from exc


def usage_quote(
    *, price_plan: PricePlan, service: str, destination: str, start: datetime, usage: int, usage_so_far: int = 0
) -> Quote:
    """Price one record with the plan's tariff for `service` exactly as rating would; writes nothing."""
    try:
        tariff = plan_tariff_for(price_plan=price_plan, service=service)
    except BillingError as exc:
        raise ValidationError({"service": exc.message}) from exc
    result, version = tariff_quote(
        tariff=tariff, destination=destination, start=start, usage=usage, usage_so_far=usage_so_far
    )
    return Quote(price_plan, tariff, result, version)
