//! Everything the colour rules need to know about one resident, read from the
//! store: their statuses and arrivals (by the blind index of their document),
//! their residence, their visits, and the designations of those places.

use std::collections::HashMap;

use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::{
    Error,
    residents::visits::VISIT_WINDOW,
    rules::{
        facts::{Person, Visit},
        index::Designations,
    },
    store::{Store, accounts::Account},
};

/// One resident's facts, ready for the rules.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// The person as the rules see them.
    pub person: Person,
    /// The designations of their residence and of the venues they visited.
    pub designations: Designations,
    /// Venue names by place id, to explain a visit in the resident's words.
    pub venue_names: HashMap<String, String>,
}

/// Reads the facts about the holder of `account` at `now`, on `conn` (inside
/// the caller's transaction when it must not change underneath).
///
/// # Errors
/// [`Error::Db`], [`Error::Corrupt`].
pub async fn gather(
    store: &Store,
    conn: &mut SqliteConnection,
    account: &Account,
    now: OffsetDateTime,
) -> Result<Gathered, Error> {
    // Visits are held for 31 days, more than any window of the rules.
    let since = now - VISIT_WINDOW;
    let residence = account.building_id.clone();
    let statuses = store.statuses_of(conn, &account.id_index).await?;
    let arrivals = store.arrivals_of(conn, &account.id_index).await?;
    let stored = store.visits_since(&mut *conn, &account.id, since).await?;
    let designated = store
        .designations_for_account(conn, &account.id, residence.as_deref(), since)
        .await?;
    let mut venue_names = HashMap::new();
    let visits = stored
        .into_iter()
        .map(|v| {
            venue_names.insert(v.venue_id.clone(), v.venue_name);
            Visit {
                place: v.venue_id,
                start: v.check_in,
                end: v.check_out,
            }
        })
        .collect();
    Ok(Gathered {
        person: Person {
            statuses,
            residence,
            visits,
            arrivals,
        },
        designations: Designations::new(&designated),
        venue_names,
    })
}
