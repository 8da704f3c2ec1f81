//! The built-in demo data: the reference account-takeover story in vendor shapes (an Okta System
//! Log and a Microsoft 365 audit log, gzip-compressed), compiled into the binary so `palisade demo`
//! works on a fresh machine with no files at hand.
//!
//! The files are generated, not captured: `cargo run -p palisade-testkit --example demo_data -- .`
//! writes them from a fixed seed (eight users over 21 days, with the reference case and a push
//! bombing among ordinary colleagues).

use palisade::scan::Input;

/// The demo inputs.
pub(crate) fn inputs() -> Vec<Input> {
    vec![
        Input::bytes(
            "demo/reference-case.okta.jsonl.gz",
            include_bytes!("../../demo/reference-case.okta.jsonl.gz").to_vec(),
        ),
        Input::bytes(
            "demo/reference-case.m365.jsonl.gz",
            include_bytes!("../../demo/reference-case.m365.jsonl.gz").to_vec(),
        ),
    ]
}
