//! Structure-aware property test: records built from Entra's own keys (Graph `signIn`, Azure
//! Monitor envelope, directory audit) with random JSON types and values never panic the adapter,
//! and whatever it accepts has a plausible time.

#![cfg(feature = "entra")]

mod support;

use palisade_ingest::{entra::Entra, Adapter, Notes, Parsed};
use palisade_schema::Timestamp;
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "id",
    "createdDateTime",
    "userPrincipalName",
    "userId",
    "userDisplayName",
    "appDisplayName",
    "appId",
    "ipAddress",
    "clientAppUsed",
    "correlationId",
    "isInteractive",
    "signInEventTypes",
    "status",
    "errorCode",
    "failureReason",
    "additionalDetails",
    "location",
    "city",
    "state",
    "countryOrRegion",
    "geoCoordinates",
    "latitude",
    "longitude",
    "deviceDetail",
    "deviceId",
    "userAgent",
    "riskLevelDuringSignIn",
    "riskLevelAggregated",
    "riskState",
    "riskEventTypes",
    "riskEventTypes_v2",
    "networkLocationDetails",
    "networkType",
    "networkNames",
    "authenticationDetails",
    "authenticationMethod",
    "authenticationStepResultDetail",
    "succeeded",
    "authenticationRequirement",
    "mfaDetail",
    "authMethod",
    "authDetail",
    "autonomousSystemNumber",
    "sessionId",
    "tenantId",
    "homeTenantId",
    "servicePrincipalName",
    "servicePrincipalId",
    "time",
    "category",
    "operationName",
    "callerIpAddress",
    "properties",
    "activityDisplayName",
    "activityDateTime",
    "loggedByService",
    "initiatedBy",
    "user",
    "targetResources",
];

const STRINGS: &[&str] = &[
    "",
    "2024-05-01T09:00:00Z",
    "2019-10-18T04:45:48.0729893-05:00",
    "1969-12-31T23:59:59Z",
    "9999-01-01T00:00:00Z",
    "yesterday",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "AuditLogs",
    "Update StsRefreshTokenValidFrom Timestamp",
    "Mobile app notification",
    "MFA denied; user declined the authentication",
    "MFA denied; Phone App Reported Fraud",
    "500121",
    "50126",
    "1.2.3.4:443",
    "[::1]:80",
    "::ffff:1.2.3.4",
    "alice@contoso.com",
    "é",
    "nonInteractiveUser",
    "high",
    "-91",
    "NaN",
];

const BASE: &str =
    "\"id\":\"p1\",\"createdDateTime\":\"2024-05-01T09:00:00Z\",\"status\":{\"errorCode\":500121},";

fn record() -> impl Strategy<Value = Vec<u8>> {
    support::noisy_record(KEYS, STRINGS, &[500121, 0, 50074, 50126, -1], BASE)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn never_panics(bytes in record()) {
        let mut out = Vec::new();
        let mut notes = Notes::default();
        let _ = Entra.sniff(&bytes);
        match Entra.parse(&bytes, &mut out, &mut notes) {
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
        let _ = Entra.sniff(&bytes);
        let _ = Entra.parse(&bytes, &mut out, &mut Notes::default());
    }
}
