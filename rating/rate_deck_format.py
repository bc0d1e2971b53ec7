"""The rate-deck CSV: reading and validating a wholesale operator's deck line by line (no database).

Header (any order, case-insensitive; one row per rate step)::

    prefix,destination,time_band,effective_from,interval_start,connect_fee,rate,rate_unit,increment,rounding,decimals,max_cost

Required on every line: ``prefix``, ``effective_from``, ``rate``, ``rate_unit``, ``increment``; the
other columns may be empty. The format, units and examples are documented in docs/rating.md.

Validation is in two passes. Each line alone: every field parses (reasons name the column and the
value). Then per group, a group being one rate's steps ``(prefix, time_band, effective_from)``: interval
starts strictly increase in file order and begin at 0, no step repeats, and later steps do not
contradict the rate-level columns of the step at 0 (``connect_fee``, ``rounding``, ``decimals``,
``max_cost`` are the rate's, so later steps leave them empty or repeat them). A group with one bad line
is rejected whole - loading the good half of a rate would price calls wrongly - and each of its lines
is reported. A line whose prefix reads but whose date or band does not taints every group of that prefix.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from rating.engine import GB, KB, MB, RatingError
from rating.engine.prefix import normalize_prefix
from rating.exceptions import RateDeckInvalid

COLUMNS = (
    "prefix", "destination", "time_band", "effective_from", "interval_start", "connect_fee", "rate",
    "rate_unit", "increment", "rounding", "decimals", "max_cost",
)  # fmt: skip
REQUIRED = ("prefix", "effective_from", "rate", "rate_unit", "increment")
ROUNDINGS = {"up": "up", "half_up": "half_up", "halfup": "half_up", "down": "down"}
MAX_DECIMALS = 6  # rated costs are stored with 6 places; more would be rounded away unseen
MAX_PRICE_DIGITS = 12  # integer digits of a DecimalField(max_digits=18, decimal_places=6)
MAX_QUANTITY = 2**31 - 1  # rate_unit and increment are PositiveIntegerFields
MAX_START = 2**63 - 1  # interval_start is big: data tiers start beyond 2 GB
# Unit suffixes of interval_start, rate_unit and increment, per service (bytes: 1 KB = 1024 bytes).
SUFFIXES: dict[str, dict[str, int]] = {
    "voice": {"s": 1, "sec": 1, "min": 60},
    "sms": {"sms": 1, "msg": 1},
    "data": {"b": 1, "kb": KB, "mb": MB, "gb": GB},
}
_QUANTITY = re.compile(r"^(\d+)?\s*([a-z]+)?$")

GroupKey = tuple[str, str | None, datetime]


class LineError(ValueError):
    """One field of one line is unusable; the message names the column and says why."""


@dataclass(frozen=True, slots=True)
class DeckLine:
    """A line that parsed: values in storage form (prefix normalised, units in base units)."""

    line: int
    text: str
    prefix: str
    destination: str
    time_band: str | None
    effective_from: datetime
    interval_start: int
    connect_fee: Decimal | None
    rate: Decimal
    rate_unit: int
    increment: int
    rounding: str
    decimals: int | None
    max_cost: Decimal | None

    @property
    def key(self) -> GroupKey:
        return (self.prefix, self.time_band, self.effective_from)


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    reason: str
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason, "text": self.text}


@dataclass
class ParsedDeck:
    """The good groups (each a rate's steps in order) and every rejected line, in line order."""

    read: int = 0
    groups: dict[GroupKey, list[DeckLine]] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def group_label(key: GroupKey) -> str:
    prefix, band, effective = key
    return f"prefix {prefix}, band {band or 'any'}, from {effective.isoformat()}"


# ----------------------------------------------------------------------------- fields


def _decimal(column: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        hint = " (use a dot as the decimal separator)" if "," in text else ""
        raise LineError(f"{column} {text!r} is not a decimal number{hint}") from None
    if not value.is_finite() or value < 0:
        raise LineError(f"{column} {text!r} must be a non-negative amount")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise LineError(f"{column} {text!r} has more than {MAX_DECIMALS} decimal places")
    if value.adjusted() >= MAX_PRICE_DIGITS:
        raise LineError(f"{column} {text!r} is too large")
    return value


def _quantity(column: str, text: str, service: str, minimum: int, maximum: int = MAX_QUANTITY) -> int:
    match = _QUANTITY.match(text.lower())
    if match is None or match.group(0) == "":
        raise LineError(f"{column} {text!r} is not a whole number (optionally with a unit such as 60s or 1MB)")
    number, suffix = match.groups()
    factor = 1
    if suffix is not None:
        units = SUFFIXES[service]
        if suffix not in units:
            raise LineError(f"{column} {text!r}: unit {suffix!r} is not one of {', '.join(units)} for {service}")
        factor = units[suffix]
    value = (int(number) if number is not None else 1) * factor
    if value < minimum or value > maximum:
        raise LineError(f"{column} {text!r} must be between {minimum} and {maximum}")
    return value


def _instant(text: str, zone: ZoneInfo) -> datetime:
    try:
        if len(text) == 10:
            # A bare date starts at midnight on the tenant's wall clock, like the tenant's billing days.
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise LineError(f"effective_from {text!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time") from None
    return value if value.utcoffset() is not None else value.replace(tzinfo=zone)


def _parse_line(
    number: int, text: str, row: Mapping[str, str], service: str, bands: Mapping[str, str], zone: ZoneInfo
) -> DeckLine:
    for column in REQUIRED:
        if not row[column]:
            raise LineError(f"{column} is required")
    try:
        prefix = normalize_prefix(row["prefix"])
    except RatingError:
        raise LineError(f"prefix {row['prefix']!r} is not digits (optionally +, 00) or * for any destination") from None
    if len(prefix) > 32:
        raise LineError(f"prefix {row['prefix']!r} is longer than 32 digits")
    band = None
    if row["time_band"]:
        band = bands.get(row["time_band"].lower())
        if band is None:
            raise LineError(f"time_band {row['time_band']!r} is not one of this tenant's time bands")
    rounding = ""
    if row["rounding"]:
        rounding = ROUNDINGS.get(row["rounding"].lower().replace("-", "_"), "")
        if not rounding:
            raise LineError(f"rounding {row['rounding']!r} is not one of up, half_up, down")
    decimals = None
    if row["decimals"]:
        if not row["decimals"].isdigit() or int(row["decimals"]) > MAX_DECIMALS:
            raise LineError(f"decimals {row['decimals']!r} must be a whole number from 0 to {MAX_DECIMALS}")
        decimals = int(row["decimals"])
    if len(row["destination"]) > 120:
        raise LineError("destination is longer than 120 characters")
    return DeckLine(
        line=number,
        text=text,
        prefix=prefix,
        destination=row["destination"],
        time_band=band,
        effective_from=_instant(row["effective_from"], zone),
        interval_start=_quantity("interval_start", row["interval_start"], service, 0, MAX_START)
        if row["interval_start"]
        else 0,
        connect_fee=_decimal("connect_fee", row["connect_fee"]) if row["connect_fee"] else None,
        rate=_decimal("rate", row["rate"]),
        rate_unit=_quantity("rate_unit", row["rate_unit"], service, 1),
        increment=_quantity("increment", row["increment"], service, 1),
        rounding=rounding,
        decimals=decimals,
        max_cost=_decimal("max_cost", row["max_cost"]) if row["max_cost"] else None,
    )


# ----------------------------------------------------------------------------- file


def _text(data: bytes) -> str:
    try:
        # utf-8-sig drops a byte-order mark when there is one (spreadsheets write it).
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RateDeckInvalid(f"The file is not UTF-8 text (line {line}, byte {exc.start}).") from None


def _records(text: str, on_error: Callable[[int, str], None]) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the number of the physical line each starts on; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            on_error(previous_end + 1, f"not valid CSV: {exc}")
            previous_end = reader.line_num
            continue
        start, previous_end = previous_end + 1, reader.line_num
        if any(value.strip() for value in fields):
            yield start, fields


def _header(fields: list[str], deck: ParsedDeck) -> list[str]:
    names = [name.strip().lower() for name in fields]
    missing = [column for column in COLUMNS if column not in names]
    if [column for column in missing if column in REQUIRED]:
        raise RateDeckInvalid(f"The first line must be the header {','.join(COLUMNS)}; missing: {', '.join(missing)}.")
    if len(set(names)) != len(names):
        raise RateDeckInvalid("The header names a column twice.")
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        deck.warnings.append(f"Ignored unknown column(s): {', '.join(unknown)}.")
    return names


def parse_rate_deck(
    data: bytes,
    *,
    service: str,
    bands: Mapping[str, str],
    timezone: str,
    progress: Callable[[int], None] | None = None,
) -> ParsedDeck:
    """Read and validate a deck. `bands` maps lower-cased band names to the tenant's spelling.

    Raises RateDeckInvalid when the file is not a deck at all; everything else is a per-line rejection.
    """
    deck = ParsedDeck()
    zone = ZoneInfo(timezone)
    reasons: dict[int, Rejection] = {}

    def reject(line: int, reason: str, text: str = "") -> None:
        reasons.setdefault(line, Rejection(line, reason, text))

    def unreadable(line: int, reason: str) -> None:
        deck.read += 1
        reject(line, reason)

    records = _records(_text(data), unreadable)
    first = next(records, None)
    if first is None:
        raise RateDeckInvalid("The file is empty.")
    names = _header(first[1], deck)
    groups: dict[GroupKey, list[DeckLine]] = defaultdict(list)
    tainted: dict[GroupKey, Rejection] = {}
    tainted_prefixes: dict[str, Rejection] = {}
    for number, fields in records:
        deck.read += 1
        text = ",".join(fields)
        if progress is not None and deck.read % 1000 == 0:
            progress(deck.read)
        if len(fields) != len(names):
            reject(number, f"expected {len(names)} fields, found {len(fields)}", text)
            continue
        row = dict.fromkeys(COLUMNS, "") | {n: v.strip() for n, v in zip(names, fields, strict=True)}
        try:
            parsed = _parse_line(number, text, row, service, bands, zone)
        except LineError as exc:
            reject(number, str(exc), text)
            try:
                # Which rate the bad line belonged to, so its group goes with it.
                prefix = normalize_prefix(row["prefix"])
            except RatingError:
                continue
            partial = _parse_key(row, bands, zone, prefix)
            if partial is None:
                tainted_prefixes.setdefault(prefix, reasons[number])
            else:
                tainted.setdefault(partial, reasons[number])
            continue
        groups[parsed.key].append(parsed)
    for key, lines in groups.items():
        cause = tainted.get(key) or tainted_prefixes.get(key[0]) or _group_problem(lines, reject)
        if cause is None:
            deck.groups[key] = lines
            continue
        for line in lines:
            reject(
                line.line, f"rejected with its group ({group_label(key)}): line {cause.line}: {cause.reason}", line.text
            )
    deck.rejected = sorted(reasons.values(), key=lambda r: r.line)
    if progress is not None:
        progress(deck.read)
    return deck


def _parse_key(row: Mapping[str, str], bands: Mapping[str, str], zone: ZoneInfo, prefix: str) -> GroupKey | None:
    """The group of a line that failed elsewhere, when its band and date read; None when they do not."""
    band = bands.get(row["time_band"].lower()) if row["time_band"] else None
    if row["time_band"] and band is None:
        return None
    try:
        return (prefix, band, _instant(row["effective_from"], zone))
    except LineError:
        return None


def _group_problem(lines: list[DeckLine], reject: Callable[[int, str, str], None]) -> Rejection | None:
    """Check one rate's steps (in file order); report and return the first problem, None when sound."""
    first = lines[0]
    seen: dict[int, int] = {}
    for previous, line in zip([None, *lines], lines, strict=False):
        reason = None
        if line.interval_start in seen:
            reason = (
                f"duplicate step: interval_start {line.interval_start} is already on line {seen[line.interval_start]}"
            )
        elif previous is not None and line.interval_start <= previous.interval_start:
            reason = (
                f"interval_start {line.interval_start} does not increase "
                f"(line {previous.line} of the same rate has {previous.interval_start})"
            )
        elif line is not first:
            reason = _contradicts(first, line)
        seen.setdefault(line.interval_start, line.line)
        if reason is not None:
            reject(line.line, reason, line.text)
            return Rejection(line.line, reason, line.text)
    if first.interval_start != 0:
        reason = f"the rate's first step starts at {first.interval_start}; it must start at interval_start 0"
        reject(first.line, reason, first.text)
        return Rejection(first.line, reason, first.text)
    return None


def _contradicts(first: DeckLine, line: DeckLine) -> str | None:
    """Rate-level columns on a later step must be empty or repeat the first step's (a 0 fee counts as empty)."""
    if line.connect_fee and line.connect_fee != (first.connect_fee or 0):
        return f"connect_fee {line.connect_fee} differs from the rate's first step (line {first.line})"
    for column in ("rounding", "decimals", "max_cost"):
        value = getattr(line, column)
        if value not in (None, "") and value != getattr(first, column):
            return f"{column} {value} differs from the rate's first step (line {first.line})"
    return None
