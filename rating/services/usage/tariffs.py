"""Which tariff prices a subscription's usage, and its rate steps compiled into an engine `RateDeck`.

THIN ADAPTER, to be replaced by the catalog's `tariff_deck_for` / `plan_tariff_for` (same signatures)
once that branch is merged. Until then:
- `plan_tariff_for` takes the price plan's usage charge for the service;
- `tariff_deck_for` groups `TariffRateStep` rows into dated versions: every distinct `effective_from` starts
  a version holding, for each (prefix, time band), the latest rates effective at that instant. Time bands
  and holidays are the tariff's tenant's, in the tenant's time zone. Per-step rounding overrides are not
  read here (the catalog's deck builder owns that). Nothing is cached across calls: the import caches
  decks for its own duration, so a corrected tariff is seen by the next import or re-rate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from rating.engine import BandCalendar, RateDeck, RateStep
from rating.engine import Rate as EngineRate
from rating.engine import Tariff as EngineTariff
from rating.engine import TimeBand as EngineBand
from rating.models import Charge, ChargeKind, Holiday, PricePlan, Tariff, TariffRateStep, TimeBand


def plan_tariff_for(*, price_plan: PricePlan, service: str) -> Tariff | None:
    """The tariff of the plan's usage charge for `service` (voice, sms, data); None when it has none."""
    charge = (
        Charge.objects.filter(price_plan=price_plan, kind=ChargeKind.USAGE, service=service)
        .select_related("tariff")
        .order_by("id")
        .first()
    )
    return charge.tariff if charge is not None else None


def _calendar(tariff: Tariff) -> BandCalendar:
    bands = tuple(
        EngineBand(
            name=band.name,
            weekdays=frozenset(band.weekdays),
            start=band.start,
            end=band.end,
            holidays_only=band.holidays_only,
        )
        for band in TimeBand.objects.filter(tenant_id=tariff.tenant_id).order_by("id")
    )
    holidays = frozenset(Holiday.objects.filter(tenant_id=tariff.tenant_id).values_list("date", flat=True))
    return BandCalendar(timezone=tariff.tenant.timezone or "UTC", bands=bands, holidays=holidays)


def tariff_deck_for(*, tariff_id: int) -> RateDeck:
    """The tariff's rate steps as an engine RateDeck (one compiled version per effective date)."""
    tariff = Tariff.objects.select_related("currency", "tenant").get(pk=tariff_id)
    steps = TariffRateStep.objects.filter(tariff_id=tariff_id).select_related("time_band")
    # (prefix, band) -> effective_from -> ordered step rows
    groups: dict[tuple[str, str | None], dict[datetime, list[TariffRateStep]]] = defaultdict(lambda: defaultdict(list))
    for step in steps.order_by("prefix", "effective_from", "interval_start"):
        band = step.time_band.name if step.time_band_id else None
        groups[(step.prefix, band)][step.effective_from].append(step)
    calendar = _calendar(tariff) if any(band for _, band in groups) else None
    versions = []
    for effective in sorted({moment for dated in groups.values() for moment in dated}):
        rates = []
        for (prefix, band), dated in groups.items():
            in_force = [moment for moment in dated if moment <= effective]
            if not in_force:
                continue
            rows = dated[max(in_force)]
            rates.append(
                EngineRate(
                    prefix=prefix,
                    destination=rows[0].destination,
                    steps=tuple(RateStep(r.interval_start, r.rate, r.rate_unit, r.increment) for r in rows),
                    connect_fee=rows[0].connect_fee,
                    time_band=band,
                )
            )
        versions.append(
            EngineTariff(
                currency=tariff.currency.code,
                service=tariff.service,  # type: ignore[arg-type]
                rates=tuple(rates),
                calendar=calendar,
                rounding=tariff.rounding,  # type: ignore[arg-type]
                decimals=tariff.decimals,
                max_cost=tariff.max_cost,
                min_charge=tariff.min_charge,
                min_charge_on_zero=tariff.min_charge_on_zero,
                tiered=tariff.tiered,
                effective_from=effective,
                name=tariff.code,
            )
        )
    return RateDeck(versions)
