"""Back office for payments: the list, the payment page (allocations, refunds, history and the gateway's
events), manual entry (bank transfer, cash, cheque), allocation editing, refunds, and the
reconciliation report. Payments change only through the services, each locked and audited."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin.display import admin_link, amount_text
from accounts.exceptions import BillingError
from accounts.money import MoneyError
from invoicing.admin import ReadOnlyAdmin, ReadOnlyInline
from invoicing.payments import selectors
from invoicing.payments.models import OFFLINE_GATEWAYS, Payment, PaymentAllocation, PaymentEvent, Refund, WebhookEvent
from invoicing.payments.services import payment_allocations_set, payment_record_offline, payment_return
from invoicing.payments.services.allocation import net_allocations
from invoicing.payments.services.execute import refund_request

from .forms import AllocationForm, ManualPaymentForm, RefundForm, ReturnForm

FORM_TEMPLATE = "admin/payments/form.html"
SHOWN_AMOUNTS = ("amount", "settled_amount", "amount_allocated", "amount_refunded", "amount_charged_back")


class AllocationInline(ReadOnlyInline):
    model = PaymentAllocation
    fields = readonly_fields = ["created_at", "invoice", "amount_shown", "source", "note", "created_by"]

    @admin.display(description="amount")
    def amount_shown(self, obj: PaymentAllocation) -> str:
        return money(obj.payment, obj.amount)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = readonly_fields = [
        "created_at",
        "kind",
        "status",
        "amount_shown",
        "fee_shown",
        "reason",
        "gateway_refund_id",
    ]

    @admin.display(description="amount")
    def amount_shown(self, obj: Refund) -> str:
        return money(obj.payment, obj.amount)

    @admin.display(description="fee")
    def fee_shown(self, obj: Refund) -> str:
        return money(obj.payment, obj.fee)


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    verbose_name_plural = "history"
    fields = readonly_fields = ["created_at", "kind", "from_status", "to_status", "detail", "actor"]


class WebhookEventInline(ReadOnlyInline):
    model = WebhookEvent
    verbose_name_plural = "gateway events"
    fields = readonly_fields = ["received_at", "type", "event_id", "deliveries", "processed_at", "error"]


def money(payment: Payment, amount: Any) -> str:
    return f"{amount_text(amount, payment.currency.decimals)} {payment.currency.code}"


def form_page(request: HttpRequest, admin_: admin.ModelAdmin, title: str, form: Any, **extra: Any) -> HttpResponse:
    context = {**admin_.admin_site.each_context(request), "title": title, "opts": admin_.opts, "form": form, **extra}
    return TemplateResponse(request, FORM_TEMPLATE, context)


def refused(request: HttpRequest, form: Any, exc: Exception) -> None:
    message = getattr(exc, "message", str(exc))
    form.add_error(None, message)
    messages.error(request, f"Refused, nothing was changed: {message}")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "account", "gateway", "method", "status", "amount_text", "allocated_text", "credit_text",
        "invoice", "reference",
    ]  # fmt: skip
    list_filter = ["status", "gateway", "method", "purpose", "auto_pay", "tenant"]
    search_fields = ["=uuid", "reference", "payer", "account__number", "account__customer__name", "gateway_payment_id"]
    date_hierarchy = "created_at"
    list_select_related = ["account__customer", "currency", "unit", "invoice"]
    inlines = [AllocationInline, RefundInline, PaymentEventInline, WebhookEventInline]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Amounts are shown at their unit's precision ("50.00 EUR"), not as stored ("50.00000000").
        names = [f.name for f in Payment._meta.fields if f.name not in ("id", "unit", "currency")]
        return ["actions_links", *[f"{name}_shown" if name in SHOWN_AMOUNTS else name for name in names]]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.add_payment")

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("reconciliation/", view(self.reconciliation_view), name="payments_reconciliation"),
            path("<path:object_id>/allocations/", view(self.allocations_view), name="payments_payment_allocations"),
            path("<path:object_id>/refund/", view(self.refund_view), name="payments_payment_refund"),
            path("<path:object_id>/returned/", view(self.return_view), name="payments_payment_return"),
            *super().get_urls(),
        ]

    @admin.display(description="amount")
    def amount_text(self, obj: Payment) -> str:
        return f"{amount_text(obj.amount, obj.unit.decimals)} {obj.unit.code}"

    @admin.display(description="allocated")
    def allocated_text(self, obj: Payment) -> str:
        return amount_text(obj.amount_allocated, obj.currency.decimals)

    @admin.display(description="credit left")
    def credit_text(self, obj: Payment) -> str:
        return amount_text(obj.unallocated, obj.currency.decimals)

    @admin.display(description="amount")
    def amount_shown(self, obj: Payment) -> str:
        return self.amount_text(obj)

    @admin.display(description="settled amount")
    def settled_amount_shown(self, obj: Payment) -> str:
        return money(obj, obj.settled_amount)

    @admin.display(description="allocated")
    def amount_allocated_shown(self, obj: Payment) -> str:
        return money(obj, obj.amount_allocated)

    @admin.display(description="refunded (and in flight)")
    def amount_refunded_shown(self, obj: Payment) -> str:
        return money(obj, obj.amount_refunded)

    @admin.display(description="charged back or returned")
    def amount_charged_back_shown(self, obj: Payment) -> str:
        return money(obj, obj.amount_charged_back)

    @admin.display(description="actions")
    def actions_links(self, obj: Payment) -> str:
        if obj.pk is None:
            return "-"
        allocate = reverse("admin:payments_payment_allocations", args=[obj.pk])
        refund = reverse("admin:payments_payment_refund", args=[obj.pk])
        links = format_html('<a href="{}">Edit allocations</a> &middot; <a href="{}">Refund</a>', allocate, refund)
        if obj.gateway in OFFLINE_GATEWAYS:
            returned = reverse("admin:payments_payment_return", args=[obj.pk])
            links += format_html(' &middot; <a href="{}">Returned by the bank</a>', returned)
        return links

    def _payment(self, request: HttpRequest, object_id: str) -> Payment:
        payment = self.get_object(request, object_id)
        if payment is None:
            self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not request.user.has_perm("payments.change_payment"):
            raise PermissionDenied
        return payment

    def _back(self, payment: Payment) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[payment.pk]))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Manual entry: money received by bank transfer, cash or cheque, recorded and allocated at once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ManualPaymentForm(request.POST or None, user=request.user, initial={"idempotency_key": uuid.uuid4()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            day = data["received_on"]
            received = timezone.make_aware(datetime.combine(day, time(12))) if day else None
            try:
                payment = payment_record_offline(
                    account=data["account"],
                    amount=data["amount"],
                    gateway=data["gateway"],
                    unit=data["unit"],
                    invoice=data["invoice"],
                    purpose=data["purpose"],
                    reference=data["reference"],
                    payer=data["payer"],
                    received_at=received,
                    exchange_rate=data["exchange_rate"],
                    exchange_rate_source=data["exchange_rate_source"],
                    idempotency_key=f"admin-{data['idempotency_key']}",
                    actor=request.user,
                )
            except (BillingError, MoneyError) as exc:
                refused(request, form, exc)
            else:
                messages.success(
                    request, f"Payment recorded: {payment.amount_allocated} allocated, {payment.unallocated} credit."
                )
                return self._back(payment)
        return form_page(request, self, "Record a payment received", form, submit="Record and allocate")

    def allocations_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        payment = self._payment(request, object_id)
        current = net_allocations(payment)
        invoices = selectors.allocation_candidates(payment=payment)
        form = AllocationForm(request.POST or None, invoices=invoices, current=current)
        if request.method == "POST" and form.is_valid():
            try:
                payment_allocations_set(
                    payment=payment, allocations=form.allocations(), note=form.cleaned_data["note"], actor=request.user
                )
            except (BillingError, MoneyError) as exc:
                refused(request, form, exc)
            else:
                messages.success(request, "Allocations saved; what is not allocated is the customer's credit.")
                return self._back(payment)
        intro = (
            f"Payment of {money(payment, payment.settled_amount)}: allocated {money(payment, payment.amount_allocated)}"
            f", refunded {money(payment, payment.amount_refunded)}. What is not allocated stays as customer credit."
        )
        return form_page(request, self, f"Allocations of {payment}", form, intro=intro, submit="Save allocations")

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        payment = self._payment(request, object_id)
        form = RefundForm(request.POST or None, initial={"amount": payment.refundable})
        if request.method == "POST" and form.is_valid():
            try:
                refund = refund_request(payment=payment, actor=request.user, **form.cleaned_data)
            except (BillingError, MoneyError) as exc:
                refused(request, form, exc)
            else:
                messages.success(
                    request, f"Refund of {money(payment, refund.amount)}: {refund.get_status_display().lower()}."
                )
                return self._back(payment)
        intro = (
            f"Refundable: {payment.refundable:.2f} {payment.currency.code}. Credit goes first, then invoices re-open."
        )
        return form_page(request, self, f"Refund {payment}", form, intro=intro, submit="Refund")

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A bounced cheque or returned transfer: take back what it paid, fail it with the bank's reason."""
        payment = self._payment(request, object_id)
        form = ReturnForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_return(payment=payment, actor=request.user, **form.cleaned_data)
            except (BillingError, MoneyError) as exc:
                refused(request, form, exc)
            else:
                messages.success(request, "Payment returned: its invoices are open again, dunning will see it.")
                return self._back(payment)
        intro = f"Takes back {money(payment, payment.refundable)}: the customer's credit first, then its invoices."
        return form_page(request, self, f"Returned by the bank: {payment}", form, intro=intro, submit="Mark returned")

    def reconciliation_view(self, request: HttpRequest) -> HttpResponse:
        """Per day and gateway: received vs allocated vs left as credit vs unmatched bank lines."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        try:
            date_to = date.fromisoformat(request.GET.get("date_to", "")) if request.GET.get("date_to") else today
            start = request.GET.get("date_from")
            date_from = date.fromisoformat(start) if start else date_to - timedelta(days=30)
        except ValueError:
            date_from, date_to = today - timedelta(days=30), today
        rows = selectors.reconciliation_report(user=request.user, date_from=date_from, date_to=date_to)
        context = {
            **self.admin_site.each_context(request),
            "title": "Payments reconciliation",
            "opts": self.opts,
            "rows": rows,
            "totals": selectors.reconciliation_totals(rows),
            "date_from": date_from,
            "date_to": date_to,
        }
        return TemplateResponse(request, "admin/payments/reconciliation.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"reconciliation_url": reverse("admin:payments_reconciliation"), **(extra_context or {})}
        return super().changelist_view(request, extra)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "payment_link", "deliveries", "processed_at", "error"]
    list_filter = ["type", "gateway"]
    search_fields = ["=event_id", "type"]

    @admin.display(description="payment")
    def payment_link(self, obj: WebhookEvent) -> str:
        return admin_link(obj.payment) if obj.payment_id else "-"
