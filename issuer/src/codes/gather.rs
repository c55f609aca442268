//! Everything the colour rules need to know about residents, read from the
//! store: their statuses and arrivals (by the blind index of their document),
//! their residence, their visits, and the designations of those places.
//!
//! Facts are read for a group of residents at once, one query per kind of
//! fact: re-evaluating ten thousand residents costs a few hundred queries,
//! not fifty thousand. An application reads a group of one.

use std::collections::{BTreeSet, HashMap};

use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::{
    Error,
    model::{VISIT_WINDOW, venue::VenueName},
    rules::{
        facts::{Person, Visit},
        index::Designations,
    },
    store::{Store, accounts::Account, visits::VenueNames},
};

/// The most residents read in one group (each is a bound parameter).
pub const GROUP: usize = 500;

/// A group of residents' facts, ready for the rules.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// Each resident as the rules see them, in the order asked for.
    pub people: Vec<Person>,
    /// The designations of the places any of them lives in or visited. One
    /// index serves all: the rules look up only a person's own places.
    pub designations: Designations,
    /// The registry's venue names by place id, to explain a visit in words
    /// the resident knows (venues the registry lacks are absent).
    pub venue_names: HashMap<String, VenueName>,
}

/// Reads the facts about the holders of `accounts` (at most [`GROUP`]) at
/// `now`, on `conn` (inside the caller's transaction when they must not
/// change underneath); the venues' names too if `names` says so (to explain
/// a colour).
///
/// # Errors
/// [`Error::Db`], [`Error::Corrupt`].
pub async fn gather(
    store: &Store,
    conn: &mut AnyConnection,
    accounts: &[Account],
    now: OffsetDateTime,
    names: VenueNames,
) -> Result<Gathered, Error> {
    // Visits are held for 31 days, more than any window of the rules.
    let since = now - VISIT_WINDOW;
    let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let documents: Vec<String> = accounts.iter().map(|a| a.id_index.clone()).collect();
    let mut people: HashMap<&str, Person> = accounts
        .iter()
        .map(|a| {
            let person = Person {
                residence: a.building_id.clone(),
                ..Person::default()
            };
            (a.id.as_str(), person)
        })
        .collect();
    // One active account per document (a unique index makes sure of it).
    let holder: HashMap<&str, &str> = accounts
        .iter()
        .map(|a| (a.id_index.as_str(), a.id.as_str()))
        .collect();
    for (document, status) in store.statuses_of(conn, &documents).await? {
        if let Some(person) = holder
            .get(document.as_str())
            .and_then(|id| people.get_mut(id))
        {
            person.statuses.push(status);
        }
    }
    for (document, arrival) in store.arrivals_of(conn, &documents).await? {
        if let Some(person) = holder
            .get(document.as_str())
            .and_then(|id| people.get_mut(id))
        {
            person.arrivals.push(arrival);
        }
    }
    let mut venue_names = HashMap::new();
    // The places whose designations matter: homes, and the venues visited.
    let mut places: BTreeSet<String> = accounts
        .iter()
        .filter_map(|a| a.building_id.clone())
        .collect();
    for (account, visit) in store.visits_of_accounts(conn, &ids, since, names).await? {
        if let Some(person) = people.get_mut(account.as_str()) {
            person.visits.push(Visit {
                place: visit.venue_id.clone(),
                start: visit.check_in,
                end: visit.check_out,
            });
        }
        if let Some(name) = visit.venue_name {
            venue_names.insert(visit.venue_id.clone(), name);
        }
        places.insert(visit.venue_id);
    }
    let places: Vec<String> = places.into_iter().collect();
    let designated = store.designations_at(conn, &places).await?;
    Ok(Gathered {
        people: accounts
            .iter()
            .map(|a| people.remove(a.id.as_str()).unwrap_or_default())
            .collect(),
        designations: Designations::new(&designated),
        venue_names,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::macros::datetime;

    use super::*;
    use crate::{
        feeds::{Submitter, submit},
        model::{Actor, FeedKind, VisitRecord},
        rules::{Reason, evaluate},
        store::test_support::active_resident,
    };

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    async fn resident(store: &Store, number: &str, building: &str) -> Result<Account, Error> {
        active_resident(store, number, building, NOW).await
    }

    #[tokio::test]
    async fn each_resident_of_a_group_gets_only_their_own_facts() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let contact = resident(&store, "HKID:A123456(3)", "bldg-a").await?;
        let visitor = resident(&store, "HKID:K000001(9)", "bldg-b").await?;
        let neighbour = resident(&store, "HKID:K000002(7)", "bldg-c").await?;
        let visit = VisitRecord::check(
            json!({"venue_id": "venue-1", "venue_name": "Cafe", "check_in": "2022-12-09T10:00:00Z"}),
            NOW,
        )
        .map_err(|_| Error::NotFound { what: "visit" })?;
        store.store_visits(&visitor.id, &[visit], NOW).await?;
        let registry = [(
            "venue-1".to_owned(),
            VenueName {
                en: "Lucky Cafe".into(),
                zh: Some("好運茶餐廳".into()),
            },
        )];
        store.replace_venues(&registry, NOW).await?;
        let authority = Actor::Staff("test".into());
        let health = Submitter {
            actor: &authority,
            source: "api",
        };
        let records = |values: Value| -> Vec<(String, Value)> {
            values
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| (String::new(), v.clone()))
                .collect()
        };
        submit(&store, FeedKind::Statuses, &records(json!([
            {"id_document": "HKID:A123456(3)", "kind": "close_contact", "start": "2022-12-08T00:00:00Z", "end": null}
        ])), health, NOW).await?;
        submit(
            &store,
            FeedKind::Designations,
            &records(json!([
                {"place": "venue-1", "start": "2022-12-01T00:00:00Z", "end": null},
                {"place": "bldg-c", "start": "2022-12-01T00:00:00Z", "end": null},
            ])),
            health,
            NOW,
        )
        .await?;

        let group = [contact, visitor, neighbour];
        let mut conn = store.pool().acquire().await?;
        let gathered = gather(&store, &mut conn, &group, NOW, VenueNames::Read).await?;
        let reasons: Vec<Vec<Reason>> = gathered
            .people
            .iter()
            .map(|p| {
                evaluate(p, &gathered.designations, NOW)
                    .reasons
                    .into_iter()
                    .collect()
            })
            .collect();
        assert_eq!(
            reasons,
            [
                vec![Reason::CloseContact],
                vec![Reason::HighRiskVisit],
                vec![Reason::HighRiskResidence],
            ]
        );
        // The registry's name, never the upload's.
        assert_eq!(gathered.venue_names.get("venue-1"), Some(&registry[0].1));
        let alone = gather(&store, &mut conn, &group[1..2], NOW, VenueNames::Skipped).await?;
        assert_eq!(alone.people.len(), 1);
        assert_eq!(alone.people[0].visits, gathered.people[1].visits);
        assert!(alone.venue_names.is_empty(), "names skipped when not asked");
        assert!(alone.people[0].statuses.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn a_designation_is_found_among_more_places_than_one_statement_asks() -> Result<(), Error>
    {
        let (_dir, store) = Store::open_temporary().await?;
        let visitor = resident(&store, "HKID:K000001(9)", "bldg-b").await?;
        // 1,500 venues, a minute apart: two statements' worth of places,
        // the designated one sorting last.
        let visits = (0..1500)
            .map(|n| {
                let at = datetime!(2022-12-08 00:00 UTC) + time::Duration::minutes(n);
                VisitRecord::check(
                    json!({"venue_id": format!("venue-{n:04}"), "check_in": at.format(&time::format_description::well_known::Rfc3339).ok()}),
                    NOW,
                )
                .map_err(|_| Error::NotFound { what: "visit" })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        store.store_visits(&visitor.id, &visits, NOW).await?;
        let authority = Actor::Staff("test".into());
        let health = Submitter {
            actor: &authority,
            source: "api",
        };
        let record = json!({"place": "venue-1499", "start": "2022-12-01T00:00:00Z", "end": null});
        submit(
            &store,
            FeedKind::Designations,
            &[(String::new(), record)],
            health,
            NOW,
        )
        .await?;
        let mut conn = store.pool().acquire().await?;
        let gathered = gather(&store, &mut conn, &[visitor], NOW, VenueNames::Skipped).await?;
        assert_eq!(gathered.people[0].visits.len(), 1500);
        let reasons: Vec<Reason> = evaluate(&gathered.people[0], &gathered.designations, NOW)
            .reasons
            .into_iter()
            .collect();
        assert_eq!(reasons, [Reason::HighRiskVisit]);
        Ok(())
    }
}
