//! The address-proof upload: its type read from the content, never the name.

/// The largest proof accepted: a phone photo or a scanned bill fits easily.
pub const MAX_PROOF_BYTES: usize = 10 * 1024 * 1024;

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
    use super::*;

    #[test]
    fn accepted_types_come_from_the_content() {
        let kind = |bytes: &[u8]| Proof::check(bytes.to_vec()).map(|p| p.kind);
        assert_eq!(kind(b"%PDF-1.7\n..."), Ok(ProofType::Pdf));
        assert_eq!(kind(b"\xFF\xD8\xFF\xE0JFIF"), Ok(ProofType::Jpeg));
        assert_eq!(kind(b"\x89PNG\r\n\x1a\n...."), Ok(ProofType::Png));
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
