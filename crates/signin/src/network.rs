//! The network a sign-in came through, from the egress lists (`palisade-geo`), and what it
//! changes: nobody's laptop sits in a data centre, a service acting for the identity does,
//! and an egress (SASE, corporate, private relay, satellite) locates itself, not the person.

use palisade_geo::{EgressKind, EgressRegistry};
use palisade_schema::{Event, SignInKind};

/// What the sign-in's network says about it. `list` is the matching list's position in the
/// registry (named only when a finding is written, so the lookup allocates nothing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Through {
    /// An interactive sign-in from a hosting or cloud provider's network.
    Hosting { list: usize },
    /// A non-interactive sign-in from a hosting or cloud provider's network: a service (a mail
    /// app's cloud, an integration) refreshing a token for the identity.
    Service { list: usize },
    /// An egress whose addresses locate the egress: its place says little about the person's.
    Egress { list: usize, kind: EgressKind },
}

impl Through {
    /// The network `event` came through, when a list names it and it changes the judgement
    /// (commercial VPNs and mobile carriers do not: the first may be the intruder's, the
    /// second is handled by the profile's own networks).
    pub(crate) fn of(registry: &EgressRegistry, event: &Event) -> Option<Through> {
        let m = registry.lookup(event.origin.ip, event.origin.asn)?;
        let list = m.index;
        match m.list.kind {
            EgressKind::Hosting if event.sign_in_kind == Some(SignInKind::NonInteractive) => {
                Some(Through::Service { list })
            }
            EgressKind::Hosting => Some(Through::Hosting { list }),
            kind @ (EgressKind::Sase
            | EgressKind::Corporate
            | EgressKind::PrivateRelay
            | EgressKind::Satellite) => Some(Through::Egress { list, kind }),
            _ => None,
        }
    }

    /// The phrase a summary adds, naming the list as `registry` (the one it came from) does.
    pub(crate) fn describe(&self, registry: &EgressRegistry) -> String {
        let name = |i: usize| registry.lists().get(i).map_or("?", |l| l.name.as_str());
        match *self {
            Through::Hosting { list } => {
                format!("from a hosting network (egress list \"{}\")", name(list))
            }
            Through::Service { list } => format!(
                "a non-interactive sign-in from a hosting network (egress list \"{}\"): a \
                 service acting for the identity, reported low",
                name(list)
            ),
            Through::Egress { list, kind } => format!(
                "through egress list \"{}\" ({}), which locates the egress rather than the \
                 person",
                name(list),
                kind.as_str()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_schema::{Activity, SignIn, SignInStage, Source, Timestamp};

    fn from(ip: &str, kind: Option<SignInKind>) -> Event {
        let mut e = Event::new(
            Timestamp::from_millis_unchecked(0),
            "e1",
            Source::Entra,
            Activity::SignIn(SignIn::success(SignInStage::Primary)),
        );
        e.origin.ip = ip.parse().ok();
        e.sign_in_kind = kind;
        e
    }

    #[test]
    fn hosting_splits_on_who_signs_in_and_egresses_are_named() {
        let mut registry = EgressRegistry::new();
        let problems = registry.add_text(
            "[vps]\nkind = hosting\nsource = test\n203.0.113.0/24\n\
             [zs]\nkind = sase\nsource = test\n198.51.100.0/24\n\
             [nord]\nkind = vpn\nsource = test\n192.0.2.0/24\n",
            "test",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let hosting = Through::of(&registry, &from("203.0.113.9", None)).unwrap();
        assert_eq!(hosting, Through::Hosting { list: 0 });
        assert_eq!(
            hosting.describe(&registry),
            "from a hosting network (egress list \"vps\")"
        );
        let service = Through::of(
            &registry,
            &from("203.0.113.9", Some(SignInKind::NonInteractive)),
        );
        assert_eq!(service, Some(Through::Service { list: 0 }));
        let sase = Through::of(&registry, &from("198.51.100.7", None)).unwrap();
        assert_eq!(
            sase.describe(&registry),
            "through egress list \"zs\" (sase), which locates the egress rather than the person"
        );
        // A commercial VPN may be the intruder's own: no allowance.
        assert_eq!(Through::of(&registry, &from("192.0.2.1", None)), None);
        assert_eq!(Through::of(&registry, &from("8.8.8.8", None)), None);
    }
}
