//! Cisco Duo adapter: Admin API v2 authentication log objects (`/admin/v2/logs/authentication`).
//!
//! Each `event_type: "authentication"` record is the second-factor step of a sign-in into a
//! protected application, so it becomes a `SignIn` (stage `mfa`) with the application, the access
//! device as origin and the factor. When the factor is a push (`duo_push`, `verified_duo_push`)
//! the record also yields an `MfaPrompt` with its answer (`Approved`, `Denied`, `FraudReported`,
//! `TimedOut`, else `Failed`) under the id `<txid>#mfa_prompt`: the MFA-fatigue detector reads
//! prompts, while the baseline and travel detectors read sign-ins, and both need these records.
//! Denials by policy (`out_of_date`, `endpoint_is_not_trusted`, ...) are `Failed`, not `Denied`:
//! the user never saw them. `event_type: "enrollment"` becomes `AccountChange::MfaFactorEnrolled`.
//!
//! The access device's `browser` and `os` (Duo gives no user agent) go to `origin.client`. The
//! phone that answered (`auth_device`) goes to `mfa_device`, never to the origin. Duo's own
//! anomaly verdicts (`adaptive_trust_assessments` detectors, `rbfs_triggered_attacks` detectors,
//! `anomalous_push`) go to `vendor_signals.reasons`.
//!
//! User names are kept as Duo gives them (often bare, `narroway`); joining them with e-mail
//! identities from other sources is the pipeline's job (alias table or organisation domain).
//! Duo's other logs (administrator, telephony, offline enrollment) are recognized and counted as
//! unsupported.

use palisade_schema::{
    AccountChange, Activity, ClientSoftware, Event, Factor, FailureReason, Identity, MfaDevice,
    MfaPrompt, Origin, Outcome, PromptResult, SignIn, SignInKind, SignInStage, Source, Timestamp,
};

use crate::country_code;
use crate::vendor_json::{
    self, contains, contains_ignore_case, lenient_ip, read_record, required_id, rfc3339_time, List,
    Obj, Scalar,
};
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads Duo authentication log records.
///
/// ```
/// use palisade_ingest::{duo::Duo, Adapter, Notes, Parsed};
/// use palisade_schema::{Activity, PromptResult};
/// let record = br#"{"txid":"t1","isotimestamp":"2021-07-23T07:19:34.702203+00:00","event_type":"authentication",
///   "factor":"duo_push","result":"denied","reason":"user_mistake","user":{"name":"narroway","key":"DU1"},
///   "access_device":{"ip":"89.160.20.112:1234"},"auth_device":{"name":"My iPhone"}}"#;
/// assert!(Duo.sniff(record));
/// let mut out = Vec::new();
/// assert_eq!(Duo.parse(record, &mut out, &mut Notes::default()), Ok(Parsed::Events));
/// assert_eq!(out.len(), 2);
/// assert!(matches!(&out[1].activity, Activity::MfaPrompt(p) if p.result == PromptResult::Denied));
/// assert_eq!(out[0].origin.ip.unwrap().to_string(), "89.160.20.112");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Duo;

impl Adapter for Duo {
    fn source(&self) -> Source {
        Source::Duo
    }

    fn sniff(&self, record: &[u8]) -> bool {
        (contains(record, b"\"txid\"")
            && (contains(record, b"\"access_device\"") || contains(record, b"\"telephony_id\"")))
            || contains(record, b"\"isotimestamp\"")
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        _notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        let mut rec = Record::default();
        read_record(record, &mut rec)?;
        let event_type = match rec.event_type.text() {
            Some(t) => t,
            None => return Ok(Parsed::Unsupported(rec.other_log_name())),
        };
        let enrollment = match event_type {
            "authentication" => false,
            "enrollment" => true,
            other => return Ok(Parsed::Unsupported(other.to_owned())),
        };
        let id = required_id(&rec.txid, "txid")?;
        let time = rec.time()?;
        let factor_name = rec.factor.text().unwrap_or("");
        let factor = factor_of(factor_name);
        let result = rec.result.text().unwrap_or("");
        let reason = rec.reason.text().unwrap_or("");
        let success = result.eq_ignore_ascii_case("success");
        let result = if success { "success" } else { result };

        let (activity, prompt) = if enrollment {
            if !success {
                return Ok(Parsed::Unsupported(format!("enrollment {result}")));
            }
            (
                Activity::AccountChange(AccountChange::MfaFactorEnrolled { factor }),
                None,
            )
        } else {
            let outcome = if success {
                Outcome::Success
            } else {
                Outcome::Failure {
                    reason: failure_reason(result, reason),
                }
            };
            let prompt = (factor == Some(Factor::Push)).then(|| prompt_result(result, reason));
            let sign_in = SignIn {
                stage: SignInStage::Mfa,
                outcome,
                factor,
                app: rec
                    .application
                    .get()
                    .and_then(|a| a.name.text())
                    .map(str::to_owned),
                mfa_satisfied: None,
            };
            (Activity::SignIn(sign_in), prompt)
        };

        let mut event = Event::new(time, id, Source::Duo, activity);
        if let Some(user) = rec.user.get() {
            event.actor = user.name.text().map(|name| {
                let mut who = Identity::new(name);
                who.vendor_id = user.key.text().map(str::to_owned);
                who
            });
        }
        event.correlation_id = Some(event.id.clone());
        event.sign_in_kind = (!enrollment).then_some(SignInKind::Interactive);
        event.origin = rec
            .access_device
            .get()
            .map(AccessDevice::origin)
            .unwrap_or_default();
        event.mfa_device = rec
            .auth_device
            .get()
            .map(AuthDevice::device)
            .filter(|d| *d != MfaDevice::default());
        event.vendor_signals.reasons = rec.reasons(reason);

        match prompt {
            Some(result) => {
                // The prompt differs from its sign-in only in id and activity: those two are
                // swapped out around the clone rather than cloned and then replaced.
                let prompt = Activity::MfaPrompt(MfaPrompt {
                    factor: Factor::Push,
                    result,
                });
                let id = std::mem::take(&mut event.id);
                let sign_in = std::mem::replace(&mut event.activity, prompt);
                let mut p = event.clone();
                p.id = prompt_id(&id);
                event.id = id;
                event.activity = sign_in;
                out.push(event);
                out.push(p);
            }
            None => out.push(event),
        }
        Ok(Parsed::Events)
    }
}

