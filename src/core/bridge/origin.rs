//! Which entries belong to the page a browser is showing.
//!
//! A browser reports its page as an *origin*: scheme, host and port, such as
//! `https://login.example.com`. [`parse_origin`] accepts exactly that shape
//! and normalises it; [`match_entry_url`] decides whether one of an entry's
//! stored URLs belongs to it. Matching compares parsed hosts label by label,
//! never substrings, so `hub.com` is not `github.com`.
//!
//! The rules, each a row of the tests:
//!
//! - **Hosts.** Hosts go through the WHATWG URL parser (the `url` crate),
//!   which applies IDNA: a Unicode host and its punycode form are the same
//!   host, while a look-alike letter from another script (a Cyrillic `а`)
//!   gives a different punycode host and so a different site. Upper case,
//!   a trailing dot and surrounding whitespace do not matter.
//! - **Subdomains.** An entry for `example.com` also covers
//!   `login.example.com`, but not the other way round, and never across a
//!   public suffix: the public suffix list (ICANN and private sections,
//!   compiled into the `psl` crate) decides where one site ends. An entry
//!   whose host is itself a public suffix (`com`, `co.uk`, `github.io`)
//!   covers no subdomain at all; it still matches a page whose host is
//!   exactly that name, which is what the entry names. `x.github.io` and
//!   `y.github.io` are different sites, and an entry for `amazonaws.com`
//!   does not cover `bucket.s3.amazonaws.com`, whose site is the bucket.
//!   A single-label host (`localhost`, `intranet`) is a suffix too, so it
//!   matches only exactly.
//! - **IP addresses** (v4, and v6 in brackets) match only exactly.
//! - **Schemes.** An `https://` entry is never offered to an `http://` page
//!   (its password was meant for an encrypted connection); an `http://`
//!   entry may be offered to an `https://` page; an entry without a scheme
//!   (`example.com/login`) matches both. Any other scheme (`ftp://`,
//!   `android://`, `javascript:`) never matches.
//! - **Ports.** An entry that names a port matches only that port; one that
//!   does not matches any port. A scheme's default port is the same as no
//!   port (`https://x:443` is `https://x`), as in the URL standard. For an
//!   entry without a scheme, any port written is kept (`example.com:80`
//!   matches `http://example.com` but not `https://example.com`).
//! - **Garbage** (unparsable text, control characters, an empty host,
//!   over-long text) never matches and never panics.
//!
//! Entry URLs are secrets of the vault: the copies made while parsing are
//! wiped when matching is done, and none appears in an error.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};
use zeroize::Zeroizing;

use crate::core::entries::Entry;

/// The longest origin text accepted from a browser.
pub const MAX_ORIGIN_LEN: usize = 1024;
/// The longest entry URL considered; longer ones never match.
pub const MAX_ENTRY_URL_LEN: usize = 8192;
/// The longest host name DNS allows, without a trailing dot.
const MAX_HOST_LEN: usize = 253;
/// The longest label DNS allows.
const MAX_LABEL_LEN: usize = 63;

/// The two schemes the bridge serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http://`.
    Http,
    /// `https://`.
    Https,
}

impl Scheme {
    /// The scheme's name, lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port a URL of this scheme uses when it names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn named(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else if name.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else {
            None
        }
    }
}

/// A page's host, normalised: a lower-case ASCII domain (punycode for
/// Unicode names, no trailing dot) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OriginHost {
    /// A domain name.
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for OriginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginHost::Domain(name) => f.write_str(name),
            OriginHost::Ipv4(ip) => write!(f, "{ip}"),
            OriginHost::Ipv6(ip) => write!(f, "[{ip}]"),
        }
    }
}

/// The origin of the page a browser asks about, normalised.
///
/// Its text form ([`PageOrigin::as_str`], `Display`) is canonical: lower-case
/// scheme, normalised host, and the port only when it is not the scheme's
/// default. Two origins are equal exactly when their text forms are, which
/// makes the text a key for remembered approvals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageOrigin {
    scheme: Scheme,
    host: OriginHost,
    port: u16,
    canonical: String,
}

impl PageOrigin {
    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The normalised host.
    pub fn host(&self) -> &OriginHost {
        &self.host
    }

    /// The effective port (the scheme's default when none was given).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The canonical text form, e.g. `https://login.example.com:8443`.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }
}

impl fmt::Display for PageOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

