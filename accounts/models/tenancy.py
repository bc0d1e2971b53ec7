"""The tenant tree and users.

A tenant's `path` is the materialised chain of ids from the operator down ("/1/4/"), so "the subtree
of T" is one indexed `path LIKE '/1/4/%'` for any depth.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class TenantKind(models.TextChoices):
    OPERATOR = "operator", "Operator"
    RESELLER = "reseller", "Reseller"


class Tenant(models.Model):
    tenant_lookup = ""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(max_length=16, choices=TenantKind.choices, default=TenantKind.RESELLER)
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField(max_length=60, blank=True)
    address = models.TextField(blank=True)
    operations_email = models.EmailField(blank=True, help_text="Where alerts and run reports are sent.")
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA zone for time bands and billing days.")
    default_currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    rounding = models.CharField(
        max_length=16,
        choices=[("ROUND_HALF_UP", "Half up"), ("ROUND_HALF_EVEN", "Half even (banker's)")],
        default="ROUND_HALF_UP",
        help_text="One rounding rule per tenant for invoice amounts.",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="tenant_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # The path needs our pk, so a new row is saved twice; paths of children are not moved here
        # (re-parenting is not an operation the product offers).
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        parent_path = self.parent.path if self.parent_id else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            self.path = path
            Tenant.objects.filter(pk=self.pk).update(path=path)

    def clean(self) -> None:
        if self.parent_id and self.pk and f"/{self.pk}/" in (self.parent.path or ""):
            raise ValidationError({"parent": "A tenant cannot be placed under its own subtree."})

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class User(AbstractUser):
    """A person who signs in: staff of a tenant (back office, API) or a customer's user (portal)."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="Staff see and act on this tenant's subtree only. Empty only for platform superusers.",
    )
    customer = models.ForeignKey(
        "accounts.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
        help_text="Set for self-care portal users: they see this customer's accounts only.",
    )
    language = models.CharField(max_length=8, default="en")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def clean(self) -> None:
        super().clean()
        if self.customer_id and self.is_staff:
            raise ValidationError("A customer's portal user cannot be back-office staff.")
