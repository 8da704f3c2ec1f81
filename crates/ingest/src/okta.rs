//! Okta System Log adapter: `LogEvent` objects from `/api/v1/logs` (Classic and Identity Engine).
//!
//! | `eventType`                                            | becomes                                       |
//! |--------------------------------------------------------|-----------------------------------------------|
//! | `user.session.start`                                   | `SignIn` (primary): the sign-in to Okta, success or failure |
//! | `user.authentication.auth_via_*` (IDP, AD agent, LDAP, radius, rich client, social, ...) | `SignIn` (primary) |
//! | `user.authentication.sso`                              | `SignIn` (sso), `app` from the `AppInstance` target |
//! | `user.authentication.auth_via_mfa`, `user.authentication.verify` | `SignIn` (mfa, or primary when the authenticator is the password), plus an `MfaPrompt` `Approved` / `TimedOut` when the factor is a push |
//! | `system.push.send_factor_verify_push`                  | `MfaPrompt` push `Sent`                        |
//! | `user.mfa.okta_verify.deny_push`, `..._upgrade_needed` | `MfaPrompt` push `Denied`                      |
//! | `user.account.report_suspicious_activity_by_enduser`   | `MfaPrompt` `FraudReported`                    |
//! | `user.mfa.factor.activate` / `deactivate` / `suspend` / `reset_all`, `system.mfa.factor.deactivate` | `AccountChange` |
//! | `user.account.reset_password` / `update_password`      | `AccountChange` `PasswordReset` / `PasswordChanged` |
//! | `user.account.privilege.grant`                         | `AccountChange` `RoleGranted`                 |
//! | `user.session.end`, `user.session.clear`               | `SessionRevoke`                               |
//! | `user.account.lock`, `user.session.access_admin_app`, `user.session.impersonation.*` | `Other` (kept for context) |
//! | anything else (`policy.evaluate_sign_on`, lifecycle, app events ...) | unsupported (counted)          |
//!
//! `user.session.start` becomes a primary `SignIn` rather than `SessionStart`: it is where Okta
//! reports whether the sign-in worked, and a failed one must count as a failed sign-in. In the
//! Classic engine a successful one fires once the password is verified, before any MFA step, so
//! it carries no `mfa_satisfied`: the baseline holds it until the MFA step answers.
//! A login Okta cannot match to a user is logged under the actor `unknown` (its `alternateId` the
//! login as typed); its `VERIFICATION_ERROR` is then `FailureReason::UnknownUser`, which a
//! password spray's guessed names count as.
//! The origin's user agent is `client.userAgent.rawUserAgent`; when Okta could not record it
//! (`UNKNOWN`), its own `browser` and `os` names stand in as `Origin::client`.
//! Push denials come from `deny_push` only (not also from a failed `auth_via_mfa`), so a denial
//! is never counted twice; approvals and timeouts have no dedicated Okta event, so the MFA step
//! record also yields the prompt result, under the id `<uuid>#mfa_prompt`.
//! A prompt and its answer are tied by `authenticationContext.externalSessionId` (the sign-in
//! flow), never by `transaction.id`, which names a single request.

use palisade_schema::{
    AccountChange, Activity, ClientSoftware, Event, Factor, FailureReason, Identity, MfaPrompt,
    Origin, Outcome, PromptResult, RiskLevel, SignIn, SignInStage, Source, VendorSignals,
};

use crate::country_code;
use crate::vendor_json::{
    self, contains, contains_ignore_case, geo_point, lenient_ip, read_record, required_id,
    required_str, rfc3339_time, List, Obj, Scalar,
};
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads Okta System Log events (`LogEvent` objects, one per record).
///
/// ```
/// use palisade_ingest::{okta::Okta, Adapter, Notes, Parsed};
/// let record = br#"{"uuid":"e1","published":"2024-08-13T15:58:20.353Z","eventType":"system.push.send_factor_verify_push",
///   "actor":{"id":"00u1","type":"User","alternateId":"Alice@Example.com"},"outcome":{"result":"SUCCESS"},
///   "client":{"ipAddress":"81.2.69.142"},"transaction":{"id":"tx1"}}"#;
/// assert!(Okta.sniff(record));
/// let mut out = Vec::new();
/// assert_eq!(Okta.parse(record, &mut out, &mut Notes::default()), Ok(Parsed::Events));
/// assert_eq!(out[0].identity().unwrap().as_str(), "alice@example.com");
/// assert_eq!(out[0].activity.kind_name(), "mfa_prompt");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Okta;

