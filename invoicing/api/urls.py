from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("credit-notes", views.CreditNoteViewSet, basename="credit-note")
router.register("one-off-charges", views.OneOffChargeViewSet, basename="one-off-charge")
router.register("tax-rates", views.TaxRateViewSet, basename="tax-rate")
router.register("account-discounts", views.AccountDiscountViewSet, basename="account-discount")
urlpatterns = router.urls
