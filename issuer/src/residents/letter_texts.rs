//! The confirmation letter, in both languages: Hong Kong government letters
//! are bilingual, and the one the resident chose comes first. The PIN stands
//! once, on a line of its own, so that the print house and the post office
//! read the same number.

use crate::model::Lang;

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

/// The letter's text, `first`'s language first.
pub fn letter(first: Lang, letter: &Letter<'_>) -> String {
    let order = |both: Both| match first {
        Lang::En => [both.en, both.zh],
        Lang::ZhHk => [both.zh, both.en],
    };
    let instructions = match letter.kind {
        LetterKind::Activation => ACTIVATE,
        LetterKind::PostOffice => POST_OFFICE,
    };
    let [title_1, title_2] = order(TITLE);
    let [reference_1, reference_2] = order(REFERENCE);
    let [instructions_1, instructions_2] = order(instructions);
    let [never_1, never_2] = order(NEVER_SHARE);
    format!(
        "{name}\n{address}\n\n\
         {title_1}\n{title_2}\n\n\
         {reference_1} / {reference_2}: {reference}\n\n\
         {instructions_1}\n\n{instructions_2}\n\n\
         PIN: {pin}\n\
         {valid_1}\n{valid_2}\n\n\
         {never_1}\n{never_2}\n",
        name = letter.name,
        address = letter.address,
        reference = letter.reference,
        pin = letter.pin,
        valid_1 = valid_until(first, letter.expires),
        valid_2 = valid_until(first.other(), letter.expires),
    )
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
}