/// Why a text is not an origin the bridge accepts. The messages never
/// repeat the text: it comes from a web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// Nothing was given.
    #[error("the origin is empty")]
    Empty,
    /// The text is longer than [`MAX_ORIGIN_LEN`].
    #[error("the origin is longer than {MAX_ORIGIN_LEN} bytes")]
    TooLong,
    /// The text holds a space or a control character inside.
    #[error("the origin holds spaces or control characters")]
    SpaceOrControl,
    /// A scheme other than http or https.
    #[error("only http:// and https:// pages can use the browser bridge")]
    UnsupportedScheme,
    /// Not of the form `scheme://host[:port]`.
    #[error("an origin has the form scheme://host[:port], such as https://login.example.com")]
    NotAnOrigin,
    /// A user name or password before the host.
    #[error("an origin holds no user name or password (nothing before an @)")]
    HasUserinfo,
    /// A path other than `/`.
    #[error("an origin has no path: give only scheme://host[:port]")]
    HasPath,
    /// A query (`?…`).
    #[error("an origin has no query (?…): give only scheme://host[:port]")]
    HasQuery,
    /// A fragment (`#…`).
    #[error("an origin has no fragment (#…): give only scheme://host[:port]")]
    HasFragment,
    /// The host is not a valid domain name or IP address.
    #[error("the origin's host is not a valid domain name or IP address")]
    BadHost,
    /// The port is not a number from 1 to 65535.
    #[error("the origin's port is not a number from 1 to 65535")]
    BadPort,
}

/// How an entry matched a page: on the page's own host, or on a site the
/// page's host lies under. Sorts exact matches first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The entry names the page's host.
    Exact,
    /// The entry names a host that the page's host lies under, within one
    /// site.
    Subdomain,
}

/// Parses the origin a browser reports: `http(s)://host[:port]`, with at
/// most a `/` after it.
///
/// Whitespace around the text is ignored (it may come from a command line);
/// anything inside it is refused, as are a user name, a path, a query and a
/// fragment.
pub fn parse_origin(text: &str) -> Result<PageOrigin, OriginError> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Err(OriginError::Empty);
    }
    if text.len() > MAX_ORIGIN_LEN {
        return Err(OriginError::TooLong);
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(OriginError::SpaceOrControl);
    }
    let (name, rest) = split_scheme(text).ok_or(OriginError::NotAnOrigin)?;
    let scheme = Scheme::named(name).ok_or(OriginError::UnsupportedScheme)?;

    // Judge the text itself before the URL parser normalises it: the parser
    // would quietly drop `/./`, an empty `@` or a backslash.
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err(OriginError::HasUserinfo);
    }
    if authority.is_empty() {
        return Err(OriginError::BadHost);
    }
    // The URL parser takes `host:` as the default port; a browser never
    // sends it.
    if authority.ends_with(':') {
        return Err(OriginError::BadPort);
    }
    match tail {
        "" | "/" => {}
        _ if tail.starts_with('?') || tail.starts_with("/?") => {
            return Err(OriginError::HasQuery);
        }
        _ if tail.starts_with('#') || tail.starts_with("/#") => {
            return Err(OriginError::HasFragment);
        }
        _ => return Err(OriginError::HasPath),
    }

    let mut buffer = String::with_capacity(authority.len() + 9);
    buffer.push_str(scheme.as_str());
    buffer.push_str("://");
    buffer.push_str(authority);
    let url = Url::parse(&buffer).map_err(|e| match e {
        url::ParseError::InvalidPort => OriginError::BadPort,
        _ => OriginError::BadHost,
    })?;
    let host = match url.host().and_then(normal_host) {
        Some(HostRef::Domain(name)) => OriginHost::Domain(name.to_owned()),
        Some(HostRef::Ipv4(ip)) => OriginHost::Ipv4(ip),
        Some(HostRef::Ipv6(ip)) => OriginHost::Ipv6(ip),
        None => return Err(OriginError::BadHost),
    };
    let port = url.port().unwrap_or(scheme.default_port());
    if port == 0 {
        return Err(OriginError::BadPort);
    }

    let canonical = if port == scheme.default_port() {
        format!("{}://{host}", scheme.as_str())
    } else {
        format!("{}://{host}:{port}", scheme.as_str())
    };
    Ok(PageOrigin {
        scheme,
        host,
        port,
        canonical,
    })
}

/// Whether an entry's stored URL belongs to `page`, and how.
///
/// `None` for a URL of another site, scheme or port, and for anything that
/// does not parse.
pub fn match_entry_url(entry_url: &str, page: &PageOrigin) -> Option<MatchKind> {
    EntryTarget::parse(entry_url)?.match_page(page)
}

