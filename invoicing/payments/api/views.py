"""Thin views: validate, call one service, serialize. Every POST that moves money runs through
`idempotent` (an Idempotency-Key header is required; a replay returns the first answer)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.fields import format_amount
from accounts.api.mixins import TenantScopedViewSetMixin, idempotent
from accounts.api.schema import IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY_REQUIRED, error
from accounts.models import Tenant, Unit
from accounts.tenancy import tenant_in_scope
from invoicing.payments import selectors
from invoicing.payments.models import (
    REVIEW_STATUSES,
    BankStatementImport,
    BankStatementLine,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
from invoicing.payments.services import payment_allocations_set, payment_record_offline, payment_return
from invoicing.payments.services.execute import refund_request
from invoicing.payments.services.stripe_flows import stripe_payment_start
from invoicing.payments.statements.parsers import CsvLayout
from invoicing.payments.statements.services import (
    bank_statement_import,
    statement_line_assign,
    statement_line_ignore,
)

from . import serializers as s


def money_post(body: Any, answer: Any, *, code: int = 201, refused: str = "Refused in the payment's state.") -> Any:
    """The OpenAPI description of a POST behind an Idempotency-Key."""
    return extend_schema(
        methods=["POST"],
        request=body,
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
        responses={code: answer, **IDEMPOTENCY_ERRORS, 409: error(refused)},
    )


class PaymentFilter(filters.FilterSet):
    account = filters.UUIDFilter(field_name="account__uuid")
    invoice = filters.UUIDFilter(field_name="invoice__uuid")
    received_from = filters.DateFilter(field_name="received_at", lookup_expr="date__gte")
    received_to = filters.DateFilter(field_name="received_at", lookup_expr="date__lte")

    class Meta:
        model = Payment
        fields = ["status", "gateway", "method", "purpose", "account", "invoice", "auto_pay"]


class PaymentViewSet(TenantScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Payments; POST records money an operator received (bank transfer, cash, cheque)."""

    queryset = Payment.objects.select_related("account", "invoice", "currency", "unit").order_by("-id")
    lookup_field = "uuid"
    filterset_class = PaymentFilter
    search_fields = ["reference", "payer", "account__number", "gateway_payment_id"]
    ordering_fields = ["id", "received_at", "settled_amount"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action != "list":
            allocations = PaymentAllocation.objects.select_related("invoice", "payment__currency")
            queryset = queryset.prefetch_related(
                Prefetch("allocations", queryset=allocations), "refunds__payment__currency", "events"
            )
        return queryset

    def get_serializer_class(self) -> Any:
        return s.PaymentSerializer if self.action == "list" else s.PaymentDetailSerializer

    def _detail(self, payment: Payment, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=payment.pk)
        return Response(s.PaymentDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _form(self, serializer: type[Any], request: Request) -> dict[str, Any]:
        form = serializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return dict(form.validated_data)

    @money_post(s.ManualPaymentSerializer, s.PaymentDetailSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def handler() -> Response:
            data = self._form(s.ManualPaymentSerializer, request)
            payment = payment_record_offline(
                account=data.pop("account"),
                amount=data.pop("amount"),
                gateway=data.pop("gateway"),
                received_at=data.pop("received_at", None),
                actor=request.user,
                idempotency_key=f"api-{request.user.pk}-{request.headers.get('Idempotency-Key', '')}"[:120],
                **data,
            )
            return self._detail(payment, status.HTTP_201_CREATED)

        return idempotent(request, handler)

    def _stripe(self, request: Request, method: str) -> Response:
        def handler() -> Response:
            data = self._form(s.StripePaymentSerializer, request)
            payment = stripe_payment_start(method=method, actor=request.user, **data)
            return self._detail(payment, status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @money_post(s.StripePaymentSerializer, s.PaymentDetailSerializer)
    @action(detail=False, methods=["post"])
    def card(self, request: Request) -> Response:
        """Charge the account's saved default card now."""
        return self._stripe(request, PaymentMethod.CARD)

    @money_post(s.StripePaymentSerializer, s.PaymentDetailSerializer)
    @action(detail=False, methods=["post"])
    def checkout(self, request: Request) -> Response:
        """Open a Stripe Checkout page; send the customer to `checkout_url`."""
        return self._stripe(request, PaymentMethod.CHECKOUT)

    @extend_schema(methods=["GET"], responses=s.AllocationSerializer(many=True))
    @money_post(s.AllocationsSetSerializer, s.PaymentDetailSerializer, code=200, refused="Allocation refused.")
    @action(detail=True, methods=["get", "post"])
    def allocations(self, request: Request, uuid: str | None = None) -> Response:
        """GET: the allocation rows. POST: set the allocation per invoice (the rest becomes credit)."""
        payment = self.get_object()
        if request.method == "GET":
            return Response(s.AllocationSerializer(payment.allocations.all(), many=True).data)

        def handler() -> Response:
            data = self._form(s.AllocationsSetSerializer, request)
            wanted = [(item["invoice"], item["amount"]) for item in data["allocations"]]
            updated = payment_allocations_set(
                payment=payment, allocations=wanted, note=data["note"], actor=request.user
            )
            return self._detail(updated)

        return idempotent(request, handler)

    @money_post(s.RefundRequestSerializer, s.RefundSerializer, refused="More than is refundable.")
    @action(detail=True, methods=["post"])
    def refunds(self, request: Request, uuid: str | None = None) -> Response:
        payment = self.get_object()

        def handler() -> Response:
            data = self._form(s.RefundRequestSerializer, request)
            refund = refund_request(payment=payment, amount=data["amount"], reason=data["reason"], actor=request.user)
            return Response(s.RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @money_post(s.ReturnSerializer, s.RefundSerializer, refused="Not a received offline payment.")
    @action(detail=True, methods=["post"], url_path="returned")
    def returned(self, request: Request, uuid: str | None = None) -> Response:
        """A bounced cheque or returned transfer: what it paid is taken back, the payment fails."""
        payment = self.get_object()

        def handler() -> Response:
            data = self._form(s.ReturnSerializer, request)
            refund = payment_return(payment=payment, actor=request.user, **data)
            return Response(s.RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @extend_schema(
        parameters=[OpenApiParameter("date_from", str, required=True), OpenApiParameter("date_to", str, required=True)],
        responses=s.ReconciliationRowSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def reconciliation(self, request: Request) -> Response:
        """Per day, gateway and currency: received, allocated, credit, refunded and unmatched bank lines."""
        query = s.ReconciliationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.reconciliation_report(user=request.user, **query.validated_data)
        decimals = dict(Unit.objects.values_list("code", "decimals"))
        data = []
        for row in rows:
            places = decimals.get(row.currency, 2)
            item = {**row.__dict__, "balanced": row.balanced}
            for name in ("received", "allocated", "credit", "refunded", "unmatched"):
                item[name] = format_amount(getattr(row, name), places)
            data.append(item)
        return Response(s.ReconciliationRowSerializer(data, many=True).data)


class StatementViewSet(TenantScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bank statement imports; POST uploads a file (multipart: file, format, CSV column names)."""

    queryset = BankStatementImport.objects.order_by("-id")
    lookup_field = "uuid"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_serializer_class(self) -> Any:
        return s.StatementSerializer if self.action == "list" else s.StatementDetailSerializer

    @money_post(s.StatementUploadSerializer, s.StatementDetailSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def handler() -> Response:
            form = s.StatementUploadSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            data = form.validated_data
            tenant = Tenant.objects.get(pk=data["tenant"]) if data.get("tenant") else request.user.tenant
            if tenant is None or not tenant_in_scope(request.user, tenant):
                raise PermissionDenied("Import statements for your own tenant or one below it.")
            layout = CsvLayout.from_form(data)
            upload = data["file"]
            statement = bank_statement_import(
                tenant=tenant,
                content=upload.read(),
                format=data["format"],
                file_name=upload.name,
                layout=layout,
                actor=request.user,
            )
            body = s.StatementDetailSerializer(statement, context=self.get_serializer_context()).data
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)


class StatementLineFilter(filters.FilterSet):
    review = filters.BooleanFilter(method="in_review", label="Only lines waiting for review")

    class Meta:
        model = BankStatementLine
        fields = ["match_status", "direction", "booking_date", "review"]

    def in_review(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(match_status__in=REVIEW_STATUSES) if value else queryset


class StatementLineViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Bank statement lines; `?review=true` is the review queue. POST assign / ignore a line in review."""

    queryset = BankStatementLine.objects.select_related("invoice", "account", "payment").order_by("-id")
    serializer_class = s.StatementLineSerializer
    filterset_class = StatementLineFilter
    search_fields = ["reference", "counterparty", "bank_ref"]

    @money_post(s.LineAssignSerializer, s.StatementLineSerializer, code=200, refused="The line is not in review.")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        line = self.get_object()

        def handler() -> Response:
            form = s.LineAssignSerializer(data=request.data, context=self.get_serializer_context())
            form.is_valid(raise_exception=True)
            done = statement_line_assign(line=line, actor=request.user, **form.validated_data)
            return Response(s.StatementLineSerializer(done).data)

        return idempotent(request, handler)

    @money_post(s.LineIgnoreSerializer, s.StatementLineSerializer, code=200, refused="The line is not in review.")
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str | None = None) -> Response:
        line = self.get_object()

        def handler() -> Response:
            form = s.LineIgnoreSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            done = statement_line_ignore(line=line, note=form.validated_data["note"], actor=request.user)
            return Response(s.StatementLineSerializer(done).data)

        return idempotent(request, handler)
