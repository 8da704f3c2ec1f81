//! Every event the generators make, and every odd event the conformance suite feeds detectors,
//! survives a serde round trip unchanged: the schema's JSON form loses nothing.

use palisade_schema::Event;
use palisade_testkit::conformance::odd_events;
use palisade_testkit::{generate, AttackKind, PopulationConfig};

fn round_trip(events: &[Event]) {
    for e in events {
        let json = serde_json::to_string(e).expect("events serialize");
        let back: Event = serde_json::from_str(&json).expect("serialized events parse");
        assert_eq!(&back, e, "{json}");
    }
}

#[test]
fn generated_populations_round_trip() {
    for seed in [1, 2, 3] {
        let scenario = generate(&PopulationConfig::small(seed), &AttackKind::ALL);
        assert!(scenario.events.len() > 100);
        round_trip(&scenario.events);
    }
}

#[test]
fn odd_events_round_trip() {
    round_trip(&odd_events());
}
