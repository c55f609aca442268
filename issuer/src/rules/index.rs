//! High-risk designations indexed by place: the cost of a lookup depends on
//! the designations of that place only, never on the others.

use std::collections::HashMap;

use super::{facts::Designation, interval::Interval};

/// All designations, by place id.
#[derive(Debug, Clone, Default)]
pub struct Designations {
    by_place: HashMap<String, Vec<Interval>>,
}

impl Designations {
    /// An index of `designations`.
    pub fn new<'a>(designations: impl IntoIterator<Item = &'a Designation>) -> Self {
        let mut index = Designations::default();
        for designation in designations {
            index.insert(designation);
        }
        index
    }

    /// Adds one designation.
    pub fn insert(&mut self, designation: &Designation) {
        self.by_place
            .entry(designation.place.clone())
            .or_default()
            .push(Interval::half_open(designation.start, designation.end));
    }

    /// The designations of `place` that share an instant with `interval`.
    pub fn touching<'a>(
        &'a self,
        place: &str,
        interval: Interval,
    ) -> impl Iterator<Item = Interval> + use<'a> {
        self.by_place
            .get(place)
            .into_iter()
            .flatten()
            .copied()
            .filter(move |d| !d.intersect(interval).is_empty())
    }
}
