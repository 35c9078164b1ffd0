//! The CSV dialects: recognising one by its header row, and turning a
//! record into an entry.
//!
//! All but 1Password's keep one value per named column, so one [`Layout`]
//! (which column holds what) serves them, with a few per-format rules:
//! Chrome's Android addresses, Firefox's account row and millisecond times,
//! Bitwarden's URL list and `fields` cell, LastPass's secure-note address,
//! KeePassXC's group paths.

use super::Mapping;
use super::onepassword::{self, OnePassword};
use super::row::{Columns, Draft, Row, is_yes, looks_secret};
use crate::core::exchange::Format;
use crate::core::secret::SecretString;
use crate::core::time::parse_rfc3339;

/// The dialect a header row shows, if any.
pub(super) fn detect(cols: &Columns) -> Option<Format> {
    let has = |names: &[&str]| cols.has_all(names);
    let only = |allowed: &[&str]| {
        cols.keys()
            .iter()
            .all(|k| k.is_empty() || allowed.contains(&k.as_str()))
    };
    let format = if has(&["login_uri", "login_password"]) {
        Format::BitwardenCsv
    } else if has(&[
        "url",
        "username",
        "password",
        "httprealm",
        "formactionorigin",
    ]) {
        Format::FirefoxCsv
    } else if has(&["url", "username", "password", "extra", "name", "grouping"]) {
        Format::LastPassCsv
    } else if has(&["group", "title", "username", "password", "url", "notes"]) {
        Format::KeePassXcCsv
    } else if onepassword::is_windows(cols) || onepassword::is_mac(cols) {
        Format::OnePasswordCsv
    } else if has(&["name", "url", "username", "password"])
        && only(&["name", "url", "username", "password", "note", "notes"])
    {
        Format::ChromeCsv
    } else if has(&["title", "url", "username", "password"])
        && only(&["title", "url", "username", "password", "notes", "otpauth"])
    {
        Format::SafariCsv
    } else {
        return None;
    };
    Some(format)
}

/// Turns records of one dialect into entries.
pub(super) enum Mapper {
    /// One value per column.
    Columns(Layout),
    /// 1Password's exports.
    OnePassword(OnePassword),
}

impl Mapper {
    /// The mapper for `format` over these columns; `None` when the header
    /// has none of the columns the format needs (it is not that format).
    pub(super) fn new(format: Format, cols: &Columns) -> Option<Self> {
        if format == Format::OnePasswordCsv {
            return OnePassword::new(cols).map(Mapper::OnePassword);
        }
        let layout = Layout::new(format, cols);
        layout.is_usable().then_some(Mapper::Columns(layout))
    }

    /// Why a record is left out whatever it holds, if it is.
    pub(super) fn skip_reason(&self, row: &Row) -> Option<&'static str> {
        match self {
            Mapper::Columns(layout) => layout.skip_reason(row),
            Mapper::OnePassword(_) => None,
        }
    }

    /// The entry a record describes (empty if it describes nothing).
    pub(super) fn map(&self, row: &Row) -> Draft {
        match self {
            Mapper::Columns(layout) => layout.map(row),
            Mapper::OnePassword(op) => op.map(row),
        }
    }
}

/// Which column holds what, for dialects with one value per column.
#[derive(Debug, Default)]
pub(super) struct Layout {
    format: Option<Format>,
    title: Option<usize>,
    username: Option<usize>,
    password: Option<usize>,
    url: Option<usize>,
    notes: Option<usize>,
    totp: Option<usize>,
    category: Option<usize>,
    favorite: Option<usize>,
    created: Option<usize>,
    updated: Option<usize>,
    tags: Option<usize>,
    /// Bitwarden's `fields` cell: `name: value` per line.
    fields: Option<usize>,
    /// Firefox's `httpRealm`, kept as a custom field.
    realm: Option<usize>,
}

