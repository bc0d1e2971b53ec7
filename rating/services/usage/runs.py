"""Rating runs, tenant rating settings and alerts.

An alert is a `UsageAlert` row (the admin lists open ones, the API exposes them on files and runs) and,
when the tenant has an operations address and wants it, an e-mail sent after the transaction commits.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Tenant
from rating.models import AlertKind, RatingRun, RatingSettings, RunStatus, UsageAlert, UsageFile, UsageFileStatus

logger = logging.getLogger(__name__)


def rating_settings_for(tenant: Tenant) -> RatingSettings:
    """The tenant's rating settings, created with the defaults on first use."""
    found, _ = RatingSettings.objects.get_or_create(tenant=tenant)
    return found


def usage_alert_raise(
    *, tenant: Tenant, kind: str, message: str, run: RatingRun | None = None, usage_file: UsageFile | None = None
) -> UsageAlert:
    """Record an alert and e-mail it to the tenant's operations address once the transaction commits."""
    wants_mail = rating_settings_for(tenant).alert_email and bool(tenant.operations_email)
    alert = UsageAlert.objects.create(
        tenant=tenant,
        kind=kind,
        message=message[:500],
        run=run,
        usage_file=usage_file,
        emailed_to=tenant.operations_email if wants_mail else "",
    )
    if wants_mail:
        subject = f"[{tenant.name}] usage import alert: {AlertKind(kind).label}"
        body = f"{message}\n\nSee the usage alerts in the back office (alert #{alert.pk})."
        transaction.on_commit(lambda: _mail(subject, body, tenant.operations_email))
    return alert


def _mail(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except OSError:  # the alert row stays; a mail server outage must not fail the import
        logger.exception("could not e-mail the usage alert to %s", to)


def usage_alert_acknowledge(*, alert: UsageAlert, actor: object) -> UsageAlert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor if getattr(actor, "pk", None) else None  # type: ignore[assignment]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert


def reject_ratio_check(*, usage_file: UsageFile) -> UsageAlert | None:
    """Alert when the file's rejected / read passes the tenant's threshold."""
    threshold = rating_settings_for(usage_file.tenant).reject_ratio_alert
    if not usage_file.lines_read:
        return None
    ratio = Decimal(usage_file.rejected) / Decimal(usage_file.lines_read)
    if ratio <= threshold:
        return None
    message = (
        f"{usage_file.name}: {usage_file.rejected} of {usage_file.lines_read} records rejected "
        f"({ratio:.2%}, threshold {threshold:.2%})."
    )
    return usage_alert_raise(
        tenant=usage_file.tenant,
        kind=AlertKind.REJECT_RATIO,
        message=message,
        run=usage_file.run,
        usage_file=usage_file,
    )


def rating_run_start(*, tenant: Tenant, trigger: str) -> RatingRun:
    return RatingRun.objects.create(tenant=tenant, trigger=trigger)


def rating_run_finish(*, run: RatingRun, errors: list[dict[str, str]] | None = None) -> RatingRun:
    """Close the run: totals from its files, status from their outcome."""
    files = UsageFile.objects.filter(run=run)
    totals = files.aggregate(
        lines_read=Sum("lines_read"), rated=Sum("rated"), rejected=Sum("rejected"), duplicates=Sum("duplicates")
    )
    run.files = files.count()
    for name, value in totals.items():
        setattr(run, name, value or 0)
    run.errors = list(run.errors or []) + list(errors or [])
    failed = files.filter(status=UsageFileStatus.FAILED).exists()
    if run.errors and not files.exclude(status=UsageFileStatus.FAILED).exists() and run.files:
        run.status = RunStatus.FAILED
    elif run.errors or failed:
        run.status = RunStatus.DONE_WITH_ERRORS
    else:
        run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save()
    return run
