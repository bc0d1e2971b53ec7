"""Units (platform data shared by every tenant) and exchange rates (per tenant, inherited downwards)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ExchangeRate, Unit
from accounts.tenancy import sees_everything

from .mixins import TenantScopedAdmin


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    """Not tenant-owned: every tenant reads the same units; only platform staff add or change them."""

    list_display = ("code", "name", "kind", "decimals", "symbol")
    list_filter = ("kind",)
    search_fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Unit | None = None) -> Any:
        # Amounts already stored were rounded to these decimals; changing them would reinterpret history.
        return ("code", "decimals") if obj is not None else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return sees_everything(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Unit | None = None) -> bool:
        return sees_everything(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Unit | None = None) -> bool:
        return sees_everything(request.user) and super().has_delete_permission(request, obj)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(TenantScopedAdmin):
    """Rates are history: once in force a rate is never edited; a new rate with a later start replaces it."""

    list_display = ("from_unit", "to_unit", "rate", "valid_from", "source", "tenant")
    list_filter = ("from_unit", "to_unit", "tenant")
    search_fields = ("=from_unit__code", "=to_unit__code", "source")
    list_select_related = ("from_unit", "to_unit", "tenant")
    date_hierarchy = "valid_from"

    def _not_yet_in_force(self, obj: ExchangeRate | None) -> bool:
        return obj is None or obj.valid_from > timezone.now()

    def has_change_permission(self, request: HttpRequest, obj: ExchangeRate | None = None) -> bool:
        return self._not_yet_in_force(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ExchangeRate | None = None) -> bool:
        return self._not_yet_in_force(obj) and super().has_delete_permission(request, obj)
