//! Microsoft Entra ID writer: Microsoft Graph (beta) `signIn` resources, one per interactive
//! sign-in attempt.
//!
//! | Palisade event                          | `signIn`                                                    |
//! |-----------------------------------------|-------------------------------------------------------------|
//! | `SignIn` primary, success               | `errorCode` 0, a password step; **50074** ("Strong Authentication is required") when the same session goes on to an MFA step (see [`Shape::render_into`]) |
//! | `SignIn` primary, failure               | 50126 bad password, 50034 unknown user, 50053 locked, 53003 conditional access, 50074 MFA required |
//! | `SignIn` mfa, success                   | `errorCode` 0 with the factor's step in `authenticationDetails` ("Mobile app notification", "OATH verification code", ...) and `authenticationRequirement` `multiFactorAuthentication` |
//! | `SignIn` mfa, failure                   | **500121** with `additionalDetails` "MFA denied; user declined the authentication" / "...did not respond to mobile app notification" / "...Phone App Reported Fraud" |
//! | `MfaPrompt` approved, denied, timed out, fraud reported, failed | carried by the MFA step's `signIn` (the adapter derives `<id>:mfa`) |
//! | `MfaPrompt` sent, `SessionStart`, account changes, mailbox and file events | not expressible: Entra's sign-in log has no such records |
//!
//! `correlationId` is a GUID derived from the event's correlation id, so every sign-in of one MFA
//! prompt shares it. Entra reads the MFA step's success as a sign-in success (stage primary)
//! with `mfa_satisfied`; the step's time is the prompt's time on reading.

use palisade_schema::{Activity, Event, Factor, FailureReason, Outcome, RiskLevel, SignInStage};
use serde_json::{json, Map, Value};

use super::{challenged_sessions, guid, login, push_line, Rendered, Shape};

/// Writes Microsoft Graph `signIn` resources.
///
/// ```
/// use palisade_schema::*;
/// use palisade_testkit::shapes::{Entra, Shape};
/// let mut step = SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied);
/// step.factor = Some(Factor::Push);
/// let e = Event::new(
///     Timestamp::parse_rfc3339("2024-03-20T11:02:03Z").unwrap(),
///     "0c1d2e3f-0000-4000-8000-000000000001",
///     Source::Entra,
///     Activity::SignIn(step),
/// )
/// .with_actor(Identity::new("alice@contoso.com.au"));
/// let mut out = String::new();
/// assert!(Entra.write(&e, &mut out));
/// let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
/// assert_eq!(v["status"]["errorCode"], 500121);
/// assert_eq!(v["status"]["additionalDetails"], "MFA denied; user declined the authentication");
/// assert_eq!(v["userPrincipalName"], "alice@contoso.com.au");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Entra;

impl Shape for Entra {
    fn name(&self) -> &'static str {
        "entra"
    }

    fn write(&self, event: &Event, out: &mut String) -> bool {
        match record(event, false) {
            Some(v) => push_line(out, &v),
            None => false,
        }
    }

    fn carries(&self, event: &Event) -> bool {
        matches!(&event.activity, Activity::MfaPrompt(p) if p.result != palisade_schema::PromptResult::Sent)
    }

    /// Entra logs a password accepted before MFA as the interrupt 50074, not as a success: a
    /// primary success whose session goes on to an MFA step is written so.
    fn render_into(&self, events: &[Event], out: &mut Rendered) {
        let mfa_sessions = challenged_sessions(events);
        for e in events {
            let interrupted = is_primary_success(e)
                && e.origin
                    .session_id
                    .as_deref()
                    .is_some_and(|s| mfa_sessions.contains(s));
            let wrote = match record(e, interrupted) {
                Some(v) => push_line(&mut out.text, &v),
                None => false,
            };
            out.count(e, wrote, !wrote && self.carries(e));
        }
    }
}

fn is_primary_success(e: &Event) -> bool {
    matches!(&e.activity, Activity::SignIn(s) if s.stage == SignInStage::Primary && s.outcome.is_success())
}

/// The sign-in log's display name of an MFA method.
fn method(f: Factor) -> &'static str {
    match f {
        Factor::Push => "Mobile app notification",
        Factor::Totp => "OATH verification code",
        Factor::Sms => "Text message",
        Factor::Voice => "Phone call approval (Authentication phone)",
        Factor::WebAuthn => "FIDO2 security key",
        Factor::Email => "Email OTP",
        _ => "Other",
    }
}

