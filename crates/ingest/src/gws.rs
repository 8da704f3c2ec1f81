//! Google Workspace adapter: Admin SDK Reports API `activity` resources
//! (`admin#reports#activity`), one per record, with `events` an array (the API's shape) or a
//! single object (Elastic's split shape).
//!
//! Each entry of `events` that a detector needs becomes one event, with the id
//! `<id.applicationName>/<id.time>/<id.uniqueQualifier>#<event name>` (the time in UTC with
//! milliseconds; the split and the array shapes give the same ids):
//!
//! | `applicationName` | event `name`                                        | becomes |
//! |-------------------|-----------------------------------------------------|---------|
//! | `login`           | `login_success`                                     | `SignIn` primary success (`is_suspicious` → `vendor_signals.reasons`) |
//! | `login`           | `login_failure`                                     | `SignIn` primary failure, reason from `login_failure_type` |
//! | `login`           | `login_challenge`                                   | `SignIn` (mfa, or primary for a password challenge), outcome from `login_challenge_status` |
//! | `login`           | `login_verification`                                | `SignIn` mfa (2-step verification), outcome from `login_challenge_status` |
//! | `login`           | `logout`                                            | `SessionRevoke` |
//! | `login`           | `account_warning` events (`suspicious_login*`, `account_disabled_*`, `gov_attack_warning`), `risky_sensitive_action_*` | `Other`, the name in `vendor_signals.reasons`, `affected_email_address` as subject |
//! | `saml`            | `login_success` / `login_failure`                   | `SignIn` sso, `app` from `application_name` |
//! | `login`, `user_accounts` | `2sv_enroll` / `2sv_disable` / `password_edit` | `AccountChange` |
//! | `user_accounts`   | `email_forwarding_out_of_domain`                    | `MailboxForwarding` to `email_forwarding_destination_address` |
//! | `admin`           | `CREATE_/CHANGE_/DELETE_GMAIL_SETTING` (an organisational unit's setting, named by `SETTING_NAME`) | `Other` (`"<event> <SETTING_NAME>"`, kept for context) |
//! | `admin`           | `CHANGE_PASSWORD`, `GRANT_ADMIN_PRIVILEGE`, `ASSIGN_ROLE` | `AccountChange` for `USER_EMAIL` |
//!
//! A record none of whose events is mapped is unsupported, named `<application> <event name>`.

use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, Identity, MailboxForwarding, Origin,
    Outcome, SignIn, SignInStage, Source, Timestamp, VendorSignals,
};

use crate::country_code;
use crate::vendor_json::{
    self, contains, contains_ignore_case, lenient_ip, read_record, required_id, required_str,
    rfc3339_time, List, Obj, Scalar,
};
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads Google Workspace Reports API activities.
///
/// ```
/// use palisade_ingest::{gws::GoogleWorkspace, Adapter, Notes, Parsed};
/// let record = br#"{"kind":"admin#reports#activity","id":{"time":"2020-10-02T15:00:00Z","uniqueQualifier":"7",
///   "applicationName":"login","customerId":"C01"},"actor":{"email":"foo@example.com","profileId":"1"},
///   "ipAddress":"67.43.156.13","events":[{"type":"login","name":"login_failure",
///   "parameters":[{"name":"login_failure_type","value":"login_failure_invalid_password"}]}]}"#;
/// assert!(GoogleWorkspace.sniff(record));
/// let mut out = Vec::new();
/// assert_eq!(GoogleWorkspace.parse(record, &mut out, &mut Notes::default()), Ok(Parsed::Events));
/// assert!(out[0].activity.is_failed_sign_in());
/// assert_eq!(out[0].id, "login/2020-10-02T15:00:00.000Z/7#login_failure");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GoogleWorkspace;

impl Adapter for GoogleWorkspace {
    fn source(&self) -> Source {
        Source::GoogleWorkspace
    }

