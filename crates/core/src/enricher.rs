//! The [`Enricher`] trait: what the pipeline adds to an event before anything reads it, such as
//! the place and network of an address that its source logged bare.

use palisade_schema::Event;

/// Fills in what an event's source left out, before baselines and detectors see it.
///
/// Some sources log only an address (the Microsoft 365 audit log's `ClientIP`, AWS CloudTrail's
/// `sourceIPAddress`, Google Workspace logins): an enricher that knows where addresses are lets
/// every stage judge those events by country and network too, not only the detectors that look
/// addresses up themselves. The pipeline runs enrichers on each event as it arrives, in the
/// order added.
///
/// Rules every implementation follows:
/// - it only adds: what the source said is never overwritten;
/// - what it adds depends only on the event (and fixed data such as a database file), never on
///   the wall clock or on earlier events, so a snapshot needs nothing from it. (`enrich` takes
///   `&mut self` for caches of such answers, not for state.)
///
/// `Option<E>`, `Vec<E>` and `Box<dyn Enricher>` are enrichers too.
///
/// ```
/// use palisade_core::Enricher;
/// use palisade_schema::*;
///
/// /// Our own office network, which no public database names.
/// struct OfficeNetwork;
/// impl Enricher for OfficeNetwork {
///     fn enrich(&mut self, event: &mut Event) {
///         let ours = matches!(event.origin.ip, Some(std::net::IpAddr::V4(a)) if a.octets()[..3] == [10, 1, 2]);
///         if ours && event.origin.country.is_none() {
///             event.origin.country = Some("AU".into());
///         }
///     }
/// }
///
/// let mut e = Event::new(Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap(), "e1",
///     Source::M365, Activity::SessionStart);
/// e.origin.ip = Some("10.1.2.3".parse().unwrap());
/// OfficeNetwork.enrich(&mut e);
/// assert_eq!(e.origin.country.as_deref(), Some("AU"));
/// ```
pub trait Enricher: Send {
    /// Adds what this enricher knows to `event`, leaving what is already there.
    fn enrich(&mut self, event: &mut Event);
}

impl<E: Enricher + ?Sized> Enricher for Box<E> {
    fn enrich(&mut self, event: &mut Event) {
        (**self).enrich(event);
    }
}

impl<E: Enricher> Enricher for Option<E> {
    fn enrich(&mut self, event: &mut Event) {
        if let Some(e) = self {
            e.enrich(event);
        }
    }
}

impl<E: Enricher> Enricher for Vec<E> {
    fn enrich(&mut self, event: &mut Event) {
        for e in self {
            e.enrich(event);
        }
    }
}
