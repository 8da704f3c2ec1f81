//! OCSF adapter: OCSF 1.x JSON Authentication (class 3002) and Account Change (class 3001) events
//! from any producer, following the mapping table in `palisade-schema`'s crate docs.
//!
//! | OCSF                                           | Palisade                                           |
//! |------------------------------------------------|----------------------------------------------------|
//! | 3002, activity 0 Unknown / 1 Logon / 3 Auth Ticket | [`Activity::SignIn`], stage `primary`; stage `mfa` when `is_mfa` and `auth_factors` names a second factor |
//! | 3002, activity 4 Service Ticket Request        | [`Activity::SignIn`], stage `sso`                  |
//! | 3002, activity 2 Logoff                        | [`Activity::SessionRevoke`]                        |
//! | 3002, activity 99 Other with `is_mfa` / `auth_factors` | [`Activity::MfaPrompt`]                    |
//! | 3001, activity 3 / 4 / 7 / 10 / 11             | password change / reset, role granted (`policy.name`), MFA factor enabled / disabled |
//! | anything else                                  | [`Parsed::Unsupported`] (`ocsf class NNNN`, or `ocsf class NNNN activity N`) |
//!
//! Fields: `time` (epoch milliseconds; values below 10^11 are taken as seconds, which some
//! producers write) or, when absent, `time_dt`; `metadata.uid` → event id (a content hash when
//! absent); `metadata.correlation_uid`; `actor.user` → actor and `user` → subject (for 3002 the
//! authenticating user); identities from `email_addr`, else a `name` with `@`, else `name`, with
//! `uid` kept as the vendor id; `src_endpoint` (`ip`, `location.lat/long/city/region/country`,
//! `autonomous_system.number/name`), `http_request.user_agent`, `device.uid`,
//! `actor.session.uid` (else `session.uid`); `status_id` / `status` / `status_detail` /
//! `status_code` for the outcome and its reason; `service.name` for the application.
//!
//! Every field is read leniently: a value of the wrong JSON type is treated as absent, so only a
//! record that is not a JSON object, lacks a usable time, or has an implausible time is rejected.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;

use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, GeoPoint, Identity, MfaPrompt, Origin,
    PromptResult, SignIn, SignInStage, Source, Timestamp,
};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::country_code;
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads OCSF JSON Authentication (3002) and Account Change (3001) events.
///
/// ```
/// use palisade_ingest::{ocsf::Ocsf, Adapter, Notes, Parsed};
/// use palisade_schema::Activity;
/// let record = br#"{"class_uid":3002,"activity_id":1,"time":1723564700000,"status_id":2,
///   "status_detail":"INVALID_CREDENTIALS","metadata":{"uid":"e-1","version":"1.3.0"},
///   "user":{"name":"Alice","email_addr":"Alice@Example.com","uid":"00u1"},
///   "src_endpoint":{"ip":"81.2.69.142","location":{"lat":51.5,"long":-0.09,"country":"GB"}}}"#;
/// let mut out = Vec::new();
/// let mut notes = Notes::default();
/// assert_eq!(Ocsf.parse(record, &mut out, &mut notes), Ok(Parsed::Events));
/// assert_eq!(out[0].identity().unwrap().as_str(), "alice@example.com");
/// assert!(out[0].activity.is_failed_sign_in());
/// assert_eq!(out[0].origin.country.as_deref(), Some("GB"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Ocsf;

impl Adapter for Ocsf {
    fn source(&self) -> Source {
        Source::Ocsf
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // Searching from `c` rather than the opening quote: quotes are everywhere in JSON.
        contains(record, b"class_uid\"")
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        match crate::fast_json::from_slice_or_serde::<Record<'_>>(record) {
            Ok(rec) => map(&rec, record, out, notes),
            // Derived structs refuse duplicate keys; JSON lets the last one win, so re-read the
            // record through a map (rare, so the slow path is fine).
            Err(e) if e.to_string().contains("duplicate field") => {
                let value: serde_json::Value =
                    serde_json::from_slice(record).map_err(|e| json_error(&e))?;
                let bytes = serde_json::to_vec(&value).map_err(|e| json_error(&e))?;
                let rec: Record<'_> = serde_json::from_slice(&bytes).map_err(|e| json_error(&e))?;
                map(&rec, record, out, notes)
            }
            Err(e) => Err(json_error(&e)),
        }
    }
}