    fn sniff(&self, record: &[u8]) -> bool {
        contains(record, b"\"applicationName\"")
            && (contains(record, b"#activity\"") || contains(record, b"\"events\""))
            && !contains(record, b"\"class_uid\"")
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        _notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        let mut rec = Record::default();
        read_record(record, &mut rec)?;
        let Some(id) = rec.id.get() else {
            return Err(BadRecordReason::MissingField("id"));
        };
        let app = required_str(&id.application_name, "id.applicationName")?;
        // Events go straight into `out`: building them elsewhere and moving them in was a tenth
        // of the parse. The parts every event shares are set once the last one is known.
        let start = out.len();
        let mut first_name = None;
        let mut seen = SeenNames::default();
        let mut shared: Option<Shared> = None;
        for entry in rec.events.iter().filter_map(Obj::get) {
            let name = entry.name.text().unwrap_or("");
            first_name.get_or_insert(name);
            let Some(m) = map_event(app, entry) else {
                continue;
            };
            let repeats = seen.add(name);
            let parts = match &mut shared {
                Some(parts) => parts,
                // Checked only once an event is mapped: an activity of unmapped events is
                // unsupported, whatever its id and time.
                None => shared.insert(Shared::read(&rec, app, id)?),
            };
            let mut event_id = String::with_capacity(parts.id_prefix.len() + name.len() + 4);
            event_id.push_str(&parts.id_prefix);
            event_id.push_str(name);
            if repeats > 0 {
                event_id.push('#');
                event_id.push_str(&repeats.to_string());
            }
            out.push(Event::new(
                parts.time,
                event_id,
                Source::GoogleWorkspace,
                m.activity,
            ));
            let Some(event) = out.last_mut() else {
                continue;
            };
            event.subject = m.subject.map(|s| Identity::new(&s)).filter(|s| {
                parts.actor.as_ref().is_none_or(|a| a.key != s.key) && !s.key.is_empty()
            });
            event.vendor_signals = m.signals;
        }
        let Some(mut parts) = shared else {
            return Ok(Parsed::Unsupported(format!(
                "{app} {}",
                first_name.unwrap_or("(no events)")
            )));
        };
        // Most activities map to one event: the shared parts are moved into the last one rather
        // than cloned.
        if let Some((last, rest)) = out[start..].split_last_mut() {
            for event in rest {
                event.tenant.clone_from(&parts.tenant);
                event.actor.clone_from(&parts.actor);
                event.origin.clone_from(&parts.origin);
            }
            last.tenant = parts.tenant.take();
            last.actor = parts.actor.take();
            last.origin = std::mem::take(&mut parts.origin);
        }
        Ok(Parsed::Events)
    }
}

/// What every event of one activity carries.
struct Shared {
    /// `<application>/<time>/<uniqueQualifier>#`, what every event id of the record starts
    /// with. Google's id of an activity is its application, time and unique qualifier (the
    /// qualifier is unique only among activities of the same time), so all three are in it:
    /// qualifiers that repeat at other times never merge two events.
    id_prefix: String,
    time: Timestamp,
    tenant: Option<String>,
    actor: Option<Identity>,
    origin: Origin,
}

impl Shared {
    fn read(rec: &Record<'_>, app: &str, id: &ActivityId<'_>) -> Result<Shared, BadRecordReason> {
        let qualifier = required_id(&id.unique_qualifier, "id.uniqueQualifier")?;
        let time = rfc3339_time(&id.time, "id.time")?;
        let id_prefix = format!("{app}/{time}/{qualifier}#");
        let actor = rec.actor.get().and_then(|a| {
            let email = a.email.text()?;
            let mut who = Identity::new(email);
            who.vendor_id = a.profile_id.id_text().map(|p| p.into_owned());
            Some(who)
        });
        Ok(Shared {
            id_prefix,
            time,
            tenant: id.customer_id.id_text().map(|c| c.into_owned()),
            actor,
            origin: rec.origin(),
        })
    }
}

