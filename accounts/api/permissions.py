"""API permissions: the API is for tenant staff (and platform superusers); portal users never get in.

On top of the tenant scope, staff need the same model permissions the back office asks for (view
for reads, add/change/delete for writes), so a read-only clerk's token cannot move money either.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission, DjangoModelPermissions

from accounts.tenancy import sees_everything


class IsTenantStaff(BasePermission):
    message = "This API is for staff users of a tenant; use a tenant user's token."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        return sees_everything(user) or bool(user.is_staff and user.tenant_id and not user.customer_id)


class TenantModelPermissions(DjangoModelPermissions):
    """Django model permissions, including `view_<model>` for reads (DRF's default asks nothing for GET)."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class CanPostLedger(BasePermission):
    """Top-ups and adjustments write ledger transactions: the role must be allowed to add them."""

    message = "Your role may not post ledger transactions (accounts.add_ledgertransaction)."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.has_perm("accounts.add_ledgertransaction"))


STAFF_WITH_MODEL_PERMISSIONS = [IsTenantStaff, TenantModelPermissions]