fn json_error(e: &serde_json::Error) -> BadRecordReason {
    BadRecordReason::Json(e.to_string())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut i = 0;
    while let Some(off) = haystack[i..].iter().position(|&b| b == first) {
        let at = i + off + 1;
        if haystack[at..].starts_with(rest) {
            return true;
        }
        i = at;
    }
    false
}

// ----- mapping -----

const AUTHENTICATION: i64 = 3002;
const ACCOUNT_CHANGE: i64 = 3001;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Success,
    Failure,
    Unknown,
}

fn map(
    rec: &Record<'_>,
    raw: &[u8],
    out: &mut Vec<Event>,
    notes: &mut Notes,
) -> Result<Parsed, BadRecordReason> {
    let class = match rec.class_uid.as_i64() {
        Some(c) => c,
        None if rec.class_uid.present => {
            return Err(BadRecordReason::BadValue {
                field: "class_uid",
                detail: "not an integer".into(),
            })
        }
        None => return Err(BadRecordReason::MissingField("class_uid")),
    };
    if class != AUTHENTICATION && class != ACCOUNT_CHANGE {
        return Ok(Parsed::Unsupported(format!("ocsf class {class}")));
    }
    let activity_id = rec.activity_id.as_i64().unwrap_or(0);
    let status = status(rec);
    let activity = if class == AUTHENTICATION {
        match authentication_activity(rec, activity_id, status) {
            Some(a) => a,
            None => {
                return Ok(Parsed::Unsupported(format!(
                    "ocsf class {class} activity {activity_id}"
                )))
            }
        }
    } else {
        match account_change(rec, activity_id) {
            Some(c) => Activity::AccountChange(c),
            None => {
                return Ok(Parsed::Unsupported(format!(
                    "ocsf class {class} activity {activity_id}"
                )))
            }
        }
    };
    let time = event_time(rec)?;
    let metadata = rec.metadata.0.as_ref();
    let id = match metadata.and_then(|m| text(&m.uid)) {
        Some(uid) => uid.to_string(),
        None => format!("ocsf:{:016x}", fnv1a(raw)),
    };
    let mut event = Event::new(time, id, Source::Ocsf, activity);
    event.correlation_id = metadata
        .and_then(|m| text(&m.correlation_uid))
        .map(str::to_string);
    let (actor, subject) = people(rec, class);
    event.actor = actor;
    event.subject = subject;
    event.origin = origin(rec, notes);
    out.push(event);
    Ok(Parsed::Events)
}

fn status(rec: &Record<'_>) -> Status {
    match rec.status_id.as_i64() {
        Some(1) => Status::Success,
        Some(2) => Status::Failure,
        _ => match text(&rec.status) {
            Some(s) if s.eq_ignore_ascii_case("success") => Status::Success,
            Some(s) if s.eq_ignore_ascii_case("failure") || s.eq_ignore_ascii_case("failed") => {
                Status::Failure
            }
            _ => Status::Unknown,
        },
    }
}

fn authentication_activity(rec: &Record<'_>, activity_id: i64, status: Status) -> Option<Activity> {
    let factor = second_factor(rec);
    let is_mfa = rec.is_mfa.0;
    match activity_id {
        0 | 1 | 3 | 4 => {
            let stage = if activity_id == 4 {
                SignInStage::Sso
            } else if is_mfa == Some(true) && factor.is_some() {
                SignInStage::Mfa
            } else {
                SignInStage::Primary
            };
            // An authentication record without a status is taken as the success it reports
            // (producers such as GitHub's mapping leave `status` out of successful logons).
            let mut sign_in = match status {
                Status::Failure => SignIn::failure(stage, failure_reason(rec, stage)),
                Status::Success | Status::Unknown => SignIn::success(stage),
            };
            sign_in.factor = factor;
            sign_in.mfa_satisfied = is_mfa;
            sign_in.app = rec
                .service
                .0
                .as_ref()
                .and_then(|s| text(&s.name))
                .map(str::to_string);
            Some(Activity::SignIn(sign_in))
        }
        2 => Some(Activity::SessionRevoke),
        99 if is_mfa == Some(true) || !rec.auth_factors.0.is_empty() => {
            let result = match status {
                Status::Success => PromptResult::Approved,
                Status::Unknown => PromptResult::Sent,
                Status::Failure => match failure_reason(rec, SignInStage::Mfa) {
                    FailureReason::MfaFraudReported => PromptResult::FraudReported,
                    FailureReason::MfaTimeout => PromptResult::TimedOut,
                    FailureReason::MfaDenied => PromptResult::Denied,
                    _ => PromptResult::Failed,
                },
            };
            Some(Activity::MfaPrompt(MfaPrompt {
                factor: factor.unwrap_or(Factor::Other),
                result,
            }))
        }
        _ => None,
    }
}