/// Names of the events mapped so far, for numbering repeats (`<id>#<name>#1`), without an
/// allocation for the usual single event.
#[derive(Default)]
struct SeenNames<'a> {
    first: Option<&'a str>,
    rest: Vec<&'a str>,
}

impl<'a> SeenNames<'a> {
    /// Adds `name`; returns how many times it was seen before.
    fn add(&mut self, name: &'a str) -> usize {
        let repeats = usize::from(self.first == Some(name))
            + self.rest.iter().filter(|&&n| n == name).count();
        if self.first.is_none() {
            self.first = Some(name);
        } else {
            self.rest.push(name);
        }
        repeats
    }
}

struct Mapped {
    activity: Activity,
    subject: Option<String>,
    signals: VendorSignals,
}

impl Mapped {
    fn new(activity: Activity) -> Self {
        Mapped {
            activity,
            subject: None,
            signals: VendorSignals::default(),
        }
    }
}

fn map_event(app: &str, e: &EventEntry<'_>) -> Option<Mapped> {
    let name = e.name.text()?;
    let kind = e.kind.text().unwrap_or("");
    let param = |n: &str| e.param(n);
    let mut m = match (app, name) {
        ("login", "login_success") => {
            let mut m = Mapped::new(sign_in(SignInStage::Primary, Outcome::Success, e));
            if e.param_bool("is_suspicious") == Some(true) {
                m.signals.reasons.push("is_suspicious".to_owned());
            }
            m
        }
        ("login", "login_failure") => {
            let reason = match param("login_failure_type") {
                Some("login_failure_invalid_password") => FailureReason::BadPassword,
                Some("login_failure_invalid_second_factor") => FailureReason::MfaFailed,
                Some("login_failure_account_disabled") => FailureReason::Locked,
                Some("login_failure_unknown") | None => {
                    FailureReason::Other("login_failure".into())
                }
                Some(other) => FailureReason::Other(other.to_owned()),
            };
            Mapped::new(sign_in(
                SignInStage::Primary,
                Outcome::Failure { reason },
                e,
            ))
        }
        ("login", "login_challenge" | "login_verification") => {
            let password = e.methods().all(|m| m == "password") && e.methods().next().is_some();
            let stage = if name == "login_challenge" && password {
                SignInStage::Primary
            } else {
                SignInStage::Mfa
            };
            let status = param("login_challenge_status")
                .unwrap_or("")
                .to_ascii_lowercase();
            let outcome = if status.contains("pass") {
                Outcome::Success
            } else if status.contains("fail") {
                let reason = if stage == SignInStage::Mfa {
                    FailureReason::MfaFailed
                } else {
                    FailureReason::BadPassword
                };
                Outcome::Failure { reason }
            } else {
                return Some(Mapped::new(Activity::Other {
                    name: name.to_owned(),
                }));
            };
            let mut m = Mapped::new(sign_in(stage, outcome, e));
            if e.param_bool("is_suspicious") == Some(true) {
                m.signals.reasons.push("is_suspicious".to_owned());
            }
            m
        }
        ("login", "logout") => Mapped::new(Activity::SessionRevoke),
        ("login", n) if kind == "account_warning" || n.starts_with("risky_sensitive_action") => {
            let mut m = Mapped::new(Activity::Other { name: n.to_owned() });
            m.signals.reasons.push(n.to_owned());
            if e.param_bool("is_suspicious") == Some(true) {
                m.signals.reasons.push("is_suspicious".to_owned());
            }
            m.subject = param("affected_email_address").map(str::to_owned);
            m
        }
        ("saml", "login_success" | "login_failure") => {
            let outcome = if name == "login_success" {
                Outcome::Success
            } else {
                // Google documents `failure_type` as the reason; older exports carried only
                // the SAML status code.
                let reason = param("failure_type")
                    .or_else(|| param("saml_status_code"))
                    .unwrap_or("login_failure")
                    .to_owned();
                Outcome::Failure {
                    reason: FailureReason::Other(reason),
                }
            };
            Mapped::new(Activity::SignIn(SignIn {
                stage: SignInStage::Sso,
                outcome,
                factor: None,
                app: param("application_name").map(str::to_owned),
                mfa_satisfied: None,
            }))
        }
        ("login" | "user_accounts", "2sv_enroll") => {
            Mapped::new(Activity::AccountChange(AccountChange::MfaFactorEnrolled {
                factor: None,
            }))
        }
        ("login" | "user_accounts", "2sv_disable") => {
            Mapped::new(Activity::AccountChange(AccountChange::MfaFactorRemoved {
                factor: None,
            }))
        }
        ("login" | "user_accounts", "password_edit") => {
            Mapped::new(Activity::AccountChange(AccountChange::PasswordChanged))
        }
        ("user_accounts", "email_forwarding_out_of_domain") => {
            Mapped::new(Activity::MailboxForwarding(MailboxForwarding {
                mailbox: None,
                forward_to: param("email_forwarding_destination_address").map(str::to_owned),
                keep_copy: None,
            }))
        }
        ("admin", "CREATE_GMAIL_SETTING" | "CHANGE_GMAIL_SETTING" | "DELETE_GMAIL_SETTING") => {
            // An administrator's Gmail setting for an organisational unit (`ORG_UNIT_NAME`),
            // not one user's filter or forwarding: no mailbox is named, so it is kept as context
            // about the admin, never as a mailbox rule.
            let setting = param("SETTING_NAME")?;
            Mapped::new(Activity::Other {
                name: format!("{name} {setting}"),
            })
        }
        ("admin", "CHANGE_PASSWORD") => {
            let mut m = Mapped::new(Activity::AccountChange(AccountChange::PasswordReset));
            m.subject = param("USER_EMAIL").map(str::to_owned);
            m
        }
        ("admin", "GRANT_ADMIN_PRIVILEGE" | "ASSIGN_ROLE") => {
            let role = param("ROLE_NAME").map(str::to_owned);
            let mut m = Mapped::new(Activity::AccountChange(AccountChange::RoleGranted { role }));
            m.subject = param("USER_EMAIL").map(str::to_owned);
            m
        }
        _ => return None,
    };
    m.signals.reasons.dedup();
    Some(m)
}

