//! AWS CloudTrail adapter: AWS Management Console sign-ins (`eventName: ConsoleLogin`).
//!
//! One record is one element of a CloudTrail file's `Records` array (the reader unwraps the array
//! and `.json.gz`). `ConsoleLogin` becomes a primary `SignIn`: `responseElements.ConsoleLogin`
//! gives the outcome, `errorMessage` the reason, `additionalEventData.MFAUsed` whether MFA was
//! satisfied (and `MFAIdentifier` its kind). Every other event (`GetSigninToken`, API calls,
//! Insights events) is unsupported, named `cloudtrail <eventName>`.
//!
//! The identity is the IAM user name, the session name of an assumed role (the last part of
//! `arn:aws:sts::<account>:assumed-role/<role>/<session>`, usually the federated person), the
//! federated user's name, or for the root user its ARN; the ARN (else `principalId`) is kept as
//! the vendor id and the account as the tenant. Failed sign-ins of names that do not exist carry
//! `HIDDEN_DUE_TO_SECURITY_REASONS` as the user name; such events keep no actor rather than
//! lumping every unknown name into one identity.

use palisade_schema::{
    Activity, Event, Factor, FailureReason, Identity, Origin, Outcome, SignIn, SignInKind,
    SignInStage, Source,
};

use crate::vendor_json::{
    self, contains, lenient_ip, read_record, required_id, rfc3339_time, Obj, Scalar,
};
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads CloudTrail records.
///
/// ```
/// use palisade_ingest::{cloudtrail::CloudTrail, Adapter, Notes, Parsed};
/// use palisade_schema::Activity;
/// let record = br#"{"eventVersion":"1.08","eventTime":"2023-11-10T16:24:34Z","eventSource":"signin.amazonaws.com",
///   "eventName":"ConsoleLogin","eventID":"e1","sourceIPAddress":"192.0.2.0",
///   "userIdentity":{"type":"IAMUser","userName":"anaya","arn":"arn:aws:iam::111122223333:user/anaya","accountId":"111122223333"},
///   "responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"}}"#;
/// assert!(CloudTrail.sniff(record));
/// let mut out = Vec::new();
/// assert_eq!(CloudTrail.parse(record, &mut out, &mut Notes::default()), Ok(Parsed::Events));
/// assert!(matches!(&out[0].activity, Activity::SignIn(s) if s.mfa_satisfied == Some(true)));
/// assert_eq!(out[0].tenant.as_deref(), Some("111122223333"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CloudTrail;

impl Adapter for CloudTrail {
    fn source(&self) -> Source {
        Source::CloudTrail
    }

    fn sniff(&self, record: &[u8]) -> bool {
        contains(record, b"\"eventVersion\"") && contains(record, b"\"eventTime\"")
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        _notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        let mut rec = Record::default();
        read_record(record, &mut rec)?;
        match rec.event_name.text() {
            Some("ConsoleLogin") => {}
            Some(name) => return Ok(Parsed::Unsupported(format!("cloudtrail {name}"))),
            None => match rec.event_type.text() {
                Some(t) => return Ok(Parsed::Unsupported(format!("cloudtrail {t}"))),
                None => return Err(BadRecordReason::MissingField("eventName")),
            },
        }
        let id = required_id(&rec.event_id, "eventID")?;
        let time = rfc3339_time(&rec.event_time, "eventTime")?;
        let response = rec.response.get().and_then(|r| r.console_login.text());
        let outcome = match response {
            Some(r) if r.eq_ignore_ascii_case("Success") => Outcome::Success,
            Some(r) if r.eq_ignore_ascii_case("Failure") => Outcome::Failure {
                reason: failure_reason(rec.error_message.text()),
            },
            // No response but an error message: a failure all the same.
            _ if rec.error_message.text().is_some() => Outcome::Failure {
                reason: failure_reason(rec.error_message.text()),
            },
            _ => {
                return Ok(Parsed::Unsupported(
                    "cloudtrail ConsoleLogin without outcome".into(),
                ))
            }
        };
        let extra = rec.additional.get();
        let mfa_satisfied = extra.and_then(|a| a.mfa_used.text()).and_then(|m| {
            if m.eq_ignore_ascii_case("Yes") {
                Some(true)
            } else if m.eq_ignore_ascii_case("No") {
                Some(false)
            } else {
                None
            }
        });
        let factor = extra.and_then(|a| a.mfa_identifier.text()).map(|arn| {
            // `arn:aws:iam::<account>:u2f/...` is a FIDO security key; `...:mfa/<name>` a
            // virtual or hardware TOTP device.
            if arn.contains(":u2f/") {
                Factor::WebAuthn
            } else if arn.contains(":mfa/") {
                Factor::Totp
            } else {
                Factor::Other
            }
        });
        let activity = Activity::SignIn(SignIn {
            stage: SignInStage::Primary,
            outcome,
            factor,
            app: None,
            mfa_satisfied,
        });

        let mut event = Event::new(time, id, Source::CloudTrail, activity);
        let who = rec.user_identity.get();
        event.actor = who.and_then(UserIdentity::identity);
        event.tenant = who
            .and_then(|u| u.account_id.text())
            .or(rec.recipient_account_id.text())
            .map(str::to_owned);
        event.sign_in_kind = Some(SignInKind::Interactive);
        event.origin = Origin {
            ip: rec.source_ip.text().and_then(lenient_ip),
            user_agent: rec.user_agent.text().map(str::to_owned),
            ..Origin::default()
        };
        out.push(event);
        Ok(Parsed::Events)
    }
}

