//! Applying for today's code, and the code on screen: the QR code large
//! enough to scan from a phone, the colour as a word (never colour alone),
//! the validity, the masked document, the reasons in plain words.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use healthcode_keys::{IdDocument, Region};

use super::{
    frame::{Errors, Frame},
    lang::Lang,
    pages::{CsrfField, form_resident, problem_page, signed_in},
};
use crate::{
    Error,
    codes::explain::{FactView, ReasonView},
    pdf::{self, Block, Title},
    service::{
        AppError, AppState,
        auth::{Resident, csrf_token},
        code_routes::{
            CodeAnswer, ConversionAnswer, QrImages, convert_for, issue_for, todays_code_of,
        },
    },
};

/// How large the QR code is drawn, in CSS pixels: a phone held up to a
/// scanner reads it at arm's length.
const QR_SIZE: u32 = 300;

/// A reason and its facts, in words.
#[derive(Debug)]
pub struct ReasonText {
    text: String,
    facts: Vec<String>,
}

/// The code as the page shows it.
#[derive(Debug)]
pub struct CodeView {
    revoked: bool,
    colour: &'static str,
    colour_word: String,
    qr_png: String,
    qr_alt: String,
    qr_size: u32,
    valid_until: String,
    document: String,
    serial: String,
    issued: String,
    reasons_title: String,
    reasons: Vec<ReasonText>,
}

/// The code page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "code.html")]
pub struct CodePage {
    frame: Frame,
    errors: Errors,
    code: Option<CodeView>,
    /// The partners a green code can be converted for (`GD`, `MO`).
    partners: Vec<&'static str>,
    csrf: String,
}

/// `2026-11-30T18:05:00+08:00` as `2026-11-30 18:05`, for every page.
pub use healthcode_keys::hktime::minute;

fn fact_text(lang: Lang, fact: &FactView) -> String {
    match fact {
        FactView::Visit {
            place,
            place_name,
            place_name_zh,
            check_in,
            check_out,
            ..
        } => {
            let zh = place_name_zh.as_deref().filter(|_| lang == Lang::ZhHk);
            let name = zh.or(place_name.as_deref()).unwrap_or(place);
            let check_in = minute(check_in);
            match check_out {
                Some(out) => lang.t_with(
                    "fact-visit-out",
                    &[
                        ("place", name),
                        ("check_in", &check_in),
                        ("check_out", &minute(out)),
                    ],
                ),
                None => lang.t_with("fact-visit", &[("place", name), ("check_in", &check_in)]),
            }
        }
        FactView::Status { start, end, .. } => match end {
            Some(end) => lang.t_with(
                "fact-status-ended",
                &[("start", &minute(start)), ("end", &minute(end))],
            ),
            None => lang.t_with("fact-status", &[("start", &minute(start))]),
        },
        FactView::Residence {
            designated_from, ..
        } => lang.t_with("fact-residence", &[("from", &minute(designated_from))]),
        FactView::Arrival { at, .. } => lang.t_with("fact-arrival", &[("at", &minute(at))]),
    }
}

fn reason_text(lang: Lang, reason: &ReasonView) -> ReasonText {
    ReasonText {
        text: lang.t(&format!("reason-{}", reason.id)),
        facts: reason.facts.iter().map(|f| fact_text(lang, f)).collect(),
    }
}

fn code_view(lang: Lang, code: CodeAnswer, document: &IdDocument) -> CodeView {
    let colour_word = lang.t(&format!("code-colour-{}", code.colour));
    let date = lang.date(code.valid_until.get(..10).unwrap_or_default());
    CodeView {
        revoked: code.status == "revoked",
        colour: code.colour,
        qr_alt: lang.t_with("code-qr-alt", &[("colour", &colour_word), ("date", &date)]),
        reasons_title: lang.t_with("code-reasons-title", &[("colour", &colour_word)]),
        colour_word,
        qr_png: code.qr_png,
        qr_size: QR_SIZE,
        valid_until: lang.t_with("code-valid-until", &[("date", &date)]),
        document: document.masked(),
        serial: code.token_id,
        issued: lang.t_with("code-issued", &[("time", &minute(&code.issued_at))]),
        reasons: code.reasons.iter().map(|r| reason_text(lang, r)).collect(),
    }
}

async fn document_of(state: &AppState, account_id: &str) -> Result<IdDocument, AppError> {
    let details = state
        .store
        .details_of(state.store.pool(), account_id)
        .await?;
    details.id_document.parse().map_err(|_| {
        AppError::Domain(Error::Corrupt {
            what: "stored document",
            value: "(personal data, not shown)".to_owned(),
        })
    })
}

async fn render(
    state: &AppState,
    lang: Lang,
    resident: &Resident,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let found = async {
        let code = todays_code_of(state, &resident.account_id, QrImages::Png).await?;
        let document = document_of(state, &resident.account_id).await?;
        Ok::<_, AppError>(code.map(|c| code_view(lang, c, &document)))
    };
    let code = match found.await {
        Ok(code) => code,
        Err(error) => return problem_page(lang, &error),
    };
    let page = CodePage {
        frame: Frame::new(lang, "/code", "code-title")
            .with(&errors)
            .resident(resident, state.now()),
        errors,
        code,
        partners: state
            .conversions
            .as_ref()
            .map(|desk| desk.partners().into_iter().map(Region::as_str).collect())
            .unwrap_or_default(),
        csrf: csrf_token(&resident.token),
    };
    (status, page).into_response()
}

