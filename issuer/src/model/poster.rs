//! The payload of a venue's LeaveHomeSafe QR poster, as the check-in app
//! may keep it in place of a venue id: `HKEN:`, a 9-character header, then
//! base64 of a JSON object whose `hash` identifies the venue (and whose
//! names, type and metadata are ignored: venue names come only from the
//! operator's registry). The layout follows community reimplementations
//! of the app; the official one was never published.

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD},
};

use super::place::{InvalidPlaceId, PlaceId};

/// No poster payload is longer (names in two languages and metadata).
pub const MAX_POSTER_LEN: usize = 2048;

const PREFIX: &str = "HKEN:";
const HEADER_LEN: usize = 9;

/// Why a poster payload cannot name a venue.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PosterProblem {
    /// Longer than [`MAX_POSTER_LEN`].
    #[error("venue_qr: longer than {MAX_POSTER_LEN} characters")]
    TooLong,
    /// Not a LeaveHomeSafe venue poster.
    #[error("venue_qr: not a LeaveHomeSafe venue poster (it starts with HKEN:)")]
    NotHken,
    /// The part after the header is not base64.
    #[error("venue_qr: the poster's data is not base64")]
    NotBase64,
    /// The decoded data is not a JSON object with a text `hash`.
    #[error("venue_qr: the poster's data has no venue hash")]
    NoHash,
    /// The hash is not a place id.
    #[error("venue_qr: the poster's venue hash is not a place id")]
    BadHash(#[source] InvalidPlaceId),
}

/// The venue a poster payload names.
///
/// # Errors
/// The [`PosterProblem`].
pub fn venue_of_poster(payload: &str) -> Result<PlaceId, PosterProblem> {
    if payload.len() > MAX_POSTER_LEN {
        return Err(PosterProblem::TooLong);
    }
    let rest = payload
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(PosterProblem::NotHken)?;
    let data = rest
        .get(HEADER_LEN..)
        .filter(|_| rest.is_char_boundary(HEADER_LEN))
        .ok_or(PosterProblem::NotHken)?;
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(data).ok())
        .ok_or(PosterProblem::NotBase64)?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| PosterProblem::NoHash)?;
    let hash = value
        .get("hash")
        .and_then(serde_json::Value::as_str)
        .ok_or(PosterProblem::NoHash)?;
    PlaceId::parse(hash).map_err(PosterProblem::BadHash)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A poster payload for venue `hash`, as the app's posters carry one.
    pub(crate) fn poster(hash: &str) -> String {
        let json = serde_json::json!({
            "hash": hash, "nameZh": "測試茶餐廳", "nameEn": "Test Cafe", "type": "IMPORT",
            "metadata": {"typeEn": "Restaurant", "typeZh": "餐廳"},
        });
        format!("HKEN:0{:08}{}", 1, STANDARD.encode(json.to_string()))
    }

    #[test]
    fn a_poster_names_its_venue_by_hash_whatever_its_names_say() {
        let hash = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
        assert_eq!(
            venue_of_poster(&poster(hash)).map(|p| p.to_string()),
            Ok(hash.to_owned())
        );
        // Unpadded and URL-safe base64 read the same.
        let unpadded = poster("venue-1")
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_");
        assert_eq!(
            venue_of_poster(&unpadded).map(|p| p.to_string()),
            Ok("venue-1".to_owned())
        );
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        let encode = |json: &str| format!("HKEN:012345678{}", STANDARD.encode(json));
        let cases = [
            ("venue-1".to_owned(), PosterProblem::NotHken),
            ("HKEN:0123".to_owned(), PosterProblem::NotHken),
            ("HKEN:01234567éxx".to_owned(), PosterProblem::NotHken),
            (
                "HKEN:012345678!!!not base64!!!".to_owned(),
                PosterProblem::NotBase64,
            ),
            (encode("not json"), PosterProblem::NoHash),
            (encode(r#"{"nameEn": "no hash"}"#), PosterProblem::NoHash),
            (encode(r#"{"hash": 42}"#), PosterProblem::NoHash),
            (
                format!("HKEN:012345678{}", "A".repeat(MAX_POSTER_LEN)),
                PosterProblem::TooLong,
            ),
        ];
        for (payload, problem) in cases {
            assert_eq!(
                venue_of_poster(&payload).err(),
                Some(problem),
                "{payload:.40}"
            );
        }
        let spaced = venue_of_poster(&encode(r#"{"hash": "a b"}"#));
        assert!(
            matches!(spaced, Err(PosterProblem::BadHash(_))),
            "{spaced:?}"
        );
    }

    proptest::proptest! {
        #[test]
        fn no_payload_panics_and_what_is_accepted_is_a_place(
            header in "[ -~]{0,12}",
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            hash in "[ -~]{0,70}",
            text in ".{0,300}",
        ) {
            let mut payloads = vec![text, format!("HKEN:{header}{}", STANDARD.encode(&data))];
            let json = serde_json::json!({"hash": hash}).to_string();
            payloads.push(format!("HKEN:{header}{}", URL_SAFE_NO_PAD.encode(json)));
            for payload in payloads {
                if let Ok(place) = venue_of_poster(&payload) {
                    proptest::prop_assert!(PlaceId::parse(place.as_str()).is_ok());
                }
            }
        }
    }
}
