"""Redeeming a promo code, or running a promotion as a campaign for every eligible customer: checks,
limits, then one grant per redemption (a discount, free units or credit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import BillingAccount, LedgerAccountKind
from accounts.models.customers import AccountStatus, PaymentMode
from accounts.services import audit_record
from invoicing.selectors import tenant_today

from .. import selectors
from ..exceptions import PromotionRefused
from ..models import Promotion, PromotionKind, PromotionRedemption
from .grants import account_lock, credit_grant, discount_grant, units_grant


def _refuse(code: str, message: str) -> PromotionRefused:
    return PromotionRefused(message, code=code)


def _check_redeemable(promotion: Promotion, account: BillingAccount, now: datetime) -> None:
    """Validity, eligibility and what the account can receive; raises PromotionRefused."""
    customer = account.customer
    if not promotion.active or (promotion.valid_from and now < promotion.valid_from):
        raise _refuse("promotion_not_valid", f"Code {promotion.code} is not valid yet.")
    if promotion.valid_to and now >= promotion.valid_to:
        raise _refuse("promotion_not_valid", f"Code {promotion.code} expired on {promotion.valid_to:%Y-%m-%d}.")
    if account.status != AccountStatus.ACTIVE:
        raise _refuse("promotion_not_eligible", f"Account {account.number} is {account.status}.")
    if promotion.new_customers_only and customer.created_at < now - timedelta(days=promotion.new_customer_days):
        raise _refuse(
            "promotion_not_eligible",
            f"Code {promotion.code} is for customers who joined in the last {promotion.new_customer_days} days.",
        )
    if promotion.segment and customer.segment != promotion.segment:
        raise _refuse("promotion_not_eligible", f"Code {promotion.code} is for {promotion.segment} customers.")
    if promotion.product_id and not selectors.subscribed_to(
        account=account, product_id=promotion.product_id, on=tenant_today(account.tenant)
    ):
        raise _refuse("promotion_not_eligible", f"Code {promotion.code} needs a subscription to {promotion.product}.")
    money = promotion.kind == PromotionKind.CREDIT or promotion.discount_amount is not None
    if money and promotion.currency_id != account.currency_id:
        raise _refuse(
            "promotion_not_eligible", f"Code {promotion.code} is in {promotion.currency}, not {account.currency}."
        )
    if promotion.kind == PromotionKind.DISCOUNT and account.payment_mode == PaymentMode.PREPAID:
        raise _refuse("promotion_not_eligible", "A prepaid account gets no invoice to discount.")


def promotion_redeem(*, code: str, account: BillingAccount, actor: Any = None) -> PromotionRedemption:
    """Redeem `code` for `account`: the promotion of the nearest tenant up the account's tree with that
    code, if valid now, the customer eligible and the limits not reached.

    Locks the promotion row (so the total limit holds under concurrent redemptions), then the account.
    The customer's n-th redemption is unique per promotion, so nothing is granted beyond the limits.
    """
    promotion = selectors.promotion_for_code(code=code, tenant=account.tenant)
    if promotion is None:
        raise _refuse("promotion_unknown", f"No promotion has the code {code.strip().upper()}.")
    return _redeem(promotion, account, actor, "redeemed by")


def _redeem(promotion: Promotion, account: BillingAccount, actor: Any, how: str) -> PromotionRedemption:
    with transaction.atomic():
        promotion = (
            Promotion.objects.select_for_update(of=("self",))
            .select_related("product", "unit", "currency")
            .get(pk=promotion.pk)
        )
        account = account_lock(account)
        now = timezone.now()
        _check_redeemable(promotion, account, now)
        used = PromotionRedemption.objects.filter(promotion=promotion, customer=account.customer_id).count()
        if used >= promotion.per_customer_limit:
            raise _refuse(
                "promotion_limit_reached",
                f"Code {promotion.code} can be redeemed {promotion.per_customer_limit} time(s) per customer.",
            )
        if promotion.total_limit is not None and promotion.redemptions_count >= promotion.total_limit:
            raise _refuse("promotion_sold_out", f"Code {promotion.code} has been redeemed as often as it can.")
        redemption = PromotionRedemption.objects.create(
            promotion=promotion,
            account=account,
            customer=account.customer,
            number=used + 1,
            redeemed_at=now,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        _grant(promotion, redemption, actor, how)
        promotion.redemptions_count += 1
        promotion.save(update_fields=["redemptions_count"])
        audit_record(
            action="promotion.redeem",
            obj=redemption,
            actor=actor,
            tenant=account.tenant,
            after={"code": promotion.code, "account": account.number, "number": redemption.number, "how": how},
        )
        return redemption


@dataclass
class CampaignResult:
    granted: int = 0
    refused: dict[str, int] = field(default_factory=dict)


def promotion_campaign_run(*, promotion: Promotion, actor: Any = None) -> CampaignResult:
    """Grant `promotion` to every eligible customer of its tenant's subtree who has not had it yet
    (their oldest active account), as if each had redeemed the code; stops when the total limit is
    reached. One transaction per customer; a rerun grants only customers added since."""
    now = timezone.now()
    accounts = (
        BillingAccount.objects.filter(tenant__path__startswith=promotion.tenant.path, status=AccountStatus.ACTIVE)
        .exclude(customer__in=PromotionRedemption.objects.filter(promotion=promotion).values("customer"))
        .select_related("tenant", "customer", "currency")
        .order_by("customer_id", "created_at", "pk")
    )
    if promotion.segment:
        accounts = accounts.filter(customer__segment=promotion.segment)
    if promotion.new_customers_only:
        accounts = accounts.filter(customer__created_at__gte=now - timedelta(days=promotion.new_customer_days))
    result, seen = CampaignResult(), set()
    for account in accounts:
        if account.customer_id in seen:
            continue
        try:
            _redeem(promotion, account, actor, "granted by campaign to")
            result.granted += 1
            seen.add(account.customer_id)
        except PromotionRefused as exc:
            result.refused[exc.code] = result.refused.get(exc.code, 0) + 1
            if exc.code == "promotion_sold_out":
                break
    return result


def _grant(promotion: Promotion, redemption: PromotionRedemption, actor: Any, how: str) -> None:
    account = redemption.account
    key = f"promotion:{promotion.pk}:customer:{redemption.customer_id}:{redemption.number}"
    reason = f"Promotion {promotion.code} ({promotion.name}) {how} {account.number}"
    reference = f"promotion-redemption:{redemption.pk}"
    if promotion.kind == PromotionKind.CREDIT:
        assert promotion.credit_amount is not None
        redemption.ledger_transaction = credit_grant(
            account=account, amount=promotion.credit_amount, key=key, reason=reason, reference=reference, actor=actor
        )
    elif promotion.kind == PromotionKind.FREE_UNITS:
        redemption.pocket, redemption.ledger_transaction = units_grant(
            account=account,
            benefit=promotion,
            counter_kind=LedgerAccountKind.PROMOTIONS_EXPENSE,
            key=key,
            reason=f"{reason}: {promotion.quantity} {promotion.unit} for {promotion.validity_days} days",
            name=f"{promotion.name} ({promotion.code})",
            reference=reference,
            actor=actor,
        )
    else:
        redemption.account_discount = discount_grant(
            account=account,
            benefit=promotion,
            name=f"{promotion.name} ({promotion.code})",
            source="promotion",
            reference=reference,
            actor=actor,
            product=promotion.product,
        )
    redemption.save(update_fields=["ledger_transaction", "pocket", "account_discount"])
