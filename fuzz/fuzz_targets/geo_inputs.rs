//! Fuzzes the files a user hands the geolocation layer: egress list files (text in the
//! registry's format) and `.mmdb` databases. Loading keeps every good line and reports the
//! others by line; a damaged database is refused or answers nothing for what it cannot read.
//! Nothing may panic out of the library. The first byte picks the reader, and for databases
//! whether the rest is a file as it is or the damage done to a valid one (bytes overwritten
//! where the input says, so the damage reaches the search tree and the data section).
#![no_main]

mod damage;
#[path = "../../crates/geo/tests/support/mmdb_writer.rs"]
#[allow(dead_code)]
mod mmdb_writer;

use std::net::IpAddr;
use std::sync::OnceLock;

use damage::damaged;
use libfuzzer_sys::fuzz_target;
use palisade_geo::{EgressRegistry, GeoError, GeoResolver, MmdbResolver};

/// Addresses in the valid databases' networks, and a few at the edges.
const PROBES: [&str; 8] = [
    "81.2.69.142",
    "89.160.20.115",
    "203.0.113.7",
    "10.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "2001:db8:100::1",
    "::ffff:1.2.3.4",
];

/// Valid databases to damage: a City and an ASN file.
fn valid() -> &'static [Vec<u8>; 2] {
    static VALID: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    VALID.get_or_init(|| [mmdb_writer::test_city_db(), mmdb_writer::test_asn_db()])
}

fuzz_target!(
    init: {
        // The database reader is wrapped in `catch_unwind` inside the library; the fuzzer's own
        // hook would abort before that catches anything. A panic that escapes the library still
        // reaches the fuzzer's `catch_unwind` and aborts there, so it is still found.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let Some((&pick, rest)) = data.split_first() else {
            return;
        };
        let probes = PROBES.iter().filter_map(|p| p.parse::<IpAddr>().ok());
        if pick % 4 == 0 {
            let text = String::from_utf8_lossy(rest);
            let lines = text.lines().count().max(1);
            let mut registry = EgressRegistry::new();
            for problem in registry.add_text(&text, "fuzz.txt") {
                match problem {
                    GeoError::Parse { file, line, .. } => {
                        assert_eq!(file, "fuzz.txt");
                        assert!((1..=lines + 1).contains(&line), "line {line} of {lines}");
                    }
                    other => panic!("a list file's problem is a parse error: {other}"),
                }
            }
            for ip in probes {
                let _ = registry.lookup(Some(ip), Some(13_335));
            }
        } else {
            let bytes = match pick % 4 {
                1 => rest.to_vec(),
                k => damaged(&valid()[usize::from(k - 2)], rest),
            };
            let mut db = MmdbResolver::new();
            if db.add_bytes(bytes, "fuzz.mmdb").is_ok() {
                for ip in probes {
                    let _ = db.resolve(ip);
                    let _ = db.network(ip);
                }
            }
        }
    }
);
