"""Ledger postings of payments (credit > 0, debit < 0), all in the account's currency unless noted.

| event | cash (per gateway) | receivable | main pocket (customer credit) | other |
| --- | --- | --- | --- | --- |
| payment received | debit amount | credit allocated part | credit the rest | exchange legs if another unit |
| credit applied / allocation added | | credit | debit | |
| allocation released | | debit | credit | |
| refund reserved (Stripe) | | debit released part | debit the rest | credit refunds in transit |
| refund sent (offline) / settled | credit | | | debit refunds in transit (Stripe) |
| refund failed | | | credit (back to credit) | debit refunds in transit |
| chargeback | credit amount + fee | debit released part | debit the rest | debit chargeback fees |
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from accounts.models import LedgerAccount, LedgerAccountKind, LedgerTransaction, Wallet
from accounts.services import Leg, account_receivable, ledger_post, ledger_system_account
from accounts.services.ledger import MAIN_POCKET
from invoicing.payments.models import Payment

ZERO = Decimal("0")
REFUNDS_IN_TRANSIT = "refunds_in_transit"
CHARGEBACK_FEES = "chargeback_fees"


def cash_account(payment: Payment, *, in_paid_unit: bool = False) -> LedgerAccount:
    """The tenant's cash account of the payment's gateway (in the paid unit, or the account's currency)."""
    unit = payment.unit if in_paid_unit else payment.currency
    return ledger_system_account(tenant=payment.tenant, kind=LedgerAccountKind.CASH, unit=unit, code=payment.gateway)


def credit_pocket(payment: Payment) -> LedgerAccount:
    """The account's main money pocket, where customer credit (unallocated money) is kept."""
    return Wallet.objects.get(billing_account_id=payment.account_id, code=MAIN_POCKET, unit_id=payment.currency_id)


def adjustments(payment: Payment, code: str) -> LedgerAccount:
    return ledger_system_account(
        tenant=payment.tenant, kind=LedgerAccountKind.ADJUSTMENTS, unit=payment.currency, code=code
    )


def post(
    payment: Payment, kind: str, legs: Sequence[Leg], description: str, actor: Any = None
) -> LedgerTransaction | None:
    """Post the non-zero legs as one transaction; None when nothing moves."""
    kept = [leg for leg in legs if leg.amount != ZERO]
    if len(kept) < 2:
        return None
    return ledger_post(
        tenant=payment.tenant,
        kind=kind,
        legs=kept,
        description=description,
        reference=f"payment:{payment.uuid}",
        actor=actor,
    )


def receipt_legs(payment: Payment, *, to_receivable: Decimal, to_credit: Decimal) -> list[Leg]:
    """Cash in: the allocated part to the receivable, the rest to the customer's credit. A payment in
    another unit (BTC) enters its own cash account and is exchanged at the recorded rate."""
    key = f"payment:{payment.uuid}"
    legs = [
        Leg(account_receivable(account=payment.account), to_receivable),
        Leg(credit_pocket(payment), to_credit),
    ]
    if payment.unit_id == payment.currency_id:
        return [Leg(cash_account(payment), -payment.settled_amount, key), *legs]
    tenant = payment.tenant
    exchange_paid = ledger_system_account(tenant=tenant, kind=LedgerAccountKind.EXCHANGE, unit=payment.unit)
    exchange_settled = ledger_system_account(tenant=tenant, kind=LedgerAccountKind.EXCHANGE, unit=payment.currency)
    return [
        Leg(cash_account(payment, in_paid_unit=True), -payment.amount, key),
        Leg(exchange_paid, payment.amount),
        Leg(exchange_settled, -payment.settled_amount),
        *legs,
    ]


def move_legs(payment: Payment, *, to_receivable: Decimal) -> list[Leg]:
    """Customer credit applied to invoices (positive) or released from them (negative)."""
    return [
        Leg(account_receivable(account=payment.account), to_receivable),
        Leg(credit_pocket(payment), -to_receivable),
    ]


def payout_legs(
    payment: Payment, *, released: Decimal, from_credit: Decimal, counter: LedgerAccount, key: str
) -> list[Leg]:
    """Money leaving: `released` taken back from invoices, `from_credit` from the customer's credit,
    their sum credited to `counter` (cash, or refunds in transit while Stripe works)."""
    return [
        Leg(account_receivable(account=payment.account), -released),
        Leg(credit_pocket(payment), -from_credit),
        Leg(counter, released + from_credit, key),
    ]


def refunds_in_transit(payment: Payment) -> LedgerAccount:
    return adjustments(payment, REFUNDS_IN_TRANSIT)
