from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "invoicing.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the after-commit reaction to issued invoices (credit applied, auto-pay queued).
        from . import receivers  # noqa: F401
