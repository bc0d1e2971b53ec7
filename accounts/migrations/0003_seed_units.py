"""Data migration: the units every installation starts with (more can be added in the admin)."""

from django.db import migrations

UNITS = [
    ("EUR", "Euro", "currency", 2, "€"),
    ("USD", "US dollar", "currency", 2, "$"),
    ("GBP", "Pound sterling", "currency", 2, "£"),
    ("JPY", "Yen", "currency", 0, "¥"),
    ("BHD", "Bahraini dinar", "currency", 3, ""),
    ("BTC", "Bitcoin", "crypto", 8, "₿"),
    ("MIN", "Voice minutes", "item", 0, ""),
    ("SEC", "Voice seconds", "item", 0, ""),
    ("SMS", "SMS", "item", 0, ""),
    ("MB", "Megabytes", "item", 3, ""),
    ("VIDEO", "Videos", "item", 0, ""),
    ("SERVICE", "One-off services", "item", 0, ""),
    ("BUNDLE", "Bundles", "item", 0, ""),
    ("PTS", "Loyalty points", "points", 0, ""),
]


def seed(apps, schema_editor):
    Unit = apps.get_model("accounts", "Unit")
    for code, name, kind, decimals, symbol in UNITS:
        Unit.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "decimals": decimals, "symbol": symbol}
        )


def unseed(apps, schema_editor):
    apps.get_model("accounts", "Unit").objects.filter(code__in=[u[0] for u in UNITS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_ledger_triggers")]
    operations = [migrations.RunPython(seed, unseed)]
