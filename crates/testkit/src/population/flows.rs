//! One sign-in "flow" at a time: the event sequence a vendor logs for a person signing in,
//! answering (or not) a push, starting a session and touching mail and files.

use palisade_schema::{
    Activity, Duration, Event, Factor, FailureReason, FileAccess, FileAccessKind, Identity,
    MailboxForwarding, MailboxRule, MfaDevice, MfaPrompt, Origin, PromptResult, SignIn, SignInKind,
    SignInStage, Timestamp,
};

use super::Gen;
use crate::rng::Rng;

/// Writes the events of one flow, advancing its own clock, and remembers their ids.
pub(crate) struct Flow<'g, 'a> {
    gen: &'g mut Gen<'a>,
    who: Identity,
    pub(crate) origin: Origin,
    pub(crate) t: Timestamp,
    pub(crate) ids: Vec<String>,
    app: Option<String>,
}

impl<'g, 'a> Flow<'g, 'a> {
    pub(crate) fn new(gen: &'g mut Gen<'a>, who: &Identity, origin: Origin, at: Timestamp) -> Self {
        Flow {
            gen,
            who: who.clone(),
            origin,
            t: at,
            ids: Vec::new(),
            app: None,
        }
    }

    /// The application signed into.
    pub(crate) fn app(mut self, app: &str) -> Self {
        self.app = Some(app.to_owned());
        self
    }

    /// Moves the flow's clock on (at least one millisecond, so order inside a flow is strict).
    pub(crate) fn wait_ms(&mut self, ms: i64) -> &mut Self {
        self.t = self.t + Duration::from_millis(ms.max(1));
        self
    }

    /// Moves the flow's clock on by whole seconds.
    pub(crate) fn wait(&mut self, secs: i64) -> &mut Self {
        self.wait_ms(secs * 1000)
    }

    fn emit(
        &mut self,
        source: palisade_schema::Source,
        activity: Activity,
        correlation: Option<String>,
        mfa_device: Option<MfaDevice>,
    ) -> String {
        let id = self.gen.id();
        let mut e = Event::new(self.t, id.clone(), source, activity)
            .with_actor(self.who.clone())
            .with_origin(self.origin.clone());
        e.tenant = Some(self.gen.cfg.domain.clone());
        e.correlation_id = correlation;
        e.mfa_device = mfa_device;
        if matches!(
            e.activity,
            Activity::SignIn(_) | Activity::MfaPrompt(_) | Activity::SessionStart
        ) {
            e.sign_in_kind = Some(SignInKind::Interactive);
        }
        self.gen.events.push(e);
        self.ids.push(id.clone());
        id
    }

    /// A first-factor sign-in; `None` for success.
    pub(crate) fn primary(&mut self, failure: Option<FailureReason>) -> String {
        let mut s = match failure {
            None => SignIn::success(SignInStage::Primary),
            Some(r) => SignIn::failure(SignInStage::Primary, r),
        };
        s.app = self.app.clone();
        let corr = Some(self.gen.txn());
        let source = self.gen.cfg.idp;
        self.emit(source, Activity::SignIn(s), corr, None)
    }