fn account_change(rec: &Record<'_>, activity_id: i64) -> Option<AccountChange> {
    Some(match activity_id {
        3 => AccountChange::PasswordChanged,
        4 => AccountChange::PasswordReset,
        7 => {
            let role = rec
                .policy
                .0
                .as_ref()
                .and_then(|p| text(&p.name))
                .or_else(|| rec.policies.0.iter().find_map(|p| text(&p.name)))
                .map(str::to_string);
            AccountChange::RoleGranted { role }
        }
        10 => AccountChange::MfaFactorEnrolled {
            factor: second_factor(rec),
        },
        11 => AccountChange::MfaFactorRemoved {
            factor: second_factor(rec),
        },
        _ => return None,
    })
}

/// The first factor in `auth_factors` that is not a password (OCSF `factor_type_id`).
fn second_factor(rec: &Record<'_>) -> Option<Factor> {
    rec.auth_factors.0.iter().find_map(|f| {
        let factor = match f.factor_type_id.as_i64() {
            Some(1) => Factor::Sms,
            Some(3) => Factor::Voice,
            Some(5) => Factor::Push,
            Some(7) => Factor::Totp,
            Some(8) => Factor::Email,
            Some(9 | 10) => Factor::WebAuthn,
            Some(11) => return None,
            Some(_) => Factor::Other,
            None => match text(&f.factor_type).map(str::to_ascii_lowercase).as_deref() {
                Some("password") => return None,
                Some("sms") => Factor::Sms,
                Some("phone call") => Factor::Voice,
                Some("push notification") => Factor::Push,
                Some("otp") => Factor::Totp,
                Some("email") => Factor::Email,
                Some("u2f" | "webauthn") => Factor::WebAuthn,
                _ => Factor::Other,
            },
        };
        Some(factor)
    })
}