fn sign_in(stage: SignInStage, outcome: Outcome, e: &EventEntry<'_>) -> Activity {
    let factor = if stage == SignInStage::Primary {
        None
    } else {
        e.methods().find_map(factor_of)
    };
    Activity::SignIn(SignIn {
        stage,
        outcome,
        factor,
        app: None,
        mfa_satisfied: None,
    })
}

/// Google's `login_challenge_method` values: `password`, `google_prompt`, `google_authenticator`,
/// `idv_any_phone` / `idv_preregistered_phone` (SMS or voice codes), `security_key`, `passkey`,
/// `backup_code`, `totp`, `internal_two_factor`, ...
fn factor_of(method: &str) -> Option<Factor> {
    let has = |s: &str| contains_ignore_case(method, s);
    if has("password") || method.eq_ignore_ascii_case("none") || method.is_empty() {
        None
    } else if has("prompt") {
        Some(Factor::Push)
    } else if has("security_key") || has("passkey") {
        Some(Factor::WebAuthn)
    } else if has("authenticator") || has("totp") || has("otp") {
        Some(Factor::Totp)
    } else if has("phone") || has("sms") {
        Some(Factor::Sms)
    } else {
        Some(Factor::Other)
    }
}

vendor_record! {
    struct Record<'a> {
        id: Obj<ActivityId<'a>> = "id",
        actor: Obj<Actor<'a>> = "actor",
        ip_address: Scalar<'a> = "ipAddress",
        network_info: Obj<NetworkInfo<'a>> = "networkInfo",
        events: List<Obj<EventEntry<'a>>> = "events",
    }
}