/// The prompt's id beside its sign-in's: `<txid>#mfa_prompt`.
fn prompt_id(txid: &str) -> String {
    const SUFFIX: &str = "#mfa_prompt";
    let mut id = String::with_capacity(txid.len() + SUFFIX.len());
    id.push_str(txid);
    id.push_str(SUFFIX);
    id
}

/// Duo's `factor` values: `duo_push`, `phone_call`, `sms_passcode`, `passcode`,
/// `duo_mobile_passcode`, `hardware_token`, `yubikey_code`, `webauthn`/`u2f_token`, ...; the
/// ones that are no second factor at all (`remembered_device`, `trusted_network`, `bypass_code`,
/// `not_available`) give `None`.
fn factor_of(name: &str) -> Option<Factor> {
    let has = |s: &str| contains_ignore_case(name, s);
    if name.is_empty()
        || has("remembered")
        || has("trusted")
        || has("bypass")
        || has("not_available")
        || has("none")
    {
        None
    } else if has("push") {
        Some(Factor::Push)
    } else if has("phone_call") || has("call") {
        Some(Factor::Voice)
    } else if has("sms") {
        Some(Factor::Sms)
    } else if has("webauthn") || has("u2f") || has("security key") || has("touch id") {
        Some(Factor::WebAuthn)
    } else if has("passcode") || has("token") || has("yubikey") || has("otp") {
        Some(Factor::Totp)
    } else {
        Some(Factor::Other)
    }
}

fn prompt_result(result: &str, reason: &str) -> PromptResult {
    match (result, reason) {
        ("success", _) => PromptResult::Approved,
        ("fraud", _) | (_, "user_marked_fraud") => PromptResult::FraudReported,
        (_, "user_mistake" | "user_declined" | "deny_push") => PromptResult::Denied,
        (_, "no_response" | "timeout" | "push_timeout" | "queued_inflight_auth_expired") => {
            PromptResult::TimedOut
        }
        _ => PromptResult::Failed,
    }
}

fn failure_reason(result: &str, reason: &str) -> FailureReason {
    match (result, reason) {
        ("fraud", _) | (_, "user_marked_fraud") => FailureReason::MfaFraudReported,
        (_, "user_mistake" | "user_declined" | "deny_push") => FailureReason::MfaDenied,
        (_, "no_response" | "timeout" | "push_timeout" | "queued_inflight_auth_expired") => {
            FailureReason::MfaTimeout
        }
        (_, "invalid_passcode" | "used_passcode" | "invalid_device") => FailureReason::MfaFailed,
        (_, "locked_out" | "user_disabled") => FailureReason::Locked,
        (_, "deny_unenrolled_user" | "user_not_in_permitted_group" | "anomalous_push")
        | (_, "no_disk_encryption" | "no_screen_lock" | "rooted_device" | "out_of_date") => {
            FailureReason::PolicyBlocked
        }
        (_, r) if r.ends_with("_restricted") || r.starts_with("endpoint_") => {
            FailureReason::PolicyBlocked
        }
        (_, "") => FailureReason::Other(result.to_owned()),
        (_, r) => FailureReason::Other(r.to_owned()),
    }
}

vendor_record! {
    struct Record<'a> {
        txid: Scalar<'a> = "txid",
        isotimestamp: Scalar<'a> = "isotimestamp",
        timestamp: Scalar<'a> = "timestamp",
        event_type: Scalar<'a> = "event_type",
        factor: Scalar<'a> = "factor",
        result: Scalar<'a> = "result",
        reason: Scalar<'a> = "reason",
        user: Obj<User<'a>> = "user",
        application: Obj<Application<'a>> = "application",
        access_device: Obj<AccessDevice<'a>> = "access_device",
        auth_device: Obj<AuthDevice<'a>> = "auth_device",
        adaptive_trust: Obj<AdaptiveTrust<'a>> = "adaptive_trust_assessments",
        rbfs_attacks: List<Obj<TriggeredAttack<'a>>> = "rbfs_triggered_attacks",
        // Other Duo logs, recognized to be counted as unsupported.
        action: Scalar<'a> = "action",
        eventtype: Scalar<'a> = "eventtype",
        telephony_id: Scalar<'a> = "telephony_id",
    }
}

