"""Routes of the rating API under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
urlpatterns = router.urls