/// Why a failed authentication failed, from `status_detail`, `status_code` and `status` (OCSF
/// lists values such as `INVALID_CREDENTIALS`, `USER_DOES_NOT_EXIST`, `ACCOUNT_LOCKED_OUT`).
fn failure_reason(rec: &Record<'_>, stage: SignInStage) -> FailureReason {
    let parts = [
        text(&rec.status_detail),
        text(&rec.status_code),
        text(&rec.status),
    ];
    let all = parts
        .iter()
        .flatten()
        .map(|s| s.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let has = |words: &[&str]| words.iter().any(|w| all.contains(w));
    let mfa = stage == SignInStage::Mfa;
    if has(&["fraud"]) {
        FailureReason::MfaFraudReported
    } else if has(&["timeout", "timed out", "time out", "no response"]) {
        FailureReason::MfaTimeout
    } else if mfa && has(&["denied", "deny", "reject"]) {
        FailureReason::MfaDenied
    } else if has(&["mfa required", "mfa_required", "mfa_enroll"]) {
        FailureReason::MfaRequired
    } else if has(&["locked", "disabled", "suspended"]) {
        FailureReason::Locked
    } else if has(&["password", "credential"]) {
        FailureReason::BadPassword
    } else if has(&[
        "user_does_not_exist",
        "unknown user",
        "no such user",
        "user not found",
    ]) {
        FailureReason::UnknownUser
    } else if has(&["policy", "blocked"]) {
        FailureReason::PolicyBlocked
    } else if mfa {
        FailureReason::MfaFailed
    } else {
        let said = parts.iter().flatten().next().copied().unwrap_or("failure");
        FailureReason::Other(said.chars().take(200).collect())
    }
}

fn event_time(rec: &Record<'_>) -> Result<Timestamp, BadRecordReason> {
    let ms = match rec.time.value {
        Some(Number::Int(v)) => Some(if v.unsigned_abs() < SECONDS_BELOW {
            v * 1000
        } else {
            v
        }),
        Some(Number::Float(f)) if f.is_finite() => {
            let ms = if f.abs() < SECONDS_BELOW as f64 {
                f * 1000.0
            } else {
                f
            };
            // Casting a finite float saturates; implausible values are refused below.
            Some(ms.round() as i64)
        }
        _ => None,
    };
    match ms {
        Some(ms) => Timestamp::from_millis(ms).map_err(|e| BadRecordReason::BadTime(e.to_string())),
        None => match text(&rec.time_dt) {
            Some(dt) => {
                Timestamp::parse_rfc3339(dt).map_err(|e| BadRecordReason::BadTime(e.to_string()))
            }
            None if rec.time.present => {
                Err(BadRecordReason::BadTime("`time` is not a number".into()))
            }
            None => Err(BadRecordReason::MissingField("time")),
        },
    }
}

/// Epoch values below 10^11 are seconds: as milliseconds they would fall in 1973, long before any
/// plausible event, while as seconds they cover every plausible year.
const SECONDS_BELOW: u64 = 100_000_000_000;

/// The login an OCSF user object names: `email_addr`, else a `name` that is an address, else
/// `name`. Windows' `-` placeholder names nobody.
fn login<'a>(user: &'a User<'_>) -> Option<&'a str> {
    let name = text(&user.name);
    text(&user.email_addr)
        .or(name.filter(|n| n.contains('@')))
        .or(name)
}

/// How well a user object names its person: 3 an address, 2 a name with `@`, 1 a name, 0 none.
fn naming(user: &User<'_>) -> u8 {
    let name = text(&user.name);
    if text(&user.email_addr).is_some() {
        3
    } else if name.is_some_and(|n| n.contains('@')) {
        2
    } else {
        u8::from(name.is_some())
    }
}

fn identity(user: &User<'_>, allow_uid: bool) -> Option<Identity> {
    let uid = text(&user.uid);
    let login = login(user).or(if allow_uid { uid } else { None })?;
    let mut id = Identity::new(login);
    if let Some(uid) = uid {
        id = id.with_vendor_id(uid);
    }
    if let Some(name) = text(&user.name).filter(|n| *n != login) {
        id = id.with_display_name(name);
    }
    Some(id)
}

/// (actor, subject): `actor.user` acts; `user` is the account authenticated or changed.
fn people(rec: &Record<'_>, class: i64) -> (Option<Identity>, Option<Identity>) {
    let actor_user = rec.actor.0.as_ref().and_then(|a| a.user.0.as_ref());
    let actor = actor_user.and_then(|u| identity(u, true));
    let user = rec.user.0.as_ref();
    // A `user` that names only a uid (CloudTrail mappings carry just the ARN) is the actor
    // itself when an actor is given; keying it by the ARN would split one person in two.
    let subject = user.and_then(|u| identity(u, actor.is_none() || class == ACCOUNT_CHANGE));
    // The same uid on both sides is one person, named by whichever side names them best (on a
    // tie, the authenticated `user` of a 3002 record).
    let same_uid = match (
        actor_user.and_then(|u| text(&u.uid)),
        user.and_then(|u| text(&u.uid)),
    ) {
        (Some(a), Some(u)) => a == u,
        _ => false,
    };
    if same_uid {
        let (a, u) = (actor_user.map_or(0, naming), user.map_or(0, naming));
        let prefer_user = u > a || (u == a && class == AUTHENTICATION);
        return if prefer_user && subject.is_some() {
            (subject, None)
        } else {
            (actor, None)
        };
    }
    match (actor, subject) {
        (Some(a), Some(s)) if a.key != s.key => (Some(a), Some(s)),
        (Some(a), Some(s)) => {
            // Same person: keep whichever names more.
            if a.vendor_id.is_some() {
                (Some(a), None)
            } else {
                (Some(s), None)
            }
        }
        (Some(a), None) => (Some(a), None),
        (None, s) => (s, None),
    }
}

fn origin(rec: &Record<'_>, notes: &mut Notes) -> Origin {
    let mut origin = Origin::default();
    if let Some(ep) = rec.src_endpoint.0.as_ref() {
        origin.ip = text(&ep.ip).and_then(parse_ip);
        if let Some(loc) = ep.location.0.as_ref() {
            // `lat`/`long` since OCSF 1.3; before, `coordinates` as GeoJSON orders them:
            // longitude first.
            let point = if loc.lat.present || loc.long.present {
                Some((loc.lat.as_f64(), loc.long.as_f64()))
            } else if loc.coordinates.present {
                Some((loc.coordinates.lat, loc.coordinates.lon))
            } else {
                None
            };
            if let Some(point) = point {
                origin.geo = match point {
                    (Some(lat), Some(lon)) => GeoPoint::new(lat, lon, None),
                    _ => None,
                };
                if origin.geo.is_none() {
                    notes.coords_dropped += 1;
                }
            }
            origin.country = text(&loc.country).and_then(country_code);
            origin.region = text(&loc.region).map(str::to_string);
            origin.city = text(&loc.city).map(str::to_string);
            origin.as_org = text(&loc.isp).map(str::to_string);
        }
        if let Some(asys) = ep.autonomous_system.0.as_ref() {
            origin.asn = asys.number.as_i64().and_then(|n| u32::try_from(n).ok());
            if let Some(name) = text(&asys.name) {
                origin.as_org = Some(name.to_string());
            }
        }
    }
    origin.user_agent = rec
        .http_request
        .0
        .as_ref()
        .and_then(|h| text(&h.user_agent))
        .map(str::to_string);
    origin.device_id = rec
        .device
        .0
        .as_ref()
        .and_then(|d| text(&d.uid))
        .map(str::to_string);
    origin.session_id = rec
        .actor
        .0
        .as_ref()
        .and_then(|a| a.session.0.as_ref())
        .and_then(|s| text(&s.uid))
        .or_else(|| rec.session.0.as_ref().and_then(|s| text(&s.uid)))
        .map(str::to_string);
    origin
}

/// An IP as producers write it: zone ids dropped, IPv4-mapped IPv6 unmapped, brackets allowed.
fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    let s = s.split_once('%').map_or(s, |(addr, _zone)| addr);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// A non-empty, non-placeholder string.
fn text<'a>(t: &'a Text<'_>) -> Option<&'a str> {
    t.0.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

/// FNV-1a: a stable id for records without `metadata.uid` (same bytes, same id, every run).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ----- typed, borrowing, lenient records -----

#[derive(Default, Deserialize)]
#[serde(default)]
struct Record<'a> {
    class_uid: Num,
    activity_id: Num,
    time: Num,
    #[serde(borrow)]
    time_dt: Text<'a>,
    #[serde(borrow)]
    metadata: Obj<Metadata<'a>>,
    #[serde(borrow)]
    actor: Obj<Actor<'a>>,
    #[serde(borrow)]
    user: Obj<User<'a>>,
    #[serde(borrow)]
    src_endpoint: Obj<Endpoint<'a>>,
    #[serde(borrow)]
    http_request: Obj<HttpRequest<'a>>,
    #[serde(borrow)]
    device: Obj<WithUid<'a>>,
    #[serde(borrow)]
    session: Obj<WithUid<'a>>,
    #[serde(borrow)]
    service: Obj<Named<'a>>,
    status_id: Num,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    status_code: Text<'a>,
    #[serde(borrow)]
    status_detail: Text<'a>,
    is_mfa: Flag,
    #[serde(borrow)]
    auth_factors: List<AuthFactor<'a>>,
    #[serde(borrow)]
    policy: Obj<Named<'a>>,
    #[serde(borrow)]
    policies: List<Named<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Metadata<'a> {
    #[serde(borrow)]
    uid: Text<'a>,
    #[serde(borrow)]
    correlation_uid: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Actor<'a> {
    #[serde(borrow)]
    user: Obj<User<'a>>,
    #[serde(borrow)]
    session: Obj<WithUid<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct User<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    email_addr: Text<'a>,
    #[serde(borrow)]
    uid: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct WithUid<'a> {
    #[serde(borrow)]
    uid: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Named<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Endpoint<'a> {
    #[serde(borrow)]
    ip: Text<'a>,
    #[serde(borrow)]
    location: Obj<GeoLocation<'a>>,
    #[serde(borrow)]
    autonomous_system: Obj<AutonomousSystem<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct GeoLocation<'a> {
    lat: Num,
    long: Num,
    coordinates: LonLat,
    #[serde(borrow)]
    city: Text<'a>,
    #[serde(borrow)]
    region: Text<'a>,
    #[serde(borrow)]
    country: Text<'a>,
    #[serde(borrow)]
    isp: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct AutonomousSystem<'a> {
    number: Num,
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct HttpRequest<'a> {
    #[serde(borrow)]
    user_agent: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct AuthFactor<'a> {
    factor_type_id: Num,
    #[serde(borrow)]
    factor_type: Text<'a>,
}

/// A JSON number (or a numeric string); `present` is set when the key existed at all.
#[derive(Clone, Copy, Debug, Default)]
struct Num {
    present: bool,
    value: Option<Number>,
}

#[derive(Clone, Copy, Debug)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Num {
    fn as_i64(&self) -> Option<i64> {
        match self.value? {
            Number::Int(v) => Some(v),
            Number::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some(f as i64)
            }
            Number::Float(_) => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self.value? {
            Number::Int(v) => Some(v as f64),
            Number::Float(f) => Some(f),
        }
    }
}

