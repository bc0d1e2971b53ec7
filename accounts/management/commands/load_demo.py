"""`manage.py load_demo`: load the demo data set (idempotent) and print the logins to try it with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.demo import DEMO_SEED, DemoContext, demo_run

URLS = [
    ("Back office", "/admin/"),
    ("Self-care portal", "/selfcare/"),
    ("OpenAPI schema", "/api/schema/"),
    ("API docs", "/api/docs/"),
]


class Command(BaseCommand):
    help = (
        "Create the demo operator 'Acme Telecom' with two resellers, ~50 customers, accounts, pockets and "
        "ledger history, and print an operator login, a reseller login, a customer login and an API token. "
        "Running it again creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="Seed of the generated customers.")
        parser.add_argument("--base-url", default="http://localhost:8000", help="Printed in front of the URLs.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (e.g. in logs).")

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = demo_run(seed=options["seed"], progress=not options["no_progress"])
        self._report(ctx, options["base_url"].rstrip("/"))

    def _report(self, ctx: DemoContext, base: str) -> None:
        created = ", ".join(f"{n} {what}" for what, n in ctx.created.items() if n)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({'created ' + created if created else 'nothing new'}).")
        )
        self.stdout.write("")
        for label, path in URLS:
            self.stdout.write(f"  {label + ':':<20}{base}{path}")
        self.stdout.write("")
        for login in ctx.logins:
            note = "" if login.created else "  (existing user, password as first created)"
            self.stdout.write(f"  {login.role + ':':<40}{login.username} / {login.password}{note}")
            self.stdout.write(f"  {'':<40}sign in at {base}{login.path}")
        self.stdout.write(f"  {'API token (operator staff):':<40}{ctx.api_token}")
        self.stdout.write(f"  {'':<40}curl -H 'Authorization: Token {ctx.api_token}' {base}/api/v1/")
