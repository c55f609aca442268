//! Finding QR codes in officers' photos: rotated, small, blurred, noisy, dim, unevenly lit.
//!
//! Two decoders, several preparations, cheapest first; the first pass that
//! decodes wins. rxing (the ZXing port, with its hybrid binariser) reads most
//! photos in a few milliseconds; on a half-size image (averaging removes
//! noise) it reads most noisy ones. rqrr then gets the image as it is, at half
//! size, locally thresholded (uneven light, low contrast), sharpened (blur),
//! and enlarged (codes small in the frame), because it reads some photos
//! rxing misses. `docs/benchmarks.md` has the measurements behind this order.

use std::time::Instant;

use ::image::{GrayImage, imageops};
use imageproc::{contrast::adaptive_threshold, filter::sharpen_gaussian};

/// The longest side we scan at; larger photos are reduced first (a code
/// large enough to matter survives, and the time stays bounded).
const MAX_SCAN_SIDE: u32 = 1600;

/// One decoder on one preparation of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// rxing on the image as it is.
    Rxing,
    /// rxing on the image reduced to half size by averaging.
    RxingHalf,
    /// rxing on the image with dark and light swapped: a code shown light
    /// on dark (a dark-mode or inverted-colour screen).
    RxingInverted,
    /// rxing on a large photo at its full resolution, when it was reduced
    /// for the other passes: a code small in a 4K frame.
    RxingFull,
    /// rqrr on the image as it is.
    Plain,
    /// rqrr on the half-size image.
    Half,
    /// rqrr on the image binarised against the local mean.
    LocalThreshold,
    /// rqrr on the image sharpened, then binarised against the local mean.
    Sharpened,
    /// rqrr on the image enlarged to twice the size, for small codes.
    Double,
}

/// The passes in the order [`find_codes`] tries them: cheapest and most
/// often sufficient first.
pub const PASSES: [Pass; 9] = [
    Pass::Rxing,
    Pass::RxingHalf,
    Pass::RxingInverted,
    Pass::RxingFull,
    Pass::Plain,
    Pass::Half,
    Pass::LocalThreshold,
    Pass::Sharpened,
    Pass::Double,
];

/// The passes for a live camera's frames: the cheap ones that read most
/// frames. A frame they miss costs little, and the next one is a moment
/// away; a single photo gets every pass.
pub const LIVE_PASSES: [Pass; 4] = [
    Pass::Rxing,
    Pass::RxingHalf,
    Pass::RxingInverted,
    Pass::Plain,
];

/// The texts of the QR codes found in `image`, from the first pass that finds any.
pub fn find_codes(image: &GrayImage) -> Vec<String> {
    find_codes_before(image, None)
}

/// Like [`find_codes`], starting no pass after `deadline`: a hostile image
/// that makes every pass slow costs a bounded time, then counts as holding
/// no code.
pub fn find_codes_before(image: &GrayImage, deadline: Option<Instant>) -> Vec<String> {
    find_codes_with(image, &PASSES, deadline)
        .map(|(_, codes)| codes)
        .unwrap_or_default()
}

/// Like [`find_codes_before`] with a chosen list of passes; also says which
/// pass found them.
pub fn find_codes_with(
    image: &GrayImage,
    passes: &[Pass],
    deadline: Option<Instant>,
) -> Option<(Pass, Vec<String>)> {
    let reduced = reduce_to(image, MAX_SCAN_SIDE);
    let full = reduced.is_some().then_some(image);
    let image = reduced.as_ref().unwrap_or(image);
    let mut half_image = None;
    passes
        .iter()
        .take_while(|_| deadline.is_none_or(|d| Instant::now() < d))
        .find_map(|&pass| {
            let half = || half_image.get_or_insert_with(|| half(image)).clone();
            let codes = match (pass, full) {
                (Pass::RxingFull, Some(full)) => decode_rxing(full),
                (Pass::RxingFull, None) => Vec::new(),
                _ => run_pass(image, pass, half),
            };
            (!codes.is_empty()).then_some((pass, codes))
        })
}

fn run_pass(image: &GrayImage, pass: Pass, half: impl FnOnce() -> GrayImage) -> Vec<String> {
    let big_enough = image.width().min(image.height()) >= 200;
    match pass {
        Pass::Rxing => decode_rxing(image),
        Pass::RxingHalf if big_enough => decode_rxing(&half()),
        Pass::RxingInverted => {
            let mut inverted = image.clone();
            imageops::invert(&mut inverted);
            decode_rxing(&inverted)
        }
        Pass::Plain => decode_grey(image),
        Pass::Half if big_enough => decode_grey(&half()),
        Pass::LocalThreshold => decode_binary(&local_threshold(image)),
        Pass::Sharpened => decode_binary(&local_threshold(&sharpen_gaussian(image, 3.0, 3.0))),
        Pass::Double if image.width().max(image.height()) <= MAX_SCAN_SIDE => {
            let (w, h) = image.dimensions();
            decode_grey(&imageops::resize(
                image,
                w * 2,
                h * 2,
                imageops::FilterType::Triangle,
            ))
        }
        Pass::RxingHalf | Pass::Half | Pass::Double | Pass::RxingFull => Vec::new(),
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

fn decode_rxing(image: &GrayImage) -> Vec<String> {
    guarded(|| {
        let format = Some(rxing::BarcodeFormat::QR_CODE);
        rxing::helpers::detect_in_luma_slice(image.as_raw(), image.width(), image.height(), format)
            .map(|result| vec![result.getText().to_owned()])
            .unwrap_or_default()
    })
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

/// The decoders are third-party code fed hostile images; a panic in one must
/// cost one unreadable image, never the checkpoint's process.
fn guarded(decode: impl FnOnce() -> Vec<String>) -> Vec<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_default()
}
