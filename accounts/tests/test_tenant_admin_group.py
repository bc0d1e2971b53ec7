"""The tenant-administrator role: every model permission of the project's apps, kept in sync."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.services import TENANT_ADMIN_GROUP, tenant_admin_group_sync

pytestmark = pytest.mark.django_db


def test_group_holds_every_permission_of_the_project_apps_and_none_of_django_auth():
    group = tenant_admin_group_sync()

    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("accounts", "add_customer") in granted
    assert ("accounts", "view_ledgerentry") in granted
    assert ("rating", "change_product") in granted
    assert not any(app in {"auth", "authtoken", "sessions"} for app, _ in granted)


def test_sync_twice_keeps_one_group_and_restores_a_removed_permission():
    group = tenant_admin_group_sync()
    total = group.permissions.count()
    group.permissions.remove(Permission.objects.get(codename="delete_customer"))

    tenant_admin_group_sync()

    assert Group.objects.filter(name=TENANT_ADMIN_GROUP).count() == 1
    assert group.permissions.count() == total