impl Adapter for Okta {
    fn source(&self) -> Source {
        Source::Okta
    }

    fn sniff(&self, record: &[u8]) -> bool {
        contains(record, b"\"eventType\"")
            && contains(record, b"\"published\"")
            && !contains(record, b"\"class_uid\"")
            && !contains(record, b"\"eventSource\"")
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        let mut rec = Record::default();
        read_record(record, &mut rec)?;
        let event_type = required_str(&rec.event_type, "eventType")?;
        let Some(kind) = classify(event_type) else {
            return Ok(Parsed::Unsupported(event_type.to_owned()));
        };
        let id = required_id(&rec.uuid, "uuid")?;
        let time = rfc3339_time(&rec.published, "published")?;
        let (result, reason) = match rec.outcome.get() {
            Some(o) => (o.result.text(), o.reason.text()),
            None => (None, None),
        };
        let factor = rec.factor();
        let mut prompt = None;
        let activity = match kind {
            Kind::SignIn(stage) => {
                let stage = match (stage, factor) {
                    (SignInStage::Mfa, Some(FactorUse::Password)) => SignInStage::Primary,
                    (s, _) => s,
                };
                // A login Okta could not match to a user: `actor.id` is `unknown` and
                // `alternateId` the login as typed (a spray's guessed names).
                let no_such_user = rec
                    .actor
                    .get()
                    .is_some_and(|a| a.id.text() == Some("unknown"));
                match sign_in_outcome(result, reason, stage, no_such_user) {
                    Some(outcome) => {
                        let factor = factor.and_then(FactorUse::factor);
                        if stage == SignInStage::Mfa && factor == Some(Factor::Push) {
                            prompt = prompt_from_outcome(&outcome);
                        }
                        let app = (stage == SignInStage::Sso).then(|| rec.app()).flatten();
                        Activity::SignIn(SignIn {
                            stage,
                            outcome,
                            factor,
                            app,
                            mfa_satisfied: None,
                        })
                    }
                    None => Activity::Other {
                        name: event_type.to_owned(),
                    },
                }
            }
            Kind::Prompt(result_if_ok) => {
                // A denial is logged as a FAILURE outcome; only a push that failed to be sent is
                // a failed prompt.
                let result = if result_if_ok == PromptResult::Sent && is_failure(result) {
                    PromptResult::Failed
                } else {
                    result_if_ok
                };
                let factor = match factor.and_then(FactorUse::factor) {
                    Some(f) => f,
                    None if result_if_ok == PromptResult::FraudReported => Factor::Other,
                    None => Factor::Push,
                };
                Activity::MfaPrompt(MfaPrompt { factor, result })
            }
            Kind::Change(change) if !is_failure(result) => {
                let factor = factor.and_then(FactorUse::factor);
                Activity::AccountChange(match change {
                    Change::FactorEnrolled => AccountChange::MfaFactorEnrolled { factor },
                    Change::FactorRemoved => AccountChange::MfaFactorRemoved { factor },
                    Change::FactorsReset => AccountChange::MfaFactorsReset,
                    Change::PasswordReset => AccountChange::PasswordReset,
                    Change::PasswordChanged => AccountChange::PasswordChanged,
                    Change::RoleGranted => AccountChange::RoleGranted { role: rec.role() },
                })
            }
            Kind::Change(_) | Kind::Other => Activity::Other {
                name: event_type.to_owned(),
            },
            Kind::SessionRevoke => Activity::SessionRevoke,
        };

        let mut event = Event::new(time, id, Source::Okta, activity);
        let actor = rec.actor.get();
        event.actor = actor.and_then(Party::identity);
        // The account acted on: another user named in `target` (an admin resetting someone), or
        // the user when the actor is Okta itself (`SystemPrincipal` completing an IdP sign-in).
        let actor_is_user = actor
            .and_then(|a| a.kind.text())
            .is_none_or(|t| t == "User");
        event.subject = rec
            .target
            .iter()
            .filter_map(Obj::get)
            .find(|t| t.kind.text() == Some("User"))
            .and_then(Party::identity)
            .filter(|s| !actor_is_user || event.actor.as_ref().is_none_or(|a| a.key != s.key));
        event.origin = rec.origin(notes);
        // The flow, not the request: `transaction.id` names the one HTTP request that logged the
        // event, and a push, the poll that sees it approved and the phone's denial are requests
        // of their own. The session id (`idx…` in Identity Engine) spans the whole sign-in.
        event.correlation_id = event.origin.session_id.clone();
        event.vendor_signals = rec.signals();

        if let Some(result) = prompt {
            let mut p = event.clone();
            p.id = format!("{}#mfa_prompt", event.id);
            p.activity = Activity::MfaPrompt(MfaPrompt {
                factor: Factor::Push,
                result,
            });
            out.push(event);
            out.push(p);
        } else {
            out.push(event);
        }
        Ok(Parsed::Events)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    SignIn(SignInStage),
    Prompt(PromptResult),
    Change(Change),
    SessionRevoke,
    Other,
}

#[derive(Clone, Copy)]
enum Change {
    FactorEnrolled,
    FactorRemoved,
    FactorsReset,
    PasswordReset,
    PasswordChanged,
    RoleGranted,
}

fn classify(event_type: &str) -> Option<Kind> {
    Some(match event_type {
        "user.session.start" => Kind::SignIn(SignInStage::Primary),
        "user.authentication.sso" => Kind::SignIn(SignInStage::Sso),
        "user.authentication.auth_via_mfa" | "user.authentication.verify" => {
            Kind::SignIn(SignInStage::Mfa)
        }
        t if t.starts_with("user.authentication.auth_via_") => Kind::SignIn(SignInStage::Primary),
        "system.push.send_factor_verify_push" => Kind::Prompt(PromptResult::Sent),
        "user.mfa.okta_verify.deny_push" | "user.mfa.okta_verify.deny_push_upgrade_needed" => {
            Kind::Prompt(PromptResult::Denied)
        }
        "user.account.report_suspicious_activity_by_enduser" => {
            Kind::Prompt(PromptResult::FraudReported)
        }
        "user.mfa.factor.activate" => Kind::Change(Change::FactorEnrolled),
        "user.mfa.factor.deactivate"
        | "user.mfa.factor.suspend"
        | "system.mfa.factor.deactivate" => Kind::Change(Change::FactorRemoved),
        "user.mfa.factor.reset_all" => Kind::Change(Change::FactorsReset),
        "user.account.reset_password" => Kind::Change(Change::PasswordReset),
        "user.account.update_password" => Kind::Change(Change::PasswordChanged),
        "user.account.privilege.grant" => Kind::Change(Change::RoleGranted),
        "user.session.end" | "user.session.clear" => Kind::SessionRevoke,
        "user.account.lock" | "user.session.access_admin_app" => Kind::Other,
        t if t.starts_with("user.session.impersonation.") => Kind::Other,
        _ => return None,
    })
}

fn is_failure(result: Option<&str>) -> bool {
    matches!(result, Some(r) if r.eq_ignore_ascii_case("FAILURE") || r.eq_ignore_ascii_case("DENY"))
}

/// `None` when the outcome says neither success nor failure (`CHALLENGE`, `SKIPPED`, `UNKNOWN`).
/// `no_such_user`: the actor is Okta's `unknown` (no user has the login tried).
fn sign_in_outcome(
    result: Option<&str>,
    reason: Option<&str>,
    stage: SignInStage,
    no_such_user: bool,
) -> Option<Outcome> {
    let result = result?;
    let is = |r: &str| result.eq_ignore_ascii_case(r);
    if is("SUCCESS") || is("ALLOW") {
        Some(Outcome::Success)
    } else if is("FAILURE") || is("DENY") {
        Some(Outcome::Failure {
            reason: failure_reason(is("DENY"), result, reason, stage, no_such_user),
        })
    } else {
        None
    }
}

fn failure_reason(
    deny: bool,
    result: &str,
    reason: Option<&str>,
    stage: SignInStage,
    no_such_user: bool,
) -> FailureReason {
    let text = reason.unwrap_or("");
    let has = |s: &str| contains_ignore_case(text, s);
    if stage == SignInStage::Mfa {
        return if has("fraud") || has("suspicious") {
            FailureReason::MfaFraudReported
        } else if has("reject") || has("denied") || has("deny") {
            FailureReason::MfaDenied
        } else if has("timeout") || has("timed out") || has("expired") {
            FailureReason::MfaTimeout
        } else {
            FailureReason::MfaFailed
        };
    }
    if has("invalid_credentials") || has("invalid credentials") {
        FailureReason::BadPassword
    } else if has("locked") {
        FailureReason::Locked
    } else if has("unknown_user")
        || has("user not found")
        || (no_such_user && has("verification_error"))
    {
        FailureReason::UnknownUser
    } else if deny || has("policy") || has("network zone") {
        FailureReason::PolicyBlocked
    } else {
        FailureReason::Other(reason.unwrap_or(result).to_owned())
    }
}

fn prompt_from_outcome(outcome: &Outcome) -> Option<PromptResult> {
    match outcome {
        Outcome::Success => Some(PromptResult::Approved),
        Outcome::Failure {
            reason: FailureReason::MfaTimeout,
        } => Some(PromptResult::TimedOut),
        Outcome::Failure { .. } => None,
    }
}

/// What an authenticator name says: the password, or a second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FactorUse {
    Password,
    Factor(Factor),
}

