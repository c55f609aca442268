//! The QR images of an answer to `POST /v1/codes`: the PNG and the SVG of
//! one token, drawn by `qr::Modules` from one encoding, against the
//! `qrcode` crate's own renderers (each encoding again, 8-bit PNG), and the
//! floor of encoding alone.
//!
//! `cargo bench -p healthcode-issuer --bench qr_images`

use criterion::{Criterion, criterion_group, criterion_main};
use healthcode_issuer::qr;
use image::{ImageFormat, Luma};
use qrcode::render::svg;

/// A token of the length the issuer signs (version 2, 147 characters).
const TOKEN: &str = "HC2:AQIBAGx7a2V5LWlkLTIwMjZBAAAAAGcYyW9nGaZ_AgEBTG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQsIGNvbnNlY3RldHVyIGFkaXBpc2NpbmcgZWxpdCBzZWQgZG8gZWl1c21vZA";

/// The renderers of the `qrcode` crate, as the issuer used them before.
fn crate_renderers(text: &str) -> (usize, usize) {
    let encode = || qr::encode(text).unwrap_or_else(|e| panic!("{e}"));
    let image = encode()
        .render::<Luma<u8>>()
        .module_dimensions(8, 8)
        .quiet_zone(true)
        .build();
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    let svg = encode()
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    (png.len(), svg.len())
}

fn ours(text: &str) -> (usize, usize) {
    let modules = qr::Modules::of(text).unwrap_or_else(|e| panic!("{e}"));
    let png = modules.png().unwrap_or_else(|e| panic!("{e}"));
    (png.len(), modules.svg().len())
}

fn bench(c: &mut Criterion) {
    eprintln!(
        "PNG and SVG bytes: crate renderers {:?}, qr::Modules {:?}",
        crate_renderers(TOKEN),
        ours(TOKEN)
    );
    let mut group = c.benchmark_group("qr images");
    group.bench_function("floor: encode the token (level M)", |b| {
        b.iter(|| qr::encode(TOKEN).map(|code| code.width()))
    });
    group.bench_function("qr::Modules: PNG + SVG from one encoding", |b| {
        b.iter(|| ours(TOKEN))
    });
    group.bench_function("qrcode crate renderers: PNG + SVG (before)", |b| {
        b.iter(|| crate_renderers(TOKEN))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
