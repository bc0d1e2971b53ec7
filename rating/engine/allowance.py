"""Allowance (bundle) consumption across an account's item pockets.

Rules
-----
* A pocket is eligible for a record when its ``unit`` equals the record service's base unit
  (``seconds`` / ``messages`` / ``bytes``, see ``SERVICE_UNITS``), its balance is positive and the
  record's start instant lies in ``valid_from <= start < valid_to`` (``None`` = unbounded).  Validity is
  judged at the record's start only: a call that begins before a pocket expires may use all of it.
* Eligible pockets are consumed in order of ``priority`` (lower first), then earliest ``valid_to``
  (pockets that never expire last), then the order given.
* Consumption is in raw base units (seconds, messages, bytes), before any increment rounding; the
  record's head is covered and only the tail that no pocket covers is priced.  A record that exhausts
  one pocket continues on the next one.
* Nothing is mutated: the caller gets ``AllowanceUse`` rows (pocket id, amount used, balance after)
  and is responsible for debiting the pockets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .types import BAD_INPUT, AllowanceUse, Pocket, RatingError


def _check_pocket(pocket: Pocket) -> None:
    balance = pocket.balance
    if not isinstance(balance, int) or isinstance(balance, bool) or balance < 0:
        raise RatingError(BAD_INPUT, f"pocket {pocket.id!r}: balance must be a non-negative integer")
    for bound in (pocket.valid_from, pocket.valid_to):
        if bound is not None and (not isinstance(bound, datetime) or bound.utcoffset() is None):
            raise RatingError(BAD_INPUT, f"pocket {pocket.id!r}: validity bounds must be aware datetimes")


def _order_key(pocket: Pocket) -> tuple[int, bool, datetime | None]:
    # (priority, never-expires, expiry): False sorts before True, so pockets with an expiry come first.
    return (pocket.priority, pocket.valid_to is None, pocket.valid_to)


def eligible_pockets(pockets: Iterable[Pocket], unit: str, at: datetime) -> list[Pocket]:
    """Pockets usable for ``unit`` at instant ``at``, in consumption order."""
    usable: list[Pocket] = []
    for pocket in pockets:
        _check_pocket(pocket)
        if pocket.unit != unit or pocket.balance == 0:
            continue
        if pocket.valid_from is not None and at < pocket.valid_from:
            continue
        if pocket.valid_to is not None and at >= pocket.valid_to:
            continue
        usable.append(pocket)
    usable.sort(key=_order_key)
    return usable


def consume(pockets: Iterable[Pocket], unit: str, at: datetime, amount: int) -> tuple[int, tuple[AllowanceUse, ...]]:
    """Cover up to ``amount`` units from the eligible pockets.

    Returns ``(covered, uses)`` where ``covered <= amount`` is the total drawn and ``uses`` lists each
    pocket touched, in consumption order.  ``amount - covered`` is what remains to be priced.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise RatingError(BAD_INPUT, "amount to cover must be a non-negative integer")
    if at.utcoffset() is None:
        raise RatingError(BAD_INPUT, "record start must be timezone-aware")
    remaining = amount
    uses: list[AllowanceUse] = []
    for pocket in eligible_pockets(pockets, unit, at):
        if remaining == 0:
            break
        used = min(pocket.balance, remaining)
        remaining -= used
        uses.append(AllowanceUse(pocket.id, unit, used, pocket.balance - used))
    return amount - remaining, tuple(uses)
