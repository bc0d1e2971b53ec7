"""Bank statement imports: camt.053 and CSV lines matched to invoices by number or amount, the rest
queued for review; re-imports add nothing; hostile XML is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from invoicing.models import InvoiceStatus
from invoicing.payments.exceptions import StatementRejected
from invoicing.payments.models import BankStatementLine, MatchStatus, PaymentAllocation
from invoicing.payments.statements.parsers import CsvLayout, parse_camt053
from invoicing.payments.statements.services import (
    bank_statement_import,
    statement_line_assign,
    statement_line_ignore,
)

from .factories import account_with_invoices, credit_of, fresh

pytestmark = pytest.mark.django_db


def entry(ref: str, amount: str, remittance: str, *, debtor: str = "Jane Doe", direction: str = "CRDT") -> str:
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2024-05-02</Dt></BookgDt><ValDt><Dt>2024-05-02</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>{debtor}</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(*entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2024-05-03T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1-1</Id>
      <Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


@pytest.fixture
def invoices(operator):
    """Three open invoices: 50.00, and two of 20.00 on different accounts (same amount)."""
    _a, (fifty,) = account_with_invoices(operator, "50.00")
    _b, (twenty_b,) = account_with_invoices(operator, "20.00")
    _c, (twenty_c,) = account_with_invoices(operator, "20.00")
    return fifty, twenty_b, twenty_c


def test_camt053_with_one_matching_one_ambiguous_one_unknown_payment(operator, invoices):
    fifty, twenty_b, twenty_c = invoices
    content = camt053(
        entry("BANK-1", "50.00", f"Payment of invoice {fifty.display_number}, thanks"),
        entry("BANK-2", "20.00", "monthly fee"),
        entry("BANK-3", "13.37", "hello there"),
    )

    statement = bank_statement_import(tenant=operator, content=content, format="camt053", file_name="may.xml")

    assert (statement.lines_read, statement.matched, statement.ambiguous, statement.unknown) == (3, 1, 1, 1)
    (allocation,) = PaymentAllocation.objects.all()
    assert (allocation.invoice_id, allocation.amount) == (fifty.pk, D("50.00"))
    assert fresh(fifty).status == InvoiceStatus.PAID
    review = BankStatementLine.objects.filter(match_status__in=["ambiguous", "unknown"]).order_by("line_no")
    assert [(line.bank_ref, line.match_status) for line in review] == [("BANK-2", "ambiguous"), ("BANK-3", "unknown")]
    assert sorted(review[0].candidates) == sorted([twenty_b.pk, twenty_c.pk])
    matched = BankStatementLine.objects.get(bank_ref="BANK-1")
    assert (matched.counterparty, matched.booking_date, matched.payment.gateway) == (
        "Jane Doe",
        date(2024, 5, 2),
        "bank_transfer",
    )


def test_importing_the_same_statement_again_adds_nothing(operator, invoices):
    fifty = invoices[0]
    content = camt053(entry("BANK-1", "50.00", fifty.display_number), entry("BANK-3", "13.37", "?"))
    bank_statement_import(tenant=operator, content=content, format="camt053")

    again = bank_statement_import(tenant=operator, content=content, format="camt053")

    assert (again.lines_read, again.duplicates, again.matched, again.unknown) == (2, 2, 0, 0)
    assert BankStatementLine.objects.count() == 2
    assert fresh(fifty).amount_paid == D("50.00")


def test_operator_assigns_an_ambiguous_line_from_the_review_queue(operator, invoices, operator_staff):
    _fifty, twenty_b, _twenty_c = invoices
    bank_statement_import(tenant=operator, content=camt053(entry("BANK-2", "20.00", "fee")), format="camt053")
    line = BankStatementLine.objects.get(bank_ref="BANK-2")

    assigned = statement_line_assign(line=line, invoice=twenty_b, actor=operator_staff, note="phoned the customer")

    assert (assigned.match_status, assigned.reviewed_by) == (MatchStatus.ASSIGNED, operator_staff)
    assert fresh(twenty_b).status == InvoiceStatus.PAID
    assert assigned.payment.idempotency_key == f"bank-{operator.pk}-BANK-2"


def test_unknown_line_assigned_to_an_account_becomes_its_credit(operator):
    account, _ = account_with_invoices(operator)
    bank_statement_import(tenant=operator, content=camt053(entry("BANK-9", "13.37", "top up")), format="camt053")

    statement_line_assign(line=BankStatementLine.objects.get(bank_ref="BANK-9"), account=account)

    assert credit_of(account) == D("13.37")


def test_ignored_line_leaves_the_queue(operator):
    bank_statement_import(tenant=operator, content=camt053(entry("BANK-8", "1.00", "interest")), format="camt053")

    line = statement_line_ignore(line=BankStatementLine.objects.get(bank_ref="BANK-8"), note="bank interest")

    assert (line.match_status, line.payment) == (MatchStatus.IGNORED, None)


def test_money_out_is_recorded_but_never_matched(operator, invoices):
    fifty = invoices[0]
    content = camt053(entry("BANK-4", "50.00", fifty.display_number, direction="DBIT"))

    statement = bank_statement_import(tenant=operator, content=content, format="camt053")

    assert (statement.ignored, statement.matched) == (1, 0)
    assert fresh(fifty).status == InvoiceStatus.ISSUED


def test_csv_with_configured_columns_matches_by_invoice_number(operator, invoices):
    fifty = invoices[0]
    number = f"{fifty.series}{fifty.number}"  # written without dash and zeros by the customer
    content = (
        "Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber\n"
        f"02.05.2024;50,00;EUR;Rechnung {number};Max Muster\n"
        "02.05.2024;-3,50;EUR;Kontofuehrung;Bank\n"
    ).encode()
    layout = CsvLayout(
        date="Buchungstag",
        amount="Betrag",
        currency="Waehrung",
        reference="Verwendungszweck",
        counterparty="Auftraggeber",
        delimiter=";",
        date_format="%d.%m.%Y",
        decimal_comma=True,
    )

    statement = bank_statement_import(tenant=operator, content=content, format="csv", layout=layout)

    assert (statement.matched, statement.ignored) == (1, 1)
    assert fresh(fifty).status == InvoiceStatus.PAID
    again = bank_statement_import(tenant=operator, content=content, format="csv", layout=layout)
    assert again.duplicates == 2


def test_csv_without_a_needed_column_is_refused_whole(operator):
    with pytest.raises(StatementRejected, match="no column amount"):
        bank_statement_import(tenant=operator, content=b"date,reference\n2024-05-02,x\n", format="csv")
    assert not BankStatementLine.objects.exists()


def test_xml_with_entity_declarations_is_refused():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">&lol2;</Amt></Ntry></Stmt></BkToCstmrStmt></Document>"""

    with pytest.raises(StatementRejected, match="DTD or entity"):
        parse_camt053(bomb)


def test_camt053_batch_entry_gives_one_line_per_transaction():
    batch = """
      <Ntry>
        <Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2024-05-02</Dt></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>
        <NtryDtls>
          <TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">10.00</Amt></TxAmt></AmtDtls>
            <RmtInf><Strd><CdtrRefInf><Ref>RF18INV000001</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>
          <TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">20.00</Amt></TxAmt></AmtDtls>
            <RmtInf><Ustrd>INV-000002</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
      </Ntry>"""

    lines = parse_camt053(camt053(batch))

    assert [(x.bank_ref, x.amount, x.reference) for x in lines] == [
        ("BATCH-1/1", D("10.00"), "RF18INV000001"),
        ("BATCH-1/2", D("20.00"), "INV-000002"),
    ]
