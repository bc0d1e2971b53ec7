"""Tariff revisions: every change that alters how a tariff rates bumps `Tariff.revision`.

Rating processes cache compiled decks by revision (`rating.tariffs`), so this is cache invalidation,
not business logic: a saved or deleted step, tariff, time band or holiday (admin, API, shell) moves the
revision of the tariffs it affects. Bulk writes that send no signals (the rate-deck import's
bulk_create) call `tariff_revision_bump` themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from rating.models import Holiday, Tariff, TariffRateStep, TimeBand


def tariff_revision_bump(*, tariff_ids: list[int] | None = None, tenant_id: int | None = None) -> None:
    """Move the revision of the given tariffs and of every tariff of `tenant_id` (an update: no signals)."""
    which = Q(pk__in=tariff_ids or [])
    if tenant_id is not None:
        which |= Q(tenant_id=tenant_id)
    Tariff.objects.filter(which).update(revision=F("revision") + 1)


@receiver([post_save, post_delete], sender=TariffRateStep, dispatch_uid="rating.step_changed")
def _step_changed(sender: Any, instance: TariffRateStep, **kwargs: Any) -> None:
    tariff_revision_bump(tariff_ids=[instance.tariff_id])


@receiver(post_save, sender=Tariff, dispatch_uid="rating.tariff_saved")
def _tariff_saved(sender: Any, instance: Tariff, created: bool, **kwargs: Any) -> None:
    # Its rounding, cap or minimum may have changed; the update below sends no signal, so no loop.
    if not created:
        tariff_revision_bump(tariff_ids=[instance.pk])


@receiver(post_save, sender=TimeBand, dispatch_uid="rating.band_changed")
def _band_changed(sender: Any, instance: TimeBand, **kwargs: Any) -> None:
    # Steps may name a band of a tenant above the tariff's (staff of the operator can pick it), so the
    # tariffs using the band move too, not only those of its tenant. (A used band cannot be deleted.)
    users = list(TariffRateStep.objects.filter(time_band=instance).values_list("tariff_id", flat=True).distinct())
    tariff_revision_bump(tariff_ids=users, tenant_id=instance.tenant_id)


@receiver(post_delete, sender=TimeBand, dispatch_uid="rating.band_deleted")
@receiver([post_save, post_delete], sender=Holiday, dispatch_uid="rating.holiday_changed")
def _calendar_changed(sender: Any, instance: TimeBand | Holiday, **kwargs: Any) -> None:
    tariff_revision_bump(tenant_id=instance.tenant_id)
