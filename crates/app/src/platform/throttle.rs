//! Limits on repeated attempts: sign-in, second factor, password re-checks, sign-up and reset
//! requests. Every attempt is counted atomically *before* it is checked, so a burst of
//! parallel requests cannot slip past the limit.

use domain::platform::throttle::{ThrottleDecision, ThrottlePolicy};

use crate::{App, AppError, AppResult, RequestMeta};

/// One counter and the policy it follows.
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    pub key: String,
    pub policy: ThrottlePolicy,
}

impl Limit {
    /// Failed sign-ins and password re-checks for one account (by the address typed).
    pub fn account(email: &str) -> Limit {
        Limit {
            key: format!("account:{}", email.trim().to_lowercase()),
            policy: ThrottlePolicy::ACCOUNT,
        }
    }
    /// Sign-in attempts from one client address.
    pub fn address(meta: &RequestMeta) -> Option<Limit> {
        meta.client_addr.as_ref().map(|a| Limit {
            key: format!("address:{a}"),
            policy: ThrottlePolicy::ADDRESS,
        })
    }
    /// Sign-in attempts from a browser holding a device cookie for the account (by the
    /// cookie's hash): its owner's own allowance.
    pub fn device(token_hash: &str) -> Limit {
        Limit {
            key: format!("device:{token_hash}"),
            policy: ThrottlePolicy::DEVICE,
        }
    }
    /// Passwords typed again, by a signed-in person, before a sensitive change. Apart from the
    /// sign-in counters, so someone locking the account's sign-in from elsewhere does not
    /// stop its owner changing the password.
    pub fn password_recheck(user: &domain::UserId) -> Limit {
        Limit {
            key: format!("password-recheck:{user}"),
            policy: ThrottlePolicy::ACCOUNT,
        }
    }
    /// Codes tried for one account's second factor.
    pub fn second_factor(user: &domain::UserId) -> Limit {
        Limit {
            key: format!("second-factor:{user}"),
            policy: ThrottlePolicy::ACCOUNT,
        }
    }
    pub fn sign_up(meta: &RequestMeta) -> Option<Limit> {
        meta.client_addr.as_ref().map(|a| Limit {
            key: format!("sign-up:{a}"),
            policy: ThrottlePolicy::SIGN_UP_PER_ADDRESS,
        })
    }
    pub fn reset_account(email: &str) -> Limit {
        Limit {
            key: format!("reset:{}", email.trim().to_lowercase()),
            policy: ThrottlePolicy::RESET_PER_ACCOUNT,
        }
    }
    pub fn reset_address(meta: &RequestMeta) -> Option<Limit> {
        meta.client_addr.as_ref().map(|a| Limit {
            key: format!("reset-address:{a}"),
            policy: ThrottlePolicy::RESET_PER_ADDRESS,
        })
    }
    /// Ethics complaints sent from one client address.
    pub fn complaint_address(meta: &RequestMeta) -> Option<Limit> {
        meta.client_addr.as_ref().map(|a| Limit {
            key: format!("complaint-address:{a}"),
            policy: ThrottlePolicy::COMPLAINT_PER_ADDRESS,
        })
    }
    /// Requests for a referring-provider account from one client address.
    pub fn referrer_request_address(meta: &RequestMeta) -> Option<Limit> {
        meta.client_addr.as_ref().map(|a| Limit {
            key: format!("referrer-request-address:{a}"),
            policy: ThrottlePolicy::REFERRER_REQUEST_PER_ADDRESS,
        })
    }
    /// Requests for a referring-provider account from one e-mail address.
    pub fn referrer_request_email(email: &str) -> Limit {
        Limit {
            key: format!("referrer-request-email:{}", email.trim().to_lowercase()),
            policy: ThrottlePolicy::REFERRER_REQUEST_PER_EMAIL,
        }
    }
    /// One complaint's copies, by a fingerprint of who sent it, about whom and its words.
    pub fn complaint_copy(fingerprint: &str) -> Limit {
        Limit {
            key: format!("complaint-copy:{fingerprint}"),
            policy: ThrottlePolicy::COMPLAINT_COPY,
        }
    }
    /// Ethics complaints by one reporter (the e-mail address they give).
    pub fn complaint_reporter(email: &str) -> Limit {
        Limit {
            key: format!("complaint-reporter:{}", email.trim().to_lowercase()),
            policy: ThrottlePolicy::COMPLAINT_PER_REPORTER,
        }
    }
}

impl App {
    /// Counts this attempt on every limit; refuses with the longest wait if any is exceeded.
    pub(crate) async fn count_attempt(&self, limits: &[Limit]) -> AppResult<()> {
        let now = self.now();
        let mut refused: Option<ThrottleDecision> = None;
        for limit in limits {
            let cutoff = store::Timestamp::new(now.get() - limit.policy.window);
            let state = self.store().count_attempt(&limit.key, now, cutoff).await?;
            let decision = limit.policy.judge(&state, now.get());
            if let ThrottleDecision::Locked { retry_after } = decision {
                if state.locked_until.is_none() {
                    let until = store::Timestamp::new(now.get() + retry_after);
                    self.store().lock_throttle(&limit.key, now, until).await?;
                }
                let longer = match refused {
                    Some(ThrottleDecision::Locked { retry_after: r }) => retry_after > r,
                    _ => true,
                };
                if longer {
                    refused = Some(decision);
                }
            }
        }
        match refused {
            Some(decision) => Err(AppError::Throttled(decision.message().unwrap_or_default())),
            None => Ok(()),
        }
    }

    /// Whether one more attempt on `limit` would be refused, without counting one.
    pub(crate) async fn used_up(&self, limit: &Limit) -> AppResult<bool> {
        let now = self.now().get();
        Ok(match self.store().throttle_state(&limit.key).await? {
            Some(state) if state.locked_until.is_some_and(|until| until > now) => true,
            Some(state) => {
                state.window_started_at >= now - limit.policy.window && state.failures >= limit.policy.max_failures
            }
            None => false,
        })
    }

    /// Forgets a limit's count (after a success that proves the attempts were genuine).
    pub(crate) async fn clear_limit(&self, limit: &Limit) -> AppResult<()> {
        Ok(self.store().clear_throttle(&limit.key).await?)
    }

    /// Takes one attempt back (a success from a shared address should not use up its budget).
    pub(crate) async fn forgive(&self, limit: &Limit) -> AppResult<()> {
        Ok(self.store().forgive_attempt(&limit.key).await?)
    }
}
