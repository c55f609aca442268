//! The in-memory revocation set a verifier checks on its hot path.

use std::collections::HashMap;

use healthcode_keys::TokenId;
use time::OffsetDateTime;

use healthcode_keys::revocation::Revocation;

/// Revocations by token id. Additive: an entry leaves only when the code it
/// revokes has expired, so a source that lost its data (a Redis restarted
/// without persistence, a failover, an old backup) cannot un-revoke a code.
#[derive(Debug, Clone, Default)]
pub struct RevocationSet {
    entries: HashMap<TokenId, Revocation>,
}

impl RevocationSet {
    /// Adds `revocation`; an entry already held is kept (the first word stands).
    /// True when it was new.
    pub fn insert(&mut self, revocation: Revocation) -> bool {
        let mut added = false;
        self.entries.entry(revocation.token_id).or_insert_with(|| {
            added = true;
            revocation
        });
        added
    }

    /// Adds every revocation of `all` (a resync); never removes. Returns how many were new.
    pub fn merge(&mut self, all: impl IntoIterator<Item = Revocation>) -> usize {
        all.into_iter().filter(|r| self.insert(r.clone())).count()
    }

    /// Drops the revocations of codes that have expired by `now`.
    pub fn prune(&mut self, now: OffsetDateTime) {
        self.entries.retain(|_, r| r.until >= now);
    }

    /// The revocation of `token_id`, if any.
    pub fn get(&self, token_id: &TokenId) -> Option<&Revocation> {
        self.entries.get(token_id)
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when none are.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All held revocations, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Revocation> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, macros::datetime};

    use super::*;
    use healthcode_keys::revocation::RevocationReason;

    fn revocation(id: u8, until: OffsetDateTime) -> Revocation {
        Revocation {
            token_id: TokenId::from_bytes([id; 12]),
            reason: RevocationReason::RiskChanged,
            revoked_at: until - Duration::hours(3),
            until,
        }
    }

    #[test]
    fn a_resync_only_adds() {
        let until = datetime!(2022-12-10 15:59:59 UTC);
        let mut set = RevocationSet::default();
        set.insert(revocation(1, until));
        // A source that lost revocation 1 resyncs with only revocation 2.
        assert_eq!(set.merge([revocation(2, until)]), 1);
        assert!(
            set.get(&TokenId::from_bytes([1; 12])).is_some(),
            "not un-revoked"
        );
        assert_eq!(set.len(), 2);
        assert_eq!(set.merge([revocation(2, until)]), 0, "idempotent");
    }

    #[test]
    fn entries_leave_when_their_code_expires() {
        let until = datetime!(2022-12-10 15:59:59 UTC);
        let mut set = RevocationSet::default();
        set.insert(revocation(1, until));
        assert!(!set.is_empty());
        assert_eq!(
            set.iter().map(|r| r.token_id).collect::<Vec<_>>(),
            [TokenId::from_bytes([1; 12])]
        );
        set.prune(until);
        assert_eq!(set.len(), 1, "kept through the code's last second");
        set.prune(until + Duration::seconds(1));
        assert!(set.is_empty());
    }

    #[test]
    fn json_round_trip_and_strictness() {
        let r = revocation(3, datetime!(2022-12-10 15:59:59 UTC));
        assert_eq!(Revocation::from_json(&r.to_json()).ok(), Some(r.clone()));
        let extra = r.to_json().replacen('{', "{\"x\":1,", 1);
        assert!(Revocation::from_json(&extra).is_err());
        assert!(Revocation::from_json("{}").is_err());
        assert!("risk_changed".parse::<RevocationReason>().is_ok());
        assert!("covid".parse::<RevocationReason>().is_err());
    }
}
