"""The admin side of the one tenant-scoping mechanism (`accounts.tenancy`).

`TenantScopedAdmin` narrows the changelist, the change/delete views and every foreign-key choice to
the user's tenant subtree; an object outside it answers 404 (never a redirect that confirms it
exists), and saving an object into a tenant outside the subtree is refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from accounts.tenancy import scope_queryset, sees_everything, tenant_in_scope


def _scoped_choices(model: type[models.Model], request: HttpRequest) -> models.QuerySet[Any] | None:
    if getattr(model, "tenant_lookup", None) is None:
        return None
    return scope_queryset(model._default_manager.all(), request.user)


class TenantScopedMixin:
    """Mix into ModelAdmin and inlines: querysets and FK choices limited to the user's tenant subtree."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return scope_queryset(super().get_queryset(request), request.user)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = _scoped_choices(db_field.related_model, request)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = _scoped_choices(db_field.related_model, request)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class TenantScopedAdmin(TenantScopedMixin, admin.ModelAdmin):
    """Base of every tenant-owned ModelAdmin."""

    list_per_page = 50

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> Any:
        # Out of scope and nonexistent look the same: 404, so ids of other tenants are not confirmed.
        raise Http404(f"No {opts.verbose_name} with id {object_id} for you.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        tenant = getattr(obj, "tenant", None) if hasattr(obj, "tenant_id") else None
        if tenant is not None and not tenant_in_scope(request.user, tenant):
            raise PermissionDenied("That tenant is outside your part of the tenant tree.")
        super().save_model(request, obj, form, change)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        # The tenant filter only helps staff who can see more than one tenant.
        if not sees_everything(request.user) and request.user.tenant and not request.user.tenant.children.exists():
            filters = [f for f in filters if f != "tenant"]
        return filters
