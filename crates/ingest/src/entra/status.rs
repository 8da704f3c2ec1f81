//! What Entra sign-ins and the Microsoft 365 audit log share: Entra (AADSTS) error codes, MFA
//! method names and MFA result texts, and the IP address forms Microsoft writes.
//!
//! Shared by the Entra and Microsoft 365 adapters (the M365 module compiles its own copy when the
//! `entra` feature is off).

use std::net::IpAddr;

use palisade_schema::{Factor, FailureReason, PromptResult};

/// Entra error code 500121: "Authentication failed during strong authentication request".
pub(crate) const MFA_FAILED: i64 = 500_121;

/// The failure an Entra error code stands for, `None` for 0 (success).
///
/// `mfa_text` is whatever the log says about the MFA step (`status.additionalDetails`,
/// `authenticationStepResultDetail`, `LogonError`), used to tell denied, unanswered and
/// fraud-reported prompts apart for 500121. `vendor_text` is the log's own failure reason, kept
/// for codes without a variant.
///
/// Interrupts are not credential failures, and map to [`FailureReason::MfaRequired`] (the one
/// "interruption, not an attack signal" reason): 50074/50076 (MFA required), 50072/50079 (MFA
/// registration required), 50158 (external security challenge, i.e. a third-party MFA, not yet
/// satisfied) and 50140 (the "Keep me signed in" interrupt, which Entra shows after the
/// credentials were accepted; counting it as a failure would make every KMSI prompt look like a
/// failed attempt).
pub(crate) fn failure_reason(
    code: i64,
    mfa_text: Option<&str>,
    vendor_text: Option<&str>,
) -> Option<FailureReason> {
    Some(match code {
        0 => return None,
        50126 | 50056 => FailureReason::BadPassword,
        50034 => FailureReason::UnknownUser,
        50053 | 50057 => FailureReason::Locked,
        50074 | 50076 | 50072 | 50079 | 50158 | 50140 => FailureReason::MfaRequired,
        MFA_FAILED => match mfa_text.and_then(prompt_result) {
            Some(PromptResult::Denied) => FailureReason::MfaDenied,
            Some(PromptResult::TimedOut) => FailureReason::MfaTimeout,
            Some(PromptResult::FraudReported) => FailureReason::MfaFraudReported,
            _ => FailureReason::MfaFailed,
        },
        53000..=53004 | 530_032 | 530_034 => FailureReason::PolicyBlocked,
        _ => FailureReason::Other(match vendor_text.map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => format!("{code}: {text}"),
            None => code.to_string(),
        }),
    })
}

/// What an MFA result text says became of the prompt, if it says.
///
/// Entra writes e.g. "MFA denied; user declined the authentication", "MFA denied; user did not
/// respond to mobile app notification", "MFA denied; Phone App Reported Fraud", "MFA denied; user
/// did not select the correct number", "MFA successfully completed".
pub(crate) fn prompt_result(text: &str) -> Option<PromptResult> {
    let t = text.to_ascii_lowercase();
    if t.contains("fraud") {
        Some(PromptResult::FraudReported)
    } else if t.contains("did not respond")
        || t.contains("no response")
        || t.contains("timed out")
        || t.contains("timeout")
    {
        Some(PromptResult::TimedOut)
    } else if t.contains("declined") || t.contains("denied") {
        Some(PromptResult::Denied)
    } else if t.contains("successfully completed") || t.contains("mfa completed") {
        Some(PromptResult::Approved)
    } else {
        None
    }
}

/// The MFA factor an Entra authentication method names; `None` for first-factor or carried-over
/// steps (`Password`, `Previously satisfied`, `Claim in access token`).
///
/// Covers both the sign-in log's display names ("Mobile app notification", "Text message",
/// "OATH verification code", "Phone call approval (Authentication phone)", "FIDO2 security key",
/// "Passkey (Microsoft Authenticator)") and the Graph and `mfaDetail.authMethod` forms ("SMS",
/// "Voice", "Authenticator App", "Software OATH token", "PhoneAppNotification", "PhoneAppOTP",
/// "OneWaySMS", "TwoWayVoiceMobile").
pub(crate) fn factor(method: &str) -> Option<Factor> {
    let m = method.to_ascii_lowercase();
    let has = |needle: &str| m.contains(needle);
    if m.trim().is_empty()
        || has("password")
        || has("previously satisfied")
        || has("claim in")
        || has("satisfied by")
        || has("not applicable")
    {
        None
    } else if has("fido") || has("passkey") || has("windows hello") {
        Some(Factor::WebAuthn)
    } else if has("email") {
        Some(Factor::Email)
    } else if has("oath") || has("verification code") || has("otp") {
        Some(Factor::Totp)
    } else if has("notification") || has("authenticator app") || has("push") {
        Some(Factor::Push)
    } else if has("text message") || has("sms") {
        Some(Factor::Sms)
    } else if has("phone call") || has("voice") {
        Some(Factor::Voice)
    } else {
        Some(Factor::Other)
    }
}

