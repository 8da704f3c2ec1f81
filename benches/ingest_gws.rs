//! Google Workspace Reports adapter throughput (MB/s, events/s) next to a plain
//! `serde_json::Value` parse of the same generated activities, in the same run.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::gws::GoogleWorkspace;

mod common;

const EVENTS: &[&str] = &[
    r#"{"type":"login","name":"login_success","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["password","google_prompt"]},{"name":"is_suspicious","boolValue":false}]}"#,
    r#"{"type":"login","name":"login_failure","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","value":"password"},{"name":"login_failure_type","value":"login_failure_invalid_password"}]}"#,
    r#"{"type":"login","name":"login_verification","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["security_key"]},{"name":"login_challenge_status","value":"passed"},{"name":"is_second_factor","boolValue":true}]}"#,
    r#"{"type":"login","name":"logout","parameters":[{"name":"login_type","value":"google_password"}]}"#,
];

/// One realistic Reports API login activity, varied by `i`.
fn record(i: u64) -> String {
    let user = i % 5_000;
    let (a, b) = ((i / 7) % 250, (i / 3) % 250);
    let sec = i % 86_400;
    let event = EVENTS[(i % EVENTS.len() as u64) as usize];
    format!(
        r#"{{"kind":"admin#reports#activity","id":{{"time":"2025-02-27T{:02}:{:02}:{:02}.481Z","uniqueQualifier":"{}","applicationName":"login","customerId":"C03az79cb"}},"etag":"\"Q2W123123123123/abcdefghijklmnop\"","actor":{{"callerType":"USER","email":"user{user}@company.com","profileId":"1{user:020}"}},"ownerDomain":"company.com","ipAddress":"81.2.{a}.{b}","networkInfo":{{"ipAsn":[20712],"regionCode":"GB","subdivisionCode":"GB-LND"}},"events":[{event}]}}"#,
        sec / 3600,
        (sec / 60) % 60,
        sec % 60,
        (i as i64).wrapping_mul(7_919) - 4_000_000,
    )
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "gws", &GoogleWorkspace, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
