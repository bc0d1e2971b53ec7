"""Routes of the rating API under /api/v1/: subscriptions, the catalog under rating/ and the cost quote."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import catalog_views, usage_views, views
from .quote import QuoteSlashView, QuoteView

router = SimpleRouter()
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("rating/products", catalog_views.ProductViewSet, basename="product")
router.register("rating/price-plans", catalog_views.PricePlanViewSet, basename="price-plan")
router.register("rating/charges", catalog_views.ChargeViewSet, basename="charge")
router.register("rating/tariffs", catalog_views.TariffViewSet, basename="tariff")
router.register("rating/time-bands", catalog_views.TimeBandViewSet, basename="time-band")
router.register("rating/holidays", catalog_views.HolidayViewSet, basename="holiday")
router.register("rating/rate-deck-imports", catalog_views.RateDeckImportViewSet, basename="rate-deck-import")
router.register("rating/usage-formats", usage_views.UsageFormatViewSet, basename="usage-format")
router.register("rating/usage-files", usage_views.UsageFileViewSet, basename="usage-file")
router.register("rating/runs", usage_views.RatingRunViewSet, basename="rating-run")
router.register("rating/rated-usage", usage_views.RatedUsageViewSet, basename="rated-usage")
router.register("rating/rejected-records", usage_views.RejectedRecordViewSet, basename="rejected-record")
router.register("rating/usage-alerts", usage_views.UsageAlertViewSet, basename="usage-alert")
urlpatterns = [
    path("usage", usage_views.UsageEventsView.as_view(), name="usage-events"),
    path("rating/quote", QuoteView.as_view(), name="rating-quote"),
    path("rating/quote/", QuoteSlashView.as_view(), name="rating-quote-slash"),
    *router.urls,
]
