"""`manage.py rerate --account NUMBER --period YYYY-MM`: re-rate an account's unbilled usage of a period."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import BillingAccount
from rating.services.usage.rerate import rerate_records


def _month(text: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError("--period is a month: YYYY-MM") from exc
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


class Command(BaseCommand):
    help = (
        "Re-rate an account's usage of a period with today's tariffs: what the earlier ratings took is given "
        "back and the new charges taken, both as ledger transactions. Invoiced usage is left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="Account number.")
        parser.add_argument("--tenant", help="Tenant code, when the account number exists in several tenants.")
        parser.add_argument("--period", help="A month, YYYY-MM (in the tenant's time zone).")
        parser.add_argument("--from", dest="start", help="First day, YYYY-MM-DD (with --to instead of --period).")
        parser.add_argument("--to", dest="end", help="Day after the last one, YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = BillingAccount.objects.filter(number=options["account"]).select_related("tenant")
        if options["tenant"]:
            accounts = accounts.filter(tenant__code=options["tenant"])
        found = list(accounts[:2])
        if len(found) != 1:
            raise CommandError("no such account" if not found else "several accounts have that number: add --tenant")
        account = found[0]
        if options["period"]:
            first, following = _month(options["period"])
        elif options["start"] and options["end"]:
            first, following = date.fromisoformat(options["start"]), date.fromisoformat(options["end"])
        else:
            raise CommandError("give --period YYYY-MM, or --from and --to")
        zone = ZoneInfo(account.tenant.timezone or "UTC")
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(following, time.min, tzinfo=zone)
        result = rerate_records(account=account, start=start, end=end)
        self.stdout.write(
            f"{account.number}: {result.records} records re-rated, {result.cost_before} -> {result.cost_after}; "
            f"{result.skipped_invoiced} invoiced records left alone; ledger transactions {list(result.transactions)}"
        )
