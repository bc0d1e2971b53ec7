from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views, webhook

router = DefaultRouter()
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("bank-statements", views.StatementViewSet, basename="bank-statement")
router.register("bank-statement-lines", views.StatementLineViewSet, basename="bank-statement-line")
urlpatterns = [
    path("payments/stripe/webhook/", webhook.stripe_webhook, name="stripe-webhook"),
    *router.urls,
]
