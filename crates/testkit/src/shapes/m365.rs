//! Microsoft 365 unified audit log writer (Office 365 Management Activity API records).
//!
//! | Palisade event                 | `Operation` (`RecordType`, `Workload`)                                  |
//! |--------------------------------|-------------------------------------------------------------------------|
//! | `SignIn` success               | `UserLoggedIn` (15, AzureActiveDirectory)                               |
//! | `SignIn` failure               | `UserLoginFailed` with `ErrorNumber` / `LogonError` (50126 `InvalidUserNameOrPassword`, 50034 `UserAccountNotFound`, 50053 `IdsLocked`, 53003 `BlockedByConditionalAccess`, 50074 `UserStrongAuthClientAuthNRequiredInterrupt`, 500121 `AuthenticationFailedSasError`) |
//! | `MailboxRule`                  | `New-InboxRule` / `Set-InboxRule` / `Remove-InboxRule` (1, Exchange) with `Parameters` |
//! | `MailboxForwarding`            | `Set-Mailbox` with `ForwardingSmtpAddress` and `DeliverToMailboxAndForward` |
//! | `MailItemsAccessed`            | `MailItemsAccessed` (50, Exchange) with `OperationCount` and `Folders`  |
//! | `FileAccess`                   | `FileAccessed` / `FilePreviewed` / `FileDownloaded` (6, SharePoint or OneDrive), `ObjectId` the file's URL |
//! | `MfaPrompt`, sessions, account changes | not expressible                                                 |
//!
//! `CreationTime` has whole seconds and no offset (UTC), as Microsoft writes it. A 500121
//! `UserLoginFailed` names neither the factor nor what the user did, so the adapter reads it as a
//! failed MFA step plus a `Failed` prompt; prompts themselves are never written. Rules moving (or
//! copying) to two folders, or a permanent delete (no `New-InboxRule` parameter), are not
//! expressible.

use palisade_schema::{
    Activity, Event, FailureReason, FileAccessKind, MailboxRule, Outcome, RuleAction, RuleChange,
};
use serde_json::{json, Map, Value};

use super::{guid, login, org_name, push_line, seconds_utc, Shape};

/// Writes Microsoft 365 unified audit log records.
///
/// ```
/// use palisade_schema::*;
/// use palisade_testkit::shapes::{M365, Shape};
/// let rule = MailboxRule {
///     name: Some(".".into()),
///     actions: vec![RuleAction::MarkAsRead, RuleAction::MoveToFolder("RSS Feeds".into())],
///     ..MailboxRule::default()
/// };
/// let e = Event::new(
///     Timestamp::parse_rfc3339("2024-03-20T11:02:03.456Z").unwrap(),
///     "3f0e9a52-0000-4000-8000-000000000001",
///     Source::M365,
///     Activity::MailboxRule(rule),
/// )
/// .with_actor(Identity::new("alice@contoso.com.au"));
/// let mut out = String::new();
/// assert!(M365.write(&e, &mut out));
/// let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
/// assert_eq!(v["Operation"], "New-InboxRule");
/// assert_eq!(v["CreationTime"], "2024-03-20T11:02:03");
/// assert!(v["Parameters"].as_array().unwrap().iter().any(|p| p["Name"] == "MarkAsRead"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct M365;

impl Shape for M365 {
    fn name(&self) -> &'static str {
        "m365"
    }

    fn write(&self, event: &Event, out: &mut String) -> bool {
        match record(event) {
            Some(v) => push_line(out, &v),
            None => false,
        }
    }
}

fn nv(name: &str, value: impl Into<Value>) -> Value {
    json!({ "Name": name, "Value": value.into() })
}

/// `ClientIP` as Exchange writes it: with the client's port.
fn ip_with_port(e: &Event) -> Option<String> {
    let ip = e.origin.ip?;
    let port = 49152 + (palisade_core::stable_hash(&[e.id.as_str()]) % 16000);
    Some(if ip.is_ipv6() {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    })
}

