//! The page's language: English or Traditional Chinese (Hong Kong), chosen
//! by a `?lang=` link (then remembered in a cookie), else the cookie, else
//! the browser's preference; and the Fluent messages in that language.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    middleware::Next,
    response::Response,
};
use healthcode_service_kit::messages;

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

/// A language's messages on the issuer's pages.
pub trait Speak {
    /// The message `key`; the key itself if no language has it (a unit test
    /// keeps every key in both files).
    fn t(self, key: &str) -> String;
    /// The message `key` with its `{ $name }` arguments.
    fn t_with(self, key: &str, args: &[(&str, &str)]) -> String;
    /// The message `key` with counts as its arguments: numbers, so that a
    /// message can choose its plural form (`[one]`, `*[other]`).
    fn t_counts(self, key: &str, counts: &[(&str, usize)]) -> String;
}

impl Speak for Lang {
    fn t(self, key: &str) -> String {
        messages::text(&*LOCALES, self, key)
    }

    fn t_with(self, key: &str, args: &[(&str, &str)]) -> String {
        messages::text_with(&*LOCALES, self, key, args)
    }

    fn t_counts(self, key: &str, counts: &[(&str, usize)]) -> String {
        messages::text_with(&*LOCALES, self, key, counts)
    }
}

/// The language of a request.
pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(
        query,
        super::super::auth::cookie(headers, LANG_COOKIE),
        accept,
    )
}

/// The language of a page request, as a handler takes it.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl FromRequestParts<Arc<AppState>> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(PageLang(negotiate(parts.uri.query(), &parts.headers)))
    }
}

/// Remembers a language chosen with `?lang=` for the next pages (and, once
/// registration records it, for SMS and letters).
pub async fn remember_choice(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let chosen = Lang::in_query(request.uri().query());
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

    fn messages(file: &str) -> std::collections::BTreeMap<String, Vec<String>> {
        messages::keys_and_arguments(file)
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
    fn the_cookie_and_the_browser_are_read_from_the_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("zh-TW"));
        assert_eq!(negotiate(None, &headers), Lang::ZhHk);
        headers.insert(header::COOKIE, HeaderValue::from_static("hc_lang=en"));
        assert_eq!(negotiate(None, &headers), Lang::En);
    }
}
