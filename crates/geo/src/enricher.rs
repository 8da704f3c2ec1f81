//! [`GeoEnricher`]: the place and network of an address, added to events whose source logged the
//! address bare, before baselines and detectors read them.

use palisade_core::Enricher;
use palisade_schema::{Event, GeoPoint};

use crate::GeoResolver;

/// Adds a database's answer for an event's address to what its source left out: the point and
/// its accuracy, country, region and city when the event has no point; the autonomous system
/// when it has none.
///
/// Without it only the impossible travel detector, which looks addresses up itself, can tell
/// where a Microsoft 365, CloudTrail or Google Workspace sign-in came from; with it the
/// baselines learn those sign-ins' countries and networks and every detector judges them.
///
/// What the source said is kept: when it named a country the database disagrees with, the
/// database's place is not used at all (a point in one country labelled with another would be
/// worse than none), though its network still fills a missing ASN.
///
/// ```
/// use palisade_core::Enricher;
/// use palisade_geo::{GeoEnricher, GeoResolver, Location, LocationSource, Precision};
/// use palisade_schema::*;
/// use std::net::IpAddr;
///
/// /// Stands in for a city database: one address in Sydney, on AS1221.
/// struct OneAddress;
/// impl GeoResolver for OneAddress {
///     fn resolve(&self, ip: IpAddr) -> Option<Location> {
///         (ip.to_string() == "1.129.10.20").then(|| {
///             Location::new(-33.87, 151.21, 20.0, Precision::City, LocationSource::Database)
///                 .unwrap()
///                 .with_place(Some("AU"), None, Some("Sydney"))
///                 .with_network(Some(1221), Some("Telstra"))
///         })
///     }
/// }
///
/// let mut enricher = GeoEnricher::new(OneAddress);
/// let mut e = Event::new(Timestamp::parse_rfc3339("2024-03-04T09:00:00Z").unwrap(), "e1",
///     Source::M365, Activity::SignIn(SignIn::success(SignInStage::Primary)));
/// e.origin.ip = Some("1.129.10.20".parse().unwrap());
/// enricher.enrich(&mut e);
/// assert_eq!(e.origin.country.as_deref(), Some("AU"));
/// assert_eq!(e.origin.city.as_deref(), Some("Sydney"));
/// assert_eq!(e.origin.asn, Some(1221));
/// assert_eq!(e.origin.geo.map(|g| g.accuracy_km), Some(Some(20.0)));
/// ```
#[derive(Clone, Debug, Default)]
pub struct GeoEnricher<R> {
    resolver: R,
}

impl<R: GeoResolver> GeoEnricher<R> {
    /// An enricher answering from `resolver` (an [`MmdbResolver`](crate::MmdbResolver), or an
    /// `Arc` of one shared with a detector).
    pub fn new(resolver: R) -> Self {
        GeoEnricher { resolver }
    }
}

impl<R: GeoResolver> Enricher for GeoEnricher<R> {
    fn enrich(&mut self, event: &mut Event) {
        let origin = &mut event.origin;
        let Some(ip) = origin.ip else { return };
        // A place the resolver knows comes with every network it knows (the trait's contract),
        // so the network is asked for separately only when no place was: one lookup an event.
        let found = match origin.geo {
            None => self.resolver.resolve(ip),
            Some(_) => None,
        };
        if let Some(found) = found {
            let agrees = match (&origin.country, &found.country) {
                (Some(said), Some(known)) => said.eq_ignore_ascii_case(known),
                _ => true,
            };
            if agrees {
                origin.geo = GeoPoint::new(found.lat(), found.lon(), Some(found.accuracy_km()));
                fill(&mut origin.country, found.country);
                fill(&mut origin.region, found.region);
                fill(&mut origin.city, found.city);
            }
            if origin.asn.is_none() && found.asn.is_some() {
                origin.asn = found.asn;
                fill(&mut origin.as_org, found.as_org);
            }
        } else if origin.asn.is_none() {
            if let Some(network) = self.resolver.network(ip) {
                origin.asn = Some(network.asn);
                fill(&mut origin.as_org, network.org);
            }
        }
    }
}

