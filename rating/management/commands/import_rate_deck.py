"""`manage.py import_rate_deck PLAN_OR_TARIFF FILE [--service S] [--tenant CODE] [--user NAME]`.

Loads a rate-deck CSV (format in docs/rating.md) into a tariff, shows a progress bar and prints the
report: lines read, loaded, unchanged, rejected, and each rejected line with its number and reason.
PLAN_OR_TARIFF is a tariff code, or a price-plan code whose usage charge for --service names the tariff
(--service may be left out when the plan rates a single service). Codes are unique per tenant; --tenant
picks the tenant when several have the code. Re-running with the same file loads nothing new.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.exceptions import BillingError
from accounts.models import User
from rating.models import ChargeKind, PricePlan, RateDeckSource, Tariff
from rating.services import rate_deck_import
from rating.tariffs import plan_tariff_for

SHOWN_REJECTIONS = 200


def _one(queryset: Any, what: str, code: str) -> Any:
    found = list(queryset[:2])
    if len(found) > 1:
        raise CommandError(f"Several tenants have a {what} {code!r}; say which with --tenant.")
    return found[0] if found else None


class Command(BaseCommand):
    help = "Import a rate-deck CSV into a tariff (given by its code, or by a price plan's code and --service)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", metavar="PLAN_OR_TARIFF", help="A tariff code or a price-plan code.")
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--service", choices=["voice", "sms", "data"], help="With a price-plan code.")
        parser.add_argument("--tenant", help="Tenant code, when several tenants use the code.")
        parser.add_argument("--user", help="Username recorded as the importer.")

    def _tariff(self, target: str, service: str | None, tenant: str | None) -> Tariff:
        tariffs = Tariff.objects.select_related("tenant").filter(code=target)
        plans = PricePlan.objects.filter(code=target)
        if tenant:
            tariffs, plans = tariffs.filter(tenant__code=tenant), plans.filter(tenant__code=tenant)
        tariff = None if service else _one(tariffs, "tariff", target)
        if tariff is not None:
            return tariff  # type: ignore[no-any-return]
        plan = _one(plans, "price plan", target)
        if plan is None:
            raise CommandError(f"No tariff or price plan has the code {target!r}.")
        if service is None:
            services = sorted(set(plan.charges.filter(kind=ChargeKind.USAGE).values_list("service", flat=True)))
            if len(services) != 1:
                raise CommandError(f"Price plan {target} rates {services or 'no service'}; choose one with --service.")
            service = services[0]
        try:
            return plan_tariff_for(price_plan=plan, service=service)
        except BillingError as exc:
            raise CommandError(exc.message) from exc

    def handle(self, *args: Any, **options: Any) -> None:
        tariff = self._tariff(options["target"], options["service"], options["tenant"])
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['user']!r}.")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        self.stdout.write(f"Importing {path.name} into tariff {tariff.code} ({tariff.service}, {tariff.tenant}).")
        with tqdm(total=max(data.count(b"\n") - 1, 0), unit="line", file=self.stderr, disable=None) as bar:

            def progress(done: int) -> None:
                bar.update(done - bar.n)

            try:
                record = rate_deck_import(
                    tariff=tariff, file=data, actor=actor, file_name=path.name,
                    source=RateDeckSource.COMMAND, progress=progress,
                )  # fmt: skip
            except BillingError as exc:
                raise CommandError(exc.message) from exc
        self._print_report(record)

    def _print_report(self, record: Any) -> None:
        report = record.report
        self.stdout.write(
            f"Read {record.lines_read} lines: {record.lines_loaded} loaded, {record.lines_unchanged} unchanged, "
            f"{record.lines_rejected} rejected (import #{record.pk})."
        )
        for warning in report.get("warnings", []):
            self.stdout.write(self.style.WARNING(warning))
        rejections = report.get("rejections", [])
        for item in rejections[:SHOWN_REJECTIONS]:
            self.stdout.write(self.style.ERROR(f"line {item['line']}: {item['reason']}"))
        if record.lines_rejected > SHOWN_REJECTIONS:
            self.stdout.write(f"... and {record.lines_rejected - SHOWN_REJECTIONS} more: see the import in the admin.")