/// A GeoJSON position, `[longitude, latitude]` (a third number, the altitude, is ignored);
/// `present` is set when the key existed at all, whatever it held.
#[derive(Clone, Copy, Debug, Default)]
struct LonLat {
    present: bool,
    lon: Option<f64>,
    lat: Option<f64>,
}

/// A string, kept borrowed when it has no escapes; any other JSON type reads as absent.
#[derive(Default)]
struct Text<'a>(Option<Cow<'a, str>>);

/// A boolean; any other JSON type reads as absent.
#[derive(Default)]
struct Flag(Option<bool>);

/// An object of type `T`; any other JSON type reads as absent.
struct Obj<T>(Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

/// An array of objects of type `T`; non-objects inside and non-arrays read as empty.
struct List<T>(Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

/// Consumes a map or sequence the caller has no use for.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods that turn "any other type" into the empty value.
macro_rules! lenient_rest {
    ($empty:expr, [$($skip:ident),*]) => {
        $(lenient_rest!(@$skip $empty);)*
    };
    (@bool $empty:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($empty) }
    };
    (@unit $empty:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok($empty) }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok($empty) }
    };
    (@num $empty:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($empty) }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($empty) }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($empty) }
    };
    (@str $empty:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($empty) }
    };
    (@map $empty:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map)?;
            Ok($empty)
        }
    };
    (@seq $empty:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok($empty)
        }
    };
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Number>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(Number::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(match i64::try_from(v) {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::Float(v as f64),
                }))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(Number::Float(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let v = v.trim();
                Ok(v.parse::<i64>().map(Number::Int).ok().or_else(|| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Number::Float)
                }))
            }
            lenient_rest!(None, [bool, unit, map, seq]);
        }
        Ok(Num {
            present: true,
            value: d.deserialize_any(V)?,
        })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Option<Cow<'a, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v)))
            }
            // Ids are sometimes written as numbers (`"uid": 51111`).
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            lenient_rest!(None, [bool, unit, map, seq]);
        }
        Ok(Text(d.deserialize_any(V(PhantomData))?))
    }
}