impl FactorUse {
    fn factor(self) -> Option<Factor> {
        match self {
            FactorUse::Password => None,
            FactorUse::Factor(f) => Some(f),
        }
    }

    /// Okta names factors in several places and spellings (`OKTA_VERIFY_PUSH`, `Okta Verify`,
    /// `SMS`, `FIDO_WEBAUTHN`, `Password`, ...).
    fn from_name(name: &str) -> Option<Self> {
        let has = |s: &str| contains_ignore_case(name, s);
        Some(if has("PUSH") {
            FactorUse::Factor(Factor::Push)
        } else if has("PASSWORD") {
            FactorUse::Password
        } else if has("SMS") {
            FactorUse::Factor(Factor::Sms)
        } else if has("CALL") || has("VOICE") {
            FactorUse::Factor(Factor::Voice)
        } else if has("WEBAUTHN") || has("U2F") || has("FIDO") || has("SECURITY KEY") {
            FactorUse::Factor(Factor::WebAuthn)
        } else if has("EMAIL") {
            FactorUse::Factor(Factor::Email)
        } else if has("OTP") || has("AUTHENTICATOR") || has("TOKEN") || has("YUBIKEY") {
            FactorUse::Factor(Factor::Totp)
        } else if has("OKTA VERIFY") || has("OKTA_VERIFY") || has("SIGNED_NONCE") || has("FASTPASS")
        {
            FactorUse::Factor(Factor::Other)
        } else {
            return None;
        })
    }
}

