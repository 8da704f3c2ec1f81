//! A small user-agent family parser: browser and operating-system family, never the version.
//!
//! A baseline that kept full user-agent strings would call every browser update a new client;
//! keeping the family ("Chrome on Windows") makes a browser update familiar while an attacker's
//! different browser or OS stays new.

use std::cell::RefCell;
use std::fmt;

/// Slots in the per-thread cache of parsed user agents.
const SLOTS: usize = 1024;

/// The longest user agent the cache keeps: real ones run to a few hundred bytes.
const LONGEST_KEPT: usize = 512;

type Slot = Option<(Box<str>, UaFamily)>;

thread_local! {
    static CACHE: RefCell<Vec<Slot>> = RefCell::new(vec![None; SLOTS]);
}

/// A browser (or client program) family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Browser {
    /// Microsoft Edge (Chromium or legacy).
    Edge,
    /// Opera.
    Opera,
    /// Samsung Internet.
    Samsung,
    /// Mozilla Firefox.
    Firefox,
    /// Google Chrome or Chromium.
    Chrome,
    /// Apple Safari (and WebKit views).
    Safari,
    /// Internet Explorer.
    InternetExplorer,
    /// Outlook, Teams or another Microsoft Office client.
    OfficeClient,
    /// A scripted client: curl, python-requests, Go, PowerShell, okhttp, legacy-auth tools.
    Script,
    /// Anything else, or no user agent.
    Other,
}

/// An operating-system family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Os {
    /// Microsoft Windows.
    Windows,
    /// Apple iOS or iPadOS.
    Ios,
    /// Apple macOS.
    MacOs,
    /// Android.
    Android,
    /// ChromeOS.
    ChromeOs,
    /// Linux and other Unix desktops.
    Linux,
    /// Anything else, or unknown.
    Other,
}

const BROWSERS: [(Browser, &str); 10] = [
    (Browser::Edge, "Edge"),
    (Browser::Opera, "Opera"),
    (Browser::Samsung, "Samsung Internet"),
    (Browser::Firefox, "Firefox"),
    (Browser::Chrome, "Chrome"),
    (Browser::Safari, "Safari"),
    (Browser::InternetExplorer, "Internet Explorer"),
    (Browser::OfficeClient, "Office client"),
    (Browser::Script, "Script"),
    (Browser::Other, "Other"),
];

const OSES: [(Os, &str); 7] = [
    (Os::Windows, "Windows"),
    (Os::Ios, "iOS"),
    (Os::MacOs, "macOS"),
    (Os::Android, "Android"),
    (Os::ChromeOs, "ChromeOS"),
    (Os::Linux, "Linux"),
    (Os::Other, "Other"),
];

impl Browser {
    /// The family's display name.
    pub fn as_str(self) -> &'static str {
        BROWSERS
            .iter()
            .find(|(b, _)| *b == self)
            .map_or("Other", |(_, s)| s)
    }
    fn code(self) -> u64 {
        BROWSERS
            .iter()
            .position(|(b, _)| *b == self)
            .unwrap_or(BROWSERS.len() - 1) as u64
    }
}

impl Os {
    /// The family's display name.
    pub fn as_str(self) -> &'static str {
        OSES.iter()
            .find(|(o, _)| *o == self)
            .map_or("Other", |(_, s)| s)
    }
    fn code(self) -> u64 {
        OSES.iter()
            .position(|(o, _)| *o == self)
            .unwrap_or(OSES.len() - 1) as u64
    }
}

/// A user agent's family: browser and OS, without versions.
///
/// ```
/// use palisade_baseline::{UaFamily, Browser, Os};
/// let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
///           Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
/// let fam = UaFamily::of(ua);
/// assert_eq!((fam.browser, fam.os), (Browser::Edge, Os::Windows));
/// assert_eq!(fam.to_string(), "Edge on Windows");
/// // Another version of the same browser is the same family.
/// assert_eq!(UaFamily::of(&ua.replace("120.0", "121.0")), fam);
/// // A family label parses back to itself.
/// assert_eq!(UaFamily::parse("Edge on Windows"), fam);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UaFamily {
    /// Browser family.
    pub browser: Browser,
    /// OS family.
    pub os: Os,
}

