//! The confirmation letter, in both languages: Hong Kong government letters
//! are bilingual, and the one the resident chose comes first. The PIN stands
//! once, on a line of its own, so that the print house and the post office
//! read the same number.

use crate::{
    Error,
    model::Lang,
    pdf::{self, Block, PdfFonts, Title},
};

/// What a letter says, in each language.
#[derive(Debug, Clone, Copy)]
struct Both {
    en: &'static str,
    zh: &'static str,
}

const TITLE: Both = Both {
    en: "HONG KONG HEALTH CODE: CONFIRMATION LETTER",
    zh: "香港健康碼：確認信",
};
const REFERENCE: Both = Both {
    en: "Application reference",
    zh: "申請編號",
};
const ACTIVATE: Both = Both {
    en: "Enter the PIN below with your identity document number on the\n\
         activation page of www.healthcode.gov.hk to activate your account.",
    zh: "請在 www.healthcode.gov.hk 的啟用頁面輸入下列密碼及你的身份證明文件號碼，以啟用你的帳戶。",
};
const POST_OFFICE: Both = Both {
    en: "Please bring this letter and the identity document you applied with to a\n\
         designated post office. After staff there confirm your identity, your\n\
         activation PIN will be sent to you by SMS. The PIN below is for the\n\
         post office staff: it does not activate your account on its own.",
    zh: "請帶同本信及申請時所用的身份證明文件，前往指定郵政局。郵政局職員核實你的身份後，\
         你的啟用密碼會以短訊發送給你。下列密碼供郵政局職員使用，不能單獨用作啟用帳戶。",
};
const NEVER_SHARE: Both = Both {
    en: "Never share this PIN. Enquiries: 3142 2330.",
    zh: "切勿向任何人透露此密碼。查詢：3142 2330。",
};

/// What a letter is for: `activation`, or `post_office` (an identity check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// The PIN activates the account.
    Activation,
    /// The PIN is shown at a post office with the identity document.
    PostOffice,
}

/// The letter's fields.
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    /// The addressee's name.
    pub name: &'a str,
    /// The address it is posted to.
    pub address: &'a str,
    /// The application reference.
    pub reference: &'a str,
    /// The letter PIN.
    pub pin: &'a str,
    /// When the PIN expires, as printed.
    pub expires: &'a str,
    /// What it is for.
    pub kind: LetterKind,
}

/// What a part of the letter is, for how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The name and address, in the window of the envelope.
    Address,
    /// The letter's title.
    Title,
    /// A paragraph.
    Body,
    /// The PIN, on its own.
    Pin,
}

/// One part of the letter: its text, its language, and whether it goes on
/// the line right after the one before (in the plain text).
#[derive(Debug, Clone)]
struct Part {
    role: Role,
    lang: Lang,
    text: String,
    follows: bool,
}

/// The letter's parts in reading order, `first`'s language first.
fn parts(first: Lang, letter: &Letter<'_>) -> Vec<Part> {
    let second = first.other();
    let pick = |both: Both, lang: Lang| match lang {
        Lang::En => both.en.to_owned(),
        Lang::ZhHk => both.zh.to_owned(),
    };
    let part = |role, lang, text: String, follows| Part {
        role,
        lang,
        text,
        follows,
    };
    let instructions = match letter.kind {
        LetterKind::Activation => ACTIVATE,
        LetterKind::PostOffice => POST_OFFICE,
    };
    let reference = format!(
        "{} / {}: {}",
        pick(REFERENCE, first),
        pick(REFERENCE, second),
        letter.reference
    );
    vec![
        part(
            Role::Address,
            first,
            format!("{}\n{}", letter.name, letter.address),
            false,
        ),
        part(Role::Title, first, pick(TITLE, first), false),
        part(Role::Title, second, pick(TITLE, second), true),
        part(Role::Body, first, reference, false),
        part(Role::Body, first, pick(instructions, first), false),
        part(Role::Body, second, pick(instructions, second), false),
        part(Role::Pin, first, format!("PIN: {}", letter.pin), false),
        part(Role::Body, first, valid_until(first, letter.expires), true),
        part(
            Role::Body,
            second,
            valid_until(second, letter.expires),
            true,
        ),
        part(Role::Body, first, pick(NEVER_SHARE, first), false),
        part(Role::Body, second, pick(NEVER_SHARE, second), true),
    ]
}

