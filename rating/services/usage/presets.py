"""The shipped format presets (rows of the data migration), recreated on demand when a table was flushed."""

from __future__ import annotations

import importlib

from rating.models import UsageFormat

_PRESETS = importlib.import_module("rating.migrations.0009_usage_format_presets").PRESETS


def usage_format_preset(code: str) -> UsageFormat:
    """The preset format `code` (tenant empty), created from the migration's data if it is missing."""
    found = UsageFormat.objects.filter(tenant__isnull=True, code=code).first()
    if found is not None:
        return found
    spec = next(p for p in _PRESETS if p["code"] == code)
    return UsageFormat.objects.create(tenant=None, **spec)