impl UaFamily {
    /// The family of a raw user-agent string.
    ///
    /// Parsing scans the string for a score of tokens, and a tenant has few distinct user
    /// agents, so results are kept in a small per-thread cache (verified by the full string, so
    /// a cached answer is always the parsed one). Strings longer than any real browser's are
    /// parsed every time and never kept, so the cache holds at most 1024 × 512 bytes whatever
    /// the input.
    pub fn of(ua: &str) -> Self {
        if ua.len() > LONGEST_KEPT {
            return UaFamily {
                browser: browser_of(ua),
                os: os_of(ua),
            };
        }
        let slot = (cache_slot(ua) % SLOTS as u64) as usize;
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if let Some(Some((k, fam))) = c.get(slot) {
                if &**k == ua {
                    return *fam;
                }
            }
            let fam = UaFamily {
                browser: browser_of(ua),
                os: os_of(ua),
            };
            if let Some(entry) = c.get_mut(slot) {
                *entry = Some((ua.into(), fam));
            }
            fam
        })
    }

    /// The family of a browser and an operating system as a vendor names them apart from a
    /// user agent (Entra's `deviceDetail`, Duo's `access_device`: `"Chrome 120.0.0"`,
    /// `"MacOs"`, `"Mac OS X"`, `"Windows10"`). A name it does not know is `Other`, as an
    /// unknown user agent is.
    ///
    /// ```
    /// use palisade_baseline::{UaFamily, Browser, Os};
    /// let entra = UaFamily::from_names(Some("Chrome 77.0.3865"), Some("MacOs"));
    /// let duo = UaFamily::from_names(Some("Chrome"), Some("Mac OS X"));
    /// let ua = UaFamily::of("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
    ///                        (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36");
    /// assert_eq!((entra, duo), (ua, ua));
    /// assert_eq!(UaFamily::from_names(Some("Edge 80.0.361"), Some("Windows 10")).os, Os::Windows);
    /// assert_eq!(UaFamily::from_names(Some("Electron"), None).to_string(), "Other on Other");
    /// ```
    pub fn from_names(browser: Option<&str>, os: Option<&str>) -> Self {
        UaFamily {
            browser: browser.map_or(Browser::Other, browser_named),
            os: os.map_or(Os::Other, os_named),
        }
    }

    /// The family of a label written by [`UaFamily`]'s `Display` ("Chrome on Windows"), of a
    /// vendor's browser and OS names written as one text (`"Chrome 77.0.3865 on MacOs"`, see
    /// [`UaFamily::from_names`]), or of a raw user-agent string.
    pub fn parse(value: &str) -> Self {
        // The longest label ("Internet Explorer on ChromeOS") is far shorter than a browser's
        // user agent, so long values skip the label search.
        if value.len() <= 40 {
            if let Some(f) = Self::from_label(value) {
                return f;
            }
        }
        // A vendor's names written as one text (`ClientSoftware::describe`); real user agents
        // are longer, and rarely say " on ".
        if value.len() <= 80 {
            if let Some((b, o)) = value.split_once(" on ") {
                return Self::from_names(Some(b), Some(o));
            }
        }
        Self::of(value)
    }

    /// The family a `"<browser> on <os>"` label names, if it is one.
    pub fn from_label(label: &str) -> Option<Self> {
        let (b, o) = label.split_once(" on ")?;
        let browser = BROWSERS.iter().find(|(_, s)| *s == b)?.0;
        let os = OSES.iter().find(|(_, s)| *s == o)?.0;
        Some(UaFamily { browser, os })
    }

    /// A compact key, unique per family (no hashing needed: the set of families is small).
    pub fn key(self) -> u64 {
        (self.browser.code() << 8) | self.os.code()
    }

    /// The family a key from [`UaFamily::key`] stands for.
    pub fn from_key(key: u64) -> Option<Self> {
        let browser = BROWSERS.get(usize::try_from(key >> 8).ok()?)?.0;
        let os = OSES.get(usize::try_from(key & 0xff).ok()?)?.0;
        Some(UaFamily { browser, os })
    }
}

