"""Dated tariff versions: which version is in force at an instant, and a deck that rates with it.

A version's ``effective_from`` of ``None`` means "in force since ever"; two versions may not share a
date.  ``RateDeck`` compiles every version once and rates each record with the version in force at the
record's **start** (a call that begins before a change is priced entirely at the old rates).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from operator import itemgetter
from typing import Protocol, TypeVar

from .rate import CompiledTariff, rate_record
from .types import BAD_INPUT, BAD_TARIFF, NO_TARIFF, Pocket, RatingError, RatingResult, Tariff, UsageRecord

_BEGINNING = datetime.min.replace(tzinfo=UTC)


class Versioned(Protocol):
    @property
    def effective_from(self) -> datetime | None: ...


V = TypeVar("V", bound=Versioned)


def _effective_key(version: Versioned) -> datetime:
    effective = version.effective_from
    if effective is None:
        return _BEGINNING
    if effective.utcoffset() is None:
        raise RatingError(BAD_INPUT, "effective_from must be timezone-aware")
    return effective


def select_in_force(versions: Iterable[V], at: datetime) -> V:
    """The version with the latest ``effective_from <= at`` (``None`` = in force since ever)."""
    if at.utcoffset() is None:
        raise RatingError(BAD_INPUT, "instant must be timezone-aware")
    keyed = sorted(((_effective_key(v), v) for v in versions), key=itemgetter(0))
    keys = [key for key, _ in keyed]
    if any(a == b for a, b in pairwise(keys)):
        raise RatingError(BAD_TARIFF, "two versions share the same effective_from")
    position = bisect_right(keys, at)
    if position == 0:
        raise RatingError(NO_TARIFF, f"no tariff version in force at {at.isoformat()}")
    return keyed[position - 1][1]


class RateDeck:
    """Dated versions of a tariff, compiled once; rates each record with the version then in force."""

    __slots__ = ("_keys", "_versions")

    def __init__(self, versions: Iterable[Tariff | CompiledTariff]) -> None:
        compiled = [v if isinstance(v, CompiledTariff) else CompiledTariff(v) for v in versions]
        compiled.sort(key=_effective_key)
        self._keys = [_effective_key(v) for v in compiled]
        if len(set(self._keys)) != len(self._keys):
            raise RatingError(BAD_TARIFF, "two versions share the same effective_from")
        self._versions = compiled

    def at(self, instant: datetime) -> CompiledTariff:
        if instant.utcoffset() is None:
            raise RatingError(BAD_INPUT, "instant must be timezone-aware")
        position = bisect_right(self._keys, instant)
        if position == 0:
            raise RatingError(NO_TARIFF, f"no tariff version in force at {instant.isoformat()}")
        return self._versions[position - 1]

    def rate_record(self, record: UsageRecord, pockets: Sequence[Pocket] = ()) -> RatingResult:
        return rate_record(record, self.at(record.start), pockets)
