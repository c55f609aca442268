//! A seeded generator of photo-like images of QR codes, degraded the way
//! officers' photos are: rotated, small in the frame, blurred, noisy, dim,
//! unevenly lit, JPEG-compressed, seen at an angle.
//!
//! The same seed gives the same corpus, so decoders can be compared on it.

use image::{GrayImage, Luma, codecs::jpeg::JpegEncoder};
use imageproc::{
    filter::gaussian_blur_f32, geometric_transformations::Projection, noise::gaussian_noise,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Width and height of a generated photo.
pub const FRAME: (u32, u32) = (1280, 720);

/// What was done to a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degradation {
    /// Straight, well lit, mid-sized.
    Clean,
    /// Turned by any angle.
    Rotated,
    /// A code about 180 pixels wide in a 1280x720 frame.
    Small,
    /// Out of focus.
    Blurred,
    /// Sensor noise.
    Noisy,
    /// Grey on grey.
    LowContrast,
    /// A dark side and a glare spot.
    UnevenLight,
    /// Heavy JPEG compression.
    Jpeg,
    /// Seen at an angle.
    Perspective,
    /// A little of everything at once.
    Combined,
    /// Light modules on a dark ground: a dark-mode or inverted-colour screen.
    Inverted,
    /// Left and right swapped: a front camera's frame.
    Mirrored,
    /// Smeared along one direction: the phone moved during the exposure.
    MotionBlur,
    /// Very little light: a dim frame, a few grey levels, noise.
    LowLight,
    /// A screen's pixel grid beating with the camera's: moire stripes.
    Moire,
    /// A 3840x2160 frame in which the code is small (180-240 px).
    Frame4k,
}

/// Every degradation, in the order the corpus lists them.
pub const ALL: [Degradation; 16] = [
    Degradation::Clean,
    Degradation::Rotated,
    Degradation::Small,
    Degradation::Blurred,
    Degradation::Noisy,
    Degradation::LowContrast,
    Degradation::UnevenLight,
    Degradation::Jpeg,
    Degradation::Perspective,
    Degradation::Combined,
    Degradation::Inverted,
    Degradation::Mirrored,
    Degradation::MotionBlur,
    Degradation::LowLight,
    Degradation::Moire,
    Degradation::Frame4k,
];

impl Degradation {
    /// A short lowercase name, used in file names.
    pub fn name(self) -> &'static str {
        match self {
            Degradation::Clean => "clean",
            Degradation::Rotated => "rotated",
            Degradation::Small => "small",
            Degradation::Blurred => "blurred",
            Degradation::Noisy => "noisy",
            Degradation::LowContrast => "lowcontrast",
            Degradation::UnevenLight => "uneven",
            Degradation::Jpeg => "jpeg",
            Degradation::Perspective => "perspective",
            Degradation::Combined => "combined",
            Degradation::Inverted => "inverted",
            Degradation::Mirrored => "mirrored",
            Degradation::MotionBlur => "motion",
            Degradation::LowLight => "lowlight",
            Degradation::Moire => "moire",
            Degradation::Frame4k => "4k-small",
        }
    }
}

/// One generated photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// File name: `<degradation>-<index>.jpg`.
    pub name: String,
    /// What was done to it.
    pub degradation: Degradation,
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
}

/// Parameters of one photo, drawn from the seed.
struct Scene {
    side: f32,
    angle: f32,
    tilt: f32,
    blur: f32,
    noise: f64,
    contrast: (f32, f32),
    uneven: f32,
    quality: u8,
    inverted: bool,
    mirrored: bool,
    /// Length of the motion smear, in pixels (0: none).
    motion: u32,
    /// Depth of the moire stripes, 0 to 1.
    moire: f32,
    /// The frame's size.
    frame: (u32, u32),
}

