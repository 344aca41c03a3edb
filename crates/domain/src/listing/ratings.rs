//! A listing's ratings: how many reviews gave each number of stars. The tally lives on the
//! listing (not in a read model) so that its event carries the whole tally: a search read model
//! sorts by rating from one event alone, and a rebuild gets the same figures.
//!
//! A review counts once it is written and stops counting when an admin hides it. The `Review`
//! aggregate guarantees each of those happens once per booking; the engine commits the review's
//! event and the listing's tally in one transaction (see `holdfast_engine::reviews`).

use serde::{Deserialize, Serialize};

use crate::review::Rating;

/// How many counted reviews gave 1, 2, 3, 4 and 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ratings {
    /// `distribution[n - 1]`: reviews of `n` stars.
    pub distribution: [u32; 5],
}

impl Ratings {
    /// Reviews counted.
    pub fn count(&self) -> u32 {
        self.distribution.iter().sum()
    }

    /// The sum of their stars.
    pub fn sum(&self) -> u64 {
        self.distribution
            .iter()
            .zip(1u64..)
            .map(|(n, stars)| u64::from(*n) * stars)
            .sum()
    }

    /// The mean stars (`None` with no review).
    pub fn average(&self) -> Option<f64> {
        let count = self.count();
        // Exact for any count this tally can hold (both below 2^53).
        #[allow(clippy::cast_precision_loss)]
        (count > 0).then(|| self.sum() as f64 / f64::from(count))
    }

    /// Reviews of `rating`'s stars.
    pub fn of(&self, rating: Rating) -> u32 {
        self.distribution[usize::from(rating.stars()) - 1]
    }

    /// The tally with one more review of `rating` (`None` on overflow).
    pub fn counted(self, rating: Rating) -> Option<Self> {
        let mut next = self;
        let slot = &mut next.distribution[usize::from(rating.stars()) - 1];
        *slot = slot.checked_add(1)?;
        Some(next)
    }

    /// The tally without one review of `rating` (`None` if there is none to take away).
    pub fn uncounted(self, rating: Rating) -> Option<Self> {
        let mut next = self;
        let slot = &mut next.distribution[usize::from(rating.stars()) - 1];
        *slot = slot.checked_sub(1)?;
        Some(next)
    }
}