fn common(
    e: &Event,
    operation: &str,
    record_type: u32,
    workload: &str,
) -> Option<Map<String, Value>> {
    let user = login(e)?;
    let org = org_name(e);
    let mut r = Map::new();
    r.insert("CreationTime".into(), json!(seconds_utc(e.time)));
    r.insert("Id".into(), json!(e.id));
    r.insert("Operation".into(), json!(operation));
    r.insert("OrganizationId".into(), json!(guid(&["m365-tenant", &org])));
    r.insert("RecordType".into(), json!(record_type));
    r.insert("UserKey".into(), json!(user_key(e, user)));
    r.insert("UserType".into(), json!(0));
    r.insert("Version".into(), json!(1));
    r.insert("Workload".into(), json!(workload));
    r.insert("UserId".into(), json!(user));
    Some(r)
}

fn user_key(e: &Event, user: &str) -> String {
    e.actor
        .as_ref()
        .and_then(|a| a.vendor_id.clone())
        .unwrap_or_else(|| {
            format!(
                "1003{:012X}",
                palisade_core::stable_hash(&["m365-user", user]) & 0xffff_ffff_ffff
            )
        })
}

fn record(e: &Event) -> Option<Value> {
    match &e.activity {
        Activity::SignIn(s) => sign_in(e, &s.outcome, s.app.as_deref()),
        Activity::MailboxRule(rule) => inbox_rule(e, rule),
        Activity::MailboxForwarding(f) => {
            let user = login(e)?;
            let mut r = exchange_admin(e, "Set-Mailbox")?;
            let mailbox = f.mailbox.as_deref().unwrap_or(user);
            r.insert("ObjectId".into(), json!(mailbox));
            let mut params = vec![nv("Identity", mailbox)];
            params.push(nv(
                "ForwardingSmtpAddress",
                f.forward_to
                    .as_deref()
                    .map(|a| format!("smtp:{a}"))
                    .unwrap_or_default(),
            ));
            if let Some(keep) = f.keep_copy {
                params.push(nv(
                    "DeliverToMailboxAndForward",
                    if keep { "True" } else { "False" },
                ));
            }
            r.insert("Parameters".into(), Value::Array(params));
            Some(Value::Object(r))
        }
        Activity::MailItemsAccessed(m) => {
            let user = login(e)?;
            let mut r = common(e, "MailItemsAccessed", 50, "Exchange")?;
            r.insert("ResultStatus".into(), json!("Succeeded"));
            if let Some(ip) = e.origin.ip {
                r.insert("ClientIPAddress".into(), json!(ip.to_string()));
            }
            r.insert(
                "ClientInfoString".into(),
                json!("Client=OWA;Action=ViaProxy"),
            );
            r.insert("ExternalAccess".into(), json!(false));
            r.insert("InternalLogonType".into(), json!(0));
            r.insert("LogonType".into(), json!(0));
            let owner = m.mailbox.as_deref().unwrap_or(user);
            r.insert("MailboxGuid".into(), json!(guid(&["m365-mailbox", owner])));
            r.insert("MailboxOwnerUPN".into(), json!(owner));
            r.insert(
                "OperationProperties".into(),
                json!([nv("MailAccessType", "Bind"), nv("IsThrottled", "False")]),
            );
            if let Some(n) = m.count {
                r.insert("OperationCount".into(), json!(n));
            }
            let folders: Vec<Value> = m
                .folders
                .iter()
                .map(|p| {
                    json!({
                        "Id": guid(&["m365-folder", owner, p]).replace('-', "").to_uppercase(),
                        "Path": p
                    })
                })
                .collect();
            r.insert("Folders".into(), Value::Array(folders));
            if let Some(s) = &e.origin.session_id {
                r.insert("SessionId".into(), json!(s));
            }
            Some(Value::Object(r))
        }
        Activity::FileAccess(f) => {
            let operation = match f.how {
                FileAccessKind::Accessed => "FileAccessed",
                FileAccessKind::Previewed => "FilePreviewed",
                FileAccessKind::Downloaded => "FileDownloaded",
                _ => return None,
            };
            let path = f.object.as_deref()?;
            let org = org_name(e);
            let personal = path.starts_with("/personal/");
            let host = if personal {
                format!("https://{org}-my.sharepoint.com")
            } else {
                format!("https://{org}.sharepoint.com")
            };
            let url = if path.starts_with("https://") {
                path.to_owned()
            } else {
                format!("{host}{path}")
            };
            let (dir, file) = url.rsplit_once('/').unwrap_or(("", url.as_str()));
            let site_path: String = dir
                .trim_start_matches(&host)
                .split('/')
                .filter(|s| !s.is_empty())
                .take(2)
                .collect::<Vec<_>>()
                .join("/");
            let workload = if personal { "OneDrive" } else { "SharePoint" };
            let mut r = common(e, operation, 6, workload)?;
            if let Some(ip) = e.origin.ip {
                r.insert("ClientIP".into(), json!(ip.to_string()));
            }
            r.insert("ObjectId".into(), json!(url));
            r.insert("ItemType".into(), json!("File"));
            r.insert("EventSource".into(), json!("SharePoint"));
            r.insert("SiteUrl".into(), json!(format!("{host}/{site_path}/")));
            r.insert(
                "SourceRelativeUrl".into(),
                json!(dir.trim_start_matches(&host).trim_start_matches('/')),
            );
            r.insert("SourceFileName".into(), json!(file));
            if let Some((_, ext)) = file.rsplit_once('.') {
                r.insert("SourceFileExtension".into(), json!(ext));
            }
            if let Some(ua) = &e.origin.user_agent {
                r.insert("UserAgent".into(), json!(ua));
            }
            Some(Value::Object(r))
        }
        _ => None,
    }
}

