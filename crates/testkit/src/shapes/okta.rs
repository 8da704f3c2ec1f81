//! Okta System Log writer: `LogEvent` objects as `/api/v1/logs` returns them (Classic engine
//! sign-in flow).
//!
//! | Palisade event                        | `eventType`                                         |
//! |---------------------------------------|-----------------------------------------------------|
//! | `SignIn` primary                      | `user.session.start` (`SUCCESS`, or `FAILURE` with `INVALID_CREDENTIALS`, `VERIFICATION_ERROR` for an unknown user, whose actor has the `id` `unknown`, `LOCKED_OUT`, or the sign-on policy's `DENY`) |
//! | `SignIn` mfa                          | `user.authentication.auth_via_mfa` (`debugData.factor`, the `AuthenticatorEnrollment` target; `REJECTED`, `TIMEOUT`, `FRAUD_REPORTED`, `INVALID_CREDENTIALS`) |
//! | `SignIn` sso                          | `user.authentication.sso` with an `AppInstance` target |
//! | `MfaPrompt` sent (push)               | `system.push.send_factor_verify_push`               |
//! | `MfaPrompt` denied (push)             | `user.mfa.okta_verify.deny_push`                    |
//! | `MfaPrompt` fraud reported            | `user.account.report_suspicious_activity_by_enduser` |
//! | `MfaPrompt` approved / timed out      | carried by the `auth_via_mfa` record of the same transaction (the adapter derives `<uuid>#mfa_prompt`) |
//! | `SessionStart`                        | carried by `user.session.start`, which is both the sign-in and the session in Okta |
//! | `SessionRevoke`                       | `user.session.end`                                  |
//! | factor enrolled / removed / reset     | `user.mfa.factor.activate` / `deactivate` / `reset_all` |
//! | password changed / reset, role        | `user.account.update_password` / `reset_password`, `user.account.privilege.grant` |
//! | mailbox, mail and file events         | not expressible                                     |
//!
//! `authenticationContext.externalSessionId` is the sign-in flow, shared by a prompt and its
//! answer: the event's session, else its correlation id (Identity Engine names every flow with
//! an `idx…` id). `transaction.id` names one request, so it is the event's own id, as Okta
//! logs a push, the poll that sees it approved and the phone's denial as separate requests;
//! `uuid` is the event's id. Countries are written as Okta writes them, by name ([`super::country_name`]).
//! Okta gives no accuracy radius, and names the answering phone nowhere in these events.

use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, Identity, Outcome, PromptResult,
    SignInStage,
};
use serde_json::{json, Map, Value};

use super::{country_text, other_subject, push_line, token, Shape, BASE62};

/// Writes Okta System Log `LogEvent` records.
///
/// ```
/// use palisade_schema::*;
/// use palisade_testkit::shapes::{Okta, Shape};
/// let mut e = Event::new(
///     Timestamp::parse_rfc3339("2024-03-20T11:02:03Z").unwrap(),
///     "evt-1",
///     Source::Okta,
///     Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result: PromptResult::Denied }),
/// )
/// .with_actor(Identity::new("alice@contoso.com.au"));
/// e.correlation_id = Some("tx1".into());
/// let mut out = String::new();
/// assert!(Okta.write(&e, &mut out));
/// let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
/// assert_eq!(v["eventType"], "user.mfa.okta_verify.deny_push");
/// assert_eq!(v["authenticationContext"]["externalSessionId"], "tx1");
/// assert_eq!(v["transaction"]["id"], "evt-1");
/// assert_eq!(v["actor"]["alternateId"], "alice@contoso.com.au");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Okta;

impl Shape for Okta {
    fn name(&self) -> &'static str {
        "okta"
    }

    fn write(&self, event: &Event, out: &mut String) -> bool {
        match record(event) {
            Some(v) => push_line(out, &v),
            None => false,
        }
    }

    fn carries(&self, event: &Event) -> bool {
        match &event.activity {
            Activity::SessionStart => true,
            Activity::MfaPrompt(p) => {
                p.factor == Factor::Push
                    && matches!(p.result, PromptResult::Approved | PromptResult::TimedOut)
            }
            _ => false,
        }
    }
}

