"""Thin views of the promotions API: configuration (promotions, loyalty rules and rewards, the referral
programme) is plain CRUD under the tenant scope and model permissions; everything that grants or spends
(redeem a code, redeem points, register or evaluate a referral) calls one service behind a required
Idempotency-Key, so a retried request grants nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.mixins import OptionalIdempotencyMixin, TenantScopedViewSetMixin, idempotent
from accounts.api.permissions import STAFF_WITH_MODEL_PERMISSIONS, IsTenantStaff
from accounts.api.schema import IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY_OPTIONAL, IDEMPOTENCY_KEY_REQUIRED, error
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
from invoicing.promotions.services import (
    loyalty_redeem,
    promotion_campaign_run,
    promotion_redeem,
    referral_code_for,
    referral_evaluate,
    referral_register,
)

from . import serializers as s

REFUSED = error("Refused: see `code` (e.g. promotion_limit_reached, insufficient_funds, referral_exists).")
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


def _granting(request: Request, form_class: type[serializers.Serializer], run: Callable[[Any], Response]) -> Response:
    """Validate the body with `form_class` and run the service once per Idempotency-Key."""

    def handler() -> Response:
        form = form_class(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        return run(form.validated_data)

    return idempotent(request, handler)


def _may(permission: str) -> type[BasePermission]:
    class HasPermission(BasePermission):
        message = f"Your role lacks {permission}."

        def has_permission(self, request: Any, view: Any) -> bool:
            return bool(request.user.has_perm(permission))

    return HasPermission


class ConfigViewSet(OptionalIdempotencyMixin, TenantScopedViewSetMixin, viewsets.ModelViewSet):
    """Create, read and change; nothing is deleted (switch `active` off) since grants refer to it."""

    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    http_method_names = NO_DELETE


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]))
class PromotionViewSet(ConfigViewSet):
    """Promo codes and campaigns of your tenant subtree. `POST promotions/redeem/` redeems a code."""

    queryset = Promotion.objects.select_related("tenant", "currency", "unit", "product").order_by("tenant", "code")
    serializer_class = s.PromotionSerializer
    filterset_fields = ["kind", "active", "code"]
    search_fields = ["code", "name"]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("redeem", "campaign"):
            return [IsTenantStaff(), _may("promotions.add_promotionredemption")()]
        return super().get_permissions()

    @extend_schema(request=None, parameters=[IDEMPOTENCY_KEY_REQUIRED], responses={200: s.CampaignResultSerializer})
    @action(detail=True, methods=["post"])
    def campaign(self, request: Request, pk: str | None = None) -> Response:
        """Grant the promotion to every eligible customer who has not had it yet (until the total limit)."""
        promotion = self.get_object()
        return idempotent(
            request, lambda: Response(vars(promotion_campaign_run(promotion=promotion, actor=request.user)))
        )

    @extend_schema(
        request=s.RedeemSerializer,
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
        responses={201: s.PromotionRedemptionSerializer, 409: REFUSED, **IDEMPOTENCY_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def redeem(self, request: Request) -> Response:
        """Redeem a code for an account: the promotion of the nearest tenant up the account's tree."""

        def run(data: dict[str, Any]) -> Response:
            redemption = promotion_redeem(code=data["code"], account=data["account"], actor=request.user)
            return Response(s.PromotionRedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)

        return _granting(request, s.RedeemSerializer, run)


class PromotionRedemptionViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = PromotionRedemption.objects.select_related("promotion", "account", "account_discount")
    serializer_class = s.PromotionRedemptionSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_fields = ["promotion", "account__uuid"]


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]))
class LoyaltyRuleViewSet(ConfigViewSet):
    queryset = LoyaltyRule.objects.select_related("tenant").order_by("pk")
    serializer_class = s.LoyaltyRuleSerializer
    filterset_fields = ["kind", "active"]


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]))
class LoyaltyRewardViewSet(ConfigViewSet):
    queryset = LoyaltyReward.objects.select_related("tenant", "currency", "unit").order_by("pk")
    serializer_class = s.LoyaltyRewardSerializer
    filterset_fields = ["kind", "active"]


class LoyaltyGrantViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Every grant of points with its reason (the points pockets are under `wallets/`)."""

    queryset = LoyaltyGrant.objects.select_related("account", "invoice")
    serializer_class = s.LoyaltyGrantSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_fields = ["rule", "account__uuid"]


@extend_schema_view(
    create=extend_schema(
        request=s.LoyaltyRedeemSerializer,
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
        responses={201: s.LoyaltyRedemptionSerializer, 409: REFUSED, **IDEMPOTENCY_ERRORS},
    )
)
class LoyaltyRedemptionViewSet(
    TenantScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):  # fmt: skip
    """Points spent. POST `{account, points}` for credit at the tenant's exchange rate, or `{account, reward}`."""

    queryset = LoyaltyRedemption.objects.select_related("account__currency", "value_unit", "account_discount")
    serializer_class = s.LoyaltyRedemptionSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    lookup_field = "uuid"
    filterset_fields = ["kind", "account__uuid"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()

        def run(data: dict[str, Any]) -> Response:
            redemption = loyalty_redeem(**data, idempotency_key=f"api:{request.user.pk}:{key}", actor=request.user)
            return Response(s.LoyaltyRedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)

        return _granting(request, s.LoyaltyRedeemSerializer, run)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]))
class ReferralProgramViewSet(ConfigViewSet):
    queryset = ReferralProgram.objects.select_related("tenant", "currency").order_by("pk")
    serializer_class = s.ReferralProgramSerializer


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]))
class ReferralCodeViewSet(
    OptionalIdempotencyMixin, TenantScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):  # fmt: skip
    """Customers' codes. POST `{customer}` returns the customer's code (created once)."""

    queryset = ReferralCode.objects.select_related("customer").order_by("pk")
    serializer_class = s.ReferralCodeSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    lookup_field = "code"

    def perform_create(self, serializer: serializers.BaseSerializer[ReferralCode]) -> None:
        serializer.instance = referral_code_for(**serializer.validated_data)


@extend_schema_view(
    create=extend_schema(
        request=s.ReferralRegisterSerializer,
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
        responses={201: s.ReferralSerializer, 409: REFUSED, **IDEMPOTENCY_ERRORS},
    )
)
class ReferralViewSet(TenantScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Referrals and their outcome. POST registers a new customer's code; `evaluate/` rewards or refuses
    a pending one now (the daily run does it too)."""

    queryset = Referral.objects.select_related("code", "referrer", "referred").order_by("-id")
    serializer_class = s.ReferralSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    lookup_field = "uuid"
    filterset_fields = ["status", "refusal_reason"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def run(data: dict[str, Any]) -> Response:
            referral = referral_register(actor=request.user, **data)
            return Response(s.ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)

        return _granting(request, s.ReferralRegisterSerializer, run)

    @extend_schema(request=None, parameters=[IDEMPOTENCY_KEY_REQUIRED], responses={200: s.ReferralSerializer})
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, uuid: str | None = None) -> Response:
        referral = self.get_object()
        return idempotent(
            request,
            lambda: Response(s.ReferralSerializer(referral_evaluate(referral=referral, actor=request.user)).data),
        )
