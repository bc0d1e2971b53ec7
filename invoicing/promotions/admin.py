"""Back office for promotions, loyalty and refer-a-friend; every ModelAdmin is tenant-scoped.

Configuration (promotions, loyalty rules and rewards, the referral programme) is edited here; what
was granted or spent (redemptions, grants, referrals) is read-only and changes only through the
services, so every grant stays explained by its ledger transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin.mixins import TenantScopedAdmin
from accounts.exceptions import BillingError
from invoicing.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    LoyaltyGrant,
    LoyaltyRedemption,
    LoyaltyReward,
    LoyaltyRule,
    Promotion,
    PromotionRedemption,
    Referral,
    ReferralCode,
    ReferralProgram,
)
from .services import promotion_campaign_run, referral_code_for, referral_evaluate

BENEFIT_FIELDSETS = [
    ("Discount on the next invoices", {"fields": [("discount_percent", "discount_amount"), "discount_periods",
                                                  "discount_applies_to"]}),
    ("Free units", {"fields": [("unit", "quantity", "validity_days")]}),
]  # fmt: skip


class RedemptionInline(ReadOnlyInline):
    model = PromotionRedemption
    fields = readonly_fields = ["account", "number", "redeemed_at", "ledger_transaction", "pocket", "account_discount"]


@admin.register(Promotion)
class PromotionAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "tenant", "active", "valid_from", "valid_to", "redemptions_count",
                    "total_limit"]  # fmt: skip
    list_filter = ["kind", "active", "tenant"]
    search_fields = ["code", "name"]
    raw_id_fields = ["product"]
    readonly_fields = ["redemptions_count"]
    inlines = [RedemptionInline]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "name", "description", "kind", "active", ("valid_from", "valid_to")]}),
        ("Who may redeem it", {"fields": [("new_customers_only", "new_customer_days"), "segment", "product"]}),
        ("Limits", {"fields": [("per_customer_limit", "total_limit", "redemptions_count")]}),
        ("Amounts", {"fields": ["currency", "credit_amount"]}),
        *BENEFIT_FIELDSETS,
    ]
    actions = ["run_campaign"]

    @admin.action(description="Grant to every eligible customer who has not had it yet (campaign)")
    def run_campaign(self, request: HttpRequest, queryset: QuerySet[Promotion]) -> None:
        for promotion in queryset.order_by("pk"):
            result = promotion_campaign_run(promotion=promotion, actor=request.user)
            refused = ", ".join(f"{n} {code}" for code, n in sorted(result.refused.items())) or "none"
            self.message_user(request, f"{promotion.code}: granted to {result.granted}; refused: {refused}.")


@admin.register(PromotionRedemption)
class PromotionRedemptionAdmin(ReadOnlyAdmin):
    list_display = ["promotion", "account", "number", "redeemed_at", "ledger_transaction", "account_discount"]
    list_filter = ["promotion__kind"]
    search_fields = ["promotion__code", "account__number"]
    list_select_related = ["promotion", "account__customer", "ledger_transaction", "account_discount"]


@admin.register(LoyaltyRule)
class LoyaltyRuleAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "points", "expiry_days", "tenant", "active", "valid_from"]
    list_filter = ["kind", "active", "tenant"]


@admin.register(LoyaltyReward)
class LoyaltyRewardAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "points", "tenant", "active"]
    list_filter = ["kind", "active", "tenant"]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "name", "kind", "points", "active", "currency"]}),
        *BENEFIT_FIELDSETS,
    ]


@admin.register(LoyaltyGrant)
class LoyaltyGrantAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "rule", "points", "reason"]
    list_filter = ["rule__kind"]
    search_fields = ["account__number", "reason", "=idempotency_key"]
    list_select_related = ["account__customer", "rule"]


@admin.register(LoyaltyRedemption)
class LoyaltyRedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "points", "value", "value_unit", "exchange_rate"]
    list_filter = ["kind"]
    search_fields = ["account__number"]
    list_select_related = ["account__customer", "value_unit"]


@admin.register(ReferralProgram)
class ReferralProgramAdmin(TenantScopedAdmin):
    list_display = ["tenant", "active", "condition", "days_active", "referrer_reward", "friend_reward", "monthly_cap"]


@admin.register(ReferralCode)
class ReferralCodeAdmin(TenantScopedAdmin):
    """Codes are drawn by the service; staff only record the referrer's payment method fingerprint."""

    list_display = ["code", "customer", "created_at"]
    search_fields = ["=code", "customer__name", "customer__number"]
    raw_id_fields = ["customer"]
    fields = ["customer", "code", "payment_fingerprint"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["customer", "code"] if obj is not None else ["code"]

    def save_model(self, request: HttpRequest, obj: ReferralCode, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.pk = referral_code_for(customer=obj.customer, payment_fingerprint=obj.payment_fingerprint).pk


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["referred", "referrer", "code", "status", "refusal_reason", "registered_at", "rewarded_at"]
    list_filter = ["status", "refusal_reason"]
    search_fields = ["referred__name", "referrer__name", "=code__code"]
    list_select_related = ["referred", "referrer", "code"]
    actions = ["evaluate_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Actions need the change permission; the rows themselves stay read-only (no form fields).
        return obj is None and request.user.has_perm("promotions.change_referral")

    @admin.action(description="Evaluate selected referrals now (reward or refuse when the condition is met)")
    def evaluate_selected(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        outcomes: dict[str, int] = {}
        for referral in queryset.order_by("pk"):
            try:
                status = referral_evaluate(referral=referral, actor=request.user).status
            except BillingError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            outcomes[status] = outcomes.get(status, 0) + 1
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        self.message_user(request, f"Evaluated: {summary or 'none'}.", messages.SUCCESS)
