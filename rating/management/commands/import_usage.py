"""`manage.py import_usage FILE --format NAME`: rate a CDR/EDR file now, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Tenant
from rating.models import UsageFormat, UsageSource
from rating.services.usage import usage_file_import, usage_file_register, usage_format_for
from rating.services.usage.runs import rating_run_finish, rating_run_start


def _lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))


class Command(BaseCommand):
    help = (
        "Import and rate a usage file with a format (a preset such as asterisk-master, freeswitch-csv, "
        "edr-generic, or a tenant's own). A file already imported is counted as a duplicate; an interrupted "
        "import resumes after its last committed chunk. The file stays where it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, dest="format_code", help="Format code.")
        parser.add_argument("--tenant", help="Tenant code (default: the only operator).")
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"].resolve()
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        tenant = self._tenant(options["tenant"])
        try:
            fmt = usage_format_for(tenant=tenant, code=options["format_code"])
        except UsageFormat.DoesNotExist as exc:
            raise CommandError(f"no usage format {options['format_code']!r} for {tenant.code}") from exc
        run = rating_run_start(tenant=tenant, trigger=UsageSource.CLI)
        usage_file = usage_file_register(tenant=tenant, usage_format=fmt, path=path, source=UsageSource.CLI, run=run)
        bar = tqdm(total=_lines(path), unit="rec", disable=options["no_progress"], initial=usage_file.lines_done)
        try:
            usage_file = usage_file_import(
                usage_file=usage_file, path=path, chunk_size=options["chunk_size"], progress=bar.update
            )
        finally:
            bar.close()
        rating_run_finish(run=run)
        self.stdout.write(
            f"{usage_file.name}: {usage_file.get_status_display().lower()} - read {usage_file.lines_read}, "
            f"rated {usage_file.rated}, rejected {usage_file.rejected} (conflicts {usage_file.conflicts}), "
            f"duplicates {usage_file.duplicates}"
        )
        if usage_file.error:
            raise CommandError(usage_file.error)

    @staticmethod
    def _tenant(code: str | None) -> Tenant:
        if code:
            found = Tenant.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"no tenant {code!r}")
            return found
        operators = list(Tenant.objects.filter(parent__isnull=True)[:2])
        if len(operators) != 1:
            raise CommandError("several operators: say which with --tenant")
        return operators[0]
