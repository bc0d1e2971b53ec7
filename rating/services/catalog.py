"""Catalog writes from the API and the back office: products, price plans, charges, tariffs, bands, holidays.

One pair of use cases for this reference data: `catalog_save` (validate, save, audit who changed what)
and `catalog_delete` (refused with 409 while something still refers to the row, e.g. a plan sold in a
subscription or a band named by a tariff step). Tariff revisions move through `rating.signals`.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError

from accounts.admin.mixins import tenant_of
from accounts.exceptions import InvalidState
from accounts.services import apply_changes, audit_record


def _action(instance: models.Model, verb: str) -> str:
    return f"{instance._meta.model_name}.{verb}"


def catalog_save(*, instance: models.Model, changes: dict[str, Any] | None = None, actor: Any = None) -> models.Model:
    """Create `instance` (changes=None) or apply `changes` to it; full_clean first, audited either way."""
    with transaction.atomic():
        if changes is None:
            instance.full_clean()
            instance.save()
            audit_record(action=_action(instance, "create"), obj=instance, tenant=tenant_of(instance), actor=actor)
            return instance
        before, after = apply_changes(instance, changes)
        if after:
            instance.full_clean()
            instance.save()
            audit_record(
                action=_action(instance, "update"), obj=instance, tenant=tenant_of(instance), actor=actor,
                before=before, after=after,
            )  # fmt: skip
        return instance


def catalog_delete(*, instance: models.Model, actor: Any = None) -> None:
    """Delete a catalog row nothing refers to any more; InvalidState (409) names what still uses it."""
    with transaction.atomic():
        audit_record(action=_action(instance, "delete"), obj=instance, tenant=tenant_of(instance), actor=actor)
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as exc:
            users = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            raise InvalidState(
                f"{instance} is still used by {', '.join(users)}; deactivate or end it instead.",
                code="in_use",
            ) from exc
