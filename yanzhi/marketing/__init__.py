"""Channels and referrals: channel costs, e-commerce voucher verification, channel ROI, the referral tree, the repurchase window and promotions."""
