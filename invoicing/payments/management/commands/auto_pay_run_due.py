"""Run today's auto-pay attempts: first charges of invoices due, and retries (cron or by hand)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from invoicing.payments.services.auto_pay import auto_pay_run_due


class Command(BaseCommand):
    help = "Charge saved cards for invoices due and retry failed auto-pay attempts scheduled up to a day."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = auto_pay_run_due(today=options["date"])
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due")
