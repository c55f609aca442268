//! The account page: where the application stands, the language of SMS
//! and letters, the phone (a PIN to the new number), the password, and
//! the session's extension. Each change goes through the API's own
//! workflow and checks; each form page shares one template of fields.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{
        MatchedPath, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use healthcode_keys::hktime::format_hk;

use super::{
    code_page::minute,
    frame::{Errors, Frame},
    lang::Lang,
    pages::{CsrfForm, MessagePage, problem_page, session_form, signed_in},
    register_page::problem_text,
};
use crate::{
    Error,
    model::{application::FieldError, phone::Phone},
    residents::{
        account,
        export::{HeldAuditEntry, audit_trail},
        sign_in::phone_ending,
    },
    service::{
        AppError, AppState,
        account_routes::{
            checked_password, close_checked, confirm_pin, held_data_checked, held_download,
            parse_language,
        },
        auth::{ClientIp, RESIDENT_SESSION, Resident, csrf_token},
    },
};

/// The account's summary.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    frame: Frame,
    reference: String,
    status_key: String,
    document: String,
    language_tag: &'static str,
    language_name: String,
    phone_ending: String,
    done_key: Option<&'static str>,
    staff_reads: Vec<StaffRead>,
}

/// A staff member's read of the resident's data, as the page lists it.
#[derive(Debug)]
pub struct StaffRead {
    at: String,
    role: String,
    what: String,
}

impl StaffRead {
    fn of(lang: Lang, entry: &HeldAuditEntry) -> StaffRead {
        let role = entry.role.as_deref().unwrap_or("unknown");
        StaffRead {
            at: minute(&format_hk(entry.at)),
            role: lang.t(&format!("role-{role}")),
            what: lang.t(&format!("account-read-{}", entry.action)),
        }
    }
}

/// Which change was just made, for the summary to say so.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /account`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let resident = match signed_in(lang, resident) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    let done_key = done
        .ok()
        .and_then(|Query(d)| d.done)
        .and_then(|d| match d.as_str() {
            "language" => Some("account-done-language"),
            "phone" => Some("account-done-phone"),
            "password" => Some("account-done-password"),
            _ => None,
        });
    match summary(&state, lang, &resident, done_key).await {
        Ok(page) => page.into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

async fn summary(
    state: &AppState,
    lang: Lang,
    resident: &Resident,
    done_key: Option<&'static str>,
) -> Result<AccountPage, AppError> {
    let store = &state.store;
    let account = store
        .account(store.pool(), &resident.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let details = store.details_of(store.pool(), &resident.account_id).await?;
    let staff_reads = audit_trail(store, &account)
        .await?
        .iter()
        .rev()
        .filter(|entry| entry.is_staff_read())
        .map(|entry| StaffRead::of(lang, entry))
        .collect();
    let document = details
        .id_document
        .parse::<healthcode_keys::IdDocument>()
        .map(|d| d.masked())
        .unwrap_or_default();
    Ok(AccountPage {
        frame: Frame::new(lang, "/account", "account-title").resident(resident, state.now()),
        reference: account.id,
        status_key: format!("account-status-{}", account.status.as_str()),
        document,
        language_tag: account.language.tag(),
        language_name: lang.t(&format!("language-name-{}", account.language.tag())),
        phone_ending: phone_ending(&details.phone),
        done_key,
        staff_reads,
    })
}

/// One field of a change form.
#[derive(Debug, Clone)]
pub struct Field {
    id: &'static str,
    label: String,
    hint: Option<String>,
    kind: &'static str,
    autocomplete: &'static str,
    numeric: bool,
    /// For radios: (value, label, checked).
    choices: Vec<(String, String, bool)>,
}

impl Field {
    fn input(
        lang: Lang,
        id: &'static str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Field {
        let hint_key = format!("account-field-{id}-hint");
        let hint = lang.t(&hint_key);
        Field {
            id,
            label: lang.t(&format!("account-field-{id}")),
            hint: (hint != hint_key).then_some(hint),
            kind,
            autocomplete,
            numeric: false,
            choices: Vec::new(),
        }
    }
}

/// A change form: its heading, lead, fields and button.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "account_form.html")]
pub struct FormPage {
    frame: Frame,
    errors: Errors,
    heading: String,
    lead: String,
    action: &'static str,
    fields: Vec<Field>,
    button: String,
    csrf: String,
}

/// The change forms, each at its own path.
#[derive(Debug, Clone, Copy)]
enum Change {
    Language,
    Phone,
    PhonePin,
    Password,
    /// Not a change: the download of everything held, behind the password.
    Export,
    /// The end: the account closed, behind the password.
    Close,
}

impl Change {
    const ALL: [Change; 6] = [
        Change::Language,
        Change::Phone,
        Change::PhonePin,
        Change::Password,
        Change::Export,
        Change::Close,
    ];

    /// The change whose form is at `path`.
    fn at(path: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.path() == path)
    }

    fn path(self) -> &'static str {
        match self {
            Change::Language => "/account/language",
            Change::Phone => "/account/phone",
            Change::PhonePin => "/account/phone/confirm",
            Change::Password => "/account/password",
            Change::Export => "/account/export",
            Change::Close => "/account/close",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Change::Language => "account-language",
            Change::Phone => "account-phone",
            Change::PhonePin => "account-phone-pin",
            Change::Password => "account-password",
            Change::Export => "account-export",
            Change::Close => "account-close",
        }
    }

    fn fields(self, lang: Lang, current: Lang) -> Vec<Field> {
        match self {
            Change::Language => vec![Field {
                choices: Lang::ALL
                    .iter()
                    .map(|l| {
                        let name = lang.t(&format!("language-name-{}", l.tag()));
                        (l.tag().to_owned(), name, *l == current)
                    })
                    .collect(),
                ..Field::input(lang, "language", "radio", "off")
            }],
            Change::Phone => vec![
                Field::input(lang, "password", "password", "current-password"),
                Field::input(lang, "phone", "tel", "tel"),
            ],
            Change::PhonePin => vec![Field {
                numeric: true,
                ..Field::input(lang, "pin", "text", "one-time-code")
            }],
            Change::Password => vec![
                Field::input(lang, "current_password", "password", "current-password"),
                Field::input(lang, "new_password", "password", "new-password"),
            ],
            Change::Export | Change::Close => vec![Field::input(
                lang,
                "password",
                "password",
                "current-password",
            )],
        }
    }

    fn page(
        self,
        lang: Lang,
        resident: &Resident,
        now: time::OffsetDateTime,
        errors: Errors,
        current: Lang,
    ) -> Response {
        let key = self.key();
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = FormPage {
            frame: Frame::new(lang, self.path(), &format!("{key}-title"))
                .with(&errors)
                .resident(resident, now),
            errors,
            heading: lang.t(&format!("{key}-title")),
            lead: lang.t(&format!("{key}-lead")),
            action: self.path(),
            fields: self.fields(lang, current),
            button: lang.t(&format!("{key}-button")),
            csrf: csrf_token(&resident.token),
        };
        (status, page).into_response()
    }
}

