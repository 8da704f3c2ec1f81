//! Which seeds a population test runs: its own default range, or a wider sweep asked for in
//! the environment, so the suite stays quick while anyone can check detectors against seeds
//! nobody tuned them on.

use std::ops::Range;

/// The variable that overrides every population test's seeds, as `start..end`.
pub const SEEDS_VAR: &str = "PALISADE_SEEDS";

/// The seeds to run: `PALISADE_SEEDS` (`start..end`, e.g. `0..2000`) when it is set, else
/// `default`.
///
/// # Panics
///
/// When `PALISADE_SEEDS` is set but is not an increasing `start..end` range: a sweep that
/// silently ran the default seeds would claim a coverage it never had.
///
/// ```
/// let seeds = palisade_testkit::seeds(0..20);
/// assert!(!seeds.is_empty());
/// ```
pub fn seeds(default: Range<u64>) -> Range<u64> {
    match std::env::var(SEEDS_VAR) {
        Ok(text) => parse(&text)
            .unwrap_or_else(|| panic!("{SEEDS_VAR}={text:?} is not a seed range like 0..2000")),
        Err(_) => default,
    }
}

fn parse(text: &str) -> Option<Range<u64>> {
    let (start, end) = text.trim().split_once("..")?;
    let range = start.trim().parse().ok()?..end.trim().parse().ok()?;
    (!range.is_empty()).then_some(range)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_a_range_and_refuses_anything_else() {
        assert_eq!(parse("0..2000"), Some(0..2000));
        assert_eq!(parse(" 20 .. 120 "), Some(20..120));
        for bad in ["", "20", "5..5", "9..3", "a..b", "0..=9", "-1..4"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
