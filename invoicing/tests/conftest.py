"""Every invoicing scenario ends with a balanced ledger that agrees with the invoices.

After each test that used the database: the trial balance of every operator tree has equal debits
and credits per unit, no transaction is unbalanced, every ledger account's balance is the sum of its
entries, and every account's receivable equals minus the open amounts of its issued invoices.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from accounts.models import LedgerAccount, Tenant
from accounts.selectors import ledger_accounts_out_of_balance, trial_balance, unbalanced_transactions
from invoicing.models import Invoice


def assert_ledger_agrees() -> None:
    for root in Tenant.objects.filter(parent__isnull=True):
        debit, credit = defaultdict(Decimal), defaultdict(Decimal)
        for row in trial_balance(tenant=root):
            debit[row.unit] += row.debit
            credit[row.unit] += row.credit
        assert debit == credit, f"trial balance of {root} is off"
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for invoice in Invoice.objects.exclude(status__in=["draft", "approved", "cancelled"]):
        owed[invoice.account_id] += invoice.open_amount
    for receivable in LedgerAccount.objects.filter(kind="receivable", billing_account__isnull=False):
        assert receivable.balance == -owed.pop(receivable.billing_account_id, Decimal("0"))
    assert all(amount == 0 for amount in owed.values()), f"open invoices without a receivable: {owed}"


@pytest.fixture(autouse=True)
def _ledger_agrees_after_each_scenario(request):
    yield
    if request.node.get_closest_marker("django_db"):
        assert_ledger_agrees()
