//! Printable documents: a code-like page (title, QR code of a real-length
//! token at level M, colour, validity, reasons in both languages) and the
//! confirmation letter in each language, against the floor of rendering
//! the same token's QR code as the PNG the code page already pays for.
//!
//! `cargo bench -p healthcode-issuer --bench printing`

use criterion::{Criterion, criterion_group, criterion_main};
use healthcode_issuer::{
    model::Lang,
    pdf::{self, Block, PdfFonts, Title},
    qr,
    residents::letter_texts::{Letter, LetterKind, letter_pdf},
};

/// A token of the length the issuer signs (version 2, about 150 characters).
const TOKEN: &str = "HC2:AQIBAGx7a2V5LWlkLTIwMjZBAAAAAGcYyW9nGaZ_AgEBTG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQsIGNvbnNlY3RldHVyIGFkaXBpc2NpbmcgZWxpdCBzZWQgZG8gZWl1c21vZA";

fn code_blocks(first: Lang) -> Vec<Block> {
    let second = first.other();
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: "Your Health Code 您的健康碼".into(),
            lang: first,
        },
        Block::Qr {
            text: TOKEN.into(),
            side: 260.0,
            alt: "QR code".into(),
        },
        Block::Text {
            text: "Amber 黃碼".into(),
            lang: first,
            size: 28.0,
            bold: true,
        },
    ];
    for (lang, valid, reason) in [
        (
            first,
            "Valid until 23:59 Hong Kong time on 1 December 2026",
            "The health authority records you as a close contact.",
        ),
        (
            second,
            "有效至 2026年12月1日 香港時間晚上 11 時 59 分",
            "衞生當局記錄您為密切接觸者。",
        ),
    ] {
        blocks.push(Block::Text {
            text: valid.into(),
            lang,
            size: 13.0,
            bold: true,
        });
        blocks.push(Block::text("Document 證件: HKID K0*****4", lang));
        blocks.push(Block::text("Serial 編號: 9daa84d6b97d5d48dca4141d", lang));
        blocks.push(Block::text(format!("• {reason}"), lang));
    }
    blocks
}

fn bench(c: &mut Criterion) {
    let fonts = PdfFonts::debian().unwrap_or_else(|e| panic!("install fonts-noto-cjk: {e}"));
    let mut group = c.benchmark_group("printing");
    group.bench_function("floor: QR PNG of the token", |b| {
        b.iter(|| qr::png(TOKEN).map(|png| png.len()))
    });
    for (name, lang) in [
        ("code PDF, English first", Lang::En),
        ("code PDF, Chinese first", Lang::ZhHk),
    ] {
        let blocks = code_blocks(lang);
        let title = Title {
            text: "Your Health Code".into(),
            lang,
        };
        eprintln!(
            "{name}: {} bytes",
            pdf::render(&fonts, &title, &blocks)
                .map(|p| p.len())
                .unwrap_or(0)
        );
        group.bench_function(name, |b| {
            b.iter(|| pdf::render(&fonts, &title, &blocks).map(|p| p.len()))
        });
    }
    let letter = Letter {
        name: "CHAN Tai Man 陳大文",
        address: "Flat 1, 1/F, Block A, Kwai Chung Estate",
        reference: "01a22f20f63b1056d3dc83987b69caee",
        pin: "012345",
        expires: "2026-12-31 23:59",
        kind: LetterKind::PostOffice,
    };
    for (name, lang) in [
        ("letter PDF, English first", Lang::En),
        ("letter PDF, Chinese first", Lang::ZhHk),
    ] {
        eprintln!(
            "{name}: {} bytes",
            letter_pdf(&fonts, lang, &letter)
                .map(|p| p.len())
                .unwrap_or(0)
        );
        group.bench_function(name, |b| {
            b.iter(|| letter_pdf(&fonts, lang, &letter).map(|p| p.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
