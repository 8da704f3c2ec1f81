//! Cisco Duo writer: Admin API v2 authentication log objects (`/admin/v2/logs/authentication`).
//!
//! Duo logs the second factor only, one `event_type: "authentication"` record per attempt:
//!
//! | Palisade event                            | record                                                   |
//! |-------------------------------------------|----------------------------------------------------------|
//! | `SignIn` mfa (push)                       | `factor` `duo_push`, `result`/`reason` `success`/`user_approved`, `denied`/`user_declined`, `denied`/`no_response`, `fraud`/`user_marked_fraud`, `denied`/`invalid_device` |
//! | `SignIn` mfa (other factors)              | `duo_mobile_passcode`, `sms_passcode`, `phone_call`, `webauthn` (`invalid_passcode` on failure) |
//! | `MfaPrompt` answered (any result but sent) | carried by the step's record; its answering phone becomes `auth_device` when the whole flow is rendered ([`Shape::render_into`]) |
//! | `AccountChange` factor enrolled           | `event_type: "enrollment"`                               |
//! | everything else (first factor, prompts sent, sessions, mail) | not expressible                       |
//!
//! `txid` is the step event's id, and is also the correlation id the adapter gives both the step
//! and the prompt it derives (`<txid>#mfa_prompt`). The access device is the sign-in origin
//! (`epkey` its device id); countries are written by name, as Duo does.

use std::collections::BTreeMap;

use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, MfaDevice, Outcome, PromptResult,
    SignInStage,
};
use serde_json::{json, Map, Value};

use super::{country_text, login, push_line, token, Rendered, Shape};

const HEX_UPPER: &[u8] = b"0123456789ABCDEF";

/// Writes Duo authentication log records.
///
/// ```
/// use palisade_schema::*;
/// use palisade_testkit::shapes::{Duo, Shape};
/// let mut step = SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied);
/// step.factor = Some(Factor::Push);
/// let e = Event::new(
///     Timestamp::parse_rfc3339("2024-03-20T11:02:03Z").unwrap(),
///     "tx-1",
///     Source::Duo,
///     Activity::SignIn(step),
/// )
/// .with_actor(Identity::new("alice@contoso.com.au"));
/// let mut out = String::new();
/// assert!(Duo.write(&e, &mut out));
/// let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
/// assert_eq!((v["factor"].as_str(), v["result"].as_str()), (Some("duo_push"), Some("denied")));
/// assert_eq!(v["reason"], "user_declined");
/// assert_eq!(v["txid"], "tx-1");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Duo;

impl Shape for Duo {
    fn name(&self) -> &'static str {
        "duo"
    }

    fn write(&self, event: &Event, out: &mut String) -> bool {
        match record(event, None) {
            Some(v) => push_line(out, &v),
            None => false,
        }
    }

    fn carries(&self, event: &Event) -> bool {
        matches!(&event.activity, Activity::MfaPrompt(p) if p.result != PromptResult::Sent)
    }

    /// Gives each MFA step the phone that answered its prompt (the answer shares the step's
    /// correlation id).
    fn render_into(&self, events: &[Event], out: &mut Rendered) {
        let mut phones: BTreeMap<&str, &MfaDevice> = BTreeMap::new();
        for e in events {
            if let (Activity::MfaPrompt(_), Some(c), Some(d)) =
                (&e.activity, &e.correlation_id, &e.mfa_device)
            {
                phones.insert(c.as_str(), d);
            }
        }
        for e in events {
            let phone = e
                .correlation_id
                .as_deref()
                .and_then(|c| phones.get(c).copied());
            let wrote = match record(e, phone) {
                Some(v) => push_line(&mut out.text, &v),
                None => false,
            };
            out.count(e, wrote, !wrote && self.carries(e));
        }
    }
}

fn factor_name(f: Factor) -> Option<&'static str> {
    Some(match f {
        Factor::Push => "duo_push",
        Factor::Totp => "duo_mobile_passcode",
        Factor::Sms => "sms_passcode",
        Factor::Voice => "phone_call",
        Factor::WebAuthn => "webauthn",
        _ => return None,
    })
}

