//! End-to-end tests: the real `keys`, `issuer`, `verifier` and `scanner`
//! binaries, real files, a real SQLite file and a real Redis, real QR images
//! read by our decoder and by `zbarimg`, the colour rules over the shared and
//! our own vectors.

mod accounts;
mod accounts_abuse;
mod api_descriptions;
mod appeals;
mod architecture;
mod bundle;
mod checkpoint;
mod codes;
mod consoles;
mod conversion;
mod counter;
mod failover;
mod feeds;
mod issuer_server;
mod keys_cli;
mod lanes;
mod officer;
mod photos;
mod printing;
mod qr_images;
mod regions;
mod resident_account;
mod revocation;
mod rules;
mod scale;
mod scanner_cli;
mod support;
mod vectors;
mod verifier_service;
mod web_pages;