async fn form_of(
    state: &AppState,
    lang: Lang,
    resident: Result<Resident, AppError>,
    change: Change,
) -> Response {
    let resident = match signed_in(lang, resident) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    match state
        .store
        .language_of(state.store.pool(), &resident.account_id)
        .await
    {
        Ok(current) => change.page(lang, &resident, state.now(), Errors::default(), current),
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// `GET` of a change form (`/account/language`, `/account/phone`,
/// `/account/phone/confirm`, `/account/password`).
pub async fn change_form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    path: MatchedPath,
    resident: Result<Resident, AppError>,
) -> Response {
    match Change::at(path.as_str()) {
        Some(change) => form_of(&state, lang, resident, change).await,
        None => Redirect::to("/account").into_response(),
    }
}

/// Every change form as sent (each uses its own fields).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeFields {
    csrf: String,
    language: String,
    password: String,
    phone: String,
    pin: String,
    current_password: String,
    new_password: String,
}

impl CsrfForm for ChangeFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What a change's refusal says, and at which field.
fn refusal(lang: Lang, change: Change, error: &AppError) -> Option<Errors> {
    let mut errors = Errors::default();
    match error {
        AppError::Fields(fields) => {
            for field in fields {
                let code = field.code.unwrap_or("field-invalid");
                errors.add(
                    field_id(&field.field)?,
                    problem_text(lang, &field.field, code),
                );
            }
        }
        AppError::Domain(Error::BadCredentials) => {
            let (field, key) = match change {
                Change::PhonePin => ("pin", "account-pin-wrong"),
                Change::Password => ("current_password", "account-password-wrong"),
                _ => ("password", "account-password-wrong"),
            };
            errors.add(field, lang.t(key));
        }
        AppError::Domain(Error::PinLocked) => errors.add("pin", lang.t("account-pin-locked")),
        AppError::Domain(Error::WeakPassword(_)) => {
            errors.add("new_password", lang.t("account-password-weak"));
        }
        AppError::Domain(Error::RateLimited {
            retry_after_seconds,
        }) => {
            let field = change.fields(lang, Lang::En).first()?.id;
            let seconds = retry_after_seconds.to_string();
            errors.add(
                field,
                lang.t_with("sign-in-slow-down", &[("seconds", &seconds)]),
            );
        }
        _ => return None,
    }
    Some(errors)
}

fn field_id(name: &str) -> Option<&'static str> {
    [
        "language",
        "password",
        "phone",
        "pin",
        "current_password",
        "new_password",
    ]
    .into_iter()
    .find(|id| *id == name)
}

