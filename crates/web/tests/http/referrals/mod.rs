mod referral;
