"""Usage import and rating: formats, the chunked pipeline, files, runs, rejects, re-rating, real-time events.

Entry points (services): `usage_file_register`, `usage_file_import`, `usage_inbox_scan`, `usage_events_rate`,
`rejected_record_fix`, `rejected_records_replay`, `rerate_records`. See docs/usage.md.
"""

from .formats import FormatError, FormatReader, FormatSpec
from .importer import file_checksum, usage_file_import, usage_file_register, usage_format_for
from .pipeline import ChunkOutcome, UsagePipeline
from .runs import (
    rating_run_finish,
    rating_run_start,
    rating_settings_for,
    reject_ratio_check,
    usage_alert_acknowledge,
    usage_alert_raise,
)

__all__ = [
    "ChunkOutcome",
    "FormatError",
    "FormatReader",
    "FormatSpec",
    "UsagePipeline",
    "file_checksum",
    "rating_run_finish",
    "rating_run_start",
    "rating_settings_for",
    "reject_ratio_check",
    "usage_alert_acknowledge",
    "usage_alert_raise",
    "usage_file_import",
    "usage_file_register",
    "usage_format_for",
]
