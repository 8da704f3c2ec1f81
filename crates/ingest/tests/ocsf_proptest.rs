//! Structure-aware property test: OCSF records whose own keys hold random JSON of any type never
//! panic the adapter, and whatever it accepts has a plausible time.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "ocsf")]

use palisade_ingest::ocsf::Ocsf;
use palisade_ingest::{Adapter, Notes, Parsed};
use palisade_schema::Timestamp;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0i64..5).prop_map(|n| Value::from(3000 + n)),
        (1_500_000_000i64..1_800_000_000).prop_map(Value::from),
        (1_500_000_000_000i64..1_800_000_000_000).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(json!("2024-08-13T15:58:20Z")),
        Just(json!("::ffff:10.0.0.1")),
        Just(json!("-")),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const TOP: &[&str] = &[
    "class_uid",
    "activity_id",
    "time",
    "time_dt",
    "status_id",
    "status",
    "status_code",
    "status_detail",
    "is_mfa",
    "auth_factors",
    "policy",
    "policies",
    "service",
    "session",
    "device",
    "http_request",
];

/// An object with OCSF keys; each nested OCSF object either gets its real keys or random JSON.
fn ocsf_record() -> impl Strategy<Value = Value> {
    let top = proptest::collection::btree_map(proptest::sample::select(TOP), any_json(), 0..10);
    let user = || {
        proptest::collection::btree_map(
            proptest::sample::select(&["name", "email_addr", "uid", "type_id"][..]),
            any_json(),
            0..4,
        )
    };
    let location = proptest::collection::btree_map(
        proptest::sample::select(
            &[
                "lat",
                "long",
                "coordinates",
                "city",
                "country",
                "region",
                "isp",
            ][..],
        ),
        any_json(),
        0..6,
    );
    let endpoint_extra = (any_json(), any_json(), any_json());
    (top, user(), user(), location, endpoint_extra, any::<u8>()).prop_map(
        |(top, actor_user, user, location, (ip, asn, meta), shape)| {
            let mut obj: Map<String, Value> =
                top.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let to_obj = |m: std::collections::BTreeMap<&str, Value>| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            };
            if shape & 1 != 0 {
                obj.insert("user".into(), to_obj(user));
            }
            if shape & 2 != 0 {
                obj.insert("actor".into(), json!({"user": to_obj(actor_user), "session": meta.clone()}));
            }
            if shape & 4 != 0 {
                obj.insert(
                    "src_endpoint".into(),
                    json!({"ip": ip, "location": to_obj(location), "autonomous_system": {"number": asn, "name": "x"}}),
                );
            }
            if shape & 8 != 0 {
                obj.insert("metadata".into(), json!({"uid": meta, "correlation_uid": "c"}));
            }
            if shape & 16 != 0 {
                obj.insert("class_uid".into(), json!(3002 - i64::from(shape & 32 != 0)));
                obj.insert("time".into(), json!(1_715_590_800_000i64));
            }
            Value::Object(obj)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn ocsf_shaped_input_never_panics(record in ocsf_record()) {
        let bytes = serde_json::to_vec(&record).unwrap();
        let mut out = Vec::new();
        let mut notes = Notes::default();
        match Ocsf.parse(&bytes, &mut out, &mut notes) {
            Ok(Parsed::Events) => {
                prop_assert_eq!(out.len(), 1);
                let t = out[0].time;
                prop_assert!(t >= Timestamp::MIN_PLAUSIBLE && t < Timestamp::MAX_PLAUSIBLE);
                prop_assert!(out[0].origin.geo.is_none_or(|g| g.lat.abs() <= 90.0 && g.lon.abs() <= 180.0));
            }
            Ok(Parsed::Unsupported(kind)) => prop_assert!(kind.starts_with("ocsf class ")),
            Err(_) => prop_assert!(out.is_empty()),
        }
    }

    #[test]
    fn ocsf_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut out = Vec::new();
        let _ = Ocsf.parse(&bytes, &mut out, &mut Notes::default());
    }
}
