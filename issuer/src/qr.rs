//! The token's QR code, as PNG or SVG, at error-correction level M.

use std::path::Path;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode, render::svg};

use crate::Error;

/// Pixels per QR module in PNGs: large enough for desk scanners and phones.
const PNG_MODULE_PIXELS: u32 = 8;

/// The QR code of `text` at level M, the smallest version that fits.
///
/// # Errors
/// [`Error::Qr`] when the text does not fit any version.
pub fn encode(text: &str) -> Result<QrCode, Error> {
    Ok(QrCode::with_error_correction_level(
        text.as_bytes(),
        EcLevel::M,
    )?)
}

/// The QR version (1 to 40) of `text` at level M.
///
/// # Errors
/// [`Error::Qr`] when the text does not fit.
pub fn version(text: &str) -> Result<i16, Error> {
    match encode(text)?.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => Ok(v),
    }
}

/// A PNG of `text`'s QR code, black on white, with the 4-module quiet zone.
///
/// # Errors
/// [`Error::Qr`] or [`Error::Png`].
pub fn png(text: &str) -> Result<Vec<u8>, Error> {
    let image = encode(text)?
        .render::<Luma<u8>>()
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .quiet_zone(true)
        .build();
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)?;
    Ok(bytes)
}

/// An SVG of `text`'s QR code.
///
/// # Errors
/// [`Error::Qr`].
pub fn svg(text: &str) -> Result<String, Error> {
    Ok(encode(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// Writes the QR code of `text` to `path`, as PNG or SVG by its extension.
///
/// # Errors
/// [`Error::UnknownQrFormat`] for another extension; encoding and I/O errors.
pub fn write(text: &str, path: &Path) -> Result<(), Error> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match extension.as_deref() {
        Some("png") => png(text)?,
        Some("svg") => svg(text)?.into_bytes(),
        _ => {
            return Err(Error::UnknownQrFormat {
                path: path.to_owned(),
            });
        }
    };
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_text() -> String {
        use healthcode_keys::{Colour, Region, testkeys};
        use rand::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let holder = crate::issue::Holder {
            document: "HKID:A1234563".parse().unwrap_or_else(|e| panic!("{e}")),
            date_of_issue: time::macros::date!(2018 - 03 - 01),
        };
        let at = time::macros::datetime!(2022-12-10 01:00 UTC);
        let key = testkeys::issuer(Region::HongKong, "a");
        let master = testkeys::identity_master();
        crate::issue::issue_code(&mut rng, &key, &master, Colour::Red, &holder, at)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_text()
    }

    #[test]
    fn a_token_fits_version_8_at_level_m() -> Result<(), Error> {
        let text = token_text();
        assert_eq!(text.len(), 147);
        assert_eq!(version(&text)?, 8);
        Ok(())
    }

    #[test]
    fn png_decodes_back_with_rqrr() -> Result<(), Error> {
        let text = token_text();
        let png = png(&text)?;
        let image = image::load_from_memory(&png)?.to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32).0[0],
        );
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let content = grids[0].decode().map(|(_, content)| content);
        assert_eq!(content.ok().as_deref(), Some(text.as_str()));
        Ok(())
    }

    #[test]
    fn unknown_extension_is_refused() {
        assert!(matches!(
            write(&token_text(), Path::new("x.gif")),
            Err(Error::UnknownQrFormat { .. })
        ));
    }
}