impl fmt::Display for UaFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.browser.as_str(), self.os.as_str())
    }
}

/// Where a user agent sits in the family cache: its length and a few of its bytes (the version
/// numbers near the end differ most), mixed. Not a full hash — the cache compares the whole
/// string before trusting a slot — so it costs a few instructions, not a pass over the string.
fn cache_slot(ua: &str) -> u64 {
    let b = ua.as_bytes();
    let word = |at: usize| {
        let mut w = [0u8; 8];
        let end = (at + 8).min(b.len());
        if at < end {
            w[..end - at].copy_from_slice(&b[at..end]);
        }
        u64::from_le_bytes(w)
    };
    let n = b.len();
    let mix = word(0)
        ^ word(n / 2).rotate_left(16)
        ^ word(n.saturating_sub(16)).rotate_left(32)
        ^ word(n.saturating_sub(8)).rotate_left(48)
        ^ (n as u64);
    let full = u128::from(mix).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (full as u64) ^ ((full >> 64) as u64)
}

fn has(ua: &str, needle: &str) -> bool {
    ua.contains(needle)
}

fn browser_of(ua: &str) -> Browser {
    // Order matters: Chromium-based browsers also say "Chrome" and "Safari", and Chrome says
    // "Safari" too, so the more specific tokens are tested first.
    if has(ua, "Edg/") || has(ua, "Edge/") || has(ua, "EdgA/") || has(ua, "EdgiOS/") {
        Browser::Edge
    } else if has(ua, "OPR/") || has(ua, "Opera") {
        Browser::Opera
    } else if has(ua, "SamsungBrowser/") {
        Browser::Samsung
    } else if has(ua, "Firefox/") || has(ua, "FxiOS/") {
        Browser::Firefox
    } else if has(ua, "Chrome/") || has(ua, "CriOS/") || has(ua, "Chromium/") {
        Browser::Chrome
    } else if has(ua, "Outlook")
        || has(ua, "Microsoft Office")
        || has(ua, "MSOffice")
        || has(ua, "Teams/")
        || has(ua, "OneDrive")
    {
        Browser::OfficeClient
    } else if has(ua, "MSIE ") || has(ua, "Trident/") {
        Browser::InternetExplorer
    } else if has(ua, "Safari/") || (has(ua, "AppleWebKit/") && has(ua, "Mobile/")) {
        Browser::Safari
    } else if is_script(ua) {
        Browser::Script
    } else {
        Browser::Other
    }
}

fn is_script(ua: &str) -> bool {
    const SCRIPTS: [&str; 11] = [
        "curl/",
        "python-requests",
        "Python-urllib",
        "aiohttp",
        "Go-http-client",
        "okhttp",
        "PowerShell",
        "Wget",
        "BAV2ROPC",
        "axios",
        "node-fetch",
    ];
    SCRIPTS.iter().any(|s| ua.contains(s))
}

fn os_of(ua: &str) -> Os {
    // iOS user agents say "like Mac OS X", Android ones say "Linux": test the specific ones first.
    if has(ua, "iPhone") || has(ua, "iPad") || has(ua, "iPod") || has(ua, "iOS") {
        Os::Ios
    } else if has(ua, "Android") {
        Os::Android
    } else if has(ua, "Windows") || has(ua, "Win64") || has(ua, "Win32") {
        Os::Windows
    } else if has(ua, "CrOS") {
        Os::ChromeOs
    } else if has(ua, "Macintosh") || has(ua, "Mac OS X") || has(ua, "macOS") {
        Os::MacOs
    } else if has(ua, "Linux") || has(ua, "X11") {
        Os::Linux
    } else {
        Os::Other
    }
}