vendor_record! {
    struct Record<'a> {
        uuid: Scalar<'a> = "uuid",
        published: Scalar<'a> = "published",
        event_type: Scalar<'a> = "eventType",
        actor: Obj<Party<'a>> = "actor",
        client: Obj<Client<'a>> = "client",
        device: Obj<Device<'a>> = "device",
        auth_context: Obj<AuthContext<'a>> = "authenticationContext",
        outcome: Obj<OutcomeRec<'a>> = "outcome",
        security_context: Obj<SecurityContext<'a>> = "securityContext",
        debug_context: Obj<DebugContext<'a>> = "debugContext",
        request: Obj<Request<'a>> = "request",
        target: List<Obj<Party<'a>>> = "target",
    }
}

vendor_record! {
    /// `actor` and each `target` entry.
    struct Party<'a> {
        id: Scalar<'a> = "id",
        kind: Scalar<'a> = "type",
        alternate_id: Scalar<'a> = "alternateId",
        display_name: Scalar<'a> = "displayName",
        detail_entry: Obj<DetailEntry<'a>> = "detailEntry",
    }
}

vendor_record! {
    struct DetailEntry<'a> {
        method_type_used: Scalar<'a> = "methodTypeUsed",
    }
}

vendor_record! {
    struct Client<'a> {
        ip_address: Scalar<'a> = "ipAddress",
        zone: Scalar<'a> = "zone",
        user_agent: Obj<UserAgent<'a>> = "userAgent",
        geo: Obj<GeoContext<'a>> = "geographicalContext",
    }
}

