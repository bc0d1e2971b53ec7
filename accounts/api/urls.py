"""Routes of the accounts API under /api/v1/ (no API root view: the index is /api/docs/)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("tenants", views.TenantViewSet, basename="tenant")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("accounts", views.BillingAccountViewSet, basename="account")
router.register("wallets", views.WalletViewSet, basename="wallet")
router.register("ledger-entries", views.LedgerEntryViewSet, basename="ledger-entry")
urlpatterns = router.urls
