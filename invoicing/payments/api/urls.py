from django.urls import path
from rest_framework.routers import DefaultRouter

from . import webhook

router = DefaultRouter()
urlpatterns = [
    path("payments/stripe/webhook/", webhook.stripe_webhook, name="stripe-webhook"),
    *router.urls,
]