fn sign_in(e: &Event, outcome: &Outcome, app: Option<&str>) -> Option<Value> {
    let (operation, code, logon_error): (&str, u32, Option<&str>) = match outcome {
        Outcome::Success => ("UserLoggedIn", 0, None),
        Outcome::Failure { reason } => {
            let (code, name) = match reason {
                FailureReason::BadPassword => (50126, "InvalidUserNameOrPassword"),
                FailureReason::UnknownUser => (50034, "UserAccountNotFound"),
                FailureReason::Locked => (50053, "IdsLocked"),
                FailureReason::PolicyBlocked => (53003, "BlockedByConditionalAccess"),
                FailureReason::MfaRequired => (50074, "UserStrongAuthClientAuthNRequiredInterrupt"),
                FailureReason::MfaDenied
                | FailureReason::MfaTimeout
                | FailureReason::MfaFraudReported
                | FailureReason::MfaFailed => (500_121, "AuthenticationFailedSasError"),
                _ => return None,
            };
            ("UserLoginFailed", code, Some(name))
        }
    };
    let user = login(e)?;
    let org = org_name(e);
    let tenant = guid(&["m365-tenant", &org]);
    let app_id = guid(&["entra-app", app.unwrap_or("Office 365 Exchange Online")]);
    let mut r = common(e, operation, 15, "AzureActiveDirectory")?;
    r.insert("ResultStatus".into(), json!("Success"));
    if let Some(ip) = e.origin.ip {
        r.insert("ClientIP".into(), json!(ip.to_string()));
        r.insert("ActorIpAddress".into(), json!(ip.to_string()));
    }
    r.insert("ObjectId".into(), json!(app_id));
    r.insert("AzureActiveDirectoryEventType".into(), json!(1));
    let mut ext = vec![nv(
        "ResultStatusDetail",
        if code == 0 { "Success" } else { "Redirect" },
    )];
    if let Some(ua) = &e.origin.user_agent {
        ext.push(nv("UserAgent", ua.as_str()));
    }
    ext.push(nv("RequestType", "Login:login"));
    r.insert("ExtendedProperties".into(), Value::Array(ext));
    r.insert("ModifiedProperties".into(), json!([]));
    let key = user_key(e, user);
    r.insert(
        "Actor".into(),
        json!([{"ID": key, "Type": 0}, {"ID": user, "Type": 5}]),
    );
    r.insert("ActorContextId".into(), json!(tenant));
    r.insert(
        "InterSystemsId".into(),
        json!(guid(&[
            "entra-correlation",
            e.correlation_id.as_deref().unwrap_or(e.id.as_str())
        ])),
    );
    r.insert("IntraSystemId".into(), json!(guid(&["m365-intra", &e.id])));
    r.insert("SupportTicketId".into(), json!(""));
    r.insert("Target".into(), json!([{"ID": app_id, "Type": 0}]));
    r.insert("TargetContextId".into(), json!(tenant));
    r.insert("ApplicationId".into(), json!(app_id));
    let mut dev = Vec::new();
    if let Some(d) = &e.origin.device_id {
        dev.push(nv("Id", d.as_str()));
    }
    dev.push(nv("IsCompliantAndManaged", "False"));
    if let Some(s) = &e.origin.session_id {
        dev.push(nv("SessionId", s.as_str()));
    }
    r.insert("DeviceProperties".into(), Value::Array(dev));
    r.insert("ErrorNumber".into(), json!(code.to_string()));
    if let Some(l) = logon_error {
        r.insert("LogonError".into(), json!(l));
    }
    Some(Value::Object(r))
}