/// The items with a URL that matches `page`, as (index, how): exact matches
/// first, then subdomain matches, each group in the items' order. An item
/// with several URLs matches by its best one.
pub fn matching<'a, T, F, I, S>(
    items: &'a [T],
    urls: F,
    page: &PageOrigin,
) -> Vec<(usize, MatchKind)>
where
    F: Fn(&'a T) -> I,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut found: Vec<(usize, MatchKind)> = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            urls(item)
                .into_iter()
                .filter_map(|url| match_entry_url(url.as_ref(), page))
                .min()
                .map(|kind| (index, kind))
        })
        .collect();
    // A stable sort keeps the items' order within each kind.
    found.sort_by_key(|&(_, kind)| kind);
    found
}

/// The vault entries whose URLs match `page`, as [`matching`] orders them.
/// Entries in the trash are never offered.
pub fn matching_entries(entries: &[Entry], page: &PageOrigin) -> Vec<(usize, MatchKind)> {
    let mut found = matching(
        entries,
        |entry| entry.urls.iter().map(|url| url.expose()),
        page,
    );
    found.retain(|&(index, _)| entries[index].deleted_at.is_none());
    found
}

/// Entries grouped by the site their URLs name, so that a page is matched
/// against its own site's entries only: a match, exact or by subdomain,
/// always shares the page's registrable domain (or, for a public suffix or
/// an address, its exact host). Build it once per change of the entries.
#[derive(Default)]
pub struct SiteIndex {
    sites: std::collections::HashMap<String, Vec<(usize, EntryTarget)>>,
}

impl SiteIndex {
    /// Indexes every URL of the live entries (the trash is left out).
    pub fn build(entries: &[Entry]) -> Self {
        let mut sites: std::collections::HashMap<String, Vec<(usize, EntryTarget)>> =
            std::collections::HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if entry.deleted_at.is_some() {
                continue;
            }
            for url in &entry.urls {
                if let Some(target) = EntryTarget::parse(url.expose()) {
                    sites
                        .entry(target.site())
                        .or_default()
                        .push((index, target));
                }
            }
        }
        Self { sites }
    }

    /// The entries matching `page`, as [`matching_entries`] orders them.
    pub fn matching(&self, page: &PageOrigin) -> Vec<(usize, MatchKind)> {
        let Some(candidates) = self.sites.get(&page.site()) else {
            return Vec::new();
        };
        let mut found: Vec<(usize, MatchKind)> = candidates
            .iter()
            .filter_map(|(index, target)| Some((*index, target.match_page(page)?)))
            .collect();
        // An entry with several matching URLs counts once, by its best.
        found.sort_unstable();
        found.dedup_by_key(|&mut (index, _)| index);
        found.sort_by_key(|&(index, kind)| (kind, index));
        found
    }
}

/// The key a host is indexed under: its registrable domain, or the host
/// itself when it is a public suffix, a single label or an address.
fn site_of_domain(host: &str) -> String {
    psl::domain_str(host).unwrap_or(host).to_owned()
}

impl PageOrigin {
    fn site(&self) -> String {
        match &self.host {
            OriginHost::Domain(name) => site_of_domain(name),
            OriginHost::Ipv4(ip) => ip.to_string(),
            OriginHost::Ipv6(ip) => ip.to_string(),
        }
    }
}

/// A parsed entry URL. Its host is a copy of vault data, so it is wiped
/// on drop and has no `Debug`.
struct EntryTarget {
    /// `None` for an entry written without a scheme: it matches both.
    scheme: Option<Scheme>,
    host: TargetHost,
    /// `None` when the entry names no port (or its scheme's default).
    port: Option<u16>,
}

enum TargetHost {
    Domain(Zeroizing<String>),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

impl EntryTarget {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_ENTRY_URL_LEN || text.chars().any(char::is_control) {
            return None;
        }
        let (scheme, rest) = match split_scheme(text) {
            Some((name, rest)) => (Some(Scheme::named(name)?), rest),
            None if has_other_scheme(text) => return None,
            None => (None, text.strip_prefix("//").unwrap_or(text)),
        };
        // `https:///host` and `https:\\host` parse, but nobody means them.
        if rest.starts_with(['/', '\\']) {
            return None;
        }

        let (host, port) = parse_wiped(scheme.unwrap_or(Scheme::Http), rest, |url| {
            let host = match normal_host(url.host()?)? {
                HostRef::Domain(name) => TargetHost::Domain(Zeroizing::new(name.to_owned())),
                HostRef::Ipv4(ip) => TargetHost::Ipv4(ip),
                HostRef::Ipv6(ip) => TargetHost::Ipv6(ip),
            };
            Some((host, url.port()))
        })??;

