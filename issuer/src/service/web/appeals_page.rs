//! A resident's appeals: lodging one against a record behind their code
//! (with a statement and, if they have it, evidence), and following each
//! to its decision and reason.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Multipart, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use healthcode_keys::hktime::{format_hk, minute};

use super::{
    frame::{Errors, Frame},
    lang::Lang,
    pages::{problem_page, signed_in},
};
use crate::{
    Error,
    feeds::appeals,
    model::{AppealGround, AppealState},
    service::{
        AppError, AppState,
        appeal_routes::read_lodging,
        auth::{Resident, csrf_matches, csrf_token},
    },
    store::appeals::Appeal,
};

/// An appeal as the resident's list shows it.
#[derive(Debug)]
pub struct AppealRow {
    reference: String,
    ground_key: String,
    state_key: String,
    lodged: String,
    due: String,
    open: bool,
    reason: Option<String>,
}

fn row(appeal: Appeal) -> AppealRow {
    AppealRow {
        ground_key: format!("appeal-ground-{}", appeal.ground.as_str()),
        state_key: format!("appeal-state-{}", appeal.state.as_str()),
        lodged: minute(&format_hk(appeal.lodged_at)),
        due: minute(&format_hk(appeal.due_at)),
        open: appeal.state == AppealState::Open,
        reason: appeal.reason,
        reference: appeal.id,
    }
}

/// What the resident typed, kept when the form is refused.
#[derive(Debug, Default)]
pub struct Typed {
    ground: String,
    statement: String,
}

/// The appeals page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "appeals.html")]
pub struct AppealsPage {
    frame: Frame,
    errors: Errors,
    lodged: Option<String>,
    appeals: Vec<AppealRow>,
    grounds: &'static [AppealGround],
    typed: Typed,
    csrf: String,
}

async fn render(
    state: &AppState,
    lang: Lang,
    resident: &Resident,
    (status, errors, lodged, typed): (StatusCode, Errors, Option<String>, Typed),
) -> Response {
    let store = &state.store;
    let appeals = match store.appeals_of(store.pool(), &resident.account_id).await {
        Ok(appeals) => appeals,
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let page = AppealsPage {
        frame: Frame::new(lang, "/account/appeals", "appeals-title")
            .with(&errors)
            .resident(resident, state.now()),
        errors,
        lodged,
        appeals: appeals.into_iter().map(row).collect(),
        grounds: AppealGround::ALL,
        typed,
        csrf: csrf_token(&resident.token),
    };
    (status, page).into_response()
}

/// `GET /account/appeals`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
) -> Response {
    match signed_in(lang, resident) {
        Ok(resident) => {
            let ok = (StatusCode::OK, Errors::default(), None, Typed::default());
            render(&state, lang, &resident, ok).await
        }
        Err(page) => *page,
    }
}

/// The message key of a problem with `field`, as the page says it.
fn problem_key(field: &str, code: Option<&str>) -> (&'static str, String) {
    match field {
        "ground" => match code {
            Some(code @ ("too_many_open" | "already_open")) => (
                "ground",
                format!("appeal-problem-{}", code.replace('_', "-")),
            ),
            _ => ("ground", "appeal-ground-missing".to_owned()),
        },
        "evidence" => ("evidence", "appeal-evidence-invalid".to_owned()),
        _ => match code {
            Some("empty") => ("statement", "appeal-statement-missing".to_owned()),
            Some("too_long") => ("statement", "appeal-statement-too-long".to_owned()),
            _ => ("statement", "appeal-statement-invalid".to_owned()),
        },
    }
}

/// `POST /account/appeals`: lodges the appeal; the page lists it.
pub async fn lodge(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let resident = match signed_in(lang, resident) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    let refuse = |field: &str, code: Option<&str>, typed: Typed| {
        let (field, key) = problem_key(field, code);
        let mut errors = Errors::default();
        errors.add(field, lang.t(&key));
        (StatusCode::UNPROCESSABLE_ENTITY, errors, None, typed)
    };
    let read = match form {
        Ok(form) => read_lodging(form).await,
        Err(rejection) => Err(AppError::NotForm(rejection)),
    };
    let (csrf, lodging) = match read {
        Ok(read) => read,
        Err(AppError::Fields(fields)) => {
            let field = fields.first().map_or("statement", |f| f.field.as_str());
            let answer = refuse(field, None, Typed::default());
            return render(&state, lang, &resident, answer).await;
        }
        Err(_) => {
            let answer = refuse("evidence", None, Typed::default());
            return render(&state, lang, &resident, answer).await;
        }
    };
    if !csrf_matches(&csrf, &resident.token) {
        return problem_page(lang, &AppError::CrossSite);
    }
    let typed = Typed {
        ground: lodging.ground.as_str().to_owned(),
        statement: lodging.statement.clone(),
    };
    match appeals::lodge(&state.store, &resident.account_id, lodging, state.now()).await {
        Ok(appeal) => {
            let due = minute(&format_hk(appeal.due_at));
            let said = lang.t_with(
                "appeals-lodged",
                &[("reference", &appeal.id), ("due", &due)],
            );
            let ok = (
                StatusCode::OK,
                Errors::default(),
                Some(said),
                Typed::default(),
            );
            render(&state, lang, &resident, ok).await
        }
        Err(Error::Appeal(problem)) => {
            let answer = refuse(problem.field(), Some(problem.code()), typed);
            render(&state, lang, &resident, answer).await
        }
        Err(other) => problem_page(lang, &AppError::Domain(other)),
    }
}
