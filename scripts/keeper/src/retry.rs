//! Retrying RPC calls: transport errors and timeouts are retried with exponential backoff;
//! answers from the node (a revert, an invalid request) are returned at once, since asking again
//! gets the same answer.

use crate::kv;
use alloy::transports::{RpcError, TransportErrorKind};
use std::future::Future;
use std::time::Duration;

/// Exponential backoff: `initial`, doubled up to `max`, at most `attempts` tries in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
            attempts: 8,
        }
    }
}

impl Backoff {
    /// Delay before retry number `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        self.initial
            .saturating_mul(2u32.saturating_pow(n))
            .min(self.max)
    }
}

/// Whether an RPC error is worth retrying: transport failures, timeouts, HTTP 5xx and 429, and
/// the node saying it is busy. Error responses (reverts, bad params) are final.
pub fn retryable(err: &RpcError<TransportErrorKind>) -> bool {
    match err {
        RpcError::Transport(kind) => match kind {
            TransportErrorKind::HttpError(h) => h.status == 429 || h.status >= 500,
            TransportErrorKind::MissingBatchResponse(_) | TransportErrorKind::BackendGone => true,
            TransportErrorKind::Custom(_) => true,
            _ => true,
        },
        RpcError::ErrorResp(e) => e.code == -32005 || e.code == 429,
        RpcError::NullResp => true,
        RpcError::DeserError { .. } => true,
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails with a final error, or the attempts run out.
pub async fn retry<T, F, Fut>(
    backoff: &Backoff,
    what: &str,
    mut op: F,
) -> Result<T, RpcError<TransportErrorKind>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RpcError<TransportErrorKind>>>,
{
    let mut n = 0;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if retryable(&e) && n + 1 < backoff.attempts => {
                let delay = backoff.delay(n);
                kv!(
                    warn,
                    "rpc_retry",
                    call = what,
                    attempt = n + 1,
                    delay_ms = delay.as_millis(),
                    error = e
                );
                tokio::time::sleep(delay).await;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1_000),
            attempts: 10,
        };
        let d: Vec<u128> = (0..6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(d, [100, 200, 400, 800, 1_000, 1_000]);
    }

    #[tokio::test]
    async fn transport_errors_are_retried_and_answers_are_not() {
        let b = Backoff {
            initial: Duration::from_millis(1),
            max: Duration::from_millis(2),
            attempts: 5,
        };
        let calls = AtomicU32::new(0);
        let got = retry(&b, "test", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(TransportErrorKind::backend_gone())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(got.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let got: Result<(), _> = retry(&b, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(RpcError::local_usage_str("refused by the client"))
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let got: Result<(), _> = retry(&b, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(TransportErrorKind::backend_gone())
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }
}