/// `GET /code`: today's code, or the button to apply.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
) -> Response {
    match signed_in(lang, resident) {
        Ok(resident) => render(&state, lang, &resident, Errors::default(), StatusCode::OK).await,
        Err(page) => *page,
    }
}

/// `POST /code`: applies, then shows the new code (a reload does not apply
/// again).
pub async fn apply(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Response {
    let resident = match form_resident(lang, resident, form) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    let refusal = match issue_for(&state, &resident.account_id, QrImages::Png).await {
        Ok(_) => return Redirect::to("/code").into_response(),
        Err(AppError::Domain(Error::RateLimited { .. })) => "code-refused-limit",
        Err(AppError::IssuingUnavailable) => "code-refused-unavailable",
        Err(other) => return problem_page(lang, &other),
    };
    let mut errors = Errors::default();
    errors.add("apply", lang.t(refusal));
    let status = if refusal == "code-refused-limit" {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    render(&state, lang, &resident, errors, status).await
}

/// The page of a conversion made.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "conversion.html")]
pub struct ConversionPage {
    frame: Frame,
    title: String,
    colour_word: String,
    qr_png: String,
    qr_alt: String,
    qr_size: u32,
    valid_until: String,
    show: String,
    holds: String,
    conversion_id: String,
    partner: &'static str,
    payload: String,
    csrf: String,
}

/// The conversion form: the partner, and, to save a conversion already
/// made as a file, its payload.
#[derive(Debug, serde::Deserialize)]
pub struct ConvertForm {
    csrf: String,
    partner: String,
    payload: Option<String>,
}

impl super::pages::CsrfForm for ConvertForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn conversion_page(
    lang: Lang,
    resident: &Resident,
    answer: ConversionAnswer,
    now: time::OffsetDateTime,
) -> ConversionPage {
    let partner = lang.t(&format!("partner-{}", answer.partner));
    let date = lang.date(answer.expires_at.get(..10).unwrap_or_default());
    let with_partner = |key: &str| lang.t_with(key, &[("partner", &partner)]);
    ConversionPage {
        frame: Frame::new(lang, "/code", "code-title").resident(resident, now),
        title: with_partner("conversion-title"),
        colour_word: lang.t("code-colour-green"),
        qr_png: answer.qr_png,
        qr_alt: lang.t_with(
            "conversion-qr-alt",
            &[("partner", &partner), ("date", &date)],
        ),
        qr_size: QR_SIZE,
        valid_until: lang.t_with("code-valid-until", &[("date", &date)]),
        show: with_partner("conversion-show"),
        holds: with_partner("conversion-holds"),
        conversion_id: answer.conversion_id,
        partner: answer.partner,
        payload: answer.payload,
        csrf: csrf_token(&resident.token),
    }
}

/// A payload the page itself made, as a file to save: only the one shape
/// a payload has, so the route echoes nothing else.
fn payload_download(partner: Region, payload: &str) -> Option<Response> {
    use healthcode_keys::conversion::{MAX_TEXT_LEN, TEXT_PREFIX};
    let body = payload.strip_prefix(TEXT_PREFIX)?;
    let shaped = payload.len() <= MAX_TEXT_LEN
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    shaped.then(|| {
        let disposition = format!("attachment; filename=\"health-code-conversion-{partner}.txt\"");
        let headers = [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ];
        (headers, format!("{payload}\n")).into_response()
    })
}

/// `POST /code/convert`: converts today's green code for the partner and
/// shows it as a QR code; with `payload`, saves that conversion as a file.
pub async fn convert(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    form: Result<Form<ConvertForm>, FormRejection>,
) -> Response {
    let (resident, form) = match super::pages::session_form(lang, resident, form) {
        Ok(both) => both,
        Err(page) => return *page,
    };
    let partner = form
        .partner
        .parse::<Region>()
        .ok()
        .filter(|r| *r != Region::HongKong);
    let answer = match partner {
        Some(partner) if form.payload.is_some() => {
            let payload = form.payload.as_deref().unwrap_or_default();
            return payload_download(partner, payload).unwrap_or_else(|| {
                problem_page(
                    lang,
                    &AppError::Domain(Error::NotFound { what: "conversion" }),
                )
            });
        }
        Some(partner) => convert_for(&state, &resident.account_id, partner, QrImages::Png).await,
        None => Err(AppError::Domain(Error::NotFound {
            what: "conversion partner",
        })),
    };
    let error = match answer {
        Ok(answer) => return conversion_page(lang, &resident, answer, state.now()).into_response(),
        Err(error) => error,
    };
    let (field, message) = match &error {
        AppError::Domain(Error::NotConvertible { why }) => match why {
            crate::model::Unconvertible::TooManyAttempts => ("convert", why.as_str()),
            _ => ("apply", why.as_str()),
        },
        AppError::Domain(Error::NoPartner { .. } | Error::NotFound { .. }) => {
            ("convert", "no_partner")
        }
        _ => return problem_page(lang, &error),
    };
    let mut errors = Errors::default();
    errors.add(field, lang.t(&format!("conversion-refused-{message}")));
    render(&state, lang, &resident, errors, error.status()).await
}

/// The blocks of today's code as printed: the title, the QR code, the
/// colour as words, then each language's validity, document, serial and
/// reasons, `first` first.
fn printed(code: &CodeAnswer, document: &IdDocument, first: Lang) -> Vec<Block> {
    let views = [first, first.other()].map(|lang| (lang, code_view(lang, code.clone(), document)));
    let text = |text: String, lang: Lang| Block::text(text, lang);
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: format!(
                "{} {}",
                first.t("code-title"),
                first.other().t("code-title")
            ),
            lang: first,
        },
        Block::Qr {
            text: code.token.clone(),
            side: 260.0,
            alt: views[0].1.qr_alt.clone(),
        },
        Block::Text {
            text: format!("{} {}", views[0].1.colour_word, views[1].1.colour_word),
            lang: first,
            size: 28.0,
            bold: true,
        },
    ];
    for (lang, view) in views {
        blocks.push(Block::Gap(8.0));
        blocks.push(Block::Text {
            text: view.valid_until,
            lang,
            size: 13.0,
            bold: true,
        });
        blocks.push(text(
            format!("{}: {}", lang.t("code-document"), view.document),
            lang,
        ));
        blocks.push(text(
            format!("{}: {}", lang.t("code-serial"), view.serial),
            lang,
        ));
        blocks.push(text(view.issued, lang));
        blocks.push(Block::Gap(4.0));
        blocks.push(Block::Heading {
            level: 2,
            text: view.reasons_title,
            lang,
        });
        if view.reasons.is_empty() {
            blocks.push(text(lang.t("code-reasons-none"), lang));
        }
        for reason in view.reasons {
            let facts = reason
                .facts
                .iter()
                .map(|f| format!("\n    {f}"))
                .collect::<String>();
            blocks.push(text(format!("• {}{facts}", reason.text), lang));
        }
    }
    blocks
}

