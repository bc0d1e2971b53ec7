"""Importing a usage file: register it (checksum), then rate it chunk by chunk with a resume cursor.

- `usage_file_register`: the SHA-256 of the bytes identifies a file per tenant. The same bytes again (a
  re-sent or renamed copy) are recorded as a `duplicate` file pointing at the original, counted as that many
  duplicate records, and not read again. An original that did not finish (crash, failure) is returned as is,
  so importing it again resumes after its last committed chunk (`lines_done`).
- `usage_file_import`: one transaction per chunk (see `pipeline`); a file that cannot be read with its
  format is marked failed and raises a `parse_failure` alert; a reject ratio above the tenant's threshold
  raises a `reject_ratio` alert. Conservation holds after every chunk: read = rated + rejected + duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Tenant
from rating.models import AlertKind, RatingRun, UsageFile, UsageFileStatus, UsageFormat

from .formats import FormatError, FormatReader, FormatSpec
from .pipeline import UsagePipeline
from .runs import rating_settings_for, reject_ratio_check, usage_alert_raise

Progress = Callable[[int], None]


def file_checksum(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def usage_format_for(*, tenant: Tenant, code: str) -> UsageFormat:
    """The tenant's own format with that code, else the one of a tenant above it, else the preset."""
    ancestor_ids = [int(pk) for pk in tenant.path.strip("/").split("/") if pk]
    candidates = {
        f.tenant_id: f for f in UsageFormat.objects.filter(code=code, active=True, tenant_id__in=ancestor_ids)
    }
    for pk in reversed(ancestor_ids):
        if pk in candidates:
            return candidates[pk]
    return UsageFormat.objects.get(code=code, tenant__isnull=True, active=True)


def usage_file_register(
    *,
    tenant: Tenant,
    usage_format: UsageFormat,
    path: Path,
    name: str = "",
    source: str,
    run: RatingRun | None = None,
    uploaded_by: object = None,
) -> UsageFile:
    """Record a file by checksum (see the module docstring); returns the file to import or its duplicate."""
    checksum, size = file_checksum(path)
    fields = {
        "tenant": tenant,
        "format": usage_format,
        "name": (name or path.name)[:255],
        "size": size,
        "source": source,
        "run": run,
        "stored_path": str(path),
        "uploaded_by": uploaded_by if getattr(uploaded_by, "pk", None) else None,
    }
    for _attempt in range(2):
        original = UsageFile.objects.filter(tenant=tenant, checksum=checksum, duplicate_of__isnull=True).first()
        if original is not None and original.status in (UsageFileStatus.DONE, UsageFileStatus.DUPLICATE):
            now = timezone.now()
            return UsageFile.objects.create(
                **fields,
                checksum=checksum,
                duplicate_of=original,
                status=UsageFileStatus.DUPLICATE,
                lines_read=original.lines_read,
                duplicates=original.lines_read,
                lines_done=original.lines_read,
                started_at=now,
                finished_at=now,
            )
        if original is not None:
            # Interrupted or failed earlier: the same file resumes where its last chunk committed.
            UsageFile.objects.filter(pk=original.pk).update(run=run, stored_path=str(path))
            original.refresh_from_db()
            return original
        try:
            with transaction.atomic():
                return UsageFile.objects.create(**fields, checksum=checksum)
        except IntegrityError:
            continue  # registered concurrently: read it on the second pass
    raise IntegrityError(f"could not register {path}")


def usage_file_import(
    *,
    usage_file: UsageFile,
    path: Path | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> UsageFile:
    """Rate every record of the file not yet committed; returns the file with its final counts."""
    if usage_file.status in (UsageFileStatus.DONE, UsageFileStatus.DUPLICATE):
        return usage_file
    tenant = usage_file.tenant
    fmt = usage_file.format
    source = Path(path or usage_file.stored_path)
    size = chunk_size or getattr(settings, "USAGE_CHUNK_SIZE", 20_000)
    UsageFile.objects.filter(pk=usage_file.pk).update(
        status=UsageFileStatus.PROCESSING, started_at=usage_file.started_at or timezone.now(), error=""
    )
    usage_file.refresh_from_db()
    try:
        spec = FormatSpec.from_model(fmt, tenant_timezone=tenant.timezone)
        reader = FormatReader(spec, now=now, late_days=rating_settings_for(tenant).late_record_days)
        pipeline = UsagePipeline(
            tenant=tenant,
            usage_file=usage_file,
            subscriber_kind=spec.subscriber_kind,
            leg_policy=spec.leg_policy,
            key_prefix=spec.key_prefix,
        )
        with source.open("rb") as stream:
            for chunk in reader.read(stream, skip=usage_file.lines_done, chunk_size=size):
                outcome = pipeline.process(chunk)
                if progress is not None:
                    progress(outcome.read)
    except (FormatError, OSError) as exc:
        return _failed(usage_file, str(exc))
    UsageFile.objects.filter(pk=usage_file.pk).update(status=UsageFileStatus.DONE, finished_at=timezone.now())
    usage_file.refresh_from_db()
    reject_ratio_check(usage_file=usage_file)
    return usage_file


def _failed(usage_file: UsageFile, error: str) -> UsageFile:
    with transaction.atomic():
        UsageFile.objects.filter(pk=usage_file.pk).update(
            status=UsageFileStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )
        usage_file.refresh_from_db()
        usage_alert_raise(
            tenant=usage_file.tenant,
            kind=AlertKind.PARSE_FAILURE,
            message=f"{usage_file.name} cannot be read as {usage_file.format.code}: {error}",
            run=usage_file.run,
            usage_file=usage_file,
        )
    return usage_file
