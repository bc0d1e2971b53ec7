"""Thin views: validate, call one service, serialize. Every POST that changes something runs through
`idempotent` (an Idempotency-Key header is required; a replay returns the first answer)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.mixins import TenantScopedViewSetMixin, idempotent
from accounts.tenancy import scope_queryset
from invoicing import selectors
from invoicing.models import AccountDiscount, CreditNote, Invoice, OneOffCharge, TaxRate
from invoicing.pdf import invoice_pdf
from invoicing.services import (
    OneOffItem,
    account_discount_create,
    credit_note_create,
    invoice_approve,
    invoice_cancel,
    invoice_generate,
    invoice_issue,
    invoice_one_off_create,
    invoice_preview,
    one_off_charge_create,
)

from . import serializers as s


class InvoiceFilter(filters.FilterSet):
    account = filters.UUIDFilter(field_name="account__uuid")

    class Meta:
        model = Invoice
        fields = ["status", "kind", "account", "bill_run_id", "bill_date"]


class InvoiceViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices and statements; lines carry their explanation. Transitions are POST actions."""

    queryset = Invoice.objects.select_related("account", "currency").order_by("-id")
    lookup_field = "uuid"
    filterset_class = InvoiceFilter
    search_fields = ["account__number", "account__customer__name", "number"]
    ordering_fields = ["id", "bill_date", "issue_date", "due_date", "total"]

    def get_queryset(self) -> Any:
        return super().get_queryset() if self.action == "list" else self._detailed()

    def _detailed(self) -> Any:
        return scope_queryset(selectors.invoices_with_details(), self.request.user)

    def get_serializer_class(self) -> Any:
        return s.InvoiceSerializer if self.action == "list" else s.InvoiceDetailSerializer

    def _detail(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        fresh = self._detailed().get(pk=invoice.pk)
        return Response(s.InvoiceDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _transition(self, request: Request, run: Any, body: type[Any] | None = None) -> Response:
        invoice = self.get_object()

        def handler() -> Response:
            data = {}
            if body is not None:
                form = body(data=request.data)
                form.is_valid(raise_exception=True)
                data = form.validated_data
            return self._detail(run(invoice, data))

        return idempotent(request, handler)

    @extend_schema(request=None, responses=s.InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, uuid: str | None = None) -> Response:
        return self._transition(request, lambda inv, _: invoice_approve(invoice=inv, actor=request.user))

    @extend_schema(request=s.IssueRequestSerializer, responses=s.InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, uuid: str | None = None) -> Response:
        return self._transition(
            request,
            lambda inv, data: invoice_issue(invoice=inv, actor=request.user, issue_date=data.get("issue_date")),
            s.IssueRequestSerializer,
        )

    @extend_schema(request=s.ReasonSerializer, responses=s.InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str | None = None) -> Response:
        return self._transition(
            request,
            lambda inv, data: invoice_cancel(invoice=inv, actor=request.user, reason=data["reason"]),
            s.ReasonSerializer,
        )

    @extend_schema(request=s.CreditNoteRequestSerializer, responses={201: s.CreditNoteSerializer})
    @action(detail=True, methods=["post"], url_path="credit-note")
    def credit_note(self, request: Request, uuid: str | None = None) -> Response:
        invoice = self.get_object()

        def handler() -> Response:
            form = s.CreditNoteRequestSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            parts = form.validated_data.get("lines")
            note = credit_note_create(
                invoice=invoice,
                reason=form.validated_data["reason"],
                lines=[(part["line"], part["amount"]) for part in parts] if parts else None,
                actor=request.user,
            )
            return Response(s.CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @extend_schema(responses=s.RatedUsageSerializer(many=True))
    @action(detail=True, methods=["get"], url_path=r"lines/(?P<line_id>\d+)/usage")
    def usage(self, request: Request, uuid: str | None = None, line_id: str | None = None) -> Response:
        """The rated records behind a usage line (every call), paginated."""
        invoice = self.get_object()
        line = get_object_or_404(invoice.lines.all(), pk=line_id)
        page = self.paginate_queryset(selectors.usage_records_for_line(line=line).select_related("tariff"))
        return self.get_paginated_response(s.RatedUsageSerializer(page, many=True).data)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, uuid: str | None = None) -> HttpResponse:
        """The invoice as PDF, with the call detail of its usage lines in the annex."""
        invoice = self.get_object()
        response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.display_number}.pdf"'
        return response

    @extend_schema(request=s.PreviewRequestSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What the account's invoice would be today (or `as_of`), computed by the engine; creates nothing."""
        form = s.PreviewRequestSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        computed = invoice_preview(account=form.validated_data["account"], as_of=form.validated_data.get("as_of"))
        return Response(computed.as_dict())

    @extend_schema(request=s.GenerateRequestSerializer, responses={201: s.InvoiceDetailSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        """A draft invoice of everything due on `bill_date` for one account, outside any run (200: nothing due)."""

        def handler() -> Response:
            form = s.GenerateRequestSerializer(data=request.data, context=self.get_serializer_context())
            form.is_valid(raise_exception=True)
            invoice = invoice_generate(actor=request.user, **form.validated_data)
            if invoice is None:
                return Response({"detail": "Nothing is due for this account on that date."}, status=200)
            return self._detail(invoice, status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @extend_schema(request=s.OneOffInvoiceRequestSerializer, responses={201: s.InvoiceDetailSerializer})
    @action(detail=False, methods=["post"], url_path="one-off")
    def one_off(self, request: Request) -> Response:
        """An operator's invoice of manual or catalog charges for one account, issued unless `issue` is false."""

        def handler() -> Response:
            form = s.OneOffInvoiceRequestSerializer(data=request.data, context=self.get_serializer_context())
            form.is_valid(raise_exception=True)
            data = form.validated_data
            invoice = invoice_one_off_create(
                account=data["account"],
                items=[OneOffItem(**item) for item in data["items"]],
                actor=request.user,
                issue=data["issue"],
                charge_date=data.get("charge_date"),
            )
            return self._detail(invoice, status.HTTP_201_CREATED)

        return idempotent(request, handler)


class CreditNoteViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CreditNote.objects.select_related("invoice", "currency").prefetch_related("lines").order_by("-id")
    serializer_class = s.CreditNoteSerializer
    lookup_field = "uuid"
    filterset_fields = ["invoice__uuid"]


class OneOffChargeViewSet(
    TenantScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Pending manual charges: billed by the account's next invoice on or after their date."""

    queryset = OneOffCharge.objects.select_related("account", "invoice").order_by("-id")
    serializer_class = s.OneOffChargeSerializer
    lookup_field = "uuid"
    filterset_fields = ["account__uuid"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def handler() -> Response:
            form = self.get_serializer(data=request.data)
            form.is_valid(raise_exception=True)
            data = dict(form.validated_data)
            account, charge_date = data.pop("account"), data.pop("charge_date", None)
            item = OneOffItem(**{k: v for k, v in data.items() if k in OneOffItem.__dataclass_fields__})
            created = one_off_charge_create(account=account, item=item, charge_date=charge_date, actor=request.user)
            return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)


class AccountDiscountViewSet(
    TenantScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Percent or amount off an account's next N invoices (goodwill; promotions create them too)."""

    queryset = AccountDiscount.objects.select_related("account", "product").order_by("-id")
    serializer_class = s.AccountDiscountSerializer
    lookup_field = "uuid"
    filterset_fields = ["account__uuid", "source"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def handler() -> Response:
            form = self.get_serializer(data=request.data)
            form.is_valid(raise_exception=True)
            created = account_discount_create(actor=request.user, **form.validated_data)
            return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)


class TaxRateViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Tax rates per tenant and category (maintained in the back office)."""

    queryset = TaxRate.objects.select_related("tenant")
    serializer_class = s.TaxRateSerializer
    filterset_fields = ["category"]
