//! Uploading visit records from the check-in app: each record checked on its
//! own ([`VisitRecord::check`]), the good ones stored.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    Error,
    model::{RefusedRecord, VisitProblem, VisitRecord},
    store::Store,
};

/// The most records in one upload (31 days of 20 check-ins is 620).
pub const MAX_RECORDS_PER_UPLOAD: usize = 5_000;

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UploadSummary {
    /// Records received.
    pub received: usize,
    /// Records stored, or already stored (a stored visit changes only by
    /// gaining a missing check-out).
    pub stored: usize,
    /// Records refused, each with its reason.
    pub refused: Vec<RefusedRecord>,
}

/// Checks every record and stores the good ones for `account_id`.
///
/// # Errors
/// [`Error::TooManyRecords`] over the per-upload limit; [`Error::Db`].
pub async fn upload(
    store: &Store,
    account_id: &str,
    records: Vec<serde_json::Value>,
    now: OffsetDateTime,
) -> Result<UploadSummary, Error> {
    if records.len() > MAX_RECORDS_PER_UPLOAD {
        return Err(Error::TooManyRecords {
            count: records.len(),
            limit: MAX_RECORDS_PER_UPLOAD,
        });
    }
    let received = records.len();
    let mut good = Vec::with_capacity(received);
    let mut positions = Vec::with_capacity(received);
    let mut refused = Vec::new();
    for (index, value) in records.into_iter().enumerate() {
        match VisitRecord::check(value, now) {
            Ok(record) => {
                good.push(record);
                positions.push(index);
            }
            Err(problem) => refused.push(RefusedRecord::coded(index, problem.code(), problem)),
        }
    }
    let conflicts = store.store_visits(account_id, &good, now).await?;
    refused.extend(conflicts.iter().map(|&i| {
        let problem = VisitProblem::CheckOutChanged;
        RefusedRecord::coded(positions[i], problem.code(), problem)
    }));
    refused.sort_by_key(|r| r.index);
    Ok(UploadSummary {
        received,
        stored: good.len() - conflicts.len(),
        refused,
    })
}
