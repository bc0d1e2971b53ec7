"""invoicing: the invoice engine, invoices and lines, statements, numbering, credit notes, one-off charges.

Owns turning an account's subscriptions, one-off charges and rated usage into an invoice for a bill
date (`services.compute`, a pure function over plain data loaded by `selectors`), the invoice life
cycle (draft -> approved -> issued -> paid / partially paid / overdue / written off; drafts can be
cancelled), gapless numbering per tenant and series, credit notes, and the ledger postings.
Invariants: a subscription charge period is billed once (unique BilledCharge) and usage once (its
`invoice_id`); each line is rounded once and total = lines + tax per rate; issued invoices are never
edited; every transition locks the row, checks the saved state and is audited; an account's receivable
balance equals minus the open amounts of its issued invoices. Bill runs and payments arrive next.
"""
