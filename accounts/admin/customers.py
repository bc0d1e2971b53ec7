"""Customers: search by number, name, e-mail or tax id; their billing accounts listed on the customer page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import BillingAccount, Customer
from accounts.services import customer_create

from .mixins import ReadOnlyAdminMixin, TenantScopedAdmin, TenantScopedMixin


class BillingAccountInline(TenantScopedMixin, ReadOnlyAdminMixin, admin.TabularInline):
    """Accounts are opened through `account_open` (it opens the main pocket), so not from this inline."""

    model = BillingAccount
    fields = ("number", "name", "currency", "payment_mode", "status", "credit_limit", "skip_dunning")
    readonly_fields = fields
    show_change_link = True
    extra = 0


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    list_display = ("number", "name", "kind", "email", "segment", "language", "country", "tenant", "created_at")
    list_filter = ("tenant", "kind", "segment", "language", "country")
    search_fields = ("=number", "name", "email", "=tax_id", "phone")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    inlines = (BillingAccountInline,)
    fieldsets = (
        (None, {"fields": ("tenant", "number", "kind", "name", "segment", "language")}),
        ("Contact", {"fields": ("email", "phone")}),
        ("Address", {"fields": ("address_line1", "address_line2", "postal_code", "city", "country")}),
        ("Tax", {"fields": ("tax_id",)}),
        ("Accounts", {"fields": ("open_account_link", "uuid", "created_at")}),
    )

    def get_inlines(self, request: HttpRequest, obj: Customer | None) -> Any:
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> Any:
        readonly = ["open_account_link", "uuid", "created_at"]
        if obj is not None:
            # The customer's accounts carry its tenant denormalised: moving it would split them.
            readonly.append("tenant")
        return readonly

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        self.check_save_scope(request, obj)
        fields = {
            name: form.cleaned_data[name] for name in form.cleaned_data if name not in {"tenant", "number", "name"}
        }
        created = customer_create(tenant=obj.tenant, number=obj.number, name=obj.name, actor=request.user, **fields)
        obj.pk, obj.uuid, obj.created_at = created.pk, created.uuid, created.created_at

    @admin.display(description="open an account")
    def open_account_link(self, obj: Customer) -> str:
        if obj.pk is None:
            return "Save the customer first."
        url = reverse("admin:accounts_billingaccount_add")
        return format_html('<a class="addlink" href="{}?customer={}">Open a billing account</a>', url, obj.pk)