/// An IP address as Microsoft writes it: plain, `1.2.3.4:5678`, `[2001:db8::1]:443`, with an
/// IPv6 zone id, or IPv4-mapped IPv6 (unmapped). Blank, `<null>`, `0.0.0.0`, `::` and non-IP text
/// give `None`.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let s = text.trim();
    let core = if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next()?
    } else if s.bytes().filter(|&b| b == b':').count() == 1 {
        // One colon: IPv4 with a port (IPv6 always has at least two).
        s.split(':').next()?
    } else {
        s
    };
    let core = core.split('%').next()?;
    let ip: IpAddr = core.parse().ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    (!ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_forms() {
        let v4: IpAddr = "1.2.3.4".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        assert_eq!(parse_ip("1.2.3.4"), Some(v4));
        assert_eq!(parse_ip("1.2.3.4:63070"), Some(v4));
        assert_eq!(parse_ip("::ffff:1.2.3.4"), Some(v4));
        assert_eq!(parse_ip("[::ffff:1.2.3.4]:443"), Some(v4));
        assert_eq!(
            parse_ip("[2001:db8::1]:443").map(|i| i.to_string()),
            Some("2001:db8::1".into())
        );
        assert_eq!(
            parse_ip("fe80::1%eth0").map(|i| i.to_string()),
            Some("fe80::1".into())
        );
        assert_eq!(parse_ip(""), None);
        assert_eq!(parse_ip("<null>"), None);
        assert_eq!(parse_ip("0.0.0.0"), None);
        assert_eq!(parse_ip("77777777-7777-7777-7777-777777777777"), None);
    }

    #[test]
    fn mfa_texts() {
        assert_eq!(
            prompt_result("MFA denied; user declined the authentication"),
            Some(PromptResult::Denied)
        );
        assert_eq!(
            prompt_result("MFA denied; user did not respond to mobile app notification"),
            Some(PromptResult::TimedOut)
        );
        assert_eq!(
            prompt_result("MFA denied; Phone App Reported Fraud"),
            Some(PromptResult::FraudReported)
        );
        assert_eq!(
            prompt_result("MFA successfully completed"),
            Some(PromptResult::Approved)
        );
        assert_eq!(prompt_result("methodSucceeded"), None);
    }

    #[test]
    fn factors() {
        assert_eq!(factor("Mobile app notification"), Some(Factor::Push));
        assert_eq!(factor("PhoneAppNotification"), Some(Factor::Push));
        assert_eq!(factor("Text message"), Some(Factor::Sms));
        assert_eq!(factor("OATH verification code"), Some(Factor::Totp));
        assert_eq!(factor("PhoneAppOTP"), Some(Factor::Totp));
        assert_eq!(
            factor("Phone call approval (Authentication phone)"),
            Some(Factor::Voice)
        );
        assert_eq!(factor("FIDO2 security key"), Some(Factor::WebAuthn));
        assert_eq!(
            factor("Passkey (Microsoft Authenticator)"),
            Some(Factor::WebAuthn)
        );
        assert_eq!(factor("Password"), None);
        assert_eq!(factor("Previously satisfied"), None);
        assert_eq!(factor("Claim in access token"), None);
    }

    #[test]
    fn codes() {
        assert_eq!(failure_reason(0, None, None), None);
        assert_eq!(
            failure_reason(50126, None, None),
            Some(FailureReason::BadPassword)
        );
        assert_eq!(
            failure_reason(50140, None, None),
            Some(FailureReason::MfaRequired)
        );
        assert_eq!(
            failure_reason(
                500121,
                Some("MFA denied; user declined the authentication"),
                None
            ),
            Some(FailureReason::MfaDenied)
        );
        assert_eq!(
            failure_reason(500121, None, None),
            Some(FailureReason::MfaFailed)
        );
        assert_eq!(
            failure_reason(53003, None, None),
            Some(FailureReason::PolicyBlocked)
        );
        assert_eq!(
            failure_reason(7000215, Some("x"), Some("Invalid client secret")),
            Some(FailureReason::Other(
                "7000215: Invalid client secret".into()
            ))
        );
    }
}
