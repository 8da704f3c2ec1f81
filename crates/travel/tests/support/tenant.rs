//! The one configuration the travel tests run generated tenants with, as an administrator
//! would write it.

use std::sync::Arc;

use palisade_geo::{EgressKind, EgressList, EgressRegistry};
use palisade_testkit::population::places::{city, CITIES, HOMES};
use palisade_testkit::Scenario;

/// The one configuration: defaults, the built-in egress lists, plus what an administrator
/// would list: the tenant's corporate egress (their VPN), and the mobile carriers of the
/// countries its people live in, by the carriers' address blocks.
pub(crate) fn registry(s: &Scenario) -> Arc<EgressRegistry> {
    let mut reg = EgressRegistry::builtin();
    let mut carriers = EgressList::new(
        "tenant-carriers",
        EgressKind::Mobile,
        "tenant configuration",
    );
    for (home, _) in HOMES {
        let isp = CITIES[city(home)].carrier;
        carriers = carriers.with_cidr(format!("{}.{}.0.0/16", isp.v4.0, isp.v4.1).parse().unwrap());
        if let Some((a, b)) = isp.v6 {
            carriers = carriers.with_cidr(format!("{a:x}:{b:x}::/32").parse().unwrap());
        }
    }
    reg.add(carriers).unwrap();
    for e in &s.egress {
        let list = EgressList::new(
            e.name.clone(),
            EgressKind::Corporate,
            "tenant configuration",
        )
        .with_cidr(e.cidr.parse().unwrap());
        reg.add(list).unwrap();
    }
    Arc::new(reg)
}
