//! The page's language: English or Traditional Chinese (Hong Kong), chosen
//! by a `?lang=` link (then remembered in a cookie), else the cookie, else
//! the browser's preference; and the Fluent messages in that language.

use std::{borrow::Cow, collections::HashMap, sync::Arc, sync::LazyLock};

use axum::{
    extract::{FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    middleware::Next,
    response::Response,
};
use fluent_templates::{LanguageIdentifier, Loader as _, fluent_bundle::FluentValue};

use crate::service::AppState;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No bidi isolation marks around arguments: the pages set `lang`
        // and `dir` themselves, and invisible marks would break copying.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "hc_lang";

pub use crate::model::Lang;

static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| identifier("en"));
static ZH_HK: LazyLock<LanguageIdentifier> = LazyLock::new(|| identifier("zh-HK"));

fn identifier(tag: &str) -> LanguageIdentifier {
    tag.parse()
        .unwrap_or_else(|_| unreachable!("{tag} is a well-formed language tag"))
}

impl Lang {
    fn identifier(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::ZhHk => &ZH_HK,
        }
    }

    /// The message `key`; the key itself if no language has it (a unit test
    /// keeps every key in both files).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.identifier(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with its `{ $name }` arguments.
    pub fn t_with(self, key: &str, args: &[(&str, &str)]) -> String {
        self.t_args(key, args)
    }

    /// The message `key` with counts as its arguments: numbers, so that a
    /// message can choose its plural form (`[one]`, `*[other]`).
    pub fn t_counts(self, key: &str, counts: &[(&str, usize)]) -> String {
        self.t_args(key, counts)
    }

    /// The message `key` with `args`, each as Fluent takes it (text, or a
    /// number that can choose a plural form).
    fn t_args<'v, V>(self, key: &str, args: &[(&str, V)]) -> String
    where
        V: Into<FluentValue<'v>> + Copy,
    {
        let args: HashMap<Cow<'static, str>, FluentValue<'v>> = args
            .iter()
            .map(|(name, value)| (Cow::Owned((*name).to_owned()), (*value).into()))
            .collect();
        LOCALES
            .try_lookup_with_args(self.identifier(), key, &args)
            .unwrap_or_else(|| key.to_owned())
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

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .and_then(Lang::from_tag)
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    super::super::auth::cookie(headers, LANG_COOKIE).and_then(Lang::from_tag)
}

/// The browser's first language that we have: any Chinese reads zh-HK.
fn accepted_lang(headers: &HeaderMap) -> Option<Lang> {
    let accept = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    accept.split(',').find_map(|item| {
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

/// The language of a request.
pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
    query_lang(query)
        .or_else(|| cookie_lang(headers))
        .or_else(|| accepted_lang(headers))
        .unwrap_or(Lang::En)
}

impl FromRequestParts<Arc<AppState>> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(negotiate(parts.uri.query(), &parts.headers))
    }
}

/// Remembers a language chosen with `?lang=` for the next pages (and, once
/// registration records it, for SMS and letters).
pub async fn remember_choice(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let chosen = query_lang(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let secure = if state.secure_cookies { "; Secure" } else { "" };
        let cookie = format!(
            "{LANG_COOKIE}={}; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax{secure}",
            lang.tag()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each message's key and the names of its arguments (`{ $name }`),
    /// continuation lines (plural variants) included.
    fn messages(file: &str) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut whole: Vec<(String, String)> = Vec::new();
        for line in file.lines().filter(|l| !l.starts_with('#')) {
            match (line.split_once(" = "), whole.last_mut()) {
                (_, Some((_, value))) if line.starts_with([' ', '}']) => value.push_str(line),
                (Some((key, value)), _) => whole.push((key.trim().to_owned(), value.to_owned())),
                _ => {}
            }
        }
        whole
            .into_iter()
            .map(|(key, value)| {
                let mut args: Vec<String> = value
                    .split("{ $")
                    .skip(1)
                    .filter_map(|rest| rest.split_once(' ').map(|(name, _)| name.to_owned()))
                    .collect();
                args.sort();
                args.dedup();
                (key, args)
            })
            .collect()
    }

    #[test]
    fn counts_choose_the_plural_form_in_english() {
        let said = |n| Lang::En.t_counts("review-queue-caption", &[("count", n)]);
        assert_eq!(said(1), "1 application waiting");
        assert_eq!(said(2), "2 applications waiting");
        assert_eq!(said(0), "0 applications waiting");
        assert_eq!(
            Lang::ZhHk.t_counts("review-queue-caption", &[("count", 1)]),
            Lang::ZhHk.t_with("review-queue-caption", &[("count", "1")])
        );
    }

    #[test]
    fn every_message_exists_in_both_languages() {
        let en = messages(concat!(
            include_str!("../../../locales/en/main.ftl"),
            include_str!("../../../locales/en/console.ftl"),
            include_str!("../../../locales/en/register.ftl"),
            include_str!("../../../locales/en/account.ftl")
        ));
        let zh = messages(concat!(
            include_str!("../../../locales/zh-HK/main.ftl"),
            include_str!("../../../locales/zh-HK/console.ftl"),
            include_str!("../../../locales/zh-HK/register.ftl"),
            include_str!("../../../locales/zh-HK/account.ftl")
        ));
        assert!(en.len() > 50, "{}", en.len());
        assert_eq!(en, zh, "the two files differ in keys or arguments");
        for (key, names) in &en {
            let args: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
            for lang in Lang::ALL {
                let text = lang.t_with(key, &args);
                assert_ne!(text, *key, "{key} does not resolve in {}", lang.tag());
                assert!(
                    !text.contains('{'),
                    "{key} in {} left an argument: {text}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn messages_take_their_arguments_without_invisible_marks() {
        let text = Lang::ZhHk.t_with("sign-in-slow-down", &[("seconds", "30")]);
        assert_eq!(text, "嘗試次數過多。請等候 30 秒後再試");
        assert_eq!(Lang::En.t("code-colour-amber"), "Amber");
        assert_eq!(Lang::En.t("no-such-key"), "no-such-key");
    }

    #[test]
    fn the_language_is_the_link_then_the_cookie_then_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(negotiate(None, &headers), Lang::En);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr;q=1, zh-TW;q=0.8, en;q=0.5"),
        );
        assert_eq!(negotiate(None, &headers), Lang::ZhHk);
        headers.insert(header::COOKIE, HeaderValue::from_static("hc_lang=en"));
        assert_eq!(negotiate(None, &headers), Lang::En);
        assert_eq!(negotiate(Some("a=1&lang=zh-HK"), &headers), Lang::ZhHk);
        assert_eq!(negotiate(Some("lang=xx"), &headers), Lang::En);
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        assert_eq!(Lang::En.date("2026-11-30"), "30 November 2026");
        assert_eq!(Lang::ZhHk.date("2026-01-05"), "2026年1月5日");
        assert_eq!(Lang::En.date("2026-13-05"), "2026-13-05");
        assert_eq!(Lang::En.date("junk"), "junk");
    }
}
