"""The catalog back office: products (their plans listed), price plans (charges inline), charges (tiers inline),
time bands and holidays. Tariffs, their steps and the rate-deck imports are in `rating.admin.tariffs`.

A price plan belongs to its product's tenant (set on save, not chosen); a usage charge may name a tariff of
the plan's tenant or of a tenant above it, as a reseller rates with its operator's tariffs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.admin.display import count_of
from accounts.admin.mixins import TenantScopedAdmin, TenantScopedMixin
from accounts.tenancy import scope_queryset_with_ancestors
from rating.models import Charge, ChargeTier, Holiday, PricePlan, Product, Tariff, TimeBand

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class PricePlanInline(TenantScopedMixin, admin.TabularInline):
    """The product's plans at a glance; each is edited on its own page, where its charges are."""

    model = PricePlan
    fields = ("code", "name", "currency", "valid_from", "valid_to", "active")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    list_display = ("code", "name", "category", "active", "plans", "tenant")
    list_filter = ("active", "category", "tenant")
    search_fields = ("code", "name")
    list_select_related = ("tenant",)
    inlines = (PricePlanInline,)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(plan_count=count_of(PricePlan, "product"))

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> Any:
        # Subscriptions and rated usage refer to the product; it stays in the tenant that created it.
        return ("tenant",) if obj is not None else ()

    @admin.display(description="price plans", ordering="plan_count")
    def plans(self, obj: Any) -> int:
        return int(obj.plan_count)


class PricePlanForm(forms.ModelForm):
    """Names a duplicate code on the field: the tenant is the product's, so the model form cannot see it."""

    class Meta:
        model = PricePlan
        fields = ("product", "code", "name", "currency", "valid_from", "valid_to", "active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        product, code = cleaned.get("product") or getattr(self.instance, "product", None), cleaned.get("code")
        if product is not None and code:
            twins = PricePlan.objects.filter(tenant=product.tenant, code=code).exclude(pk=self.instance.pk)
            if twins.exists():
                self.add_error("code", f"{code} is already a price plan of {product.tenant}.")
        return cleaned


def _tariff_choices(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    if db_field.name == "tariff":
        kwargs["queryset"] = scope_queryset_with_ancestors(Tariff.objects.all(), request.user)


class ChargeInline(TenantScopedMixin, admin.TabularInline):
    model = Charge
    fields = (
        "code", "name", "kind", "amount", "period", "timing", "service", "tariff", "allowance_unit",
        "allowance_quantity", "discount_percent", "discount_periods",
    )  # fmt: skip
    extra = 0
    show_change_link = True  # quantity tiers and the rarer fields are on the charge's own page

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _tariff_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PricePlan)
class PricePlanAdmin(TenantScopedAdmin):
    form = PricePlanForm
    list_display = ("code", "name", "product", "currency", "valid_from", "valid_to", "active", "tenant")
    list_filter = ("active", ("product", admin.RelatedOnlyFieldListFilter), "tenant")
    search_fields = ("code", "name", "product__code")
    list_select_related = ("product", "currency", "tenant")
    inlines = (ChargeInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: PricePlan | None = None) -> Any:
        # Subscriptions name the plan with its product; moving it would change what they bought.
        return ("product", "tenant") if obj is not None else ("tenant",)

    def get_fields(self, request: HttpRequest, obj: PricePlan | None = None) -> Any:
        return ("tenant", *PricePlanForm.Meta.fields)

    def tenant_for_save(self, obj: PricePlan) -> Any:
        return obj.product.tenant

    def save_model(self, request: HttpRequest, obj: PricePlan, form: Any, change: bool) -> None:
        obj.tenant = obj.product.tenant
        super().save_model(request, obj, form, change)


class ChargeTierInline(TenantScopedMixin, admin.TabularInline):
    model = ChargeTier
    fields = ("from_quantity", "to_quantity", "unit_price", "flat_fee")
    extra = 0


@admin.register(Charge)
class ChargeAdmin(TenantScopedAdmin):
    list_display = ("code", "name", "kind", "amount", "period", "service", "tariff", "price_plan")
    list_filter = ("kind", "service", ("price_plan", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "price_plan__code")
    list_select_related = ("price_plan", "tariff")
    inlines = (ChargeTierInline,)
    fieldsets = (
        (None, {"fields": ("price_plan", "code", "name", "kind", "amount", "tax_category")}),
        ("Recurring", {"fields": ("period", "timing")}),
        ("Quantity", {"fields": ("quantity_pricing",), "description": "Tiers below."}),
        ("Usage", {"fields": ("service", "tariff")}),
        ("Bundle / allowance", {"fields": ("allowance_unit", "allowance_quantity")}),
        ("Discount", {"fields": ("discount_percent", "discount_applies_to", "discount_periods")}),
    )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _tariff_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Charge | None = None) -> Any:
        return ("price_plan",) if obj is not None else ()


class TimeBandForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = TimeBand
        fields = ("tenant", "name", "weekdays", "start", "end", "holidays_only")


@admin.register(TimeBand)
class TimeBandAdmin(TenantScopedAdmin):
    form = TimeBandForm
    list_display = ("name", "days", "start", "end", "holidays_only", "tenant")
    list_filter = ("holidays_only", "tenant")
    search_fields = ("name",)
    list_select_related = ("tenant",)

    @admin.display(description="weekdays")
    def days(self, obj: TimeBand) -> str:
        names = dict(WEEKDAYS)
        return " ".join(names[day] for day in sorted(obj.weekdays))


@admin.register(Holiday)
class HolidayAdmin(TenantScopedAdmin):
    list_display = ("date", "name", "tenant")
    list_filter = ("tenant",)
    search_fields = ("name",)
    date_hierarchy = "date"
    list_select_related = ("tenant",)
