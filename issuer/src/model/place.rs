//! Place ids: the venues of visit records and the buildings of residences,
//! as designations name them.

use std::fmt;

use serde::Serialize;

/// The longest place id.
pub const MAX_PLACE_ID: usize = 64;

/// A place id: 1 to 64 letters, digits, `.`, `_`, `:` or `-` (`venue-0001`,
/// `bldg-kwun-tong-001`). Checked once, here, wherever one comes in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PlaceId(String);

/// Text that is not a place id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{found:?} is not a place id (1 to 64 letters, digits, '.', '_', ':' or '-')")]
pub struct InvalidPlaceId {
    /// The text given.
    pub found: String,
}

impl PlaceId {
    /// Checks `text`.
    ///
    /// # Errors
    /// [`InvalidPlaceId`].
    pub fn parse(text: &str) -> Result<Self, InvalidPlaceId> {
        let valid = (1..=MAX_PLACE_ID).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if valid {
            Ok(PlaceId(text.to_owned()))
        } else {
            Err(InvalidPlaceId {
                found: text.to_owned(),
            })
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id, as the colour rules take places.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PlaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_ids_are_short_plain_words() {
        for good in ["venue-0001", "bldg.kwun_tong:1", "a", &"x".repeat(64)] {
            assert_eq!(
                PlaceId::parse(good).map(|p| p.to_string()).ok().as_deref(),
                Some(good)
            );
        }
        for bad in ["", "a b", "venue/1", "caf\u{e9}", &"x".repeat(65)] {
            let error = PlaceId::parse(bad).err();
            assert!(
                error.is_some_and(|e| e.to_string().contains("is not a place id")),
                "{bad:?}"
            );
        }
    }
}
