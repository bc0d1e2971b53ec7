"""Users: a tenant's staff manage the users of their own subtree only.

Rules for staff of a tenant (platform superusers without a tenant are not bound by them):
- a user they create or edit must belong to a tenant of their subtree (the tenant cannot be cleared);
- they can never grant `is_superuser`, and cannot edit or delete a superuser;
- they can hand out only groups and permissions they hold themselves, so nobody escalates by proxy.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.http import HttpRequest

from accounts.models import User
from accounts.tenancy import sees_everything

from .mixins import TenantScopedAdmin


def _own_permissions(user: User) -> Any:
    if user.is_superuser:
        return Permission.objects.all()
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


@admin.register(User)
class UserAdmin(TenantScopedAdmin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "tenant", "customer", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "is_superuser", "tenant", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
    list_select_related = ("tenant", "customer")
    autocomplete_fields = ("customer",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Tenancy", {"fields": ("tenant", "customer", "language")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2", "tenant", "is_staff", "email"),
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not sees_everything(request.user):
            readonly += ["is_superuser", "last_login", "date_joined"]
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if "tenant" in form.base_fields and not sees_everything(request.user):
            form.base_fields["tenant"].required = True
        return form

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not sees_everything(request.user):
            own = _own_permissions(request.user)
            if db_field.name == "user_permissions":
                kwargs["queryset"] = own.select_related("content_type")
            elif db_field.name == "groups":
                # A group is offered only when every permission in it is one the requesting user holds.
                kwargs["queryset"] = Group.objects.exclude(permissions__in=Permission.objects.exclude(pk__in=own))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not sees_everything(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not sees_everything(request.user):
            return False
        return super().has_delete_permission(request, obj)
