//! The same page (a title, a QR code of a real-length token drawn as squares,
//! the colour, the validity, the document, the serial and a reason, in
//! English and Chinese) written by krilla and by printpdf with the Hong Kong
//! face of Noto Sans CJK subset; the median time of 50 runs and the size.

use std::time::{Duration, Instant};

const FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const HK_FACE: u32 = 4;
const TOKEN: &str = "HC2:AQIBAGx7a2V5LWlkLTIwMjZBAAAAAGcYyW9nGaZ_AgEBTG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQsIGNvbnNlY3RldHVyIGFkaXBpc2NpbmcgZWxpdCBzZWQgZG8gZWl1c21vZA";
const LINES: &[&str] = &[
    "Your Health Code 您的健康碼",
    "Amber 黃碼",
    "Valid until 23:59 Hong Kong time on 1 December 2026",
    "Document: HKID K0*****4   Serial number: 9daa84d6b97d5d48dca4141d",
    "• The health authority records you as a close contact.",
    "有效至 2026年12月1日 香港時間晚上 11 時 59 分",
    "證件: HKID K0*****4   編號: 9daa84d6b97d5d48dca4141d",
    "• 衞生當局記錄您為密切接觸者。",
];

/// The dark modules of the token's QR code: (x, y) in modules, and the width.
fn modules() -> (Vec<(usize, usize)>, usize) {
    let code = qrcode::QrCode::with_error_correction_level(TOKEN.as_bytes(), qrcode::EcLevel::M)
        .unwrap_or_else(|e| panic!("{e}"));
    let width = code.width();
    let dark = code
        .to_colors()
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == qrcode::Color::Dark)
        .map(|(i, _)| (i % width, i / width))
        .collect();
    (dark, width)
}

fn with_krilla(font: &[u8], dark: &[(usize, usize)]) -> Vec<u8> {
    use krilla::{geom::{PathBuilder, Point, Rect}, page::PageSettings, text::{Font, TextDirection}, Document};
    let mut document = Document::new();
    let font = Font::new(font.to_vec().into(), HK_FACE).unwrap_or_else(|| panic!("font"));
    let mut page = document.start_page_with(PageSettings::from_wh(595.0, 842.0).unwrap_or_default());
    let mut surface = page.surface();
    let mut path = PathBuilder::new();
    for &(x, y) in dark {
        if let Some(r) = Rect::from_xywh(170.0 + x as f32 * 4.0, 80.0 + y as f32 * 4.0, 4.0, 4.0) {
            path.push_rect(r);
        }
    }
    if let Some(path) = path.finish() {
        surface.draw_path(&path);
    }
    for (i, line) in LINES.iter().enumerate() {
        let at = Point::from_xy(56.0, 420.0 + i as f32 * 24.0);
        surface.draw_text(at, font.clone(), 12.0, line, false, TextDirection::Auto);
    }
    surface.finish();
    page.finish();
    document.finish().unwrap_or_else(|e| panic!("{e:?}"))
}

fn with_printpdf(font: &[u8], dark: &[(usize, usize)]) -> Vec<u8> {
    use printpdf::*;
    let parsed = ParsedFont::from_bytes(font, HK_FACE as usize, &mut Vec::new()).unwrap_or_else(|| panic!("font"));
    let mut pdf = PdfDocument::new("Health Code");
    let id = pdf.add_font(&parsed);
    let mut ops = Vec::new();
    for &(x, y) in dark {
        let (x, y) = (170.0 + x as f32 * 4.0, 842.0 - 80.0 - (y as f32 + 1.0) * 4.0);
        ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing {
                    points: [(x, y), (x + 4.0, y), (x + 4.0, y + 4.0), (x, y + 4.0)]
                        .iter()
                        .map(|&(x, y)| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false })
                        .collect(),
                }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }
    for (i, line) in LINES.iter().enumerate() {
        ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(id.clone()), size: Pt(12.0) },
            Op::SetTextCursor { pos: Point { x: Pt(56.0), y: Pt(842.0 - 420.0 - i as f32 * 24.0) } },
            Op::ShowText { items: vec![TextItem::Text((*line).to_owned())] },
            Op::EndTextSection,
        ]);
    }
    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
    let options = PdfSaveOptions { subset_fonts: true, ..PdfSaveOptions::default() };
    pdf.with_pages(vec![page]).save(&options, &mut Vec::new())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn measure(name: &str, run: impl Fn() -> Vec<u8>) {
    let size = run().len();
    let times: Vec<Duration> = (0..50)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(run());
            started.elapsed()
        })
        .collect();
    println!("| {name} | {size} | {:.2} |", median(times).as_secs_f64() * 1000.0);
}

fn main() {
    let font = std::fs::read(FONT).unwrap_or_else(|e| panic!("{FONT}: {e} (install fonts-noto-cjk)"));
    let (dark, _) = modules();
    std::fs::write("/tmp/krilla.pdf", with_krilla(&font, &dark)).ok();
    std::fs::write("/tmp/printpdf.pdf", with_printpdf(&font, &dark)).ok();
    println!("| crate | bytes | median ms (50 runs) |\n| --- | ---: | ---: |");
    measure("krilla 0.7", || with_krilla(&font, &dark));
    measure("printpdf 0.12", || with_printpdf(&font, &dark));
}
