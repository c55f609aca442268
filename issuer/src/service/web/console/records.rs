//! The records in force, for the staff who submit them: the designations
//! that count now, a person's statuses (health authority) or arrivals
//! (immigration) found by their document, each with a withdrawal, and the
//! re-evaluation runs with the codes they revoked. A withdrawal is a feed
//! record like any other (`withdrawn: true`), submitted through the same
//! workflow, so it is versioned, audited and re-evaluated as an upload is.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use healthcode_keys::{IdDocument, hktime::format_hk};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{allowed, allowed_form, problem_page, sign_in::csrf_of};
use crate::{
    feeds::{self, Submitter},
    model::{FeedKind, Role},
    service::{
        AppError, AppState,
        auth::{ConsoleStaff, Staff},
        web::{
            code_page::minute,
            frame::{Errors, Frame},
            lang::Lang,
            pages::{CsrfForm, ID_TYPES, document_of},
        },
    },
};

const RECORD_STAFF: &[Role] = &[Role::HealthAuthority, Role::Immigration];

/// One record in force as a row: what it says, and the hidden fields that
/// withdraw it.
#[derive(Debug, Clone)]
pub struct Row {
    cells: Vec<String>,
    withdraw: Vec<(&'static str, String)>,
}

/// A re-evaluation run as a row.
#[derive(Debug, Clone)]
pub struct RunRow {
    kind: String,
    source: String,
    records: String,
    run_at: String,
    done: String,
    examined: String,
    revoked: String,
}

/// The records page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/records.html")]
pub struct RecordsPage {
    frame: Frame,
    errors: Errors,
    done: Option<String>,
    designations: Option<Vec<Row>>,
    person_title: String,
    arrivals: bool,
    person: Option<Vec<Row>>,
    form: PersonFields,
    runs: Vec<RunRow>,
    csrf: String,
}

/// The person lookup as sent (the document never goes in a URL).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersonFields {
    csrf: String,
    id_type: String,
    passport_country: String,
    id_number: String,
}

impl CsrfForm for PersonFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The kind of per-person records `role` submits.
fn person_kind(role: Role) -> FeedKind {
    if role == Role::Immigration {
        FeedKind::Arrivals
    } else {
        FeedKind::Statuses
    }
}

fn at(instant: time::OffsetDateTime) -> String {
    minute(&format_hk(instant))
}

/// What the page shows besides the person's records.
async fn page(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    (errors, done, person, form): (Errors, Option<String>, Option<Vec<Row>>, PersonFields),
) -> Result<RecordsPage, AppError> {
    let role = staff.member.role;
    let designations = if role == Role::HealthAuthority {
        Some(designation_rows(state, lang).await?)
    } else {
        None
    };
    let kinds: Vec<FeedKind> = FeedKind::ALL
        .iter()
        .copied()
        .filter(|k| k.roles().contains(&role))
        .collect();
    let runs = state.store.reevaluation_runs(&kinds, 20).await?;
    let count = |n: Option<i64>| n.map_or_else(|| lang.t("records-pending"), |n| n.to_string());
    Ok(RecordsPage {
        frame: Frame::console(lang, "/staff/records", "records-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        done,
        designations,
        person_title: lang.t(&format!(
            "records-person-title-{}",
            person_kind(role).as_str()
        )),
        arrivals: person_kind(role) == FeedKind::Arrivals,
        person,
        form: PersonFields {
            csrf: String::new(),
            id_type: if form.id_type.is_empty() {
                "HKID".to_owned()
            } else {
                form.id_type
            },
            ..form
        },
        runs: runs
            .into_iter()
            .map(|r| RunRow {
                kind: lang.t(&format!("feeds-kind-{}", r.kind.as_str())),
                source: r.source,
                records: r.records.to_string(),
                run_at: at(r.run_at),
                done: r.done_at.map_or_else(|| lang.t("records-pending"), at),
                examined: count(r.examined),
                revoked: count(r.revoked),
            })
            .collect(),
        csrf: csrf_of(staff),
    })
}

async fn designation_rows(state: &AppState, lang: Lang) -> Result<Vec<Row>, AppError> {
    let since = state.now() - time::Duration::days(21);
    let list = state.store.current_designations(since, 500).await?;
    Ok(list
        .into_iter()
        .map(|d| {
            let end = d.end.map_or_else(|| lang.t("feeds-in-force"), at);
            Row {
                cells: vec![d.place.clone(), at(d.start), end],
                withdraw: vec![
                    ("kind", "designations".to_owned()),
                    ("place", d.place),
                    ("start", format_hk(d.start)),
                    ("end", d.end.map(format_hk).unwrap_or_default()),
                ],
            }
        })
        .collect())
}

/// `GET /staff/records`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    let staff = match allowed(&state, lang, staff, RECORD_STAFF, "records_console").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let parts = (Errors::default(), None, None, PersonFields::default());
    respond(
        page(&state, lang, &staff, parts).await,
        lang,
        StatusCode::OK,
    )
}

