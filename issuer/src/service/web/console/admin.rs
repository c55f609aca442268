//! The administrators' console: the staff list, adding a member (their
//! set-up token shown once), disabling one, rotating one's credentials; the
//! audit chain's state, the letters waiting, and the SMS outbox (audited:
//! it holds PINs).

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use healthcode_keys::hktime::format_hk;
use serde::Deserialize;

use super::{allowed, allowed_form, problem_page, sign_in::csrf_of};
use crate::{
    Error,
    model::Role,
    service::{
        AppError, AppState,
        auth::{ConsoleStaff, Staff},
        web::{
            code_page::minute,
            frame::{Errors, Frame},
            lang::Lang,
            pages::{CsrfField, CsrfForm},
        },
    },
    store::{messages::Sms, staff_sessions::StaffListing},
};

const ADMINS: &[Role] = &[Role::Admin];

/// The roles an administrator can give, in the order the form lists them.
const ROLES: [Role; 6] = [
    Role::Reviewer,
    Role::PostOffice,
    Role::HealthAuthority,
    Role::Immigration,
    Role::Counter,
    Role::Admin,
];

/// A staff member as the list shows them.
#[derive(Debug)]
pub struct StaffRow {
    name: String,
    role_key: String,
    signs_in: bool,
    added: String,
    disabled: Option<String>,
}

impl From<StaffListing> for StaffRow {
    fn from(member: StaffListing) -> Self {
        StaffRow {
            name: member.name,
            role_key: format!("role-{}", member.role.as_str()),
            signs_in: member.signs_in,
            added: minute(&format_hk(member.created_at)),
            disabled: member.disabled_at.map(|at| minute(&format_hk(at))),
        }
    }
}

/// The administrators' page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/admin.html")]
pub struct AdminPage {
    frame: Frame,
    errors: Errors,
    staff: Vec<StaffRow>,
    roles: [Role; 6],
    new_name: String,
    /// What the last action did, and a token to hand over once.
    done: Option<(String, Option<String>)>,
    /// "The audit log is intact (n entries checked)", or `None` if broken.
    audit_intact: Option<String>,
    letters_waiting: String,
    csrf: String,
}

async fn admin_page(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    errors: Errors,
    done: Option<(String, Option<String>)>,
) -> Result<AdminPage, AppError> {
    let store = &state.store;
    let members = store.list_staff().await?;
    // A broken chain is shown as such, not as a failure of the page.
    let audit_intact = store.verify_audit_chain().await.ok().map(|n| {
        let n = usize::try_from(n).unwrap_or_default();
        lang.t_counts("admin-audit-intact", &[("count", n)])
    });
    let letters = store.pending_letters().await?.len();
    let letters_waiting = lang.t_counts("admin-letters-waiting", &[("count", letters)]);
    Ok(AdminPage {
        frame: Frame::console(lang, "/staff/admin", "admin-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        staff: members.into_iter().map(StaffRow::from).collect(),
        roles: ROLES,
        new_name: String::new(),
        done,
        audit_intact,
        letters_waiting,
        csrf: csrf_of(staff),
    })
}

/// `GET /staff/admin`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    let staff = match allowed(&state, lang, staff, ADMINS, "staff_list").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    match admin_page(&state, lang, &staff, Errors::default(), None).await {
        Ok(page) => page.into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

/// The add form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddFields {
    csrf: String,
    name: String,
    role: String,
}

impl CsrfForm for AddFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The longest staff name.
const MAX_NAME: usize = 64;

