"""The usage API: real-time events, file uploads and their reconciliation, formats, runs, rated usage,
rejects (correct, replay, dismiss) and alerts. Every queryset is scoped to the caller's tenant subtree."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.mixins import TenantScopedViewSetMixin
from accounts.api.permissions import STAFF_WITH_MODEL_PERMISSIONS, IsTenantStaff
from accounts.api.schema import error
from accounts.models import Tenant
from accounts.tenancy import scope_queryset, tenant_in_scope
from rating.models import RatedUsage, RatingRun, RejectedRecord, UsageAlert, UsageFile, UsageFormat
from rating.services.usage import usage_format_for
from rating.services.usage.explain import rated_usage_explain
from rating.services.usage.inbox import usage_file_receive
from rating.services.usage.realtime import usage_events_rate
from rating.services.usage.rejects import rejected_record_dismiss, rejected_record_fix, rejected_records_replay
from rating.services.usage.runs import usage_alert_acknowledge

from . import usage_filters as filters
from . import usage_serializers as s


def _tenant(request: Request) -> Tenant:
    """The tenant the caller acts for: its own, or (platform staff) the one named by `tenant` (a code)."""
    code = request.query_params.get("tenant") or (request.data.get("tenant") if hasattr(request.data, "get") else None)
    if code:
        tenant = Tenant.objects.filter(code=code).first()
        if tenant is None or not tenant_in_scope(request.user, tenant):
            raise ValidationError({"tenant": "No such tenant in your part of the tree."})
        return tenant
    if request.user.tenant_id is None:
        raise ValidationError({"tenant": "Platform staff name the tenant (its code)."})
    return request.user.tenant


class CanRateUsage(BasePermission):
    message = "Your role may not submit usage (rating.add_ratedusage)."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.has_perm("rating.add_ratedusage"))


class UsageEventsView(APIView):
    """Real-time usage: rate one event or a batch now, debiting prepaid balances per event.

    Idempotent by `event_id`: sending an event again answers `duplicate` with the first result and charges
    nothing. Each answer says what it cost, what allowances covered and the balance after, or why not.
    """

    permission_classes = [IsTenantStaff, CanRateUsage]

    @extend_schema(
        request=s.UsageEventsSerializer,
        responses={200: OpenApiResponse(s.UsageEventResultSerializer(many=True), description="One answer per event.")},
        operation_id="usage_events_rate",
        tags=["usage"],
    )
    def post(self, request: Request) -> Response:
        single = isinstance(request.data, dict) and "events" not in request.data
        payload = {"events": [request.data]} if single else request.data
        serializer = s.UsageEventsSerializer(data=payload)
        if not serializer.is_valid():
            errors = serializer.errors
            # A single event's errors come back as that event's, not nested under a batch it never sent.
            if single and isinstance(errors.get("events"), list) and errors["events"]:
                errors = errors["events"][0]
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        events = [{**event, "start": str(event["start"])} for event in serializer.validated_data["events"]]
        answers = usage_events_rate(tenant=_tenant(request), events=events)
        return Response(answers[0] if single else {"results": answers}, status=status.HTTP_200_OK)


class UsageFormatViewSet(TenantScopedViewSetMixin, viewsets.ModelViewSet[UsageFormat]):
    """File formats: the shared presets (read-only) and your tenant's own column mappings."""

    queryset = UsageFormat.objects.all()
    serializer_class = s.UsageFormatSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    search_fields = ["code", "name"]

    def get_queryset(self) -> QuerySet[UsageFormat]:
        own = scope_queryset(UsageFormat.objects.all(), self.request.user)
        if self.action in ("list", "retrieve"):
            return (own | UsageFormat.objects.filter(tenant__isnull=True)).order_by("tenant_id", "code")
        return own

    def perform_create(self, serializer: Any) -> None:
        serializer.save(tenant=_tenant(self.request))


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": s.UsageFileUploadSerializer},
        responses={201: s.UsageFileSerializer, 400: error("Unknown format or no file.")},
    )
)
class UsageFileViewSet(TenantScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[UsageFile]):
    """Usage files with their counts (read = rated + rejected + duplicates), open alerts and rejects.

    POST uploads a file (multipart: `file`, `format`); it is rated in the background (or at once without a
    Celery broker). The same bytes again are recorded as a duplicate file and rated nothing.
    """

    queryset = UsageFile.objects.select_related("format").prefetch_related("alerts")
    serializer_class = s.UsageFileSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.UsageFileFilter
    parser_classes = [MultiPartParser, FormParser]
    search_fields = ["name", "checksum"]
    ordering_fields = ["created_at", "id"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = s.UsageFileUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        tenant = _tenant(request)
        try:
            fmt = usage_format_for(tenant=tenant, code=upload.validated_data["format"])
        except UsageFormat.DoesNotExist as exc:
            raise ValidationError({"format": "No such format for your tenant."}) from exc
        usage_file = usage_file_receive(
            tenant=tenant, usage_format=fmt, upload=upload.validated_data["file"], actor=request.user
        )
        usage_file.refresh_from_db()
        return Response(s.UsageFileSerializer(usage_file).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiResponse(description="Counts per reject reason and status.")})
    @action(detail=True, methods=["get"])
    def reconciliation(self, request: Request, pk: str | None = None) -> Response:
        usage_file = self.get_object()
        reasons = (
            RejectedRecord.objects.filter(usage_file=usage_file)
            .values("reason")
            .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=["open", "fixed"])))
            .order_by("reason")
        )
        return Response({**s.UsageFileSerializer(usage_file).data, "rejects_by_reason": list(reasons)})

    @extend_schema(request=None, responses={200: OpenApiResponse(description="{rated, rejected, duplicates}")})
    @action(detail=True, methods=["post"], permission_classes=[*STAFF_WITH_MODEL_PERMISSIONS, CanRateUsage])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Replay every open or corrected reject of the file."""
        usage_file = self.get_object()
        result = rejected_records_replay(
            rejects=RejectedRecord.objects.filter(usage_file=usage_file, status__in=["open", "fixed"]).order_by("id"),
            actor=request.user,
        )
        return Response(result.__dict__)


class RatingRunViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[RatingRun]):
    """Rating runs: inbox scans, uploads and command-line imports, with counts, duration and errors."""

    queryset = RatingRun.objects.prefetch_related("alerts")
    serializer_class = s.RatingRunSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_fields = ["status", "trigger"]


class RatedUsageViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[RatedUsage]):
    """Rated records; filter by account, service, period (`start_after` / `start_before`), file, invoice."""

    queryset = RatedUsage.objects.select_related("currency").order_by("-start", "-id")
    serializer_class = s.RatedUsageRecordSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.RatedUsageFilter
    ordering_fields = ["start", "cost", "id"]

    @extend_schema(responses={200: OpenApiResponse(description="The engine's full breakdown, recomputed.")})
    @action(detail=True, methods=["get"])
    def explain(self, request: Request, pk: str | None = None) -> Response:
        return Response(rated_usage_explain(usage=self.get_object()))


class RejectedRecordViewSet(
    TenantScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet[RejectedRecord]
):
    """The rejects queue. PATCH `corrected` to fix fields, then POST replay; or dismiss."""

    queryset = RejectedRecord.objects.all()
    serializer_class = s.RejectedRecordSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.RejectedRecordFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    @extend_schema(request=s.RejectedRecordFixSerializer, responses={200: s.RejectedRecordSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reject = self.get_object()
        fix = s.RejectedRecordFixSerializer(data=request.data)
        fix.is_valid(raise_exception=True)
        reject = rejected_record_fix(reject=reject, corrected=fix.validated_data["corrected"], actor=request.user)
        return Response(s.RejectedRecordSerializer(reject).data)

    @extend_schema(request=None, responses={200: s.RejectedRecordSerializer})
    @action(detail=True, methods=["post"], permission_classes=[*STAFF_WITH_MODEL_PERMISSIONS, CanRateUsage])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        reject = self.get_object()
        rejected_records_replay(rejects=[reject], actor=request.user)
        reject.refresh_from_db()
        return Response(s.RejectedRecordSerializer(reject).data)

    @extend_schema(request=None, responses={200: s.RejectedRecordSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        reject = rejected_record_dismiss(reject=self.get_object(), actor=request.user)
        return Response(s.RejectedRecordSerializer(reject).data)


class UsageAlertViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[UsageAlert]):
    """Import alerts: files that could not be parsed, reject ratios above the threshold, run errors."""

    queryset = UsageAlert.objects.all()
    serializer_class = s.UsageAlertSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.UsageAlertFilter

    @extend_schema(request=None, responses={200: s.UsageAlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        alert = usage_alert_acknowledge(alert=self.get_object(), actor=request.user)
        return Response(s.UsageAlertSerializer(alert).data)
