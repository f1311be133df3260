//! Device cookies, as the OWASP authentication guidance describes them: after a full sign-in
//! the browser keeps a random token bound to the account (the database keeps its hash). A
//! later sign-in to that account presenting it is limited per token only; attempts without
//! one are limited per account and per address. So guessing from elsewhere, or a flood from a
//! shared address, cannot lock the owner out, and a token that fails too often locks only
//! itself. One cookie holds the tokens of the last few accounts signed in from the browser,
//! so people sharing a computer keep theirs.

use domain::UserId;
use time::Duration;

use crate::platform::random;
use crate::platform::throttle::Limit;
use crate::{App, AppResult};

/// How long a browser stays trusted for an account without signing in to it again.
pub const DEVICE_COOKIE_LIFETIME: Duration = Duration::days(180);

/// Accounts one browser's cookie remembers (the most recent first).
const MAX_TOKENS: usize = 4;

/// The device cookie a browser sent: its tokens, one per account it signed in to.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DeviceCookie {
    tokens: Vec<String>,
}

impl DeviceCookie {
    /// Reads a cookie value; anything that is not a token is ignored (a stale or forged
    /// value is simply not trusted).
    pub fn parse(value: Option<&str>) -> DeviceCookie {
        let tokens = value
            .unwrap_or_default()
            .split('.')
            .filter(|t| t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .take(MAX_TOKENS)
            .map(str::to_owned)
            .collect();
        DeviceCookie { tokens }
    }

    /// The cookie's value, to send back to the browser.
    pub fn value(&self) -> String {
        self.tokens.join(".")
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl std::fmt::Debug for DeviceCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceCookie(<{} tokens>)", self.tokens.len())
    }
}

/// How a sign-in attempt is limited, decided before the password is checked.
#[derive(Debug, Clone)]
pub(crate) enum Trust {
    /// The browser holds a valid device cookie for the account: the token's hash.
    Device(String),
    /// Anyone else: per account and per address.
    Untrusted,
}

impl Trust {
    /// The counters an attempt under this trust is counted on.
    pub(crate) fn limits(&self, email: &str, meta: &crate::RequestMeta) -> Vec<Limit> {
        match self {
            Trust::Device(hash) => vec![Limit::device(hash)],
            Trust::Untrusted => std::iter::once(Limit::account(email))
                .chain(Limit::address(meta))
                .collect(),
        }
    }
}

impl App {
    /// Whether `cookie` holds a valid token for `user`.
    pub(crate) async fn device_trust(&self, cookie: &DeviceCookie, user: Option<&UserId>) -> AppResult<Trust> {
        let Some(user) = user else {
            return Ok(Trust::Untrusted);
        };
        for token in &cookie.tokens {
            let hash = random::token_hash(token);
            if self.store().device_cookie_is_valid(&hash, user, self.now()).await? {
                return Ok(Trust::Device(hash));
            }
        }
        Ok(Trust::Untrusted)
    }

    /// After a full sign-in: a fresh token for `user` replaces the one the browser held for
    /// it (if any). Returns the cookie's new value: the new token first, then the browser's
    /// other accounts' tokens.
    pub(crate) async fn remember_device(&self, cookie: &DeviceCookie, user: &UserId) -> AppResult<String> {
        let replaced = match self.device_trust(cookie, Some(user)).await? {
            Trust::Device(hash) => Some(hash),
            Trust::Untrusted => None,
        };
        let token = random::token()?;
        let now = self.now();
        self.store()
            .replace_device_cookie(
                user,
                &random::token_hash(&token),
                replaced.as_deref(),
                now,
                store::Timestamp::new(now.get() + DEVICE_COOKIE_LIFETIME),
            )
            .await?;
        let mut tokens = vec![token];
        tokens.extend(
            cookie
                .tokens
                .iter()
                .filter(|t| replaced.as_deref() != Some(random::token_hash(t).as_str()))
                .take(MAX_TOKENS - 1)
                .cloned(),
        );
        Ok(DeviceCookie { tokens }.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_are_read_and_a_few_at_most() {
        let token = "a".repeat(43);
        let other = "B-_".repeat(14) + "x";
        let cookie = DeviceCookie::parse(Some(&format!("{token}.junk.{other}.{}", "c".repeat(44))));
        assert_eq!(cookie.value(), format!("{token}.{other}"));
        assert!(DeviceCookie::parse(None).is_empty());
        assert!(DeviceCookie::parse(Some("'; DROP TABLE users")).is_empty());
        let many = vec!["d".repeat(43); 9].join(".");
        assert_eq!(DeviceCookie::parse(Some(&many)).tokens.len(), MAX_TOKENS);
    }
}
