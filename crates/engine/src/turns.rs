//! Turns: in-process mutual exclusion by name, for commands that all change one other
//! aggregate (a listing's ratings tally, a guest's points account) and would otherwise conflict
//! on its stream round after round under a storm. The holder of a name's turn reads, decides and
//! commits, then hands over. Correctness never depends on it — the event store's optimistic
//! concurrency guards every commit, and other nodes still conflict and retry — it only keeps a
//! storm inside one process from thrashing.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

type Turns = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

static TURNS: LazyLock<Turns> = LazyLock::new(Turns::default);

/// Waits for `name`'s turn (first come, first served).
pub async fn turn(name: String) -> Turn {
    let lock = {
        let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
        turns.entry(name.clone()).or_default().clone()
    };
    Turn {
        name,
        guard: Some(lock.lock_owned().await),
    }
}

/// A name's turn (see [`turn`]); dropping it hands over.
pub struct Turn {
    name: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
        // Nobody holds or waits for it: forget it.
        if turns
            .get(&self.name)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            turns.remove(&self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_per_name_and_names_are_forgotten() {
        let first = turn("a".into()).await;
        let other = turn("b".into()).await;
        let waiting = tokio::spawn(async { turn("a".into()).await });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a second holder of a");
        drop(first);
        drop(waiting.await.unwrap());
        drop(other);
        assert!(TURNS.lock().unwrap().is_empty());
    }
}