vendor_record! {
    struct ActivityId<'a> {
        time: Scalar<'a> = "time",
        unique_qualifier: Scalar<'a> = "uniqueQualifier",
        application_name: Scalar<'a> = "applicationName",
        customer_id: Scalar<'a> = "customerId",
    }
}

vendor_record! {
    struct Actor<'a> {
        email: Scalar<'a> = "email",
        profile_id: Scalar<'a> = "profileId",
    }
}

vendor_record! {
    struct NetworkInfo<'a> {
        ip_asn: FirstInt = "ipAsn",
        region_code: Scalar<'a> = "regionCode",
        subdivision_code: Scalar<'a> = "subdivisionCode",
    }
}

vendor_record! {
    struct EventEntry<'a> {
        kind: Scalar<'a> = "type",
        name: Scalar<'a> = "name",
        parameters: List<Obj<Parameter<'a>>> = "parameters",
    }
}

vendor_record! {
    struct Parameter<'a> {
        name: Scalar<'a> = "name",
        value: Scalar<'a> = "value",
        bool_value: Scalar<'a> = "boolValue",
        multi_value: List<Scalar<'a>> = "multiValue",
    }
}

/// `ipAsn`: the first entry that is an integer (or a string holding one), read like a
/// `List<Scalar>` searched with `find_map(Scalar::as_i64)`, without keeping the list.
#[derive(Debug, Default)]
struct FirstInt(Option<i64>);

impl<'de> vendor_json::Fill<'de> for FirstInt {
    fn fill<D: serde::Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        use serde::de::{self, value::MapAccessDeserializer, Deserialize, MapAccess, SeqAccess};
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Option<i64>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<i64>, A::Error> {
                let mut first = None;
                while let Some(item) = seq.next_element::<Scalar<'de>>()? {
                    first = first.or_else(|| item.as_i64());
                }
                Ok(first)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<i64>, A::Error> {
                // One object read as a list of one: a nested value, never an integer.
                Scalar::deserialize(MapAccessDeserializer::new(map)).map(|s| s.as_i64())
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Option<i64>, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<i64>, E> {
                Ok(None)
            }
        }
        self.0 = d.deserialize_any(V)?;
        Ok(())
    }
}

impl<'a> EventEntry<'a> {
    fn find(&self, name: &str) -> Option<&Parameter<'a>> {
        // The last one wins, like a repeated key.
        self.parameters
            .iter()
            .filter_map(Obj::get)
            .rfind(|p| p.name.text() == Some(name))
    }

    fn param(&self, name: &str) -> Option<&str> {
        let p = self.find(name)?;
        p.value
            .text()
            .or_else(|| p.multi_value.iter().find_map(Scalar::text))
    }

    fn param_bool(&self, name: &str) -> Option<bool> {
        let p = self.find(name)?;
        p.bool_value.as_bool().or(p.value.as_bool())
    }

    /// `login_challenge_method`, a `value` or a `multiValue`.
    fn methods(&self) -> impl Iterator<Item = &str> + '_ {
        let p = self.find("login_challenge_method");
        let single = p.and_then(|p| p.value.text());
        let multi = p
            .into_iter()
            .flat_map(|p| p.multi_value.iter().filter_map(Scalar::text));
        single.into_iter().chain(multi)
    }
}

impl Record<'_> {
    fn origin(&self) -> Origin {
        let mut o = Origin {
            ip: self.ip_address.text().and_then(lenient_ip),
            ..Origin::default()
        };
        if let Some(n) = self.network_info.get() {
            o.asn = n.ip_asn.0.and_then(|a| u32::try_from(a).ok());
            o.country = n.region_code.text().and_then(country_code);
            o.region = n.subdivision_code.text().map(str::to_owned);
        }
        o
    }
}