vendor_record! {
    struct User<'a> {
        name: Scalar<'a> = "name",
        key: Scalar<'a> = "key",
    }
}

vendor_record! {
    struct Application<'a> {
        name: Scalar<'a> = "name",
    }
}

vendor_record! {
    struct AccessDevice<'a> {
        ip: Scalar<'a> = "ip",
        epkey: Scalar<'a> = "epkey",
        browser: Scalar<'a> = "browser",
        os: Scalar<'a> = "os",
        location: Obj<Location<'a>> = "location",
    }
}

vendor_record! {
    struct AuthDevice<'a> {
        ip: Scalar<'a> = "ip",
        key: Scalar<'a> = "key",
        name: Scalar<'a> = "name",
        location: Obj<Location<'a>> = "location",
    }
}

vendor_record! {
    struct Location<'a> {
        city: Scalar<'a> = "city",
        state: Scalar<'a> = "state",
        country: Scalar<'a> = "country",
    }
}

vendor_record! {
    struct AdaptiveTrust<'a> {
        more_secure_auth: Obj<Assessment<'a>> = "more_secure_auth",
    }
}

vendor_record! {
    struct Assessment<'a> {
        detectors: List<Scalar<'a>> = "detected_attack_detectors",
    }
}

vendor_record! {
    struct TriggeredAttack<'a> {
        detector: Scalar<'a> = "detector",
    }
}

impl<'a> Record<'a> {
    fn time(&self) -> Result<Timestamp, BadRecordReason> {
        if !self.isotimestamp.is_missing() {
            return rfc3339_time(&self.isotimestamp, "isotimestamp");
        }
        match &self.timestamp {
            t if t.is_missing() => Err(BadRecordReason::MissingField("isotimestamp")),
            t => {
                let secs = t.as_f64().ok_or_else(|| BadRecordReason::BadValue {
                    field: "timestamp",
                    detail: format!("expected epoch seconds, found {}", t.kind()),
                })?;
                let ms = (secs * 1000.0).round();
                if !ms.is_finite() || ms.abs() > 1e17 {
                    return Err(BadRecordReason::BadTime(format!("`timestamp`: {secs}")));
                }
                Timestamp::from_millis(ms as i64)
                    .map_err(|e| BadRecordReason::BadTime(format!("`timestamp`: {e}")))
            }
        }
    }

    /// A name for records of Duo's other logs: administrator (`action`), telephony, offline.
    fn other_log_name(&self) -> String {
        let log = self
            .eventtype
            .text()
            .unwrap_or(if self.telephony_id.is_missing() {
                "admin_log"
            } else {
                "telephony_log"
            });
        match self.action.text() {
            Some(action) => format!("{log} {action}"),
            None => log.to_owned(),
        }
    }

    fn reasons(&self, reason: &str) -> Vec<String> {
        let mut reasons: Vec<String> = Vec::new();
        let mut add = |r: &str| {
            if !r.is_empty() && !reasons.iter().any(|x| x == r) {
                reasons.push(r.to_owned());
            }
        };
        if reason == "anomalous_push" {
            add(reason);
        }
        if let Some(a) = self
            .adaptive_trust
            .get()
            .and_then(|a| a.more_secure_auth.get())
        {
            a.detectors
                .iter()
                .filter_map(Scalar::text)
                .for_each(&mut add);
        }
        self.rbfs_attacks
            .iter()
            .filter_map(Obj::get)
            .filter_map(|a| a.detector.text())
            .for_each(&mut add);
        reasons
    }
}

impl AccessDevice<'_> {
    fn origin(&self) -> Origin {
        let mut o = Origin {
            ip: self.ip.text().and_then(lenient_ip),
            device_id: self.epkey.text().map(str::to_owned),
            client: ClientSoftware::new(self.browser.text(), self.os.text()),
            ..Origin::default()
        };
        if let Some(l) = self.location.get() {
            o.city = place_name(&l.city).map(str::to_owned);
            o.region = place_name(&l.state).map(str::to_owned);
            o.country = l.country.text().and_then(country_code);
        }
        o
    }
}

/// A city or state name, or none where Duo prints a placeholder (`-`) for a place it could
/// not locate: every place name has a letter in it.
fn place_name<'a>(s: &'a Scalar<'_>) -> Option<&'a str> {
    s.text().filter(|t| t.chars().any(char::is_alphabetic))
}

impl AuthDevice<'_> {
    fn device(&self) -> MfaDevice {
        MfaDevice {
            id: self.key.text().map(str::to_owned),
            name: self.name.text().map(str::to_owned),
            ip: self.ip.text().and_then(lenient_ip),
            geo: None,
            country: self
                .location
                .get()
                .and_then(|l| l.country.text())
                .and_then(country_code),
        }
    }
}