/// What one record says beyond the common envelope.
struct Kind {
    event_type: &'static str,
    message: &'static str,
    result: &'static str,
    reason: Option<String>,
    debug: Map<String, Value>,
    targets: Vec<Value>,
}

impl Kind {
    fn new(event_type: &'static str, message: &'static str) -> Self {
        Kind {
            event_type,
            message,
            result: "SUCCESS",
            reason: None,
            debug: Map::new(),
            targets: Vec::new(),
        }
    }

    fn failed(mut self, result: &'static str, reason: &str) -> Self {
        self.result = result;
        self.reason = Some(reason.to_owned());
        self
    }
}

/// Okta's legacy factor name (`debugData.factor`) and the authenticator's display name.
fn factor_names(f: Factor) -> Option<(&'static str, &'static str)> {
    Some(match f {
        Factor::Push => ("OKTA_VERIFY_PUSH", "Okta Verify"),
        Factor::Totp => ("GOOGLE_OTP", "Google Authenticator"),
        Factor::Sms => ("SMS_FACTOR", "Phone"),
        Factor::Voice => ("CALL_FACTOR", "Phone"),
        Factor::WebAuthn => ("FIDO_WEBAUTHN", "Security Key or Biometric"),
        Factor::Email => ("EMAIL_FACTOR", "Email"),
        _ => return None,
    })
}

fn enrollment_target(e: &Event, f: Factor) -> Option<Value> {
    let (_, display) = factor_names(f)?;
    let id = format!(
        "paf{}",
        token(&["okta-enrollment", e.id.as_str()], BASE62, 17)
    );
    Some(json!({
        "id": id,
        "type": "AuthenticatorEnrollment",
        "alternateId": "unknown",
        "displayName": display,
        "detailEntry": null
    }))
}

/// Names the factor of a factor change the way the MFA step records do.
fn factor_detail(k: &mut Kind, e: &Event, factor: Option<Factor>) {
    if let Some((name, _)) = factor.and_then(factor_names) {
        k.debug.insert("factor".into(), json!(name));
    }
    if let Some(t) = factor.and_then(|f| enrollment_target(e, f)) {
        k.targets.push(t);
    }
}

