//! Printable documents: A4 pages of blocks (headings, paragraphs, a QR code
//! drawn as vector squares), tagged for screen readers and checked as
//! PDF/UA-1 by krilla, with the text set in Noto Sans CJK HK (Debian's
//! `fonts-noto-cjk`) and only the glyphs used subset into the file.

use std::{path::Path, sync::Arc};

use krilla::{
    Document, SerializeSettings,
    color::rgb,
    configure::{Configuration, Validator},
    destination::XyzDestination,
    geom::{PathBuilder, Point, Rect},
    metadata::Metadata,
    outline::{Outline, OutlineNode},
    page::PageSettings,
    paint::Fill,
    surface::Surface,
    tagging::{ContentTag, SpanTag, Tag, TagGroup, TagKind, TagTree},
    text::{Font, TextDirection},
};
use qrcode::Color;

use crate::{Error, model::Lang, qr};

/// Where Debian's `fonts-noto-cjk` puts the regular and bold faces.
pub const NOTO_CJK_REGULAR: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// The bold face.
pub const NOTO_CJK_BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
/// The face in the collection drawn with Hong Kong's character forms.
const HK_FACE: u32 = 4;

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
/// The margin on every side, in points.
const MARGIN: f32 = 56.0;

/// One face: its bytes (to measure) and krilla's font (to draw and subset).
#[derive(Clone)]
struct Face {
    bytes: Arc<Vec<u8>>,
    font: Font,
}

impl Face {
    fn load(path: &Path) -> Result<Face, Error> {
        let bytes = Arc::new(std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?);
        let font = Font::new(bytes.clone().into(), HK_FACE).ok_or_else(|| Error::Corrupt {
            what: "PDF font",
            value: path.display().to_string(),
        })?;
        Ok(Face { bytes, font })
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.bytes, HK_FACE) else {
            return size * text.chars().count() as f32;
        };
        let units = f32::from(face.units_per_em());
        let advance: f32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(units, f32::from)
            })
            .sum();
        advance * size / units
    }
}

/// The fonts documents are set in, loaded once.
#[derive(Clone)]
pub struct PdfFonts {
    regular: Face,
    bold: Face,
}

impl std::fmt::Debug for PdfFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PdfFonts")
    }
}

impl PdfFonts {
    /// Loads the regular and bold faces of a Noto Sans CJK collection.
    ///
    /// # Errors
    /// [`Error::Io`] for a file that cannot be read; [`Error::Corrupt`] for
    /// one that is not a font collection with a Hong Kong face.
    pub fn load(regular: &Path, bold: &Path) -> Result<PdfFonts, Error> {
        Ok(PdfFonts {
            regular: Face::load(regular)?,
            bold: Face::load(bold)?,
        })
    }

    /// Debian's Noto Sans CJK.
    ///
    /// # Errors
    /// As [`PdfFonts::load`]: install `fonts-noto-cjk`.
    pub fn debian() -> Result<PdfFonts, Error> {
        PdfFonts::load(Path::new(NOTO_CJK_REGULAR), Path::new(NOTO_CJK_BOLD))
    }
}

/// One block of a document, in reading order.
#[derive(Debug, Clone)]
pub enum Block {
    /// A heading (level 1 or 2), bold.
    Heading {
        /// 1 or 2.
        level: u16,
        /// Its text.
        text: String,
        /// Its language.
        lang: Lang,
    },
    /// A paragraph, wrapped to the page; `size` in points, bold or not.
    Text {
        /// Its text.
        text: String,
        /// Its language.
        lang: Lang,
        /// Points.
        size: f32,
        /// Bold.
        bold: bool,
    },
    /// The QR code of `text`, `side` points square, with its description.
    Qr {
        /// What it encodes.
        text: String,
        /// Points.
        side: f32,
        /// What a screen reader says for it.
        alt: String,
    },
    /// Blank space, in points.
    Gap(f32),
}

impl Block {
    /// A paragraph at the body size.
    pub fn text(text: impl Into<String>, lang: Lang) -> Block {
        Block::Text {
            text: text.into(),
            lang,
            size: 11.0,
            bold: false,
        }
    }
}

/// A document's title and language, for its metadata.
#[derive(Debug, Clone)]
pub struct Title {
    /// Shown by readers as the window's title.
    pub text: String,
    /// The document's main language.
    pub lang: Lang,
}

