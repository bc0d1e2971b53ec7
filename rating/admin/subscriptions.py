"""Subscriptions and the service identifiers that route usage to them (products are in `catalog`).

A reseller's accounts may subscribe to the reseller's own products or those of a tenant above it, so
the product choice on a subscription spans the user's subtree and its ancestors (never a sibling's).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.admin.display import admin_link
from accounts.admin.mixins import TenantScopedAdmin, TenantScopedMixin
from accounts.tenancy import scope_queryset_with_ancestors
from rating.models import PricePlan, Product, ServiceIdentifier, Subscription


class ServiceIdentifierForm(forms.ModelForm):
    """Says which identifier is taken in words, instead of the bare exclusion-constraint violation."""

    class Meta:
        model = ServiceIdentifier
        fields = ("kind", "value", "valid_from", "valid_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, value, start, end = (cleaned.get(k) for k in ("kind", "value", "valid_from", "valid_to"))
        if kind and value and start:
            holders = ServiceIdentifier.objects.filter(kind=kind, value=value).exclude(pk=self.instance.pk)
            holders = holders.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
            if end is not None:
                holders = holders.filter(valid_from__lt=end)
            if holders.exists():
                # The holder is not named: it may be another tenant's subscription.
                self.add_error("value", f"{value} is already in use on another subscription in that period.")
        return cleaned


class ServiceIdentifierInline(TenantScopedMixin, admin.TabularInline):
    model = ServiceIdentifier
    form = ServiceIdentifierForm
    fields = ("kind", "value", "valid_from", "valid_to")
    extra = 0


class SubscriptionForm(forms.ModelForm):
    """The price plan, when chosen, must be one of the product's (it names the tariffs usage is rated with)."""

    class Meta:
        model = Subscription
        fields = ("account", "product", "price_plan", "quantity", "start_date", "end_date", "status")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        product = cleaned.get("product") or getattr(self.instance, "product", None)
        plan = cleaned.get("price_plan")
        if plan is not None and product is not None and plan.product_id != product.pk:
            self.add_error("price_plan", f"{plan} is a plan of {plan.product}, not of {product}.")
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(TenantScopedAdmin):
    form = SubscriptionForm
    list_display = ("id", "account_link", "product", "quantity", "start_date", "end_date", "status", "identifiers")
    list_filter = ("status", ("product", admin.RelatedOnlyFieldListFilter), "start_date", "account__tenant")
    search_fields = ("=account__number", "account__customer__name", "=identifiers__value")
    list_select_related = ("account__customer", "product")
    autocomplete_fields = ("account",)
    date_hierarchy = "start_date"
    inlines = (ServiceIdentifierInline,)
    fields = ("account", "product", "price_plan", "quantity", "start_date", "end_date", "status", "uuid", "created_at")
    readonly_fields = ("uuid", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return super().get_queryset(request).prefetch_related("identifiers")

    def get_readonly_fields(self, request: HttpRequest, obj: Subscription | None = None) -> Any:
        # A subscription's account is where its charges were billed; moving it would rewrite history.
        return ("account", *self.readonly_fields) if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "product":
            kwargs["queryset"] = scope_queryset_with_ancestors(Product.objects.filter(active=True), request.user)
        if db_field.name == "price_plan":
            kwargs["queryset"] = scope_queryset_with_ancestors(PricePlan.objects.filter(active=True), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="account", ordering="account__number")
    def account_link(self, obj: Subscription) -> str:
        return admin_link(obj.account, f"{obj.account.number} {obj.account.customer.name}")

    @admin.display(description="identifiers")
    def identifiers(self, obj: Subscription) -> str:
        return ", ".join(str(identifier) for identifier in obj.identifiers.all())


@admin.register(ServiceIdentifier)
class ServiceIdentifierAdmin(TenantScopedAdmin):
    form = ServiceIdentifierForm
    fields = ("subscription", "kind", "value", "valid_from", "valid_to")
    list_display = ("value", "kind", "subscription_link", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("value", "=subscription__account__number")
    list_select_related = ("subscription__account", "subscription__product")
    autocomplete_fields = ("subscription",)

    @admin.display(description="subscription", ordering="subscription_id")
    def subscription_link(self, obj: ServiceIdentifier) -> str:
        return admin_link(obj.subscription)