/// Sets `slot` to `value` when it holds nothing.
fn fill(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use palisade_schema::{Activity, Source, Timestamp};

    use super::*;
    use crate::{Location, LocationSource, Network, Precision};

    /// Knows 192.0.2.1 (Frankfurt, AS3320) and the network of 192.0.2.2 only.
    struct Table;
    impl GeoResolver for Table {
        fn resolve(&self, ip: IpAddr) -> Option<Location> {
            (ip.to_string() == "192.0.2.1").then(|| {
                Location::new(50.11, 8.68, 50.0, Precision::City, LocationSource::Database)
                    .unwrap_or_else(|| unreachable!())
                    .with_place(Some("DE"), Some("Hesse"), Some("Frankfurt"))
                    .with_network(Some(3320), Some("Deutsche Telekom"))
            })
        }
        fn network(&self, ip: IpAddr) -> Option<Network> {
            match ip.to_string().as_str() {
                "192.0.2.1" => Some(Network {
                    asn: 3320,
                    org: Some("Deutsche Telekom".into()),
                }),
                "192.0.2.2" => Some(Network {
                    asn: 64500,
                    org: None,
                }),
                _ => None,
            }
        }
    }

    fn event(ip: &str) -> Event {
        let mut e = Event::new(
            Timestamp::from_millis_unchecked(1_709_542_800_000),
            "e",
            Source::CloudTrail,
            Activity::SessionStart,
        );
        e.origin.ip = ip.parse().ok();
        e
    }

    fn enriched(mut e: Event) -> Event {
        GeoEnricher::new(Table).enrich(&mut e);
        e
    }

    #[test]
    fn a_bare_address_gets_its_place_and_network() {
        let o = enriched(event("192.0.2.1")).origin;
        assert_eq!(o.geo.map(|g| (g.lat, g.lon)), Some((50.11, 8.68)));
        assert_eq!(
            (o.country.as_deref(), o.region.as_deref(), o.city.as_deref()),
            (Some("DE"), Some("Hesse"), Some("Frankfurt"))
        );
        assert_eq!(
            (o.asn, o.as_org.as_deref()),
            (Some(3320), Some("Deutsche Telekom"))
        );
    }

    #[test]
    fn what_the_source_said_is_kept() {
        // Its own point: nothing of the place is replaced; a missing network is still filled.
        let mut e = event("192.0.2.1");
        e.origin.geo = GeoPoint::new(-33.87, 151.21, Some(5.0));
        e.origin.city = Some("Sydney".into());
        let o = enriched(e).origin;
        assert_eq!(o.geo.map(|g| g.lat), Some(-33.87));
        assert_eq!((o.city.as_deref(), o.country), (Some("Sydney"), None));
        assert_eq!(o.asn, Some(3320));

        // A country of its own that the database contradicts: no point from the database.
        let mut e = event("192.0.2.1");
        e.origin.country = Some("AU".into());
        e.origin.asn = Some(1221);
        let o = enriched(e).origin;
        assert_eq!(
            (o.geo, o.country.as_deref(), o.city),
            (None, Some("AU"), None)
        );
        assert_eq!(o.asn, Some(1221));

        // The same country, in other letters: the database fills the rest.
        let mut e = event("192.0.2.1");
        e.origin.country = Some("de".into());
        let o = enriched(e).origin;
        assert_eq!(
            (o.country.as_deref(), o.city.as_deref()),
            (Some("de"), Some("Frankfurt"))
        );
    }

    #[test]
    fn unknown_and_missing_addresses_change_nothing_but_a_known_network() {
        let o = enriched(event("192.0.2.2")).origin;
        assert_eq!((o.geo, o.country, o.asn), (None, None, Some(64500)));
        let o = enriched(event("198.51.100.9")).origin;
        assert_eq!((o.geo, o.country, o.asn), (None, None, None));
        let mut e = event("not an address");
        let before = e.clone();
        GeoEnricher::new(Table).enrich(&mut e);
        assert_eq!(e, before);
    }
}