fn kind(e: &Event) -> Option<Kind> {
    Some(match &e.activity {
        Activity::SignIn(s) => match s.stage {
            SignInStage::Primary => {
                let k = Kind::new("user.session.start", "User login to Okta");
                match &s.outcome {
                    Outcome::Success => k,
                    Outcome::Failure { reason } => match reason {
                        FailureReason::BadPassword => k.failed("FAILURE", "INVALID_CREDENTIALS"),
                        FailureReason::UnknownUser => k.failed("FAILURE", "VERIFICATION_ERROR"),
                        FailureReason::Locked => k.failed("FAILURE", "LOCKED_OUT"),
                        FailureReason::PolicyBlocked => {
                            k.failed("DENY", "Sign-on policy evaluation resulted in DENY")
                        }
                        FailureReason::Other(text) => k.failed("FAILURE", text),
                        _ => return None,
                    },
                }
            }
            SignInStage::Mfa => {
                let mut k = Kind::new(
                    "user.authentication.auth_via_mfa",
                    "Authentication of user via MFA",
                );
                let factor = s.factor.and_then(factor_names);
                if let Some((name, _)) = factor {
                    k.debug.insert("factor".into(), json!(name));
                    k.debug
                        .insert("factorIntent".into(), json!("AUTHENTICATION"));
                }
                if let Some(t) = s.factor.and_then(|f| enrollment_target(e, f)) {
                    k.targets.push(t);
                }
                match &s.outcome {
                    Outcome::Success => k,
                    Outcome::Failure { reason } => match reason {
                        FailureReason::MfaDenied => k.failed("FAILURE", "REJECTED"),
                        FailureReason::MfaTimeout => k.failed("FAILURE", "TIMEOUT"),
                        FailureReason::MfaFraudReported => k.failed("FAILURE", "FRAUD_REPORTED"),
                        FailureReason::MfaFailed => k.failed("FAILURE", "INVALID_CREDENTIALS"),
                        _ => return None,
                    },
                }
            }
            SignInStage::Sso => {
                let mut k = Kind::new("user.authentication.sso", "User single sign on to app");
                if let Some(app) = &s.app {
                    let id = format!("0oa{}", token(&["okta-app", app], BASE62, 17));
                    k.targets.push(json!({
                        "id": id,
                        "type": "AppInstance",
                        "alternateId": app,
                        "displayName": app,
                        "detailEntry": {"signOnModeType": "SAML_2_0"}
                    }));
                }
                match &s.outcome {
                    Outcome::Success => k,
                    Outcome::Failure { reason } => match reason {
                        FailureReason::PolicyBlocked => {
                            k.failed("DENY", "Sign-on policy evaluation resulted in DENY")
                        }
                        FailureReason::Other(text) => k.failed("FAILURE", text),
                        _ => return None,
                    },
                }
            }
            _ => return None,
        },
        Activity::MfaPrompt(p) => match (p.factor, p.result) {
            (Factor::Push, PromptResult::Sent) => Kind::new(
                "system.push.send_factor_verify_push",
                "A push was sent to a user for verification",
            ),
            (Factor::Push, PromptResult::Failed) => Kind::new(
                "system.push.send_factor_verify_push",
                "A push was sent to a user for verification",
            )
            .failed("FAILURE", "Push notification could not be sent"),
            (Factor::Push, PromptResult::Denied) => Kind::new(
                "user.mfa.okta_verify.deny_push",
                "User rejected Okta push verify",
            )
            .failed("FAILURE", "REJECTED"),
            (_, PromptResult::FraudReported) => {
                let mut k = Kind::new(
                    "user.account.report_suspicious_activity_by_enduser",
                    "User report suspicious activity",
                );
                k.debug.insert(
                    "suspiciousActivityEventType".into(),
                    json!("system.push.send_factor_verify_push"),
                );
                k
            }
            _ => return None,
        },
        Activity::SessionRevoke => Kind::new("user.session.end", "User logout from Okta"),
        Activity::AccountChange(c) => match c {
            AccountChange::MfaFactorEnrolled { factor } => {
                let mut k = Kind::new(
                    "user.mfa.factor.activate",
                    "Activate factor or authenticator",
                );
                factor_detail(&mut k, e, *factor);
                k
            }
            AccountChange::MfaFactorRemoved { factor } => {
                let mut k = Kind::new(
                    "user.mfa.factor.deactivate",
                    "Reset factor or authenticator",
                );
                factor_detail(&mut k, e, *factor);
                k
            }
            AccountChange::MfaFactorsReset => {
                Kind::new("user.mfa.factor.reset_all", "Reset all factors for user")
            }
            AccountChange::PasswordChanged => Kind::new(
                "user.account.update_password",
                "User update password for Okta",
            ),
            AccountChange::PasswordReset => Kind::new(
                "user.account.reset_password",
                "Fired when the user's Okta password is reset",
            ),
            AccountChange::RoleGranted { role } => {
                let mut k = Kind::new("user.account.privilege.grant", "Grant user privilege");
                if let Some(r) = role {
                    k.debug.insert("privilegeGranted".into(), json!(r));
                }
                k
            }
            _ => return None,
        },
        _ => return None,
    })
}

fn party(who: &Identity) -> Value {
    let id = who
        .vendor_id
        .clone()
        .unwrap_or_else(|| format!("00u{}", token(&["okta-user", who.key.as_str()], BASE62, 17)));
    json!({
        "id": id,
        "type": "User",
        "alternateId": who.key.as_str(),
        "displayName": who.display_name.as_deref().unwrap_or(who.key.as_str()),
        "detailEntry": null
    })
}

fn geographical_context(e: &Event) -> Value {
    let o = &e.origin;
    let geolocation = o.geo.map(|g| json!({"lat": g.lat, "lon": g.lon}));
    json!({
        "city": o.city,
        "state": o.region,
        "country": o.country.as_deref().map(country_text),
        "postalCode": null,
        "geolocation": geolocation
    })
}

