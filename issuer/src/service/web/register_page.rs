//! Registering on the web site, in the parts the real service used: who you
//! are (document, date of issue, name, phone), where you live (the address
//! and a proof, which public housing tenants do not need), then the answers
//! to check, each with a link to change it, and a confirmation with the
//! reference and what happens next. The answers so far wait in a sealed
//! draft (`store::drafts`) under a cookie sent only to `/register`; the
//! API's own checks and registration decide, with the API's limit.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Multipart, State, multipart::MultipartRejection, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

use super::{
    frame::{Errors, Frame},
    lang::Lang,
    pages::{ID_TYPES, document_of, problem_page, same_site_form},
};
use crate::{
    Error,
    model::{
        application::{FieldError, FieldProblem, RawApplication},
        proof::Proof,
    },
    residents::registration,
    service::{
        AppError, AppState,
        auth::{ClientIp, REGISTRATION_DRAFT, cookie, same_site},
        state::Limit,
    },
    store::drafts::DRAFT_LIFETIME,
};

/// The longest text any field takes (the API's limit for a form field).
const MAX_TEXT: usize = 1024;

/// The answers so far (also what a counter types for a resident).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Answers {
    pub(in crate::service::web) id_type: String,
    pub(in crate::service::web) passport_country: String,
    pub(in crate::service::web) id_number: String,
    pub(in crate::service::web) date_of_issue: String,
    pub(in crate::service::web) name: String,
    pub(in crate::service::web) phone: String,
    pub(in crate::service::web) address: String,
    /// The proof's file name as chosen, when one is kept.
    proof_name: String,
    /// `en` or `zh-HK`: the language of SMS and letters.
    pub(in crate::service::web) language: String,
}

impl Answers {
    fn identity_done(&self) -> bool {
        !self.id_number.is_empty() && !self.name.is_empty()
    }

    pub(in crate::service::web) fn raw(&self, proof: Option<Vec<u8>>) -> RawApplication {
        let id_type = if self.id_type == "PASSPORT" {
            format!(
                "PASSPORT-{}",
                self.passport_country.trim().to_ascii_uppercase()
            )
        } else {
            self.id_type.clone()
        };
        RawApplication {
            name: Some(self.name.clone()),
            id_type: Some(id_type),
            id_number: Some(self.id_number.clone()),
            date_of_issue: Some(self.date_of_issue.clone()),
            phone: Some(self.phone.clone()),
            address: Some(self.address.clone()),
            proof,
            language: Some(self.language.clone()),
        }
    }
}

/// A field problem, by its code, in the page's language (the account
/// pages say theirs in the same words).
pub(super) fn problem_text(lang: Lang, field: &str, code: &str) -> String {
    let name_key = match field {
        "name" => "field-name",
        "date_of_issue" => "field-date-of-issue",
        "phone" => "field-phone",
        "address" => "field-address",
        "proof" => "field-proof",
        _ => "field-id-number",
    };
    match code {
        "required" => {
            let name = lang.t(name_key).to_lowercase();
            lang.t_with("field-required", &[("field", &name)])
        }
        "too_long" | "too_short" => lang.t(&format!("register-{}-length", field.replace('_', "-"))),
        "document" => lang.t("field-id-number-invalid"),
        code => lang.t(&format!("register-{}", code.replace('_', "-"))),
    }
}