    /// A push prompt: `Sent`, then (unless `result` is `Sent`, an ignored prompt) the answer
    /// `answer_after_s` seconds later on `device`, then the MFA sign-in step's outcome.
    pub(crate) fn push(
        &mut self,
        result: PromptResult,
        answer_after_s: i64,
        device: &MfaDevice,
    ) -> &mut Self {
        let corr = self.gen.txn();
        let source = self.gen.cfg.idp;
        let sent = MfaPrompt {
            factor: Factor::Push,
            result: PromptResult::Sent,
        };
        self.emit(source, Activity::MfaPrompt(sent), Some(corr.clone()), None);
        if result == PromptResult::Sent {
            return self;
        }
        self.wait(answer_after_s);
        let answered = !matches!(result, PromptResult::TimedOut);
        let answer = MfaPrompt {
            factor: Factor::Push,
            result,
        };
        let dev = answered.then(|| device.clone());
        self.emit(source, Activity::MfaPrompt(answer), Some(corr.clone()), dev);
        self.wait(1);
        let mut step = match result {
            PromptResult::Approved => SignIn::success(SignInStage::Mfa),
            PromptResult::Denied => SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied),
            PromptResult::TimedOut => SignIn::failure(SignInStage::Mfa, FailureReason::MfaTimeout),
            PromptResult::FraudReported => {
                SignIn::failure(SignInStage::Mfa, FailureReason::MfaFraudReported)
            }
            _ => SignIn::failure(SignInStage::Mfa, FailureReason::MfaFailed),
        };
        step.factor = Some(Factor::Push);
        step.app = self.app.clone();
        self.emit(source, Activity::SignIn(step), Some(corr), None);
        self
    }

    /// A one-time-code MFA step that succeeds.
    pub(crate) fn totp(&mut self) -> &mut Self {
        let mut step = SignIn::success(SignInStage::Mfa);
        step.factor = Some(Factor::Totp);
        step.app = self.app.clone();
        let corr = Some(self.gen.txn());
        let source = self.gen.cfg.idp;
        self.emit(source, Activity::SignIn(step), corr, None);
        self
    }

    /// The session the sign-in opened.
    pub(crate) fn session_start(&mut self) -> &mut Self {
        let source = self.gen.cfg.idp;
        self.emit(source, Activity::SessionStart, None, None);
        self
    }

    /// A single sign-on into another application from the session just started: the same
    /// place, session and device (Okta logs `user.authentication.sso`, Entra another sign-in
    /// of the session).
    pub(crate) fn sso(&mut self, app: &str) -> &mut Self {
        let mut s = SignIn::success(SignInStage::Sso);
        s.app = Some(app.to_owned());
        let source = self.gen.cfg.idp;
        self.emit(source, Activity::SignIn(s), None, None);
        self
    }

    /// Single sign-ons into one to three other applications over the next minutes, none past
    /// the end of the generated span.
    pub(crate) fn open_apps(&mut self, rng: &mut Rng) -> &mut Self {
        let end = self.gen.end();
        let first = rng.below(APPS.len());
        for k in 1..=1 + rng.below(3) {
            self.wait(20 + rng.range_i64(0, 400));
            if self.t >= end {
                break;
            }
            self.sso(APPS[(first + k) % APPS.len()]);
        }
        self
    }

    /// A file touched in the mail/file service.
    pub(crate) fn file(&mut self, how: FileAccessKind, object: &str) -> &mut Self {
        let source = self.gen.cfg.mail;
        let a = Activity::FileAccess(FileAccess {
            how,
            object: Some(object.to_owned()),
        });
        self.emit(source, a, None, None);
        self
    }

    /// An inbox rule change.
    pub(crate) fn rule(&mut self, rule: MailboxRule) -> &mut Self {
        let source = self.gen.cfg.mail;
        self.emit(source, Activity::MailboxRule(rule), None, None);
        self
    }

    /// A mailbox forwarding change.
    pub(crate) fn forwarding(&mut self, f: MailboxForwarding) -> &mut Self {
        let source = self.gen.cfg.mail;
        self.emit(source, Activity::MailboxForwarding(f), None, None);
        self
    }
}

/// Files people open and attackers preview.
pub(crate) const FILES: &[&str] = &[
    "/sites/finance/Shared Documents/Q1 forecast.xlsx",
    "/sites/finance/Shared Documents/Supplier bank details.xlsx",
    "/personal/Documents/Board pack March.pdf",
    "/sites/hr/Shared Documents/Payroll calendar.docx",
    "/sites/sales/Shared Documents/Pipeline review.pptx",
    "/sites/projects/Shared Documents/Project plan.docx",
    "/personal/Documents/Expenses.xlsx",
];

/// Applications people sign into.
pub(crate) const APPS: &[&str] = &[
    "Microsoft Office 365",
    "Okta Dashboard",
    "Salesforce",
    "Slack",
    "Atlassian Cloud",
];
