"""The tenant tree: operator and resellers, shown in tree order with depth and child counts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.models import BillingAccount, Customer, Tenant
from accounts.tenancy import sees_everything

from .display import count_of
from .mixins import ReadOnlyAdminMixin, TenantScopedAdmin, TenantScopedMixin


class ChildTenantInline(TenantScopedMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = Tenant
    fk_name = "parent"
    fields = ("name", "code", "kind", "default_currency")
    readonly_fields = fields
    show_change_link = True
    extra = 0
    verbose_name = "reseller below this tenant"
    verbose_name_plural = "resellers below this tenant"


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    list_display = (
        "tree_name",
        "code",
        "kind",
        "parent",
        "depth",
        "children_count",
        "customers_count",
        "accounts_count",
        "default_currency",
    )
    list_filter = ("kind", "default_currency")
    search_fields = ("name", "code", "legal_name", "tax_id")
    ordering = ("path",)
    list_select_related = ("parent", "default_currency")
    inlines = (ChildTenantInline,)
    fieldsets = (
        (None, {"fields": ("name", "code", "kind", "parent", "default_currency", "rounding")}),
        ("Legal and contact", {"fields": ("legal_name", "tax_id", "address", "operations_email")}),
        ("Tree", {"fields": ("path", "depth", "created_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                children_n=count_of(Tenant, "parent"),
                customers_n=count_of(Customer, "tenant"),
                accounts_n=count_of(BillingAccount, "tenant"),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        readonly = ["path", "depth", "created_at"]
        if obj is not None:
            # Children's paths are not rewritten, so a tenant never moves once created.
            readonly.append("parent")
        if not sees_everything(request.user):
            readonly.append("kind")
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "parent" in form.base_fields and not sees_everything(request.user):
            # Only the platform creates operators (roots); a tenant's staff add resellers under themselves.
            form.base_fields["parent"].required = True
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if request.user.tenant_id:
            initial.setdefault("parent", request.user.tenant_id)
        return initial

    def tenant_for_save(self, obj: Tenant) -> Any:
        return obj.parent if obj.pk is None else obj

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        if obj is not None and obj.pk == request.user.tenant_id:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="name", ordering="path")
    def tree_name(self, obj: Tenant) -> str:
        return format_html("{}{}", "\u2003" * obj.depth, obj.name)

    @admin.display(description="depth")
    def depth(self, obj: Tenant) -> int:
        return obj.depth

    @admin.display(description="resellers", ordering="children_n")
    def children_count(self, obj: Tenant) -> int:
        return obj.children_n  # type: ignore[attr-defined]

    @admin.display(description="customers", ordering="customers_n")
    def customers_count(self, obj: Tenant) -> int:
        return obj.customers_n  # type: ignore[attr-defined]

    @admin.display(description="accounts", ordering="accounts_n")
    def accounts_count(self, obj: Tenant) -> int:
        return obj.accounts_n  # type: ignore[attr-defined]
