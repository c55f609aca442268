//! The address-proof upload: its type read from the content, never the
//! name; a PDF that could act when opened, or an image too large to show,
//! never reaches a reviewer.

mod pdf;

use pdf::PdfProblem;

/// The largest proof accepted: a phone photo or a scanned bill fits easily.
pub const MAX_PROOF_BYTES: usize = 10 * 1024 * 1024;

/// The most pixels an image proof may have on a side: a 108-megapixel phone
/// camera's photos are 12,000 x 9,000.
pub const MAX_PROOF_SIDE: u32 = 12_000;

/// The most pixels an image proof may have in all (about 256 MB to show).
pub const MAX_PROOF_PIXELS: u64 = 64_000_000;

/// The kinds of file accepted as address proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofType {
    /// `application/pdf`.
    Pdf,
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
}

impl ProofType {
    /// The media type served back to reviewers.
    pub fn media_type(self) -> &'static str {
        match self {
            ProofType::Pdf => "application/pdf",
            ProofType::Jpeg => "image/jpeg",
            ProofType::Png => "image/png",
        }
    }

    /// The type stored as `media_type`, if it is one of ours.
    pub fn from_media_type(text: &str) -> Option<Self> {
        [ProofType::Pdf, ProofType::Jpeg, ProofType::Png]
            .into_iter()
            .find(|t| t.media_type() == text)
    }
}

/// An address proof whose content was checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Proof {
    /// What the content is.
    pub kind: ProofType,
    /// The file.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proof({:?}, {} bytes)", self.kind, self.bytes.len())
    }
}

impl Proof {
    /// Checks `bytes` by their signature.
    ///
    /// # Errors
    /// The [`ProofProblem`]: empty, too large, or not a PDF, JPEG or PNG
    /// (naming what it looks like, e.g. a program).
    pub fn check(bytes: Vec<u8>) -> Result<Self, ProofProblem> {
        if bytes.is_empty() {
            return Err(ProofProblem::Empty);
        }
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(ProofProblem::TooLarge { size: bytes.len() });
        }
        let kind = sniff(&bytes).map_err(|looks_like| ProofProblem::NotAccepted { looks_like })?;
        match kind {
            ProofType::Pdf => pdf::check(&bytes).map_err(ProofProblem::from)?,
            ProofType::Jpeg | ProofType::Png => check_dimensions(&bytes)?,
        }
        Ok(Proof { kind, bytes })
    }
}

/// What is wrong with a proof file, for the applicant to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofProblem {
    /// No bytes.
    #[error("the proof file is empty")]
    Empty,
    /// Over [`MAX_PROOF_BYTES`].
    #[error("the proof file is {size} bytes; the limit is {MAX_PROOF_BYTES} (10 MiB)")]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// Not a PDF, JPEG or PNG.
    #[error(
        "the proof file is {looks_like}, not a PDF, JPEG or PNG (the type is read from the content, not the name)"
    )]
    NotAccepted {
        /// What the content looks like, e.g. `a Linux program (ELF)`.
        looks_like: &'static str,
    },
    /// A PDF that could act when opened.
    #[error(
        "the PDF contains {what}, which a bill or letter never has; print it to a new PDF, or send a photo"
    )]
    ActivePdf {
        /// What it contains.
        what: &'static str,
    },
    /// An encrypted PDF.
    #[error("the PDF is password-protected, so it cannot be checked; send an unprotected copy")]
    EncryptedPdf,
    /// A PDF whose compressed parts cannot be read or expand too far.
    #[error("the PDF's compressed parts cannot be read; print it to a new PDF, or send a photo")]
    UnreadablePdf,
    /// A JPEG or PNG whose header cannot be read.
    #[error("the image cannot be read: it is damaged or cut short")]
    UnreadableImage,
    /// An image of no size or too many pixels.
    #[error(
        "the image is {width} x {height} pixels; the limit is {MAX_PROOF_SIDE} on a side and {MAX_PROOF_PIXELS} in all"
    )]
    Dimensions {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
}

/// Reads an image's size from its header (nothing is decoded) and refuses
/// one that would take a reviewer's browser gigabytes to show.
fn check_dimensions(bytes: &[u8]) -> Result<(), ProofProblem> {
    let (width, height) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok())
        .ok_or(ProofProblem::UnreadableImage)?;
    let too_large = width > MAX_PROOF_SIDE
        || height > MAX_PROOF_SIDE
        || u64::from(width) * u64::from(height) > MAX_PROOF_PIXELS;
    if too_large || width == 0 || height == 0 {
        return Err(ProofProblem::Dimensions { width, height });
    }
    Ok(())
}

