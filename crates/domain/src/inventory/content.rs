//! What guests read about an inventory — "a deluxe double room", "a table for four by the
//! window", "the 19:00 show": a description, how many people one unit takes, and structured
//! attributes (amenities, cuisine, seating, accessibility), validated once here so every event
//! carries only valid content.

use serde::{Deserialize, Serialize};

/// Content that does not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// A description longer than allowed.
    #[error("the description has {chars} characters, at most {max} are allowed")]
    DescriptionTooLong {
        /// Characters given.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// A control character other than a line break in the description.
    #[error("the description contains a control character")]
    DescriptionControlCharacter,
    /// A maximum occupancy of 0 or above the limit.
    #[error("max occupancy must be between 1 and {max}, got {got}")]
    OccupancyOutOfRange {
        /// The value given.
        got: u32,
        /// The limit.
        max: u32,
    },
    /// Too many attributes.
    #[error("at most {max} attributes, got {got}")]
    TooManyAttributes {
        /// Attributes given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// An attribute value that is empty, too long or has a control character.
    #[error("attribute `{value}`: 1 to {max} characters, no control characters")]
    InvalidAttribute {
        /// The value (cut to 80 characters).
        value: String,
        /// The limit.
        max: usize,
    },
    /// The same attribute twice.
    #[error("attribute `{value}` is listed twice")]
    DuplicateAttribute {
        /// The value.
        value: String,
    },
}

/// What kind of fact an attribute states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    /// Wi-Fi, a balcony, a bathtub.
    Amenity,
    /// Korean, vegetarian, halal.
    Cuisine,
    /// Window seat, private room, counter.
    Seating,
    /// Step-free access, an accessible bathroom.
    Accessibility,
    /// Anything else.
    Other,
}

/// One attribute: a kind and a short value (`amenity: "balcony"`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Attribute {
    /// The kind.
    pub kind: AttributeKind,
    /// The value, trimmed.
    pub value: String,
}

/// Attributes checked (at most [`InventoryContent::MAX_ATTRIBUTES`], each value 1 to
/// [`InventoryContent::MAX_ATTRIBUTE`] characters without control characters), trimmed,
/// sorted by kind and value, without repeats — for inventories and listings alike.
///
/// # Errors
///
/// The [`ContentError`] of the first rule broken.
pub fn attributes_checked(attributes: Vec<Attribute>) -> Result<Vec<Attribute>, ContentError> {
    if attributes.len() > InventoryContent::MAX_ATTRIBUTES {
        return Err(ContentError::TooManyAttributes {
            got: attributes.len(),
            max: InventoryContent::MAX_ATTRIBUTES,
        });
    }
    let mut clean = Vec::with_capacity(attributes.len());
    for a in attributes {
        let value = a.value.trim().to_owned();
        let length = value.chars().count();
        if length == 0
            || length > InventoryContent::MAX_ATTRIBUTE
            || value.chars().any(char::is_control)
        {
            return Err(ContentError::InvalidAttribute {
                value: value.chars().take(80).collect(),
                max: InventoryContent::MAX_ATTRIBUTE,
            });
        }
        clean.push(Attribute {
            kind: a.kind,
            value,
        });
    }
    clean.sort();
    if let Some(pair) = clean.windows(2).find(|p| p[0] == p[1]) {
        return Err(ContentError::DuplicateAttribute {
            value: pair[0].value.clone(),
        });
    }
    Ok(clean)
}

/// An inventory's content (see the module docs). `Default` is no content. Stored content is
/// validated again when read.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawContent", into = "RawContent")]
pub struct InventoryContent {
    description: String,
    max_occupancy: Option<u32>,
    attributes: Vec<Attribute>,
}

#[derive(Serialize, Deserialize)]
struct RawContent {
    #[serde(default)]
    description: String,
    #[serde(default)]
    max_occupancy: Option<u32>,
    #[serde(default)]
    attributes: Vec<Attribute>,
}

impl TryFrom<RawContent> for InventoryContent {
    type Error = ContentError;
    fn try_from(r: RawContent) -> Result<Self, Self::Error> {
        Self::new(&r.description, r.max_occupancy, r.attributes)
    }
}

impl From<InventoryContent> for RawContent {
    fn from(c: InventoryContent) -> Self {
        Self {
            description: c.description,
            max_occupancy: c.max_occupancy,
            attributes: c.attributes,
        }
    }
}

impl InventoryContent {
    /// The longest description, in characters.
    pub const MAX_DESCRIPTION: usize = 5_000;
    /// The most people one unit may take.
    pub const MAX_OCCUPANCY: u32 = 1_000;
    /// The most attributes.
    pub const MAX_ATTRIBUTES: usize = 50;
    /// The longest attribute value, in characters.
    pub const MAX_ATTRIBUTE: usize = 60;

