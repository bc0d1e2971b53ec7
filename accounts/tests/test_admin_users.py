"""Users and tenants in the back office: staff manage their own subtree and never escalate past it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import Tenant, User
from accounts.tests.conftest import change_form_data, login
from accounts.tests.factories import make_staff, make_tenant, unit

pytestmark = pytest.mark.django_db


def _new_user(username: str, tenant: Tenant | None, **extra: object) -> dict[str, object]:
    return {
        "username": username,
        "usable_password": "true",
        "password1": "A-long-pass-2024!",
        "password2": "A-long-pass-2024!",
        "tenant": tenant.pk if tenant else "",
        "is_staff": "on",
        **extra,
    }


def test_tenant_staff_create_users_in_their_own_subtree(reseller_a_staff, reseller_a):
    client = login(reseller_a_staff)

    response = client.post("/admin/accounts/user/add/", _new_user("new-clerk", reseller_a))

    assert response.status_code == 302
    assert User.objects.get(username="new-clerk").tenant == reseller_a


def test_tenant_staff_cannot_create_a_user_in_another_tenant(reseller_a_staff, reseller_b):
    client = login(reseller_a_staff)

    response = client.post("/admin/accounts/user/add/", _new_user("spy", reseller_b))

    assert "tenant" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="spy").exists()


def test_tenant_staff_cannot_create_a_user_without_a_tenant(reseller_a_staff):
    client = login(reseller_a_staff)

    response = client.post("/admin/accounts/user/add/", _new_user("floating", None))

    assert "tenant" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="floating").exists()


def test_tenant_staff_cannot_grant_superuser_nor_clear_the_tenant(reseller_a_staff, reseller_a):
    clerk = make_staff(tenant=reseller_a, username="clerk")
    client = login(reseller_a_staff)
    data = change_form_data(client.get(f"/admin/accounts/user/{clerk.pk}/change/"))

    granted = client.post(f"/admin/accounts/user/{clerk.pk}/change/", {**data, "is_superuser": "on"})
    cleared = client.post(f"/admin/accounts/user/{clerk.pk}/change/", {**data, "tenant": ""})

    assert granted.status_code == 302  # the field is read-only for them: the save ignores it
    assert "tenant" in cleared.context["adminform"].form.errors
    clerk.refresh_from_db()
    assert clerk.is_superuser is False
    assert clerk.tenant == reseller_a


def test_tenant_staff_cannot_edit_a_superuser_of_their_tenant(reseller_a_staff, reseller_a):
    boss = make_staff(tenant=reseller_a, username="boss", superuser=True)
    client = login(reseller_a_staff)

    password_page = client.get(f"/admin/accounts/user/{boss.pk}/password/")
    data = change_form_data(client.get(f"/admin/accounts/user/{boss.pk}/change/"))
    post = client.post(f"/admin/accounts/user/{boss.pk}/change/", {**data, "email": "mine@example.com"})

    assert password_page.status_code == 403
    assert post.status_code == 403
    boss.refresh_from_db()
    assert boss.email == ""


def test_tenant_staff_can_only_hand_out_groups_and_permissions_they_hold(reseller_a_staff, reseller_a):
    powerful = Group.objects.create(name="Platform auditors")
    powerful.permissions.add(Permission.objects.get(codename="change_group"))
    client = login(reseller_a_staff)

    response = client.get("/admin/accounts/user/add/")
    clerk = make_staff(tenant=reseller_a, username="clerk2")
    change = client.get(f"/admin/accounts/user/{clerk.pk}/change/")

    assert response.status_code == 200
    groups = change.context["adminform"].form.fields["groups"].queryset
    permissions = change.context["adminform"].form.fields["user_permissions"].queryset
    assert "Tenant administrators" in {g.name for g in groups}
    assert powerful not in groups
    assert not permissions.filter(codename="change_group").exists()


def test_another_tenants_user_is_not_found(reseller_a_staff, reseller_b_staff):
    client = login(reseller_a_staff)

    response = client.get(f"/admin/accounts/user/{reseller_b_staff.pk}/change/")

    assert response.status_code == 404


def test_platform_superuser_can_create_a_tenantless_superuser(platform_admin):
    client = login(platform_admin)

    response = client.post("/admin/accounts/user/add/", _new_user("root2", None, is_superuser="on"))
    created = User.objects.get(username="root2")
    data = change_form_data(client.get(f"/admin/accounts/user/{created.pk}/change/"))
    client.post(f"/admin/accounts/user/{created.pk}/change/", {**data, "is_superuser": "on"})

    assert response.status_code == 302
    created.refresh_from_db()
    assert created.tenant is None
    assert created.is_superuser is True


def test_tenant_list_shows_the_tree_with_depth_and_counts(operator_staff, operator, branch_a, branch_b):
    make_tenant(name="Alpha Sub", parent=branch_a.tenant)
    client = login(operator_staff)

    response = client.get("/admin/accounts/tenant/")

    rows = {t.name: t for t in response.context["cl"].result_list}
    assert [t.name for t in response.context["cl"].result_list] == ["Operator", "Reseller A", "Alpha Sub", "Reseller B"]
    assert (rows["Operator"].depth, rows["Operator"].children_n) == (0, 2)
    assert (rows["Reseller A"].depth, rows["Reseller A"].children_n, rows["Reseller A"].customers_n) == (1, 1, 1)
    assert (rows["Alpha Sub"].depth, rows["Alpha Sub"].accounts_n) == (2, 0)


def test_reseller_staff_add_resellers_only_below_themselves(reseller_a_staff, reseller_a, reseller_b):
    client = login(reseller_a_staff)
    base = {"name": "Sub", "default_currency": unit("EUR").pk, "rounding": "ROUND_HALF_UP", "children-TOTAL_FORMS": 0}
    base |= {"children-INITIAL_FORMS": 0}

    below = client.post("/admin/accounts/tenant/add/", {**base, "code": "sub-a", "parent": reseller_a.pk})
    beside = client.post("/admin/accounts/tenant/add/", {**base, "code": "sub-b", "parent": reseller_b.pk})
    root = client.post("/admin/accounts/tenant/add/", {**base, "code": "sub-root", "parent": ""})

    assert below.status_code == 302
    created = Tenant.objects.get(code="sub-a")
    assert created.path == f"{reseller_a.path}{created.pk}/"
    assert created.kind == "reseller"
    assert "parent" in beside.context["adminform"].form.errors
    assert "parent" in root.context["adminform"].form.errors
    assert not Tenant.objects.filter(code__in=["sub-b", "sub-root"]).exists()


def test_reseller_staff_cannot_delete_their_own_tenant(reseller_a_staff, reseller_a):
    client = login(reseller_a_staff)

    response = client.post(f"/admin/accounts/tenant/{reseller_a.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Tenant.objects.filter(pk=reseller_a.pk).exists()


def test_units_are_read_only_for_tenant_staff(operator_staff):
    client = login(operator_staff)
    eur = unit("EUR")

    listing = client.get("/admin/accounts/unit/")
    add = client.get("/admin/accounts/unit/add/")
    change = client.post(f"/admin/accounts/unit/{eur.pk}/change/", {"name": "Euro!", "kind": "currency"})

    assert listing.status_code == 200
    assert add.status_code == 403
    assert change.status_code == 403
    eur.refresh_from_db()
    assert eur.name != "Euro!"
