"""Back office for invoicing; every ModelAdmin derives from TenantScopedAdmin (see accounts.admin.mixins).

Invoices, lines, credit notes, billed periods and number counters are read-only here: they change
only through the services (the actions below call them), so every change is locked and audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin.mixins import TenantScopedAdmin, TenantScopedMixin
from accounts.exceptions import BillingError
from invoicing.models import (
    AccountDiscount,
    BilledCharge,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceTaxSummary,
    NumberSeries,
    OneOffCharge,
    TaxRate,
    TenantBillingSettings,
)
from invoicing.services import (
    OneOffItem,
    account_discount_create,
    invoice_approve,
    invoice_cancel,
    invoice_issue,
    one_off_charge_create,
)


class ReadOnlyInline(TenantScopedMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = [
        "position",
        "kind",
        "description",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "proration",
        "amount",
        "tax_name",
        "tax_amount",
        "explanation",
    ]
    readonly_fields = fields


class TaxSummaryInline(ReadOnlyInline):
    model = InvoiceTaxSummary
    fields = readonly_fields = ["name", "rate", "base", "tax_amount"]


class InvoiceEventInline(ReadOnlyInline):
    model = InvoiceEvent
    verbose_name_plural = "history"
    fields = readonly_fields = ["created_at", "from_status", "to_status", "actor", "note"]


class CreditNoteInline(ReadOnlyInline):
    model = CreditNote
    fields = readonly_fields = ["display_number", "issue_date", "reason", "total"]
    show_change_link = True


def _each(action: Callable[..., Any], name: str, verb: str) -> Callable[..., None]:
    """An admin action that runs one transition service per selected invoice, reporting each refusal."""

    def run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        done = 0
        for invoice in queryset.order_by("pk"):
            try:
                action(invoice=invoice, actor=request.user)
                done += 1
            except BillingError as exc:
                modeladmin.message_user(request, exc.message, messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{done} invoice(s) {verb}.", messages.SUCCESS)

    run.__name__ = f"{name}_selected"
    return run


@admin.register(Invoice)
class InvoiceAdmin(TenantScopedAdmin):
    list_display = ["display_number", "account", "kind", "status", "bill_date", "total", "open_amount", "due_date"]
    list_filter = ["status", "kind", "tenant", "bill_date"]
    search_fields = ["account__number", "account__customer__name", "=number"]
    date_hierarchy = "bill_date"
    list_select_related = ["account__customer", "currency"]
    inlines = [InvoiceLineInline, TaxSummaryInline, CreditNoteInline, InvoiceEventInline]
    actions = [
        admin.action(description="Approve selected drafts")(_each(invoice_approve, "approve", "approved")),
        admin.action(description="Issue selected approved invoices")(_each(invoice_issue, "issue", "issued")),
        admin.action(description="Cancel selected drafts")(_each(invoice_cancel, "cancel", "cancelled")),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Invoice._meta.fields] + ["display_number", "open_amount"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = readonly_fields = ["invoice_line", "description", "revenue", "amount", "tax_rate", "tax_amount"]


@admin.register(CreditNote)
class CreditNoteAdmin(TenantScopedAdmin):
    list_display = ["display_number", "invoice", "issue_date", "reason", "total"]
    list_filter = ["tenant", "issue_date"]
    search_fields = ["invoice__account__number", "=number", "reason"]
    inlines = [CreditNoteLineInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in CreditNote._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TaxRate)
class TaxRateAdmin(TenantScopedAdmin):
    list_display = ["name", "tenant", "category", "rate", "valid_from", "valid_to"]
    list_filter = ["tenant", "category"]


@admin.register(TenantBillingSettings)
class TenantBillingSettingsAdmin(TenantScopedAdmin):
    list_display = ["tenant", "thirty_day_months", "invoice_series", "credit_note_series", "statement_series"]


@admin.register(OneOffCharge)
class OneOffChargeAdmin(TenantScopedAdmin):
    """Manual charges waiting for the account's next invoice; billed ones are read-only."""

    list_display = ["description", "account", "quantity", "unit_price", "charge_date", "invoice"]
    list_filter = ["tenant", "charge_date"]
    search_fields = ["account__number", "description"]
    raw_id_fields = ["account", "charge"]
    fields = ["account", "charge", "description", "quantity", "unit_price", "tax_category", "charge_date", "invoice"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.fields if obj is not None and obj.invoice_id else ["invoice"]

    def save_model(self, request: HttpRequest, obj: OneOffCharge, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        item = OneOffItem(obj.description, obj.unit_price, obj.quantity, obj.tax_category, obj.charge)
        created = one_off_charge_create(account=obj.account, item=item, charge_date=obj.charge_date, actor=request.user)
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.invoice_id


@admin.register(AccountDiscount)
class AccountDiscountAdmin(TenantScopedAdmin):
    """A percent or amount off an account's next N invoices (goodwill; promotions create them too).
    Once created only its end date changes, so what was billed stays explained."""

    list_display = ["name", "account", "percent", "amount", "periods", "starts_on", "ends_on", "source", "reference"]
    list_filter = ["tenant", "source", "starts_on"]
    search_fields = ["account__number", "name", "reference"]
    raw_id_fields = ["account", "product"]
    fields = ["account", "name", "percent", "amount", "periods", "applies_to", "product", "starts_on", "ends_on"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for f in self.fields if f != "ends_on"] + ["source", "reference"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: AccountDiscount, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {f: getattr(obj, f) for f in ["name", "percent", "amount", "periods", "applies_to", "product"]}
        created = account_discount_create(
            account=obj.account, starts_on=obj.starts_on, ends_on=obj.ends_on, actor=request.user, **data
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.lines.exists()


class ReadOnlyAdmin(TenantScopedAdmin):
    """Rows only services write: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdmin):
    list_display = ["tenant", "series", "next_number", "updated_at"]


@admin.register(BilledCharge)
class BilledChargeAdmin(ReadOnlyAdmin):
    """What each subscription charge period was billed: read-only, for support and audits."""

    list_display = ["subscription", "charge", "kind", "period_start", "period_end", "amount", "invoice"]
    list_filter = ["kind"]
    search_fields = ["subscription__account__number"]
    list_select_related = ["subscription__account", "charge", "invoice"]