/// `POST /account/...`: the change through the API's workflow; a refusal
/// shown at its field, success back on the summary.
async fn change(
    state: &AppState,
    lang: Lang,
    ip: std::net::IpAddr,
    resident: Result<Resident, AppError>,
    form: Result<Form<ChangeFields>, FormRejection>,
    change: Change,
) -> Response {
    let (resident, fields) = match session_form(lang, resident, form) {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    match apply(state, ip, &resident, &fields, change).await {
        Ok(next) => next,
        Err(error) => {
            let Some(errors) = refusal(lang, change, &error) else {
                return problem_page(lang, &error);
            };
            let current = Lang::from_tag(&fields.language).unwrap_or(lang);
            change.page(lang, &resident, state.now(), errors, current)
        }
    }
}

/// The change made, and where the browser goes next (the download itself
/// for the export).
async fn apply(
    state: &AppState,
    ip: std::net::IpAddr,
    resident: &Resident,
    fields: &ChangeFields,
    change: Change,
) -> Result<Response, AppError> {
    let now = state.now();
    let store = &state.store;
    let id = &resident.account_id;
    let to = |path: &str| Redirect::to(path).into_response();
    match change {
        Change::Language => {
            let language = parse_language(&fields.language)?;
            account::set_language(store, id, language, now).await?;
            Ok(to("/account?done=language"))
        }
        Change::Phone => {
            let phone = Phone::parse(&fields.phone)
                .map_err(|e| AppError::Fields(vec![FieldError::of("phone", e.into())]))?;
            checked_password(state, ip, resident, &fields.password, |password| {
                account::request_phone_change(store, id, password, &phone, now)
            })
            .await?;
            Ok(to("/account/phone/confirm"))
        }
        Change::PhonePin => {
            confirm_pin(state, resident, &fields.pin).await?;
            Ok(to("/account?done=phone"))
        }
        Change::Password => {
            checked_password(state, ip, resident, &fields.current_password, |current| {
                account::change_password(
                    store,
                    id,
                    &resident.token,
                    current,
                    &fields.new_password,
                    now,
                )
            })
            .await?;
            Ok(to("/account?done=password"))
        }
        Change::Export => {
            let held = held_data_checked(state, ip, resident, &fields.password).await?;
            Ok(held_download(&held))
        }
        Change::Close => {
            close_checked(state, ip, resident, &fields.password).await?;
            let mut response = to("/account/closed");
            RESIDENT_SESSION.clear(&mut response, state.secure_cookies);
            Ok(response)
        }
    }
}

/// `GET /account/closed`: what closing did, and how to come back.
pub async fn closed(PageLang(lang): PageLang) -> MessagePage {
    MessagePage::with_link(
        lang,
        (
            "/account/closed",
            "account-closed-title",
            "account-closed-body",
        ),
        ("/", "account-closed-start"),
    )
}

/// `POST` of a change form: the change through the API's workflow.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    path: MatchedPath,
    resident: Result<Resident, AppError>,
    form: Result<Form<ChangeFields>, FormRejection>,
) -> Response {
    match Change::at(path.as_str()) {
        Some(what) => change(&state, lang, ip, resident, form, what).await,
        None => Redirect::to("/account").into_response(),
    }
}

/// The extension form: the session's CSRF token and the page to go back to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExtendFields {
    csrf: String,
    back: String,
}

impl CsrfForm for ExtendFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A path of this site's own resident pages, or the code page: a form
/// cannot send the browser elsewhere.
fn local_page(back: &str) -> &str {
    let plain = back.starts_with('/')
        && !back.starts_with("//")
        && back.len() <= 64
        && back
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/-".contains(&b));
    if plain { back } else { "/code" }
}

/// `POST /session/extend`: 45 more minutes (never past 12 hours from the
/// sign-in), then back to the page.
pub async fn extend(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    form: Result<Form<ExtendFields>, FormRejection>,
) -> Response {
    let (resident, fields) = match session_form(lang, resident, form) {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    match state
        .store
        .extend_session(&resident.token, state.now())
        .await
    {
        Ok(Some(expires_at)) => {
            let mut response = Redirect::to(local_page(&fields.back)).into_response();
            let lifetime = expires_at - state.now();
            RESIDENT_SESSION.set(
                &mut response,
                &resident.token,
                lifetime,
                state.secure_cookies,
            );
            response
        }
        Ok(None) => Redirect::to("/sign-in").into_response(),
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::local_page;

    #[test]
    fn only_a_plain_local_path_is_gone_back_to() {
        for good in ["/code", "/visits", "/account/phone/confirm"] {
            assert_eq!(local_page(good), good);
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/code?x=1",
            "",
            "code",
            "/\\evil",
            "/CODE",
        ] {
            assert_eq!(local_page(bad), "/code", "{bad}");
        }
    }
}
