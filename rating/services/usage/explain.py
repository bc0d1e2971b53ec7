"""Explaining a rated record down to its steps: the full breakdown is recomputed, not stored.

A rated row keeps what produced its price (tariff and version, prefix, bands, last step, allowance uses,
continued-leg offset); storing the engine's full breakdown per row would multiply the table's size for a
view that is rarely opened. Recomputing is exact as long as the tariff version's rates were not edited in
place (a correction should be a new version; after an in-place fix, re-rate): `matches` says whether the
recomputed cost equals the stored one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.exceptions import BillingError
from rating.engine import SERVICE_UNITS, Pocket, RatingError, UsageRecord, rate_record
from rating.models import RatedUsage
from rating.tariffs import tariff_deck_for

from .rerate import usage_row_of


def rated_usage_explain(*, usage: RatedUsage) -> dict[str, Any]:
    """The engine's breakdown of a rated record (steps, increments, bands, allowances), recomputed."""
    if usage.tariff_id is None:
        return {"matches": False, "error": "the record has no tariff"}
    row = usage_row_of(usage)
    try:
        compiled = tariff_deck_for(tariff_id=usage.tariff_id).at(usage.start)
        uses = (usage.breakdown or {}).get("allowances", [])
        # Pockets that hold exactly what the record used, in the order it used them.
        pockets = [
            Pocket(str(use["pocket"]), SERVICE_UNITS[usage.service], int(use["used"]), priority=i)
            for i, use in enumerate(uses)
        ]
        if usage.call_offset and not pockets:
            origin = usage.start - timedelta(seconds=usage.call_offset) if usage.service == "voice" else usage.start
            whole = rate_record(
                UsageRecord(usage.service, usage.destination, origin, usage.call_offset + usage.usage, row.answered),  # type: ignore[arg-type]
                compiled,
            )
            before = rate_record(
                UsageRecord(usage.service, usage.destination, origin, usage.call_offset, row.answered),  # type: ignore[arg-type]
                compiled,
            )
            cost = whole.cost - before.cost
            return {"matches": cost == usage.cost, "cost": format(cost, "f"), "whole_call": whole.to_dict(),
                    "earlier_legs": before.to_dict()}  # fmt: skip
        record = UsageRecord(usage.service, usage.destination, usage.start, usage.usage, row.answered)  # type: ignore[arg-type]
        result = rate_record(record, compiled, pockets)
    except (RatingError, BillingError) as exc:
        return {"matches": False, "error": exc.message}
    return {"matches": result.cost == usage.cost, "cost": format(result.cost, "f"), "breakdown": result.to_dict()}
