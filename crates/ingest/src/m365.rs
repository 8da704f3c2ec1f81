//! Microsoft 365 unified audit log records (Office 365 Management Activity API, and the Purview
//! audit search whose CSV export holds the same JSON in its `AuditData` column).
//!
//! # Mapping
//!
//! | `Operation` | Palisade |
//! |---|---|
//! | `UserLoggedIn` | [`SignIn`] success (`ExtendedProperties` `UserAgent`, `DeviceProperties` `SessionId`/`Id`) |
//! | `UserLoginFailed` | [`SignIn`] failure from `ErrorNumber` (the Entra codes: 50126 bad password, 50074/50076 MFA required, ...; `LogonError` when there is no number); 500121 also gives an [`MfaPrompt`] (`Failed` unless `LogonError` says denied, timed out or fraud) |
//! | `New-InboxRule` / `Set-InboxRule`, `Enable-InboxRule`, `Disable-InboxRule` / `Remove-InboxRule` | [`MailboxRule`] create / modify / delete from `Parameters` |
//! | `UpdateInboxRules` (Outlook clients) | [`MailboxRule`] from `OperationProperties` (`RuleOperation`, `RuleName`, `RuleActions`, `RuleCondition`) |
//! | `Set-Mailbox` with `ForwardingSmtpAddress`, `ForwardingAddress` or `DeliverToMailboxAndForward` | [`MailboxForwarding`] (other `Set-Mailbox` calls are unsupported) |
//! | `MailItemsAccessed` | [`MailItemsAccessed`] (`OperationCount`, `Folders[].Path`) |
//! | `FileAccessed`, `FilePreviewed`, `FileDownloaded` | [`FileAccess`] (`ObjectId`, else `SourceFileName`) |
//! | anything else | [`Parsed::Unsupported`]`("m365 <Operation>")` |
//!
//! Event time is `CreationTime`, which carries no offset and is UTC. The actor is `UserId`
//! (SharePoint's `urn:spo:guest#` prefix removed), with `UserKey` as the vendor id; the tenant is
//! `OrganizationId`; the IP is the first usable of `ClientIP`, `ClientIPAddress` and
//! `ActorIpAddress` (ports, brackets and IPv4-mapped IPv6 handled; empty and `<null>` skipped).
//! Exchange cmdlets whose `ResultStatus` says they failed change nothing and are unsupported.
//!
//! Out of scope: Panther's lower-cased keys, and Microsoft Sentinel's `OfficeActivity` table rows
//! (renamed columns such as `Client_IPAddress`, `TimeGenerated`, nested arrays stored as
//! strings): a Log Analytics projection, not the audit log's own shape.
//!
//! Leniency: a field of the wrong JSON type reads as absent, except `CreationTime` and `Id`, which
//! make the record bad. Duplicate keys are accepted, the last one winning.

// The lenient JSON leaves and the Entra status codes are shared with the Entra adapter: taken
// from it when both are built, compiled here when only this one is.
#[cfg(feature = "entra")]
use crate::entra::{loose, status};
#[cfg(not(feature = "entra"))]
#[path = "entra/loose.rs"]
#[allow(dead_code)] // Entra also reads boolean fields.
mod loose;
#[cfg(not(feature = "entra"))]
#[path = "entra/status.rs"]
#[allow(dead_code)] // Entra uses all of it; here only the code mapping and IP forms.
mod status;

use std::borrow::Cow;
use std::fmt;

use palisade_schema::{
    Activity, Event, Factor, FailureReason, FileAccess, FileAccessKind, Identity, IdentityKey,
    MailItemsAccessed, MailboxForwarding, MailboxRule, MfaPrompt, Origin, PromptResult, RuleAction,
    RuleChange, RuleConditions, SignIn, SignInStage, Source, Timestamp,
};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use self::loose::{parse_bool, parse_last_wins, Failure, List, Num, Obj, Text};
use crate::{Adapter, BadRecordReason, Notes, Parsed};