vendor_record! {
    struct UserAgent<'a> {
        raw: Scalar<'a> = "rawUserAgent",
        browser: Scalar<'a> = "browser",
        os: Scalar<'a> = "os",
    }
}

vendor_record! {
    struct GeoContext<'a> {
        city: Scalar<'a> = "city",
        state: Scalar<'a> = "state",
        country: Scalar<'a> = "country",
        geolocation: Obj<LatLon<'a>> = "geolocation",
    }
}

vendor_record! {
    struct LatLon<'a> {
        lat: Scalar<'a> = "lat",
        lon: Scalar<'a> = "lon",
    }
}

vendor_record! {
    struct Device<'a> {
        id: Scalar<'a> = "id",
    }
}

vendor_record! {
    struct AuthContext<'a> {
        external_session_id: Scalar<'a> = "externalSessionId",
        credential_type: Scalar<'a> = "credentialType",
    }
}

vendor_record! {
    struct OutcomeRec<'a> {
        result: Scalar<'a> = "result",
        reason: Scalar<'a> = "reason",
    }
}

vendor_record! {
    struct SecurityContext<'a> {
        as_number: Scalar<'a> = "asNumber",
        as_org: Scalar<'a> = "asOrg",
        isp: Scalar<'a> = "isp",
        is_proxy: Scalar<'a> = "isProxy",
    }
}

vendor_record! {
    struct DebugContext<'a> {
        data: Obj<DebugData<'a>> = "debugData",
    }
}

vendor_record! {
    struct DebugData<'a> {
        behaviors: Scalar<'a> = "behaviors",
        log_only_security_data: Scalar<'a> = "logOnlySecurityData",
        risk: Scalar<'a> = "risk",
        factor: Scalar<'a> = "factor",
        threat_suspected: Scalar<'a> = "threatSuspected",
        privilege_granted: Scalar<'a> = "privilegeGranted",
    }
}

vendor_record! {
    struct Request<'a> {
        ip_chain: List<Obj<IpChainEntry<'a>>> = "ipChain",
    }
}

vendor_record! {
    struct IpChainEntry<'a> {
        ip: Scalar<'a> = "ip",
        geo: Obj<GeoContext<'a>> = "geographicalContext",
    }
}

vendor_record! {
    /// `debugData.logOnlySecurityData`, a JSON document inside a string.
    struct LogOnlySecurityData<'a> {
        risk: Obj<RiskRec<'a>> = "risk",
        behaviors: Obj<PositiveBehaviors> = "behaviors",
    }
}

vendor_record! {
    struct RiskRec<'a> {
        level: Scalar<'a> = "level",
        reasons: Scalar<'a> = "reasons",
    }
}

/// The behaviour names of a `{"New Device": "POSITIVE", ...}` object that evaluated positive.
#[derive(Debug, Default)]
struct PositiveBehaviors(Vec<String>);

