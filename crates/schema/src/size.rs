//! What holding an event costs: the heap bytes of every string and list it owns, so buffers that
//! hold events (a pipeline's reorder buffer) can keep within a memory budget whatever the input.

use crate::{
    AccountChange, Activity, Event, FailureReason, Identity, MailboxRule, MfaDevice, Origin,
    Outcome, RuleAction, VendorSignals,
};

fn text(s: &str) -> usize {
    s.len()
}

fn opt(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, text)
}

fn list(v: &[String]) -> usize {
    std::mem::size_of_val(v) + v.iter().map(|s| text(s)).sum::<usize>()
}

fn identity(i: &Option<Identity>) -> usize {
    i.as_ref().map_or(0, |i| {
        text(i.key.as_str()) + opt(&i.vendor_id) + opt(&i.display_name)
    })
}

fn origin(o: &Origin) -> usize {
    opt(&o.country)
        + opt(&o.region)
        + opt(&o.city)
        + opt(&o.as_org)
        + opt(&o.user_agent)
        + opt(&o.device_id)
        + opt(&o.session_id)
        + o.client.as_ref().map_or(0, |c| {
            std::mem::size_of_val(&**c) + opt(&c.browser) + opt(&c.os)
        })
}

fn device(d: &Option<MfaDevice>) -> usize {
    d.as_ref()
        .map_or(0, |d| opt(&d.id) + opt(&d.name) + opt(&d.country))
}

fn signals(s: &VendorSignals) -> usize {
    opt(&s.network_zone)
        + opt(&s.risk_state)
        + list(&s.network_locations)
        + list(&s.behaviors)
        + list(&s.risk_event_types)
        + list(&s.reasons)
}

fn rule(r: &MailboxRule) -> usize {
    let c = &r.conditions;
    opt(&r.mailbox)
        + opt(&r.name)
        + list(&c.from)
        + list(&c.subject_contains)
        + list(&c.body_contains)
        + list(&c.sent_to)
        + std::mem::size_of_val(r.actions.as_slice())
        + r.actions.iter().map(action).sum::<usize>()
}

// Every match below names every variant (no `_`), so a variant added with text of its own
// fails to compile here until it is counted.

fn action(a: &RuleAction) -> usize {
    match a {
        RuleAction::MoveToFolder(s)
        | RuleAction::CopyToFolder(s)
        | RuleAction::ForwardTo(s)
        | RuleAction::ForwardAsAttachmentTo(s)
        | RuleAction::RedirectTo(s) => text(s),
        RuleAction::MarkAsRead
        | RuleAction::Delete
        | RuleAction::PermanentDelete
        | RuleAction::StopProcessingRules => 0,
    }
}

fn outcome(o: &Outcome) -> usize {
    match o {
        Outcome::Failure {
            reason: FailureReason::Other(why),
        } => text(why),
        Outcome::Failure {
            reason:
                FailureReason::BadPassword
                | FailureReason::UnknownUser
                | FailureReason::MfaRequired
                | FailureReason::MfaDenied
                | FailureReason::MfaTimeout
                | FailureReason::MfaFraudReported
                | FailureReason::MfaFailed
                | FailureReason::Locked
                | FailureReason::PolicyBlocked,
        }
        | Outcome::Success => 0,
    }
}

fn activity(a: &Activity) -> usize {
    match a {
        Activity::SignIn(s) => opt(&s.app) + outcome(&s.outcome),
        Activity::MailboxRule(r) => rule(r),
        Activity::MailboxForwarding(f) => opt(&f.mailbox) + opt(&f.forward_to),
        Activity::MailItemsAccessed(m) => opt(&m.mailbox) + list(&m.folders),
        Activity::FileAccess(f) => opt(&f.object),
        Activity::AccountChange(change) => match change {
            AccountChange::RoleGranted { role } => opt(role),
            AccountChange::MfaFactorEnrolled { .. }
            | AccountChange::MfaFactorRemoved { .. }
            | AccountChange::MfaFactorsReset
            | AccountChange::PasswordChanged
            | AccountChange::PasswordReset => 0,
        },
        Activity::Other { name } => text(name),
        Activity::MfaPrompt(_) | Activity::SessionStart | Activity::SessionRevoke => 0,
    }
}

impl Event {
    /// Bytes this event holds on the heap: the text of every string it owns and the slots of
    /// its lists (allocator slack aside). Add `size_of::<Event>()` for the whole cost of
    /// holding one.
    ///
    /// ```
    /// use palisade_schema::*;
    /// let t = Timestamp::parse_rfc3339("2024-03-04T09:00:00Z").unwrap();
    /// let mut e = Event::new(t, "e1", Source::Okta, Activity::SessionStart);
    /// let bare = e.heap_bytes();
    /// e.origin.user_agent = Some("x".repeat(1_000_000));
    /// assert!(e.heap_bytes() >= bare + 1_000_000);
    /// // A vendor's own words for a failure (CloudTrail's `errorMessage`) count too.
    /// let why = FailureReason::Other("y".repeat(1_000_000));
    /// let failed = Event::new(t, "e2", Source::CloudTrail,
    ///     Activity::SignIn(SignIn::failure(SignInStage::Primary, why)));
    /// assert!(failed.heap_bytes() >= 1_000_000);
    /// ```
    pub fn heap_bytes(&self) -> usize {
        text(&self.id)
            + opt(&self.tenant)
            + identity(&self.actor)
            + identity(&self.subject)
            + origin(&self.origin)
            + device(&self.mfa_device)
            + opt(&self.correlation_id)
            + signals(&self.vendor_signals)
            + activity(&self.activity)
    }
}
