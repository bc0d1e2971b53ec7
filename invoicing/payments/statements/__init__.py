"""Bank statements: parsers (CSV, camt.053), matching to invoices, import and review services."""
