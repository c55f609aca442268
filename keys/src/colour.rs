//! The three colours of a health code.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::Error;

/// The colour of a code, ordered by severity: `Green < Amber < Red`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    /// No risk found.
    Green,
    /// A risk of exposure (high-risk place, recent arrival).
    Amber,
    /// A case, a contact, quarantine or symptoms.
    Red,
}

impl Colour {
    /// The byte this colour has in a token.
    pub fn to_byte(self) -> u8 {
        match self {
            Colour::Green => 1,
            Colour::Amber => 2,
            Colour::Red => 3,
        }
    }

    /// The colour a token byte names.
    ///
    /// # Errors
    /// [`Error::UnknownColour`] for any byte but 1, 2 and 3.
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        match byte {
            1 => Ok(Colour::Green),
            2 => Ok(Colour::Amber),
            3 => Ok(Colour::Red),
            other => Err(Error::UnknownColour {
                found: format!("byte {other}"),
            }),
        }
    }

    /// The lowercase name: `green`, `amber` or `red`.
    pub fn name(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Amber => "amber",
            Colour::Red => "red",
        }
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Colour {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "green" => Ok(Colour::Green),
            "amber" => Ok(Colour::Amber),
            "red" => Ok(Colour::Red),
            other => Err(Error::UnknownColour {
                found: other.to_owned(),
            }),
        }
    }
}