/// Lays out `blocks` on A4 pages and writes a tagged PDF (PDF/UA-1).
///
/// # Errors
/// [`Error::Qr`] for a QR text that does not fit; [`Error::Pdf`] when
/// krilla refuses the document (a validation error names what).
pub fn render(fonts: &PdfFonts, title: &Title, blocks: &[Block]) -> Result<Vec<u8>, Error> {
    let settings = SerializeSettings {
        configuration: Configuration::new_with_validator(Validator::UA1),
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let mut tree = TagTree::new().with_lang(Some(title.lang.tag().to_owned()));
    let mut writer = Writer::new(fonts);
    // A reader's bookmarks: one per heading (PDF/UA asks for them).
    let mut outline = Outline::new();
    let mut page_index = 0;
    let mut page = document.start_page_with(page_settings());
    let mut surface = page.surface();
    for block in blocks {
        if writer.overflows(block) {
            surface.finish();
            page.finish();
            page = document.start_page_with(page_settings());
            surface = page.surface();
            writer.y = MARGIN;
            page_index += 1;
        }
        if let Block::Heading { text, .. } = block {
            let at = XyzDestination::new(page_index, Point::from_xy(MARGIN, writer.y));
            outline.push_child(OutlineNode::new(text.clone(), at));
        }
        if let Some(group) = writer.draw(&mut surface, block)? {
            tree.push(group);
        }
    }
    surface.finish();
    page.finish();
    document.set_tag_tree(tree);
    document.set_outline(outline);
    document.set_metadata(
        Metadata::new()
            .title(title.text.clone())
            .language(title.lang.tag().to_owned())
            .creator("Hong Kong Health Code".to_owned()),
    );
    document.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}

fn page_settings() -> PageSettings {
    PageSettings::from_wh(PAGE.0, PAGE.1).unwrap_or_default()
}

/// Where the next block goes.
struct Writer<'a> {
    fonts: &'a PdfFonts,
    y: f32,
}

impl<'a> Writer<'a> {
    fn new(fonts: &'a PdfFonts) -> Self {
        Writer { fonts, y: MARGIN }
    }

    fn width() -> f32 {
        PAGE.0 - 2.0 * MARGIN
    }

    fn face(&self, bold: bool) -> &Face {
        if bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        }
    }

    /// The block's height once laid out.
    fn height(&self, block: &Block) -> f32 {
        match block {
            Block::Heading { level, text, .. } => {
                let size = heading_size(*level);
                lines(self.face(true), text, size, Self::width()).len() as f32 * size * 1.4
            }
            Block::Text {
                text, size, bold, ..
            } => lines(self.face(*bold), text, *size, Self::width()).len() as f32 * size * 1.5,
            Block::Qr { side, .. } => side + 12.0,
            Block::Gap(points) => *points,
        }
    }

    fn overflows(&self, block: &Block) -> bool {
        self.y > MARGIN && self.y + self.height(block) > PAGE.1 - MARGIN
    }

    fn draw(
        &mut self,
        surface: &mut Surface<'_>,
        block: &Block,
    ) -> Result<Option<TagGroup>, Error> {
        let group = match block {
            Block::Heading { level, text, lang } => {
                let tag = Tag::Hn(
                    std::num::NonZeroU16::new(*level).unwrap_or(std::num::NonZeroU16::MIN),
                    Some(text.clone()),
                );
                let kind: TagKind = tag.with_lang(Some(lang.tag().to_owned())).into();
                Some(self.lines(surface, kind, text, *lang, heading_size(*level), true))
            }
            Block::Text {
                text,
                lang,
                size,
                bold,
            } => {
                let kind: TagKind = Tag::P.with_lang(Some(lang.tag().to_owned())).into();
                Some(self.lines(surface, kind, text, *lang, *size, *bold))
            }
            Block::Qr { text, side, alt } => Some(self.qr(surface, text, *side, alt)?),
            Block::Gap(points) => {
                self.y += points;
                None
            }
        };
        Ok(group)
    }

    /// Draws `text` wrapped, one tagged span per line, in a group of `kind`.
    fn lines(
        &mut self,
        surface: &mut Surface<'_>,
        kind: TagKind,
        text: &str,
        lang: Lang,
        size: f32,
        bold: bool,
    ) -> TagGroup {
        let face = self.face(bold).clone();
        let leading = size * if bold { 1.4 } else { 1.5 };
        let mut group = TagGroup::new(kind);
        for line in lines(&face, text, size, Self::width()) {
            self.y += leading;
            let span = SpanTag::empty().with_lang(Some(lang.tag()));
            let id = surface.start_tagged(ContentTag::Span(span));
            surface.set_fill(Some(Fill {
                paint: rgb::Color::new(11, 12, 12).into(),
                ..Fill::default()
            }));
            surface.draw_text(
                Point::from_xy(MARGIN, self.y - size * 0.3),
                face.font.clone(),
                size,
                &line,
                false,
                TextDirection::Auto,
            );
            surface.end_tagged();
            group.push(id);
        }
        group
    }

    /// Draws the QR code of `text` as black squares on white, centred,
    /// `side` points square with its quiet zone.
    fn qr(
        &mut self,
        surface: &mut Surface<'_>,
        text: &str,
        side: f32,
        alt: &str,
    ) -> Result<TagGroup, Error> {
        let code = qr::encode(text)?;
        let modules = code.width();
        // Four modules of quiet zone on each side.
        let module = side / (modules + 8) as f32;
        let left = (PAGE.0 - side) / 2.0 + 4.0 * module;
        let top = self.y + 6.0 + 4.0 * module;
        let mut path = PathBuilder::new();
        for (i, colour) in code.to_colors().iter().enumerate() {
            if *colour == Color::Dark {
                let (x, y) = ((i % modules) as f32, (i / modules) as f32);
                if let Some(rect) =
                    Rect::from_xywh(left + x * module, top + y * module, module, module)
                {
                    path.push_rect(rect);
                }
            }
        }
        let id = surface.start_tagged(ContentTag::Other);
        surface.set_fill(Some(Fill::default()));
        if let Some(path) = path.finish() {
            surface.draw_path(&path);
        }
        surface.end_tagged();
        self.y += side + 12.0;
        let mut group = TagGroup::new(Tag::Figure(Some(alt.to_owned())));
        group.push(id);
        Ok(group)
    }
}

