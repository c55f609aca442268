//! The three colours of a health code.

use crate::Error;

crate::named_enum! {
    /// The colour of a code, ordered by severity: `Green < Amber < Red`.
    #[derive(PartialOrd, Ord)]
    pub enum Colour("colour") {
        /// No risk found.
        Green = "green",
        /// A risk of exposure (high-risk place, recent arrival).
        Amber = "amber",
        /// A case, a contact, quarantine or symptoms.
        Red = "red",
    }
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
    /// [`Error::UnknownByte`] for any byte but 1, 2 and 3.
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        Colour::ALL
            .iter()
            .copied()
            .find(|c| c.to_byte() == byte)
            .ok_or(Error::UnknownByte {
                what: "colour",
                byte,
            })
    }
}