impl<'de> serde::Deserialize<'de> for PositiveBehaviors {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PositiveBehaviors;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of behaviours")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) =
                    map.next_entry::<vendor_json::Key<'de>, Scalar<'de>>()?
                {
                    if value
                        .text()
                        .is_some_and(|v| v.eq_ignore_ascii_case("POSITIVE"))
                    {
                        out.push(name.to_text());
                    }
                }
                Ok(PositiveBehaviors(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> vendor_json::Fields<'de> for PositiveBehaviors {
    fn fill_map<A: serde::de::MapAccess<'de>>(&mut self, map: A) -> Result<(), A::Error> {
        *self = serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(())
    }
}

impl<'a> Party<'a> {
    fn identity(&self) -> Option<Identity> {
        let login = self.alternate_id.text().filter(|l| *l != "unknown")?;
        let mut who = Identity::new(login);
        // `unknown` stands for no user (a login no account has): not an id or a name.
        let known = |t: &&str| *t != "unknown";
        who.vendor_id = self.id.text().filter(known).map(str::to_owned);
        who.display_name = self.display_name.text().filter(known).map(str::to_owned);
        Some(who)
    }
}

impl<'a> Record<'a> {
    fn debug_data(&self) -> Option<&DebugData<'a>> {
        self.debug_context.get().and_then(|d| d.data.get())
    }

    fn factor(&self) -> Option<FactorUse> {
        let from_debug = self.debug_data().and_then(|d| d.factor.text());
        let enrollment = self
            .target
            .iter()
            .filter_map(Obj::get)
            .find(|t| t.kind.text() == Some("AuthenticatorEnrollment"));
        let method = enrollment
            .and_then(|t| t.detail_entry.get())
            .and_then(|d| d.method_type_used.text());
        let enrollment_name = enrollment.and_then(|t| t.display_name.text());
        let credential = self
            .auth_context
            .get()
            .and_then(|a| a.credential_type.text());
        [from_debug, method, enrollment_name, credential]
            .into_iter()
            .flatten()
            .find_map(FactorUse::from_name)
    }

    fn app(&self) -> Option<String> {
        self.target
            .iter()
            .filter_map(Obj::get)
            .find(|t| t.kind.text() == Some("AppInstance"))
            .and_then(|t| t.display_name.text().or(t.alternate_id.text()))
            .map(str::to_owned)
    }

    fn role(&self) -> Option<String> {
        self.debug_data()
            .and_then(|d| d.privilege_granted.text())
            .map(str::to_owned)
    }

    fn origin(&self, notes: &mut Notes) -> Origin {
        let mut origin = Origin::default();
        let client = self.client.get();
        let first_hop = self
            .request
            .get()
            .and_then(|r| r.ip_chain.iter().find_map(Obj::get));
        origin.ip = client
            .and_then(|c| c.ip_address.text())
            .and_then(lenient_ip);
        let mut geo = client.and_then(|c| c.geo.get());
        if origin.ip.is_none() {
            // Okta leaves `client` empty on some server-side events; the first hop of the
            // request's IP chain is then the best account of where it came from.
            if let Some(hop) = first_hop {
                origin.ip = hop.ip.text().and_then(lenient_ip);
                geo = geo.or(hop.geo.get());
            }
        }
        if let Some(g) = geo {
            origin.city = g.city.text().map(str::to_owned);
            origin.region = g.state.text().map(str::to_owned);
            origin.country = g.country.text().and_then(country_code);
            origin.geo = g
                .geolocation
                .get()
                .and_then(|p| geo_point(&p.lat, &p.lon, None, notes));
        }
        let agent = client.and_then(|c| c.user_agent.get());
        origin.user_agent = agent
            .as_ref()
            .and_then(|u| u.raw.text())
            .filter(|u| *u != "UNKNOWN")
            .map(str::to_owned);
        // Okta's own reading of the user agent ("CHROME", "Windows 10") repeats the raw one;
        // it is kept only when the raw one is missing.
        if origin.user_agent.is_none() {
            origin.client = agent.and_then(|u| ClientSoftware::new(u.browser.text(), u.os.text()));
        }
        origin.device_id = self
            .device
            .get()
            .and_then(|d| d.id.text())
            .map(str::to_owned);
        origin.session_id = self
            .auth_context
            .get()
            .and_then(|a| a.external_session_id.text())
            .filter(|s| *s != "unknown")
            .map(str::to_owned);
        if let Some(sc) = self.security_context.get() {
            origin.asn = sc.as_number.as_i64().and_then(|n| u32::try_from(n).ok());
            origin.as_org = sc.as_org.text().or(sc.isp.text()).map(str::to_owned);
        }
        origin
    }