/// Reads Microsoft 365 unified audit log records.
///
/// ```
/// use palisade_ingest::{m365::M365, Adapter, Notes, Parsed};
/// use palisade_schema::{Activity, RuleAction};
///
/// let record = br#"{"CreationTime":"2023-05-24T15:10:53","Id":"9cf2a1f7","Operation":"New-InboxRule",
///   "OrganizationId":"contoso","RecordType":1,"ResultStatus":"True","UserKey":"1003","Workload":"Exchange",
///   "ClientIP":"81.2.69.142:63070","UserId":"alice@contoso.com",
///   "Parameters":[{"Name":"Name","Value":"."},{"Name":"MarkAsRead","Value":"True"},
///                 {"Name":"MoveToFolder","Value":"RSS Feeds"}]}"#;
/// let m365 = M365;
/// assert!(m365.sniff(record));
/// let mut out = Vec::new();
/// assert_eq!(m365.parse(record, &mut out, &mut Notes::default()).unwrap(), Parsed::Events);
/// let Activity::MailboxRule(rule) = &out[0].activity else { panic!("not a rule") };
/// assert_eq!(rule.name.as_deref(), Some("."));
/// assert_eq!(rule.actions, vec![RuleAction::MarkAsRead, RuleAction::MoveToFolder("RSS Feeds".into())]);
/// assert_eq!(out[0].origin.ip.unwrap().to_string(), "81.2.69.142");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct M365;

/// One audit record: the common schema plus the fields of the operations Palisade reads. Every
/// field is lenient, so the many workloads' shapes never clash.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(borrow, rename = "CreationTime")]
    creation_time: Text<'a>,
    #[serde(borrow, rename = "Id")]
    id: Text<'a>,
    #[serde(borrow, rename = "Operation")]
    operation: Text<'a>,
    #[serde(borrow, rename = "UserId")]
    user_id: Text<'a>,
    #[serde(borrow, rename = "UserKey")]
    user_key: Text<'a>,
    #[serde(borrow, rename = "OrganizationId")]
    organization_id: Text<'a>,
    #[serde(borrow, rename = "ClientIP")]
    client_ip: Text<'a>,
    #[serde(borrow, rename = "ClientIPAddress")]
    client_ip_address: Text<'a>,
    #[serde(borrow, rename = "ActorIpAddress")]
    actor_ip_address: Text<'a>,
    #[serde(borrow, rename = "ResultStatus")]
    result_status: Text<'a>,
    #[serde(borrow, rename = "ExtendedProperties")]
    extended_properties: List<Obj<NameValue<'a>>>,
    #[serde(borrow, rename = "DeviceProperties")]
    device_properties: List<Obj<NameValue<'a>>>,
    #[serde(rename = "ErrorNumber")]
    error_number: Num,
    #[serde(borrow, rename = "LogonError")]
    logon_error: Text<'a>,
    #[serde(borrow, rename = "Parameters")]
    parameters: List<Obj<NameValue<'a>>>,
    #[serde(borrow, rename = "OperationProperties")]
    operation_properties: List<Obj<NameValue<'a>>>,
    #[serde(borrow, rename = "ObjectId")]
    object_id: Text<'a>,
    #[serde(borrow, rename = "SourceFileName")]
    source_file_name: Text<'a>,
    #[serde(borrow, rename = "Folders")]
    folders: List<Obj<Folder<'a>>>,
    #[serde(rename = "OperationCount")]
    operation_count: Num,
    #[serde(borrow, rename = "MailboxOwnerUPN")]
    mailbox_owner_upn: Text<'a>,
    #[serde(borrow, rename = "SessionId")]
    session_id: Text<'a>,
    #[serde(borrow, rename = "UserAgent")]
    user_agent: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameValue<'a> {
    #[serde(borrow, rename = "Name")]
    name: Text<'a>,
    #[serde(borrow, rename = "Value")]
    value: Value<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Folder<'a> {
    #[serde(borrow, rename = "Path")]
    path: Text<'a>,
}

