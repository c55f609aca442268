//! Loading photos within size and memory limits: hostile files fail cleanly.

use std::io::Cursor;

use ::image::{GrayImage, ImageFormat, ImageReader, Limits};

use crate::Error;

/// Limits on images accepted for scanning.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Largest encoded file, in bytes.
    pub max_bytes: usize,
    /// Largest width or height, in pixels.
    pub max_side: u32,
    /// Most pixels (width times height): decoding costs time in proportion,
    /// so this bounds the CPU one image can take, checked from the header.
    pub max_pixels: u64,
    /// Most memory the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    /// 16 MiB files, 8192 pixels a side, 16.8 million pixels (4096 x 4096;
    /// a 4K camera frame is 8.3 million, a 12-megapixel phone photo fits),
    /// 256 MiB for decoding: far above any code's photo, far below what
    /// would hurt a checkpoint machine.
    fn default() -> Self {
        ImageLimits {
            max_bytes: 16 << 20,
            max_side: 8192,
            max_pixels: 4096 * 4096,
            max_alloc: 256 << 20,
        }
    }
}

/// Decodes a PNG or JPEG into greyscale, refusing anything over `limits`
/// before the pixels are allocated.
///
/// # Errors
/// [`Error::ImageTooLarge`], [`Error::ImageDimensions`],
/// [`Error::UnknownImageFormat`] or [`Error::ImageDecode`].
pub fn load_grey(bytes: &[u8], limits: &ImageLimits) -> Result<GrayImage, Error> {
    if bytes.len() > limits.max_bytes {
        return Err(Error::ImageTooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let format = ::image::guess_format(bytes).map_err(|_| Error::UnknownImageFormat)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(Error::UnknownImageFormat);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(Error::ImageDecode)?;
    if width > limits.max_side || height > limits.max_side {
        return Err(Error::ImageDimensions {
            width,
            height,
            limit: limits.max_side,
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(Error::ImagePixels {
            pixels,
            limit: limits.max_pixels,
        });
    }
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    Ok(reader.decode().map_err(Error::ImageDecode)?.into_luma8())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny PNG that claims `width` x `height` pixels: a decoder that
    /// trusted its header would allocate width * height bytes.
    fn png_bomb(width: u32, height: u32) -> Vec<u8> {
        let mut header = Vec::new();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        // A zlib stream of one empty stored block: valid, and far too short.
        for (kind, data) in [
            (b"IHDR", header),
            (b"IDAT", vec![0x78, 0x01, 0x01, 0, 0, 0xff, 0xff]),
            (b"IEND", vec![]),
        ] {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let chunk = [&kind[..], &data[..]].concat();
            png.extend_from_slice(&chunk);
            png.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        png
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn refuses_more_pixels_than_the_budget_from_the_header() {
        let limits = ImageLimits::default();
        let result = load_grey(&png_bomb(8192, 8192), &limits);
        assert!(
            matches!(result, Err(Error::ImagePixels { pixels, .. }) if pixels == 8192 * 8192),
            "{result:?}"
        );
        // Exactly the budget passes the header check (and then fails to decode this stub).
        let result = load_grey(&png_bomb(4096, 4096), &limits);
        assert!(matches!(result, Err(Error::ImageDecode(_))), "{result:?}");
    }

    #[test]
    fn refuses_a_decompression_bomb_header() {
        let result = load_grey(&png_bomb(100_000, 100_000), &ImageLimits::default());
        assert!(
            matches!(result, Err(Error::ImageDimensions { width: 100_000, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn refuses_non_images_and_truncated_images() {
        let limits = ImageLimits::default();
        assert!(matches!(
            load_grey(b"HC1:abc", &limits),
            Err(Error::UnknownImageFormat)
        ));
        assert!(matches!(
            load_grey(b"GIF89a......", &limits),
            Err(Error::UnknownImageFormat)
        ));
        assert!(matches!(
            load_grey(&png_bomb(100, 100), &limits),
            Err(Error::ImageDecode(_))
        ));
        let huge = vec![0u8; limits.max_bytes + 1];
        assert!(matches!(
            load_grey(&huge, &limits),
            Err(Error::ImageTooLarge { .. })
        ));
    }

    #[test]
    fn memory_limit_is_enforced() {
        let limits = ImageLimits {
            max_alloc: 1000,
            ..ImageLimits::default()
        };
        let mut png = Vec::new();
        let image = GrayImage::new(100, 100);
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            load_grey(&png, &limits),
            Err(Error::ImageDecode(_))
        ));
    }
}
