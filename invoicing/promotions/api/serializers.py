"""Serializers of the promotions API. Accounts and customers are named by their public UUID, units by
code ("EUR", "MB", "PTS"); money amounts are strings at their currency's precision. The model's own
`clean()` checks what a promotion or a reward needs, so the API and the back office refuse the same."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as ModelValidationError
from rest_framework import serializers

from accounts.api.fields import UnitAmountField, format_amount
from accounts.api.mixins import ScopedRelatedField
from accounts.api.serializers import _UserTenantDefault
from accounts.models import BillingAccount, Customer, Tenant, Unit
from invoicing.api.serializers import ScopedUUIDRelatedField
from invoicing.promotions.models import (
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
from rating.models import Product


def _tenant_field() -> ScopedRelatedField:
    return ScopedRelatedField(
        queryset=Tenant.objects.all(),
        default=_UserTenantDefault(),
        help_text="Your tenant or one below it (default: yours).",
    )


def _unit_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all(), **kwargs)


def _account_field() -> ScopedUUIDRelatedField:
    return ScopedUUIDRelatedField(queryset=BillingAccount.objects.select_related("tenant", "customer"))


class CleanedModelSerializer(serializers.ModelSerializer):
    """Runs the model's `clean()` on the object as it would be saved; its errors become field errors."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except ModelValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


BENEFIT_FIELDS = [
    "currency", "discount_percent", "discount_amount", "discount_periods", "discount_applies_to", "unit", "quantity",
    "validity_days",
]  # fmt: skip


class BenefitSerializer(CleanedModelSerializer):
    currency = _unit_field(required=False, allow_null=True)
    unit = _unit_field(required=False, allow_null=True)
    discount_amount = UnitAmountField(unit_source="currency", required=False, allow_null=True, min_value=0)


class PromotionSerializer(BenefitSerializer):
    tenant = _tenant_field()
    product = ScopedRelatedField(
        queryset=Product.objects.all(), include_ancestors=True, required=False, allow_null=True
    )
    credit_amount = UnitAmountField(unit_source="currency", required=False, allow_null=True, min_value=0)

    class Meta:
        model = Promotion
        fields = [
            "id", "uuid", "tenant", "code", "name", "description", "kind", "active", "valid_from", "valid_to",
            "new_customers_only", "new_customer_days", "segment", "product", "per_customer_limit", "total_limit",
            "redemptions_count", *BENEFIT_FIELDS, "credit_amount", "created_at",
        ]  # fmt: skip
        read_only_fields = ["uuid", "redemptions_count", "created_at"]
        validators: list[Any] = []  # (tenant, code) is checked in validate() so the error names `code`

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        tenant = attrs.get("tenant") or getattr(self.instance, "tenant", None)
        code = attrs.get("code", getattr(self.instance, "code", "")).strip().upper()
        twins = Promotion.objects.filter(tenant=tenant, code=code).exclude(pk=getattr(self.instance, "pk", None))
        if twins.exists():
            raise serializers.ValidationError({"code": "Another promotion of this tenant has this code."})
        return attrs


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    account = _account_field()


class CampaignResultSerializer(serializers.Serializer):
    granted = serializers.IntegerField()
    refused = serializers.DictField(child=serializers.IntegerField(), help_text="Customers refused, per reason code.")


class PromotionRedemptionSerializer(serializers.ModelSerializer):
    promotion = serializers.CharField(source="promotion.code", read_only=True)
    account = serializers.UUIDField(source="account.uuid", read_only=True)
    account_discount = serializers.UUIDField(source="account_discount.uuid", default=None, read_only=True)

    class Meta:
        model = PromotionRedemption
        fields = [
            "uuid", "promotion", "account", "number", "redeemed_at", "ledger_transaction", "pocket",
            "account_discount",
        ]  # fmt: skip
        read_only_fields = fields


class LoyaltyRuleSerializer(serializers.ModelSerializer):
    tenant = _tenant_field()

    class Meta:
        model = LoyaltyRule
        fields = ["id", "tenant", "name", "kind", "points", "expiry_days", "active", "valid_from", "created_at"]
        read_only_fields = ["created_at"]


class LoyaltyRewardSerializer(BenefitSerializer):
    tenant = _tenant_field()

    class Meta:
        model = LoyaltyReward
        fields = ["id", "tenant", "code", "name", "kind", "points", "active", *BENEFIT_FIELDS]


class LoyaltyGrantSerializer(serializers.ModelSerializer):
    account = serializers.UUIDField(source="account.uuid", read_only=True)
    invoice = serializers.UUIDField(source="invoice.uuid", default=None, read_only=True)

    class Meta:
        model = LoyaltyGrant
        fields = [
            "id", "rule", "account", "points", "reason", "invoice", "source_transaction", "tenure_month", "pocket",
            "ledger_transaction", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class LoyaltyRedeemSerializer(serializers.Serializer):
    account = _account_field()
    points = serializers.DecimalField(max_digits=20, decimal_places=3, required=False, help_text="For credit.")
    reward = ScopedRelatedField(queryset=LoyaltyReward.objects.all(), include_ancestors=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("points" in attrs) == ("reward" in attrs):
            raise serializers.ValidationError("Give either `points` (for credit) or a `reward`.")
        return attrs


class LoyaltyRedemptionSerializer(serializers.ModelSerializer):
    account = serializers.UUIDField(source="account.uuid", read_only=True)
    value_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    value = serializers.SerializerMethodField(help_text="Credit or units received, or the discount's amount/percent.")
    account_discount = serializers.UUIDField(source="account_discount.uuid", default=None, read_only=True)

    class Meta:
        model = LoyaltyRedemption
        fields = [
            "uuid", "account", "kind", "points", "reward", "value", "value_unit", "exchange_rate",
            "points_transaction", "value_transaction", "account_discount", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_value(self, redemption: LoyaltyRedemption) -> str:
        unit = redemption.value_unit
        return format_amount(redemption.value, unit.decimals if unit else 0)


class ReferralProgramSerializer(serializers.ModelSerializer):
    tenant = _tenant_field()
    currency = _unit_field()
    referrer_reward = UnitAmountField(unit_source="currency", min_value=0)
    friend_reward = UnitAmountField(unit_source="currency", min_value=0, required=False)

    class Meta:
        model = ReferralProgram
        fields = [
            "id", "tenant", "active", "condition", "days_active", "currency", "referrer_reward", "friend_reward",
            "monthly_cap", "check_payment_method",
        ]  # fmt: skip


class ReferralCodeSerializer(serializers.ModelSerializer):
    customer = ScopedUUIDRelatedField(queryset=Customer.objects.select_related("tenant"))

    class Meta:
        model = ReferralCode
        fields = ["customer", "code", "payment_fingerprint", "created_at"]
        read_only_fields = ["code", "created_at"]
        validators: list[Any] = []  # get-or-create: a customer asking again gets its code back


class ReferralRegisterSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)
    customer = ScopedUUIDRelatedField(queryset=Customer.objects.select_related("tenant"), help_text="The new customer.")
    payment_fingerprint = serializers.CharField(max_length=120, required=False, default="")


class ReferralSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="code.code", read_only=True)
    referrer = serializers.UUIDField(source="referrer.uuid", read_only=True)
    referred = serializers.UUIDField(source="referred.uuid", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "uuid", "program", "code", "referrer", "referred", "status", "refusal_reason", "refusal_detail",
            "registered_at", "evaluated_at", "rewarded_at", "referrer_transaction", "friend_transaction",
        ]  # fmt: skip
        read_only_fields = fields
