//! OCSF 1.3 writer: sign-ins, MFA prompts and sessions as Authentication (3002), account changes
//! as Account Change (3001), following the table in `palisade_schema`'s crate docs.
//!
//! Encoding choices a reader can rely on (all are OCSF attributes; the values are ours):
//! - `metadata.uid` is the event id, `metadata.correlation_uid` the correlation id, and
//!   `metadata.event_code` the Palisade activity kind (`sign_in`, `mfa_prompt`,
//!   `session_start`, ...), since OCSF's Logon activity covers both sign-ins and session starts;
//! - an MFA sign-in step is a Logon with `is_mfa: true` and `auth_factors`; a first-factor
//!   sign-in has no `auth_factors`;
//! - an MFA prompt is activity 99 (Other) with `is_mfa: true`, `auth_factors` (the answering
//!   device in `factor_device`), and its result in `status_id` (99 with `status: "Sent"` for a
//!   prompt sent, 1 approved, 2 failed) and `status_detail` (`MFA_DENIED`, `MFA_TIMEOUT`,
//!   `MFA_FRAUD_REPORTED`, `MFA_FAILED`, `MFA_APPROVED`, `MFA_PROMPT_SENT`);
//! - single sign-on is activity 4 (Service Ticket Request), session revocation 2 (Logoff);
//! - `time` is milliseconds since the epoch, `time_dt` the same instant in RFC 3339.
//!
//! Mailbox rules, forwarding, mail access and file access belong to other OCSF classes and are
//! not written (the writer returns `false`). The geolocation accuracy radius has no OCSF 1.3
//! attribute and is not written.

use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, Identity, MfaDevice, Outcome,
    PromptResult, SignInKind, SignInStage, Source,
};
use serde_json::{json, Map, Value};

use super::Shape;

/// The OCSF schema version written in `metadata.version`.
pub const OCSF_VERSION: &str = "1.3.0";

/// Writes OCSF 1.3 Authentication (3002) and Account Change (3001) records.
///
/// ```
/// use palisade_schema::*;
/// use palisade_testkit::shapes::{Ocsf, Shape};
/// let e = Event::new(
///     Timestamp::parse_rfc3339("2024-03-20T11:02:03Z").unwrap(),
///     "evt-1",
///     Source::Okta,
///     Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result: PromptResult::Denied }),
/// )
/// .with_actor(Identity::new("alice@contoso.com.au"));
/// let mut out = String::new();
/// assert!(Ocsf.write(&e, &mut out));
/// let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
/// assert_eq!(v["class_uid"], 3002);
/// assert_eq!(v["activity_id"], 99);
/// assert_eq!(v["status_detail"], "MFA_DENIED");
/// assert_eq!(v["auth_factors"][0]["factor_type_id"], 5);
/// assert_eq!(v["user"]["email_addr"], "alice@contoso.com.au");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Ocsf;

impl Shape for Ocsf {
    fn name(&self) -> &'static str {
        "ocsf"
    }

    fn write(&self, event: &Event, out: &mut String) -> bool {
        let Some(record) = record(event) else {
            return false;
        };
        match serde_json::to_string(&record) {
            Ok(s) => {
                out.push_str(&s);
                out.push('\n');
                true
            }
            Err(_) => false,
        }
    }
}

