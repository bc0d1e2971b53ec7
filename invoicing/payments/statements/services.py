"""Importing bank statements and working their review queue.

`bank_statement_import` reads the file whole (or refuses it), stores each new line once per tenant
(unique bank id: a re-import counts duplicates and adds nothing), matches it and pays the matched
invoices with bank-transfer payments - one transaction per line, idempotency key `bank-<tenant>-<id>`,
so an interrupted import is finished by `statement_lines_settle` without paying anything twice.
Ambiguous and unknown lines wait in the review queue until an operator assigns or ignores them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import BillingAccount, Tenant, Unit
from invoicing import selectors as invoicing_selectors
from invoicing.models import Invoice
from invoicing.payments.exceptions import PaymentRefused, StatementRejected
from invoicing.payments.models import (
    REVIEW_STATUSES,
    BankStatementImport,
    BankStatementLine,
    Gateway,
    MatchStatus,
    StatementFormat,
)
from invoicing.payments.services.payments import payment_record_offline

from .matching import statement_line_match
from .parsers import CsvLayout, ParsedLine, parse_camt053, parse_csv

TO_PAY = (MatchStatus.MATCHED, MatchStatus.ASSIGNED)


def statement_parse(content: bytes, format: str, layout: CsvLayout | None = None) -> list[ParsedLine]:
    if format == StatementFormat.CAMT053:
        return parse_camt053(content)
    if format == StatementFormat.CSV:
        return parse_csv(content, layout)
    raise StatementRejected(f"Unknown statement format {format!r}.")


def bank_statement_import(
    *,
    tenant: Tenant,
    content: bytes,
    format: str,
    file_name: str = "",
    layout: CsvLayout | None = None,
    actor: Any = None,
) -> BankStatementImport:
    """Import one statement file of `tenant`'s bank account (see the module docstring)."""
    parsed = statement_parse(content, format, layout)
    with transaction.atomic():
        statement = BankStatementImport.objects.create(
            tenant=tenant,
            format=format,
            file_name=file_name[:255],
            sha256=hashlib.sha256(content).hexdigest(),
            lines_read=len(parsed),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        known = set(
            BankStatementLine.objects.filter(tenant=tenant, bank_ref__in=[p.bank_ref for p in parsed]).values_list(
                "bank_ref", flat=True
            )
        )
        counts = dict.fromkeys(MatchStatus, 0)
        for line in parsed:
            if line.bank_ref in known:
                statement.duplicates += 1
                continue
            known.add(line.bank_ref)
            match = statement_line_match(tenant, line)
            counts[match.status] += 1
            BankStatementLine.objects.create(
                tenant=tenant,
                statement=statement,
                line_no=line.line_no,
                bank_ref=line.bank_ref[:140],
                booking_date=line.booking_date,
                direction=line.direction,
                amount=line.amount,
                currency_code=line.currency[:16],
                reference=line.reference[:500],
                counterparty=line.counterparty[:200],
                raw=line.raw,
                match_status=match.status,
                candidates=match.candidates,
                invoice=match.invoice,
                account=match.invoice.account if match.invoice else None,
                note="money out" if match.status == MatchStatus.IGNORED else "",
            )
        statement.matched = counts[MatchStatus.MATCHED]
        statement.ambiguous = counts[MatchStatus.AMBIGUOUS]
        statement.unknown = counts[MatchStatus.UNKNOWN]
        statement.ignored = counts[MatchStatus.IGNORED]
        statement.save()
    statement_lines_settle(statement=statement, actor=actor)
    return statement


def statement_lines_settle(*, statement: BankStatementImport, actor: Any = None) -> int:
    """Pay every matched or assigned line of the statement that has no payment yet. Idempotent."""
    paid = 0
    for line_id in statement.lines.filter(match_status__in=TO_PAY, payment__isnull=True).values_list("pk", flat=True):
        paid += _line_pay(line_id, actor)
    return paid


def _line_pay(line_id: int, actor: Any) -> int:
    with transaction.atomic():
        line = (
            BankStatementLine.objects.select_for_update(of=("self",))
            .select_related("tenant", "invoice", "account")
            .get(pk=line_id)
        )
        if line.payment_id is not None or line.match_status not in TO_PAY or line.account is None:
            return 0
        try:
            with transaction.atomic():
                line.payment = payment_record_offline(
                    account=line.account,
                    amount=line.amount,
                    unit=Unit.objects.get(code=line.currency_code),
                    gateway=Gateway.BANK_TRANSFER,
                    invoice=line.invoice,
                    reference=line.reference,
                    payer=line.counterparty,
                    received_at=invoicing_selectors.day_start(line.tenant, line.booking_date),
                    idempotency_key=f"bank-{line.tenant_id}-{line.bank_ref}"[:120],
                    actor=actor,
                )
        except (PaymentRefused, Unit.DoesNotExist) as exc:
            # Back to the queue with the reason, rather than lose the money or stop the import.
            line.match_status = MatchStatus.UNKNOWN
            line.note = str(getattr(exc, "message", exc))[:255]
            line.save(update_fields=["match_status", "note"])
            return 0
        line.save(update_fields=["payment"])
        return 1


def statement_line_assign(
    *,
    line: BankStatementLine,
    invoice: Invoice | None = None,
    account: BillingAccount | None = None,
    actor: Any = None,
    note: str = "",
) -> BankStatementLine:
    """An operator decides what a line in review pays: an invoice (its account), or an account (its
    oldest open invoices, the rest as credit). The payment is recorded at once. Locks the line."""
    if invoice is None and account is None:
        raise PaymentRefused("Assign the line to an invoice or an account.")
    target = invoice.account if invoice is not None else account
    assert target is not None
    with transaction.atomic():
        locked = BankStatementLine.objects.select_for_update().get(pk=line.pk)
        if locked.match_status not in REVIEW_STATUSES:
            raise PaymentRefused(
                f"Line {locked.bank_ref} is {locked.get_match_status_display().lower()}, not in review."
            )
        if not target.tenant.path.startswith(locked.tenant.path):
            raise PaymentRefused("That account belongs to another tenant.")
        locked.match_status = MatchStatus.ASSIGNED
        locked.invoice, locked.account = invoice, target
        locked.reviewed_by = actor if getattr(actor, "pk", None) else None
        locked.reviewed_at = timezone.now()
        locked.note = note[:255]
        locked.save()
    _line_pay(locked.pk, actor)
    locked.refresh_from_db()
    if locked.payment_id is None:
        raise PaymentRefused(f"The line could not be paid: {locked.note}")
    return locked


def statement_line_ignore(*, line: BankStatementLine, note: str, actor: Any = None) -> BankStatementLine:
    """Not a customer payment (bank fee, internal transfer): leaves the queue with the operator's note."""
    with transaction.atomic():
        locked = BankStatementLine.objects.select_for_update().get(pk=line.pk)
        if locked.match_status not in REVIEW_STATUSES:
            raise PaymentRefused(f"Line {locked.bank_ref} is not in review.")
        locked.match_status = MatchStatus.IGNORED
        locked.note = note[:255] or "ignored by an operator"
        locked.reviewed_by = actor if getattr(actor, "pk", None) else None
        locked.reviewed_at = timezone.now()
        locked.save()
        return locked
