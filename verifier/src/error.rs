//! The one error type of the verifier crate.

/// Why an image could not be loaded for scanning.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The image file is larger than any photo we accept.
    #[error("image is {bytes} bytes, more than the {limit} byte limit")]
    ImageTooLarge {
        /// Size of the input.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The image's dimensions exceed the limit (decompression bombs included).
    #[error("image is {width}x{height} pixels, more than the {limit}x{limit} limit")]
    ImageDimensions {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// Largest side allowed.
        limit: u32,
    },
    /// More pixels than the decoding budget.
    #[error("image has {pixels} pixels, more than the {limit} allowed")]
    ImagePixels {
        /// Width times height, from the header.
        pixels: u64,
        /// The budget.
        limit: u64,
    },
    /// Not a PNG or JPEG.
    #[error("not a PNG or JPEG image")]
    UnknownImageFormat,
    /// The image data is corrupt or needs more memory than allowed.
    #[error("cannot decode image: {0}")]
    ImageDecode(#[source] ::image::ImageError),
}