impl Scene {
    fn draw(rng: &mut ChaCha8Rng, degradation: Degradation) -> Scene {
        let mut scene = Scene {
            side: rng.gen_range(300.0..420.0),
            angle: rng.gen_range(-0.08..0.08),
            tilt: 0.0,
            blur: 0.6,
            noise: 3.0,
            contrast: (20.0, 235.0),
            uneven: 0.0,
            quality: 90,
            inverted: false,
            mirrored: false,
            motion: 0,
            moire: 0.0,
            frame: FRAME,
        };
        match degradation {
            Degradation::Clean => {}
            Degradation::Rotated => scene.angle = rng.gen_range(0.0..std::f32::consts::TAU),
            Degradation::Small => scene.side = rng.gen_range(160.0..200.0),
            Degradation::Blurred => scene.blur = rng.gen_range(2.0..3.5),
            Degradation::Noisy => scene.noise = rng.gen_range(30.0..50.0),
            Degradation::LowContrast => {
                let low = rng.gen_range(80.0..110.0);
                scene.contrast = (low, low + rng.gen_range(35.0..55.0));
            }
            Degradation::UnevenLight => scene.uneven = rng.gen_range(0.6..0.85),
            Degradation::Jpeg => scene.quality = rng.gen_range(8..18),
            Degradation::Perspective => scene.tilt = rng.gen_range(0.15..0.3),
            Degradation::Combined => {
                scene.side = rng.gen_range(220.0..300.0);
                scene.angle = rng.gen_range(0.0..std::f32::consts::TAU);
                scene.tilt = rng.gen_range(0.05..0.15);
                scene.blur = rng.gen_range(1.0..1.8);
                scene.noise = rng.gen_range(12.0..20.0);
                scene.contrast = (50.0, 200.0);
                scene.uneven = rng.gen_range(0.3..0.5);
                scene.quality = rng.gen_range(30..50);
            }
            Degradation::Inverted => scene.inverted = true,
            Degradation::Mirrored => scene.mirrored = true,
            Degradation::MotionBlur => scene.motion = rng.gen_range(8..16),
            Degradation::LowLight => {
                let low = rng.gen_range(4.0..10.0);
                scene.contrast = (low, low + rng.gen_range(22.0..32.0));
                scene.noise = rng.gen_range(6.0..10.0);
            }
            Degradation::Moire => scene.moire = rng.gen_range(0.25..0.4),
            Degradation::Frame4k => {
                scene.frame = (3840, 2160);
                scene.side = rng.gen_range(180.0..240.0);
            }
        }
        scene
    }
}

/// `per_kind` photos of each degradation of the QR code of `text`, from `seed`.
pub fn corpus(text: &str, seed: u64, per_kind: usize) -> Vec<Photo> {
    let modules = modules(text);
    ALL.iter()
        .flat_map(|&degradation| (0..per_kind).map(move |i| (degradation, i)))
        .map(|(degradation, i)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((degradation as u64) << 32) ^ i as u64);
            let scene = Scene::draw(&mut rng, degradation);
            Photo {
                name: format!("{}-{i:02}.jpg", degradation.name()),
                degradation,
                jpeg: render(&modules, &scene, &mut rng),
            }
        })
        .collect()
}

/// The code's modules with a 4-module quiet zone: `true` is dark.
fn modules(text: &str) -> Vec<Vec<bool>> {
    let code = healthcode_issuer::qr::encode(text).unwrap_or_else(|e| panic!("corpus text: {e}"));
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 8;
    (0..size)
        .map(|y| {
            (0..size)
                .map(|x| {
                    let inside = (4..width + 4).contains(&x) && (4..width + 4).contains(&y);
                    inside && colors[(y - 4) * width + (x - 4)] == qrcode::Color::Dark
                })
                .collect()
        })
        .collect()
}

fn render(modules: &[Vec<bool>], scene: &Scene, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let (w, h) = scene.frame;
    let corners = placement(scene, rng);
    let size = modules.len() as f32;
    let square = [(0.0, 0.0), (size, 0.0), (size, size), (0.0, size)];
    // Control points always form a convex quadrilateral, so the projection exists.
    let to_modules = Projection::from_control_points(corners, square)
        .unwrap_or_else(|| panic!("degenerate placement"));
    let background = background(rng);
    let mut image = GrayImage::from_fn(w, h, |x, y| {
        let mut sum = 0.0;
        for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            let (u, v) = to_modules * (x as f32 + dx, y as f32 + dy);
            sum += match module_at(modules, u, v) {
                Some(dark) if dark != scene.inverted => 0.0,
                Some(_) => 255.0,
                None => background(x, y),
            };
        }
        Luma([(sum / 4.0) as u8])
    });
    image = gaussian_blur_f32(&image, scene.blur);
    if scene.motion > 0 {
        let kernel = vec![1.0 / scene.motion as f32; scene.motion as usize];
        image = imageproc::filter::horizontal_filter(&image, &kernel);
    }
    if scene.moire > 0.0 {
        moire(&mut image, scene.moire, rng);
    }
    if scene.mirrored {
        image::imageops::flip_horizontal_in_place(&mut image);
    }
    light(&mut image, scene, rng);
    image = gaussian_noise(&image, 0.0, scene.noise, rng.r#gen());
    let mut jpeg = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut jpeg, scene.quality);
    image
        .write_with_encoder(encoder)
        .unwrap_or_else(|e| panic!("JPEG encoding of a generated image: {e}"));
    jpeg
}

/// The module at (u, v), with a white phone-screen margin of 2 modules around
/// the quiet zone; `None` outside it.
fn module_at(modules: &[Vec<bool>], u: f32, v: f32) -> Option<bool> {
    let size = modules.len() as f32;
    if u < -2.0 || v < -2.0 || u >= size + 2.0 || v >= size + 2.0 {
        return None;
    }
    if u < 0.0 || v < 0.0 || u >= size || v >= size {
        return Some(false);
    }
    Some(modules[v as usize][u as usize])
}

