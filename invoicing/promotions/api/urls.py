"""Routes of the promotions API under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("promotions", views.PromotionViewSet, basename="promotion")
router.register("promotion-redemptions", views.PromotionRedemptionViewSet, basename="promotion-redemption")
router.register("loyalty-rules", views.LoyaltyRuleViewSet, basename="loyalty-rule")
router.register("loyalty-rewards", views.LoyaltyRewardViewSet, basename="loyalty-reward")
router.register("loyalty-grants", views.LoyaltyGrantViewSet, basename="loyalty-grant")
router.register("loyalty-redemptions", views.LoyaltyRedemptionViewSet, basename="loyalty-redemption")
router.register("referral-programs", views.ReferralProgramViewSet, basename="referral-program")
router.register("referral-codes", views.ReferralCodeViewSet, basename="referral-code")
router.register("referrals", views.ReferralViewSet, basename="referral")
urlpatterns = router.urls