/// A browser as vendors name it: the name, then a version, in any case ("Chrome 120.0.0",
/// "CHROME", "Mobile Safari 16.6", "Microsoft Office 16.0").
fn browser_named(name: &str) -> Browser {
    let n = name.trim().to_ascii_lowercase();
    let starts = |p: &str| n.starts_with(p);
    if starts("edge") || starts("microsoft edge") {
        Browser::Edge
    } else if starts("opera") {
        Browser::Opera
    } else if starts("samsung") {
        Browser::Samsung
    } else if starts("firefox") || starts("mobile firefox") {
        Browser::Firefox
    } else if starts("chrome") || starts("chromium") || starts("mobile chrome") {
        Browser::Chrome
    } else if starts("safari") || starts("mobile safari") {
        Browser::Safari
    } else if n == "ie" || starts("ie ") || starts("internet explorer") {
        Browser::InternetExplorer
    } else if starts("microsoft office") || starts("outlook") || starts("teams") {
        Browser::OfficeClient
    } else {
        Browser::Other
    }
}

/// An operating system as vendors name it ("Windows10", "Windows 11", "MacOs", "Mac OS X",
/// "Ios", "Android", "Linux").
fn os_named(name: &str) -> Os {
    let n = name.trim().to_ascii_lowercase();
    let starts = |p: &str| n.starts_with(p);
    if starts("windows") {
        Os::Windows
    } else if starts("ios") || starts("ipados") || starts("iphone") || starts("ipad") {
        Os::Ios
    } else if starts("macos") || starts("mac os") || starts("os x") {
        Os::MacOs
    } else if starts("android") {
        Os::Android
    } else if starts("chrome os") || starts("chromeos") {
        Os::ChromeOs
    } else if starts("linux") || starts("ubuntu") {
        Os::Linux
    } else {
        Os::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_user_agents_are_parsed_alike_and_not_kept() {
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                  Gecko) Chrome/120.0.0.0 Safari/537.36";
        let padded = format!("{ua}{}", " x".repeat(100_000));
        for _ in 0..2 {
            assert_eq!(UaFamily::of(&padded), UaFamily::of(ua));
        }
        let kept =
            |needle: &str| CACHE.with(|c| c.borrow().iter().flatten().any(|(k, _)| &**k == needle));
        assert!(kept(ua));
        assert!(!kept(&padded));
    }

    #[test]
    fn real_user_agents() {
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                Browser::Safari,
                Os::Ios,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/119.0.0.0 Safari/537.36",
                Browser::Chrome,
                Os::MacOs,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                Browser::Firefox,
                Os::Linux,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) \
                 SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                Browser::Samsung,
                Os::Android,
            ),
            ("python-requests/2.31.0", Browser::Script, Os::Other),
            ("BAV2ROPC", Browser::Script, Os::Other),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
                Browser::InternetExplorer,
                Os::Windows,
            ),
            ("", Browser::Other, Os::Other),
        ];
        for (ua, b, o) in cases {
            let f = UaFamily::of(ua);
            assert_eq!((f.browser, f.os), (b, o), "{ua}");
            assert_eq!(UaFamily::from_key(f.key()), Some(f));
            assert_eq!(UaFamily::parse(&f.to_string()), f);
        }
    }

    #[test]
    fn keys_are_distinct() {
        let mut keys = Vec::new();
        for (b, _) in BROWSERS {
            for (o, _) in OSES {
                keys.push(UaFamily { browser: b, os: o }.key());
            }
        }
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
        assert_eq!(UaFamily::from_key(u64::MAX), None);
    }
}
