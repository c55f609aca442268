//! Why a code cannot be converted for a partner region.

healthcode_keys::named_enum! {
    /// Why a conversion is refused; the API's error code.
    pub enum Unconvertible("conversion refusal") {
        /// No code was issued today: apply first.
        NoCodeToday = "no_code_today",
        /// Today's code was revoked: apply again.
        Revoked = "code_revoked",
        /// Only a green code converts.
        NotGreen = "not_green",
        /// More than 10 attempts on this code (`codes::convert::MAX_CONVERSIONS_PER_CODE`).
        TooManyAttempts = "too_many_conversions",
    }
}