/// Where the code's corners land in the frame.
fn placement(scene: &Scene, rng: &mut ChaCha8Rng) -> [(f32, f32); 4] {
    let (w, h) = (scene.frame.0 as f32, scene.frame.1 as f32);
    let reach = scene.side * 0.75;
    let centre = (
        rng.gen_range(reach..w - reach),
        rng.gen_range(reach..h - reach),
    );
    let half = scene.side / 2.0;
    let (sin, cos) = scene.angle.sin_cos();
    let mut corners = [(-half, -half), (half, -half), (half, half), (-half, half)];
    for (i, corner) in corners.iter_mut().enumerate() {
        // A tilt shrinks one edge: the far side of a phone held at an angle.
        let shrink = if i < 2 { 1.0 - scene.tilt } else { 1.0 };
        let (x, y) = (corner.0 * shrink, corner.1);
        *corner = (centre.0 + x * cos - y * sin, centre.1 + x * sin + y * cos);
    }
    corners
}

/// A cluttered, softly varying background: a desk, a sleeve, a counter.
fn background(rng: &mut ChaCha8Rng) -> impl Fn(u32, u32) -> f32 + use<> {
    let base: f32 = rng.gen_range(60.0..170.0);
    let (fx, fy): (f32, f32) = (rng.gen_range(0.002..0.02), rng.gen_range(0.002..0.02));
    let stripes: f32 = rng.gen_range(0.05..0.2);
    move |x, y| {
        let (x, y) = (x as f32, y as f32);
        let wave = (x * fx).sin() * 30.0 + (y * fy).cos() * 25.0;
        let texture = if ((x * stripes) as i32 + (y * stripes) as i32) % 2 == 0 {
            12.0
        } else {
            -12.0
        };
        (base + wave + texture).clamp(0.0, 255.0)
    }
}

/// Stripes of a screen's pixel grid seen by a camera: a slow beat at a slant.
fn moire(image: &mut GrayImage, depth: f32, rng: &mut ChaCha8Rng) {
    let period: f32 = rng.gen_range(5.0..9.0);
    let slant: f32 = rng.gen_range(0.1..0.5);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let phase = (x as f32 + y as f32 * slant) * std::f32::consts::TAU / period;
        let factor = 1.0 - depth * (0.5 + 0.5 * phase.sin());
        pixel.0[0] = (f32::from(pixel.0[0]) * factor) as u8;
    }
}

/// Contrast compression, then uneven light: a dark gradient and a glare spot.
fn light(image: &mut GrayImage, scene: &Scene, rng: &mut ChaCha8Rng) {
    let (w, h) = (scene.frame.0 as f32, scene.frame.1 as f32);
    let (low, high) = scene.contrast;
    let angle: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
    let glare = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
    let radius = rng.gen_range(120.0..300.0f32);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let v = low + f32::from(pixel.0[0]) * (high - low) / 255.0;
        let (x, y) = (x as f32, y as f32);
        let along =
            ((x / w - 0.5) * angle.cos() + (y / h - 0.5) * angle.sin() + 0.5).clamp(0.0, 1.0);
        let shade = 1.0 - scene.uneven * along;
        let d2 = ((x - glare.0).powi(2) + (y - glare.1).powi(2)) / (radius * radius);
        let spot = scene.uneven * 90.0 * (-d2).exp();
        pixel.0[0] = (v * shade + spot).clamp(0.0, 255.0) as u8;
    }
}

/// A camera's video as Chromium's fake capture device plays it
/// (`--use-file-for-fake-video-capture=FILE.y4m`): the JPEG `frames` (all of
/// one size), each shown `repeat` times, as greyscale YUV 4:2:0 at 10 frames
/// a second, after `blank` grey frames in which there is no code.
pub fn camera_video(frames: &[&[u8]], repeat: usize, blank: usize) -> Vec<u8> {
    let pictures: Vec<GrayImage> = frames
        .iter()
        .map(|jpeg| {
            image::load_from_memory(jpeg)
                .unwrap_or_else(|e| panic!("a generated frame: {e}"))
                .to_luma8()
        })
        .collect();
    let (w, h) = pictures.first().map_or(FRAME, |p| p.dimensions());
    let grey = GrayImage::from_pixel(w, h, Luma([128]));
    let mut video = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    let chroma = vec![128u8; (w.div_ceil(2) * h.div_ceil(2) * 2) as usize];
    let order = std::iter::repeat_n(&grey, blank)
        .chain(pictures.iter().flat_map(|p| std::iter::repeat_n(p, repeat)));
    for picture in order {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(picture.as_raw());
        video.extend_from_slice(&chroma);
    }
    video
}
