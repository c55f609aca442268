//! The colour rules at scale: one person with 31 days x 20 visits against
//! 1,000 to 100,000 designations spread over half as many places.
//!
//! `cargo bench -p healthcode-issuer --bench rules`
//!
//! Every visit is to a designated place, but no designation matches in time,
//! so no rule stops early: the worst case for the visit rule.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use healthcode_issuer::rules::{
    evaluate,
    facts::{Designation, Person, Visit},
    index::Designations,
};
use rand::{Rng as _, SeedableRng as _};
use time::{Duration, macros::datetime};

fn bench(c: &mut Criterion) {
    let now = datetime!(2022-12-10 01:00 UTC);
    let mut group = c.benchmark_group("rules_31x20_visits");
    for designations in [1_000usize, 10_000, 100_000] {
        let places = designations / 2;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(designations as u64);
        // Designated 60 to 40 days ago: before any visit of the last 31 days.
        let high_risk: Vec<Designation> = (0..designations)
            .map(|i| {
                let start =
                    now - Duration::days(60) + Duration::minutes(rng.gen_range(0..20 * 24 * 60));
                Designation {
                    place: format!("place-{:06}", i % places),
                    start,
                    end: Some(start + Duration::hours(6)),
                }
            })
            .collect();
        let visits: Vec<Visit> = (0..31 * 20)
            .map(|i| {
                let start = now - Duration::minutes(rng.gen_range(0..31 * 24 * 60));
                let end = (i % 3 != 0).then(|| start + Duration::minutes(45));
                Visit {
                    place: format!("place-{:06}", rng.gen_range(0..places)),
                    start,
                    end,
                }
            })
            .collect();
        let person = Person {
            visits,
            residence: Some("place-000001".into()),
            ..Person::default()
        };
        let index = Designations::new(&high_risk);
        assert!(
            evaluate(&person, &index, now).reasons.is_empty(),
            "the worst case matches nothing"
        );
        group.bench_with_input(
            BenchmarkId::new("evaluate", designations),
            &index,
            |b, index| b.iter(|| evaluate(std::hint::black_box(&person), index, now)),
        );
        if designations == 100_000 {
            // The floor: one hash lookup per visit, the least any index by place must do.
            let by_place: std::collections::HashMap<&str, usize> =
                high_risk.iter().map(|d| (d.place.as_str(), 0)).collect();
            group.bench_function(
                BenchmarkId::new("floor_hash_lookup_per_visit", designations),
                |b| {
                    b.iter(|| {
                        person
                            .visits
                            .iter()
                            .filter(|v| {
                                by_place.contains_key(std::hint::black_box(v.place.as_str()))
                            })
                            .count()
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
