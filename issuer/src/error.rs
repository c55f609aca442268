//! The one error type of the issuer crate.

/// What can go wrong while issuing a code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key, token or time problem from the keys crate.
    #[error(transparent)]
    Keys(#[from] healthcode_keys::Error),
    /// The text does not fit in a QR code of the allowed size.
    #[error("cannot encode the token as a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// Writing the PNG failed.
    #[error("cannot encode the QR code as PNG: {0}")]
    Png(#[from] image::ImageError),
    /// The output file's extension names no image format we write.
    #[error("QR output {path:?} must end in .png or .svg")]
    UnknownQrFormat {
        /// The path given.
        path: std::path::PathBuf,
    },
    /// A colour-rules input field is wrong.
    #[error("{field}: {problem}")]
    BadFact {
        /// Where in the input, e.g. `person.statuses[0].start`.
        field: String,
        /// What is wrong.
        problem: crate::rules::vector::FactProblem,
    },
    /// A vector file is not JSON.
    #[error("{path}: not JSON: {source}")]
    VectorFile {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
