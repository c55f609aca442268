//! The counter's console, for residents without a smartphone: find the
//! resident by the document in hand (number and date of issue), or register
//! them; apply for today's code with their consent, and print it. The same
//! functions as the API's counter routes: one role check, one audit.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, Query, State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use healthcode_keys::{IdDocument, hktime};
use serde::Deserialize;

use super::{allowed, allowed_form, problem_page, sign_in::csrf_of};
use crate::{
    Error,
    residents::counter::{self, Shown},
    service::{
        AppError, AppState,
        auth::{ConsoleStaff, Staff},
        code_routes::{QrImages, todays_code_of},
        counter_routes::{COUNTER, active, apply_as, print_as},
        web::{
            frame::{Errors, Frame},
            lang::Lang,
            pages::{CsrfForm, ID_TYPES, document_of},
            register_page::{Answers, errors_of},
        },
    },
};

/// The find form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FindFields {
    csrf: String,
    id_type: String,
    passport_country: String,
    id_number: String,
    date_of_issue: String,
}

impl CsrfForm for FindFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The counter's first page: find a resident.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/counter.html")]
pub struct FindPage {
    frame: Frame,
    errors: Errors,
    form: FindFields,
    csrf: String,
}

fn find_page(lang: Lang, staff: &ConsoleStaff, errors: Errors, form: FindFields) -> FindPage {
    FindPage {
        frame: Frame::console(lang, "/staff/counter", "counter-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        form,
        csrf: csrf_of(staff),
    }
}

/// `GET /staff/counter`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    match allowed(&state, lang, staff, COUNTER, "counter_lookup").await {
        Ok(staff) => {
            let form = FindFields {
                id_type: "HKID".to_owned(),
                ..FindFields::default()
            };
            find_page(lang, &staff, Errors::default(), form).into_response()
        }
        Err(page) => *page,
    }
}

/// The document and date typed, or their problems in `lang`.
fn shown_of(lang: Lang, form: &FindFields) -> Result<Shown, Errors> {
    let document = document_of(lang, &form.id_type, &form.passport_country, &form.id_number);
    let date = hktime::parse_date(form.date_of_issue.trim());
    let mut errors = document.as_ref().err().cloned().unwrap_or_default();
    if date.is_err() {
        errors.add("date_of_issue", lang.t("counter-date-invalid"));
    }
    match (document, date) {
        (Ok(document), Ok(date_of_issue)) => Ok(Shown {
            document,
            date_of_issue,
        }),
        _ => Err(errors),
    }
}

/// `POST /staff/counter/find`: to the resident's page, or the problem at its field.
pub async fn find(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<FindFields>, FormRejection>,
) -> Response {
    let (staff, fields) =
        match allowed_form(&state, lang, staff, form, (COUNTER, "counter_lookup")).await {
            Ok(checked) => checked,
            Err(page) => return *page,
        };
    let errors = match shown_of(lang, &fields) {
        Ok(shown) => {
            match counter::look_up(&state.store, &staff.member, &shown, state.now()).await {
                Ok(account) => {
                    return Redirect::to(&format!("/staff/counter/{}", account.id)).into_response();
                }
                Err(Error::NotFound { .. }) => {
                    let mut errors = Errors::default();
                    errors.add("id_number", lang.t("counter-not-found"));
                    errors
                }
                Err(other) => return problem_page(lang, &AppError::Domain(other)),
            }
        }
        Err(errors) => errors,
    };
    let page = find_page(lang, &staff, errors, fields);
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The resident's page at the counter.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/counter_resident.html")]
pub struct ResidentPage {
    frame: Frame,
    errors: Errors,
    reference: String,
    name: String,
    document: String,
    language_key: String,
    /// Today's valid code: (colour word, valid until).
    code: Option<(String, String)>,
    done: Option<String>,
    csrf: String,
}

/// What the last action on the resident's page did.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    registered: Option<String>,
    applied: Option<String>,
}

async fn resident_page(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    reference: &str,
    (errors, done): (Errors, Option<String>),
) -> Result<ResidentPage, AppError> {
    let account = active(state, reference).await?;
    let details = state
        .store
        .details_of(state.store.pool(), reference)
        .await?;
    Staff(staff.member.clone())
        .audit(
            state,
            "counter_account_viewed",
            reference,
            &serde_json::json!({}),
        )
        .await?;
    let document = details
        .id_document
        .parse::<IdDocument>()
        .map(|d| d.masked())
        .unwrap_or_default();
    let code = todays_code_of(state, reference, QrImages::None)
        .await?
        .filter(|c| c.status == "valid")
        .map(|c| {
            let date = lang.date(c.valid_until.get(..10).unwrap_or_default());
            (
                lang.t(&format!("code-colour-{}", c.colour)),
                lang.t_with("code-valid-until", &[("date", &date)]),
            )
        });
    Ok(ResidentPage {
        frame: Frame::console(
            lang,
            format!("/staff/counter/{reference}"),
            "counter-resident-title",
        )
        .signed_in(&staff.token)
        .with(&errors),
        errors,
        reference: reference.to_owned(),
        name: details.name,
        document,
        language_key: format!("language-name-{}", account.language.tag()),
        code,
        done,
        csrf: csrf_of(staff),
    })
}

