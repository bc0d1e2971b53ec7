"""API permissions: the API is for tenant staff (and platform superusers); portal users never get in."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from accounts.tenancy import sees_everything


class IsTenantStaff(BasePermission):
    message = "This API is for staff users of a tenant; use a tenant user's token."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        return sees_everything(user) or bool(user.is_staff and user.tenant_id and not user.customer_id)