    fn signals(&self) -> VendorSignals {
        let mut s = VendorSignals {
            anonymous_proxy: self
                .security_context
                .get()
                .and_then(|sc| sc.is_proxy.as_bool()),
            network_zone: self
                .client
                .get()
                .and_then(|c| c.zone.text())
                .filter(|z| *z != "null")
                .map(str::to_owned),
            ..VendorSignals::default()
        };
        let Some(debug) = self.debug_data() else {
            return s;
        };
        if let Some(b) = debug.behaviors.text() {
            s.behaviors = positive_behaviors(b);
        }
        if let Some(risk) = debug.risk.text() {
            let (level, reasons) = parse_risk(risk);
            s.risk_level = level;
            s.reasons.extend(reasons);
        }
        if let Some(log_only) = debug.log_only_security_data.text() {
            if let Ok(extra) = serde_json::from_str::<LogOnlySecurityData<'_>>(log_only) {
                if let Some(b) = extra.behaviors.get() {
                    for name in &b.0 {
                        if !s.behaviors.contains(name) {
                            s.behaviors.push(name.clone());
                        }
                    }
                }
                if let Some(r) = extra.risk.get() {
                    if s.risk_level.is_none() {
                        s.risk_level = r.level.text().and_then(risk_level);
                    }
                    if let Some(reasons) = r.reasons.text() {
                        s.reasons.extend(reasons.split(", ").map(str::to_owned));
                    }
                }
            }
        }
        if debug.threat_suspected.as_bool() == Some(true) {
            s.reasons.push("threatSuspected".to_owned());
        }
        s.reasons.dedup();
        s
    }
}

/// The positive entries of Okta's `{New Geo-Location=NEGATIVE, New Device=POSITIVE}` string.
fn positive_behaviors(text: &str) -> Vec<String> {
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    inner
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(_, v)| v.trim().eq_ignore_ascii_case("POSITIVE"))
        .map(|(k, _)| k.trim().to_owned())
        .collect()
}

/// Okta's `{reasons=Anomalous Device, New IP, level=MEDIUM}` string.
fn parse_risk(text: &str) -> (Option<RiskLevel>, Vec<String>) {
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut level = None;
    let mut reasons = Vec::new();
    // Reasons may themselves contain ", ", so split only where a known key starts.
    for part in split_keys(inner) {
        if let Some(v) = part.strip_prefix("level=") {
            level = risk_level(v.trim());
        } else if let Some(v) = part.strip_prefix("reasons=") {
            reasons.extend(
                v.split(", ")
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    (level, reasons)
}

fn split_keys(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = inner.trim();
    loop {
        let next = [", level=", ", reasons="]
            .iter()
            .filter_map(|k| rest.find(k))
            .min();
        match next {
            Some(i) => {
                parts.push(rest[..i].trim());
                rest = rest[i + 1..].trim();
            }
            None => {
                parts.push(rest);
                return parts;
            }
        }
    }
}

fn risk_level(v: &str) -> Option<RiskLevel> {
    [
        ("NONE", RiskLevel::None),
        ("LOW", RiskLevel::Low),
        ("MEDIUM", RiskLevel::Medium),
        ("HIGH", RiskLevel::High),
    ]
    .into_iter()
    .find(|(name, _)| v.eq_ignore_ascii_case(name))
    .map(|(_, level)| level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviours_keep_the_positive_ones() {
        let b = positive_behaviors(
            "{New Geo-Location=NEGATIVE, New Device=POSITIVE, Velocity=POSITIVE}",
        );
        assert_eq!(b, vec!["New Device", "Velocity"]);
    }

    #[test]
    fn risk_string_with_commas_in_reasons() {
        let (level, reasons) = parse_risk("{reasons=Anomalous Device, New IP, level=MEDIUM}");
        assert_eq!(level, Some(RiskLevel::Medium));
        assert_eq!(reasons, vec!["Anomalous Device", "New IP"]);
        let (level, reasons) = parse_risk("{level=HIGH, reasons=Anomalous Location}");
        assert_eq!(level, Some(RiskLevel::High));
        assert_eq!(reasons, vec!["Anomalous Location"]);
    }
}
