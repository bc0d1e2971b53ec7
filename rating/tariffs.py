"""Tariff loader: the TariffRateStep rows of a tariff as the engine's dated `RateDeck`, compiled once per process.

How the rows become engine data
-------------------------------
* Rows group by ``(prefix, time_band)`` into an engine ``Rate`` whose steps are ordered by
  ``interval_start``; the row at ``interval_start`` 0 gives the rate's ``destination``, ``connect_fee``
  and its per-rate terms.
* Per-row ``rounding`` / ``decimals`` / ``max_cost`` (the rate-deck columns) override the Tariff's
  defaults for records priced at that rate (``engine.Rate`` terms); empty keeps the Tariff's. They are
  read from the step at ``interval_start`` 0 (the import refuses later steps that contradict it).
  ``min_charge``, ``min_charge_on_zero`` and ``tiered`` are Tariff-level only.
* Effective dates are per rate, as wholesale decks announce them: the engine version in force from
  instant D holds, for every ``(prefix, time_band)``, the steps of its latest ``effective_from <= D``.
  A deck that re-sends every destination at the new date is a full replacement; one that sends only
  the changed destinations leaves the others as they were. Old records re-rate with the rates of their
  own instant, because the old rows are kept.
* The calendar of a version is the tariff tenant's time zone and holidays plus the bands its rates
  name (ordered by name); bands the tariff never names are left out so they cannot shadow its own.

Caching: a compiled deck is kept per process under ``(tariff_id, Tariff.revision, tenant time zone)``.
``Tariff.revision`` is bumped by every change to the tariff, its steps, or its tenant's bands and
holidays (``rating.signals``, and the rate-deck import), so each call costs one indexed read and
mass rating compiles a deck once. ``tariff_deck_invalidate`` drops this process's copies.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from rating import engine
from rating.exceptions import AmbiguousTariff, TariffNotFound
from rating.models import ChargeKind, Holiday, PricePlan, Tariff, TariffRateStep


class StepRow(NamedTuple):
    """One TariffRateStep as the loader reads it (band details inlined from the TimeBand row)."""

    prefix: str
    destination: str
    effective_from: datetime
    interval_start: int
    connect_fee: Decimal
    rate: Decimal
    rate_unit: int
    increment: int
    rounding: str
    decimals: int | None
    max_cost: Decimal | None
    band: str | None
    band_weekdays: list[int] | None
    band_start: time | None
    band_end: time | None
    band_holidays_only: bool | None


_STEP_COLUMNS = (
    "prefix", "destination", "effective_from", "interval_start", "connect_fee", "rate", "rate_unit",
    "increment", "rounding", "decimals", "max_cost", "time_band__name", "time_band__weekdays",
    "time_band__start", "time_band__end", "time_band__holidays_only",
)  # fmt: skip

_cache: dict[int, tuple[tuple[object, ...], engine.RateDeck]] = {}
_cache_lock = threading.Lock()


def _engine_rate(rows: list[StepRow]) -> engine.Rate:
    first = rows[0]
    return engine.Rate(
        prefix=first.prefix,
        destination=first.destination,
        steps=tuple(engine.RateStep(r.interval_start, r.rate, r.rate_unit, r.increment) for r in rows),
        connect_fee=first.connect_fee,
        time_band=first.band,
        rounding=first.rounding or None,  # type: ignore[arg-type]
        decimals=first.decimals,
        max_cost=first.max_cost,
    )


def _band(row: StepRow) -> engine.TimeBand:
    return engine.TimeBand(
        name=row.band or "",
        weekdays=frozenset(row.band_weekdays or ()) or engine.ALL_WEEKDAYS,
        start=row.band_start or time(0),
        end=row.band_end or time(0),
        holidays_only=bool(row.band_holidays_only),
    )


def tariff_versions(
    *, tariff: Tariff, rows: Iterable[StepRow], holidays: frozenset[date] = frozenset()
) -> list[engine.Tariff]:
    """The engine versions of `tariff` built from its step rows (pure: no queries; see the module rules)."""
    by_date: dict[datetime, dict[tuple[str, str | None], list[StepRow]]] = defaultdict(lambda: defaultdict(list))
    bands: dict[str, engine.TimeBand] = {}
    for row in rows:
        by_date[row.effective_from][(row.prefix, row.band)].append(row)
        if row.band is not None and row.band not in bands:
            bands[row.band] = _band(row)
    in_force: dict[tuple[str, str | None], engine.Rate] = {}
    versions: list[engine.Tariff] = []
    for effective_from in sorted(by_date):
        for key, group in by_date[effective_from].items():
            group.sort(key=lambda r: r.interval_start)
            in_force[key] = _engine_rate(group)
        rates = tuple(in_force.values())
        named = sorted({rate.time_band for rate in rates if rate.time_band is not None})
        calendar = (
            engine.BandCalendar(tariff.tenant.timezone, tuple(bands[name] for name in named), holidays)
            if named
            else None
        )
        versions.append(
            engine.Tariff(
                currency=tariff.currency.code,
                service=tariff.service,  # type: ignore[arg-type]
                rates=rates,
                calendar=calendar,
                rounding=tariff.rounding,  # type: ignore[arg-type]
                decimals=tariff.decimals,
                max_cost=tariff.max_cost,
                min_charge=tariff.min_charge,
                min_charge_on_zero=tariff.min_charge_on_zero,
                tiered=tariff.tiered,
                effective_from=effective_from,
                name=tariff.code,
            )
        )
    return versions


def _deck_build(tariff_id: int) -> engine.RateDeck:
    tariff = Tariff.objects.select_related("tenant", "currency").get(pk=tariff_id)
    # One query for all the steps, however many thousand prefixes the deck has.
    rows = [
        StepRow(*values) for values in TariffRateStep.objects.filter(tariff_id=tariff_id).values_list(*_STEP_COLUMNS)
    ]
    holidays = frozenset(Holiday.objects.filter(tenant_id=tariff.tenant_id).values_list("date", flat=True))
    return engine.RateDeck(tariff_versions(tariff=tariff, rows=rows, holidays=holidays))


def tariff_deck_for(*, tariff_id: int) -> engine.RateDeck:
    """The compiled, dated deck of a tariff: ``deck.rate_record(UsageRecord(...), pockets=...)``.

    Cached per process by the tariff's revision (one indexed read per call; a compile only after a
    change). Raises TariffNotFound for an unknown id, and ``engine.RatingError("bad_tariff")`` when the
    stored steps cannot form a tariff (e.g. a rate without a step at interval_start 0).
    """
    token = Tariff.objects.filter(pk=tariff_id).values_list("revision", "tenant__timezone").first()
    if token is None:
        raise TariffNotFound(f"No tariff #{tariff_id}.")
    cached = _cache.get(tariff_id)
    if cached is not None and cached[0] == token:
        return cached[1]
    # The token was read before the rows: a change racing the build leaves a newer deck under an older
    # token, which the next call rebuilds - never an older deck under a newer token.
    deck = _deck_build(tariff_id)
    with _cache_lock:
        _cache[tariff_id] = (token, deck)
    return deck


def tariff_deck_invalidate(*, tariff_id: int | None = None) -> None:
    """Forget this process's compiled deck of one tariff (or of all tariffs)."""
    with _cache_lock:
        if tariff_id is None:
            _cache.clear()
        else:
            _cache.pop(tariff_id, None)


def plan_tariff_for(*, price_plan: PricePlan, service: str) -> Tariff:
    """The Tariff of the plan's usage charge for `service` ("voice", "sms" or "data").

    Raises TariffNotFound when the plan has no such charge and AmbiguousTariff when it has several.
    """
    tariffs = list(
        Tariff.objects.filter(
            charges__price_plan=price_plan, charges__kind=ChargeKind.USAGE, charges__service=service
        ).distinct()[:2]
    )
    if not tariffs:
        raise TariffNotFound(f"Price plan {price_plan.code} has no usage charge for {service}.")
    if len(tariffs) > 1:
        raise AmbiguousTariff(f"Price plan {price_plan.code} has several usage charges for {service}.")
    return tariffs[0]
