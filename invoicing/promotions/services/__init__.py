"""Every write of promotions, loyalty and refer-a-friend, one function per use case.

- `grants`: the ledger movements a grant is made of (credit, free units, points, a discount);
- `promotions`: `promotion_redeem`, `promotion_campaign_run`;
- `loyalty`: `loyalty_earn_paid_invoice`, `loyalty_earn_tenure`, `loyalty_earn_top_up`,
  `loyalty_redeem`, `points_expire`;
- `referrals`: `referral_code_for`, `referral_register`, `referral_evaluate`;
- `daily`: `promotions_daily` (the scheduled run) and `invoice_paid_rewards` (the invoice-paid hook).
"""

from .daily import DailyResult, invoice_paid_rewards, promotions_daily
from .loyalty import (
    loyalty_earn_paid_invoice,
    loyalty_earn_tenure,
    loyalty_earn_top_up,
    loyalty_redeem,
    points_balance,
    points_expire,
)
from .promotions import CampaignResult, promotion_campaign_run, promotion_redeem
from .referrals import referral_code_for, referral_evaluate, referral_register

__all__ = [
    "CampaignResult",
    "DailyResult",
    "invoice_paid_rewards",
    "loyalty_earn_paid_invoice",
    "loyalty_earn_tenure",
    "loyalty_earn_top_up",
    "loyalty_redeem",
    "points_balance",
    "points_expire",
    "promotion_campaign_run",
    "promotion_redeem",
    "promotions_daily",
    "referral_code_for",
    "referral_evaluate",
    "referral_register",
]