impl Layout {
    /// The layout of a known dialect, found by column name.
    pub(super) fn new(format: Format, cols: &Columns) -> Self {
        let c = |names: &[&str]| cols.find(names);
        let login = Layout {
            format: Some(format),
            username: c(&["username"]),
            password: c(&["password"]),
            url: c(&["url"]),
            ..Layout::default()
        };
        match format {
            Format::ChromeCsv => Layout {
                title: c(&["name"]),
                notes: c(&["note", "notes"]),
                ..login
            },
            Format::FirefoxCsv => Layout {
                realm: c(&["httprealm"]),
                created: c(&["timecreated"]),
                updated: c(&["timepasswordchanged"]),
                ..login
            },
            Format::SafariCsv => Layout {
                title: c(&["title"]),
                notes: c(&["notes"]),
                totp: c(&["otpauth"]),
                ..login
            },
            Format::LastPassCsv => Layout {
                title: c(&["name"]),
                notes: c(&["extra"]),
                totp: c(&["totp"]),
                category: c(&["grouping"]),
                favorite: c(&["fav"]),
                ..login
            },
            Format::KeePassXcCsv => Layout {
                title: c(&["title"]),
                notes: c(&["notes"]),
                totp: c(&["totp"]),
                category: c(&["group"]),
                created: c(&["created"]),
                updated: c(&["last modified"]),
                tags: c(&["tags"]),
                ..login
            },
            Format::BitwardenCsv => Layout {
                format: Some(format),
                title: c(&["name"]),
                username: c(&["login_username"]),
                password: c(&["login_password"]),
                url: c(&["login_uri"]),
                notes: c(&["notes"]),
                totp: c(&["login_totp"]),
                category: c(&["folder", "collections"]),
                favorite: c(&["favorite"]),
                fields: c(&["fields"]),
                ..Layout::default()
            },
            _ => Layout::default(),
        }
    }

    /// The layout a user chose for a CSV of no known dialect.
    pub(super) fn from_mapping(m: &Mapping) -> Self {
        Layout {
            format: Some(Format::GenericCsv),
            title: m.title,
            username: m.username,
            password: m.password,
            url: m.url,
            notes: m.notes,
            totp: m.totp,
            category: m.category,
            ..Layout::default()
        }
    }

    /// Whether the header has any column worth reading.
    fn is_usable(&self) -> bool {
        [
            self.title,
            self.url,
            self.username,
            self.password,
            self.notes,
        ]
        .iter()
        .any(Option::is_some)
    }

    fn skip_reason(&self, row: &Row) -> Option<&'static str> {
        let url = row.get(self.url).trim();
        let fxa = url
            .get(..24)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("chrome://FirefoxAccounts"));
        (self.format == Some(Format::FirefoxCsv) && fxa).then_some(
            "Firefox's own account sign-in (chrome://FirefoxAccounts) is not a website \
             login; it was left out",
        )
    }

    fn map(&self, row: &Row) -> Draft {
        let mut d = Draft::default();
        d.entry.title = row.secret(self.title);
        d.entry.username = row.secret(self.username);
        d.entry.password = row.secret(self.password);
        d.entry.notes = row.secret(self.notes);
        d.totp = row.secret(self.totp);
        d.entry.favorite = is_yes(row.get(self.favorite));
        self.add_urls(row.get(self.url), &mut d);
        d.entry.category = self.category(row.get(self.category).trim()).into();

        let (created, updated) = (row.get(self.created), row.get(self.updated));
        let time = |cell: &str| match self.format {
            Some(Format::FirefoxCsv) => cell.trim().parse::<i64>().ok().map(|ms| ms / 1000),
            _ => parse_rfc3339(cell.trim()),
        };
        d.entry.created_at = time(created).unwrap_or(0);
        d.entry.updated_at = time(updated).unwrap_or(d.entry.created_at);

        for tag in row.get(self.tags).split([',', ';']).map(str::trim) {
            if !tag.is_empty() {
                d.entry.tags.push(tag.into());
            }
        }
        let realm = row.get(self.realm);
        if !realm.is_empty() {
            d.add_field("httpRealm", realm.into(), false);
        }
        add_bitwarden_fields(row.get(self.fields), &mut d);
        d
    }

    fn add_urls(&self, cell: &str, d: &mut Draft) {
        match self.format {
            // Bitwarden joins an item's URLs with commas.
            Some(Format::BitwardenCsv) => cell.split(',').for_each(|u| d.add_url(u)),
            // LastPass gives secure notes this placeholder address.
            Some(Format::LastPassCsv) if cell.trim() == "http://sn" => {}
            Some(Format::ChromeCsv) => d.add_url(android_package(cell).unwrap_or(cell)),
            _ => d.add_url(cell),
        }
    }

    fn category<'a>(&self, cell: &'a str) -> &'a str {
        if self.format != Some(Format::KeePassXcCsv) {
            return cell;
        }
        // KeePassXC writes the whole group path, root group first.
        cell.split_once('/').map_or("", |(_, rest)| rest)
    }
}

