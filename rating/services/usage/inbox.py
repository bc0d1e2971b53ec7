"""The inbox: files dropped by the switches (or uploaded) are picked up, rated and archived.

Layout (settings `USAGE_INBOX_DIR`, `USAGE_ARCHIVE_DIR`, both under var/ by default):
    <inbox>/<tenant code>/<format code>/<file>        e.g. inbox/acme/asterisk-master/Master-20240305.csv
    <archive>/<tenant code>/<YYYY-MM-DD>/<file>       processed files (failed ones too, with their status)
A file is claimed by moving it to `<inbox>/<tenant>/.processing/` first (an atomic rename, so two scans never
take the same file); names starting with '.' or ending in .tmp / .part, and files modified in the last
`USAGE_INBOX_SETTLE_SECONDS`, are still being written and are left for the next scan. One rating run per
tenant and scan records files, counts, duration and errors; an unknown folder is a run error and an alert.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Tenant
from rating.models import AlertKind, RatingRun, UsageFile, UsageFileStatus, UsageFormat, UsageSource

from .importer import usage_file_import, usage_file_register, usage_format_for
from .runs import rating_run_finish, rating_run_start, usage_alert_raise

logger = logging.getLogger(__name__)
PROCESSING = ".processing"


def inbox_dir() -> Path:
    return Path(settings.USAGE_INBOX_DIR)


def archive_dir() -> Path:
    return Path(settings.USAGE_ARCHIVE_DIR)


def _ready(path: Path, settle: float) -> bool:
    name = path.name
    if not path.is_file() or name.startswith(".") or name.endswith((".tmp", ".part")):
        return False
    return time.time() - path.stat().st_mtime >= settle


def usage_file_archive(*, usage_file: UsageFile, path: Path) -> Path:
    """Move a processed file to the archive (a numbered name when the day already holds one) and note where."""
    folder = archive_dir() / usage_file.tenant.code / timezone.now().strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    original = Path(Path(usage_file.name).name or path.name)
    target = folder / original.name
    counter = 1
    while target.exists():
        target = folder / f"{original.stem}.{counter}{original.suffix}"
        counter += 1
    shutil.move(str(path), target)
    UsageFile.objects.filter(pk=usage_file.pk).update(stored_path=str(target))
    return target


def _claim(path: Path, tenant_code: str) -> Path | None:
    folder = inbox_dir() / tenant_code / PROCESSING
    folder.mkdir(parents=True, exist_ok=True)
    claimed = folder / f"{path.parent.name}__{path.name}"
    try:
        path.rename(claimed)
    except FileNotFoundError:
        return None  # another scan took it
    return claimed


def _formats(tenant: Tenant, root: Path) -> tuple[list[tuple[UsageFormat, Path]], list[dict[str, str]]]:
    found, errors = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            found.append((usage_format_for(tenant=tenant, code=folder.name), folder))
        except UsageFormat.DoesNotExist:
            errors.append({"file": str(folder), "error": f"no usage format with code {folder.name!r}"})
    return found, errors


def usage_inbox_scan(
    *, tenant_code: str | None = None, settle: float | None = None, progress: Callable[[int], None] | None = None
) -> list[RatingRun]:
    """Rate every ready file of the inbox (one run per tenant with files or folder errors); see the docstring."""
    root = inbox_dir()
    wait = getattr(settings, "USAGE_INBOX_SETTLE_SECONDS", 5) if settle is None else settle
    runs = []
    if not root.is_dir():
        return runs
    for tenant_root in sorted(p for p in root.iterdir() if p.is_dir()):
        if tenant_code and tenant_root.name != tenant_code:
            continue
        tenant = Tenant.objects.filter(code=tenant_root.name).first()
        if tenant is None:
            logger.warning("usage inbox: no tenant with code %s (folder %s)", tenant_root.name, tenant_root)
            continue
        formats, errors = _formats(tenant, tenant_root)
        ready = [(fmt, path) for fmt, folder in formats for path in sorted(folder.iterdir()) if _ready(path, wait)]
        if not ready and not errors:
            continue
        run = rating_run_start(tenant=tenant, trigger=UsageSource.INBOX)
        for fmt, path in ready:
            claimed = _claim(path, tenant.code)
            if claimed is None:
                continue
            usage_file = usage_file_register(
                tenant=tenant, usage_format=fmt, path=claimed, name=path.name, source=UsageSource.INBOX, run=run
            )
            usage_file = usage_file_import(usage_file=usage_file, path=claimed, progress=progress)
            usage_file_archive(usage_file=usage_file, path=claimed)
            if usage_file.error:
                errors.append({"file": usage_file.name, "error": usage_file.error})
        for error in errors:
            if "no usage format" in error["error"]:
                usage_alert_raise(tenant=tenant, kind=AlertKind.RUN_ERROR, message=error["error"], run=run)
        runs.append(rating_run_finish(run=run, errors=errors))
    return runs


def usage_file_receive(*, tenant: Tenant, usage_format: UsageFormat, upload: Any, actor: Any = None) -> UsageFile:
    """Keep an uploaded file and queue its import (after commit); a copy of a file already rated is
    recorded as a duplicate at once and archived."""
    folder = Path(settings.USAGE_UPLOAD_DIR) / tenant.code / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(str(upload.name)).name or "upload.csv"  # never a path from the client
    path = folder / name
    with path.open("wb") as out:
        for block in upload.chunks():
            out.write(block)
    run = rating_run_start(tenant=tenant, trigger=UsageSource.API)
    usage_file = usage_file_register(
        tenant=tenant,
        usage_format=usage_format,
        path=path,
        name=name,
        source=UsageSource.API,
        run=run,
        uploaded_by=actor,
    )
    if usage_file.status == UsageFileStatus.DUPLICATE:
        usage_file_archive(usage_file=usage_file, path=path)
        rating_run_finish(run=run)
        usage_file.refresh_from_db()
        return usage_file
    from rating.tasks import usage_file_import_task  # tasks sit on top of the services

    file_id = usage_file.pk
    transaction.on_commit(lambda: usage_file_import_task.delay(file_id))
    return usage_file
