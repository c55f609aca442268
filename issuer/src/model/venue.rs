//! A venue's name as the operator's registry gives it, in English and
//! Chinese: never as a resident's upload wrote it.

use serde::Serialize;

use super::text::{describe, hidden_character};

/// The longest venue name, in characters.
pub const MAX_VENUE_NAME: usize = 200;

/// A registered venue's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VenueName {
    /// In English.
    pub en: String,
    /// In Chinese, if the registry has one.
    pub zh: Option<String>,
}

/// Why a registry name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueNameProblem {
    /// Empty after trimming.
    #[error("empty")]
    Empty,
    /// Over [`MAX_VENUE_NAME`] characters.
    #[error("over {MAX_VENUE_NAME} characters")]
    TooLong,
    /// A character that draws nothing or reorders the text.
    #[error("{} is not allowed: it is invisible or reorders the text", describe(*character))]
    Hidden {
        /// The first one found.
        character: char,
    },
}

/// Checks and trims one name.
///
/// # Errors
/// The [`VenueNameProblem`].
pub fn check_venue_name(name: &str) -> Result<String, VenueNameProblem> {
    let name = name.trim();
    if name.is_empty() {
        return Err(VenueNameProblem::Empty);
    }
    if name.chars().count() > MAX_VENUE_NAME {
        return Err(VenueNameProblem::TooLong);
    }
    if let Some(character) = hidden_character(name, false) {
        return Err(VenueNameProblem::Hidden { character });
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            check_venue_name("  Lucky Cafe "),
            Ok("Lucky Cafe".to_owned())
        );
        assert_eq!(check_venue_name("好運茶餐廳"), Ok("好運茶餐廳".to_owned()));
        assert_eq!(check_venue_name(" "), Err(VenueNameProblem::Empty));
        assert_eq!(
            check_venue_name(&"x".repeat(201)),
            Err(VenueNameProblem::TooLong)
        );
        assert_eq!(
            check_venue_name("Cafe\u{202E}005$KH yaP"),
            Err(VenueNameProblem::Hidden {
                character: '\u{202E}'
            })
        );
    }
}
