from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = "Dunning"
    default_auto_field = "django.db.models.BigAutoField"
