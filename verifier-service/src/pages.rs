//! The verifier's web pages, in English and Traditional Chinese: the
//! supervisor's view of the lanes (and `/v1/lanes`, the same as JSON).
//! Served by the service itself, with nothing loaded from elsewhere.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Json,
    extract::{FromRequestParts, Query, Request, State},
    http::{StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use fluent_templates::fluent_bundle::FluentValue;
use healthcode_keys::{
    Lang,
    hktime::{format_hk, format_utc},
};
use healthcode_service_kit::messages;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    AppState,
    lanes::{LaneSummary, OTHER_LANE, UNASSIGNED_LANE, WINDOW_MINUTES},
    state::{NotReady, RevocationSource},
};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // The pages set `lang` themselves; invisible isolation marks would
        // break copying figures.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

const STYLESHEET: &str = include_str!("../assets/verifier.css");
const SUPERVISOR_SCRIPT: &str = include_str!("../assets/supervisor.js");
const OFFICER_SCRIPT: &str = include_str!("../assets/officer.js");

/// Only this service's own files, and no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; media-src 'self' blob: mediastream:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The message `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> String {
    messages::text(&*LOCALES, lang, key)
}

/// The message `key` in `lang` with text or number arguments.
pub fn t_with<'v, V>(lang: Lang, key: &str, args: &[(&str, V)]) -> String
where
    V: Into<FluentValue<'v>> + Clone,
{
    messages::text_with(&*LOCALES, lang, key, args)
}

/// A reason code (`colour_red`, `revoked`, ...) in words.
pub fn reason_words(lang: Lang, reason: &str) -> String {
    let key = format!("reason-{}", reason.replace('_', "-"));
    let words = t(lang, &key);
    if words == key {
        reason.to_owned()
    } else {
        words
    }
}

/// The language of a page request: `?lang=`, else the browser's.
#[derive(Debug)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(PageLang(Lang::negotiate(parts.uri.query(), None, accept)))
    }
}

/// What every page shows around its content.
#[derive(Debug)]
pub struct Frame {
    /// The page's language.
    pub lang: Lang,
    /// The page's title.
    pub title: String,
    /// The page's path and query without `lang`, for the language switch.
    pub here: String,
}

impl Frame {
    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    /// The message `key` with one text argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        t_with(self.lang, key, &[(name, value)])
    }

    /// The same page in the other language.
    pub fn switch_href(&self) -> String {
        let join = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{join}lang={}", self.here, self.lang.other().tag())
    }
}

/// The supervisor page's and `/v1/lanes`'s query.
#[derive(Debug, Deserialize)]
pub struct LanesQuery {
    /// Minutes of history, 1 to 15 (default 5).
    pub minutes: Option<String>,
}

impl LanesQuery {
    /// The minutes asked for, or `None` when they are not 1 to 15.
    fn minutes(&self) -> Option<usize> {
        match &self.minutes {
            None => Some(DEFAULT_MINUTES),
            Some(text) => text
                .parse()
                .ok()
                .filter(|m| (1..=WINDOW_MINUTES).contains(m)),
        }
    }
}

const DEFAULT_MINUTES: usize = 5;

/// One lane's row, in words.
#[derive(Debug)]
pub struct LaneRow {
    lane: String,
    verifications: u64,
    per_minute: String,
    admitted: u64,
    secondary: u64,
    refused: u64,
    invalid: u64,
    reasons: Vec<String>,
    last: String,
}

/// One row of what the checkpoint holds.
#[derive(Debug)]
pub struct FreshnessRow {
    label: String,
    value: String,
    /// `warning` when something is wrong, to stand out.
    class: &'static str,
}

/// A choice of window.
#[derive(Debug)]
pub struct WindowChoice {
    label: String,
    href: String,
    current: bool,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "supervisor.html")]
struct SupervisorPage {
    frame: Frame,
    as_of: String,
    caption: String,
    windows: Vec<WindowChoice>,
    refresh_href: String,
    lanes: Vec<LaneRow>,
    freshness: Vec<FreshnessRow>,
}

/// `HH:MM:SS` in Hong Kong time.
fn clock(at: OffsetDateTime) -> String {
    format_hk(at).get(11..19).unwrap_or_default().to_owned()
}

fn lane_row(lang: Lang, summary: &LaneSummary, minutes: usize) -> LaneRow {
    LaneRow {
        lane: match summary.lane.as_str() {
            UNASSIGNED_LANE => t(lang, "lane-unassigned"),
            OTHER_LANE => t(lang, "lane-other"),
            named => named.to_owned(),
        },
        verifications: summary.verifications,
        per_minute: format!("{:.1}", summary.verifications as f64 / minutes as f64),
        admitted: summary.admitted,
        secondary: summary.secondary,
        refused: summary.refused,
        invalid: summary.invalid,
        reasons: summary
            .reasons
            .iter()
            .map(|r| {
                let words = reason_words(lang, &r.reason);
                let count = r.count.to_string();
                t_with(
                    lang,
                    "reason-count",
                    &[("reason", words.as_str()), ("count", count.as_str())],
                )
            })
            .collect(),
        last: summary.last_at.map_or_else(|| t(lang, "never"), clock),
    }
}

