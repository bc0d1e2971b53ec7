from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "invoicing.promotions"
    label = "promotions"
    verbose_name = "Promotions, loyalty & referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the invoice_paid receiver)
