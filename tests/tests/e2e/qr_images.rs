//! The QR images the issuer writes are read by our scanner and by an independent decoder.

use std::process::Command;

use crate::support::{KeySet, json_lines};

fn zbarimg(path: &str) -> String {
    let output = Command::new("zbarimg")
        .args(["-q", "--raw", path])
        .output()
        .unwrap_or_else(|e| panic!("zbarimg (Debian zbar-tools) must be installed: {e}"));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn png_is_read_by_zbarimg_and_the_scanner() {
    let set = KeySet::new(false);
    let png = set.path("code.png");
    let token = set.issue("amber", "HKID:A123456(3)", &["--qr", &png]);
    assert_eq!(zbarimg(&png), token);
    let report = &json_lines(&set.scan(&["--json", &png]))[0];
    assert_eq!(report["valid"], true);
    assert_eq!(report["colour"], "amber");
    // 8 pixels a module, 4 modules of quiet zone: 456 pixels is version 8 (49 modules).
    let (width, height) = image::image_dimensions(&png).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((width, height), (456, 456), "QR version 8 at level M");
}

#[test]
fn svg_is_read_by_zbarimg_after_rasterising() {
    let set = KeySet::new(false);
    let svg = set.path("code.svg");
    let token = set.issue("red", "HKID:A123456(3)", &["--qr", &svg]);
    let png = set.path("from-svg.png");
    let status = Command::new("rsvg-convert")
        .args([
            "--width",
            "600",
            "--background-color",
            "white",
            "-o",
            &png,
            &svg,
        ])
        .status()
        .unwrap_or_else(|e| panic!("rsvg-convert (Debian librsvg2-bin) must be installed: {e}"));
    assert!(status.success());
    assert_eq!(zbarimg(&png), token);
    assert_eq!(json_lines(&set.scan(&["--json", &png]))[0]["colour"], "red");
}