/// `POST /staff/admin/staff`: adds a member; their token is shown this once.
pub async fn add(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<AddFields>, FormRejection>,
) -> Response {
    let (staff, fields) = match allowed_form(&state, lang, staff, form, (ADMINS, "staff_add")).await
    {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    let name = fields.name.trim().to_owned();
    let role = ROLES.into_iter().find(|r| r.as_str() == fields.role);
    let mut errors = Errors::default();
    let name_ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.".contains(c));
    if !name_ok {
        errors.add("name", lang.t("admin-name-invalid"));
    }
    if role.is_none() {
        errors.add("role", lang.t("admin-role-invalid"));
    }
    let mut done = None;
    if let (Some(role), true) = (role, errors.is_empty()) {
        let actor = staff.member.actor();
        match state
            .store
            .add_staff_by(&actor, &name, role, state.now())
            .await
        {
            Ok(token) => {
                done = Some((lang.t_with("admin-added", &[("name", &name)]), Some(token)));
            }
            Err(Error::StaffExists { .. }) => errors.add("name", lang.t("admin-name-taken")),
            Err(other) => return problem_page(lang, &AppError::Domain(other)),
        }
    }
    answer(&state, lang, &staff, errors, done, name).await
}

async fn answer(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    errors: Errors,
    done: Option<(String, Option<String>)>,
    typed: String,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match admin_page(state, lang, staff, errors, done).await {
        Ok(mut page) => {
            if status != StatusCode::OK {
                page.new_name = typed;
            }
            (status, page).into_response()
        }
        Err(error) => problem_page(lang, &error),
    }
}

/// `POST /staff/admin/staff/{name}/disable`: their token and sessions stop at once.
pub async fn disable(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(name): Path<String>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Response {
    change(state, lang, staff, name, form, Change::Disable).await
}

/// `POST /staff/admin/staff/{name}/rotate`: a new token, shown once; the
/// member sets up console sign-in again with it.
pub async fn rotate(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(name): Path<String>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Response {
    change(state, lang, staff, name, form, Change::Rotate).await
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Disable,
    Rotate,
}

async fn change(
    state: Arc<AppState>,
    lang: Lang,
    staff: Result<ConsoleStaff, AppError>,
    name: String,
    form: Result<Form<CsrfField>, FormRejection>,
    what: Change,
) -> Response {
    let action = match what {
        Change::Disable => "staff_disable",
        Change::Rotate => "staff_rotate",
    };
    let staff = match allowed_form(&state, lang, staff, form, (ADMINS, action)).await {
        Ok((staff, _)) => staff,
        Err(page) => return *page,
    };
    let actor = staff.member.actor();
    let (store, now) = (&state.store, state.now());
    let outcome = match what {
        Change::Disable => store
            .disable_staff_by(&actor, &name, now)
            .await
            .map(|()| (lang.t_with("admin-disabled", &[("name", &name)]), None)),
        Change::Rotate => store
            .rotate_staff_token_by(&actor, &name, now)
            .await
            .map(|token| {
                (
                    lang.t_with("admin-rotated", &[("name", &name)]),
                    Some(token),
                )
            }),
    };
    match outcome {
        Ok(done) => {
            answer(
                &state,
                lang,
                &staff,
                Errors::default(),
                Some(done),
                String::new(),
            )
            .await
        }
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The SMS outbox page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/outbox.html")]
pub struct OutboxPage {
    frame: Frame,
    messages: Vec<(String, String, String, String)>,
}

/// `GET /staff/admin/outbox`: the newest 100 messages; the read is audited.
pub async fn outbox(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    let staff = match allowed(&state, lang, staff, ADMINS, "sms_outbox").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let messages = match read_outbox(&state, &staff).await {
        Ok(messages) => messages,
        Err(error) => return problem_page(lang, &error),
    };
    OutboxPage {
        frame: Frame::console(lang, "/staff/admin/outbox", "outbox-title").signed_in(&staff.token),
        messages: messages
            .into_iter()
            .map(|sms| {
                (
                    minute(&format_hk(sms.created_at)),
                    sms.phone,
                    sms.body,
                    sms.status,
                )
            })
            .collect(),
    }
    .into_response()
}

async fn read_outbox(state: &AppState, staff: &ConsoleStaff) -> Result<Vec<Sms>, AppError> {
    let messages = state.store.outbox(100).await?;
    Staff(staff.member.clone())
        .audit(
            state,
            "sms_outbox_viewed",
            "sms_outbox",
            &serde_json::json!({}),
        )
        .await?;
    Ok(messages)
}
