"""The admin side of the one tenant-scoping mechanism (`accounts.tenancy`).

`TenantScopedAdmin` narrows the changelist, the change/delete/history views, every foreign-key choice
and every related-field filter in the sidebar to the user's tenant subtree; an object outside it
answers 404 (never a redirect that confirms it exists), and saving an object into a tenant outside the
subtree is refused. (Django's own value filters on a field of the model itself already read the scoped
queryset; a value filter across a relation would not, so list_filter paths across relations end on a
relation or a choices field.) `ReadOnlyAdminMixin` makes an admin view-only (the ledger and the audit trail are
append-only: they change through services, never through a form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.exceptions import BillingError
from accounts.tenancy import scope_queryset, sees_everything, tenant_in_scope, tenant_lookup_for


def _scoped_choices(model: type[models.Model], request: HttpRequest) -> models.QuerySet[Any] | None:
    if getattr(model, "tenant_lookup", None) is None:
        return None
    return scope_queryset(model._default_manager.all(), request.user)


def tenant_of(obj: models.Model) -> Any:
    """The Tenant an object belongs to, following its model's `tenant_lookup`; None when not reachable yet."""
    lookup = tenant_lookup_for(type(obj))
    current: Any = obj
    for part in lookup.split("__") if lookup else []:
        try:
            current = getattr(current, part)
        except ObjectDoesNotExist:
            return None
        if current is None:
            return None
    return current


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A sidebar filter on a tenant-owned relation that lists only the rows the user may see.

    Django's default lists every row of the related table, which would show other tenants' names.
    """

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        related = scope_queryset(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            related = related.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in related]


def _is_tenant_owned_relation(model: type[models.Model], name: str) -> bool:
    """True when the list_filter entry `name` (possibly spanning relations) ends on a tenant-owned model."""
    current = model
    field: Any = None
    for part in name.split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # a lookup like "created_at__date" is no relation
            return False
        if not field.is_relation:
            return False
        current = field.related_model
    return field is not None and getattr(current, "tenant_lookup", None) is not None


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


class ReadOnlyAdminMixin:
    """No add, change or delete through the admin: the rows are written by services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenantScopedAdmin(TenantScopedMixin, admin.ModelAdmin):
    """Base of every tenant-owned ModelAdmin."""

    list_per_page = 50

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> Any:
        # Out of scope and nonexistent look the same: 404, so ids of other tenants are not confirmed.
        raise Http404(f"No {opts.verbose_name} with id {object_id} for you.")

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # A service that refuses the save (a rule checked under a row lock) rolls the whole form back;
        # the operator sees why as an error message instead of a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BillingError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())

    def tenant_for_save(self, obj: Any) -> Any:
        """The tenant a saved object will belong to; admins whose tenant is derived override this."""
        return tenant_of(obj)

    def check_save_scope(self, request: HttpRequest, obj: Any) -> None:
        """Refuse saving `obj` into a tenant outside the user's subtree (admins that save through a
        service instead of `super().save_model` call this themselves)."""
        tenant = self.tenant_for_save(obj)
        # Form choices are scoped already; this is the second line of defence for anything they miss.
        if not sees_everything(request.user) and (tenant is None or not tenant_in_scope(request.user, tenant)):
            raise PermissionDenied("That tenant is outside your part of the tenant tree.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self.check_save_scope(request, obj)
        super().save_model(request, obj, form, change)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # Most staff work in their own tenant: preselect it when the model has an editable tenant field.
        editable = {f.name for f in self.model._meta.concrete_fields if f.editable}
        if "tenant" in editable and "tenant" not in initial and getattr(request.user, "tenant_id", None):
            initial["tenant"] = request.user.tenant_id
        return initial

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters: list[Any] = []
        hide_tenant = (
            not sees_everything(request.user) and request.user.tenant_id and not request.user.tenant.children.exists()
        )
        for item in super().get_list_filter(request):
            # The tenant filter only helps staff who can see more than one tenant.
            if hide_tenant and item == "tenant":
                continue
            if isinstance(item, str) and _is_tenant_owned_relation(self.model, item):
                item = (item, ScopedRelatedFieldListFilter)
            filters.append(item)
        return filters
