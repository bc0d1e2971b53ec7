"""Ask the gateways again about payments and refunds whose outcome is unknown (cron or by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from invoicing.payments.services.execute import payments_reconcile_unknown


class Command(BaseCommand):
    help = "Reconcile payments and refunds left unknown (gateway timeouts, garbage answers)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = payments_reconcile_unknown()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to reconcile")