const MFA_FAILED: &str = "Authentication failed during strong authentication request.";
const MFA_REQUIRED: &str = "Strong Authentication is required.";

fn step(method: &str, ok: bool, detail: &str, requirement: &str, at: &str) -> Value {
    json!({
        "authenticationStepDateTime": at,
        "authenticationMethod": method,
        "authenticationMethodDetail": if method == "Password" { json!("Password in the cloud") } else { Value::Null },
        "succeeded": ok,
        "authenticationStepResultDetail": detail,
        "authenticationStepRequirement": requirement
    })
}

/// `(errorCode, failureReason, additionalDetails, authenticationDetails, requirement)`.
type Status = (
    i64,
    &'static str,
    Option<&'static str>,
    Vec<Value>,
    &'static str,
);

fn status(e: &Event, interrupted: bool) -> Option<Status> {
    let Activity::SignIn(s) = &e.activity else {
        return None;
    };
    let at = e.time.to_string();
    let password =
        |ok: bool, detail: &str| step("Password", ok, detail, "Primary authentication", &at);
    let single = "singleFactorAuthentication";
    let multi = "multiFactorAuthentication";
    Some(match (s.stage, &s.outcome) {
        (SignInStage::Primary, Outcome::Success) if interrupted => (
            50074,
            MFA_REQUIRED,
            Some("MFA required in Azure AD"),
            vec![password(true, "Correct password")],
            multi,
        ),
        (SignInStage::Primary | SignInStage::Sso, Outcome::Success) => (
            0,
            "Other.",
            None,
            vec![password(true, "Correct password")],
            single,
        ),
        (SignInStage::Primary, Outcome::Failure { reason }) => {
            let (code, text): (i64, &'static str) = match reason {
                FailureReason::BadPassword => (
                    50126,
                    "Error validating credentials due to invalid username or password.",
                ),
                FailureReason::UnknownUser => (
                    50034,
                    "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.",
                ),
                FailureReason::Locked => (
                    50053,
                    "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
                ),
                FailureReason::PolicyBlocked => (
                    53003,
                    "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
                ),
                FailureReason::MfaRequired => (50074, MFA_REQUIRED),
                _ => return None,
            };
            let ok = matches!(
                reason,
                FailureReason::PolicyBlocked | FailureReason::MfaRequired
            );
            let detail = if ok {
                "Correct password"
            } else {
                "Invalid username or password or Invalid on-premise username or password."
            };
            (code, text, None, vec![password(ok, detail)], single)
        }
        (SignInStage::Mfa, Outcome::Success) => {
            let f = s.factor.unwrap_or(Factor::Push);
            let mfa = step(
                method(f),
                true,
                "MFA successfully completed",
                "Multi-factor authentication",
                &at,
            );
            (
                0,
                "Other.",
                None,
                vec![password(true, "Correct password"), mfa],
                multi,
            )
        }
        (SignInStage::Mfa, Outcome::Failure { reason }) => {
            let detail = match reason {
                FailureReason::MfaDenied => Some("MFA denied; user declined the authentication"),
                FailureReason::MfaTimeout => {
                    Some("MFA denied; user did not respond to mobile app notification")
                }
                FailureReason::MfaFraudReported => Some("MFA denied; Phone App Reported Fraud"),
                FailureReason::MfaFailed => None,
                _ => return None,
            };
            let f = s.factor.unwrap_or(Factor::Push);
            let mfa = step(
                method(f),
                false,
                detail.unwrap_or("Authentication failed"),
                "Multi-factor authentication",
                &at,
            );
            (
                500_121,
                MFA_FAILED,
                detail,
                vec![password(true, "Correct password"), mfa],
                multi,
            )
        }
        _ => return None,
    })
}