/// A `Value` of a name/value pair: usually a string, but `RuleActions` may also arrive as
/// structured JSON.
#[derive(Default)]
enum Value<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    Json(serde_json::Value),
}

impl Value<'_> {
    fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

struct ValueVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
    type Value = Value<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'a>, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value<'a>, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Value<'a>, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value<'a>, E> {
        Ok(Value::Json(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value<'a>, E> {
        Ok(Value::Json(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value<'a>, E> {
        Ok(Value::Json(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value<'a>, E> {
        Ok(Value::Json(v.into()))
    }
    fn visit_unit<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Absent)
    }
    fn visit_none<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value<'a>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value<'a>, A::Error> {
        serde_json::Value::deserialize(MapAccessDeserializer::new(map)).map(Value::Json)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value<'a>, A::Error> {
        serde_json::Value::deserialize(SeqAccessDeserializer::new(seq)).map(Value::Json)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor(std::marker::PhantomData))
    }
}

impl Adapter for M365 {
    fn source(&self) -> Source {
        Source::M365
    }

    fn sniff(&self, record: &[u8]) -> bool {
        contains(record, b"\"CreationTime\"")
            && contains(record, b"\"Operation\"")
            && (contains(record, b"\"Workload\"") || contains(record, b"\"RecordType\""))
            && !contains(record, b"\"class_uid\"")
    }

    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        _notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason> {
        let start = out.len();
        let result = parse_last_wins(record, |bytes| {
            let rec: Record<'_> = crate::fast_json::from_slice_or_serde(bytes)?;
            out.truncate(start);
            map_record(&rec, out).map_err(Failure::Bad)
        });
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

fn map_record(rec: &Record<'_>, out: &mut Vec<Event>) -> Result<Parsed, BadRecordReason> {
    let operation = rec.operation.required("Operation")?;
    let failed_cmdlet = || {
        rec.result_status
            .get()
            .is_some_and(|s| s.eq_ignore_ascii_case("False") || s.eq_ignore_ascii_case("Failed"))
    };
    let activity = match operation {
        "UserLoggedIn" | "UserLoginFailed" => return sign_in(rec, operation, out),
        "New-InboxRule" | "Set-InboxRule" | "Enable-InboxRule" | "Disable-InboxRule"
        | "Remove-InboxRule"
            if !failed_cmdlet() =>
        {
            Activity::MailboxRule(inbox_rule_cmdlet(rec, operation))
        }
        "UpdateInboxRules" => Activity::MailboxRule(outlook_rule(rec)),
        "Set-Mailbox" if !failed_cmdlet() => match forwarding(rec) {
            Some(f) => Activity::MailboxForwarding(f),
            None => return Ok(Parsed::Unsupported(format!("m365 {operation}"))),
        },
        "MailItemsAccessed" => Activity::MailItemsAccessed(MailItemsAccessed {
            mailbox: other_mailbox(rec),
            count: rec
                .operation_count
                .int()
                .and_then(|n| u64::try_from(n).ok()),
            folders: rec
                .folders
                .iter()
                .filter_map(Obj::get)
                .filter_map(|f| f.path.non_empty())
                .map(str::to_owned)
                .collect(),
        }),
        "FileAccessed" | "FilePreviewed" | "FileDownloaded" => Activity::FileAccess(FileAccess {
            how: match operation {
                "FileAccessed" => FileAccessKind::Accessed,
                "FilePreviewed" => FileAccessKind::Previewed,
                _ => FileAccessKind::Downloaded,
            },
            object: rec
                .object_id
                .non_empty()
                .or_else(|| rec.source_file_name.non_empty())
                .map(str::to_owned),
        }),
        _ => return Ok(Parsed::Unsupported(format!("m365 {operation}"))),
    };
    out.push(base(rec, activity)?);
    Ok(Parsed::Events)
}

/// The event with what every record carries: time, id, tenant, actor, origin.
fn base(rec: &Record<'_>, activity: Activity) -> Result<Event, BadRecordReason> {
    let time = creation_time(rec.creation_time.required("CreationTime")?)?;
    let id = rec.id.required("Id")?;
    if id.trim().is_empty() {
        return Err(BadRecordReason::BadValue {
            field: "Id",
            detail: "empty".into(),
        });
    }
    let mut event = Event::new(time, id, Source::M365, activity);
    event.tenant = rec.organization_id.non_empty().map(str::to_owned);
    event.actor = login(rec).map(|l| {
        let who = Identity::new(l);
        match rec.user_key.non_empty() {
            Some(key) => who.with_vendor_id(key),
            None => who,
        }
    });
    event.origin = Origin {
        ip: [
            &rec.client_ip,
            &rec.client_ip_address,
            &rec.actor_ip_address,
        ]
        .into_iter()
        .find_map(|t| t.get().and_then(status::parse_ip)),
        user_agent: property(&rec.extended_properties, "UserAgent")
            .or_else(|| rec.user_agent.non_empty())
            .map(str::to_owned),
        device_id: property(&rec.device_properties, "Id").map(str::to_owned),
        session_id: property(&rec.device_properties, "SessionId")
            .or_else(|| rec.session_id.non_empty())
            .map(str::to_owned),
        ..Origin::default()
    };
    Ok(event)
}

/// `CreationTime`: UTC, written without an offset (`2024-05-01T10:00:00`).
fn creation_time(raw: &str) -> Result<Timestamp, BadRecordReason> {
    let raw = raw.trim();
    // The usual `2024-05-01T10:00:00` (or with `Z`), read directly as UTC.
    if let Some(t) = crate::fast_time::fast_utc(raw) {
        return t.map_err(|e| BadRecordReason::BadTime(e.to_string()));
    }
    // Naming the zone up front takes the RFC 3339 fast path rather than a failed RFC 3339 parse
    // followed by a format-string parse, on every record.
    let has_offset =
        raw.ends_with(['Z', 'z']) || raw.get(19..).is_some_and(|tail| tail.contains(['+', '-']));
    let parsed = if !has_offset && raw.len() >= 19 && raw.as_bytes().get(10) == Some(&b'T') {
        let mut zoned = String::with_capacity(raw.len() + 1);
        zoned.push_str(raw);
        zoned.push('Z');
        Timestamp::parse_rfc3339(&zoned).or_else(|_| Timestamp::parse_rfc3339(raw))
    } else {
        Timestamp::parse_rfc3339(raw)
    };
    parsed.map_err(|e| BadRecordReason::BadTime(e.to_string()))
}

/// The actor's login: `UserId`, without SharePoint's guest prefix.
fn login<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    let user = rec.user_id.non_empty()?;
    Some(user.strip_prefix("urn:spo:guest#").unwrap_or(user))
}

/// The mailbox acted on, when it is not the actor's own.
fn other_mailbox(rec: &Record<'_>) -> Option<String> {
    let owner = rec.mailbox_owner_upn.non_empty()?;
    let same = login(rec).is_some_and(|l| IdentityKey::new(l) == IdentityKey::new(owner));
    (!same).then(|| owner.to_owned())
}

/// The string value of the first pair named `name`.
fn property<'r>(pairs: &'r List<Obj<NameValue<'_>>>, name: &str) -> Option<&'r str> {
    pairs
        .iter()
        .filter_map(Obj::get)
        .find(|p| p.name.get() == Some(name))
        .and_then(|p| p.value.str())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn sign_in(
    rec: &Record<'_>,
    operation: &str,
    out: &mut Vec<Event>,
) -> Result<Parsed, BadRecordReason> {
    let logon_error = rec.logon_error.non_empty();
    let code = rec.error_number.int().unwrap_or(0);
    let reason = if operation == "UserLoggedIn" {
        None
    } else {
        Some(
            status::failure_reason(code, logon_error, logon_error)
                .unwrap_or_else(|| logon_error_reason(logon_error)),
        )
    };
    let activity = Activity::SignIn(match &reason {
        None => SignIn::success(SignInStage::Primary),
        Some(r) => {
            let stage = if r.is_mfa() {
                SignInStage::Mfa
            } else {
                SignInStage::Primary
            };
            SignIn::failure(stage, r.clone())
        }
    });
    let event = base(rec, activity)?;
    if reason.is_some() && code == status::MFA_FAILED {
        let result = match logon_error.and_then(status::prompt_result) {
            Some(
                r @ (PromptResult::Denied | PromptResult::TimedOut | PromptResult::FraudReported),
            ) => r,
            _ => PromptResult::Failed,
        };
        let mut prompt = event.clone();
        prompt.id = format!("{}:mfa", event.id);
        // The audit record names no MFA method.
        prompt.activity = Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Other,
            result,
        });
        out.push(event);
        out.push(prompt);
    } else {
        out.push(event);
    }
    Ok(Parsed::Events)
}

/// A failure from `LogonError` alone (records without an `ErrorNumber`, or with 0). The names are
/// Entra's error names for the codes [`status::failure_reason`] maps.
fn logon_error_reason(logon_error: Option<&str>) -> FailureReason {
    match logon_error {
        Some("InvalidUserNameOrPassword" | "InvalidPasswordExpiredPassword") => {
            FailureReason::BadPassword
        }
        Some("UserAccountNotFound") => FailureReason::UnknownUser,
        Some("IdsLocked" | "UserAccountDisabled") => FailureReason::Locked,
        Some(
            "UserStrongAuthClientAuthNRequiredInterrupt"
            | "UserStrongAuthClientAuthNRequired"
            | "UserStrongAuthEnrollmentRequiredInterrupt",
        ) => FailureReason::MfaRequired,
        Some("BlockedByConditionalAccess") => FailureReason::PolicyBlocked,
        Some(other) => FailureReason::Other(other.to_owned()),
        None => FailureReason::Other("UserLoginFailed".to_owned()),
    }
}

/// Exchange writes multi-valued parameters joined with `;`.
fn split_values(v: &str) -> impl Iterator<Item = String> + '_ {
    v.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn is_true(v: &str) -> bool {
    parse_bool(v) == Some(true)
}

/// The conditions of `New-InboxRule` and `Set-InboxRule` that Palisade reads.
const READ_CONDITIONS: [&str; 6] = [
    "From",
    "FromAddressContainsWords",
    "SubjectContainsWords",
    "BodyContainsWords",
    "SubjectOrBodyContainsWords",
    "SentTo",
];

/// The conditions of `New-InboxRule` and `Set-InboxRule` that Palisade does not read (Exchange's
/// cmdlet reference): a rule with one that restricts (see [`restricts`]) is not known to apply
/// to all mail.
const OTHER_CONDITIONS: [&str; 18] = [
    "FlaggedForAction",
    "FromSubscription",
    "HasAttachment",
    "HasClassification",
    "HeaderContainsWords",
    "MessageTypeMatches",
    "MyNameInCcBox",
    "MyNameInToBox",
    "MyNameInToOrCcBox",
    "MyNameNotInToBox",
    "ReceivedAfterDate",
    "ReceivedBeforeDate",
    "RecipientAddressContainsWords",
    "SentOnlyToMe",
    "WithImportance",
    "WithinSizeRangeMaximum",
    "WithinSizeRangeMinimum",
    "WithSensitivity",
];

/// A recipient as Exchange may print it, `"Kate" [SMTP:kate@example.com]`, or bare: the address
/// in the last `[SMTP:...]` bracket (a display name is the sender's to choose, and may hold a
/// bracket of its own).
fn recipient(v: String) -> String {
    const OPEN: &str = "[smtp:";
    // ASCII lowercasing keeps every byte offset.
    match v.to_ascii_lowercase().rfind(OPEN) {
        Some(at) => {
            let rest = &v[at + OPEN.len()..];
            rest[..rest.find(']').unwrap_or(rest.len())]
                .trim()
                .to_owned()
        }
        None => v,
    }
}

/// Whether a condition parameter's value restricts the rule: `False`, `0` or empty match all
/// mail (`-HasAttachment $false` is "with or without attachments").
fn restricts(value: &str) -> bool {
    let v = value.trim().trim_start_matches('$');
    !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false") || v.eq_ignore_ascii_case("null"))
}

fn inbox_rule_cmdlet(rec: &Record<'_>, operation: &str) -> MailboxRule {
    let mut rule = MailboxRule {
        change: match operation {
            "New-InboxRule" => RuleChange::Create,
            "Remove-InboxRule" => RuleChange::Delete,
            _ => RuleChange::Modify,
        },
        ..MailboxRule::default()
    };
    let mut identity = None;
    // Whether the record names any condition at all, even an empty one.
    let mut conditions_named = false;
    let c = &mut rule.conditions;
    for p in rec.parameters.iter().filter_map(Obj::get) {
        let (Some(name), Some(value)) = (p.name.get(), p.value.str()) else {
            continue;
        };
        conditions_named |= READ_CONDITIONS.contains(&name) || OTHER_CONDITIONS.contains(&name);
        match name {
            "Name" => rule.name = Some(value.to_owned()),
            "Identity" => identity = Some(value),
            "Mailbox" => rule.mailbox = Some(value.to_owned()),
            "From" | "FromAddressContainsWords" => c.from.extend(split_values(value)),
            "SubjectContainsWords" => c.subject_contains.extend(split_values(value)),
            "BodyContainsWords" | "SubjectOrBodyContainsWords" => {
                c.body_contains.extend(split_values(value));
            }
            "SentTo" => c.sent_to.extend(split_values(value)),
            other if OTHER_CONDITIONS.contains(&other) => c.unknown |= restricts(value),
            "MoveToFolder" => rule
                .actions
                .push(RuleAction::MoveToFolder(value.to_owned())),
            "CopyToFolder" => rule
                .actions
                .push(RuleAction::CopyToFolder(value.to_owned())),
            "MarkAsRead" if is_true(value) => rule.actions.push(RuleAction::MarkAsRead),
            "DeleteMessage" | "SoftDeleteMessage" if is_true(value) => {
                rule.actions.push(RuleAction::Delete);
            }
            "StopProcessingRules" if is_true(value) => {
                rule.actions.push(RuleAction::StopProcessingRules);
            }
            "ForwardTo" => rule.actions.extend(
                split_values(value)
                    .map(recipient)
                    .map(RuleAction::ForwardTo),
            ),
            "ForwardAsAttachmentTo" => {
                rule.actions.extend(
                    split_values(value)
                        .map(recipient)
                        .map(RuleAction::ForwardAsAttachmentTo),
                );
            }
            "RedirectTo" => rule.actions.extend(
                split_values(value)
                    .map(recipient)
                    .map(RuleAction::RedirectTo),
            ),
            _ => {}
        }
    }
    if rule.change == RuleChange::Modify && !conditions_named {
        // `Set-InboxRule` lists only what it changed: the rule's conditions are as they were.
        rule.conditions.unknown = true;
    }
    if rule.name.is_none() {
        // `Set-`/`Remove-InboxRule -Identity` and the `ObjectId` name the rule as
        // `<mailbox>\<rule name>`.
        rule.name = identity
            .or_else(|| rec.object_id.non_empty())
            .map(|i| i.rsplit('\\').next().unwrap_or(i).to_owned());
    }
    rule
}

/// An Outlook client's rule change (`UpdateInboxRules`).
fn outlook_rule(rec: &Record<'_>) -> MailboxRule {
    let props = &rec.operation_properties;
    let mut rule = MailboxRule {
        change: match property(props, "RuleOperation") {
            Some(op) if op.contains("Add") || op.contains("Create") || op.contains("New") => {
                RuleChange::Create
            }
            Some(op) if op.contains("Remove") || op.contains("Delete") => RuleChange::Delete,
            _ => RuleChange::Modify,
        },
        name: property(props, "RuleName").map(str::to_owned),
        mailbox: other_mailbox(rec),
        ..MailboxRule::default()
    };
    match property(props, "RuleCondition").map(str::trim) {
        Some(condition) if !condition.is_empty() => {
            rule.conditions = rule_condition(condition);
            // A restriction with nothing read from it still restricts, unless every message
            // meets it (`{}`, or `{(Exists(ItemClass))}`, which Outlook writes for "all mail").
            rule.conditions.unknown |= rule.conditions.is_empty() && !matches_all_mail(condition);
        }
        // A change that does not restate the rule leaves its conditions as they were.
        _ => rule.conditions.unknown = rule.change == RuleChange::Modify,
    }
    let actions = props
        .iter()
        .filter_map(Obj::get)
        .find(|p| p.name.get() == Some("RuleActions"))
        .and_then(|p| match &p.value {
            Value::Str(s) => serde_json::from_str::<serde_json::Value>(s).ok(),
            Value::Json(v) => Some(v.clone()),
            Value::Absent => None,
        });
    if let Some(actions) = actions {
        rule.actions = rule_actions(&actions);
    }
    rule
}

/// `RuleActions`: a JSON array of `{"ActionType": ..., ...}` (Exchange's rule action types).
/// `Forward` carries `Recipients` and `ForwardFlags`; a forward flagged `DoNotMungeMessage` or
/// `PreserveSender` is a redirect, one flagged `ForwardAsAttachment` forwards as attachment.
/// `DeferAction` (a client-side rule's opaque data) says nothing Palisade can use.
fn rule_actions(actions: &serde_json::Value) -> Vec<RuleAction> {
    let list = match actions {
        serde_json::Value::Array(a) => a.as_slice(),
        one @ serde_json::Value::Object(_) => std::slice::from_ref(one),
        _ => &[],
    };
    let mut out = Vec::new();
    for action in list {
        let kind = action
            .get("ActionType")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let flags = action
            .get("ForwardFlags")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let recipients = || -> Vec<String> {
            match action.get("Recipients") {
                Some(serde_json::Value::Array(r)) => r
                    .iter()
                    .filter_map(|v| v.as_str())
                    .flat_map(split_values)
                    .map(recipient)
                    .collect(),
                Some(serde_json::Value::String(s)) => split_values(s).map(recipient).collect(),
                _ => Vec::new(),
            }
        };
        match kind {
            "Forward" if flags.contains("AsAttachment") => {
                out.extend(
                    recipients()
                        .into_iter()
                        .map(RuleAction::ForwardAsAttachmentTo),
                );
            }
            "Forward" if flags.contains("DoNotMunge") || flags.contains("PreserveSender") => {
                out.extend(recipients().into_iter().map(RuleAction::RedirectTo));
            }
            "Forward" => out.extend(recipients().into_iter().map(RuleAction::ForwardTo)),
            "Redirect" => out.extend(recipients().into_iter().map(RuleAction::RedirectTo)),
            "Delete" => out.push(RuleAction::Delete),
            "MarkAsRead" => out.push(RuleAction::MarkAsRead),
            // The destination is a folder id, not a name.
            "Move" => out.push(RuleAction::MoveToFolder(String::new())),
            "Copy" => out.push(RuleAction::CopyToFolder(String::new())),
            _ => {}
        }
    }
    out
}

/// Whether an Outlook restriction is one every message meets: empty (`{}`) or
/// `Exists(ItemClass)`.
fn matches_all_mail(condition: &str) -> bool {
    let bare: String = condition
        .chars()
        .filter(|c| !matches!(c, '{' | '}' | '(' | ')') && !c.is_whitespace())
        .collect();
    bare.is_empty() || bare.eq_ignore_ascii_case("ExistsItemClass")
}

/// The parts of an Outlook `RuleCondition` restriction Palisade reads: subject substrings
/// (`(SubString IgnoreCase(SubjectProperty)=WORDS)`) and SMTP senders
/// (`(SenderSearchKey Equal SMTP:ADDRESS)`).
fn rule_condition(condition: &str) -> RuleConditions {
    let mut c = RuleConditions::default();
    let take = |rest: &str| -> Option<String> {
        let end = rest.find(')').unwrap_or(rest.len());
        let v = rest[..end].trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    for (i, _) in condition.match_indices("(SubjectProperty)=") {
        c.subject_contains
            .extend(take(&condition[i + "(SubjectProperty)=".len()..]));
    }
    for (i, _) in condition.match_indices("SenderSearchKey Equal SMTP:") {
        c.from
            .extend(take(&condition[i + "SenderSearchKey Equal SMTP:".len()..]));
    }
    c
}

fn forwarding(rec: &Record<'_>) -> Option<MailboxForwarding> {
    let mut seen = false;
    let mut f = MailboxForwarding::default();
    let mut address = None;
    let mut smtp = None;
    for p in rec.parameters.iter().filter_map(Obj::get) {
        let Some(name) = p.name.get() else { continue };
        let value = p.value.str().map(str::trim).filter(|v| !v.is_empty());
        match name {
            "ForwardingSmtpAddress" => (seen, smtp) = (true, value),
            "ForwardingAddress" => (seen, address) = (true, value),
            "DeliverToMailboxAndForward" => {
                seen = true;
                f.keep_copy = value.and_then(parse_bool);
            }
            "Identity" => f.mailbox = value.map(str::to_owned),
            _ => {}
        }
    }
    if !seen {
        return None;
    }
    // With both set, Exchange forwards to `ForwardingAddress` and ignores
    // `ForwardingSmtpAddress` (Set-Mailbox reference), so the recipient wins.
    let smtp = smtp.map(|s| {
        // Exchange writes the address as `smtp:user@example.com`.
        if s.len() > 5 && s.is_char_boundary(5) && s[..5].eq_ignore_ascii_case("smtp:") {
            &s[5..]
        } else {
            s
        }
    });
    f.forward_to = address
        .filter(|a| !a.trim().is_empty())
        .or(smtp)
        .map(str::to_owned);
    if f.mailbox.is_none() {
        f.mailbox = rec.object_id.non_empty().map(str::to_owned);
    }
    Some(f)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_time_forms() {
        let utc = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").ok();
        assert_eq!(creation_time("2024-05-01T10:00:00").ok(), utc);
        assert_eq!(creation_time(" 2024-05-01T10:00:00Z ").ok(), utc);
        assert_eq!(creation_time("2024-05-01T12:00:00+02:00").ok(), utc);
        assert_eq!(creation_time("2024-05-01 10:00:00").ok(), utc);
        assert_eq!(
            creation_time("2024-05-01T10:00:00.5")
                .ok()
                .map(|t| t.as_millis()),
            utc.map(|t| t.as_millis() + 500)
        );
        assert!(matches!(
            creation_time("2024-13-01T10:00:00"),
            Err(BadRecordReason::BadTime(_))
        ));
    }

    #[test]
    fn condition_parts() {
        let c = rule_condition(
            "{(&(([RssServerLockStartTime=1, =r, =noreply@mail.fr, DisplayType=0], \
             ((SenderSearchKey Equal SMTP:NOREPLY@MAIL.FR)))(SubString IgnoreCase(SubjectProperty)=WHAM)))}",
        );
        assert_eq!(c.subject_contains, vec!["WHAM".to_owned()]);
        assert_eq!(c.from, vec!["NOREPLY@MAIL.FR".to_owned()]);
        assert!(rule_condition("{(Exists(ItemClass))}").is_empty());
    }
}
