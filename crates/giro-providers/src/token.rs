//! A cached bearer token, renewed shortly before it expires (KillB login/refresh, A55 OAuth2).

use std::future::Future;
use std::time::Duration;

use giro_domain::Secret;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Renewal starts this long before expiry at most (a tenth of the lifetime for short ones).
const MAX_MARGIN: Duration = Duration::from_secs(60);
/// Lifetimes are capped, so an absurd `expires_in` cannot keep a token forever.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// An access token, the refresh token that came with it, and when to renew it.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    access: Secret<String>,
    refresh: Option<Secret<String>>,
    renew_at: Instant,
    expires_at: Instant,
}

impl Token {
    /// A token issued now that lives `lifetime`.
    pub(crate) fn new(access: String, refresh: Option<String>, lifetime: Duration) -> Self {
        let lifetime = lifetime.min(MAX_LIFETIME);
        let now = Instant::now();
        let margin = (lifetime / 10).min(MAX_MARGIN);
        Token {
            access: Secret::new(access),
            refresh: refresh.map(Secret::new),
            renew_at: now + (lifetime - margin),
            expires_at: now + lifetime,
        }
    }
}

/// One client's token. Concurrent callers wait for one renewal instead of each logging in.
#[derive(Debug, Default)]
pub(crate) struct TokenCache(Mutex<Option<Token>>);

impl TokenCache {
    /// A live access token: the cached one, or a new one from `renew`, which is given the refresh
    /// token of the old one, if any. If renewing fails while the old token has not yet expired, the
    /// old one is used.
    pub(crate) async fn access<F, Fut, E>(&self, renew: F) -> Result<Secret<String>, E>
    where
        F: FnOnce(Option<Secret<String>>) -> Fut,
        Fut: Future<Output = Result<Token, E>>,
    {
        let mut slot = self.0.lock().await;
        let now = Instant::now();
        if let Some(token) = slot.as_ref()
            && now < token.renew_at
        {
            return Ok(token.access.clone());
        }
        let refresh = slot.as_ref().and_then(|t| t.refresh.clone());
        match renew(refresh).await {
            Ok(token) => {
                let access = token.access.clone();
                *slot = Some(token);
                Ok(access)
            }
            Err(e) => match slot.as_ref() {
                Some(old) if Instant::now() < old.expires_at => Ok(old.access.clone()),
                _ => Err(e),
            },
        }
    }

    /// Drops `used` if it is still the cached token (the provider refused it), so the next call
    /// obtains a new one from scratch.
    pub(crate) async fn forget(&self, used: &Secret<String>) {
        let mut slot = self.0.lock().await;
        if slot.as_ref().is_some_and(|t| t.access == *used) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh(n: &str) -> Result<Token, String> {
        Ok(Token::new(
            n.into(),
            Some(format!("r-{n}")),
            Duration::from_secs(3600),
        ))
    }

    #[tokio::test]
    async fn caches_until_renewal_and_forgets_refused_tokens() {
        let cache = TokenCache::default();
        let a = cache.access(|_| fresh("a")).await.unwrap();
        let again = cache.access(|_| fresh("b")).await.unwrap();
        assert_eq!(again, a, "cached");
        cache.forget(&Secret::new("other".into())).await;
        assert_eq!(cache.access(|_| fresh("b")).await.unwrap(), a);
        cache.forget(&a).await;
        let b = cache
            .access(|refresh| async move {
                assert!(
                    refresh.is_none(),
                    "a forgotten token's refresh token is gone too"
                );
                fresh("b").await
            })
            .await
            .unwrap();
        assert_eq!(b.expose(), "b");
    }

    #[tokio::test]
    async fn tokens_debug_masked() {
        let token = Token::new(
            "kb_at_0123456789".into(),
            Some("kb_rt_0123456789".into()),
            Duration::from_secs(3600),
        );
        let cache = TokenCache::default();
        let copy = token.clone();
        cache
            .access(|_| async { Ok::<_, String>(copy) })
            .await
            .unwrap();
        let debug = format!("{token:?} {token:#?} {cache:?}");
        assert!(!debug.contains("0123456789"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }

    #[tokio::test]
    async fn short_lived_tokens_are_renewed_with_their_refresh_token() {
        let cache = TokenCache::default();
        let short =
            |n: &str| Token::new(n.into(), Some(format!("r-{n}")), Duration::from_millis(30));
        let first = short("a");
        cache
            .access(|_| async { Ok::<_, String>(first) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(40)).await;
        let renewed = cache
            .access(|refresh| async move {
                assert_eq!(refresh.as_ref().map(|r| r.expose().as_str()), Some("r-a"));
                Ok::<_, String>(short("b"))
            })
            .await
            .unwrap();
        assert_eq!(renewed.expose(), "b");
        tokio::time::sleep(Duration::from_millis(40)).await;
        let failed = cache.access(|_| async { Err::<Token, _>("down") }).await;
        assert_eq!(failed, Err("down"), "an expired token is not used");
    }
}
