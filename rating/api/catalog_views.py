"""The catalog API under /api/v1/rating/: products, price plans, charges, tariffs (+ steps and rate-deck
upload), time bands, holidays and the rate-deck import log. Scoped to the user's tenant subtree; writes
need the model permissions and go through `catalog_save` / `catalog_delete` (validated and audited).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.mixins import OptionalIdempotencyMixin, TenantScopedViewSetMixin, idempotent
from accounts.api.permissions import STAFF_WITH_MODEL_PERMISSIONS
from accounts.api.schema import IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY_OPTIONAL, IDEMPOTENCY_KEY_REQUIRED, error
from rating.models import (
    Charge,
    ChargeTier,
    Holiday,
    PricePlan,
    Product,
    RateDeckImport,
    RateDeckSource,
    Tariff,
    TariffRateStep,
    TimeBand,
)
from rating.services import catalog_delete, catalog_save, rate_deck_import

from . import catalog_serializers as cs

IN_USE = error("Still used (e.g. a plan in a subscription, a band named by a tariff step): code in_use.")
WRITES = {
    "create": extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]),
    "destroy": extend_schema(responses={204: None, 409: IN_USE}),
}


class CatalogViewSet(OptionalIdempotencyMixin, TenantScopedViewSetMixin, viewsets.ModelViewSet[Any]):
    """CRUD of one catalog model; nested lists named in `nested` are written by `save_nested`."""

    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    nested: tuple[str, ...] = ()

    def _split(self, serializer: serializers.BaseSerializer[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        data = dict(serializer.validated_data)
        return data, {name: data.pop(name) for name in self.nested if name in data}

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data, nested = self._split(serializer)
        with transaction.atomic():
            model = self.get_queryset().model
            serializer.instance = catalog_save(instance=model(**data), actor=self.request.user)
            self.save_nested(serializer.instance, nested)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data, nested = self._split(serializer)
        with transaction.atomic():
            catalog_save(instance=serializer.instance, changes=data, actor=self.request.user)
            self.save_nested(serializer.instance, nested)

    def perform_destroy(self, instance: Any) -> None:
        catalog_delete(instance=instance, actor=self.request.user)

    def save_nested(self, instance: Any, nested: dict[str, Any]) -> None:
        """Write nested lists (none by default)."""


@extend_schema_view(**WRITES)
class ProductViewSet(CatalogViewSet):
    """Products of your tenant subtree."""

    queryset = Product.objects.all()
    serializer_class = cs.ProductSerializer
    filterset_fields = ["tenant", "active", "category"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]


@extend_schema_view(**WRITES)
class PricePlanViewSet(CatalogViewSet):
    """Price plans with their charges (read here; written through /rating/charges/)."""

    queryset = PricePlan.objects.select_related("currency").prefetch_related(
        "charges__tiers", "charges__allowance_unit"
    )
    serializer_class = cs.PricePlanSerializer
    filterset_fields = ["tenant", "product", "active"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]


@extend_schema_view(**WRITES)
class ChargeViewSet(CatalogViewSet):
    """Charges of every kind: recurring, one-off, quantity (tiers), usage (tariff), allowance, discount."""

    queryset = Charge.objects.select_related("allowance_unit").prefetch_related("tiers")
    serializer_class = cs.ChargeSerializer
    filterset_fields = ["price_plan", "kind", "service", "tariff"]
    ordering_fields = ["code", "id"]
    nested = ("tiers",)

    def save_nested(self, instance: Charge, nested: dict[str, Any]) -> None:
        if "tiers" in nested:
            instance.tiers.all().delete()
            ChargeTier.objects.bulk_create(ChargeTier(charge=instance, **tier) for tier in nested["tiers"])


@extend_schema_view(**WRITES)
class TariffViewSet(CatalogViewSet):
    """Tariffs (terms); their steps come from rate decks: GET `{id}/steps/`, POST `{id}/rate-deck/`."""

    queryset = Tariff.objects.select_related("currency").annotate(step_count=Count("steps"))
    serializer_class = cs.TariffSerializer
    filterset_fields = ["tenant", "service"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        super().perform_update(serializer)
        # The revision moved in the database (rating.signals), not on this instance.
        serializer.instance.refresh_from_db(fields=["revision"])  # type: ignore[union-attr]

    @extend_schema(
        responses=cs.TariffRateStepSerializer(many=True),
        parameters=[
            OpenApiParameter("prefix", str, description="Steps whose prefix starts with this."),
            OpenApiParameter("effective_from", str, description="Only the steps of this exact instant (ISO 8601)."),
        ],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def steps(self, request: Request, pk: str | None = None) -> Response:
        """The tariff's rate steps, paginated, by prefix, band, date and interval start."""
        steps: QuerySet[TariffRateStep] = (
            self.get_object()
            .steps.select_related("time_band")
            .order_by("prefix", "time_band__name", "effective_from", "interval_start")
        )
        if request.query_params.get("prefix"):
            steps = steps.filter(prefix__startswith=request.query_params["prefix"])
        if request.query_params.get("effective_from"):
            steps = steps.filter(effective_from=request.query_params["effective_from"])
        page = self.paginate_queryset(steps)
        return self.get_paginated_response(cs.TariffRateStepSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": cs.RateDeckUploadSerializer},
        responses={201: cs.RateDeckImportSerializer, **IDEMPOTENCY_ERRORS},
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
    )
    @action(
        detail=True, methods=["post"], url_path="rate-deck", parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
    )  # fmt: skip
    def rate_deck(self, request: Request, pk: str | None = None) -> Response:
        """Import a rate-deck CSV; 201 with the import's report (rejected lines with numbers and reasons)."""
        tariff = self.get_object()
        if not request.user.has_perm("rating.add_tariffratestep"):
            self.permission_denied(
                request, message="Your role may not change tariff steps (rating.add_tariffratestep)."
            )

        def handler() -> Response:
            upload = cs.RateDeckUploadSerializer(data=request.data)
            upload.is_valid(raise_exception=True)
            file = upload.validated_data["file"]
            record = rate_deck_import(
                tariff=tariff, file=file, actor=request.user, file_name=file.name, source=RateDeckSource.API
            )
            return Response(cs.RateDeckImportSerializer(record).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)


@extend_schema_view(**WRITES)
class TimeBandViewSet(CatalogViewSet):
    """Named slices of the week in the tenant's time zone; a rate deck's time_band column names one."""

    queryset = TimeBand.objects.all()
    serializer_class = cs.TimeBandSerializer
    filterset_fields = ["tenant", "holidays_only"]
    ordering_fields = ["name", "id"]


@extend_schema_view(**WRITES)
class HolidayViewSet(CatalogViewSet):
    """The tenant's holiday calendar (holiday bands apply on these dates)."""

    queryset = Holiday.objects.all()
    serializer_class = cs.HolidaySerializer
    filterset_fields = ["tenant", "date"]
    ordering_fields = ["date", "id"]


class RateDeckImportViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[RateDeckImport]):
    """The log of rate-deck imports with their reports."""

    queryset = RateDeckImport.objects.select_related("created_by")
    serializer_class = cs.RateDeckImportSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_fields = ["tariff", "source"]
    ordering_fields = ["created_at", "id"]
