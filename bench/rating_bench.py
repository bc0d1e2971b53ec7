"""Rating benchmark: import + rating + persistence + wallet debits of a 1,000,000-record EDR file, against
a server-side COPY of the same file into a bare table with the same unique record key (the floor).

Run with `make bench-rating`. It creates its own database (`billing_bench` on the DATABASE_URL server,
dropped first), migrates it, builds the world (bench/world.py), writes the file, then measures:
1. the COPY floor: `COPY bench_floor FROM '<file>'` (server-side) into text columns, UNIQUE (record_id, leg);
2. the import: `usage_file_register` + `usage_file_import`, end to end, as production runs it;
3. a re-import of the same file (must add nothing);
4. the same import with 50 and with 50,000 voice prefixes (fresh files, keys and tariffs).
It checks conservation and the ledger (trial balance zero), then prints the figures and ends with
`BENCH rating records_per_s=<n> copy_floor_rows_per_s=<n> ratio=<r>`. Not a test: nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings.base")

BENCH_DB = "billing_bench"


def _database_urls() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _fresh_database() -> None:
    import psycopg

    admin, bench = _database_urls()
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = bench


def copy_floor(path: Path) -> float:
    """Rows per second of a server-side COPY of the file into a bare table keyed like the import."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (record_id text, service text, subscriber text, destination text, "
            "start text, duration text, volume text, leg text, UNIQUE (record_id, leg))"
        )
        began = time.perf_counter()
        cursor.execute(f"COPY bench_floor FROM '{path}' WITH (FORMAT csv, HEADER true)")
        elapsed = time.perf_counter() - began
        cursor.execute("SELECT count(*) FROM bench_floor")
        rows = cursor.fetchone()[0]
    return rows / elapsed


def import_file(tenant, path: Path, *, profile: bool = False) -> tuple[float, object]:
    from rating.services.usage import usage_file_import, usage_file_register
    from rating.services.usage.presets import usage_format_preset

    began = time.perf_counter()
    usage_file = usage_file_register(
        tenant=tenant, usage_format=usage_format_preset("edr-generic"), path=path, source="cli"
    )
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    usage_file = usage_file_import(usage_file=usage_file)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return time.perf_counter() - began, usage_file


def _check(usage_file) -> str:
    from accounts.selectors import unbalanced_transactions

    balanced = usage_file.lines_read == usage_file.rated + usage_file.rejected + usage_file.duplicates
    ledger_ok = not unbalanced_transactions().exists()
    return (
        f"read={usage_file.lines_read} rated={usage_file.rated} rejected={usage_file.rejected} "
        f"duplicates={usage_file.duplicates} conserved={balanced} ledger_balanced={ledger_ok}"
    )


def _prefix_round(world, count: int, records: int, day: datetime, workdir: Path) -> float:
    """Switch the plan's voice charge to a tariff with `count` prefixes and import a fresh file."""
    import random

    from bench.world import prefixes, voice_tariff, write_file
    from rating.models import Charge, TimeBand

    rng = random.Random(count)
    codes = prefixes(count, rng)
    peak = TimeBand.objects.get(tenant=world.tenant, name="peak")
    tariff = voice_tariff(world.tenant, world.plan.currency, codes, f"voice-{count}", peak)
    Charge.objects.filter(price_plan=world.plan, service="voice").update(tariff=tariff)
    world.voice_prefixes = codes
    path = workdir / f"edr-{count}-prefixes.csv"
    write_file(world, path, records=records, day=day, seed=count, key=f"p{count}-")
    elapsed, usage_file = import_file(world.tenant, path)
    print(f"  {count:>6} prefixes: {usage_file.lines_read / elapsed:>9,.0f} records/s  ({_check(usage_file)})")
    return usage_file.lines_read / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--prefixes", type=int, default=5_000)
    parser.add_argument("--round-records", type=int, default=200_000, help="Records of the 50 / 50,000 rounds.")
    parser.add_argument("--profile", action="store_true", help="cProfile the main import.")
    parser.add_argument("--skip-rounds", action="store_true")
    args = parser.parse_args()

    _fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.world import build_world, write_file

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    world = build_world(subscribers=args.subscribers, prefix_count=args.prefixes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"world: {args.subscribers} subscribers, {args.prefixes} prefixes in {time.perf_counter() - began:.1f}s")
    workdir = Path(tempfile.mkdtemp(prefix="rating-bench-"))
    workdir.chmod(0o755)  # the server reads the file for the COPY floor
    day = (datetime.now(UTC) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    path = workdir / "edr-day.csv"
    began = time.perf_counter()
    malformed = write_file(world, path, records=args.records, day=day)
    path.chmod(0o644)
    print(f"file: {args.records:,} records ({malformed:,} malformed), {path.stat().st_size / 1e6:.0f} MB "
          f"in {time.perf_counter() - began:.1f}s")  # fmt: skip

    floor = copy_floor(path)
    print(f"COPY floor: {floor:,.0f} rows/s")
    elapsed, usage_file = import_file(world.tenant, path, profile=args.profile)
    rate = usage_file.lines_read / elapsed
    print(f"import: {elapsed:.1f}s, {rate:,.0f} records/s  ({_check(usage_file)})")
    elapsed_again, again = import_file(world.tenant, path)
    print(f"re-import of the same file: {elapsed_again:.2f}s, status={again.status} rated={again.rated} "
          f"duplicates={again.duplicates}")  # fmt: skip
    if not args.skip_rounds:
        for count in (50, 50_000):
            round_rate = _prefix_round(world, count, args.round_records, day, workdir)
            print(f"  ratio at {count} prefixes: {round_rate / floor:.3f}")
    print(f"BENCH rating records_per_s={rate:.0f} copy_floor_rows_per_s={floor:.0f} ratio={rate / floor:.3f}")


if __name__ == "__main__":
    main()