impl<'de> Deserialize<'de> for LonLat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = (Option<f64>, Option<f64>);
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let lon = seq.next_element::<Num>()?.and_then(|n| n.as_f64());
                let lat = seq.next_element::<Num>()?.and_then(|n| n.as_f64());
                drain_seq(seq)?;
                Ok((lon, lat))
            }
            lenient_rest!((None, None), [bool, unit, num, str, map]);
        }
        let (lon, lat) = d.deserialize_any(V)?;
        Ok(LonLat {
            present: true,
            lon,
            lat,
        })
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<bool>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            lenient_rest!(None, [unit, num, str, map, seq]);
        }
        Ok(Flag(d.deserialize_any(V)?))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
            }
            lenient_rest!(None, [bool, unit, num, str, seq]);
        }
        Ok(Obj(d.deserialize_any(V(PhantomData))?))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Obj<T>>()? {
                    // A bounded list: OCSF arrays here hold a handful of factors or policies.
                    if let (Some(item), true) = (item.0, items.len() < 64) {
                        items.push(item);
                    }
                }
                Ok(items)
            }
            lenient_rest!(Vec::new(), [bool, unit, num, str, map]);
        }
        Ok(List(d.deserialize_any(V(PhantomData))?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(json: &str) -> (Result<Parsed, BadRecordReason>, Vec<Event>, Notes) {
        let mut out = Vec::new();
        let mut notes = Notes::default();
        let r = Ocsf.parse(json.as_bytes(), &mut out, &mut notes);
        (r, out, notes)
    }

    #[test]
    fn seconds_and_milliseconds_and_time_dt() {
        let secs = parse(r#"{"class_uid":3002,"activity_id":1,"time":1723564700}"#).1;
        let ms = parse(r#"{"class_uid":3002,"activity_id":1,"time":1723564700000}"#).1;
        let dt = parse(r#"{"class_uid":3002,"activity_id":1,"time_dt":"2024-08-13T15:58:20Z"}"#).1;
        assert_eq!(secs[0].time, ms[0].time);
        assert_eq!(dt[0].time, ms[0].time);
        assert_eq!(ms[0].time.to_string(), "2024-08-13T15:58:20.000Z");
    }

    #[test]
    fn implausible_or_missing_time_is_bad() {
        let (r, ..) = parse(r#"{"class_uid":3002,"time":4200000000000}"#);
        assert!(matches!(r, Err(BadRecordReason::BadTime(_))));
        let (r, ..) = parse(r#"{"class_uid":3002}"#);
        assert_eq!(r, Err(BadRecordReason::MissingField("time")));
        let (r, ..) = parse(r#"{"class_uid":3002,"time":"soon"}"#);
        assert!(matches!(r, Err(BadRecordReason::BadTime(_))));
    }

    #[test]
    fn wrong_types_read_as_absent() {
        let (r, out, _) = parse(
            r#"{"class_uid":3002,"activity_id":"1","time":1723564700000,"user":"bob",
               "src_endpoint":{"ip":["x"],"location":"nowhere"},"is_mfa":"yes",
               "auth_factors":{"factor_type_id":5},"metadata":[1,2]}"#,
        );
        assert_eq!(r, Ok(Parsed::Events));
        assert!(out[0].actor.is_none());
        assert!(out[0].origin.ip.is_none());
        assert!(out[0].id.starts_with("ocsf:"));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let (r, out, _) = parse(
            r#"{"class_uid":3002,"time":1723564700000,"user":{"name":"a@x.com"},"user":{"name":"b@x.com"}}"#,
        );
        assert_eq!(r, Ok(Parsed::Events));
        assert_eq!(out[0].identity().unwrap().as_str(), "b@x.com");
    }

    #[test]
    fn ip_forms() {
        assert_eq!(parse_ip("::ffff:81.2.69.142"), "81.2.69.142".parse().ok());
        assert_eq!(parse_ip("fe80::1%eth0"), "fe80::1".parse().ok());
        assert_eq!(parse_ip("-"), None);
    }

    #[test]
    fn sniff_needs_class_uid() {
        assert!(Ocsf.sniff(br#"{"x":1,"class_uid":3002}"#));
        assert!(!Ocsf.sniff(br#"{"eventType":"user.session.start"}"#));
        assert!(!Ocsf.sniff(b""));
    }
}
