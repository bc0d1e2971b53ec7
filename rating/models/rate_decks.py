"""The log of rate-deck imports: who loaded which file into which tariff, and what became of each line."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RateDeckSource(models.TextChoices):
    COMMAND = "command", "manage.py import_rate_deck"
    ADMIN = "admin", "Back office upload"
    API = "api", "API upload"


class RateDeckImport(models.Model):
    """One import of a deck. `report` holds the rejected lines with their numbers and reasons.

    Conservation: lines_read = lines_loaded + lines_unchanged + lines_rejected.
    """

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    tariff = models.ForeignKey("rating.Tariff", on_delete=models.PROTECT, related_name="rate_deck_imports")
    file_name = models.CharField(max_length=255, blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file as received.")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    source = models.CharField(max_length=8, choices=RateDeckSource.choices)
    lines_read = models.PositiveIntegerField(default=0)
    lines_loaded = models.PositiveIntegerField(default=0, help_text="Steps written (new or replacing).")
    lines_unchanged = models.PositiveIntegerField(default=0, help_text="Steps already stored exactly so.")
    lines_rejected = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tariff", "-created_at"], name="rate_deck_import_tariff")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    lines_read=models.F("lines_loaded") + models.F("lines_unchanged") + models.F("lines_rejected")
                ),
                name="rate_deck_import_lines_add_up",
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name or 'deck'} -> {self.tariff_id} ({self.created_at:%Y-%m-%d %H:%M})"
