//! Issuer regions: who issued a code, and under whose keys it verifies.

use crate::Error;

crate::named_enum! {
    /// The region whose health-code system issued a token.
    #[derive(PartialOrd, Ord)]
    pub enum Region("issuer region") {
        /// Hong Kong.
        HongKong = "HK",
        /// Guangdong (YueKang Code).
        Guangdong = "GD",
        /// Macao.
        Macao = "MO",
    }
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
    /// [`Error::UnknownByte`] for any byte but 1, 2 and 3.
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        Region::ALL
            .iter()
            .copied()
            .find(|r| r.to_byte() == byte)
            .ok_or(Error::UnknownByte {
                what: "issuer region",
                byte,
            })
    }
}
