from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing & payments"
    default_auto_field = "django.db.models.BigAutoField"