fn freshness(state: &AppState, lang: Lang, now: OffsetDateTime) -> Vec<FreshnessRow> {
    let row = |label: &str, value: String, warn: bool| FreshnessRow {
        label: t(lang, label),
        value,
        class: if warn { "warning" } else { "" },
    };
    let not_ready = state.not_ready_because();
    let why: Vec<String> = not_ready
        .iter()
        .map(|reason| match reason {
            NotReady::RevocationsNotSynced => t(lang, "not-ready-revocations-not-synced"),
            NotReady::TrustListExpired => t(lang, "not-ready-trust-list-expired"),
        })
        .collect();
    let ready = if why.is_empty() {
        t(lang, "ready-yes")
    } else {
        t_with(lang, "ready-no", &[("why", why.join("; ").as_str())])
    };
    let checker = state.checker();
    let trust = checker.trust();
    let expired = checker.trust_expired(now);
    let seq = trust.seq().to_string();
    let expires = hktime_minute(trust.expires_at());
    let trust_value = t_with(
        lang,
        if expired {
            "trust-expired"
        } else {
            "trust-value"
        },
        &[("seq", seq.as_str()), ("time", expires.as_str())],
    );
    let summary = state.revocation_summary();
    let age = summary.as_of.map(|t| (now - t).whole_seconds().max(0));
    let stale_after = state.settings.staleness.stale_after;
    let stale = match (age, stale_after) {
        (Some(age), Some(limit)) => age > limit.whole_seconds(),
        (None, _) => true,
        _ => false,
    };
    let revocations = match (summary.as_of, age) {
        (Some(at), Some(age)) => {
            let time = clock(at);
            let args: [(&str, FluentValue); 3] = [
                ("count", summary.held.into()),
                ("time", time.as_str().into()),
                ("age", age.into()),
            ];
            let text = t_with(lang, "revocations-value", &args);
            if stale {
                format!("{text} {}", t(lang, "revocations-stale"))
            } else {
                text
            }
        }
        _ => t(lang, "revocations-never"),
    };
    let redis = match (state.settings.source, summary.connected) {
        (RevocationSource::Embedded, _) => t(lang, "redis-embedded"),
        (RevocationSource::Redis, true) => t(lang, "redis-up"),
        (RevocationSource::Redis, false) => t(lang, "redis-down"),
    };
    let redis_down = state.settings.source == RevocationSource::Redis && !summary.connected;
    let policy = state
        .policy
        .as_ref()
        .map_or_else(|| t(lang, "no-policy"), |p| p.name.clone());
    vec![
        row("ready-label", ready, !not_ready.is_empty()),
        row("trust-label", trust_value, expired),
        row("revocations-label", revocations, stale),
        row("redis-label", redis, redis_down),
        row("policy-label", policy, false),
    ]
}

/// `2026-12-01 23:59` in Hong Kong time.
fn hktime_minute(at: OffsetDateTime) -> String {
    healthcode_keys::hktime::minute(&format_hk(at))
}

/// The supervisor's page: each lane's last minutes, and what the
/// checkpoint holds; it updates itself (JavaScript) or by its link.
pub async fn supervisor(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    Query(query): Query<LanesQuery>,
) -> Response {
    let Some(minutes) = query.minutes() else {
        return (StatusCode::BAD_REQUEST, t(lang, "bad-minutes")).into_response();
    };
    let now = state.now();
    let checkpoint = state.lanes.checkpoint.to_string();
    let here = format!("/supervisor?minutes={minutes}");
    let windows = [5, WINDOW_MINUTES]
        .into_iter()
        .map(|m| WindowChoice {
            label: t_with(lang, "supervisor-window-minutes", &[("minutes", m)]),
            href: format!("/supervisor?minutes={m}&lang={}", lang.tag()),
            current: m == minutes,
        })
        .collect();
    let page = SupervisorPage {
        frame: Frame {
            lang,
            title: t_with(
                lang,
                "supervisor-title",
                &[("checkpoint", checkpoint.as_str())],
            ),
            here: here.clone(),
        },
        as_of: t_with(lang, "supervisor-as-of", &[("time", clock(now).as_str())]),
        caption: t_with(lang, "lanes-caption", &[("minutes", minutes)]),
        windows,
        refresh_href: format!("{here}&lang={}", lang.tag()),
        lanes: state
            .lanes
            .summaries(now, minutes)
            .iter()
            .map(|s| lane_row(lang, s, minutes))
            .collect(),
        freshness: freshness(&state, lang, now),
    };
    page.into_response()
}

