//! Mobile numbers that can receive the activation SMS: Hong Kong, Mainland and Macao.

use std::fmt;

/// What is wrong with a mobile number, for the applicant to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneProblem {
    /// Longer than any number.
    #[error("a phone number is at most 32 characters")]
    TooLong,
    /// A country code other than Hong Kong's, the Mainland's or Macao's.
    #[error("the country code must be +852 (Hong Kong), +86 (Mainland) or +853 (Macao)")]
    CountryCode,
    /// Characters other than digits, spaces, hyphens and a leading `+`.
    #[error("a phone number holds digits, spaces and hyphens, and may start with +")]
    Characters,
    /// Not a Hong Kong mobile number.
    #[error(
        "a Hong Kong mobile number has 8 digits starting with 4 to 9 (a fixed line cannot receive SMS)"
    )]
    HongKong,
    /// Not a Mainland mobile number.
    #[error("a Mainland mobile number has 11 digits starting with 1")]
    Mainland,
    /// Not a Macao mobile number.
    #[error("a Macao mobile number has 8 digits starting with 6")]
    Macao,
}

/// A mobile number in E.164 form (`+85291234567`). `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// The E.164 text; personal data, never to be logged.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// Parses a number as people write it: `9123 4567`, `+852 9123-4567`,
    /// `+86 138 0013 8000`, `13800138000`, `+853 6612 3456`. A number without
    /// a country code is a Hong Kong one (8 digits) or a Mainland one (11).
    ///
    /// # Errors
    /// The [`PhoneProblem`], for the applicant to read.
    pub fn parse(input: &str) -> Result<Self, PhoneProblem> {
        if input.len() > 32 {
            return Err(PhoneProblem::TooLong);
        }
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let (code, national) = match compact.strip_prefix('+') {
            Some(rest) => split_country(rest).ok_or(PhoneProblem::CountryCode)?,
            None if compact.len() == 11 => ("86", compact.as_str()),
            None => ("852", compact.as_str()),
        };
        if national.is_empty() || !national.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneProblem::Characters);
        }
        let ok = match code {
            // Hong Kong mobile numbers start with 4 to 9; 2 and 3 are fixed lines.
            "852" => national.len() == 8 && matches!(national.as_bytes()[0], b'4'..=b'9'),
            "86" => national.len() == 11 && national.starts_with('1'),
            _ => national.len() == 8 && national.starts_with('6'),
        };
        if !ok {
            return Err(match code {
                "852" => PhoneProblem::HongKong,
                "86" => PhoneProblem::Mainland,
                _ => PhoneProblem::Macao,
            });
        }
        Ok(Phone(format!("+{code}{national}")))
    }
}

fn split_country(rest: &str) -> Option<(&'static str, &str)> {
    ["852", "853", "86"]
        .into_iter()
        .find_map(|code| rest.strip_prefix(code).map(|national| (code, national)))
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str) -> Option<String> {
        Phone::parse(input).ok().map(|p| p.e164().to_owned())
    }

    #[test]
    fn the_three_regions_normalise() {
        assert_eq!(e164("9123 4567").as_deref(), Some("+85291234567"));
        assert_eq!(e164("+852 9123-4567").as_deref(), Some("+85291234567"));
        assert_eq!(e164("(+852) 5123 4567").as_deref(), Some("+85251234567"));
        assert_eq!(e164("13800138000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("+86 138 0013 8000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("+853 6612 3456").as_deref(), Some("+85366123456"));
    }

    #[test]
    fn fixed_lines_other_countries_and_junk_are_refused() {
        for bad in [
            "2123 4567",
            "+852 912345",
            "+44 7700 900123",
            "+853 2812 3456",
            "+86 238 0013 8000",
            "phone",
            "",
            "9123 456x",
            &"9".repeat(40),
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn debug_hides_the_number() {
        let phone = Phone::parse("91234567").map(|p| format!("{p:?}"));
        assert_eq!(phone.as_deref(), Ok("Phone(<redacted>)"));
    }
}
