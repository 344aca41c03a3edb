//! Capped exponential backoff, and the retry loop the projector wraps around every store and
//! log call: transient errors are retried without losing the position, anything else is
//! returned at once.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Delays that double from `min` up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// First delay.
    pub min: Duration,
    /// Largest delay.
    pub max: Duration,
    current: Duration,
}

impl Backoff {
    /// A backoff from `min` to `max` (e.g. 50 ms → 5 s).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            current: min,
        }
    }

    /// The next delay (then doubles, up to `max`).
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.current;
        self.current = (self.current * 2).min(self.max);
        delay
    }

    /// Back to `min` after a success.
    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

/// Completes when `stop` says `true` or its sender is gone.
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Whether `stop` says stop right now (without waiting).
pub fn is_stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

/// Sleeps `delay`; returns false if `stop` fired first.
pub async fn sleep_unless_stopped(delay: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = stopped(stop) => false,
    }
}

/// The outcome of [`retry`].
#[derive(Debug)]
pub enum Retried<T, E> {
    /// The operation succeeded.
    Done(T),
    /// It failed with a permanent error.
    Failed(E),
    /// The stop signal came while waiting to retry.
    Stopped,
}

/// Runs `op` until it succeeds, fails permanently (`is_transient` false) or `stop` fires while
/// waiting; `on_retry` is told about each transient error before the wait.
pub async fn retry<T, E, F, Fut>(
    mut backoff: Backoff,
    stop: &mut watch::Receiver<bool>,
    is_transient: impl Fn(&E) -> bool,
    mut on_retry: impl FnMut(&E, Duration),
    mut op: F,
) -> Retried<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    loop {
        match op().await {
            Ok(value) => return Retried::Done(value),
            Err(e) if is_transient(&e) => {
                let delay = backoff.next_delay();
                on_retry(&e, delay);
                if !sleep_unless_stopped(delay, stop).await {
                    return Retried::Stopped;
                }
            }
            Err(e) => return Retried::Failed(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset() {
        let mut b = Backoff::new(Duration::from_millis(50), Duration::from_millis(300));
        let delays: Vec<_> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, vec![50, 100, 200, 300, 300]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 50);
    }

    #[tokio::test]
    async fn transient_errors_are_retried_and_permanent_ones_returned() {
        let (_tx, mut stop) = watch::channel(false);
        let backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(2));
        let mut calls = 0;
        let mut retries = 0;
        let out: Retried<u32, &str> = retry(
            backoff,
            &mut stop,
            |e| *e == "transient",
            |_, _| retries += 1,
            || {
                calls += 1;
                let result = if calls < 4 { Err("transient") } else { Ok(7) };
                async move { result }
            },
        )
        .await;
        assert!(matches!(out, Retried::Done(7)));
        assert_eq!((calls, retries), (4, 3));

        let out: Retried<u32, &str> = retry(
            backoff,
            &mut stop,
            |e| *e == "transient",
            |_, _| {},
            || async { Err("broken") },
        )
        .await;
        assert!(matches!(out, Retried::Failed("broken")));
    }

    #[tokio::test]
    async fn a_stop_while_waiting_ends_the_retry_loop() {
        let (tx, mut stop) = watch::channel(false);
        tx.send_replace(true);
        let backoff = Backoff::new(Duration::from_secs(60), Duration::from_secs(60));
        let out: Retried<u32, &str> = retry(
            backoff,
            &mut stop,
            |_| true,
            |_, _| {},
            || async { Err("x") },
        )
        .await;
        assert!(matches!(out, Retried::Stopped));
    }
}
