//! `scanner convert-check`: the partner's side of a conversion. Opens a
//! sealed payload (text, a file holding it, or a photo of its QR code) with
//! the partner's key, checks the issuer's signature under Hong Kong's trust
//! list, and prints the record or the named refusal.

use std::{
    io::{self, Read as _, Write},
    path::PathBuf,
};

use healthcode_keys::{
    RootPublicKey, SignedTrustList,
    conversion::{
        self, ConversionError, ConversionRecord, MAX_TEXT_LEN, PartnerSecretKey, TEXT_PREFIX,
    },
    hktime::{self, format_hk, parse_rfc3339},
};
use healthcode_verifier::{
    image::{ImageLimits, load_grey},
    qr::find_codes,
};
use time::OffsetDateTime;

use crate::{
    ConfigError,
    input::{FileContent, read_file},
};

/// Flags of `scanner convert-check`.
#[derive(Debug, clap::Args)]
pub struct ConvertCheckArgs {
    /// The partner's secret key (from `keys partner-key`, mode 0600).
    #[arg(long)]
    pub partner_key: PathBuf,
    /// Hong Kong's signed trust list (JSON), which lists the conversion key.
    #[arg(long)]
    pub trust: PathBuf,
    /// Hong Kong's pinned root public key (root.public).
    #[arg(long)]
    pub root: PathBuf,
    /// Check as of this instant (RFC 3339 with offset; default now).
    #[arg(long, value_parser = parse_rfc3339)]
    pub at: Option<OffsetDateTime>,
    /// One JSON object: {"accepted": true, "record": {...}} or
    /// {"accepted": false, "refusal": CODE, "detail": TEXT}.
    #[arg(long)]
    pub json: bool,
    /// The payload (`HKCV1:...`), a file holding it, a PNG/JPEG photo of its
    /// QR code, or `-` for the text on stdin.
    pub input: String,
}

/// The payload text of `input`.
///
/// # Errors
/// A file that cannot be read, or a photo with no conversion QR code.
pub fn payload_of(input: &str) -> Result<String, ConfigError> {
    if input.starts_with(TEXT_PREFIX) {
        return Ok(input.to_owned());
    }
    if input == "-" {
        let mut text = String::new();
        io::stdin()
            .take(MAX_TEXT_LEN as u64 + 2)
            .read_to_string(&mut text)
            .map_err(|e| ConfigError::new("stdin", e))?;
        return Ok(text.trim().to_owned());
    }
    match read_file(input.as_ref()).map_err(|e| ConfigError::new(input, e))? {
        FileContent::Text(text) => Ok(text),
        FileContent::Image(bytes) => {
            let image = load_grey(&bytes, &ImageLimits::default())
                .map_err(|e| ConfigError::new(input, e))?;
            find_codes(&image)
                .into_iter()
                .find(|text| text.starts_with(TEXT_PREFIX))
                .ok_or_else(|| {
                    ConfigError::new(input, "no conversion QR code (HKCV1:) found in the photo")
                })
        }
    }
}

/// Opens `input` as `args` say.
///
/// # Errors
/// [`ConfigError`] for keys, trust list or input that cannot be read; the
/// inner result is the partner's answer.
pub fn check(
    args: &ConvertCheckArgs,
) -> Result<Result<ConversionRecord, ConversionError>, ConfigError> {
    let now = args.at.unwrap_or_else(hktime::now);
    let partner = PartnerSecretKey::read(&args.partner_key)
        .map_err(|e| ConfigError::new(args.partner_key.display().to_string(), e))?;
    let root = RootPublicKey::read(&args.root)
        .map_err(|e| ConfigError::new(args.root.display().to_string(), e))?;
    let trust = SignedTrustList::read_verified(&args.trust, &root, now)
        .map_err(|e| ConfigError::new(args.trust.display().to_string(), e))?;
    let payload = payload_of(&args.input)?;
    Ok(conversion::open(&payload, &partner, &trust, now))
}

/// Writes the answer for people or, with `json`, as one JSON object.
///
/// # Errors
/// Writing to `out`.
pub fn render(
    out: &mut impl Write,
    answer: &Result<ConversionRecord, ConversionError>,
    json: bool,
) -> io::Result<()> {
    match (answer, json) {
        (Ok(record), true) => writeln!(
            out,
            "{}",
            serde_json::json!({"accepted": true, "record": record})
        ),
        (Err(e), true) => writeln!(
            out,
            "{}",
            serde_json::json!({"accepted": false, "refusal": e.refusal.as_str(), "detail": e.detail})
        ),
        (Ok(r), false) => {
            writeln!(
                out,
                "ACCEPTED  a {} {} code converted for {}",
                r.colour, r.issuing_region, r.partner
            )?;
            writeln!(out, "  name            {}", r.name)?;
            writeln!(
                out,
                "  document        {} {}",
                r.document_type, r.document_number
            )?;
            writeln!(out, "  code issued     {}", format_hk(r.issued_at))?;
            writeln!(out, "  code expires    {}", format_hk(r.expires_at))?;
            writeln!(out, "  converted       {}", format_hk(r.converted_at))?;
            writeln!(
                out,
                "  conversion id   {}",
                healthcode_keys::hex::encode(&r.conversion_id)
            )
        }
        (Err(e), false) => writeln!(out, "REFUSED  {}: {}", e.refusal, e.detail),
    }
}
