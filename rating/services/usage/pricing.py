"""Pricing rows with the engine: allowances first, then the tariff; memoised, no database access.

Allowances: an account's item pockets (minutes, SMS, MB, seconds) are held in memory as `PocketState`
with their balance in the pocket's own unit. For each record the engine sees them in base units (seconds,
messages, bytes) and covers the record's head (`rating.engine.allowance`); what a pocket gave is then
taken from it rounded **up** to the pocket unit's quantum (a 61 s call covered by a minutes pocket takes
2 minutes; data is taken in 0.001 MB), never more than it holds. So the ledger debit of a pocket is the
exact sum of what its records took, and a re-rate can give exactly that back.

Memoisation: without allowances (and for non-tiered tariffs) the price of a record depends only on the
tariff version, the rate each band part falls on, the part boundaries, the usage and whether it was
answered - not on the full destination number or the start instant. `Pricer` keys its cache on exactly
those, so the many records that share them are priced once. The cache is exact, not approximate.

Continued legs (leg policy `continue`): leg n of a call costs price(offset + usage) - price(offset), with
`offset` the usage of the earlier legs, so connect fee and first steps are charged once per call and the
legs' costs add up to the price of the whole call. A continued leg that an allowance covers is priced on
its own (the allowance already takes the head).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Context, Decimal
from typing import Any

from rating.engine import SERVICE_UNITS, Pocket, RateDeck, UsageRecord, rate_record
from rating.engine.rate import CompiledTariff

from .records import UsageRow

_CTX = Context(prec=40)
_STORED = Decimal("0.000001")  # RatedUsage.cost keeps six decimals
_MEMO_LIMIT = 1_000_000


@dataclass(eq=False, slots=True)
class PocketState:
    """An item pocket as the pipeline sees it: `balance` moves record by record, `committed` at commit."""

    id: int
    account_id: int
    unit_id: int
    service: str
    factor: int  # base units (s, messages, bytes) per pocket unit
    quantum: Decimal  # smallest amount of the pocket's unit
    balance: Decimal
    committed: Decimal
    priority: int
    valid_from: datetime | None
    valid_to: datetime | None

    def usable_at(self, at: datetime) -> bool:
        return (
            self.balance > 0
            and (self.valid_from is None or self.valid_from <= at)
            and (self.valid_to is None or at < self.valid_to)
        )


class Priced:
    """What a record's price came from (kept on the rated row; the full breakdown is recomputable)."""

    __slots__ = ("bands", "cost", "prefix", "step")

    def __init__(self, cost: Decimal, prefix: str, bands: str, step: int | None) -> None:
        self.cost = cost
        self.prefix = prefix
        self.bands = bands
        self.step = step


def _summary(result: Any) -> Priced:
    cost = result.cost
    if cost.as_tuple().exponent < -6:  # tariffs may keep more decimals than the stored column
        cost = cost.quantize(_STORED, ROUND_HALF_UP)
    parts = result.parts
    step = parts[-1].steps[-1].interval_start if parts and parts[-1].steps else None
    bands = ",".join(band for band in result.time_bands if band)
    return Priced(cost, result.prefix, bands, step)


class Pricer:
    """Prices `UsageRow`s against rate decks; one instance per import (its cache lives as long)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], Priced] = {}
        self.hits = 0
        self.misses = 0

    def price(self, row: UsageRow, deck: RateDeck, pockets: list[PocketState] | None = None) -> None:
        """Fill the row's cost, prefix, bands, step, version, covered/charged usage and allowance uses.

        Raises `RatingError` (no_tariff, bad_input) and changes nothing on the row when it does.
        """
        compiled = deck.at(row.start)
        if pockets and row.usage and row.answered:
            usable = [p for p in pockets if p.service == row.service and p.usable_at(row.start)]
            if usable:
                self._with_allowances(row, compiled, usable)
                return
        if compiled.tariff.tiered:
            priced = _summary(rate_record(self._record(row, row.start, row.usage), compiled))
        elif row.offset:
            origin = row.start - timedelta(seconds=row.offset) if row.service == "voice" else row.start
            whole = self._memoised(compiled, row, origin, row.offset + row.usage)
            before = self._memoised(compiled, row, origin, row.offset)
            priced = Priced(whole.cost - before.cost, whole.prefix, whole.bands, whole.step)
        else:
            priced = self._memoised(compiled, row, row.start, row.usage)
        row.cost = priced.cost
        row.prefix = priced.prefix
        row.bands = priced.bands
        row.step = priced.step
        row.version = compiled.effective_from
        row.covered = 0
        row.charged = row.usage if row.answered else 0
        if row.uses:  # left from an attempt whose chunk was rolled back
            row.uses = []

    @staticmethod
    def _record(row: UsageRow, start: datetime, usage: int) -> UsageRecord:
        return UsageRecord(row.service, row.destination, start, usage, row.answered)  # type: ignore[arg-type]

    def _memoised(self, compiled: CompiledTariff, row: UsageRow, start: datetime, usage: int) -> Priced:
        calendar = compiled.calendar
        number = row.destination
        key: tuple[Any, ...]
        if not usage or not row.answered:
            band = calendar.band_at(start) if calendar is not None else None
            key = (compiled, 0, band, compiled.lookup(number, band), usage, row.answered)
        elif calendar is None:
            key = (compiled, 1, compiled.lookup(number, None), usage)
        elif row.service == "voice":
            spans = tuple((lo, hi, b, compiled.lookup(number, b)) for lo, hi, b in calendar.split_raw(start, usage))
            key = (compiled, 2, spans, usage)
        else:
            band = calendar.band_at(start)
            key = (compiled, 3, band, compiled.lookup(number, band), usage)
        priced = self._memo.get(key)
        if priced is not None:
            self.hits += 1
            return priced
        self.misses += 1
        priced = _summary(rate_record(self._record(row, start, usage), compiled))
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = priced
        return priced

    def _with_allowances(self, row: UsageRow, compiled: CompiledTariff, usable: list[PocketState]) -> None:
        unit = SERVICE_UNITS[row.service]
        engine_pockets = [
            Pocket(str(p.id), unit, int(p.balance * p.factor), p.priority, p.valid_from, p.valid_to) for p in usable
        ]
        result = rate_record(self._record(row, row.start, row.usage), compiled, engine_pockets)
        by_id = {p.id: p for p in usable}
        uses = []
        for use in result.allowances:
            pocket = by_id[int(use.pocket_id)]
            taken = _CTX.divide(Decimal(use.used), Decimal(pocket.factor)).quantize(pocket.quantum, ROUND_UP)
            taken = min(taken, pocket.balance)
            uses.append((pocket.id, use.used, taken))
        # Only now that the engine accepted the record do the pockets move.
        for pocket_id, _, taken in uses:
            by_id[pocket_id].balance -= taken
        priced = _summary(result)
        row.cost = priced.cost
        row.prefix = priced.prefix
        row.bands = priced.bands
        row.step = priced.step
        row.version = compiled.effective_from
        row.covered = result.covered
        row.charged = result.charged_usage
        row.uses = uses
