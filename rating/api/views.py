"""The subscriptions API: CRUD scoped through the account's tenant, with nested service identifiers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from accounts.api.mixins import OptionalIdempotencyMixin, TenantScopedViewSetMixin
from accounts.api.permissions import STAFF_WITH_MODEL_PERMISSIONS
from accounts.api.schema import IDEMPOTENCY_KEY_OPTIONAL, error
from rating.models import Subscription
from rating.services import IdentifierSpec, subscription_create, subscription_delete, subscription_update

from .filters import SubscriptionFilter
from .serializers import SubscriptionSerializer

STATE_ERROR = error("The subscription's or account's status does not allow this (code invalid_state / account_closed).")


def _identifier_specs(validated: dict[str, Any]) -> list[IdentifierSpec]:
    return [IdentifierSpec(**item) for item in validated.pop("identifiers", [])]


@extend_schema_view(
    create=extend_schema(
        parameters=[IDEMPOTENCY_KEY_OPTIONAL], responses={201: SubscriptionSerializer, 409: STATE_ERROR}
    ),
    update=extend_schema(responses={200: SubscriptionSerializer, 409: STATE_ERROR}),
    partial_update=extend_schema(responses={200: SubscriptionSerializer, 409: STATE_ERROR}),
    destroy=extend_schema(responses={204: None, 409: STATE_ERROR}),
)
class SubscriptionViewSet(OptionalIdempotencyMixin, TenantScopedViewSetMixin, viewsets.ModelViewSet[Subscription]):
    """Subscriptions of your tenant subtree's accounts. Only a pending subscription can be deleted."""

    queryset = Subscription.objects.select_related("account", "product").prefetch_related("identifiers")
    serializer_class = SubscriptionSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = SubscriptionFilter
    search_fields = ["identifiers__value", "account__number", "product__code"]
    ordering_fields = ["start_date", "created_at", "id"]

    def perform_create(self, serializer: serializers.BaseSerializer[Subscription]) -> None:
        data = dict(serializer.validated_data)
        identifiers = _identifier_specs(data)
        serializer.instance = subscription_create(actor=self.request.user, identifiers=identifiers, **data)

    def perform_update(self, serializer: serializers.BaseSerializer[Subscription]) -> None:
        assert serializer.instance is not None
        data = dict(serializer.validated_data)
        identifiers = _identifier_specs(data)
        serializer.instance = subscription_update(
            subscription=serializer.instance, actor=self.request.user, identifiers=identifiers, **data
        )

    def perform_destroy(self, instance: Subscription) -> None:
        subscription_delete(subscription=instance, actor=self.request.user)
