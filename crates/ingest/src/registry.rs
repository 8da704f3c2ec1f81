//! The adapters compiled into this build, in detection order, and lookup by `--source` name.

use crate::{Adapter, IngestError};

/// Every adapter enabled by cargo features, in the order auto-detection tries them.
///
/// OCSF comes first: its marker (`"class_uid"`) never appears in a vendor's own records, while an
/// OCSF record may carry the vendor's raw fields under `unmapped` and so could satisfy a vendor
/// sniff. The vendor adapters follow, the ones with the most distinctive markers first, ending with
/// CloudTrail.
///
/// ```
/// let names: Vec<&str> = palisade_ingest::adapters().iter().map(|a| a.name()).collect();
/// # #[cfg(all(feature = "ocsf", feature = "okta"))]
/// assert!(names.contains(&"ocsf") && names.contains(&"okta"));
/// ```
// Built by pushes because each entry exists only under its feature.
#[allow(clippy::vec_init_then_push)]
pub fn adapters() -> Vec<Box<dyn Adapter>> {
    #[allow(unused_mut)]
    let mut all: Vec<Box<dyn Adapter>> = Vec::new();
    #[cfg(feature = "ocsf")]
    all.push(Box::new(crate::ocsf::Ocsf));
    #[cfg(feature = "okta")]
    all.push(Box::new(crate::okta::Okta));
    #[cfg(feature = "entra")]
    all.push(Box::new(crate::entra::Entra));
    #[cfg(feature = "m365")]
    all.push(Box::new(crate::m365::M365));
    #[cfg(feature = "gws")]
    all.push(Box::new(crate::gws::GoogleWorkspace));
    #[cfg(feature = "duo")]
    all.push(Box::new(crate::duo::Duo));
    #[cfg(feature = "cloudtrail")]
    all.push(Box::new(crate::cloudtrail::CloudTrail));
    all
}

/// The adapter named `name` (as in `--source NAME`; the same as `Source::as_str`, e.g. `okta`,
/// `google_workspace`, `ocsf`). Case-insensitive; `gws` is accepted for Google Workspace.
///
/// ```
/// use palisade_ingest::{adapter_by_name, IngestError};
/// assert!(matches!(adapter_by_name("nope"), Err(IngestError::UnknownSource(_))));
/// # #[cfg(feature = "ocsf")]
/// assert_eq!(adapter_by_name("OCSF").unwrap().name(), "ocsf");
/// ```
pub fn adapter_by_name(name: &str) -> Result<Box<dyn Adapter>, IngestError> {
    let wanted = name.trim().to_ascii_lowercase();
    let wanted = if wanted == "gws" {
        "google_workspace".to_string()
    } else {
        wanted
    };
    adapters()
        .into_iter()
        .find(|a| a.name() == wanted)
        .ok_or_else(|| IngestError::UnknownSource(name.to_string()))
}

/// The names [`adapter_by_name`] accepts in this build, in detection order.
///
/// ```
/// # #[cfg(feature = "duo")]
/// assert!(palisade_ingest::source_names().contains(&"duo"));
/// ```
pub fn source_names() -> Vec<&'static str> {
    adapters().iter().map(|a| a.name()).collect()
}
