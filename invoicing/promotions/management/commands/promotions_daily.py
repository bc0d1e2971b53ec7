"""`manage.py promotions_daily`: the daily loyalty, referral and points-expiry run, for cron or by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from invoicing.promotions.services import promotions_daily


class Command(BaseCommand):
    help = "Grant tenure/top-up/paid-on-time points still due, evaluate pending referrals, expire points."

    def handle(self, *args: Any, **options: Any) -> None:
        result = promotions_daily()
        self.stdout.write(", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in vars(result).items()))
