"""The one tenant-scoping mechanism used by the admin, the API and the services.

Each tenant-owned model says how it reaches its tenant with a class attribute `tenant_lookup` (the ORM
path to a Tenant, e.g. "tenant" or "transaction__tenant"; "" for Tenant itself). `scope_queryset`
narrows any queryset to the subtree of the user's tenant: a superuser without a tenant sees
everything, staff of a tenant see that tenant and its resellers, anyone else sees nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

M = TypeVar("M", bound=models.Model)


def tenant_lookup_for(model: type[models.Model]) -> str:
    lookup = getattr(model, "tenant_lookup", None)
    if lookup is None:
        raise TypeError(f"{model.__name__} declares no tenant_lookup; it cannot be scoped to a tenant")
    return str(lookup)


def subtree_q(model: type[models.Model], tenant: Any) -> Q:
    """A Q that keeps the rows of `model` that belong to `tenant` or any tenant below it."""
    lookup = tenant_lookup_for(model)
    prefix = f"{lookup}__" if lookup else ""
    return Q(**{f"{prefix}path__startswith": tenant.path})


def ancestors_q(model: type[models.Model], tenant: Any) -> Q:
    """A Q that keeps the rows of `model` that belong to a tenant strictly above `tenant` (its catalog sources)."""
    lookup = tenant_lookup_for(model)
    prefix = f"{lookup}__" if lookup else ""
    ancestor_ids = [int(pk) for pk in tenant.path.strip("/").split("/")[:-1] if pk]
    return Q(**{f"{prefix}pk__in": ancestor_ids})


def sees_everything(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser and not user.tenant_id)


def scope_queryset(queryset: models.QuerySet[M], user: Any, *, include_ancestors: bool = False) -> models.QuerySet[M]:
    """Narrow `queryset` to what `user` may see (see module docstring).

    `include_ancestors` also keeps rows of the tenants above the user's: a reseller sells the catalog
    of the operator above it, so products are chosen from the subtree plus the ancestors.
    """
    if sees_everything(user):
        return queryset
    if not user or not user.is_authenticated or not user.tenant_id or not user.is_staff:
        return queryset.none()
    visible = subtree_q(queryset.model, user.tenant)
    if include_ancestors:
        visible |= ancestors_q(queryset.model, user.tenant)
    return queryset.filter(visible)


def tenant_in_scope(user: Any, tenant: Any) -> bool:
    if sees_everything(user):
        return True
    return bool(user.tenant_id and tenant is not None and tenant.path.startswith(user.tenant.path))


def scope_queryset_with_ancestors(queryset: models.QuerySet[M], user: Any) -> models.QuerySet[M]:
    """Like `scope_queryset`, plus the rows of the tenants above the user's: what a reseller inherits
    (e.g. the operator's catalog products its accounts may subscribe to), never a sibling's rows."""
    if sees_everything(user):
        return queryset
    if not user or not user.is_authenticated or not user.tenant_id or not user.is_staff:
        return queryset.none()
    lookup = tenant_lookup_for(queryset.model)
    ancestor_ids = [int(pk) for pk in user.tenant.path.strip("/").split("/") if pk]
    prefix = f"{lookup}__" if lookup else ""
    return queryset.filter(subtree_q(queryset.model, user.tenant) | Q(**{f"{prefix}pk__in": ancestor_ids}))
