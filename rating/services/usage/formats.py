"""Reading usage files: a `UsageFormat` becomes a `FormatSpec` (plain data) and a `FormatReader`.

The reader turns lines into `UsageRow`s (normalised: subscriber, service, UTC start, usage in base units,
destination) or `RejectRow`s with a reason code; it never drops a line silently. Rules:
- CSV through the standard `csv` module: quoted or unquoted fields, CRLF or LF, a UTF-8 byte-order mark is
  skipped, undecodable bytes become U+FFFD (the line is then rejected for the field they spoil).
- A record with fewer columns than the mapping needs is `malformed`, or `truncated` when it is the last line
  of the file and has no line end. Blank lines are not records.
- Billable seconds come from the `duration` column (Asterisk and FreeSWITCH `billsec`), never from the
  timestamps; only a format without one falls back to end - answer. The rating start is the answer time
  when the format has one (that is when billing begins), else the start time.
- Timestamps without an offset are in the format's time zone (else the tenant's); `date_format` empty
  means ISO 8601. Dates in the future (beyond a day) or older than the tenant's late-record limit, and an
  end or answer before the start, are `out_of_order`.
- Record key: `<key_prefix>:<record id>` plus `:<leg>` when the format has a leg column; the content
  hash covers the normalised fields, so the same key with other content is told apart from a repeat.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rating.engine import RatingError, normalize_number
from rating.models import RejectReason, UsageFormat

from .records import RejectRow, UsageRow, content_hash, raw_key

SERVICES = ("voice", "sms", "data")
_TS_CACHE_LIMIT = 200_000


class FormatError(Exception):
    """The file as a whole cannot be read with this format (the run records it and raises an alert)."""


@dataclass(frozen=True)
class FormatSpec:
    """Everything the reader needs from a `UsageFormat`, as plain data."""

    code: str
    key_prefix: str
    mapping: dict[str, str]
    has_header: bool = False
    columns: tuple[str, ...] = ()
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    service: str = ""
    service_values: dict[str, str] = field(default_factory=dict)
    answered_values: tuple[str, ...] = ()
    date_format: str = ""
    timezone: str = "UTC"
    volume_unit: int = 1
    leg_policy: str = "each"
    subscriber_kind: str = "msisdn"

    @classmethod
    def from_model(cls, fmt: UsageFormat, *, tenant_timezone: str = "UTC") -> FormatSpec:
        return cls(
            code=fmt.code,
            key_prefix=fmt.key_prefix,
            mapping={k: str(v) for k, v in (fmt.mapping or {}).items() if v},
            has_header=fmt.has_header,
            columns=tuple(str(c) for c in fmt.columns or ()),
            delimiter=fmt.delimiter or ",",
            quotechar=fmt.quotechar or '"',
            encoding=fmt.encoding or "utf-8",
            service=fmt.service,
            service_values={str(k): str(v) for k, v in (fmt.service_values or {}).items()},
            answered_values=tuple(str(v) for v in fmt.answered_values or ()),
            date_format=fmt.date_format,
            timezone=fmt.timezone or tenant_timezone or "UTC",
            volume_unit=fmt.volume_unit or 1,
            leg_policy=fmt.leg_policy,
            subscriber_kind=fmt.subscriber_kind,
        )


def normalise_subscriber(raw: str, kind: str = "msisdn") -> str:
    """MSISDNs as digits without '+' or '00'; other identifier kinds (SIP user, IMSI...) only trimmed."""
    value = raw.strip()
    if kind != "msisdn":
        return value
    if value.startswith("+"):
        value = value[1:]
    elif value.startswith("00"):
        value = value[2:]
    return value if value.isascii() and value.isdecimal() else ""


class _Bad(Exception):
    """A field that cannot be read; carries the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class FormatReader:
    """Reads one file (or a list of lines) with one format; see the module docstring for the rules."""

    def __init__(self, spec: FormatSpec, *, now: datetime | None = None, late_days: int = 62) -> None:
        self.spec = spec
        try:
            self.zone = ZoneInfo(spec.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise FormatError(f"unknown time zone {spec.timezone!r}") from exc
        self.now = now or datetime.now(UTC)
        self.latest = self.now + timedelta(days=1)
        self.earliest = self.now - timedelta(days=late_days)
        self._timestamps: dict[str, tuple[datetime, str]] = {}
        self._index: dict[str, int] = {}
        self._needed = 0
        if not spec.has_header:
            self._bind(spec.columns)

    # ------------------------------------------------------------------ columns

    def _bind(self, names: Iterable[str]) -> None:
        positions = {name.strip().lower(): i for i, name in enumerate(names)}
        index: dict[str, int] = {}
        for target, column in self.spec.mapping.items():
            position = positions.get(column.strip().lower())
            if position is None:
                raise FormatError(f"column {column!r} (for {target}) is not in the file's columns")
            index[target] = position
        for required in ("record_id", "subscriber", "start"):
            if required not in index:
                raise FormatError(f"the format maps no column to {required}")
        self._index = index
        self._needed = max(index.values()) + 1

    # ------------------------------------------------------------------ reading

    def read(self, stream: IO[bytes], *, skip: int = 0, chunk_size: int = 20_000) -> Iterator[list[Any]]:
        """Yield lists of at most `chunk_size` UsageRow/RejectRow, skipping the first `skip` records."""
        head = stream.read(4096)
        if b"\x00" in head:
            raise FormatError("the file looks binary (NUL bytes); is it the right format?")
        encoding = self.spec.encoding
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"  # skips a byte-order mark when there is one
        raw = io.BufferedReader(_Rewound(head, stream), buffer_size=1 << 20)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        yield from self.read_lines(text, skip=skip, chunk_size=chunk_size)

    def read_lines(self, lines: Iterable[str], *, skip: int = 0, chunk_size: int = 20_000) -> Iterator[list[Any]]:
        buffer: list[str] = []
        reader = csv.reader(_tracked(lines, buffer), delimiter=self.spec.delimiter, quotechar=self.spec.quotechar)
        chunk: list[Any] = []
        physical = 0  # physical lines consumed so far
        seen = 0
        if self.spec.has_header:
            header = next(reader, None)
            physical = reader.line_num
            buffer.clear()
            if header is None:
                return
            self._bind(header)
        normalise = self.normalise
        for fields in reader:
            line_no = physical + 1
            physical = reader.line_num
            raw = buffer[0] if len(buffer) == 1 else "".join(buffer)
            buffer.clear()
            if not fields:
                continue
            seen += 1
            if seen <= skip:
                continue
            chunk.append(normalise(line_no, raw, fields))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # ------------------------------------------------------------------ one record

    def normalise(self, line_no: int, raw: str, fields: list[str]) -> UsageRow | RejectRow:
        index = self._index
        spec = self.spec
        if len(fields) < self._needed:
            complete = raw.endswith("\n") or raw.endswith("\r")
            reason = RejectReason.MALFORMED if complete else RejectReason.TRUNCATED
            line = raw.rstrip("\r\n")
            return RejectRow(line_no, line, raw_key(line), 0, reason, f"{len(fields)} columns, need {self._needed}")
        record_id = fields[index["record_id"]].strip()
        line = raw.rstrip("\r\n")
        if not record_id:
            return RejectRow(line_no, line, raw_key(line), 0, RejectReason.MALFORMED, "record id is empty")
        key = f"{spec.key_prefix}:{record_id}"
        leg = 0
        try:
            if "leg" in index:
                leg_text = fields[index["leg"]].strip() or "0"
                if not leg_text.isdecimal():
                    raise _Bad(RejectReason.MALFORMED, f"leg {leg_text!r} is not a number")
                leg = int(leg_text)
                key = f"{key}:{leg}"
            values = self._values(fields)
        except _Bad as bad:
            return RejectRow(line_no, line, key, content_hash(line), bad.reason, bad.detail, self.partial(fields))
        subscriber, service, start, start_text, usage, destination, answered = values
        chash = content_hash(subscriber, service, start_text, usage, destination, answered)
        row = UsageRow(
            line_no, line, key, chash, subscriber, service, start, start_text, usage, destination, answered,
            record_id, leg,
        )  # fmt: skip
        if start > self.latest or start < self.earliest:
            when = "in the future" if start > self.latest else "older than the late-record limit"
            return RejectRow.of(row, RejectReason.OUT_OF_ORDER, f"start {start_text} is {when}")
        return row

    def _values(self, fields: list[str]) -> tuple[str, str, datetime, str, int, str, bool]:
        index = self._index
        spec = self.spec
        subscriber = normalise_subscriber(fields[index["subscriber"]], spec.subscriber_kind)
        if not subscriber:
            raise _Bad(RejectReason.MALFORMED, f"subscriber {fields[index['subscriber']]!r} is not usable")
        if "service" in index:
            raw_service = fields[index["service"]].strip()
            service = spec.service_values.get(raw_service, raw_service.lower())
        else:
            service = spec.service
        if service not in SERVICES:
            raise _Bad(RejectReason.UNKNOWN_SERVICE, f"service {service!r} is not voice, sms or data")
        start, start_text = self._timestamp(fields[index["start"]], "start")
        answer = self._optional_timestamp(fields, "answer")
        end = self._optional_timestamp(fields, "end")
        if (answer is not None and answer < start) or (end is not None and end < (answer or start)):
            raise _Bad(RejectReason.OUT_OF_ORDER, "the end or answer time is before the start")
        if answer is not None:
            start, start_text = answer, self._text(answer)
        usage = self._usage(fields, service, answer or start, end)
        destination = ""
        if "destination" in index:
            try:
                destination = normalize_number(fields[index["destination"]])
            except RatingError as exc:
                raise _Bad(RejectReason.MALFORMED, exc.message) from exc
        if not destination and service != "data":
            raise _Bad(RejectReason.MALFORMED, "destination is empty")
        answered = True
        if spec.answered_values and "disposition" in index:
            answered = fields[index["disposition"]].strip() in spec.answered_values
        return subscriber, service, start, start_text, usage, destination, answered

    def partial(self, fields: list[str]) -> dict[str, Any]:
        """The normalised fields that can be read from a rejected line, one by one (for the rejects queue:
        a correction then only has to supply the bad ones)."""
        index = self._index
        found: dict[str, Any] = {}
        if len(fields) < self._needed:
            return found
        attempts = {
            "subscriber": lambda: normalise_subscriber(fields[index["subscriber"]], self.spec.subscriber_kind) or None,
            "service": lambda: self._values_service(fields),
            "start": lambda: self._timestamp(fields[index["start"]], "start")[0].isoformat(),
            "destination": lambda: normalize_number(fields[index["destination"]]) if "destination" in index else "",
        }
        for name, attempt in attempts.items():
            try:
                value = attempt()
            except (_Bad, RatingError, ValueError):
                continue
            if value is not None:
                found[name] = value
        if "start" in found and "service" in found:
            try:
                begin = datetime.fromisoformat(found["start"])
                found["usage"] = self._usage(fields, found["service"], begin, self._optional_timestamp(fields, "end"))
            except (_Bad, ValueError):
                pass
        return found

    def _values_service(self, fields: list[str]) -> str | None:
        if "service" not in self._index:
            return self.spec.service or None
        raw_service = fields[self._index["service"]].strip()
        service = self.spec.service_values.get(raw_service, raw_service.lower())
        return service if service in SERVICES else None

    def _usage(self, fields: list[str], service: str, begin: datetime, end: datetime | None) -> int:
        index = self._index
        if service == "voice":
            if "duration" in index:
                return self._integer(fields[index["duration"]], "duration")
            if end is None:
                raise _Bad(RejectReason.MALFORMED, "no duration column and no end time")
            return int((end - begin).total_seconds())
        if "volume" in index and fields[index["volume"]].strip():
            volume = self._integer(fields[index["volume"]], "volume")
        elif "volume_up" in index or "volume_down" in index:
            volume = sum(self._integer(fields[index[c]] or "0", c) for c in ("volume_up", "volume_down") if c in index)
        elif service == "sms":
            return 1
        else:
            raise _Bad(RejectReason.MALFORMED, "data record without a volume")
        return volume * self.spec.volume_unit if service == "data" else volume

    @staticmethod
    def _integer(text: str, what: str) -> int:
        value = text.strip()
        if not value.isdecimal():
            raise _Bad(RejectReason.MALFORMED, f"{what} {text!r} is not a whole non-negative number")
        return int(value)

    def _optional_timestamp(self, fields: list[str], name: str) -> datetime | None:
        position = self._index.get(name)
        if position is None or not fields[position].strip():
            return None
        return self._timestamp(fields[position], name)[0]

    def _timestamp(self, text: str, what: str) -> tuple[datetime, str]:
        # Records of one file share few distinct seconds: parse each string once.
        hit = self._timestamps.get(text)
        if hit is not None:
            return hit
        value = text.strip()
        try:
            if not self.spec.date_format:
                moment = datetime.fromisoformat(value)
            elif self.spec.date_format == "epoch":
                moment = datetime.fromtimestamp(int(value), UTC)
            else:
                moment = datetime.strptime(value, self.spec.date_format)
        except (ValueError, OverflowError) as exc:
            raise _Bad(RejectReason.MALFORMED, f"{what} {text!r} is not a date") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        moment = moment.astimezone(UTC)
        result = (moment, self._text(moment))
        if len(self._timestamps) >= _TS_CACHE_LIMIT:
            self._timestamps.clear()
        self._timestamps[text] = result
        return result

    @staticmethod
    def _text(moment: datetime) -> str:
        return moment.isoformat(sep=" ")


def _tracked(lines: Iterable[str], buffer: list[str]) -> Iterator[str]:
    """Feed `lines` to the csv reader while keeping the physical lines of the current record."""
    for line in lines:
        buffer.append(line)
        yield line


class _Rewound(io.RawIOBase):
    """A binary stream that replays the bytes already sniffed before continuing with the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
