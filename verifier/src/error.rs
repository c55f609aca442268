//! The one error type of the verifier crate.

/// What can go wrong before a token is even looked at.
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
    /// Not a PNG or JPEG.
    #[error("not a PNG or JPEG image")]
    UnknownImageFormat,
    /// A key, token, revocation or snapshot problem from the keys crate.
    #[error(transparent)]
    Keys(#[from] healthcode_keys::Error),
    /// Revoking a code that has already expired.
    #[error("the code expired at {}: nothing to revoke", healthcode_keys::hktime::format_hk(*until))]
    RevocationExpired {
        /// When it expired.
        until: time::OffsetDateTime,
    },
    /// Talking to Redis failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The subscription to Redis ended.
    #[error("redis closed the subscription")]
    RedisClosed,
    /// The image data is corrupt or needs more memory than allowed.
    #[error("cannot decode image: {0}")]
    ImageDecode(#[source] ::image::ImageError),
}