        // The parser forgets a port equal to its scheme's default. Without
        // a scheme, `example.com:80` still names a port: ask the other one.
        let port = match (scheme, port) {
            (None, None) if rest.contains(':') => {
                parse_wiped(Scheme::Https, rest, Url::port).flatten()
            }
            _ => port,
        };
        Some(Self { scheme, host, port })
    }

    fn site(&self) -> String {
        match &self.host {
            TargetHost::Domain(name) => site_of_domain(name),
            TargetHost::Ipv4(ip) => ip.to_string(),
            TargetHost::Ipv6(ip) => ip.to_string(),
        }
    }

    fn match_page(&self, page: &PageOrigin) -> Option<MatchKind> {
        if self.scheme == Some(Scheme::Https) && page.scheme == Scheme::Http {
            return None;
        }
        if self.port.is_some_and(|port| port != page.port) {
            return None;
        }
        match (&self.host, &page.host) {
            (TargetHost::Ipv4(entry), OriginHost::Ipv4(page)) if entry == page => {
                Some(MatchKind::Exact)
            }
            (TargetHost::Ipv6(entry), OriginHost::Ipv6(page)) if entry == page => {
                Some(MatchKind::Exact)
            }
            (TargetHost::Domain(entry), OriginHost::Domain(page)) => match_domains(entry, page),
            _ => None,
        }
    }
}

/// Matches two normalised domain names (see the module's rules).
fn match_domains(entry: &str, page: &str) -> Option<MatchKind> {
    if entry == page {
        return Some(MatchKind::Exact);
    }
    // The page must lie under the entry at a label boundary...
    let below = page.strip_suffix(entry)?.strip_suffix('.')?;
    if below.is_empty() {
        return None;
    }
    // ...and both must be one site: the entry is not a public suffix, and
    // no public suffix (such as `s3.amazonaws.com`) lies between them.
    let site = psl::domain_str(entry)?;
    (psl::domain_str(page) == Some(site)).then_some(MatchKind::Subdomain)
}

/// Parses `scheme://rest` and hands the result to `use_url`; the parser's
/// copy of the text is wiped afterwards. `None` when it does not parse.
fn parse_wiped<R>(scheme: Scheme, rest: &str, use_url: impl FnOnce(&Url) -> R) -> Option<R> {
    let mut text = Zeroizing::new(String::with_capacity(rest.len() + 9));
    text.push_str(scheme.as_str());
    text.push_str("://");
    text.push_str(rest);
    let url = Url::parse(&text).ok()?;
    let result = use_url(&url);
    drop(Zeroizing::new(String::from(url)));
    Some(result)
}

/// Splits `name://rest` when `name` is a valid URL scheme name; `None`
/// otherwise (also for `example.com/a?next=https://b`, whose `://` comes
/// after characters no scheme has).
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let at = text.find("://")?;
    let name = &text[..at];
    is_scheme_name(name).then(|| (name, &text[at + 3..]))
}

/// Whether a text without `://` starts with a scheme (`javascript:`,
/// `mailto:`), as opposed to a host and port (`localhost:3000/x`).
fn has_other_scheme(text: &str) -> bool {
    let Some(colon) = text.find(':') else {
        return false;
    };
    if !is_scheme_name(&text[..colon]) {
        return false;
    }
    let after = &text.as_bytes()[colon + 1..];
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    let is_port = digits > 0 && matches!(after.get(digits), None | Some(b'/' | b'?' | b'#'));
    !is_port
}

/// RFC 3986: a letter, then letters, digits, `+`, `-` and `.`.
fn is_scheme_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// A host as the URL parser gave it, checked and without a trailing dot.
enum HostRef<'a> {
    Domain(&'a str),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// Checks a parsed host: a domain must be a plausible DNS name (letters,
/// digits, `-` and `_`, labels of 1–63 characters, 253 in all) after IDNA;
/// the URL parser alone lets through names such as `a..b` or `x*y`.
fn normal_host(host: Host<&str>) -> Option<HostRef<'_>> {
    match host {
        Host::Ipv4(ip) => Some(HostRef::Ipv4(ip)),
        Host::Ipv6(ip) => Some(HostRef::Ipv6(ip)),
        Host::Domain(name) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            let valid_label = |label: &str| {
                (1..=MAX_LABEL_LEN).contains(&label.len())
                    && label
                        .bytes()
                        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
            };
            let valid =
                !name.is_empty() && name.len() <= MAX_HOST_LEN && name.split('.').all(valid_label);
            valid.then_some(HostRef::Domain(name))
        }
    }
}

#[cfg(test)]
mod tests;
