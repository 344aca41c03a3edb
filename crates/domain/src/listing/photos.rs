//! A listing's photos (the listing's own, or one of its inventories'): facts about images kept
//! elsewhere (an object store), added and removed as events so every read model knows them.

use serde::{Deserialize, Serialize};

use crate::common::InventoryId;

/// The most photos one listing keeps (its inventories' included).
pub const MAX_PHOTOS: usize = 30;
/// The longest alt text, in characters.
pub const MAX_ALT: usize = 200;

/// One photo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingPhoto {
    /// Its id (a ULID; also where its objects are kept).
    pub photo_id: String,
    /// The inventory it shows, if not the listing as a whole.
    pub inventory_id: Option<InventoryId>,
    /// Width of the original, pixels.
    pub width: u32,
    /// Height of the original, pixels.
    pub height: u32,
    /// The widths of the resized variants kept.
    pub widths: Vec<u32>,
    /// The original's content type.
    pub content_type: String,
    /// What it shows, for those who cannot see it (may be empty).
    pub alt: String,
}

/// Why a photo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoRuleError {
    /// More than [`MAX_PHOTOS`].
    #[error("a listing keeps at most {max} photos")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// An alt text that is too long or has control characters.
    #[error("alt text: at most {max} characters, no control characters")]
    InvalidAlt {
        /// The limit.
        max: usize,
    },
    /// An id that is not a ULID, or a size of zero.
    #[error("a photo needs a ULID id and a size")]
    Malformed,
    /// Another photo already has this id.
    #[error("photo {0} already exists with other facts")]
    Conflict(String),
    /// No photo with this id.
    #[error("no photo {0}")]
    NotFound(String),
}

impl ListingPhoto {
    /// Checks the photo's own facts.
    ///
    /// # Errors
    ///
    /// [`PhotoRuleError::Malformed`], [`PhotoRuleError::InvalidAlt`].
    pub fn check(&self) -> Result<(), PhotoRuleError> {
        if ulid::Ulid::from_string(&self.photo_id).is_err() || self.width == 0 || self.height == 0 {
            return Err(PhotoRuleError::Malformed);
        }
        if self.alt.chars().count() > MAX_ALT || self.alt.chars().any(char::is_control) {
            return Err(PhotoRuleError::InvalidAlt { max: MAX_ALT });
        }
        Ok(())
    }
}
