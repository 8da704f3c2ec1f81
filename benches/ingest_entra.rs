//! Entra sign-in adapter throughput on ~100 MB of generated Azure Monitor `SignInLogs` records
//! (the real export shape, as in Elastic's and Sekoia's samples), next to a plain
//! `serde_json::Value` parse of the same bytes. `PALISADE_BENCH_MB` sets the size.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::entra::Entra;

const CITIES: &[(&str, &str, &str, f64, f64)] = &[
    ("Paris", "Paris", "FR", 48.8535, 2.3484),
    ("Bordeaux", "Gironde", "FR", 44.8404, -0.5805),
    ("London", "England", "GB", 51.5142, -0.0931),
    ("Redmond", "Washington", "US", 47.6805, -122.1209),
    ("Sydney", "New South Wales", "AU", -33.87, 151.21),
];

const OUTCOMES: &[(u32, &str, &str, &str, &str)] = &[
    (
        0,
        "",
        "MFA requirement satisfied by claim in the token",
        "Mobile app notification",
        "MFA successfully completed",
    ),
    (0, "", "", "Password", "Correct password"),
    (
        50126,
        "Error validating credentials due to invalid username or password.",
        "",
        "Password",
        "Invalid username or password or Invalid on-premise username or password.",
    ),
    (
        500121,
        "Authentication failed during strong authentication request.",
        "MFA denied; user declined the authentication",
        "Mobile app notification",
        "MFA denied; user declined the authentication",
    ),
    (
        50074,
        "Strong Authentication is required.",
        "MFA required in Azure AD",
        "Password",
        "Correct password",
    ),
];

fn record(i: u64) -> String {
    let (city, state, country, lat, lon) = CITIES[(i % 5) as usize];
    let (code, reason, details, method, step) = OUTCOMES[(i / 5 % 5) as usize];
    let category = if i % 3 == 0 {
        "NonInteractiveUserSignInLogs"
    } else {
        "SignInLogs"
    };
    let user = i % 5000;
    let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
    let day = 1 + i / 86400 % 28;
    let ip = format!("81.2.{}.{}", i / 256 % 256, i % 256);
    format!(
        r#"{{"time":"2024-05-{day:02}T{h:02}:{m:02}:{s:02}.2442191Z","resourceId":"/tenants/22222222-1111-1111-1111-222222222222/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"{category}","tenantId":"22222222-1111-1111-1111-222222222222","resultType":"{code}","resultSignature":"None","resultDescription":"{reason}","durationMs":0,"callerIpAddress":"{ip}","correlationId":"4444{i:08}-4444-4444-4444-444444444444","identity":"User {user}","Level":4,"location":"{country}","properties":{{"id":"7777{i:08}-7777-7777-7777-777777777777","createdDateTime":"2024-05-{day:02}T{h:02}:{m:02}:{s:02}.7974412+00:00","userDisplayName":"User {user}","userPrincipalName":"user{user}@contoso.com","userId":"{user:08}-1111-1111-1111-111111111111","agent":{{"agentType":"notAgentic","parentAppId":""}},"appId":"66666666-6666-6666-6666-666666666666","appDisplayName":"Office 365 Exchange Online","ipAddress":"{ip}","status":{{"errorCode":{code},"failureReason":"{reason}","additionalDetails":"{details}"}},"clientAppUsed":"Browser","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0","deviceDetail":{{"deviceId":"","operatingSystem":"Windows10","browser":"Edge 124.0.0","isManaged":false}},"location":{{"city":"{city}","state":"{state}","countryOrRegion":"{country}","geoCoordinates":{{"latitude":{lat},"longitude":{lon}}}}},"mfaDetail":{{}},"correlationId":"4444{i:08}-4444-4444-4444-444444444444","conditionalAccessStatus":"notApplied","appliedConditionalAccessPolicies":[{{"id":"77777777-7777-7777-7777-777777777777","displayName":"MFA for all users","enforcedGrantControls":["Mfa"],"enforcedSessionControls":[],"result":"notApplied","conditionsSatisfied":0,"conditionsNotSatisfied":1}},{{"id":"55555555-5555-5555-5555-555555555555","displayName":"Block legacy authentication","enforcedGrantControls":["Block"],"enforcedSessionControls":[],"result":"notEnabled","conditionsSatisfied":0,"conditionsNotSatisfied":0}}],"authenticationContextClassReferences":[],"originalRequestId":"5555{i:08}-5555-5555-5555-555555555555","isInteractive":{interactive},"tokenIssuerName":"","tokenIssuerType":"AzureAD","authenticationProcessingDetails":[{{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"}},{{"key":"Oauth Scope Info","value":"[\"user_impersonation\"]"}},{{"key":"Is CAE Token","value":"False"}}],"networkLocationDetails":[],"processingTimeInMilliseconds":48,"riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes":[],"riskEventTypes_v2":[],"resourceDisplayName":"Office 365 Exchange Online","resourceId":"99999999-9999-9999-9999-999999999999","resourceTenantId":"99999999-9999-9999-9999-999999999999","homeTenantId":"22222222-1111-1111-1111-222222222222","authenticationDetails":[{{"authenticationStepDateTime":"2024-05-{day:02}T{h:02}:{m:02}:{s:02}+00:00","authenticationMethod":"Password","authenticationMethodDetail":"Password Hash Sync","succeeded":true,"authenticationStepRequirement":"Primary authentication","StatusSequence":0,"RequestSequence":1}},{{"authenticationStepDateTime":"2024-05-{day:02}T{h:02}:{m:02}:{s:02}+00:00","authenticationMethod":"{method}","succeeded":{ok},"authenticationStepResultDetail":"{step}","authenticationStepRequirement":"Multifactor authentication","StatusSequence":1692199702901,"RequestSequence":1692199690724}}],"authenticationRequirementPolicies":[],"authenticationRequirement":"multiFactorAuthentication","servicePrincipalId":"","userType":"Member","flaggedForReview":false,"isTenantRestricted":false,"autonomousSystemNumber":{asn},"crossTenantAccessType":"none","privateLinkDetails":{{}},"ssoExtensionVersion":"","uniqueTokenIdentifier":"URB3vEvKUUuClWlFhN4gAA","authenticationStrengths":[],"incomingTokenType":"none","authenticationProtocol":"none","appServicePrincipalId":null,"resourceServicePrincipalId":"33333333-3333-3333-3333-333333333333","sessionId":"2222{user:08}-2222-2222-2222-222222222222"}}}}"#,
        interactive = category == "SignInLogs",
        ok = code == 0,
        asn = 3215 + i % 7,
    )
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "entra", &Entra, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
