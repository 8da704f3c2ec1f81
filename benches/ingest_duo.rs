//! Duo authentication log adapter throughput (MB/s, events/s) next to a plain
//! `serde_json::Value` parse of the same generated records, in the same run.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::duo::Duo;

mod common;

const OUTCOMES: &[(&str, &str, &str)] = &[
    ("duo_push", "success", "user_approved"),
    ("duo_push", "denied", "user_mistake"),
    ("duo_push", "fraud", "user_marked_fraud"),
    ("phone_call", "success", "user_approved"),
    ("duo_push", "denied", "no_response"),
];

/// One realistic Duo Admin API v2 authentication log object, varied by `i`.
fn record(i: u64) -> String {
    let (factor, result, reason) = OUTCOMES[(i % OUTCOMES.len() as u64) as usize];
    let user = i % 5_000;
    let (a, b) = ((i / 7) % 250, (i / 3) % 250);
    let ip = if i % 10 == 0 {
        format!("89.160.{a}.{b}:4321")
    } else {
        format!("89.160.{a}.{b}")
    };
    let ts = 1_627_024_774 + i % 86_400;
    format!(
        r#"{{"access_device":{{"browser":"Chrome","browser_version":"92.0.4515.107","epkey":"EP18JX1A10AB102M2T2X","flash_version":"uninstalled","hostname":null,"ip":"{ip}","is_encryption_enabled":"unknown","is_firewall_enabled":"unknown","is_password_set":"unknown","java_version":"uninstalled","location":{{"city":"Ann Arbor","country":"United States","state":"Michigan"}},"os":"Windows","os_version":"10","security_agents":[]}},"adaptive_trust_assessments":{{"more_secure_auth":{{"detected_attack_detectors":["NOVEL_ASN"],"features_version":"3.0","model_version":"2022.07.19.001","policy_enabled":false,"reason":"Low level of trust; detection of one or more known attack patterns","trust_level":"LOW"}},"remember_me":{{"features_version":"3.0","model_version":"2022.07.19.001","policy_enabled":false,"reason":"Known Access IP","trust_level":"NORMAL"}}}},"alias":"","application":{{"key":"DIY231J8BR23QK4UKBY8","name":"Microsoft Azure Active Directory"}},"auth_device":{{"ip":"81.2.69.{b}","key":"DP5BJ05HI4WRBVI4Q7JF","location":{{"city":"Ann Arbor","country":"United States","state":"Michigan"}},"name":"My iPhone X (734-555-2342)"}},"email":"user{user}@example.com","event_type":"authentication","factor":"{factor}","isotimestamp":"2021-07-23T07:19:34.702203+00:00","ood_software":null,"reason":"{reason}","result":"{result}","timestamp":{ts},"trusted_endpoint_status":"not trusted","txid":"e22120cd-7388-424f-aa0a-{i:012x}","user":{{"groups":["Duo Users","CorpHQ Users"],"key":"DU3KC77WJ06Y5HIV7XKQ","name":"user{user}"}}}}"#
    )
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "duo", &Duo, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
