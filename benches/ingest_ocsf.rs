//! OCSF ingest throughput: the adapter next to a plain `serde_json::Value` parse of the same
//! Authentication (3002) records, and the full driver (reader + detection + adapter).

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use palisade_ingest::{ocsf::Ocsf, Ingest};

#[path = "common/mod.rs"]
mod common;

const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
const CITIES: [(&str, &str, f64, f64, u32, &str); 4] = [
    (
        "London",
        "GB",
        51.5142,
        -0.0931,
        20712,
        "Andrews & Arnold Ltd",
    ),
    ("Linköping", "SE", 58.4167, 15.6167, 29518, "Bredband2 AB"),
    (
        "New York",
        "US",
        40.7128,
        -74.006,
        7922,
        "Comcast Cable Communications, LLC",
    ),
    (
        "Changchun",
        "CN",
        43.88,
        125.3228,
        4837,
        "CHINA UNICOM China169 Backbone",
    ),
];

/// One OCSF 1.3 Authentication record in the shape IdP mappings emit (~1.9 KB with `unmapped`).
fn record(i: u64) -> String {
    let user = USERS[(i % USERS.len() as u64) as usize];
    let (city, country, lat, long, asn, org) = CITIES[(i / 7 % CITIES.len() as u64) as usize];
    let failed = i % 5 == 0;
    let (status_id, status, detail) = if failed {
        (2, "Failure", "INVALID_CREDENTIALS")
    } else {
        (1, "Success", "")
    };
    let time = 1_715_590_800_000u64 + i * 1_375;
    format!(
        concat!(
            r#"{{"activity_id":1,"activity_name":"Logon","category_uid":3,"category_name":"Identity & Access Management","#,
            r#""class_uid":3002,"class_name":"Authentication","type_uid":300201,"type_name":"Authentication: Logon","#,
            r#""severity_id":1,"severity":"Informational","time":{time},"time_dt":"2024-05-13T09:00:00.000Z","#,
            r#""status_id":{status_id},"status":"{status}","status_detail":"{detail}","is_mfa":{mfa},"#,
            r#""auth_protocol_id":5,"auth_protocol":"SAML","logon_type_id":99,"logon_type":"Other","#,
            r#""message":"User login to Okta","#,
            r#""metadata":{{"uid":"evt-{i:012}","correlation_uid":"txn-{txn}","version":"1.3.0","profiles":["datetime","host"],"#,
            r#""product":{{"name":"Okta System Log","vendor_name":"Okta","version":"0"}},"event_code":"user.session.start"}},"#,
            r#""actor":{{"session":{{"uid":"idx{i:020}"}},"user":{{"email_addr":"{user}@contoso.example","name":"{user}","type":"User","type_id":1,"uid":"00u{i:017}"}}}},"#,
            r#""user":{{"email_addr":"{user}@contoso.example","name":"{user}","type":"User","type_id":1,"uid":"00u{i:017}"}},"#,
            r#""device":{{"uid":"guo{dev:017}","name":"Mac15,6","type":"Unknown","type_id":0}},"#,
            r#""http_request":{{"uid":"ab609228fe84ce59cdcbfa690bcce016","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36"}},"#,
            r#""src_endpoint":{{"ip":"81.2.69.{oct}","autonomous_system":{{"number":{asn},"name":"{org}"}},"#,
            r#""location":{{"city":"{city}","country":"{country}","lat":{lat},"long":{long},"postal_code":"10013"}},"#,
            r#""os":{{"name":"Mac OS X","type":"macOS","type_id":300}}}},"#,
            r#""dst_endpoint":{{"svc_name":"/idp/idx/authenticators/poll"}},"#,
            r#""observables":[{{"name":"src_endpoint.ip","type":"IP Address","type_id":2,"value":"81.2.69.{oct}"}},"#,
            r#"{{"name":"actor.user.name","type":"User Name","type_id":4,"value":"{user}"}}],"#,
            r#""unmapped":{{"securityContext":{{"isProxy":false}},"authenticationContext":{{"authenticationStep":0,"rootSessionId":"idx{i:020}"}},"#,
            r#""debugContext":{{"debugData":{{"requestUri":"/idp/idx/authenticators/poll","threatSuspected":"false","url":"/idp/idx/authenticators/poll?"}}}},"#,
            r#""target":[{{"id":"pfdfdhyjf0HMbkP2e1d7","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"Okta Verify"}}]}}}}"#,
        ),
        time = time,
        status_id = status_id,
        status = status,
        detail = detail,
        mfa = !failed,
        i = i,
        txn = i / 3,
        user = user,
        dev = i % 997,
        oct = i % 250 + 1,
        asn = asn,
        org = org,
        city = city,
        country = country,
        lat = lat,
        long = long,
    )
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "ocsf", &Ocsf, &data);

    let ingest = Ingest::new();
    let mut group = c.benchmark_group("ingest/ocsf_driver");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function(BenchmarkId::new("read_from", data.len()), |b| {
        b.iter(|| {
            let mut n = 0u64;
            let report = ingest.read_from(Path::new("bench"), &data[..], |_| n += 1, |_| {});
            black_box((n, report.events))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
