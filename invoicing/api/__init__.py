"""REST API of invoicing under /api/v1/: invoices (lines with explanations, usage detail, PDF), preview,
transitions, credit notes, one-off charges and invoices, tax rates."""
