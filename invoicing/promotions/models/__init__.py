"""Models of promotions, loyalty and refer-a-friend, one module per concern."""

from .loyalty import (
    LoyaltyGrant,
    LoyaltyRedemption,
    LoyaltyRedemptionKind,
    LoyaltyReward,
    LoyaltyRewardKind,
    LoyaltyRule,
    LoyaltyRuleKind,
)
from .promotions import Promotion, PromotionKind, PromotionRedemption
from .referrals import (
    Referral,
    ReferralCode,
    ReferralCondition,
    ReferralProgram,
    ReferralStatus,
    RefusalReason,
)

__all__ = [
    "LoyaltyGrant",
    "LoyaltyRedemption",
    "LoyaltyRedemptionKind",
    "LoyaltyReward",
    "LoyaltyRewardKind",
    "LoyaltyRule",
    "LoyaltyRuleKind",
    "Promotion",
    "PromotionKind",
    "PromotionRedemption",
    "Referral",
    "ReferralCode",
    "ReferralCondition",
    "ReferralProgram",
    "ReferralStatus",
    "RefusalReason",
]
