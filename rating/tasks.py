"""Celery tasks of the rating app: thin wrappers that take ids and call one service each."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task

from rating.models import UsageFile
from rating.services.usage import usage_file_import
from rating.services.usage.inbox import usage_file_archive, usage_inbox_scan
from rating.services.usage.runs import rating_run_finish


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def usage_inbox_scan_task(tenant_code: str | None = None) -> list[int]:
    """Pick up, rate and archive the ready files of the inbox; returns the ids of the rating runs."""
    return [run.pk for run in usage_inbox_scan(tenant_code=tenant_code)]


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def usage_file_import_task(usage_file_id: int) -> int:
    """Rate an uploaded file (resumes after its last committed chunk if a worker died), archive it and
    close its run; returns the file id."""
    usage_file = UsageFile.objects.select_related("tenant", "format", "run").get(pk=usage_file_id)
    path = Path(usage_file.stored_path)
    usage_file = usage_file_import(usage_file=usage_file, path=path)
    if path.exists():
        usage_file_archive(usage_file=usage_file, path=path)
    if usage_file.run is not None:
        rating_run_finish(run=usage_file.run)
    return usage_file.pk