/// `(class_uid, class_name, activity_id, activity_name)` plus the class-specific fields.
fn record(e: &Event) -> Option<Value> {
    let mut r = Map::new();
    let (class_uid, class_name, activity_id, activity_name): (u32, &str, u32, &str) =
        match &e.activity {
            Activity::SignIn(s) => {
                let (id, name) = match s.stage {
                    SignInStage::Sso => (4, "Service Ticket Request"),
                    _ => (1, "Logon"),
                };
                match &s.outcome {
                    Outcome::Success => status(&mut r, 1, "Success", None),
                    Outcome::Failure { reason } => {
                        status(&mut r, 2, "Failure", Some(failure_detail(reason)))
                    }
                }
                if s.stage == SignInStage::Mfa {
                    r.insert("is_mfa".into(), Value::Bool(true));
                    let factor = s.factor.unwrap_or(Factor::Other);
                    r.insert("auth_factors".into(), json!([auth_factor(factor, None)]));
                } else if let Some(m) = s.mfa_satisfied {
                    r.insert("is_mfa".into(), Value::Bool(m));
                }
                if let Some(app) = &s.app {
                    r.insert("service".into(), json!({ "name": app }));
                }
                (3002, "Authentication", id, name)
            }
            Activity::MfaPrompt(p) => {
                let (id, name, detail) = match p.result {
                    PromptResult::Sent => (99, "Sent", "MFA_PROMPT_SENT"),
                    PromptResult::Approved => (1, "Success", "MFA_APPROVED"),
                    PromptResult::Denied => (2, "Failure", "MFA_DENIED"),
                    PromptResult::TimedOut => (2, "Failure", "MFA_TIMEOUT"),
                    PromptResult::FraudReported => (2, "Failure", "MFA_FRAUD_REPORTED"),
                    _ => (2, "Failure", "MFA_FAILED"),
                };
                status(&mut r, id, name, Some(detail.to_owned()));
                r.insert("is_mfa".into(), Value::Bool(true));
                r.insert(
                    "auth_factors".into(),
                    json!([auth_factor(p.factor, e.mfa_device.as_ref())]),
                );
                (3002, "Authentication", 99, "Other")
            }
            Activity::SessionStart => {
                status(&mut r, 1, "Success", None);
                (3002, "Authentication", 1, "Logon")
            }
            Activity::SessionRevoke => {
                status(&mut r, 1, "Success", None);
                (3002, "Authentication", 2, "Logoff")
            }
            Activity::AccountChange(c) => {
                status(&mut r, 1, "Success", None);
                let (id, name) = match c {
                    AccountChange::PasswordChanged => (3, "Password Change"),
                    AccountChange::PasswordReset => (4, "Password Reset"),
                    AccountChange::RoleGranted { role } => {
                        if let Some(role) = role {
                            r.insert("policy".into(), json!({ "name": role }));
                        }
                        (7, "Attach Policy")
                    }
                    AccountChange::MfaFactorEnrolled { .. } => (10, "MFA Factor Enable"),
                    AccountChange::MfaFactorRemoved { .. } | AccountChange::MfaFactorsReset => {
                        (11, "MFA Factor Disable")
                    }
                    _ => return None,
                };
                (3001, "Account Change", id, name)
            }
            _ => return None,
        };

    r.insert("class_uid".into(), json!(class_uid));
    r.insert("class_name".into(), json!(class_name));
    r.insert("category_uid".into(), json!(3));
    r.insert(
        "category_name".into(),
        json!("Identity & Access Management"),
    );
    r.insert("activity_id".into(), json!(activity_id));
    r.insert("activity_name".into(), json!(activity_name));
    r.insert("type_uid".into(), json!(class_uid * 100 + activity_id));
    r.insert(
        "type_name".into(),
        json!(format!("{class_name}: {activity_name}")),
    );
    r.insert("severity_id".into(), json!(1));
    r.insert("severity".into(), json!("Informational"));
    r.insert("time".into(), json!(e.time.as_millis()));
    r.insert("time_dt".into(), json!(e.time.to_string()));

    let (product, vendor) = product(e.source);
    let mut metadata = Map::new();
    metadata.insert("uid".into(), json!(e.id));
    metadata.insert("version".into(), json!(OCSF_VERSION));
    metadata.insert(
        "product".into(),
        json!({ "name": product, "vendor_name": vendor }),
    );
    metadata.insert("event_code".into(), json!(e.activity.kind_name()));
    metadata.insert("profiles".into(), json!(["datetime"]));
    if let Some(c) = &e.correlation_id {
        metadata.insert("correlation_uid".into(), json!(c));
    }
    r.insert("metadata".into(), Value::Object(metadata));

    // `user` is the account acted on (required); `actor.user` who acted.
    if let Some(target) = e.subject.as_ref().or(e.actor.as_ref()) {
        r.insert("user".into(), user(target));
    } else {
        r.insert("user".into(), json!({ "type_id": 0, "type": "Unknown" }));
    }
    let mut actor = Map::new();
    if let Some(a) = &e.actor {
        actor.insert("user".into(), user(a));
    }
    if let Some(s) = &e.origin.session_id {
        actor.insert("session".into(), json!({ "uid": s }));
        r.insert("session".into(), json!({ "uid": s }));
    }
    if !actor.is_empty() {
        r.insert("actor".into(), Value::Object(actor));
    }

    let src = src_endpoint(e);
    if !src.is_empty() {
        r.insert("src_endpoint".into(), Value::Object(src));
    }
    if let Some(ua) = &e.origin.user_agent {
        r.insert("http_request".into(), json!({ "user_agent": ua }));
    }
    if let Some(d) = &e.origin.device_id {
        r.insert(
            "device".into(),
            json!({ "uid": d, "type_id": 0, "type": "Unknown" }),
        );
    }
    if class_uid == 3002 && !r.contains_key("service") {
        r.insert("service".into(), json!({ "name": product }));
    }
    if let Some(kind) = e.sign_in_kind {
        let (id, name) = match kind {
            SignInKind::Interactive => (2, "Interactive"),
            SignInKind::ServicePrincipal => (5, "Service"),
            _ => (99, "Non-interactive"),
        };
        if class_uid == 3002 {
            r.insert("logon_type_id".into(), json!(id));
            r.insert("logon_type".into(), json!(name));
        }
    }
    Some(Value::Object(r))
}

fn status(r: &mut Map<String, Value>, id: u32, name: &str, detail: Option<String>) {
    r.insert("status_id".into(), json!(id));
    r.insert("status".into(), json!(name));
    if let Some(d) = detail {
        r.insert("status_detail".into(), json!(d));
    }
}

