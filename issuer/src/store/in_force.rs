//! The records in force that the colour rules read: statuses and arrivals
//! by the blind index of a document, designations by place. A group of
//! residents is read with one query per kind of fact.

use sqlx::AnyConnection;

use super::sql::SqlBuilder;
use time::OffsetDateTime;

use super::{Store, from_db, parse_name, push_list, to_db};

/// Places asked for in one statement: a group of residents with a month of
/// visits names thousands, and both engines cap bound parameters (SQLite at
/// 32,766).
const PLACES_PER_STATEMENT: usize = 1000;
use crate::{
    Error,
    rules::facts::{Arrival, Designation, Status},
};

impl Store {
    /// The statuses in force of the persons with blind indexes
    /// `person_indexes`, each with the index it belongs to.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn statuses_of(
        &self,
        conn: &mut AnyConnection,
        person_indexes: &[String],
    ) -> Result<Vec<(String, Status)>, Error> {
        let mut query = SqlBuilder::new(
            self.engine(),
            "SELECT person_index, kind, start_at, end_at FROM statuses \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND person_index IN ",
        );
        push_list(&mut query, person_indexes);
        let rows: Vec<(String, String, i64, Option<i64>)> =
            query.build_query_as().fetch_all(conn).await?;
        rows.into_iter()
            .map(|(person, kind, start, end)| {
                let status = Status {
                    kind: parse_name(&kind)?,
                    start: from_db(start)?,
                    end: end.map(from_db).transpose()?,
                };
                Ok((person, status))
            })
            .collect()
    }

    /// The arrivals in force of the persons with blind indexes
    /// `person_indexes`, each with the index it belongs to.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn arrivals_of(
        &self,
        conn: &mut AnyConnection,
        person_indexes: &[String],
    ) -> Result<Vec<(String, Arrival)>, Error> {
        let mut query = SqlBuilder::new(
            self.engine(),
            "SELECT person_index, arrived_at, origin, scheme, quarantine FROM arrivals \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND person_index IN ",
        );
        push_list(&mut query, person_indexes);
        let rows: Vec<(String, i64, String, Option<String>, String)> =
            query.build_query_as().fetch_all(conn).await?;
        rows.into_iter()
            .map(|(person, at, origin, scheme, quarantine)| {
                let arrival = Arrival {
                    at: from_db(at)?,
                    origin: parse_name(&origin)?,
                    scheme: scheme.map(|s| parse_name(&s)).transpose()?,
                    quarantine: parse_name(&quarantine)?,
                };
                Ok((person, arrival))
            })
            .collect()
    }

    /// The designations in force at any of `places` (each named once).
    ///
    /// The caller names the places (residences, venues of visits already
    /// read): asking for "the venues these accounts visited" in a subquery
    /// read the visits twice, and PostgreSQL, once it had statistics, planned
    /// that subquery as a scan of every visit (97 ms a group of 500 at
    /// 100,000 residents). A list is one index lookup each on both engines.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn designations_at(
        &self,
        conn: &mut AnyConnection,
        places: &[String],
    ) -> Result<Vec<Designation>, Error> {
        let mut found = Vec::new();
        for chunk in places.chunks(PLACES_PER_STATEMENT) {
            let mut query = SqlBuilder::new(
                self.engine(),
                "SELECT place, start_at, end_at FROM designations \
                 WHERE replaced_by IS NULL AND withdrawn = 0 AND place IN ",
            );
            push_list(&mut query, chunk);
            let rows: Vec<(String, i64, Option<i64>)> =
                query.build_query_as().fetch_all(&mut *conn).await?;
            for row in rows {
                found.push(designation(row)?);
            }
        }
        Ok(found)
    }

    /// The designations in force that end after `since` (or never), newest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn current_designations(
        &self,
        since: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Designation>, Error> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT place, start_at, end_at FROM designations \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND (end_at IS NULL OR end_at > $1) \
             ORDER BY start_at DESC, place LIMIT $2",
        )
        .bind(to_db(since))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(designation).collect()
    }
}

fn designation((place, start, end): (String, i64, Option<i64>)) -> Result<Designation, Error> {
    Ok(Designation {
        place,
        start: from_db(start)?,
        end: end.map(from_db).transpose()?,
    })
}
