//! Intervals of time with open or closed ends, and whether several share an instant.
//!
//! The spec mixes kinds: the window `(now − N days, now]` is open at the
//! start, visits and designations are `[start, end)`, a check-in without
//! check-out is the single instant `[start, start]`, and an ongoing
//! designation has no end. One type covers them all.

use time::OffsetDateTime;

/// One end of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The instant.
    pub at: OffsetDateTime,
    /// Whether the instant itself belongs to the interval.
    pub closed: bool,
}

/// A set of instants between two bounds; `end: None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// The start.
    pub start: Bound,
    /// The end, or `None` for no end.
    pub end: Option<Bound>,
}

impl Interval {
    /// `[start, end)`, or `[start, ∞)` without an end.
    pub fn half_open(start: OffsetDateTime, end: Option<OffsetDateTime>) -> Self {
        Interval {
            start: Bound {
                at: start,
                closed: true,
            },
            end: end.map(|at| Bound { at, closed: false }),
        }
    }

    /// The single instant `[at, at]`.
    pub fn instant(at: OffsetDateTime) -> Self {
        Interval {
            start: Bound { at, closed: true },
            end: Some(Bound { at, closed: true }),
        }
    }

    /// `(from, to]`: "in the past N days" with `from = now − N days`, `to = now`.
    pub fn window(from: OffsetDateTime, to: OffsetDateTime) -> Self {
        Interval {
            start: Bound {
                at: from,
                closed: false,
            },
            end: Some(Bound {
                at: to,
                closed: true,
            }),
        }
    }

    /// The instants both share.
    pub fn intersect(self, other: Interval) -> Interval {
        Interval {
            start: later_start(self.start, other.start),
            end: earlier_end(self.end, other.end),
        }
    }

    /// True when the interval holds at least one instant.
    pub fn is_empty(self) -> bool {
        match self.end {
            None => false,
            Some(end) => {
                self.start.at > end.at
                    || (self.start.at == end.at && !(self.start.closed && end.closed))
            }
        }
    }
}

/// The later start; at a tie, open if either is open.
fn later_start(a: Bound, b: Bound) -> Bound {
    match a.at.cmp(&b.at) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => Bound {
            at: a.at,
            closed: a.closed && b.closed,
        },
    }
}

/// The earlier end; `None` is no end; at a tie, open if either is open.
fn earlier_end(a: Option<Bound>, b: Option<Bound>) -> Option<Bound> {
    match (a, b) {
        (None, end) | (end, None) => end,
        (Some(a), Some(b)) => Some(match a.at.cmp(&b.at) {
            std::cmp::Ordering::Less => a,
            std::cmp::Ordering::Greater => b,
            std::cmp::Ordering::Equal => Bound {
                at: a.at,
                closed: a.closed && b.closed,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, macros::datetime};

    use super::*;

    const T: OffsetDateTime = datetime!(2022-12-10 00:00 UTC);

    fn h(hours: i64) -> OffsetDateTime {
        T + Duration::hours(hours)
    }

    #[test]
    fn half_open_ends_exclude_their_end() {
        let a = Interval::half_open(h(0), Some(h(2)));
        assert!(
            a.intersect(Interval::half_open(h(2), Some(h(3))))
                .is_empty()
        );
        assert!(
            !a.intersect(Interval::half_open(h(1), Some(h(3))))
                .is_empty()
        );
        assert!(!a.intersect(Interval::instant(h(0))).is_empty());
        assert!(a.intersect(Interval::instant(h(2))).is_empty());
    }

    #[test]
    fn window_excludes_its_start_includes_its_end() {
        let w = Interval::window(h(0), h(10));
        assert!(w.intersect(Interval::instant(h(0))).is_empty());
        assert!(!w.intersect(Interval::instant(h(10))).is_empty());
        assert!(w.intersect(Interval::instant(h(11))).is_empty());
        // A designation ending exactly at the window's start shares nothing.
        assert!(
            w.intersect(Interval::half_open(h(-5), Some(h(0))))
                .is_empty()
        );
        assert!(
            !w.intersect(Interval::half_open(
                h(-5),
                Some(h(0) + Duration::nanoseconds(1))
            ))
            .is_empty()
        );
        assert!(!w.intersect(Interval::half_open(h(10), None)).is_empty());
        assert!(w.intersect(Interval::half_open(h(11), None)).is_empty());
    }

    #[test]
    fn empty_half_open_interval() {
        assert!(Interval::half_open(h(1), Some(h(1))).is_empty());
        assert!(!Interval::instant(h(1)).is_empty());
    }
}
