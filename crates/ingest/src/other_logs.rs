//! Logs Palisade knows but reads nothing from: recognized only so that a file of them (or a
//! mixed JSON Lines stream carrying them) is counted in `skipped_unsupported` rather than reported
//! as records of an unknown format.
//!
//! Only shapes whose vendor documents them are listed, each recognized by the keys it always
//! has, so an unrecognizable record still gets the plain "unknown format" error.

use serde::de::IgnoredAny;
use serde::Deserialize;

/// The keys a GitHub organisation or enterprise audit-log entry always carries: `action`
/// (`org.block_user`, `business.sso_response`), `actor`, and `@timestamp` or `created_at`
/// (milliseconds since the epoch).
#[derive(Deserialize)]
struct GitHubAudit {
    action: Option<String>,
    actor: Option<IgnoredAny>,
    #[serde(rename = "@timestamp")]
    timestamp: Option<IgnoredAny>,
    created_at: Option<IgnoredAny>,
}

/// The `skipped_unsupported` kind of a record no adapter reads, when it is a known log shape.
///
/// ```
/// use palisade_ingest::recognize_other_log;
/// let github = br#"{"@timestamp":1685465626150,"action":"org.block_user","actor":"Admin","org":"Test-org"}"#;
/// assert_eq!(recognize_other_log(github).as_deref(), Some("github_audit org.block_user"));
/// assert_eq!(recognize_other_log(br#"{"hello":"world"}"#), None);
/// ```
pub fn recognize_other_log(record: &[u8]) -> Option<String> {
    let entry: GitHubAudit = serde_json::from_slice(record).ok()?;
    let action = entry.action?;
    let has_time = entry.timestamp.is_some() || entry.created_at.is_some();
    let is_action = !action.is_empty()
        && action.contains('.')
        && action
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    (entry.actor.is_some() && has_time && is_action).then(|| format!("github_audit {action}"))
}

#[cfg(test)]
mod tests {
    use super::recognize_other_log;

    #[test]
    fn github_audit_entries_are_recognized_by_their_documented_keys() {
        let sso = br#"{"action": "business.sso_response", "actor": "test_user", "@timestamp": 1729176166108, "business": "acme-inc", "operation_type": "authentication"}"#;
        assert_eq!(
            recognize_other_log(sso).as_deref(),
            Some("github_audit business.sso_response")
        );
        let created =
            br#"{"action": "repo.create", "actor": "octocat", "created_at": 1729176166108}"#;
        assert!(recognize_other_log(created).is_some());
    }

    #[test]
    fn records_missing_a_key_or_with_odd_actions_are_not() {
        for odd in [
            &br#"{"action": "org.block_user", "actor": "a"}"#[..],
            br#"{"action": "org.block_user", "@timestamp": 1}"#,
            br#"{"action": 3, "actor": "a", "@timestamp": 1}"#,
            br#"{"action": "no dots here", "actor": "a", "@timestamp": 1}"#,
            br#"{"action": "", "actor": "a", "@timestamp": 1}"#,
            br#"[1, 2]"#,
            b"not json",
        ] {
            assert_eq!(
                recognize_other_log(odd),
                None,
                "{}",
                String::from_utf8_lossy(odd)
            );
        }
    }
}
