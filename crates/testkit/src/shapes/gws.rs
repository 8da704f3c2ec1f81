//! Google Workspace writer: Admin SDK Reports API `activity` resources (`admin#reports#activity`)
//! of the `login` and `user_accounts` applications.
//!
//! | Palisade event                         | application / event `name`                                      |
//! |----------------------------------------|-----------------------------------------------------------------|
//! | `SignIn` primary, success              | `login` / `login_success` (`login_challenge_method` `password`); when its session goes on to a 2-step challenge, a second after the first that passes, and not at all if none does |
//! | `SignIn` primary, failure              | `login` / `login_failure` (`login_failure_invalid_password`, `login_failure_account_disabled`) |
//! | `SignIn` mfa                           | `login` / `login_challenge` (`google_prompt`, `totp`, `idv_preregistered_phone`, `security_key`; `Challenge Passed` / `Challenge Failed`) |
//! | `SessionRevoke`                        | `login` / `logout`                                              |
//! | `MailboxForwarding` out of the domain  | `user_accounts` / `email_forwarding_out_of_domain`              |
//! | factor enrolled / removed, password changed | `user_accounts` / `2sv_enroll` / `2sv_disable` / `password_edit` |
//! | prompts, sessions started, unknown-user failures, inbox rules, mail and file access, forwarding inside the domain | not expressible |
//!
//! Google logs no push prompt of its own (the `login_challenge` is the step), says only that a
//! challenge failed (not whether it was denied or unanswered), and logs no attempt on an account
//! that does not exist. `id.uniqueQualifier` is a signed 64-bit number derived from the event id,
//! so the adapter's ids (`<application>/<time>/<uniqueQualifier>#<event name>`) stay unique and
//! deterministic.
//! `networkInfo` carries the ASN and the country (`regionCode`); there are no coordinates.

use std::collections::BTreeMap;

use palisade_core::stable_hash;
use palisade_schema::{
    AccountChange, Activity, Duration, Event, Factor, FailureReason, Outcome, SignInStage,
};
use serde_json::{json, Value};

use super::{challenged_sessions, login, org_name, push_line, Rendered, Shape};

/// Writes Google Workspace Reports API activities.
///
/// ```
/// use palisade_schema::*;
/// use palisade_testkit::shapes::{GoogleWorkspace, Shape};
/// let e = Event::new(
///     Timestamp::parse_rfc3339("2024-03-20T11:02:03Z").unwrap(),
///     "evt-1",
///     Source::GoogleWorkspace,
///     Activity::SignIn(SignIn::failure(SignInStage::Primary, FailureReason::BadPassword)),
/// )
/// .with_actor(Identity::new("alice@contoso.com.au"));
/// let mut out = String::new();
/// assert!(GoogleWorkspace.write(&e, &mut out));
/// let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
/// assert_eq!(v["id"]["applicationName"], "login");
/// assert_eq!(v["events"][0]["name"], "login_failure");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GoogleWorkspace;

impl Shape for GoogleWorkspace {
    fn name(&self) -> &'static str {
        "gws"
    }

    fn write(&self, event: &Event, out: &mut String) -> bool {
        match record(event) {
            Some(v) => push_line(out, &v),
            None => false,
        }
    }

    /// Google logs a sign-in once it is complete: a password success whose session goes on to
    /// a 2-step challenge is written as `login_success` a second after the first challenge of
    /// the session that passes (before the session's next password success), and not at all
    /// when none does (an attacker refused at the prompt leaves only the failed challenges).
    fn render_into(&self, events: &[Event], out: &mut Rendered) {
        let challenged = challenged_sessions(events);
        // Each challenged session's password success waiting for a challenge to pass.
        let mut waiting: BTreeMap<&str, &Event> = BTreeMap::new();
        for e in events {
            let session = e.origin.session_id.as_deref();
            let Activity::SignIn(s) = &e.activity else {
                let wrote = self.write(e, &mut out.text);
                out.count(e, wrote, false);
                continue;
            };
            match (s.stage, s.outcome.is_success(), session) {
                (SignInStage::Primary, true, Some(id)) if challenged.contains(id) => {
                    if let Some(abandoned) = waiting.insert(id, e) {
                        out.count(abandoned, false, false);
                    }
                }
                (SignInStage::Mfa, passed, id) => {
                    let wrote = self.write(e, &mut out.text);
                    out.count(e, wrote, false);
                    let completes = if passed {
                        id.and_then(|id| waiting.remove(id))
                    } else {
                        None
                    };
                    if let Some(p) = completes {
                        let mut done = p.clone();
                        done.time = e.time + Duration::from_secs(1);
                        let wrote = self.write(&done, &mut out.text);
                        out.count(p, wrote, false);
                    }
                }
                _ => {
                    let wrote = self.write(e, &mut out.text);
                    out.count(e, wrote, false);
                }
            }
        }
        for p in waiting.into_values() {
            out.count(p, false, false);
        }
    }
}

