"""Signals sent after commit, for higher layers (dunning, notifications, PDFs) to react to invoicing.

They carry facts only; no business logic runs in a receiver that could change what was committed.
"""

from django.dispatch import Signal

invoice_issued = Signal()  # sender=Invoice, invoice=Invoice
invoice_cancelled = Signal()  # sender=Invoice, invoice=Invoice
# When an invoice becomes fully paid; paid_on = the day (tenant's zone) it did, to tell "paid on time".
invoice_paid = Signal()  # sender=Invoice, invoice=Invoice, paid_on=date
credit_note_created = Signal()  # sender=CreditNote, credit_note=CreditNote
