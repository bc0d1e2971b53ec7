"""selfcare: the customer portal at /selfcare/ (sign-in, balances, invoices, payments, disputes).

A portal user is an accounts.User with `customer` set; every view is scoped to that customer's
accounts and looks objects up by public UUID, never by pk.
"""
