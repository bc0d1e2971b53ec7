"""accounts: tenants, customers, billing accounts, units, wallets ("pockets") and the ledger.

Owns the tenant tree (operator -> resellers) and the one scoping mechanism every surface uses
(`accounts.tenancy`); the money module (`accounts.money`); the double-entry ledger, whose invariants
are kept here: every ledger transaction sums to zero per unit (a deferred constraint trigger in
PostgreSQL), entries are append-only (a trigger refuses UPDATE/DELETE), a pocket's balance equals the
sum of its entries, debits lock pockets in pk order and check after the lock, prepaid pockets never go
below zero and postpaid/hybrid money pockets never below minus the account's credit limit.
"""
