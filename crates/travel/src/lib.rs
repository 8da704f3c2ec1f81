//! Palisade's impossible travel detector (MITRE ATT&CK T1078.004, valid cloud accounts).
//!
//! "Signed in from Sydney, then two hours later from Frankfurt" is the classic sign of stolen
//! credentials. [`ImpossibleTravel`] compares each successful sign-in (and session start) of an
//! identity with its previous one: the great-circle distance *minus both locations' accuracy
//! radii*, over the elapsed time, above 800 km/h is impossible. Geolocation uncertainty is
//! accounted for rather than ignored, and the usual false alarms are handled by data rather than
//! code: VPN/SASE, private relay, satellite and hosting networks come from egress list files
//! (`palisade_geo::egress`), and pairs of places an identity (or many identities of the tenant)
//! keep moving between are reported low.
//!
//! Findings read in plain words:
//! `Sydney, AU → Frankfurt, DE: 16,500 km in 2 h 05 min = 7,890 km/h`.
//!
//! ```
//! use palisade_core::Detector;
//! use palisade_travel::{ImpossibleTravel, TravelConfig};
//! let d = ImpossibleTravel::new(TravelConfig { speed_kmh: 900.0, ..TravelConfig::default() }).unwrap();
//! assert_eq!(d.name(), "impossible_travel");
//! assert!(d.egress().lists().iter().any(|l| l.name == "apple-icloud-private-relay"));
//! ```

#![forbid(unsafe_code)]

mod config;
mod detector;
#[cfg(test)]
mod fast_path_agrees;
mod identities;
mod movement;
mod state;

pub use config::TravelConfig;
pub use detector::{ImpossibleTravel, TravelError, NAME};
pub use movement::{speed_kmh, Movement};
