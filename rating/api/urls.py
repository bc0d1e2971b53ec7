"""Routes of the rating API under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import usage_views, views

router = SimpleRouter()
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("usage-formats", usage_views.UsageFormatViewSet, basename="usage-format")
router.register("usage-files", usage_views.UsageFileViewSet, basename="usage-file")
router.register("rating-runs", usage_views.RatingRunViewSet, basename="rating-run")
router.register("rated-usage", usage_views.RatedUsageViewSet, basename="rated-usage")
router.register("rejected-records", usage_views.RejectedRecordViewSet, basename="rejected-record")
router.register("usage-alerts", usage_views.UsageAlertViewSet, basename="usage-alert")
urlpatterns = [
    path("usage", usage_views.UsageEventsView.as_view(), name="usage-events"),
    *router.urls,
]
