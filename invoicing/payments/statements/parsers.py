"""Bank statement files to plain lines: CSV with configurable columns, and ISO 20022 camt.053 XML.

A file is read whole or refused whole (`StatementRejected` names the row or entry): a statement half
imported would be worse than none. Each line carries the bank's unique id of the entry
(camt.053 `AcctSvcrRef`, a CSV id column) or, failing that, a digest of its content and position
among identical lines, so importing the same file again finds every line already there.
XML is parsed with expat directly and any DTD or entity declaration is refused, so neither entity
expansion ("billion laughs") nor external entities can be used against us.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

from accounts.money import MoneyError, to_decimal
from invoicing.payments.exceptions import StatementRejected
from invoicing.payments.models import Direction


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    bank_ref: str
    booking_date: date
    direction: str
    amount: Decimal
    currency: str
    reference: str
    counterparty: str
    raw: str


@dataclass(frozen=True)
class CsvLayout:
    """Which column holds what; amounts below zero are money out. `bank_ref` may be absent."""

    date: str = "date"
    amount: str = "amount"
    currency: str = "currency"
    reference: str = "reference"
    counterparty: str = "counterparty"
    bank_ref: str = "id"
    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    decimal_comma: bool = False

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> CsvLayout:
        """From the upload form's fields (admin and API): date_column, amount_column, ... id_column."""
        return cls(
            date=data["date_column"],
            amount=data["amount_column"],
            currency=data["currency_column"],
            reference=data["reference_column"],
            counterparty=data["counterparty_column"],
            bank_ref=data.get("id_column") or "id",
            delimiter=data["delimiter"],
            date_format=data["date_format"],
            decimal_comma=data["decimal_comma"],
        )


def _digest_refs(lines: list[dict[str, Any]]) -> None:
    """Give lines without a bank id one made of their content and their rank among equal lines."""
    seen: Counter[str] = Counter()
    for line in lines:
        if line["bank_ref"]:
            continue
        content = "|".join(str(line[k]) for k in ("booking_date", "direction", "amount", "currency", "reference"))
        seen[content] += 1
        line["bank_ref"] = "sha256:" + hashlib.sha256(f"{content}|{seen[content]}".encode()).hexdigest()[:40]


def _amount(text: str, decimal_comma: bool) -> Decimal:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    return to_decimal(cleaned.replace(",", ""))


def parse_csv(content: bytes, layout: CsvLayout | None = None) -> list[ParsedLine]:
    layout = layout or CsvLayout()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementRejected(f"The CSV file is not UTF-8: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text), delimiter=layout.delimiter)
    needed = [layout.date, layout.amount, layout.currency, layout.reference]
    missing = [name for name in needed if name not in (reader.fieldnames or [])]
    if missing:
        raise StatementRejected(f"The CSV file has no column {', '.join(missing)} (columns: {reader.fieldnames}).")
    rows: list[dict[str, Any]] = []
    for row_no, row in enumerate(reader, start=2):
        try:
            amount = _amount(row[layout.amount], layout.decimal_comma)
            booked = datetime.strptime(row[layout.date].strip(), layout.date_format).date()
        except (MoneyError, ValueError) as exc:
            raise StatementRejected(f"CSV row {row_no}: {exc}") from exc
        rows.append(
            {
                "line_no": row_no,
                "bank_ref": (row.get(layout.bank_ref) or "").strip(),
                "booking_date": booked,
                "direction": Direction.DEBIT if amount < 0 else Direction.CREDIT,
                "amount": abs(amount),
                "currency": row[layout.currency].strip().upper(),
                "reference": (row.get(layout.reference) or "").strip(),
                "counterparty": (row.get(layout.counterparty) or "").strip(),
                "raw": layout.delimiter.join(str(v) for v in row.values()),
            }
        )
    _digest_refs(rows)
    return [ParsedLine(**row) for row in rows]


# -- camt.053 ------------------------------------------------------------------------------------


def _forbid(*args: object) -> None:
    raise StatementRejected("XML with a DTD or entity declarations is refused.")


def safe_xml(content: bytes) -> ET.Element:
    """The document as a tree with namespaces dropped from tag names; DTDs and entities refused."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.StartElementHandler = lambda name, attrs: builder.start(name.rsplit("}", 1)[-1], attrs)
    parser.EndElementHandler = lambda name: builder.end(name.rsplit("}", 1)[-1])
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise StatementRejected(f"Not well-formed XML: {exc}") from exc
    return builder.close()


def _text(node: ET.Element | None, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _reference(tx: ET.Element | None) -> str:
    """Unstructured remittance lines, else the structured creditor reference, else the end-to-end id."""
    if tx is None:
        return ""
    unstructured = " ".join((u.text or "").strip() for u in tx.iterfind("RmtInf/Ustrd"))
    return unstructured or _text(tx, "RmtInf/Strd/CdtrRefInf/Ref") or _text(tx, "Refs/EndToEndId")


def _entry_lines(entry: ET.Element, index: int) -> list[dict[str, Any]]:
    status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
    if status and status != "BOOK":
        return []  # pending or information-only entries are not money on the account yet
    amount_node = entry.find("Amt")
    if amount_node is None:
        raise StatementRejected(f"camt.053 entry {index} has no Amt.")
    direction = Direction.DEBIT if _text(entry, "CdtDbtInd") == "DBIT" else Direction.CREDIT
    booked_text = _text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")[:10] or _text(entry, "ValDt/Dt")
    details = entry.findall("NtryDtls/TxDtls")
    entry_ref = _text(entry, "AcctSvcrRef")
    raw = ET.tostring(entry, encoding="unicode")
    lines = []
    for n, tx in enumerate(details or [None], start=1):
        tx_amount = tx.find("AmtDtls/TxAmt/Amt") if tx is not None else None
        if tx is not None and tx_amount is None:
            tx_amount = tx.find("Amt")
        node = tx_amount if (len(details) > 1 and tx_amount is not None) else amount_node
        own_ref = _text(tx, "Refs/AcctSvcrRef")
        bank_ref = own_ref or (f"{entry_ref}/{n}" if entry_ref and len(details) > 1 else entry_ref)
        counterparty_path = "RltdPties/Dbtr/Nm" if direction == Direction.CREDIT else "RltdPties/Cdtr/Nm"
        try:
            lines.append(
                {
                    "line_no": index,
                    "bank_ref": bank_ref,
                    "booking_date": date.fromisoformat(booked_text),
                    "direction": direction,
                    "amount": to_decimal(node.text or ""),
                    "currency": node.get("Ccy", "").upper(),
                    "reference": _reference(tx) or _text(entry, "AddtlNtryInf"),
                    "counterparty": _text(tx, counterparty_path) or _text(tx, "RltdPties/Dbtr/Pty/Nm"),
                    "raw": raw,
                }
            )
        except (MoneyError, ValueError) as exc:
            raise StatementRejected(f"camt.053 entry {index}: {exc}") from exc
    return lines


def parse_camt053(content: bytes) -> list[ParsedLine]:
    root = safe_xml(content)
    statements = root.findall("BkToCstmrStmt/Stmt")
    if root.tag != "Document" or not statements:
        raise StatementRejected("Not a camt.053 document (no Document/BkToCstmrStmt/Stmt).")
    rows: list[dict[str, Any]] = []
    index = 0
    for statement in statements:
        for entry in statement.findall("Ntry"):
            index += 1
            rows.extend(_entry_lines(entry, index))
    _digest_refs(rows)
    return [ParsedLine(**row) for row in rows]
