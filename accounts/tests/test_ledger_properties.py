"""Property and concurrency tests of the ledger: balance = sum of entries, whatever happens."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from accounts.exceptions import BillingError, InsufficientFunds
from accounts.models import LedgerAccount, LedgerEntry
from accounts.models.customers import PaymentMode
from accounts.selectors import ledger_accounts_out_of_balance, unbalanced_transactions
from accounts.services import ledger_transaction_reverse, pocket_transfer, wallet_credit, wallet_debit
from accounts.tests.factories import main_wallet, make_account, make_pocket, make_tenant

amounts = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("500"), places=6)
operations = st.lists(
    st.tuples(st.sampled_from(["credit", "debit", "transfer", "reverse"]), amounts, st.sampled_from([0, 1])),
    min_size=1,
    max_size=25,
)


class LedgerPropertyTests(HypothesisTestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops=operations)
    def test_balance_equals_sum_of_entries_after_any_sequence(self, ops):
        # Given a postpaid account with a credit limit and a second money pocket
        tenant = make_tenant(name="Prop")
        account = make_account(tenant=tenant, mode=PaymentMode.POSTPAID, credit_limit=Decimal("100"))
        pockets = [main_wallet(account), make_pocket(account, "EUR", priority=1)]
        posted = []
        # When any sequence of credits, debits, transfers and reversals is applied (refusals included)
        for op, amount, which in ops:
            pocket = pockets[which]
            try:
                if op == "credit":
                    posted.append(wallet_credit(wallet=pocket, amount=amount))
                elif op == "debit":
                    posted.append(wallet_debit(wallet=pocket, amount=amount))
                elif op == "transfer":
                    posted.append(pocket_transfer(source=pocket, target=pockets[1 - which], amount=amount))
                elif posted:
                    ledger_transaction_reverse(txn=posted.pop(0), reason="property test")
            except BillingError:
                pass
        # Then every pocket's balance equals the sum of its entries and stays above its floor
        for pocket in pockets:
            pocket.refresh_from_db()
            total = LedgerEntry.objects.filter(ledger_account=pocket).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            assert pocket.balance == total
        assert pockets[0].balance >= Decimal("-100")
        assert pockets[1].balance >= Decimal("0")
        assert not unbalanced_transactions().exists()
        assert not ledger_accounts_out_of_balance().exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_debits_never_overdraw_a_prepaid_wallet_and_lose_no_entry():
    # Given a prepaid wallet holding 10.00 and 20 threads, each on its own connection, debiting 0.70
    tenant = make_tenant(name="Concurrency")
    wallet = main_wallet(make_account(tenant=tenant, mode=PaymentMode.PREPAID, balance=Decimal("10.00")))
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def debit() -> None:
        close_old_connections()
        try:
            barrier.wait()
            target = LedgerAccount.objects.get(pk=wallet.pk)
            try:
                wallet_debit(wallet=target, amount=Decimal("0.70"))
                result = "ok"
            except InsufficientFunds:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=debit) for _ in range(20)]
    # When they all debit at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly 14 succeed (14 x 0.70 = 9.80), 6 are refused, and the ledger holds every entry
    wallet.refresh_from_db()
    assert outcomes.count("ok") == 14 and outcomes.count("refused") == 6
    assert wallet.balance == Decimal("0.20")
    assert wallet.entries.count() == 1 + 14
    assert wallet.entries.aggregate(s=Sum("amount"))["s"] == Decimal("0.20")
    assert not unbalanced_transactions().exists()