fn heading_size(level: u16) -> f32 {
    if level <= 1 { 20.0 } else { 14.0 }
}

/// Whether a line may break after `c` without a space (CJK ideographs and
/// their punctuation).
fn breaks_anywhere(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// `text` cut into lines no wider than `width`: at spaces, or between CJK
/// characters; a word longer than a line is cut where it must be. Each
/// newline in `text` starts a new line.
fn lines(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for piece in pieces(paragraph) {
            let candidate = format!("{line}{piece}");
            if line.is_empty() || face.width(candidate.trim_end(), size) <= width {
                line = candidate;
            } else {
                out.push(line.trim_end().to_owned());
                line = piece.trim_start().to_owned();
            }
            while face.width(line.trim_end(), size) > width && line.chars().count() > 1 {
                let cut = fit(face, &line, size, width);
                out.push(line[..cut].to_owned());
                line = line[cut..].to_owned();
            }
        }
        out.push(line.trim_end().to_owned());
    }
    out
}

/// The byte length of the longest prefix of `text` that fits `width` (at least one character).
fn fit(face: &Face, text: &str, size: f32, width: f32) -> usize {
    let mut end = text.chars().next().map_or(0, char::len_utf8);
    for (at, c) in text.char_indices().skip(1) {
        if face.width(&text[..at + c.len_utf8()], size) > width {
            break;
        }
        end = at + c.len_utf8();
    }
    end
}

/// Pieces a line may break between: a word with its following space, or one CJK character.
fn pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        if breaks_anywhere(c) || c == ' ' {
            pieces.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> PdfFonts {
        PdfFonts::debian().unwrap_or_else(|e| panic!("install fonts-noto-cjk: {e}"))
    }

    #[test]
    fn lines_break_at_spaces_and_between_chinese_characters() {
        let face = fonts().regular;
        let english = lines(
            &face,
            "Valid until 23:59 Hong Kong time on 1 December 2026",
            11.0,
            120.0,
        );
        assert!(english.len() > 1, "{english:?}");
        assert!(
            english.iter().all(|l| face.width(l, 11.0) <= 120.0),
            "{english:?}"
        );
        assert_eq!(
            english.join(" "),
            "Valid until 23:59 Hong Kong time on 1 December 2026"
        );
        let chinese = lines(
            &face,
            "有效至香港時間二零二六年十二月一日晚上十一時五十九分",
            11.0,
            60.0,
        );
        assert!(chinese.len() > 2, "{chinese:?}");
        assert_eq!(
            chinese.concat(),
            "有效至香港時間二零二六年十二月一日晚上十一時五十九分"
        );
        let long = lines(&face, &"x".repeat(200), 11.0, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| !l.is_empty()));
        assert_eq!(lines(&face, "a\nb", 11.0, 100.0), ["a", "b"]);
    }

    #[test]
    fn a_document_is_a_tagged_pdf_with_the_font_subset() {
        let blocks = [
            Block::Heading {
                level: 1,
                text: "香港健康碼 Hong Kong Health Code".into(),
                lang: Lang::ZhHk,
            },
            Block::Qr {
                text: "HC1:TEST".into(),
                side: 200.0,
                alt: "QR".into(),
            },
            Block::text("綠碼 Green", Lang::ZhHk),
        ];
        let title = Title {
            text: "Health Code".into(),
            lang: Lang::En,
        };
        let pdf = render(&fonts(), &title, &blocks).unwrap_or_else(|e| panic!("{e}"));
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.contains("/StructTreeRoot") && text.contains("/MarkInfo"),
            "tagged"
        );
        assert!(
            pdf.len() < 200_000,
            "the 20 MB font is subset: {} bytes",
            pdf.len()
        );
    }
}