/// Today's valid code as a printable, bilingual, tagged PDF (the resident's
/// `first` language first), with its file name; `None` without one.
///
/// # Errors
/// [`AppError::PrintingUnavailable`] without the fonts; the store's errors.
pub async fn code_pdf(
    state: &AppState,
    account_id: &str,
    first: Lang,
) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let Some(code) = todays_code_of(state, account_id, QrImages::None).await? else {
        return Ok(None);
    };
    if code.status == "revoked" {
        return Ok(None);
    }
    let document = document_of(state, account_id).await?;
    let fonts = state.pdf_fonts()?.clone();
    let name = format!(
        "health-code-{}.pdf",
        code.valid_until.get(..10).unwrap_or("today")
    );
    let title = Title {
        text: first.t("code-title"),
        lang: first,
    };
    let blocks = printed(&code, &document, first);
    let pdf = tokio::task::spawn_blocking(move || pdf::render(&fonts, &title, &blocks))
        .await
        .map_err(|_| Error::TaskFailed)??;
    Ok(Some((name, pdf)))
}

/// A PDF as a download that no cache keeps.
pub fn pdf_download(name: &str, pdf: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    (headers, pdf).into_response()
}

/// `GET /code.pdf`: today's code to print, in both languages.
pub async fn download(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
) -> Response {
    let resident = match signed_in(lang, resident) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    match code_pdf(&state, &resident.account_id, lang).await {
        Ok(Some((name, pdf))) => pdf_download(&name, pdf),
        Ok(None) => {
            let none = AppError::Domain(Error::NotFound {
                what: "valid code of today",
            });
            problem_page(lang, &none)
        }
        Err(error) => problem_page(lang, &error),
    }
}

/// Today's code as a printable PDF in English and Traditional Chinese (the
/// account's language first): a large QR code at level M, the colour as
/// words, the validity, the masked document, the serial, the reasons.
#[utoipa::path(
    get, path = "/v1/codes/today/pdf", tag = "codes", security(("session" = [])),
    responses(
        (status = 200, description = "The PDF (tagged, fonts subset)", content_type = "application/pdf"),
        (status = 401, description = "No session", body = crate::service::ErrorBody),
        (status = 404, description = "No valid code today: apply first", body = crate::service::ErrorBody),
        (status = 503, description = "Printing is unavailable", body = crate::service::ErrorBody))
)]
pub async fn todays_code_pdf(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Response, AppError> {
    let store = &state.store;
    let language = store
        .language_of(store.pool(), &resident.account_id)
        .await?;
    let (name, pdf) = code_pdf(&state, &resident.account_id, language)
        .await?
        .ok_or(Error::NotFound {
            what: "valid code of today",
        })?;
    Ok(pdf_download(&name, pdf))
}
