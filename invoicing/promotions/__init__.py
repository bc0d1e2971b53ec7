"""promotions: promo codes and campaigns, loyalty points and refer-a-friend, on the wallet model.

A Django app of its own (label `promotions`) inside the invoicing package: it needs accounts (pockets,
ledger), the catalog (products) and invoices (paid on time, first invoice paid), so it sits on the
invoicing layer; invoicing never imports it - it hears `invoicing.signals.invoice_paid`.
Invariants: every grant and redemption is a ledger transaction whose description says why, or an
account discount whose invoice lines say so; nothing is granted twice (unique redemption numbers per
customer, unique grant keys, referral state under a row lock, idempotency keys on the ledger legs);
a promotion's total limit holds under concurrent redemptions (row lock on the promotion).
"""
