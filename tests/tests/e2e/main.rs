//! End-to-end tests: the real `keys`, `issuer` and `scanner` binaries, real
//! files, real QR images read by our decoder and by `zbarimg`.

mod keys_cli;
mod photos;
mod qr_images;
mod scanner_cli;
mod support;
mod vectors;
