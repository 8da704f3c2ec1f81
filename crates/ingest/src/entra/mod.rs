//! Microsoft Entra ID sign-in logs: the Microsoft Graph `signIn` resource (v1.0 and beta) and the
//! Azure Monitor diagnostic-settings export (`SignInLogs`, `NonInteractiveUserSignInLogs`,
//! `ServicePrincipalSignInLogs`, ... with the sign-in under `properties`).
//!
//! # Mapping
//!
//! | Entra | Palisade |
//! |---|---|
//! | `createdDateTime` (`properties.createdDateTime` in Azure Monitor, never the envelope `time`) | [`Event::time`] |
//! | `id` | [`Event::id`] (an extra MFA prompt event gets `<id>:mfa`) |
//! | `userPrincipalName`, `userId`, `userDisplayName` | [`Event::actor`] (service principals: `servicePrincipalName`, `servicePrincipalId`) |
//! | `status.errorCode` 0 | [`SignIn`] success |
//! | 50126 / 50034 / 50053, 50057 / 53000-53004 | failure: `BadPassword` / `UnknownUser` / `Locked` / `PolicyBlocked` |
//! | 50074, 50076, 50072, 50079, 50158, 50140 | failure `MfaRequired`: an interrupt, not a credential failure (50140 is the "Keep me signed in" prompt shown after the credentials were accepted) |
//! | 500121 | failure at stage `Mfa` (`MfaDenied` / `MfaTimeout` / `MfaFraudReported` / `MfaFailed`) **plus** an [`MfaPrompt`] (`Denied` / `TimedOut` / `FraudReported` / `Failed`) |
//! | success whose `authenticationDetails` show a push, SMS, call or code step that succeeded | [`SignIn`] success **plus** an [`MfaPrompt`] `Approved` |
//! | other codes | failure `Other("<code>: <failureReason>")` |
//! | `ipAddress` (else `callerIpAddress`), `location`, `autonomousSystemNumber`, `userAgent`, `deviceDetail.deviceId`, `sessionId` | [`Origin`] |
//! | `deviceDetail.browser`, `deviceDetail.operatingSystem` | [`Origin::client`](palisade_schema::Origin::client) |
//! | `correlationId` | [`Event::correlation_id`] |
//! | category / `signInEventTypes` / `isInteractive` | [`Event::sign_in_kind`] |
//! | `riskLevelDuringSignIn`, `riskState`, `riskEventTypes_v2`, `networkLocationDetails` | [`VendorSignals`] |
//! | `Update StsRefreshTokenValidFrom Timestamp` audit (Graph `directoryAudit` or Azure Monitor `AuditLogs`) | [`Activity::SessionRevoke`] of the target user |
//! | other directory audits and Azure Monitor categories | [`Parsed::Unsupported`] |
//!
//! The MFA fatigue detector reads [`MfaPrompt`] results, so a 500121 sign-in yields the prompt
//! it records, and an approved prompt yields an `Approved` prompt; both carry the sign-in's
//! `correlationId`, which pairs a prompt with the sign-in attempts of the same flow. Both events
//! carry the sign-in's `createdDateTime` (step times are not always consistent with it).
//!
//! Leniency: a field of the wrong JSON type reads as absent (exporters differ), except the event
//! time and the id, which make the record bad. Duplicate keys are accepted, the last one winning.
//! Coordinates of exactly (0, 0) with no city or country are Entra's "unknown location" and are
//! left out; coordinates out of range are dropped and counted.

pub(crate) mod loose;
pub(crate) mod status;

use palisade_schema::{
    Activity, ClientSoftware, Event, Factor, GeoPoint, Identity, MfaPrompt, Origin, PromptResult,
    RiskLevel, SignIn, SignInKind, SignInStage, Source, Timestamp, VendorSignals,
};
use serde::Deserialize;