fn location(country: Option<&str>, city: Option<&str>, state: Option<&str>) -> Value {
    json!({
        "city": city,
        "country": country.map(country_text),
        "state": state
    })
}

fn record(e: &Event, phone: Option<&MfaDevice>) -> Option<Value> {
    let (event_type, factor, result, reason, app) = match &e.activity {
        Activity::SignIn(s) if s.stage == SignInStage::Mfa => {
            let factor = s.factor.and_then(factor_name)?;
            let (result, reason) = match &s.outcome {
                Outcome::Success => ("success", "user_approved"),
                Outcome::Failure { reason } => match reason {
                    FailureReason::MfaDenied => ("denied", "user_declined"),
                    FailureReason::MfaTimeout => ("denied", "no_response"),
                    FailureReason::MfaFraudReported => ("fraud", "user_marked_fraud"),
                    FailureReason::MfaFailed if s.factor == Some(Factor::Push) => {
                        ("denied", "invalid_device")
                    }
                    FailureReason::MfaFailed => ("denied", "invalid_passcode"),
                    FailureReason::Locked => ("denied", "locked_out"),
                    FailureReason::PolicyBlocked => ("denied", "user_not_in_permitted_group"),
                    _ => return None,
                },
            };
            ("authentication", factor, result, reason, s.app.as_deref())
        }
        Activity::AccountChange(AccountChange::MfaFactorEnrolled { factor }) => {
            let factor = factor.and_then(factor_name).unwrap_or("duo_push");
            ("enrollment", factor, "success", "", None)
        }
        _ => return None,
    };
    let user = login(e)?;
    let o = &e.origin;
    let mut r = Map::new();
    let mut access = Map::new();
    access.insert("browser".into(), Value::Null);
    access.insert("browser_version".into(), Value::Null);
    if let Some(d) = &o.device_id {
        access.insert("epkey".into(), json!(d));
    }
    access.insert("hostname".into(), Value::Null);
    access.insert("ip".into(), json!(o.ip.map(|ip| ip.to_string())));
    access.insert(
        "location".into(),
        location(o.country.as_deref(), o.city.as_deref(), o.region.as_deref()),
    );
    access.insert("os".into(), Value::Null);
    access.insert("os_version".into(), Value::Null);
    r.insert("access_device".into(), Value::Object(access));
    r.insert("adaptive_trust_assessments".into(), json!({}));
    r.insert("alias".into(), json!(""));
    let app_name = app.unwrap_or("Duo Protected Application");
    r.insert(
        "application".into(),
        json!({
            "key": format!("DI{}", token(&["duo-app", app_name], HEX_UPPER, 18)),
            "name": app_name
        }),
    );
    if let Some(p) = phone {
        let mut dev = Map::new();
        dev.insert("ip".into(), json!(p.ip.map(|ip| ip.to_string())));
        if let Some(k) = &p.id {
            dev.insert("key".into(), json!(k));
        }
        dev.insert(
            "location".into(),
            location(p.country.as_deref(), None, None),
        );
        dev.insert("name".into(), json!(p.name));
        r.insert("auth_device".into(), Value::Object(dev));
    }
    r.insert(
        "email".into(),
        json!(if user.contains('@') { user } else { "" }),
    );
    r.insert("event_type".into(), json!(event_type));
    r.insert("factor".into(), json!(factor));
    let iso = e.time.to_string();
    r.insert(
        "isotimestamp".into(),
        json!(format!("{}+00:00", iso.trim_end_matches('Z'))),
    );
    r.insert("ood_software".into(), Value::Null);
    r.insert("reason".into(), json!(reason));
    r.insert("result".into(), json!(result));
    r.insert(
        "timestamp".into(),
        json!(e.time.as_millis().div_euclid(1000)),
    );
    r.insert("trusted_endpoint_status".into(), json!("not trusted"));
    r.insert("txid".into(), json!(e.id));
    let user_key = e
        .actor
        .as_ref()
        .and_then(|a| a.vendor_id.clone())
        .unwrap_or_else(|| format!("DU{}", token(&["duo-user", user], HEX_UPPER, 18)));
    r.insert(
        "user".into(),
        json!({ "groups": [], "key": user_key, "name": user }),
    );
    Some(Value::Object(r))
}
