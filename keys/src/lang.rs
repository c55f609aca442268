//! The two languages of the system: every page, SMS and letter exists in
//! both, a resident's choice is kept with their account, and a page's
//! language is chosen by [`Lang::negotiate`] in the issuer and the verifier
//! alike.

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

    /// The language of a page request: a `lang=` in the `query` first, then
    /// the remembered `cookie`, then the browser's `Accept-Language`, else
    /// English.
    pub fn negotiate(
        query: Option<&str>,
        cookie: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        Lang::in_query(query)
            .or_else(|| cookie.and_then(Lang::from_tag))
            .or_else(|| accept_language.and_then(Lang::accepted))
            .unwrap_or(Lang::En)
    }

    /// The language a `lang=` in `query` asks for, if any.
    pub fn in_query(query: Option<&str>) -> Option<Lang> {
        query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("lang="))
            .and_then(Lang::from_tag)
    }

    /// `2026-11-30` as people write it in this language.
    pub fn date(self, iso: &str) -> String {
        let mut parts = iso.splitn(3, '-').map(|p| p.parse::<u16>().ok());
        let (Some(Some(year)), Some(Some(month)), Some(Some(day))) =
            (parts.next(), parts.next(), parts.next())
        else {
            return iso.to_owned();
        };
        match self {
            Lang::ZhHk => format!("{year}年{month}月{day}日"),
            Lang::En => {
                let name = MONTHS.get(usize::from(month).wrapping_sub(1)).copied();
                name.map_or_else(|| iso.to_owned(), |m| format!("{day} {m} {year}"))
            }
        }
    }

    /// The browser's first language that we have: any Chinese reads zh-HK.
    fn accepted(accept_language: &str) -> Option<Lang> {
        accept_language.split(',').find_map(|item| {
            let tag = item.split(';').next()?.trim().to_ascii_lowercase();
            if tag == "zh" || tag.starts_with("zh-") {
                Some(Lang::ZhHk)
            } else if tag == "en" || tag.starts_with("en-") {
                Some(Lang::En)
            } else {
                None
            }
        })
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

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

    #[test]
    fn the_language_is_the_link_then_the_cookie_then_the_browser() {
        let browser = Some("fr;q=1, zh-TW;q=0.8, en;q=0.5");
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
        assert_eq!(Lang::negotiate(None, None, browser), Lang::ZhHk);
        assert_eq!(Lang::negotiate(None, None, Some("fr, de")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("en"), browser), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("xx"), browser), Lang::ZhHk);
        assert_eq!(
            Lang::negotiate(Some("a=1&lang=zh-HK"), Some("en"), None),
            Lang::ZhHk
        );
        assert_eq!(Lang::negotiate(Some("lang=xx"), None, None), Lang::En);
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        assert_eq!(Lang::En.date("2026-11-30"), "30 November 2026");
        assert_eq!(Lang::ZhHk.date("2026-01-05"), "2026年1月5日");
        assert_eq!(Lang::En.date("2026-13-05"), "2026-13-05");
        assert_eq!(Lang::En.date("junk"), "junk");
    }
}
