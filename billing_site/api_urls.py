"""The API router under /api/v1/: each app contributes its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("rating.api.urls")),
    path("", include("invoicing.api.urls")),
    path("", include("invoicing.promotions.api.urls")),
    path("", include("invoicing.payments.api.urls")),
]
