//! The built-in demo data: the reference account-takeover story, in vendor shapes, compiled into
//! the binary so `palisade demo` works on a fresh machine with no files at hand.

use palisade::scan::Input;

/// The demo inputs.
pub(crate) fn inputs() -> Vec<Input> {
    vec![Input::bytes(
        "demo/reference-case.ocsf.jsonl",
        include_bytes!("../../demo/reference-case.ocsf.jsonl").to_vec(),
    )]
}