/// The letter's text, `first`'s language first.
pub fn letter(first: Lang, letter: &Letter<'_>) -> String {
    let mut text = String::new();
    for part in parts(first, letter) {
        if !text.is_empty() {
            text.push_str(if part.follows { "\n" } else { "\n\n" });
        }
        text.push_str(&part.text);
    }
    text.push('\n');
    text
}

/// The letter as a printable, tagged PDF, `first`'s language first: the
/// title as headings, the PIN large.
///
/// # Errors
/// As [`pdf::render`].
pub fn letter_pdf(fonts: &PdfFonts, first: Lang, letter: &Letter<'_>) -> Result<Vec<u8>, Error> {
    let blocks: Vec<Block> = parts(first, letter)
        .into_iter()
        .flat_map(|part| {
            // The plain text's line breaks are for 80 columns; the PDF wraps its own.
            let flowing = part.text.replace(" \n", " ").replace('\n', " ");
            let block = match part.role {
                Role::Address => Block::text(part.text, part.lang),
                Role::Title => Block::Heading {
                    level: if part.follows { 2 } else { 1 },
                    text: part.text,
                    lang: part.lang,
                },
                Role::Body => Block::text(flowing, part.lang),
                Role::Pin => Block::Text {
                    text: part.text,
                    lang: part.lang,
                    size: 22.0,
                    bold: true,
                },
            };
            let gap = (!part.follows).then_some(Block::Gap(10.0));
            gap.into_iter().chain([block])
        })
        .collect();
    let title = Title {
        text: match first {
            Lang::En => TITLE.en.to_owned(),
            Lang::ZhHk => TITLE.zh.to_owned(),
        },
        lang: first,
    };
    pdf::render(fonts, &title, &blocks)
}

/// When the PIN expires, said in `lang`.
fn valid_until(lang: Lang, expires: &str) -> String {
    match lang {
        Lang::En => format!("Valid until: {expires} (Hong Kong time)"),
        Lang::ZhHk => format!("有效期至：{expires}（香港時間）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: LetterKind) -> Letter<'static> {
        Letter {
            name: "CHAN Tai Man 陳大文",
            address: "Flat 1, 1/F, Block A",
            reference: "ref-1",
            pin: "012345",
            expires: "2026-12-31 23:59",
            kind,
        }
    }

    #[test]
    fn the_chosen_language_comes_first_and_the_pin_stands_once() {
        for kind in [LetterKind::Activation, LetterKind::PostOffice] {
            let zh = letter(Lang::ZhHk, &sample(kind));
            let en = letter(Lang::En, &sample(kind));
            for text in [&zh, &en] {
                assert_eq!(text.matches("012345").count(), 1, "{text}");
                assert!(text.lines().any(|l| l == "PIN: 012345"), "{text}");
                assert!(text.contains("ref-1") && text.contains("陳大文"), "{text}");
                assert!(text.contains("(Hong Kong time)") && text.contains("（香港時間）"));
            }
            let position = |text: &str, needle: &str| text.find(needle).unwrap_or(usize::MAX);
            assert!(position(&zh, TITLE.zh) < position(&zh, TITLE.en), "{zh}");
            assert!(position(&en, TITLE.en) < position(&en, TITLE.zh), "{en}");
        }
        let post = letter(Lang::En, &sample(LetterKind::PostOffice));
        assert!(post.contains("designated post office") && post.contains("指定郵政局"));
        let activation = letter(Lang::ZhHk, &sample(LetterKind::Activation));
        assert!(activation.contains("啟用頁面") && activation.contains("activation page"));
    }

    #[test]
    fn the_pdf_letter_is_tagged_and_its_text_is_the_letters() {
        let fonts = PdfFonts::debian().unwrap_or_else(|e| panic!("install fonts-noto-cjk: {e}"));
        let pdf = letter_pdf(&fonts, Lang::ZhHk, &sample(LetterKind::PostOffice))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(String::from_utf8_lossy(&pdf).contains("/StructTreeRoot"));
        assert!(pdf.len() < 150_000, "{} bytes", pdf.len());
    }
}