/// `GET /staff/counter/{reference}`: audited as a read of personal data.
pub async fn resident(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let staff = match allowed(&state, lang, staff, COUNTER, "counter_account_viewed").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let done = done.map(|Query(d)| d).unwrap_or_default();
    let done = match (done.registered, done.applied) {
        (Some(_), _) => Some(lang.t("counter-registered")),
        (None, Some(_)) => Some(lang.t("counter-applied")),
        _ => None,
    };
    match resident_page(&state, lang, &staff, &reference, (Errors::default(), done)).await {
        Ok(page) => page.into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

/// The apply form: the consent box.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApplyFields {
    csrf: String,
    consent: String,
}

impl CsrfForm for ApplyFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /staff/counter/{reference}/apply`: today's code, with the consent.
pub async fn apply(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
    form: Result<Form<ApplyFields>, FormRejection>,
) -> Response {
    let (staff, fields) =
        match allowed_form(&state, lang, staff, form, (COUNTER, "counter_apply")).await {
            Ok(checked) => checked,
            Err(page) => return *page,
        };
    let consent = fields.consent == "yes";
    let as_staff = Staff(staff.member.clone());
    match apply_as(&state, &as_staff, &reference, consent).await {
        Ok(_) => Redirect::to(&format!("/staff/counter/{reference}?applied=1")).into_response(),
        Err(AppError::Fields(_)) => {
            let mut errors = Errors::default();
            errors.add("consent", lang.t("counter-consent-missing"));
            match resident_page(&state, lang, &staff, &reference, (errors, None)).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
                Err(error) => problem_page(lang, &error),
            }
        }
        Err(error) => problem_page(lang, &error),
    }
}

/// `GET /staff/counter/{reference}/code.pdf`.
pub async fn print(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
) -> Response {
    let staff = match allowed(&state, lang, staff, COUNTER, "counter_print").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    match print_as(&state, &Staff(staff.member), &reference).await {
        Ok(pdf) => pdf,
        Err(error) => problem_page(lang, &error),
    }
}

/// The registration form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterFields {
    csrf: String,
    consent: String,
    #[serde(flatten)]
    form: Answers,
}

impl CsrfForm for RegisterFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The registration page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/counter_register.html")]
pub struct RegisterPage {
    frame: Frame,
    errors: Errors,
    form: Answers,
    csrf: String,
}

fn register_page(lang: Lang, staff: &ConsoleStaff, errors: Errors, form: Answers) -> RegisterPage {
    RegisterPage {
        frame: Frame::console(lang, "/staff/counter/register", "counter-register-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        form,
        csrf: csrf_of(staff),
    }
}

/// `GET /staff/counter/register`.
pub async fn register_form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    match allowed(&state, lang, staff, COUNTER, "counter_register").await {
        Ok(staff) => {
            let mut form = Answers::default();
            form.id_type = "HKID".to_owned();
            form.language = lang.tag().to_owned();
            register_page(lang, &staff, Errors::default(), form).into_response()
        }
        Err(page) => *page,
    }
}

/// The fields of the counter's registration, in the order of the form.
const FIELDS: &[&str] = &[
    "name",
    "id_type",
    "id_number",
    "date_of_issue",
    "phone",
    "address",
    "language",
];

/// `POST /staff/counter/register`: the resident's account, active at once.
pub async fn register(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<RegisterFields>, FormRejection>,
) -> Response {
    let (staff, fields) =
        match allowed_form(&state, lang, staff, form, (COUNTER, "counter_register")).await {
            Ok(checked) => checked,
            Err(page) => return *page,
        };
    let checked = fields.form.raw(None).check(state.now());
    let mut errors = match &checked {
        Ok(_) => Errors::default(),
        Err(problems) => errors_of(lang, problems, FIELDS),
    };
    if fields.consent != "yes" {
        errors.add("consent", lang.t("counter-consent-missing"));
    }
    let app = match checked {
        Ok(app) if errors.is_empty() => app,
        _ => {
            let page = register_page(lang, &staff, errors, fields.form);
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    match counter::register_at_counter(&state.store, &staff.member, &app, state.now()).await {
        Ok(id) => Redirect::to(&format!("/staff/counter/{id}?registered=1")).into_response(),
        Err(Error::AlreadyRegistered) => {
            let mut errors = Errors::default();
            errors.add("id_number", lang.t("counter-already-registered"));
            let page = register_page(lang, &staff, errors, fields.form);
            (StatusCode::CONFLICT, page).into_response()
        }
        Err(other) => problem_page(lang, &AppError::Domain(other)),
    }
}