fn record(e: &Event) -> Option<Value> {
    let k = kind(e)?;
    let actor = e.actor.as_ref()?;
    let o = &e.origin;
    let ip = o.ip.map(|ip| ip.to_string());
    let geo = geographical_context(e);
    let mut r = Map::new();
    r.insert("uuid".into(), json!(e.id));
    r.insert("published".into(), json!(e.time.to_string()));
    r.insert("eventType".into(), json!(k.event_type));
    r.insert("version".into(), json!("0"));
    r.insert("severity".into(), json!("INFO"));
    r.insert("legacyEventType".into(), Value::Null);
    r.insert("displayMessage".into(), json!(k.message));
    let unknown_user = matches!(&e.activity, Activity::SignIn(s)
        if s.outcome == Outcome::Failure { reason: FailureReason::UnknownUser });
    let actor_party = if unknown_user {
        // Okta names no user it could not find: only the login as typed.
        json!({
            "id": "unknown",
            "type": "User",
            "alternateId": actor.key.as_str(),
            "displayName": "unknown",
            "detailEntry": null
        })
    } else {
        party(actor)
    };
    r.insert("actor".into(), actor_party);
    r.insert(
        "client".into(),
        json!({
            "userAgent": {
                "rawUserAgent": o.user_agent.as_deref().unwrap_or("UNKNOWN"),
                "os": "Unknown",
                "browser": "UNKNOWN"
            },
            "zone": "null",
            "device": "Computer",
            "id": null,
            "ipAddress": ip,
            "geographicalContext": geo
        }),
    );
    r.insert(
        "device".into(),
        match &o.device_id {
            Some(d) => json!({ "id": d }),
            None => Value::Null,
        },
    );
    r.insert(
        "authenticationContext".into(),
        json!({
            "authenticationProvider": null,
            "credentialProvider": null,
            "credentialType": null,
            "issuer": null,
            "interface": null,
            "authenticationStep": 0,
            "externalSessionId": o
                .session_id
                .as_deref()
                .or(e.correlation_id.as_deref())
                .unwrap_or("unknown")
        }),
    );
    r.insert(
        "outcome".into(),
        json!({ "result": k.result, "reason": k.reason }),
    );
    r.insert(
        "securityContext".into(),
        json!({
            "asNumber": o.asn,
            "asOrg": o.as_org,
            "isp": o.as_org,
            "domain": null,
            "isProxy": e.vendor_signals.anonymous_proxy.unwrap_or(false)
        }),
    );
    r.insert(
        "debugContext".into(),
        json!({ "debugData": Value::Object(debug_data(k.debug, e)) }),
    );
    r.insert(
        "transaction".into(),
        json!({
            "type": "WEB",
            "id": e.id.as_str(),
            "detail": {}
        }),
    );
    let hops = match &ip {
        Some(ip) => json!([{
            "ip": ip,
            "geographicalContext": geo,
            "version": if o.ip.is_some_and(|i| i.is_ipv6()) { "V6" } else { "V4" },
            "source": null
        }]),
        None => json!([]),
    };
    r.insert("request".into(), json!({ "ipChain": hops }));
    let mut targets = vec![party(other_subject(e).unwrap_or(actor))];
    targets.extend(k.targets);
    r.insert("target".into(), Value::Array(targets));
    Some(Value::Object(r))
}

/// The record's `debugData`, with Okta's risk string (`{reasons=..., level=HIGH}`) when the event
/// carries a risk level.
fn debug_data(mut debug: Map<String, Value>, e: &Event) -> Map<String, Value> {
    let s = &e.vendor_signals;
    if let Some(level) = s.risk_level {
        let level = super::risk_level_text(Some(level)).to_uppercase();
        let risk = if s.reasons.is_empty() {
            format!("{{level={level}}}")
        } else {
            format!("{{reasons={}, level={level}}}", s.reasons.join(", "))
        };
        debug.insert("risk".into(), json!(risk));
    }
    debug
}