    /// Validates content: the description trimmed (line breaks kept), attributes trimmed,
    /// sorted by kind and value, without repeats.
    ///
    /// # Errors
    ///
    /// The [`ContentError`] of the first rule broken.
    pub fn new(
        description: &str,
        max_occupancy: Option<u32>,
        attributes: Vec<Attribute>,
    ) -> Result<Self, ContentError> {
        let description = description.trim();
        let chars = description.chars().count();
        if chars > Self::MAX_DESCRIPTION {
            return Err(ContentError::DescriptionTooLong {
                chars,
                max: Self::MAX_DESCRIPTION,
            });
        }
        if description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ContentError::DescriptionControlCharacter);
        }
        if let Some(got) = max_occupancy
            && !(1..=Self::MAX_OCCUPANCY).contains(&got)
        {
            return Err(ContentError::OccupancyOutOfRange {
                got,
                max: Self::MAX_OCCUPANCY,
            });
        }
        let attributes = attributes_checked(attributes)?;
        Ok(Self {
            description: description.to_owned(),
            max_occupancy,
            attributes,
        })
    }

    /// The description (may be empty).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// How many people one unit takes, if said.
    pub fn max_occupancy(&self) -> Option<u32> {
        self.max_occupancy
    }

    /// The attributes, by kind and value.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: AttributeKind, value: &str) -> Attribute {
        Attribute {
            kind,
            value: value.into(),
        }
    }

    #[test]
    fn content_is_trimmed_sorted_and_checked() {
        let c = InventoryContent::new(
            "  A quiet room.\nSea view.  ",
            Some(2),
            vec![
                attr(AttributeKind::Amenity, " wifi "),
                attr(AttributeKind::Accessibility, "step-free"),
                attr(AttributeKind::Amenity, "balcony"),
            ],
        )
        .unwrap();
        assert_eq!(c.description(), "A quiet room.\nSea view.");
        assert_eq!(c.max_occupancy(), Some(2));
        assert_eq!(
            c.attributes(),
            [
                attr(AttributeKind::Amenity, "balcony"),
                attr(AttributeKind::Amenity, "wifi"),
                attr(AttributeKind::Accessibility, "step-free"),
            ]
        );
        assert_eq!(
            InventoryContent::new("", None, vec![]).unwrap(),
            InventoryContent::default()
        );
    }

    #[test]
    fn every_rule_has_its_error() {
        let long = "가".repeat(InventoryContent::MAX_DESCRIPTION + 1);
        assert_eq!(
            InventoryContent::new(&long, None, vec![]),
            Err(ContentError::DescriptionTooLong {
                chars: InventoryContent::MAX_DESCRIPTION + 1,
                max: InventoryContent::MAX_DESCRIPTION
            })
        );
        assert_eq!(
            InventoryContent::new("bell\u{7}", None, vec![]),
            Err(ContentError::DescriptionControlCharacter)
        );
        for got in [0, InventoryContent::MAX_OCCUPANCY + 1] {
            assert_eq!(
                InventoryContent::new("", Some(got), vec![]),
                Err(ContentError::OccupancyOutOfRange {
                    got,
                    max: InventoryContent::MAX_OCCUPANCY
                })
            );
        }
        let many = (0..=InventoryContent::MAX_ATTRIBUTES)
            .map(|i| attr(AttributeKind::Other, &format!("a{i}")))
            .collect();
        assert!(matches!(
            InventoryContent::new("", None, many),
            Err(ContentError::TooManyAttributes { .. })
        ));
        for bad in ["  ", &"x".repeat(61), "tab\there"] {
            assert!(matches!(
                InventoryContent::new("", None, vec![attr(AttributeKind::Seating, bad)]),
                Err(ContentError::InvalidAttribute { .. })
            ));
        }
        assert_eq!(
            InventoryContent::new(
                "",
                None,
                vec![
                    attr(AttributeKind::Cuisine, "korean"),
                    attr(AttributeKind::Cuisine, " korean")
                ]
            ),
            Err(ContentError::DuplicateAttribute {
                value: "korean".into()
            })
        );
        // The same value under two kinds is two attributes.
        assert!(
            InventoryContent::new(
                "",
                None,
                vec![
                    attr(AttributeKind::Seating, "terrace"),
                    attr(AttributeKind::Amenity, "terrace")
                ]
            )
            .is_ok()
        );
    }

    #[test]
    fn stored_content_is_validated_when_read() {
        let json = serde_json::json!({"description": "ok", "max_occupancy": 0, "attributes": []});
        // Deserialising does not bypass the rules.
        assert!(serde_json::from_value::<InventoryContent>(json).is_err());
    }
}
