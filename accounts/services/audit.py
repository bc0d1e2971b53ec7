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
