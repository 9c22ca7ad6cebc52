//! The sandbox's one source of randomness, seedable so a chaos run can be replayed.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use uuid::Uuid;

/// Seeded randomness shared by fault draws, random card outcomes and generated identifiers.
///
/// With the same seed and the same sequence of requests, a run makes the same decisions.
#[derive(Debug)]
pub struct Random(Mutex<StdRng>);

impl Random {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }

    /// Restarts the sequence from `seed`.
    pub fn reseed(&self, seed: u64) {
        *self.lock() = StdRng::seed_from_u64(seed);
    }

    /// `true` with probability `p` (clamped to 0..=1; NaN counts as 0).
    pub fn chance(&self, p: f64) -> bool {
        if p.is_nan() || p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        self.lock().random_bool(p)
    }

    /// A random (version 4) UUID drawn from the seeded sequence.
    pub fn uuid(&self) -> Uuid {
        let bytes: [u8; 16] = self.lock().random();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// `len` random decimal digits.
    pub fn digits(&self, len: usize) -> String {
        let mut rng = self.lock();
        (0..len)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StdRng> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (a, b) = (Random::new(7), Random::new(7));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.digits(12), b.digits(12));
    }
}