impl From<PdfProblem> for ProofProblem {
    fn from(problem: PdfProblem) -> Self {
        match problem {
            PdfProblem::Active(what) => ProofProblem::ActivePdf { what },
            PdfProblem::Encrypted => ProofProblem::EncryptedPdf,
            PdfProblem::Unreadable => ProofProblem::UnreadablePdf,
        }
    }
}

/// The type of `bytes`, or what they look like instead.
fn sniff(bytes: &[u8]) -> Result<ProofType, &'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    match bytes {
        [b'%', b'P', b'D', b'F', b'-', ..] => Ok(ProofType::Pdf),
        [0xFF, 0xD8, 0xFF, ..] => Ok(ProofType::Jpeg),
        b if b.starts_with(PNG) => Ok(ProofType::Png),
        [0x7F, b'E', b'L', b'F', ..] => Err("a Linux program (ELF)"),
        [b'M', b'Z', ..] => Err("a Windows program"),
        [0xCF | 0xCE, 0xFA, 0xED, 0xFE, ..] | [0xCA, 0xFE, 0xBA, 0xBE, ..] => {
            Err("a macOS program")
        }
        [b'#', b'!', ..] => Err("a script"),
        [b'P', b'K', 3, 4, ..] => Err("a ZIP archive"),
        _ => Err("of an unknown type"),
    }
}

#[cfg(test)]
mod tests {
    use image::ImageFormat;

    use super::*;

    fn image(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(width, height)
            .write_to(&mut out, format)
            .unwrap_or_else(|e| panic!("{e}"));
        out.into_inner()
    }

    /// A PNG whose header claims `width` x `height`, with no pixel data.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32fast::hash(&ihdr);
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc.to_be_bytes());
        for chunk in [&b"IDAT"[..], b"IEND"] {
            png.extend_from_slice(&[0, 0, 0, 0]);
            png.extend_from_slice(chunk);
            png.extend_from_slice(&crc32fast::hash(chunk).to_be_bytes());
        }
        png
    }

    #[test]
    fn images_are_refused_by_their_claimed_size_before_any_decoding() {
        let problem = |bytes: Vec<u8>| Proof::check(bytes).err();
        assert_eq!(problem(png_header(4000, 3000)), None, "a photo");
        assert_eq!(
            problem(png_header(100_000, 100_000)),
            Some(ProofProblem::Dimensions {
                width: 100_000,
                height: 100_000
            })
        );
        assert!(
            problem(png_header(12_001, 10)).is_some(),
            "one side too long"
        );
        assert!(problem(png_header(9_000, 8_000)).is_some(), "72 megapixels");
        assert_eq!(
            problem(b"\x89PNG\r\n\x1a\n....".to_vec()),
            Some(ProofProblem::UnreadableImage)
        );
        assert_eq!(
            problem(b"\xFF\xD8\xFF\xE0JFIF".to_vec()),
            Some(ProofProblem::UnreadableImage)
        );
    }

    #[test]
    fn a_pdf_with_script_is_refused_by_name() {
        let problem = Proof::check(b"%PDF-1.4\n<< /S /JavaScript >>".to_vec()).err();
        assert_eq!(
            problem,
            Some(ProofProblem::ActivePdf { what: "JavaScript" })
        );
        assert!(
            problem
                .map(|p| p.to_string())
                .unwrap_or_default()
                .contains("JavaScript")
        );
    }

    #[test]
    fn accepted_types_come_from_the_content() {
        let kind = |bytes: &[u8]| Proof::check(bytes.to_vec()).map(|p| p.kind);
        assert_eq!(kind(b"%PDF-1.7\n..."), Ok(ProofType::Pdf));
        assert_eq!(kind(&image(ImageFormat::Jpeg, 40, 30)), Ok(ProofType::Jpeg));
        assert_eq!(kind(&image(ImageFormat::Png, 40, 30)), Ok(ProofType::Png));
    }

    #[test]
    fn programs_and_unknown_files_are_named() {
        let problem = |bytes: &[u8]| {
            Proof::check(bytes.to_vec())
                .err()
                .map(|p| p.to_string())
                .unwrap_or_default()
        };
        assert!(problem(b"\x7FELF\x02\x01\x01").contains("Linux program"));
        assert!(problem(b"MZ\x90\x00").contains("Windows program"));
        assert!(problem(b"#!/bin/sh\nrm -rf /").contains("script"));
        assert!(problem(b"hello").contains("unknown type"));
        assert!(problem(b"").contains("empty"));
    }

    #[test]
    fn the_size_limit_holds() {
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_PROOF_BYTES, b' ');
        assert!(Proof::check(big.clone()).is_ok(), "exactly the limit");
        big.push(b' ');
        assert!(Proof::check(big).is_err(), "one byte over");
    }
}