/// Each lane's last minutes as JSON, with the checkpoint's freshness.
#[utoipa::path(
    get, path = "/v1/lanes", tag = "checkpoint",
    params(("minutes" = Option<u32>, Query, description = "Minutes of history, 1 to 15 (default 5)")),
    responses(
        (status = 200, description = "`checkpoint`, `as_of`, `minutes`, `lanes` (each: `lane`, `verifications`, `admitted`, `secondary`, `refused`, `invalid`, `reasons` [{`reason`, `count`}], `last_at`), `ready`, `not_ready`", body = Object),
        (status = 400, description = "`minutes` is not 1 to 15", body = crate::openapi::ErrorBody),
    )
)]
pub async fn lanes(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LanesQuery>,
) -> Response {
    let Some(minutes) = query.minutes() else {
        let body = json!({"error": {"code": "bad_request", "message": t(Lang::En, "bad-minutes")}});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    let now = state.now();
    let summary = state.revocation_summary();
    Json(json!({
        "checkpoint": state.lanes.checkpoint,
        "as_of": format_utc(now),
        "minutes": minutes,
        "lanes": state.lanes.summaries(now, minutes),
        "ready": state.not_ready_because().is_empty(),
        "not_ready": state.not_ready_because(),
        "trust_list_seq": state.checker().trust().seq(),
        "revocation_as_of": summary.as_of.map(format_utc),
        "redis_connected": summary.connected,
        "policy": state.policy.as_ref().map(|p| p.name.clone()),
    }))
    .into_response()
}

/// The stylesheet.
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The supervisor page's updater.
pub async fn supervisor_script() -> Response {
    asset("text/javascript; charset=utf-8", SUPERVISOR_SCRIPT)
}

/// The officer page's camera.
pub async fn officer_script() -> Response {
    asset("text/javascript; charset=utf-8", OFFICER_SCRIPT)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The headers of every page: a strict policy, no referrer, no sniffing, no framing.
pub async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    healthcode_service_kit::http::set_page_headers(response.headers_mut(), CONTENT_SECURITY_POLICY);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(path: &str) -> (String, String) {
        let read = |lang: &str| {
            std::fs::read_to_string(format!(
                "{}/locales/{lang}/{path}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap_or_else(|e| panic!("{lang}/{path}: {e}"))
        };
        (read("en"), read("zh-HK"))
    }

    #[test]
    fn every_message_exists_in_both_languages_with_the_same_arguments() {
        let (en, zh) = both("verifier.ftl");
        let en = messages::keys_and_arguments(&en);
        let zh = messages::keys_and_arguments(&zh);
        assert!(en.len() > 40, "{}", en.len());
        assert_eq!(en, zh, "the two files differ in keys or arguments");
        for (key, names) in &en {
            let args: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
            for lang in Lang::ALL {
                let text = t_with(lang, key, &args);
                assert_ne!(text, *key, "{key} does not resolve in {}", lang.tag());
                assert!(!text.contains('{'), "{key} in {}: {text}", lang.tag());
            }
        }
    }

    #[test]
    fn every_reason_a_decision_gives_has_words_in_both_languages() {
        for reason in healthcode_verifier::admission::all_reasons() {
            for lang in Lang::ALL {
                let words = reason_words(lang, reason);
                assert_ne!(words, reason, "{reason} in {}", lang.tag());
            }
        }
        assert_eq!(reason_words(Lang::ZhHk, "colour_red"), "紅碼");
        assert_eq!(reason_words(Lang::En, "made_up"), "made_up");
    }

    #[test]
    fn counts_choose_their_plural_form() {
        assert_eq!(
            t_with(Lang::En, "lanes-caption", &[("minutes", 1)]),
            "Lanes, last minute"
        );
        assert_eq!(
            t_with(Lang::En, "lanes-caption", &[("minutes", 15)]),
            "Lanes, last 15 minutes"
        );
        assert_eq!(
            t_with(Lang::ZhHk, "lanes-caption", &[("minutes", 5)]),
            "各通道，最近 5 分鐘"
        );
    }

    #[test]
    fn the_window_is_one_to_fifteen_minutes() {
        let query = |m: Option<&str>| LanesQuery {
            minutes: m.map(str::to_owned),
        };
        assert_eq!(query(None).minutes(), Some(5));
        assert_eq!(query(Some("15")).minutes(), Some(15));
        for bad in ["0", "16", "-1", "five", ""] {
            assert_eq!(query(Some(bad)).minutes(), None, "{bad}");
        }
    }
}