use self::loose::{parse_last_wins, Failure, Flag, List, Num, Obj, Text};
use crate::country_code;
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads Microsoft Entra ID sign-in logs (Graph `signIn` resources and the Azure Monitor
/// `SigninLogs` export). One record is one sign-in, directory audit or Azure Monitor record.
///
/// ```
/// use palisade_ingest::{entra::Entra, Adapter, Notes, Parsed};
/// use palisade_schema::{Activity, PromptResult};
///
/// let record = br#"{"id":"a1","createdDateTime":"2024-05-01T09:00:00Z",
///   "userPrincipalName":"Alice@Contoso.com","ipAddress":"81.2.69.142",
///   "status":{"errorCode":500121,"failureReason":"Authentication failed during strong authentication request.",
///             "additionalDetails":"MFA denied; user declined the authentication"},
///   "authenticationDetails":[{"authenticationMethod":"Mobile app notification","succeeded":false,
///     "authenticationStepResultDetail":"MFA denied; user declined the authentication"}]}"#;
/// let entra = Entra;
/// assert!(entra.sniff(record));
/// let mut out = Vec::new();
/// let parsed = entra.parse(record, &mut out, &mut Notes::default()).unwrap();
/// assert_eq!(parsed, Parsed::Events);
/// assert_eq!(out.len(), 2);
/// assert!(out[0].activity.is_failed_sign_in());
/// assert!(matches!(&out[1].activity, Activity::MfaPrompt(p) if p.result == PromptResult::Denied));
/// assert_eq!(out[0].identity().unwrap().as_str(), "alice@contoso.com");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Entra;

/// The audit activity Entra logs when a user's refresh tokens and sessions are revoked.
const SESSION_REVOKE: &str = "Update StsRefreshTokenValidFrom Timestamp";

/// A Graph `signIn`, a Graph `directoryAudit`, or an Azure Monitor record (whose `properties`
/// hold one of the first two). One struct for all: every field is lenient, so the shapes never
/// clash, and one pass reads any of them.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Record<'a> {
    // Azure Monitor envelope.
    #[serde(borrow)]
    category: Text<'a>,
    #[serde(borrow)]
    operation_name: Text<'a>,
    #[serde(borrow)]
    caller_ip_address: Text<'a>,
    #[serde(borrow)]
    properties: Obj<Box<Record<'a>>>,

    // Graph signIn.
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    created_date_time: Text<'a>,
    #[serde(borrow)]
    user_principal_name: Text<'a>,
    #[serde(borrow)]
    user_id: Text<'a>,
    #[serde(borrow)]
    user_display_name: Text<'a>,
    #[serde(borrow)]
    app_display_name: Text<'a>,
    #[serde(borrow)]
    app_id: Text<'a>,
    #[serde(borrow)]
    service_principal_name: Text<'a>,
    #[serde(borrow)]
    service_principal_id: Text<'a>,
    #[serde(borrow)]
    ip_address: Text<'a>,
    #[serde(borrow)]
    correlation_id: Text<'a>,
    is_interactive: Flag,
    #[serde(borrow)]
    sign_in_event_types: List<Text<'a>>,
    #[serde(borrow)]
    status: Obj<Status<'a>>,
    #[serde(borrow)]
    location: Obj<Location<'a>>,
    #[serde(borrow)]
    device_detail: Obj<DeviceDetail<'a>>,
    #[serde(borrow)]
    user_agent: Text<'a>,
    #[serde(borrow)]
    risk_level_during_sign_in: Text<'a>,
    #[serde(borrow)]
    risk_level_aggregated: Text<'a>,
    #[serde(borrow)]
    risk_state: Text<'a>,
    #[serde(borrow)]
    risk_event_types: List<Text<'a>>,
    #[serde(borrow, rename = "riskEventTypes_v2")]
    risk_event_types_v2: List<Text<'a>>,
    #[serde(borrow)]
    network_location_details: List<Obj<NetworkLocation<'a>>>,
    #[serde(borrow)]
    authentication_details: List<Obj<AuthenticationStep<'a>>>,
    #[serde(borrow)]
    authentication_requirement: Text<'a>,
    #[serde(borrow)]
    mfa_detail: Obj<MfaDetail<'a>>,
    autonomous_system_number: Num,
    #[serde(borrow)]
    session_id: Text<'a>,
    #[serde(borrow)]
    tenant_id: Text<'a>,
    #[serde(borrow)]
    home_tenant_id: Text<'a>,

    // Graph directoryAudit.
    #[serde(borrow)]
    activity_display_name: Text<'a>,
    #[serde(borrow)]
    activity_date_time: Text<'a>,
    #[serde(borrow)]
    logged_by_service: Text<'a>,
    #[serde(borrow)]
    initiated_by: Obj<InitiatedBy<'a>>,
    #[serde(borrow)]
    target_resources: List<Obj<AuditUser<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Status<'a> {
    error_code: Num,
    #[serde(borrow)]
    failure_reason: Text<'a>,
    #[serde(borrow)]
    additional_details: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Location<'a> {
    #[serde(borrow)]
    city: Text<'a>,
    #[serde(borrow)]
    state: Text<'a>,
    #[serde(borrow)]
    country_or_region: Text<'a>,
    geo_coordinates: Obj<GeoCoordinates>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GeoCoordinates {
    latitude: Num,
    longitude: Num,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct DeviceDetail<'a> {
    #[serde(borrow)]
    device_id: Text<'a>,
    #[serde(borrow)]
    browser: Text<'a>,
    #[serde(borrow)]
    operating_system: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NetworkLocation<'a> {
    #[serde(borrow)]
    network_type: Text<'a>,
    #[serde(borrow)]
    network_names: List<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AuthenticationStep<'a> {
    #[serde(borrow)]
    authentication_method: Text<'a>,
    #[serde(borrow)]
    authentication_step_result_detail: Text<'a>,
    succeeded: Flag,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MfaDetail<'a> {
    #[serde(borrow)]
    auth_method: Text<'a>,
    #[serde(borrow)]
    auth_detail: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InitiatedBy<'a> {
    #[serde(borrow)]
    user: Obj<AuditUser<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AuditUser<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    user_principal_name: Text<'a>,
}

impl Adapter for Entra {
    fn source(&self) -> Source {
        Source::Entra
    }

    fn sniff(&self, record: &[u8]) -> bool {
        if contains(record, b"\"class_uid\"") {
            return false; // OCSF, possibly converted from Entra.
        }
        let graph_sign_in = contains(record, b"\"createdDateTime\"")
            && contains(record, b"\"status\"")
            && (contains(record, b"\"userPrincipalName\"")
                || contains(record, b"\"appDisplayName\"")
                || contains(record, b"\"servicePrincipalId\""));
        let directory_audit = contains(record, b"\"activityDisplayName\"")
            && contains(record, b"\"loggedByService\"");
        let azure_monitor = contains(record, b"\"operationName\"")
            && contains(record, b"\"category\"")
            && (contains(record, b"SignInLogs\"")
                || contains(record, b"\"AuditLogs\"")
                || contains(record, b"\"MicrosoftGraphActivityLogs\"")
                || contains(record, b"\"UserRiskEvents\"")
                || contains_ignore_case(record, b"providers/microsoft.aadiam"));
        graph_sign_in || directory_audit || azure_monitor
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        let start = out.len();
        let result = parse_last_wins(record, |bytes| {
            let rec: Record<'_> = crate::fast_json::from_slice_or_serde(bytes)?;
            out.truncate(start);
            let mut local = *notes;
            let parsed = map_record(&rec, out, &mut local).map_err(Failure::Bad)?;
            Ok((parsed, local))
        });
        match result {
            Ok((parsed, local)) => {
                *notes = local;
                Ok(parsed)
            }
            Err(reason) => {
                out.truncate(start);
                Err(reason)
            }
        }
    }
}

fn map_record(
    rec: &Record<'_>,
    out: &mut Vec<Event>,
    notes: &mut Notes,
) -> Result<Parsed, BadRecordReason> {
    if let Some(props) = rec.properties.get() {
        // Azure Monitor: what the record is comes from its category.
        let category = rec.category.non_empty().unwrap_or("");
        if is_sign_in_category(category) {
            return sign_in(props, Some(rec), kind_from_category(category), out, notes);
        }
        if props.activity_display_name.get() == Some(SESSION_REVOKE) {
            return session_revoke(props, rec, out);
        }
        return Ok(Parsed::Unsupported(unsupported_name(rec, category)));
    }
    if rec.created_date_time.get().is_none()
        && (rec.activity_display_name.get().is_some() || rec.logged_by_service.get().is_some())
    {
        // A Graph directoryAudit.
        if rec.activity_display_name.get() == Some(SESSION_REVOKE) {
            return session_revoke(rec, rec, out);
        }
        let what = rec
            .activity_display_name
            .non_empty()
            .unwrap_or("directoryAudit");
        return Ok(Parsed::Unsupported(format!("entra directoryAudit {what}")));
    }
    if let Some(category) = rec.category.non_empty() {
        if rec.created_date_time.get().is_none() {
            // An Azure Monitor record without the sign-in or audit it should carry.
            if is_sign_in_category(category) {
                return Err(BadRecordReason::MissingField("properties"));
            }
            return Ok(Parsed::Unsupported(unsupported_name(rec, category)));
        }
    }
    sign_in(rec, None, None, out, notes)
}

fn unsupported_name(rec: &Record<'_>, category: &str) -> String {
    match rec.operation_name.non_empty() {
        Some(op) => format!("entra {category} {op}"),
        None => format!("entra {category}"),
    }
}

/// `SignInLogs`, `NonInteractiveUserSignInLogs`, `ServicePrincipalSignInLogs`,
/// `MicrosoftServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`, `ADFSSignInLogs`.
fn is_sign_in_category(category: &str) -> bool {
    category.len() >= 10
        && category.is_char_boundary(category.len() - 10)
        && category[category.len() - 10..].eq_ignore_ascii_case("SignInLogs")
}

fn kind_from_category(category: &str) -> Option<SignInKind> {
    if category.eq_ignore_ascii_case("SignInLogs") {
        Some(SignInKind::Interactive)
    } else if category.eq_ignore_ascii_case("NonInteractiveUserSignInLogs") {
        Some(SignInKind::NonInteractive)
    } else if category.contains("ServicePrincipal") || category.contains("ManagedIdentity") {
        Some(SignInKind::ServicePrincipal)
    } else {
        None
    }
}

fn kind_from_record(p: &Record<'_>) -> Option<SignInKind> {
    for t in p.sign_in_event_types.iter().filter_map(Text::get) {
        match t {
            "interactiveUser" => return Some(SignInKind::Interactive),
            "nonInteractiveUser" => return Some(SignInKind::NonInteractive),
            "servicePrincipal" | "managedIdentity" => return Some(SignInKind::ServicePrincipal),
            _ => {}
        }
    }
    p.is_interactive.0.map(|i| {
        if i {
            SignInKind::Interactive
        } else {
            SignInKind::NonInteractive
        }
    })
}

fn parse_time(text: &Text<'_>, field: &'static str) -> Result<Timestamp, BadRecordReason> {
    let raw = text.required(field)?;
    crate::fast_time::parse_utc(raw).map_err(|e| BadRecordReason::BadTime(e.to_string()))
}

fn required_id<'t>(text: &'t Text<'_>) -> Result<&'t str, BadRecordReason> {
    let id = text.required("id")?;
    if id.trim().is_empty() {
        return Err(BadRecordReason::BadValue {
            field: "id",
            detail: "empty".into(),
        });
    }
    Ok(id)
}

fn sign_in(
    p: &Record<'_>,
    envelope: Option<&Record<'_>>,
    category_kind: Option<SignInKind>,
    out: &mut Vec<Event>,
    notes: &mut Notes,
) -> Result<Parsed, BadRecordReason> {
    let time = parse_time(&p.created_date_time, "createdDateTime")?;
    let id = required_id(&p.id)?;
    let status = p
        .status
        .get()
        .ok_or(BadRecordReason::MissingField("status"))?;
    let code = match status.error_code.int() {
        Some(code) => code,
        None if status.error_code.wrong => {
            return Err(BadRecordReason::BadValue {
                field: "status.errorCode",
                detail: "not an integer".into(),
            })
        }
        None => return Err(BadRecordReason::MissingField("status.errorCode")),
    };

    let steps: Vec<&AuthenticationStep<'_>> = p
        .authentication_details
        .iter()
        .filter_map(Obj::get)
        .collect();
    let mfa_detail = p.mfa_detail.get();
    // What the log says about the MFA step, most specific first.
    let mfa_text = [status.additional_details.non_empty()]
        .into_iter()
        .chain(
            steps
                .iter()
                .map(|s| s.authentication_step_result_detail.non_empty()),
        )
        .chain([mfa_detail.and_then(|m| m.auth_detail.non_empty())])
        .chain([status.failure_reason.non_empty()])
        .flatten()
        .find(|t| status::prompt_result(t).is_some());
    let reason = status::failure_reason(code, mfa_text, status.failure_reason.non_empty());

    // The factor of the MFA step: a failed one for a failure, else the last one named.
    let step_factor = |want_failed: bool| {
        steps
            .iter()
            .rev()
            .filter(|s| !want_failed || s.succeeded.0 == Some(false))
            .find_map(|s| s.authentication_method.get().and_then(status::factor))
    };
    let factor = match reason {
        Some(_) => step_factor(true).or_else(|| step_factor(false)),
        None => step_factor(false),
    }
    .or_else(|| {
        mfa_detail
            .and_then(|m| m.auth_method.get())
            .and_then(status::factor)
    });

    let mut sign_in = match &reason {
        None => SignIn::success(SignInStage::Primary),
        Some(r) => {
            let stage = if r.is_mfa() {
                SignInStage::Mfa
            } else {
                SignInStage::Primary
            };
            SignIn::failure(stage, r.clone())
        }
    };
    sign_in.factor = factor;
    sign_in.app = p.app_display_name.non_empty().map(str::to_owned);
    if reason.is_none() {
        sign_in.mfa_satisfied = mfa_satisfied(p, status, &steps);
    }

    let sign_in_kind = category_kind.or_else(|| kind_from_record(p));
    let mut event = Event::new(time, id, Source::Entra, Activity::SignIn(sign_in));
    event.tenant = envelope
        .and_then(|e| e.tenant_id.non_empty())
        .or_else(|| p.home_tenant_id.non_empty())
        .or_else(|| p.tenant_id.non_empty())
        .map(str::to_owned);
    event.actor = actor(p, sign_in_kind);
    event.origin = origin(p, envelope, notes);
    event.correlation_id = p
        .correlation_id
        .non_empty()
        .or_else(|| envelope.and_then(|e| e.correlation_id.non_empty()))
        .map(str::to_owned);
    event.sign_in_kind = sign_in_kind;
    event.vendor_signals = signals(p);

    let prompt = match &reason {
        Some(_) if code == status::MFA_FAILED => {
            let result = match mfa_text.and_then(status::prompt_result) {
                Some(
                    r @ (PromptResult::Denied
                    | PromptResult::TimedOut
                    | PromptResult::FraudReported),
                ) => r,
                _ => PromptResult::Failed,
            };
            Some(MfaPrompt {
                factor: factor.unwrap_or(Factor::Other),
                result,
            })
        }
        // An approved prompt: a step that challenged the user (not a passkey, which prompts for
        // nothing an attacker can spam) and succeeded.
        None => steps
            .iter()
            .filter(|s| s.succeeded.0 == Some(true))
            .find_map(|s| s.authentication_method.get().and_then(status::factor))
            .filter(|f| matches!(f, Factor::Push | Factor::Sms | Factor::Voice | Factor::Totp))
            .map(|factor| MfaPrompt {
                factor,
                result: PromptResult::Approved,
            }),
        Some(_) => None,
    };
    if let Some(prompt) = prompt {
        let mut second = event.clone();
        second.id = format!("{id}:mfa");
        second.activity = Activity::MfaPrompt(prompt);
        out.push(event);
        out.push(second);
    } else {
        out.push(event);
    }
    Ok(Parsed::Events)
}

fn mfa_satisfied(
    p: &Record<'_>,
    status: &Status<'_>,
    steps: &[&AuthenticationStep<'_>],
) -> Option<bool> {
    let by_step = steps.iter().any(|s| {
        s.succeeded.0 == Some(true)
            && s.authentication_method
                .get()
                .and_then(status::factor)
                .is_some()
    });
    let by_claim = status
        .additional_details
        .get()
        .is_some_and(|d| d.contains("MFA requirement satisfied") || d.contains("MFA completed"));
    if by_step || by_claim {
        return Some(true);
    }
    match p.authentication_requirement.get() {
        Some(r) if r.eq_ignore_ascii_case("multiFactorAuthentication") => Some(true),
        Some(r) if r.eq_ignore_ascii_case("singleFactorAuthentication") => Some(false),
        _ => None,
    }
}

fn actor(p: &Record<'_>, kind: Option<SignInKind>) -> Option<Identity> {
    let login = p.user_principal_name.non_empty().or_else(|| {
        if kind == Some(SignInKind::ServicePrincipal) {
            p.service_principal_name
                .non_empty()
                .or_else(|| p.service_principal_id.non_empty())
                .or_else(|| p.app_id.non_empty())
        } else {
            p.user_id.non_empty()
        }
    })?;
    let mut who = Identity::new(login);
    let vendor_id = p
        .user_id
        .non_empty()
        .or_else(|| p.service_principal_id.non_empty());
    who.vendor_id = vendor_id.map(str::to_owned);
    who.display_name = p.user_display_name.non_empty().map(str::to_owned);
    Some(who)
}

fn origin(p: &Record<'_>, envelope: Option<&Record<'_>>, notes: &mut Notes) -> Origin {
    let mut o = Origin {
        ip: p.ip_address.get().and_then(status::parse_ip).or_else(|| {
            envelope
                .and_then(|e| e.caller_ip_address.get())
                .and_then(status::parse_ip)
        }),
        user_agent: p.user_agent.non_empty().map(str::to_owned),
        client: p
            .device_detail
            .get()
            .and_then(|d| ClientSoftware::new(d.browser.get(), d.operating_system.get())),
        device_id: p
            .device_detail
            .get()
            .and_then(|d| d.device_id.non_empty())
            .map(str::to_owned),
        session_id: p.session_id.non_empty().map(str::to_owned),
        asn: p
            .autonomous_system_number
            .int()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n != 0),
        ..Origin::default()
    };
    if let Some(loc) = p.location.get() {
        o.country = loc.country_or_region.non_empty().and_then(country_code);
        o.region = loc.state.non_empty().map(str::to_owned);
        o.city = loc.city.non_empty().map(str::to_owned);
        if let Some(geo) = loc.geo_coordinates.get() {
            let (lat, lon) = (geo.latitude, geo.longitude);
            match (lat.value, lon.value) {
                (Some(0.0), Some(0.0)) if o.country.is_none() && o.city.is_none() => {}
                (Some(lat), Some(lon)) => {
                    o.geo = GeoPoint::new(lat, lon, None);
                    if o.geo.is_none() {
                        notes.coords_dropped += 1;
                    }
                }
                (None, None) if !lat.wrong && !lon.wrong => {}
                _ => notes.coords_dropped += 1,
            }
        }
    }
    o
}

fn signals(p: &Record<'_>) -> VendorSignals {
    let risk = p
        .risk_level_during_sign_in
        .get()
        .or_else(|| p.risk_level_aggregated.get());
    let mut risk_event_types: Vec<String> = p
        .risk_event_types_v2
        .iter()
        .chain(p.risk_event_types.iter())
        .filter_map(Text::non_empty)
        .map(str::to_owned)
        .collect();
    risk_event_types.sort();
    risk_event_types.dedup();
    let locations: Vec<&NetworkLocation<'_>> = p
        .network_location_details
        .iter()
        .filter_map(Obj::get)
        .collect();
    VendorSignals {
        anonymous_proxy: risk_event_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("anonymizedIPAddress"))
            .then_some(true),
        risk_level: risk.and_then(risk_level),
        risk_state: p
            .risk_state
            .non_empty()
            .filter(|s| !s.eq_ignore_ascii_case("none"))
            .map(str::to_owned),
        risk_event_types,
        network_locations: locations
            .iter()
            .filter_map(|l| l.network_type.non_empty())
            .map(str::to_owned)
            .collect(),
        network_zone: locations
            .iter()
            .flat_map(|l| l.network_names.iter())
            .find_map(Text::non_empty)
            .map(str::to_owned),
        ..VendorSignals::default()
    }
}

