from django.apps import AppConfig


class RatingConfig(AppConfig):
    name = "rating"
    verbose_name = "Catalog & rating"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the tariff-revision receivers)
