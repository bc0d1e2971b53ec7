"""invoicing: billing runs, invoices and lines, numbering, templates and PDFs, credit notes, payments.

Arrives with the invoice-engine, bill-run and payments issues.
"""