fn risk_level(s: &str) -> Option<RiskLevel> {
    match s.to_ascii_lowercase().as_str() {
        "none" => Some(RiskLevel::None),
        "low" => Some(RiskLevel::Low),
        "medium" => Some(RiskLevel::Medium),
        "high" => Some(RiskLevel::High),
        _ => None, // "hidden", "unknownFutureValue"
    }
}

fn session_revoke(
    audit: &Record<'_>,
    envelope: &Record<'_>,
    out: &mut Vec<Event>,
) -> Result<Parsed, BadRecordReason> {
    let time = parse_time(&audit.activity_date_time, "activityDateTime")?;
    let id = required_id(&audit.id)?;
    let mut event = Event::new(time, id, Source::Entra, Activity::SessionRevoke);
    event.subject = audit
        .target_resources
        .iter()
        .filter_map(Obj::get)
        .find_map(|t| {
            let upn = t.user_principal_name.non_empty()?;
            let who = Identity::new(upn);
            Some(match t.id.non_empty() {
                Some(id) => who.with_vendor_id(id),
                None => who,
            })
        });
    event.actor = audit
        .initiated_by
        .get()
        .and_then(|i| i.user.get())
        .and_then(|u| u.user_principal_name.non_empty())
        .map(Identity::new);
    event.tenant = envelope
        .tenant_id
        .non_empty()
        .or_else(|| audit.tenant_id.non_empty())
        .map(str::to_owned);
    event.correlation_id = audit.correlation_id.non_empty().map(str::to_owned);
    out.push(event);
    Ok(Parsed::Events)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_schema::FailureReason;

    #[test]
    fn sign_in_categories() {
        assert!(is_sign_in_category("SignInLogs"));
        assert!(is_sign_in_category("ManagedIdentitySignInLogs"));
        assert!(!is_sign_in_category("AuditLogs"));
        assert!(!is_sign_in_category("é"));
        assert_eq!(
            kind_from_category("ServicePrincipalSignInLogs"),
            Some(SignInKind::ServicePrincipal)
        );
    }

    #[test]
    fn unmapped_reason_keeps_vendor_words() {
        assert_eq!(
            status::failure_reason(7000215, None, Some("Invalid client secret is provided.")),
            Some(FailureReason::Other(
                "7000215: Invalid client secret is provided.".into()
            ))
        );
    }
}
