"""The plain objects a usage record becomes on its way through the pipeline (no ORM inside).

A line of a file (or a real-time event) becomes a `UsageRow` when its fields could be read, or a
`RejectRow` when not; the pipeline then fills in the subscription, the price and the debit of each row.
Slotted classes with positional constructors: a million of them are made per benchmark run.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")

# Ledger item units that hold allowances: unit code -> (service, base units per unit). The engine counts
# seconds, messages and bytes; a minutes pocket of 300 is 18,000 seconds. Other item units (videos,
# bundles...) are not usage allowances.
ALLOWANCE_UNITS: dict[str, tuple[str, int]] = {
    "SEC": ("voice", 1),
    "MIN": ("voice", 60),
    "SMS": ("sms", 1),
    "MB": ("data", 1024 * 1024),
}


def content_hash(*parts: object) -> int:
    """A stable signed 64-bit hash of a record's normalised content (Python's hash() changes per process)."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def raw_key(raw_line: str) -> str:
    """The key of a line whose record id cannot be read: a digest of the raw line itself."""
    return "raw:" + hashlib.blake2b(raw_line.encode(), digest_size=12).hexdigest()


class UsageRow:
    """A normalised usage record. `start` is UTC; `start_text` is its COPY text; `usage` in base units."""

    __slots__ = (
        "account",
        "answered",
        "balance_after",
        "bands",
        "call_id",
        "charged",
        "chash",
        "cost",
        "covered",
        "debited",
        "deck",
        "destination",
        "flagged",
        "key",
        "leg",
        "line_no",
        "offset",
        "prefix",
        "raw",
        "service",
        "start",
        "start_text",
        "step",
        "subscriber",
        "subscription_id",
        "tariff",
        "usage",
        "uses",
        "version",
    )

    def __init__(
        self,
        line_no: int,
        raw: str,
        key: str,
        chash: int,
        subscriber: str,
        service: str,
        start: datetime,
        start_text: str,
        usage: int,
        destination: str,
        answered: bool,
        call_id: str = "",
        leg: int = 0,
    ) -> None:
        self.line_no = line_no
        self.raw = raw
        self.key = key
        self.chash = chash
        self.subscriber = subscriber
        self.service = service
        self.start = start
        self.start_text = start_text
        self.usage = usage
        self.destination = destination
        self.answered = answered
        self.call_id = call_id
        self.leg = leg
        self.offset = 0
        self.subscription_id: int | None = None
        self.account: Any = None
        self.tariff: Any = None
        self.deck: Any = None
        self.cost = ZERO
        self.prefix = ""
        self.bands = ""
        self.step: int | None = None
        self.version: datetime | None = None
        self.covered = 0
        self.charged = 0
        self.uses: list[tuple[int, int, Decimal]] = []  # (pocket id, base units used, pocket units taken)
        self.debited = ZERO
        self.flagged = ""
        self.balance_after: Decimal | None = None

    def fields(self) -> dict[str, Any]:
        """The normalised fields, JSON-ready: what a reject keeps and what a correction edits."""
        return {
            "subscriber": self.subscriber,
            "service": self.service,
            "start": self.start.isoformat(),
            "usage": self.usage,
            "destination": self.destination,
            "answered": self.answered,
        }


class RejectRow:
    """A record that will be kept as a rejected record with its reason."""

    __slots__ = ("chash", "detail", "fields", "key", "line_no", "raw", "reason", "usage_id")

    def __init__(
        self,
        line_no: int,
        raw: str,
        key: str,
        chash: int,
        reason: str,
        detail: str,
        fields: dict[str, Any] | None = None,
        usage_id: int | None = None,
    ) -> None:
        self.line_no = line_no
        self.raw = raw
        self.key = key
        self.chash = chash
        self.reason = reason
        self.detail = detail[:255]
        self.fields = fields or {}
        self.usage_id = usage_id

    @classmethod
    def of(cls, row: UsageRow, reason: str, detail: str, usage_id: int | None = None) -> RejectRow:
        return cls(row.line_no, row.raw, row.key, row.chash, reason, detail, row.fields(), usage_id)
