"""The audit trail, read-only: who did what to which object, with the values before and after."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html

from accounts.models import AuditEvent

from .mixins import ReadOnlyAdminMixin, TenantScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "actor", "tenant")
    list_filter = ("action", "object_type", "created_at", "tenant")
    search_fields = ("=object_id", "action", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "tenant")
    show_full_result_count = False
    fields = ("created_at", "action", "object_type", "object_id", "actor", "tenant", "before_json", "after_json")
    readonly_fields = fields

    @admin.display(description="before")
    def before_json(self, obj: AuditEvent) -> str:
        return self._pretty(obj.before)

    @admin.display(description="after")
    def after_json(self, obj: AuditEvent) -> str:
        return self._pretty(obj.after)

    @staticmethod
    def _pretty(value: Any) -> str:
        if value is None:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))