/// The envelope of an Exchange admin cmdlet record.
fn exchange_admin(e: &Event, operation: &str) -> Option<Map<String, Value>> {
    let org = org_name(e);
    let mut r = common(e, operation, 1, "Exchange")?;
    r.insert("UserType".into(), json!(2));
    r.insert("ResultStatus".into(), json!("True"));
    if let Some(ip) = ip_with_port(e) {
        r.insert("ClientIP".into(), json!(ip));
    }
    r.insert("ExternalAccess".into(), json!(false));
    r.insert(
        "OrganizationName".into(),
        json!(format!("{org}.onmicrosoft.com")),
    );
    r.insert(
        "OriginatingServer".into(),
        json!("SY4PR01MB6123 (15.20.7409.031)"),
    );
    r.insert("AppId".into(), json!(""));
    r.insert("ClientAppId".into(), json!(""));
    if let Some(s) = &e.origin.session_id {
        r.insert("SessionId".into(), json!(s));
    }
    Some(r)
}

fn inbox_rule(e: &Event, rule: &MailboxRule) -> Option<Value> {
    let user = login(e)?;
    let operation = match rule.change {
        RuleChange::Create => "New-InboxRule",
        RuleChange::Modify => "Set-InboxRule",
        RuleChange::Delete => "Remove-InboxRule",
        _ => return None,
    };
    let mut r = exchange_admin(e, operation)?;
    let mailbox = rule.mailbox.as_deref().unwrap_or(user);
    let name = rule.name.as_deref();
    r.insert(
        "ObjectId".into(),
        json!(format!("{mailbox}\\{}", name.unwrap_or(""))),
    );
    let mut params = Vec::new();
    match rule.change {
        RuleChange::Create => {
            params.push(nv("AlwaysDeleteOutlookRulesBlob", "False"));
            params.push(nv("Force", "False"));
            if rule.mailbox.is_some() {
                params.push(nv("Mailbox", mailbox));
            }
            if let Some(n) = name {
                params.push(nv("Name", n));
            }
        }
        _ => {
            params.push(nv("Identity", format!("{mailbox}\\{}", name?)));
        }
    }
    let c = &rule.conditions;
    for (param, values) in [
        ("From", &c.from),
        ("SubjectContainsWords", &c.subject_contains),
        ("SubjectOrBodyContainsWords", &c.body_contains),
        ("SentTo", &c.sent_to),
    ] {
        if !values.is_empty() {
            params.push(nv(param, values.join(";")));
        }
    }
    let (mut moves, mut copies) = (0, 0);
    let mut forward = Vec::new();
    let mut attach = Vec::new();
    let mut redirect = Vec::new();
    for a in &rule.actions {
        match a {
            RuleAction::MoveToFolder(f) | RuleAction::CopyToFolder(f) => {
                let p = if matches!(a, RuleAction::MoveToFolder(_)) {
                    moves += 1;
                    "MoveToFolder"
                } else {
                    copies += 1;
                    "CopyToFolder"
                };
                params.push(nv(p, f.as_str()));
            }
            RuleAction::MarkAsRead => params.push(nv("MarkAsRead", "True")),
            RuleAction::Delete => params.push(nv("DeleteMessage", "True")),
            RuleAction::StopProcessingRules => params.push(nv("StopProcessingRules", "True")),
            RuleAction::ForwardTo(t) => forward.push(t.as_str()),
            RuleAction::ForwardAsAttachmentTo(t) => attach.push(t.as_str()),
            RuleAction::RedirectTo(t) => redirect.push(t.as_str()),
            _ => return None,
        }
    }
    if moves > 1 || copies > 1 {
        return None;
    }
    for (param, to) in [
        ("ForwardTo", forward),
        ("ForwardAsAttachmentTo", attach),
        ("RedirectTo", redirect),
    ] {
        if !to.is_empty() {
            params.push(nv(param, to.join(";")));
        }
    }
    r.insert("Parameters".into(), Value::Array(params));
    Some(Value::Object(r))
}
