"""Audit trail: money-moving services record who did what, in the same database transaction."""

from __future__ import annotations

from typing import Any

from accounts.models import AuditEvent


def audit_record(
    *,
    action: str,
    obj: Any,
    actor: Any = None,
    tenant: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event for `obj`; call it inside the service's transaction."""
    return AuditEvent.objects.create(
        tenant=tenant if tenant is not None else getattr(obj, "tenant", None),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
    )


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, str)) else str(value)


def apply_changes(obj: Any, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the changed attributes on `obj`; returns the audit's (before, after) of the fields that changed.

    Values are made JSON-safe (Decimal and dates as strings) for the audit event.
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        current = getattr(obj, field)
        if current != value:
            before[field], after[field] = _json_value(current), _json_value(value)
            setattr(obj, field, value)
    return before, after
