"""The catalog: what the business sells. (Price plans, charges and tariffs extend it.)"""

from __future__ import annotations

from django.db import models


class Product(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="products")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=40, blank=True, help_text="Drives the tax rate, e.g. telecom, device.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="product_code_per_tenant")]

    def __str__(self) -> str:
        return self.name
