//! Okta System Log adapter throughput (MB/s, events/s) next to a plain `serde_json::Value` parse
//! of the same generated records, in the same run.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::okta::Okta;

mod common;

const EVENT_TYPES: &[(&str, &str, &str)] = &[
    ("user.session.start", "SUCCESS", "null"),
    ("user.session.start", "FAILURE", "\"INVALID_CREDENTIALS\""),
    ("user.authentication.sso", "SUCCESS", "null"),
    ("user.authentication.auth_via_mfa", "SUCCESS", "null"),
    ("system.push.send_factor_verify_push", "SUCCESS", "null"),
    ("user.mfa.okta_verify.deny_push", "FAILURE", "\"REJECTED\""),
    ("policy.evaluate_sign_on", "ALLOW", "null"),
];

/// One realistic ~2.4 KB System Log event, varied by `i`.
fn record(i: u64) -> String {
    let (event_type, result, reason) = EVENT_TYPES[(i % EVENT_TYPES.len() as u64) as usize];
    let user = i % 5_000;
    let (a, b) = ((i / 7) % 250, (i / 3) % 250);
    let minute = i % 1_440;
    format!(
        r#"{{"actor":{{"id":"00u{user:016}","type":"User","alternateId":"user{user}@example.com","displayName":"User {user}","detailEntry":null}},"client":{{"userAgent":{{"rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36","os":"Mac OS X","browser":"CHROME"}},"zone":"null","device":"Computer","id":null,"ipAddress":"81.2.{a}.{b}","geographicalContext":{{"city":"London","state":"England","country":"United Kingdom","postalCode":"EC2V","geolocation":{{"lat":51.5142,"lon":-0.0931}}}}}},"device":null,"authenticationContext":{{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0,"rootSessionId":"idx{i:020}","externalSessionId":"idx{i:020}"}},"displayMessage":"User login to Okta","eventType":"{event_type}","outcome":{{"result":"{result}","reason":{reason}}},"published":"2024-08-13T{:02}:{:02}:20.353Z","securityContext":{{"asNumber":20712,"asOrg":"andrews & arnold ltd","isp":"andrews & arnold ltd","domain":"aa.net.uk","isProxy":false}},"severity":"INFO","debugContext":{{"debugData":{{"requestId":"ab609228fe84ce59cdcbfa690bcce016","requestUri":"/idp/idx/authenticators/poll","url":"/idp/idx/authenticators/poll","behaviors":"{{New Geo-Location=NEGATIVE, New Device=POSITIVE, New IP=NEGATIVE, New State=NEGATIVE, New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}}","risk":"{{level=LOW}}","factor":"OKTA_VERIFY_PUSH","threatSuspected":"false"}}}},"legacyEventType":"core.user_auth.login_success","transaction":{{"type":"WEB","id":"tx{i:018}","detail":{{}}}},"uuid":"dc9fd3c0-598c-11ef-{:04x}-{i:012x}","version":"0","request":{{"ipChain":[{{"ip":"81.2.{a}.{b}","geographicalContext":{{"city":"London","state":"England","country":"United Kingdom","postalCode":"EC2V","geolocation":{{"lat":51.5142,"lon":-0.0931}}}},"version":"V4","source":null}}]}},"target":[{{"id":"pfdfdhyjf0HMbkP2e1d7","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"Okta Verify","detailEntry":null}},{{"id":"0oatxlef9sQvvqInq5d6","type":"AppInstance","alternateId":"Okta Admin Console","displayName":"Okta Admin Console","detailEntry":null}}]}}"#,
        minute / 60,
        minute % 60,
        i % 0xffff,
    )
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "okta", &Okta, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
