//! Structure-aware property test: records built from the Microsoft 365 audit log's own keys with
//! random JSON types and values never panic the adapter, and whatever it accepts has a plausible
//! time.

#![cfg(feature = "m365")]

use palisade_ingest::{m365::M365, Adapter, Notes, Parsed};
use palisade_schema::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "CreationTime",
    "Id",
    "Operation",
    "Workload",
    "RecordType",
    "UserId",
    "UserKey",
    "OrganizationId",
    "ClientIP",
    "ClientIPAddress",
    "ActorIpAddress",
    "ResultStatus",
    "ExtendedProperties",
    "DeviceProperties",
    "ErrorNumber",
    "LogonError",
    "Parameters",
    "OperationProperties",
    "Name",
    "Value",
    "ObjectId",
    "SourceFileName",
    "Folders",
    "Path",
    "OperationCount",
    "MailboxOwnerUPN",
    "SessionId",
    "UserAgent",
    "ActionType",
    "Recipients",
    "ForwardFlags",
];

const STRINGS: &[&str] = &[
    "",
    "2024-05-01T09:00:00",
    "2024-05-01T09:00:00Z",
    "1969-12-31T23:59:59",
    "yesterday",
    "UserLoggedIn",
    "UserLoginFailed",
    "New-InboxRule",
    "Set-InboxRule",
    "Remove-InboxRule",
    "UpdateInboxRules",
    "Set-Mailbox",
    "MailItemsAccessed",
    "FileDownloaded",
    "ForwardTo",
    "RedirectTo",
    "MoveToFolder",
    "MarkAsRead",
    "True",
    "False",
    "ForwardingSmtpAddress",
    "smtp:",
    "RuleActions",
    "RuleCondition",
    "RuleOperation",
    "RuleName",
    "[{\"ActionType\":\"Forward\",\"Recipients\":[\"a@b.c\"]}]",
    "(SubjectProperty)=",
    "SenderSearchKey Equal SMTP:",
    "500121",
    "1.2.3.4:443",
    "[::1]:80",
    "<null>",
    "é",
    "urn:spo:guest#",
];

const BASE: &str =
    "\"CreationTime\":\"2024-05-01T09:00:00\",\"Id\":\"p1\",\"Operation\":\"UpdateInboxRules\",";

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![Just(500121i64), Just(0), Just(50074), Just(50126), Just(-1)]
            .prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        proptest::sample::select(STRINGS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((proptest::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn record() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((proptest::sample::select(KEYS), json()), 0..24),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|(kv, dup, cut)| {
            let mut text = String::from("{");
            if cut % 2 == 0 {
                // A valid core first, so that the random keys (which win as later duplicates)
                // reach the mapping code, not just the first checks.
                text.push_str(BASE);
                if kv.is_empty() {
                    text.pop();
                }
            }
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                // Written by hand so that repeated keys stay repeated.
                text.push_str(&format!("{:?}:{}", k, v));
                if dup && i == 0 {
                    text.push_str(&format!(",{:?}:{}", k, v));
                }
            }
            text.push('}');
            let mut bytes = text.into_bytes();
            if cut == 7 {
                let at = bytes.len() / 2;
                bytes.truncate(at);
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn never_panics(bytes in record()) {
        let mut out = Vec::new();
        let mut notes = Notes::default();
        let _ = M365.sniff(&bytes);
        match M365.parse(&bytes, &mut out, &mut notes) {
            Ok(Parsed::Events) => {
                prop_assert!(!out.is_empty());
                for e in &out {
                    prop_assert!(e.time >= Timestamp::MIN_PLAUSIBLE && e.time < Timestamp::MAX_PLAUSIBLE);
                }
            }
            Ok(Parsed::Unsupported(_)) | Err(_) => prop_assert!(out.is_empty()),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut out = Vec::new();
        let _ = M365.sniff(&bytes);
        let _ = M365.parse(&bytes, &mut out, &mut Notes::default());
    }
}