fn respond(page: Result<RecordsPage, AppError>, lang: Lang, status: StatusCode) -> Response {
    match page {
        Ok(page) => (status, page).into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

/// The person's records in force of `kind`, each with its withdrawal;
/// the read is audited, as every read of a person's data is.
async fn person_rows(
    state: &AppState,
    staff: &ConsoleStaff,
    lang: Lang,
    document: &IdDocument,
) -> Result<Vec<Row>, AppError> {
    let index = state.store.document_index(document);
    let mut conn = state
        .store
        .pool()
        .acquire()
        .await
        .map_err(crate::Error::from)?;
    let id_document = document.normalised().to_owned();
    let rows = match person_kind(staff.member.role) {
        FeedKind::Arrivals => state
            .store
            .arrivals_of(&mut conn, std::slice::from_ref(&index))
            .await?
            .into_iter()
            .map(|(_, a)| Row {
                cells: vec![
                    at(a.at),
                    lang.t(&format!("records-origin-{}", a.origin.as_str())),
                    a.scheme.map_or_else(String::new, |s| {
                        lang.t(&format!("records-scheme-{}", s.as_str()))
                    }),
                    lang.t(&format!("records-quarantine-{}", a.quarantine.as_str())),
                ],
                withdraw: vec![
                    ("kind", "arrivals".to_owned()),
                    ("id_document", id_document.clone()),
                    ("at", format_hk(a.at)),
                    ("origin", a.origin.as_str().to_owned()),
                    (
                        "scheme",
                        a.scheme.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    ),
                    ("quarantine", a.quarantine.as_str().to_owned()),
                ],
            })
            .collect(),
        _ => state
            .store
            .statuses_of(&mut conn, std::slice::from_ref(&index))
            .await?
            .into_iter()
            .map(|(_, s)| Row {
                cells: vec![
                    lang.t(&format!("records-status-{}", s.kind.as_str())),
                    at(s.start),
                    s.end.map_or_else(|| lang.t("feeds-in-force"), at),
                ],
                withdraw: vec![
                    ("kind", "statuses".to_owned()),
                    ("id_document", id_document.clone()),
                    ("status", s.kind.as_str().to_owned()),
                    ("start", format_hk(s.start)),
                    ("end", s.end.map(format_hk).unwrap_or_default()),
                ],
            })
            .collect(),
    };
    drop(conn);
    Staff(staff.member.clone())
        .audit(state, "person_records_viewed", &index, &json!({}))
        .await?;
    Ok(rows)
}

/// `POST /staff/records/person`: a person's records in force, found by the
/// document typed.
pub async fn person(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<PersonFields>, FormRejection>,
) -> Response {
    let gate = (RECORD_STAFF, "records_console");
    let (staff, fields) = match allowed_form(&state, lang, staff, form, gate).await {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    let document = match document_of(
        lang,
        &fields.id_type,
        &fields.passport_country,
        &fields.id_number,
    ) {
        Ok(document) => document,
        Err(errors) => {
            let parts = (errors, None, None, fields);
            let page = page(&state, lang, &staff, parts).await;
            return respond(page, lang, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let rows = match person_rows(&state, &staff, lang, &document).await {
        Ok(rows) => rows,
        Err(error) => return problem_page(lang, &error),
    };
    let parts = (Errors::default(), None, Some(rows), fields);
    respond(
        page(&state, lang, &staff, parts).await,
        lang,
        StatusCode::OK,
    )
}

/// A withdrawal as sent: the record's own fields, from the row's form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawFields {
    csrf: String,
    kind: String,
    place: String,
    id_document: String,
    status: String,
    start: String,
    end: String,
    at: String,
    origin: String,
    scheme: String,
    quarantine: String,
}

impl CsrfForm for WithdrawFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The feed record that withdraws the row `fields` describe.
fn withdrawal(kind: FeedKind, f: &WithdrawFields) -> Value {
    let optional = |text: &str| {
        if text.is_empty() {
            Value::Null
        } else {
            json!(text)
        }
    };
    match kind {
        FeedKind::Designations => json!({
            "place": f.place, "start": f.start, "end": optional(&f.end), "withdrawn": true,
        }),
        FeedKind::Statuses => json!({
            "id_document": f.id_document, "kind": f.status, "start": f.start,
            "end": optional(&f.end), "withdrawn": true,
        }),
        FeedKind::Arrivals => json!({
            "id_document": f.id_document, "at": f.at, "origin": f.origin,
            "scheme": optional(&f.scheme), "quarantine": f.quarantine, "withdrawn": true,
        }),
    }
}

/// `POST /staff/records/withdraw`: the feed workflow stores the withdrawal
/// as a new version and wakes the re-evaluation; the page says what it did.
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<WithdrawFields>, FormRejection>,
) -> Response {
    let gate = (RECORD_STAFF, "records_console");
    let (staff, fields) = match allowed_form(&state, lang, staff, form, gate).await {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    let Ok(kind) = fields.kind.parse::<FeedKind>() else {
        let unknown = crate::Error::NotFound { what: "feed kind" };
        return problem_page(lang, &AppError::Domain(unknown));
    };
    if !kind.roles().contains(&staff.member.role) {
        let refused = crate::Error::Forbidden {
            role: staff.member.role,
            needed: kind.roles(),
        };
        return problem_page(lang, &AppError::Domain(refused));
    }
    let actor = staff.member.actor();
    let submitter = Submitter {
        actor: &actor,
        source: "console:withdrawal",
    };
    let record = vec![(String::new(), withdrawal(kind, &fields))];
    let outcome = feeds::submit(&state.store, kind, &record, submitter, state.now()).await;
    let done = match outcome {
        Ok(summary) if summary.stored == 1 => {
            state.wake.reevaluate.notify_one();
            lang.t("records-withdrawn")
        }
        Ok(summary) => lang.t_with(
            "records-not-withdrawn",
            &[(
                "why",
                &summary
                    .refused
                    .first()
                    .map(|r| r.reason.clone())
                    .unwrap_or_default(),
            )],
        ),
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let parts = (Errors::default(), Some(done), None, PersonFields::default());
    respond(
        page(&state, lang, &staff, parts).await,
        lang,
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, feeds::check_feed_record, store::Store};

    #[tokio::test]
    async fn each_rows_withdrawal_is_a_record_the_feed_accepts_as_withdrawn() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let rows = [
            (
                FeedKind::Designations,
                WithdrawFields {
                    place: "venue-1".into(),
                    start: "2026-11-29T10:00:00+08:00".into(),
                    ..WithdrawFields::default()
                },
            ),
            (
                FeedKind::Statuses,
                WithdrawFields {
                    id_document: "HKID:A1234563".into(),
                    status: "close_contact".into(),
                    start: "2026-11-29T10:00:00+08:00".into(),
                    end: "2026-11-30T10:00:00+08:00".into(),
                    ..WithdrawFields::default()
                },
            ),
            (
                FeedKind::Arrivals,
                WithdrawFields {
                    id_document: "HKID:A1234563".into(),
                    at: "2026-11-29T10:00:00+08:00".into(),
                    origin: "macao".into(),
                    quarantine: "exempted".into(),
                    ..WithdrawFields::default()
                },
            ),
        ];
        for (kind, fields) in rows {
            let record = check_feed_record(&store, kind, &withdrawal(kind, &fields), "")
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(record.withdrawn, "{kind:?}");
        }
        Ok(())
    }
}