fn record(e: &Event, interrupted: bool) -> Option<Value> {
    let (code, failure, additional, steps, requirement) = status(e, interrupted)?;
    let upn = login(e)?;
    let actor = e.actor.as_ref()?;
    let o = &e.origin;
    let tenant = e.tenant.as_deref().unwrap_or("");
    let correlation = guid(&[
        "entra-correlation",
        e.correlation_id.as_deref().unwrap_or(e.id.as_str()),
    ]);
    let app = match &e.activity {
        Activity::SignIn(s) => s.app.clone(),
        _ => None,
    };
    let mut r = Map::new();
    r.insert("id".into(), json!(e.id));
    r.insert("createdDateTime".into(), json!(e.time.to_string()));
    r.insert(
        "userDisplayName".into(),
        json!(actor.display_name.as_deref().unwrap_or(upn)),
    );
    r.insert("userPrincipalName".into(), json!(upn));
    r.insert(
        "userId".into(),
        json!(actor
            .vendor_id
            .clone()
            .unwrap_or_else(|| guid(&["entra-user", upn]))),
    );
    r.insert("userType".into(), json!("member"));
    if let Some(app) = &app {
        r.insert("appId".into(), json!(guid(&["entra-app", app])));
        r.insert("appDisplayName".into(), json!(app));
    }
    r.insert(
        "ipAddress".into(),
        json!(o.ip.map(|ip| ip.to_string()).unwrap_or_default()),
    );
    r.insert("clientAppUsed".into(), json!("Browser"));
    r.insert(
        "userAgent".into(),
        json!(o.user_agent.as_deref().unwrap_or("")),
    );
    r.insert("correlationId".into(), json!(correlation));
    r.insert(
        "conditionalAccessStatus".into(),
        json!(if code == 53003 {
            "failure"
        } else {
            "notApplied"
        }),
    );
    r.insert("isInteractive".into(), json!(true));
    r.insert("signInEventTypes".into(), json!(["interactiveUser"]));
    r.insert("authenticationRequirement".into(), json!(requirement));
    // Identity Protection's verdict, when the event carries one.
    let signals = &e.vendor_signals;
    let level = super::risk_level_text(signals.risk_level);
    let state = match (&signals.risk_state, signals.risk_level) {
        (Some(state), _) => state.as_str(),
        (None, Some(l)) if l >= RiskLevel::Low => "atRisk",
        _ => "none",
    };
    r.insert("riskDetail".into(), json!("none"));
    r.insert("riskLevelAggregated".into(), json!(level));
    r.insert("riskLevelDuringSignIn".into(), json!(level));
    r.insert("riskState".into(), json!(state));
    r.insert("riskEventTypes".into(), json!(signals.risk_event_types));
    r.insert("riskEventTypes_v2".into(), json!(signals.risk_event_types));
    r.insert(
        "resourceDisplayName".into(),
        json!("Office 365 Exchange Online"),
    );
    r.insert(
        "resourceId".into(),
        json!("00000002-0000-0ff1-ce00-000000000000"),
    );
    if !tenant.is_empty() {
        let t = guid(&["entra-tenant", tenant]);
        r.insert("resourceTenantId".into(), json!(t));
        r.insert("homeTenantId".into(), json!(t));
    }
    if let Some(n) = o.asn {
        r.insert("autonomousSystemNumber".into(), json!(n));
    }
    if let Some(s) = &o.session_id {
        r.insert("sessionId".into(), json!(guid(&["entra-session", s])));
    }
    let mut st = Map::new();
    st.insert("errorCode".into(), json!(code));
    st.insert("failureReason".into(), json!(failure));
    if let Some(a) = additional {
        st.insert("additionalDetails".into(), json!(a));
    }
    r.insert("status".into(), Value::Object(st));
    r.insert(
        "deviceDetail".into(),
        json!({
            "deviceId": o.device_id.as_deref().unwrap_or(""),
            "displayName": "",
            "operatingSystem": "",
            "browser": "",
            "isCompliant": false,
            "isManaged": false,
            "trustType": ""
        }),
    );
    let coords = match o.geo {
        Some(g) => json!({"altitude": null, "latitude": g.lat, "longitude": g.lon}),
        None => json!({"altitude": null, "latitude": null, "longitude": null}),
    };
    r.insert(
        "location".into(),
        json!({
            "city": o.city.as_deref().unwrap_or(""),
            "state": o.region.as_deref().unwrap_or(""),
            "countryOrRegion": o.country.as_deref().unwrap_or(""),
            "geoCoordinates": coords
        }),
    );
    r.insert("appliedConditionalAccessPolicies".into(), json!([]));
    r.insert("authenticationDetails".into(), Value::Array(steps));
    Some(Value::Object(r))
}