fn failure_detail(reason: &FailureReason) -> String {
    match reason {
        FailureReason::BadPassword => "INVALID_CREDENTIALS".into(),
        FailureReason::UnknownUser => "USER_DOES_NOT_EXIST".into(),
        FailureReason::MfaRequired => "MFA_REQUIRED".into(),
        FailureReason::MfaDenied => "MFA_DENIED".into(),
        FailureReason::MfaTimeout => "MFA_TIMEOUT".into(),
        FailureReason::MfaFraudReported => "MFA_FRAUD_REPORTED".into(),
        FailureReason::MfaFailed => "MFA_FAILED".into(),
        FailureReason::Locked => "ACCOUNT_LOCKED_OUT".into(),
        FailureReason::PolicyBlocked => "POLICY_BLOCKED".into(),
        FailureReason::Other(s) => s.clone(),
        _ => "OTHER".into(),
    }
}

/// OCSF Authentication Factor `factor_type_id` and caption.
fn factor_type(f: Factor) -> (u32, &'static str) {
    match f {
        Factor::Sms => (1, "SMS"),
        Factor::Voice => (3, "Phone Call"),
        Factor::Push => (5, "Push Notification"),
        Factor::Totp => (7, "OTP"),
        Factor::Email => (8, "Email"),
        Factor::WebAuthn => (10, "WebAuthn"),
        _ => (99, "Other"),
    }
}

fn auth_factor(f: Factor, device: Option<&MfaDevice>) -> Value {
    let (id, name) = factor_type(f);
    let mut v = Map::new();
    v.insert("factor_type_id".into(), json!(id));
    v.insert("factor_type".into(), json!(name));
    if let Some(d) = device {
        // OCSF Device: type_id 5 is Mobile.
        let mut dev = Map::new();
        dev.insert("type_id".into(), json!(5));
        dev.insert("type".into(), json!("Mobile"));
        if let Some(id) = &d.id {
            dev.insert("uid".into(), json!(id));
        }
        if let Some(n) = &d.name {
            dev.insert("name".into(), json!(n));
        }
        if let Some(ip) = d.ip {
            dev.insert("ip".into(), json!(ip.to_string()));
        }
        let mut loc = Map::new();
        if let Some(c) = &d.country {
            loc.insert("country".into(), json!(c));
        }
        if let Some(g) = d.geo {
            loc.insert("lat".into(), json!(g.lat));
            loc.insert("long".into(), json!(g.lon));
        }
        if !loc.is_empty() {
            dev.insert("location".into(), Value::Object(loc));
        }
        v.insert("factor_device".into(), Value::Object(dev));
    }
    Value::Object(v)
}

fn user(i: &Identity) -> Value {
    let mut u = Map::new();
    u.insert("name".into(), json!(i.key.as_str()));
    if i.key.domain().is_some() {
        u.insert("email_addr".into(), json!(i.key.as_str()));
    }
    if let Some(id) = &i.vendor_id {
        u.insert("uid".into(), json!(id));
    }
    if let Some(n) = &i.display_name {
        u.insert("full_name".into(), json!(n));
    }
    u.insert("type_id".into(), json!(1));
    u.insert("type".into(), json!("User"));
    Value::Object(u)
}

fn src_endpoint(e: &Event) -> Map<String, Value> {
    let o = &e.origin;
    let mut src = Map::new();
    if let Some(ip) = o.ip {
        src.insert("ip".into(), json!(ip.to_string()));
    }
    let mut loc = Map::new();
    if let Some(c) = &o.city {
        loc.insert("city".into(), json!(c));
    }
    if let Some(c) = &o.country {
        loc.insert("country".into(), json!(c));
    }
    if let Some(r) = &o.region {
        loc.insert("region".into(), json!(r));
    }
    if let Some(g) = o.geo {
        loc.insert("lat".into(), json!(g.lat));
        loc.insert("long".into(), json!(g.lon));
    }
    if !loc.is_empty() {
        src.insert("location".into(), Value::Object(loc));
    }
    if o.asn.is_some() || o.as_org.is_some() {
        let mut asys = Map::new();
        if let Some(n) = o.asn {
            asys.insert("number".into(), json!(n));
        }
        if let Some(n) = &o.as_org {
            asys.insert("name".into(), json!(n));
        }
        src.insert("autonomous_system".into(), Value::Object(asys));
    }
    src
}

/// The OCSF `metadata.product` of events from each source.
fn product(s: Source) -> (&'static str, &'static str) {
    match s {
        Source::Okta => ("Okta System Log", "Okta"),
        Source::Entra => ("Microsoft Entra ID", "Microsoft"),
        Source::M365 => ("Microsoft 365", "Microsoft"),
        Source::GoogleWorkspace => ("Google Workspace", "Google"),
        Source::Duo => ("Duo", "Cisco"),
        Source::CloudTrail => ("CloudTrail", "AWS"),
        _ => ("Palisade testkit", "Palisade"),
    }
}