/// The app package of a Chrome Android login, `android://<hash>@<package>/`.
fn android_package(url: &str) -> Option<&str> {
    let url = url.trim();
    let rest = url
        .get(..10)
        .filter(|scheme| scheme.eq_ignore_ascii_case("android://"))
        .map(|_| &url[10..])?;
    let after_hash = rest.rsplit_once('@').map_or(rest, |(_, p)| p);
    let package = after_hash.split('/').next().unwrap_or("");
    (!package.is_empty()).then_some(package)
}

/// Bitwarden's `fields` cell: `name: value` per line. A line without `: `
/// continues the field above (a value that spans lines); before any field
/// it names a field with an empty value.
fn add_bitwarden_fields(cell: &str, d: &mut Draft) {
    // Values get the cell's length up front, so growing one never leaves a
    // copy of a secret behind in a freed buffer.
    let value_of = |text: &str| {
        let mut value = String::with_capacity(cell.len());
        value.push_str(text);
        value
    };
    let mut current: Option<(String, String)> = None;
    let mut parsed: Vec<(String, String)> = Vec::new();
    for line in cell.lines() {
        match (line.split_once(": "), current.as_mut()) {
            (Some((name, value)), _) => {
                parsed.extend(current.take());
                current = Some((name.to_owned(), value_of(value)));
            }
            (None, Some((_, value))) => {
                value.push('\n');
                value.push_str(line);
            }
            (None, None) if !line.trim().is_empty() => {
                let name = line.trim().trim_end_matches(':');
                current = Some((name.to_owned(), value_of("")));
            }
            (None, None) => {}
        }
    }
    parsed.extend(current);
    for (name, value) in parsed {
        let hidden = looks_secret(&name);
        d.add_field(&name, SecretString::new(value), hidden);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &str) -> Columns {
        Columns::new(names.split(',').map(str::to_owned).collect())
    }

    #[test]
    fn headers_name_their_dialect() {
        let cases = [
            ("name,url,username,password,note", Some(Format::ChromeCsv)),
            ("name,url,username,password", Some(Format::ChromeCsv)),
            (
                "Title,URL,Username,Password,Notes,OTPAuth",
                Some(Format::SafariCsv),
            ),
            ("Title,Url,Username,Password", Some(Format::SafariCsv)),
            (
                "url,username,password,httpRealm,formActionOrigin,guid,timeCreated",
                Some(Format::FirefoxCsv),
            ),
            (
                "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,\
                 login_password,login_totp",
                Some(Format::BitwardenCsv),
            ),
            (
                "url,username,password,totp,extra,name,grouping,fav",
                Some(Format::LastPassCsv),
            ),
            (
                "url,username,password,extra,name,grouping,fav",
                Some(Format::LastPassCsv),
            ),
            (
                "Group,Title,Username,Password,URL,Notes,TOTP,Icon,Last Modified,Created",
                Some(Format::KeePassXcCsv),
            ),
            (
                "UUID,TITLE,SCOPE,AUTOSUBMIT,NOTES",
                Some(Format::OnePasswordCsv),
            ),
            ("site,login,secret", None),
            ("name,url,username,password,color", None),
        ];
        for (header, want) in cases {
            assert_eq!(detect(&columns(header)), want, "{header}");
        }
    }

    #[test]
    fn android_logins_become_their_package() {
        assert_eq!(
            android_package("android://AbC123==@com.example.app/"),
            Some("com.example.app")
        );
        assert_eq!(android_package("https://example.com"), None);
    }

    #[test]
    fn bitwarden_fields_continue_over_lines_without_a_separator() {
        let mut d = Draft::default();
        add_bitwarden_fields("PIN: 1234\nAddress: 1 Road\nTown\nplain", &mut d);
        let got: Vec<(&str, &str, bool)> = d
            .entry
            .fields
            .iter()
            .map(|f| (f.name.expose(), f.value.expose(), f.hidden))
            .collect();
        assert_eq!(
            got,
            [
                ("PIN", "1234", true),
                ("Address", "1 Road\nTown\nplain", false)
            ]
        );
    }
}