/// The errors of `fields` among `problems`, in the page's language.
pub(in crate::service::web) fn errors_of(
    lang: Lang,
    problems: &[FieldError],
    fields: &[&'static str],
) -> Errors {
    let mut errors = Errors::default();
    for &field in fields {
        if let Some(problem) = problems.iter().find(|p| p.field == field) {
            let code = problem.code.unwrap_or("field-invalid");
            errors.add(field, problem_text(lang, field, code));
        }
    }
    errors
}

/// The checks of the whole application, for the fields of one part: the
/// other parts are filled with answers that pass, so only this part's
/// problems remain.
fn part_problems(answers: &Answers, now: time::OffsetDateTime) -> Vec<FieldError> {
    let mut trial = answers.clone();
    let fill = |value: &mut String, good: &str| {
        if value.is_empty() {
            *value = good.to_owned();
        }
    };
    fill(&mut trial.address, "Flat 1, 1/F, Example Building");
    fill(&mut trial.name, "CHAN Tai Man");
    fill(&mut trial.phone, "91234567");
    fill(&mut trial.date_of_issue, "2018-03-01");
    match trial.raw(None).check(now) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

async fn draft_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, Answers, bool)>, Error> {
    let Some(token) = cookie(headers, REGISTRATION_DRAFT.name).filter(|t| t.len() <= 128) else {
        return Ok(None);
    };
    let Some((answers, proof)) = state.store.draft(token, state.now()).await? else {
        return Ok(None);
    };
    let answers = serde_json::from_slice(&answers).unwrap_or_default();
    Ok(Some((token.to_owned(), answers, proof.is_some())))
}

/// Saves `answers` (and `proof`) under the request's draft, or a new one;
/// the response `next` with the draft's cookie.
async fn save(
    state: &AppState,
    token: Option<String>,
    answers: &Answers,
    proof: Option<&[u8]>,
    next: &str,
) -> Result<Response, Error> {
    let token = token.unwrap_or_else(|| {
        let mut bytes = [0u8; 32];
        state.store.with_rng(|rng| rng.fill_bytes(&mut bytes));
        healthcode_keys::b64::encode(&bytes)
    });
    let encoded = serde_json::to_vec(answers).unwrap_or_default();
    state
        .store
        .save_draft(&token, &encoded, proof, state.now())
        .await?;
    let mut response = Redirect::to(next).into_response();
    REGISTRATION_DRAFT.set(&mut response, &token, DRAFT_LIFETIME, state.secure_cookies);
    Ok(response)
}

/// `GET /register`.
pub async fn start() -> Redirect {
    Redirect::to("/register/identity")
}

/// The identity part.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "register_identity.html")]
pub struct IdentityPage {
    frame: Frame,
    errors: Errors,
    form: Answers,
}

fn identity_page(lang: Lang, errors: Errors, form: Answers) -> IdentityPage {
    IdentityPage {
        frame: Frame::new(lang, "/register/identity", "register-identity-title").with(&errors),
        errors,
        form,
    }
}

/// `GET /register/identity`.
pub async fn identity_form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> Response {
    match draft_of(&state, &headers).await {
        Ok(draft) => {
            let mut form = draft.map(|(_, answers, _)| answers).unwrap_or_default();
            if form.id_type.is_empty() {
                form.id_type = "HKID".to_owned();
            }
            if form.language.is_empty() {
                form.language = lang.tag().to_owned();
            }
            identity_page(lang, Errors::default(), form).into_response()
        }
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The identity part as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentityFields {
    id_type: String,
    passport_country: String,
    id_number: String,
    date_of_issue: String,
    name: String,
    phone: String,
    language: String,
}

/// `POST /register/identity`.
pub async fn identity(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    form: Result<Form<IdentityFields>, FormRejection>,
) -> Response {
    let fields = match same_site_form(lang, &headers, form) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let draft = match draft_of(&state, &headers).await {
        Ok(draft) => draft,
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let (token, mut answers) = match draft {
        Some((token, answers, _)) => (Some(token), answers),
        None => (None, Answers::default()),
    };
    answers.id_type = fields.id_type;
    answers.passport_country = fields.passport_country.trim().to_ascii_uppercase();
    answers.id_number = fields.id_number.trim().to_owned();
    answers.date_of_issue = fields.date_of_issue.trim().to_owned();
    answers.name = fields.name.trim().to_owned();
    answers.phone = fields.phone.trim().to_owned();
    answers.language = match fields.language.trim() {
        "" => lang.tag().to_owned(),
        chosen => chosen.to_owned(),
    };
    let mut errors = document_of(
        lang,
        &answers.id_type,
        &answers.passport_country,
        &answers.id_number,
    )
    .err()
    .unwrap_or_default();
    let problems = part_problems(&answers, state.now());
    let fields = ["date_of_issue", "name", "phone", "language"];
    for part in errors_of(lang, &problems, &fields).0 {
        errors.add(part.field, part.message);
    }
    // The trial filled the empty fields; each is required.
    for (field, value) in [
        ("date_of_issue", &answers.date_of_issue),
        ("name", &answers.name),
        ("phone", &answers.phone),
    ] {
        if value.is_empty() && errors.of(field).is_none() {
            errors.add(field, problem_text(lang, field, "required"));
        }
    }
    // In the order of the page's fields, as the summary lists them.
    let order = [
        "id_type",
        "passport_country",
        "id_number",
        "date_of_issue",
        "name",
        "phone",
        "language",
    ];
    errors
        .0
        .sort_by_key(|m| order.iter().position(|f| *f == m.field));
    if !errors.is_empty() {
        let page = identity_page(lang, errors, answers);
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    let next = if answers.address.is_empty() {
        "/register/address"
    } else {
        "/register/check"
    };
    match save(&state, token, &answers, None, next).await {
        Ok(response) => response,
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The address part.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "register_address.html")]
pub struct AddressPage {
    frame: Frame,
    errors: Errors,
    address: String,
    proof_name: String,
}

fn address_page(lang: Lang, errors: Errors, answers: &Answers) -> AddressPage {
    AddressPage {
        frame: Frame::new(lang, "/register/address", "register-address-title").with(&errors),
        errors,
        address: answers.address.clone(),
        proof_name: answers.proof_name.clone(),
    }
}

/// `GET /register/address`: after the identity part only.
pub async fn address_form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> Response {
    match draft_of(&state, &headers).await {
        Ok(Some((_, answers, _))) if answers.identity_done() => {
            address_page(lang, Errors::default(), &answers).into_response()
        }
        Ok(_) => Redirect::to("/register/identity").into_response(),
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The address part as sent.
struct AddressUpload {
    address: String,
    proof: Option<(String, Vec<u8>)>,
}

async fn read_address(mut form: Multipart) -> Option<AddressUpload> {
    let mut upload = AddressUpload {
        address: String::new(),
        proof: None,
    };
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.ok()?;
        match name.as_str() {
            "address" if bytes.len() <= MAX_TEXT => {
                upload.address = String::from_utf8(bytes.to_vec()).ok()?;
            }
            // An empty file input is how a browser says "no file".
            "proof" if bytes.is_empty() => {}
            "proof" => upload.proof = Some((file_name, bytes.to_vec())),
            _ => return None,
        }
    }
    Some(upload)
}

/// `POST /register/address`: the address, and a proof if one is chosen.
pub async fn address(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    if same_site(&headers) == Some(false) {
        return problem_page(lang, &AppError::CrossSite);
    }
    let (token, mut answers) = match draft_of(&state, &headers).await {
        Ok(Some((token, answers, _))) if answers.identity_done() => (token, answers),
        Ok(_) => return Redirect::to("/register/identity").into_response(),
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let upload = match form {
        Ok(form) => read_address(form).await,
        Err(_) => None,
    };
    let Some(upload) = upload else {
        let mut errors = Errors::default();
        errors.add("address", lang.t("register-form-unreadable"));
        let page = address_page(lang, errors, &answers);
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    };
    answers.address = upload.address.trim().to_owned();
    let mut problems = part_problems(&answers, state.now());
    if answers.address.is_empty() {
        problems.push(FieldError::of("address", FieldProblem::Required));
    }
    let mut proof_bytes = None;
    if let Some((file_name, bytes)) = upload.proof {
        match Proof::check(bytes) {
            Ok(proof) => {
                answers.proof_name = file_name.chars().take(100).collect();
                proof_bytes = Some(proof.bytes);
            }
            Err(problem) => problems.push(FieldError::of("proof", FieldProblem::from(problem))),
        }
    }
    let errors = errors_of(lang, &problems, &["address", "proof"]);
    if !errors.is_empty() {
        let page = address_page(lang, errors, &answers);
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    match save(
        &state,
        Some(token),
        &answers,
        proof_bytes.as_deref(),
        "/register/check",
    )
    .await
    {
        Ok(response) => response,
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The answers to check.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "register_check.html")]
pub struct CheckPage {
    frame: Frame,
    errors: Errors,
    rows: Vec<(String, String, &'static str)>,
}

fn check_page(lang: Lang, errors: Errors, answers: &Answers) -> CheckPage {
    let document_type = ID_TYPES
        .iter()
        .find(|(value, _)| *value == answers.id_type)
        .map_or_else(String::new, |(_, key)| lang.t(key));
    let document_type = if answers.id_type == "PASSPORT" {
        format!("{document_type} ({})", answers.passport_country)
    } else {
        document_type
    };
    let proof = if answers.proof_name.is_empty() {
        lang.t("register-no-proof")
    } else {
        answers.proof_name.clone()
    };
    let rows = vec![
        (
            lang.t("field-id-type"),
            document_type,
            "/register/identity#id_type",
        ),
        (
            lang.t("field-id-number"),
            answers.id_number.clone(),
            "/register/identity#id_number",
        ),
        (
            lang.t("field-date-of-issue"),
            answers.date_of_issue.clone(),
            "/register/identity#date_of_issue",
        ),
        (
            lang.t("field-name"),
            answers.name.clone(),
            "/register/identity#name",
        ),
        (
            lang.t("field-phone"),
            answers.phone.clone(),
            "/register/identity#phone",
        ),
        (
            lang.t("account-field-language"),
            Lang::from_tag(&answers.language).map_or_else(String::new, |l| {
                lang.t(&format!("language-name-{}", l.tag()))
            }),
            "/register/identity#language",
        ),
        (
            lang.t("field-address"),
            answers.address.clone(),
            "/register/address#address",
        ),
        (lang.t("field-proof"), proof, "/register/address#proof"),
    ];
    CheckPage {
        frame: Frame::new(lang, "/register/check", "register-check-title").with(&errors),
        errors,
        rows,
    }
}

/// `GET /register/check`.
pub async fn check_form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> Response {
    match draft_of(&state, &headers).await {
        Ok(Some((_, answers, _))) if answers.identity_done() && !answers.address.is_empty() => {
            check_page(lang, Errors::default(), &answers).into_response()
        }
        Ok(_) => Redirect::to("/register/identity").into_response(),
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The confirmation.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "register_done.html")]
pub struct DonePage {
    frame: Frame,
    reference: String,
}

/// `POST /register/check`: sends the application, as the API's registration.
pub async fn send(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Response {
    if same_site(&headers) == Some(false) {
        return problem_page(lang, &AppError::CrossSite);
    }
    let Some(token) = cookie(&headers, REGISTRATION_DRAFT.name).filter(|t| t.len() <= 128) else {
        return Redirect::to("/register/identity").into_response();
    };
    let draft = match state.store.draft(token, state.now()).await {
        Ok(Some(draft)) => draft,
        Ok(None) => return Redirect::to("/register/identity").into_response(),
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let answers: Answers = serde_json::from_slice(&draft.0).unwrap_or_default();
    if let Err(error) = state.limiters.check(Limit::Register, ip).await {
        return problem_page(lang, &AppError::Domain(error));
    }
    let now = state.now();
    let application = match answers.raw(draft.1.map(|p| p.to_vec())).check(now) {
        Ok(application) => application,
        Err(problems) => {
            let fields = [
                "id_number",
                "date_of_issue",
                "name",
                "phone",
                "address",
                "proof",
            ];
            let errors = errors_of(lang, &problems, &fields);
            let page = check_page(lang, errors, &answers);
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    let reference = match registration::register(&state.store, &application, now).await {
        Ok(reference) => reference,
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    if let Err(error) = state.store.delete_draft(token).await {
        tracing::warn!(error = %error, "a sent draft was not deleted; it expires by itself");
    }
    let mut response = DonePage {
        frame: Frame::new(lang, "/register/check", "register-done-title"),
        reference,
    }
    .into_response();
    REGISTRATION_DRAFT.clear(&mut response, state.secure_cookies);
    response
}
