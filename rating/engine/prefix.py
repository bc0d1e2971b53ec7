"""Longest-prefix matching of destination numbers.

Numbers are normalised before matching: surrounding whitespace is dropped, then one leading ``'+'``
**or** one leading international ``'00'`` is stripped (``+34911...`` and ``0034911...`` both become
``34911...``).  What remains must be digits.  Prefixes are normalised the same way, so a deck may
spell a prefix ``+34`` or ``34``.

The matcher keeps a plain ``dict`` from prefix to value plus the distinct prefix lengths sorted
longest first; a lookup probes ``number[:length]`` for each length, so it costs at most one dict
probe per distinct length regardless of how many thousands of prefixes exist.  The catch-all
``'*'`` matches every number (including the empty one) and is always yielded last, so it only
backs the specific prefixes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar, cast

from .types import BAD_INPUT, RatingError

V = TypeVar("V")

CATCH_ALL = "*"
_MISSING = object()


def normalize_number(raw: str) -> str:
    """Strip whitespace, then one leading '+' or '00'; the rest must be digits (may be empty)."""
    if not isinstance(raw, str):
        raise RatingError(BAD_INPUT, f"destination must be a string, got {type(raw).__name__}")
    number = raw.strip()
    if number.startswith("+"):
        number = number[1:]
    elif number.startswith("00"):
        number = number[2:]
    # isdecimal() rejects '²' and similar that isdigit() accepts; isascii() rejects Arabic-Indic digits.
    if number and not (number.isascii() and number.isdecimal()):
        raise RatingError(BAD_INPUT, f"destination {raw!r} is not a number")
    return number


def normalize_prefix(raw: str) -> str:
    """Normalise a tariff prefix: ``'*'`` stays, anything else follows ``normalize_number``."""
    if raw == CATCH_ALL:
        return raw
    prefix = normalize_number(raw)
    if not prefix:
        raise RatingError(BAD_INPUT, f"prefix {raw!r} is empty; use '*' for a catch-all")
    return prefix


class PrefixMatcher(Generic[V]):
    """Immutable longest-prefix index over normalised prefixes (build once, match many times)."""

    __slots__ = ("_catch_all", "_lengths", "_table")

    def __init__(self, entries: Mapping[str, V]) -> None:
        table: dict[str, V] = {}
        catch_all: tuple[str, V] | None = None
        for raw, value in entries.items():
            prefix = normalize_prefix(raw)
            if prefix == CATCH_ALL:
                catch_all = (CATCH_ALL, value)
            elif prefix in table:
                raise RatingError(BAD_INPUT, f"prefix {raw!r} appears twice after normalisation")
            else:
                table[prefix] = value
        self._table = table
        self._lengths = tuple(sorted({len(p) for p in table}, reverse=True))
        self._catch_all = catch_all

    def __len__(self) -> int:
        return len(self._table) + (self._catch_all is not None)

    def match(self, number: str) -> tuple[str, V] | None:
        """Return ``(prefix, value)`` of the longest prefix of an already normalised number."""
        table = self._table
        size = len(number)
        for length in self._lengths:
            if length <= size:
                value = table.get(number[:length], _MISSING)
                if value is not _MISSING:
                    return number[:length], cast(V, value)
        return self._catch_all

    def matches(self, number: str) -> Iterator[tuple[str, V]]:
        """Yield every matching ``(prefix, value)``, longest first, the catch-all last."""
        table = self._table
        size = len(number)
        for length in self._lengths:
            if length <= size:
                value = table.get(number[:length], _MISSING)
                if value is not _MISSING:
                    yield number[:length], cast(V, value)
        if self._catch_all is not None:
            yield self._catch_all
