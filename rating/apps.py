from django.apps import AppConfig


class RatingConfig(AppConfig):
    name = "rating"
    verbose_name = "Catalog & rating"
    default_auto_field = "django.db.models.BigAutoField"
