"""Units are data: currencies (ISO 4217 exponent), crypto, items and loyalty points."""

from __future__ import annotations

from django.db import models


class UnitKind(models.TextChoices):
    CURRENCY = "currency", "Currency"
    CRYPTO = "crypto", "Crypto currency"
    ITEM = "item", "Items (minutes, SMS, MB, ...)"
    POINTS = "points", "Loyalty points"


class Unit(models.Model):
    code = models.CharField(max_length=16, unique=True, help_text="ISO 4217 code for currencies, e.g. EUR.")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=UnitKind.choices)
    decimals = models.PositiveSmallIntegerField(
        help_text="Minor-unit exponent: EUR 2, JPY 0, BHD 3, BTC 8; items usually 0 (or 3 for MB)."
    )
    symbol = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_money(self) -> bool:
        return self.kind in (UnitKind.CURRENCY, UnitKind.CRYPTO)
