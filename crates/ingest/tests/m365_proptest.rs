//! Structure-aware property test: records built from the Microsoft 365 audit log's own keys with
//! random JSON types and values never panic the adapter, and whatever it accepts has a plausible
//! time.

#![cfg(feature = "m365")]

mod support;

use palisade_ingest::{m365::M365, Adapter, Notes, Parsed};
use palisade_schema::Timestamp;
use proptest::prelude::*;

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

fn record() -> impl Strategy<Value = Vec<u8>> {
    support::noisy_record(KEYS, STRINGS, &[500121, 0, 50074, 50126, -1], BASE)
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
