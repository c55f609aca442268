//! Issuer regions: who issued a code, and under whose keys it verifies.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::Error;

/// The region whose health-code system issued a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Region {
    /// Hong Kong.
    #[serde(rename = "HK")]
    HongKong,
    /// Guangdong (YueKang Code).
    #[serde(rename = "GD")]
    Guangdong,
    /// Macao.
    #[serde(rename = "MO")]
    Macao,
}

impl Region {
    /// The byte this region has in a token.
    pub fn to_byte(self) -> u8 {
        match self {
            Region::HongKong => 1,
            Region::Guangdong => 2,
            Region::Macao => 3,
        }
    }

    /// The region a token byte names.
    ///
    /// # Errors
    /// [`Error::UnknownRegion`] for any byte but 1, 2 and 3.
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        match byte {
            1 => Ok(Region::HongKong),
            2 => Ok(Region::Guangdong),
            3 => Ok(Region::Macao),
            other => Err(Error::UnknownRegion {
                found: format!("byte {other}"),
            }),
        }
    }

    /// The two-letter code: `HK`, `GD` or `MO`.
    pub fn code(self) -> &'static str {
        match self {
            Region::HongKong => "HK",
            Region::Guangdong => "GD",
            Region::Macao => "MO",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "HK" => Ok(Region::HongKong),
            "GD" => Ok(Region::Guangdong),
            "MO" => Ok(Region::Macao),
            other => Err(Error::UnknownRegion {
                found: other.to_owned(),
            }),
        }
    }
}