fn param(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

fn methods(values: &[&str]) -> Value {
    json!({ "name": "login_challenge_method", "multiValue": values })
}

fn bool_param(name: &str, value: bool) -> Value {
    json!({ "name": name, "boolValue": value })
}

fn challenge_method(f: Option<Factor>) -> Option<&'static str> {
    Some(match f {
        Some(Factor::Push) | None => "google_prompt",
        Some(Factor::Totp) => "totp",
        Some(Factor::Sms) | Some(Factor::Voice) => "idv_preregistered_phone",
        Some(Factor::WebAuthn) => "security_key",
        _ => return None,
    })
}

/// `(applicationName, event type, event name, parameters)`.
fn entry(e: &Event) -> Option<(&'static str, &'static str, &'static str, Vec<Value>)> {
    // Google's own verdict, as the ingest adapter records it.
    let suspicious = bool_param(
        "is_suspicious",
        e.vendor_signals
            .reasons
            .iter()
            .any(|r| r == "is_suspicious"),
    );
    Some(match &e.activity {
        Activity::SignIn(s) => match (s.stage, &s.outcome) {
            (SignInStage::Primary, Outcome::Success) => (
                "login",
                "login",
                "login_success",
                vec![
                    param("login_type", "google_password"),
                    methods(&["password"]),
                    suspicious,
                    bool_param("is_second_factor", false),
                ],
            ),
            (SignInStage::Primary, Outcome::Failure { reason }) => {
                let failure = match reason {
                    FailureReason::BadPassword => "login_failure_invalid_password",
                    FailureReason::Locked => "login_failure_account_disabled",
                    _ => return None,
                };
                (
                    "login",
                    "login",
                    "login_failure",
                    vec![
                        param("login_type", "google_password"),
                        methods(&["password"]),
                        param("login_failure_type", failure),
                        suspicious,
                    ],
                )
            }
            (SignInStage::Mfa, outcome) => {
                let method = challenge_method(s.factor)?;
                let status = match outcome {
                    Outcome::Success => "Challenge Passed",
                    Outcome::Failure { reason } if reason.is_mfa() => "Challenge Failed",
                    Outcome::Failure { .. } => return None,
                };
                (
                    "login",
                    "login",
                    "login_challenge",
                    vec![
                        param("login_type", "google_password"),
                        methods(&[method]),
                        param("login_challenge_status", status),
                        suspicious,
                        bool_param("is_second_factor", true),
                    ],
                )
            }
            _ => return None,
        },
        Activity::SessionRevoke => (
            "login",
            "login",
            "logout",
            vec![param("login_type", "google_password")],
        ),
        Activity::MailboxForwarding(f) => {
            let to = f.forward_to.as_deref()?;
            let user_domain = login(e)?.rsplit_once('@').map(|(_, d)| d);
            let to_domain = to.rsplit_once('@').map(|(_, d)| d);
            if f.mailbox.is_some() || to_domain.is_none() || to_domain == user_domain {
                return None;
            }
            (
                "user_accounts",
                "email_forwarding_change",
                "email_forwarding_out_of_domain",
                vec![param("email_forwarding_destination_address", to)],
            )
        }
        Activity::AccountChange(c) => match c {
            AccountChange::MfaFactorEnrolled { .. } => {
                ("user_accounts", "2sv_change", "2sv_enroll", vec![])
            }
            AccountChange::MfaFactorRemoved { .. } => {
                ("user_accounts", "2sv_change", "2sv_disable", vec![])
            }
            AccountChange::PasswordChanged => {
                ("user_accounts", "password_change", "password_edit", vec![])
            }
            _ => return None,
        },
        _ => return None,
    })
}

fn record(e: &Event) -> Option<Value> {
    let (app, kind, name, parameters) = entry(e)?;
    let user = login(e)?;
    let org = org_name(e);
    let qualifier = stable_hash(&["gws-activity", e.id.as_str()]) as i64;
    let customer = format!(
        "C0{:07x}",
        stable_hash(&["gws-customer", &org]) & 0x0fff_ffff
    );
    let profile = format!(
        "1{:020}",
        stable_hash(&["gws-profile", user]) % 10_000_000_000_000_000_000
    );
    let mut r = json!({
        "kind": "admin#reports#activity",
        "id": {
            "time": e.time.to_string(),
            "uniqueQualifier": qualifier.to_string(),
            "applicationName": app,
            "customerId": customer
        },
        "etag": format!("\"{:016x}\"", stable_hash(&["gws-etag", e.id.as_str()])),
        "actor": {"callerType": "USER", "email": user, "profileId": profile},
        "events": [{"type": kind, "name": name, "parameters": parameters}]
    });
    if let Some(ip) = e.origin.ip {
        r["ipAddress"] = json!(ip.to_string());
    }
    let o = &e.origin;
    if o.asn.is_some() || o.country.is_some() {
        let mut info = serde_json::Map::new();
        if let Some(asn) = o.asn {
            info.insert("ipAsn".into(), json!([asn]));
        }
        if let Some(c) = &o.country {
            info.insert("regionCode".into(), json!(c));
        }
        r["networkInfo"] = Value::Object(info);
    }
    Some(r)
}
