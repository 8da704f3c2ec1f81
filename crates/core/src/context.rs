//! What a detector may read besides the event itself.

use palisade_schema::Timestamp;

use crate::{FindingRef, ProfileView};

/// Read access to context for one event. Names no other crate's types.
///
/// ```
/// use palisade_core::Context;
/// let ctx = Context::empty();
/// assert!(ctx.profile.is_none() && ctx.recent.is_empty() && !ctx.late);
/// ```
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The identity's baseline as it was before this event; `None` for unknown identities.
    pub profile: Option<&'a dyn ProfileView>,
    /// This identity's recent findings from all detectors, oldest first.
    pub recent: &'a [FindingRef],
    /// Whether the event arrived after the watermark had passed its time.
    pub late: bool,
    /// The pipeline's watermark when the event was processed.
    pub watermark: Option<Timestamp>,
}

impl<'a> Context<'a> {
    /// No profile, no recent findings, on time.
    pub fn empty() -> Context<'static> {
        Context {
            profile: None,
            recent: &[],
            late: false,
            watermark: None,
        }
    }
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("profile", &self.profile.map(|p| p.maturity()))
            .field("recent", &self.recent)
            .field("late", &self.late)
            .field("watermark", &self.watermark)
            .finish()
    }
}
