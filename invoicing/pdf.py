"""The invoice PDF: the invoice, its tax per rate, and an annex with every rated record behind each
usage line (the call detail). Rendered with WeasyPrint from `invoicing/invoice_pdf.html`."""

from __future__ import annotations

from django.template.loader import render_to_string

from invoicing import selectors
from invoicing.models import Invoice

ANNEX_LIMIT = 20000  # records per usage line in the annex; beyond it the API serves the detail


def invoice_pdf(*, invoice: Invoice) -> bytes:
    from weasyprint import HTML  # imported late: it loads system libraries

    invoice = selectors.invoices_with_details().get(pk=invoice.pk)
    lines = list(invoice.lines.all())
    annex = []
    for line in lines:
        if line.kind == "usage":
            records = selectors.usage_records_for_line(line=line)
            annex.append({"line": line, "records": list(records[:ANNEX_LIMIT]), "total": records.count()})
    html = render_to_string(
        "invoicing/invoice_pdf.html",
        {"invoice": invoice, "lines": lines, "taxes": invoice.tax_summary.all(), "annex": annex, "limit": ANNEX_LIMIT},
    )
    return HTML(string=html).write_pdf()
