//! Stopping servers and background work together.
//!
//! The sandbox handle owns the [`ShutdownTrigger`]; every server loop, lifecycle task and callback
//! delivery holds a [`Shutdown`]. Triggering it, or dropping the handle, ends all of them, so a test
//! that drops its sandbox leaves no task behind sending callbacks into the next test.

use std::time::Duration;

use tokio::sync::watch;

/// Ends everything started with the matching [`Shutdown`] when triggered or dropped.
#[derive(Debug)]
pub(crate) struct ShutdownTrigger(watch::Sender<bool>);

/// A cloneable view of the shutdown signal.
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

/// A new trigger and the signal it controls.
pub(crate) fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    /// Signals shutdown to every holder of the matching [`Shutdown`].
    pub(crate) fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Resolves once shutdown was triggered or the trigger was dropped.
    pub(crate) async fn wait(&self) {
        let mut rx = self.0.clone();
        // An error means the trigger is gone, which is a shutdown too.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }

    /// Sleeps for `duration`; `false` when shutdown came first and the caller should stop.
    pub(crate) async fn sleep(&self, duration: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            () = self.wait() => false,
        }
    }
}
