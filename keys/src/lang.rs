//! The two languages of the service: every page, SMS and letter exists in
//! both, and a resident's choice is kept with their account.

/// A language of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Traditional Chinese as written in Hong Kong.
    ZhHk,
}

impl Lang {
    /// Both, in the order of the language switch.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhHk];

    /// The BCP 47 tag: `en`, `zh-HK`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHk => "zh-HK",
        }
    }

    /// The language of a `lang` value, cookie or stored column, exactly as
    /// we write them.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// The other language, offered by the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::ZhHk,
            Lang::ZhHk => Lang::En,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_reads_back_and_nothing_else_does() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
            assert_ne!(lang.other(), lang);
        }
        assert_eq!(Lang::from_tag("ZH-hk"), Some(Lang::ZhHk));
        for other in ["", "zh", "zh-TW", "fr", "en-GB"] {
            assert_eq!(Lang::from_tag(other), None, "{other}");
        }
    }
}
