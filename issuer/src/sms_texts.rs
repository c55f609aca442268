//! The SMS a resident receives, in the language they chose. Each fits one
//! message: 160 GSM-7 characters in English, 70 UCS-2 characters in Chinese.

use crate::model::Lang;

/// The activation PIN.
pub fn activation_pin(lang: Lang, pin: &str, minutes: i64) -> String {
    match lang {
        Lang::En => format!(
            "Hong Kong Health Code: your activation PIN is {pin}. It expires in {minutes} minutes. Never share it."
        ),
        Lang::ZhHk => {
            format!("香港健康碼：你的啟用密碼是 {pin}，{minutes} 分鐘內有效。切勿向任何人透露。")
        }
    }
}

/// The one-time code of a sign-in.
pub fn sign_in_code(lang: Lang, code: &str, minutes: i64) -> String {
    match lang {
        Lang::En => format!(
            "Hong Kong Health Code: your sign-in code is {code}. It expires in {minutes} minutes. If you did not sign in, change your password."
        ),
        Lang::ZhHk => format!(
            "香港健康碼：你的登入驗證碼是 {code}，{minutes} 分鐘內有效。如非你本人登入，請更改密碼。"
        ),
    }
}

/// The PIN that confirms a new phone number.
pub fn phone_change_pin(lang: Lang, pin: &str, minutes: i64) -> String {
    match lang {
        Lang::En => format!(
            "Hong Kong Health Code: enter {pin} to use this phone for your account. It expires in {minutes} minutes. Never share it."
        ),
        Lang::ZhHk => format!(
            "香港健康碼：輸入 {pin} 以將此電話用於你的帳戶，{minutes} 分鐘內有效。切勿向任何人透露。"
        ),
    }
}

/// Tells the old phone that the number changed (a takeover is seen at once).
pub fn phone_changed(lang: Lang) -> String {
    match lang {
        Lang::En => "Hong Kong Health Code: the phone number of your account was changed. If you did not do this, call 1836 115 at once.".to_owned(),
        Lang::ZhHk => "香港健康碼：你帳戶的電話號碼已更改。如非你本人所為，請立即致電 1836 115。".to_owned(),
    }
}

/// The decision on an appeal: upheld (apply again) or not.
pub fn appeal_decided(lang: Lang, upheld: bool) -> String {
    match (lang, upheld) {
        (Lang::En, true) => "Hong Kong Health Code: your appeal was upheld and the record corrected. Apply for a new code now. Details are on your account page.".to_owned(),
        (Lang::En, false) => "Hong Kong Health Code: your appeal was not upheld; the record stands. The reason is on your account page.".to_owned(),
        (Lang::ZhHk, true) => "香港健康碼：你的覆核申請獲接納，有關紀錄已更正。請重新申請健康碼。詳情見你的帳戶頁面。".to_owned(),
        (Lang::ZhHk, false) => "香港健康碼：你的覆核申請不獲接納，有關紀錄維持不變。原因見你的帳戶頁面。".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters of the GSM 03.38 basic set that these texts use.
    fn gsm7(text: &str) -> bool {
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || " .,:;!?'()-+@&/".contains(c))
    }

    #[test]
    fn each_text_fits_one_message_in_its_encoding() {
        for lang in Lang::ALL {
            let texts = [
                activation_pin(lang, "123456", 10),
                sign_in_code(lang, "123456", 5),
                phone_change_pin(lang, "123456", 10),
                phone_changed(lang),
                appeal_decided(lang, true),
                appeal_decided(lang, false),
            ];
            for text in texts {
                match lang {
                    Lang::En => {
                        assert!(gsm7(&text), "not GSM-7: {text}");
                        assert!(text.chars().count() <= 160, "{text}");
                    }
                    Lang::ZhHk => {
                        let units = text.encode_utf16().count();
                        assert!(units <= 70, "{units} UCS-2 units: {text}");
                        assert!(text.contains("香港健康碼"), "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_secret_is_in_the_text_once() {
        for lang in Lang::ALL {
            for text in [
                activation_pin(lang, "654321", 10),
                sign_in_code(lang, "654321", 5),
                phone_change_pin(lang, "654321", 10),
            ] {
                assert_eq!(text.matches("654321").count(), 1, "{text}");
            }
        }
    }
}