fn failure_reason(message: Option<&str>) -> FailureReason {
    match message {
        Some("Failed authentication") => FailureReason::BadPassword,
        Some(m) if m.contains("No username found") => FailureReason::UnknownUser,
        Some(m) => FailureReason::Other(m.to_owned()),
        None => FailureReason::Other("Failure".to_owned()),
    }
}

vendor_record! {
    struct Record<'a> {
        event_time: Scalar<'a> = "eventTime",
        event_id: Scalar<'a> = "eventID",
        event_name: Scalar<'a> = "eventName",
        event_type: Scalar<'a> = "eventType",
        source_ip: Scalar<'a> = "sourceIPAddress",
        user_agent: Scalar<'a> = "userAgent",
        error_message: Scalar<'a> = "errorMessage",
        recipient_account_id: Scalar<'a> = "recipientAccountId",
        user_identity: Obj<UserIdentity<'a>> = "userIdentity",
        response: Obj<ResponseElements<'a>> = "responseElements",
        additional: Obj<AdditionalEventData<'a>> = "additionalEventData",
    }
}

vendor_record! {
    struct UserIdentity<'a> {
        kind: Scalar<'a> = "type",
        user_name: Scalar<'a> = "userName",
        arn: Scalar<'a> = "arn",
        principal_id: Scalar<'a> = "principalId",
        account_id: Scalar<'a> = "accountId",
    }
}

vendor_record! {
    struct ResponseElements<'a> {
        console_login: Scalar<'a> = "ConsoleLogin",
    }
}

vendor_record! {
    struct AdditionalEventData<'a> {
        mfa_used: Scalar<'a> = "MFAUsed",
        mfa_identifier: Scalar<'a> = "MFAIdentifier",
    }
}

impl UserIdentity<'_> {
    fn identity(&self) -> Option<Identity> {
        let arn = self.arn.text();
        let login = match (self.kind.text(), self.user_name.text(), arn) {
            (_, Some("HIDDEN_DUE_TO_SECURITY_REASONS"), _) => return None,
            (Some("AssumedRole"), _, Some(arn)) => arn_tail(arn, ":assumed-role/", 2),
            (Some("FederatedUser"), _, Some(arn)) => arn_tail(arn, ":federated-user/", 1),
            (Some("Root"), _, Some(arn)) => Some(arn),
            (_, Some(name), _) => Some(name),
            (_, None, arn) => arn.or(self.principal_id.text()),
        }?;
        let mut who = Identity::new(login);
        who.vendor_id = arn.or(self.principal_id.text()).map(str::to_owned);
        Some(who)
    }
}

/// The part of `arn` after `marker` and `skip - 1` slashes: the session name of
/// `...:assumed-role/<role>/<session>` (skip 2), the name of `...:federated-user/<name>` (skip 1).
fn arn_tail<'s>(arn: &'s str, marker: &str, skip: usize) -> Option<&'s str> {
    let (_, rest) = arn.split_once(marker)?;
    rest.splitn(skip, '/')
        .nth(skip - 1)
        .filter(|s| !s.is_empty())
}
