//! Finding QR codes in officers' photos: rotated, small, blurred, noisy, dim, unevenly lit.
//!
//! rqrr alone thresholds each row against a moving average, which fails on
//! noise, blur and small codes. We run cheap passes in turn and stop at the
//! first that decodes: the plain image; a half-size image (averaging removes
//! noise and sharpens blur relative to the module size); a locally thresholded
//! image (uneven light, low contrast); a smoothed one; and, for codes small in
//! the frame, an enlarged one.

use ::image::{GrayImage, imageops};
use imageproc::{contrast::adaptive_threshold, filter::gaussian_blur_f32};

/// The longest side we scan at; larger photos are reduced first (a code
/// large enough to matter survives, and the time stays bounded).
const MAX_SCAN_SIDE: u32 = 1600;

/// One way of preparing the image for rqrr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The image as it is.
    Plain,
    /// Reduced to half size by averaging.
    Half,
    /// Binarised against the local mean.
    LocalThreshold,
    /// Smoothed, then binarised against the local mean.
    Smoothed,
    /// Enlarged to twice the size, for small codes.
    Double,
}

/// The passes in the order [`find_codes`] tries them: cheapest and most
/// often sufficient first.
pub const PASSES: [Pass; 5] = [
    Pass::Plain,
    Pass::Half,
    Pass::LocalThreshold,
    Pass::Smoothed,
    Pass::Double,
];

/// The texts of the QR codes found in `image`, from the first pass that finds any.
pub fn find_codes(image: &GrayImage) -> Vec<String> {
    find_codes_with(image, &PASSES)
        .map(|(_, codes)| codes)
        .unwrap_or_default()
}

/// Like [`find_codes`] with a chosen list of passes; also says which pass found them.
pub fn find_codes_with(image: &GrayImage, passes: &[Pass]) -> Option<(Pass, Vec<String>)> {
    let reduced = reduce_to(image, MAX_SCAN_SIDE);
    let image = reduced.as_ref().unwrap_or(image);
    passes.iter().find_map(|&pass| {
        let codes = run_pass(image, pass);
        (!codes.is_empty()).then_some((pass, codes))
    })
}

fn run_pass(image: &GrayImage, pass: Pass) -> Vec<String> {
    match pass {
        Pass::Plain => decode_grey(image),
        Pass::Half if image.width().min(image.height()) >= 200 => decode_grey(&half(image)),
        Pass::LocalThreshold => decode_binary(&local_threshold(image)),
        Pass::Smoothed => decode_binary(&local_threshold(&gaussian_blur_f32(image, 1.5))),
        Pass::Double if image.width().max(image.height()) <= MAX_SCAN_SIDE => {
            let (w, h) = image.dimensions();
            decode_grey(&imageops::resize(
                image,
                w * 2,
                h * 2,
                imageops::FilterType::Triangle,
            ))
        }
        Pass::Half | Pass::Double => Vec::new(),
    }
}

fn reduce_to(image: &GrayImage, max_side: u32) -> Option<GrayImage> {
    let (w, h) = image.dimensions();
    let longest = w.max(h);
    (longest > max_side).then(|| {
        let scale = f64::from(max_side) / f64::from(longest);
        let size = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
        imageops::resize(image, size(w), size(h), imageops::FilterType::Triangle)
    })
}

fn half(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    GrayImage::from_fn(w, h, |x, y| {
        let at = |dx, dy| u16::from(image.get_pixel(2 * x + dx, 2 * y + dy).0[0]);
        let sum = at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1);
        ::image::Luma([(sum / 4) as u8])
    })
}

/// Black where darker than the mean of a window about 1/20 of the short side.
fn local_threshold(image: &GrayImage) -> GrayImage {
    let radius = (image.width().min(image.height()) / 40).clamp(4, 40);
    adaptive_threshold(image, radius, 0)
}

fn decode_grey(image: &GrayImage) -> Vec<String> {
    guarded(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32).0[0],
        );
        decode_grids(&prepared.detect_grids())
    })
}

fn decode_binary(image: &GrayImage) -> Vec<String> {
    guarded(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32).0[0] < 128,
        );
        decode_grids(&prepared.detect_grids())
    })
}

fn decode_grids<G: rqrr::BitGrid>(grids: &[rqrr::Grid<G>]) -> Vec<String> {
    grids
        .iter()
        .filter_map(|grid| grid.decode().ok())
        .map(|(_, content)| content)
        .collect()
}

/// rqrr is third-party code fed hostile images; a panic in it must cost one
/// unreadable image, never the checkpoint's process.
fn guarded(decode: impl FnOnce() -> Vec<String>) -> Vec<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_default()
}
