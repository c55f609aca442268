//! The token's QR code, as PNG or SVG, at error-correction level M.

use std::path::Path;

use qrcode::{EcLevel, QrCode};

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

/// Quiet zone around the code, in modules (the standard's minimum).
const QUIET_MODULES: usize = 4;
/// Smallest side of the SVG, in user units, as the code page draws it.
const SVG_MIN_SIDE: usize = 256;

/// The modules of one QR code, computed once and drawn as PNG, SVG or both:
/// the encoding (Reed-Solomon and mask choice) is the costly part, so an
/// answer that carries both images pays it once.
#[derive(Debug)]
pub struct Modules {
    /// Side of the code without the quiet zone, in modules.
    side: usize,
    /// Dark modules, row by row.
    dark: Vec<bool>,
}

impl Modules {
    /// The modules of `text`'s QR code at level M.
    ///
    /// # Errors
    /// [`Error::Qr`] when the text does not fit any version.
    pub fn of(text: &str) -> Result<Modules, Error> {
        let code = encode(text)?;
        Ok(Modules {
            side: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Side with the quiet zone, in modules.
    fn full_side(&self) -> usize {
        self.side + 2 * QUIET_MODULES
    }

    /// Whether the module at (`x`, `y`), counted with the quiet zone, is dark.
    fn is_dark(&self, x: usize, y: usize) -> bool {
        let inner = |v: usize| v.checked_sub(QUIET_MODULES).filter(|v| *v < self.side);
        match (inner(x), inner(y)) {
            (Some(x), Some(y)) => self.dark[y * self.side + x],
            _ => false,
        }
    }

    /// A 1-bit greyscale PNG, black on white, [`PNG_MODULE_PIXELS`] per
    /// module with the quiet zone: a few hundred bytes, since each row
    /// repeats the one above it and the `Up` filter makes it zeros.
    ///
    /// # Errors
    /// [`Error::Png`] (only if the encoder fails in memory).
    pub fn png(&self) -> Result<Vec<u8>, Error> {
        let scale = PNG_MODULE_PIXELS as usize;
        let pixels = self.full_side() * scale;
        let row_bytes = pixels.div_ceil(8);
        let mut raw = vec![0u8; row_bytes * pixels];
        for (y, row) in raw.chunks_exact_mut(row_bytes).enumerate() {
            for x in 0..pixels {
                // 1 is white in greyscale; dark modules leave their bits 0.
                if !self.is_dark(x / scale, y / scale) {
                    row[x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let side = u32::try_from(pixels).map_err(|_| Error::Png(png_too_large()))?;
        let mut bytes = Vec::new();
        let mut encoder = ::png::Encoder::new(&mut bytes, side, side);
        encoder.set_color(::png::ColorType::Grayscale);
        encoder.set_depth(::png::BitDepth::One);
        encoder.set_compression(::png::Compression::Fast);
        encoder.set_filter(::png::Filter::Up);
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(&raw).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
        Ok(bytes)
    }

    /// An SVG: one path of the dark runs of each row, crisp at any size.
    pub fn svg(&self) -> String {
        use std::fmt::Write as _;
        let full = self.full_side();
        let shown = full * SVG_MIN_SIDE.div_ceil(full);
        let mut path = String::with_capacity(self.dark.len() * 4);
        for y in 0..self.side {
            let row = &self.dark[y * self.side..(y + 1) * self.side];
            let mut x = 0;
            while x < self.side {
                if !row[x] {
                    x += 1;
                    continue;
                }
                let run = row[x..].iter().take_while(|d| **d).count();
                let (px, py) = (x + QUIET_MODULES, y + QUIET_MODULES);
                let _ = write!(path, "M{px} {py}h{run}v1h-{run}z");
                x += run;
            }
        }
        format!(
            "<?xml version=\"1.0\" standalone=\"yes\"?>\
             <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
             width=\"{shown}\" height=\"{shown}\" viewBox=\"0 0 {full} {full}\" \
             shape-rendering=\"crispEdges\">\
             <rect width=\"{full}\" height=\"{full}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{path}\"/></svg>"
        )
    }
}

fn png_error(e: ::png::EncodingError) -> Error {
    Error::Png(image::ImageError::IoError(std::io::Error::other(e)))
}

fn png_too_large() -> image::ImageError {
    image::ImageError::IoError(std::io::Error::other("QR image side over u32"))
}

/// A PNG of `text`'s QR code, black on white, with the 4-module quiet zone.
///
/// # Errors
/// [`Error::Qr`] or [`Error::Png`].
pub fn png(text: &str) -> Result<Vec<u8>, Error> {
    Modules::of(text)?.png()
}

/// An SVG of `text`'s QR code.
///
/// # Errors
/// [`Error::Qr`].
pub fn svg(text: &str) -> Result<String, Error> {
    Ok(Modules::of(text)?.svg())
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
    fn png_is_one_bit_and_small() -> Result<(), Error> {
        let png = png(&token_text())?;
        let decoder = ::png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder
            .read_info()
            .map_err(|e| Error::Png(png_error_decoding(e)))?;
        let info = reader.info();
        assert_eq!(info.bit_depth, ::png::BitDepth::One);
        assert_eq!(info.color_type, ::png::ColorType::Grayscale);
        // Version 8 is 49 modules, 57 with the quiet zone, 8 pixels each.
        assert_eq!((info.width, info.height), (456, 456));
        assert!(png.len() < 3 * 1024, "PNG of {} bytes", png.len());
        Ok(())
    }

    fn png_error_decoding(e: ::png::DecodingError) -> image::ImageError {
        image::ImageError::IoError(std::io::Error::other(e))
    }

    /// Paints the SVG's runs back into a grid: it must equal the modules.
    #[test]
    fn svg_runs_cover_exactly_the_dark_modules() -> Result<(), Error> {
        let modules = Modules::of(&token_text())?;
        let svg = modules.svg();
        let full = modules.full_side();
        assert!(svg.contains(&format!("viewBox=\"0 0 {full} {full}\"")));
        let path = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        let mut painted = vec![false; full * full];
        for step in path.split('M').filter(|s| !s.is_empty()) {
            let numbers: Vec<usize> = step
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect();
            let [x, y, run, ..] = numbers[..] else {
                panic!("bad step {step}");
            };
            for cell in &mut painted[y * full + x..y * full + x + run] {
                assert!(!*cell, "a module painted twice");
                *cell = true;
            }
        }
        for y in 0..full {
            for x in 0..full {
                assert_eq!(painted[y * full + x], modules.is_dark(x, y), "({x}, {y})");
            }
        }
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
