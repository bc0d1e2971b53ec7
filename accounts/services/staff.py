"""Back-office roles: the permission groups that staff users of a tenant are given.

Roles grant model permissions only; which rows a staff user sees is decided by tenant scoping
(accounts/tenancy.py), so one "Tenant administrators" group serves the operator and every reseller.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

TENANT_ADMIN_GROUP = "Tenant administrators"
# The project's own apps; Django's auth, sessions and token tables stay with platform superusers.
PROJECT_APPS = ("accounts", "rating", "invoicing", "payments", "promotions", "dunning", "selfcare")


def tenant_admin_group_sync() -> Group:
    """Create or refresh the tenant-administrator group: every model permission of the project's apps.

    Idempotent: a rerun only adds the permissions of models added since (e.g. after a migration).
    """
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=TENANT_ADMIN_GROUP)
        wanted = Permission.objects.filter(content_type__app_label__in=PROJECT_APPS)
        missing = wanted.exclude(pk__in=group.permissions.values("pk"))
        if missing.exists():
            group.permissions.add(*missing)
        return group
