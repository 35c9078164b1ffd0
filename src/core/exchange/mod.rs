//! Import, export and merge: the formats people bring their passwords in
//! and leave with.
//!
//! Every reader turns a file into a [`Parsed`]: the entries it will add
//! (with older passwords as history), the items it skipped and why, and
//! warnings. Nothing touches the vault until the caller applies the result
//! in one transaction, so a preview shows exactly what will be stored and a
//! failed import changes nothing.
//!
//! The readers live one format family per module: [`csv`] (browsers,
//! Bitwarden, LastPass, 1Password, KeePassXC and any other CSV through a
//! column mapping), [`bitwarden`] (JSON, plain or password-protected),
//! [`keepass`] (KeePass 2 XML and KDBX 3.1/4) and [`native`] (this
//! product's own JSON and encrypted `.spmx` exports).

pub mod bitwarden;
pub mod csv;
pub mod keepass;
pub mod native;
pub mod totp;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::core::kdf::KdfParams;

use crate::core::entries::{Actor, Category, Entry, HistoryItem, RotationReason};
use crate::core::secret::SecretString;

/// What an export writes: entries (the trash too, if asked) with their
/// password history, and the vault's categories.
#[derive(Debug, Default)]
pub struct ExportData {
    /// Entries, each with its history (oldest first).
    pub entries: Vec<(Entry, Vec<HistoryItem>)>,
    /// Every category, with its color.
    pub categories: Vec<Category>,
}

/// A file format we read (and for some, write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Any CSV, read through a column mapping.
    GenericCsv,
    /// Chrome, Edge and Brave: `name,url,username,password,note`.
    ChromeCsv,
    /// Firefox: `url,username,password,httpRealm,...`.
    FirefoxCsv,
    /// Safari and macOS Passwords: `Title,URL,Username,Password,Notes,OTPAuth`.
    SafariCsv,
    /// Bitwarden's CSV export.
    BitwardenCsv,
    /// LastPass: `url,username,password,totp,extra,name,grouping,fav`.
    LastPassCsv,
    /// 1Password's CSV export (Windows and Mac).
    OnePasswordCsv,
    /// KeePassXC: `Group,Title,Username,Password,URL,Notes,TOTP,...`.
    KeePassXcCsv,
    /// Bitwarden's JSON export, plain or password-protected.
    BitwardenJson,
    /// KeePass 2 XML.
    KeePassXml,
    /// KeePass KDBX 3.1 or 4.x.
    Kdbx,
    /// This product's plain JSON export.
    Json,
    /// This product's encrypted export.
    Spmx,
}

impl Format {
    /// Every format, in the order detection reports them.
    pub const ALL: &'static [Format] = &[
        Format::Spmx,
        Format::Kdbx,
        Format::KeePassXml,
        Format::BitwardenJson,
        Format::Json,
        Format::BitwardenCsv,
        Format::ChromeCsv,
        Format::FirefoxCsv,
        Format::SafariCsv,
        Format::LastPassCsv,
        Format::OnePasswordCsv,
        Format::KeePassXcCsv,
        Format::GenericCsv,
    ];

    /// The short name used by `--format`, in reports and in history.
    pub fn name(self) -> &'static str {
        match self {
            Format::GenericCsv => "csv",
            Format::ChromeCsv => "chrome-csv",
            Format::FirefoxCsv => "firefox-csv",
            Format::SafariCsv => "safari-csv",
            Format::BitwardenCsv => "bitwarden-csv",
            Format::LastPassCsv => "lastpass-csv",
            Format::OnePasswordCsv => "1password-csv",
            Format::KeePassXcCsv => "keepassxc-csv",
            Format::BitwardenJson => "bitwarden-json",
            Format::KeePassXml => "keepass-xml",
            Format::Kdbx => "kdbx",
            Format::Json => "json",
            Format::Spmx => "spmx",
        }
    }

    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Format::GenericCsv => "CSV (columns chosen by hand)",
            Format::ChromeCsv => "Chrome / Edge / Brave CSV",
            Format::FirefoxCsv => "Firefox CSV",
            Format::SafariCsv => "Safari CSV",
            Format::BitwardenCsv => "Bitwarden CSV",
            Format::LastPassCsv => "LastPass CSV",
            Format::OnePasswordCsv => "1Password CSV",
            Format::KeePassXcCsv => "KeePassXC CSV",
            Format::BitwardenJson => "Bitwarden JSON",
            Format::KeePassXml => "KeePass 2 XML",
            Format::Kdbx => "KeePass database (KDBX)",
            Format::Json => "Secure Password Manager JSON",
            Format::Spmx => "Secure Password Manager encrypted export (.spmx)",
        }
    }

    /// Whether the format is one of the CSV dialects.
    pub fn is_csv(self) -> bool {
        matches!(
            self,
            Format::GenericCsv
                | Format::ChromeCsv
                | Format::FirefoxCsv
                | Format::SafariCsv
                | Format::BitwardenCsv
                | Format::LastPassCsv
                | Format::OnePasswordCsv
                | Format::KeePassXcCsv
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "{s:?} is not a known format; use one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// An older password of an imported entry (Bitwarden's password history,
/// KeePass history versions).
#[derive(Clone)]
pub struct PastPassword {
    /// The password it had.
    pub password: SecretString,
    /// When it stopped being the password, Unix seconds (0 if unknown).
    pub changed_at: i64,
    /// Why and by whom it was changed, when the file says (our own
    /// exports); otherwise the history records `import`.
    pub reason: Option<(RotationReason, Actor)>,
}

impl fmt::Debug for PastPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PastPassword")
            .field("changed_at", &self.changed_at)
            .finish_non_exhaustive()
    }
}

/// One entry read from a file.
#[derive(Debug, Clone)]
pub struct ImportedEntry {
    /// The entry as it will be stored. Its uuid is nil unless the file is a
    /// copy of a vault (our own exports, KDBX) and carries a stable id to
    /// merge by; `created_at`/`updated_at` are 0 when the file has none.
    pub entry: Entry,
    /// Older passwords, oldest first.
    pub history: Vec<PastPassword>,
    /// Where in the file it came from: `line 12`, `item 3 "Gmail"`.
    pub location: String,
}

/// Something in the file that will not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Where in the file: `line 12`, `item 3 "Gmail"`.
    pub location: String,
    /// Why, in a sentence a user can act on.
    pub reason: String,
}

/// What a reader made of a file.
#[derive(Debug)]
pub struct Parsed {
    /// The format it was read as.
    pub format: Format,
    /// What will be imported, in file order.
    pub entries: Vec<ImportedEntry>,
    /// What will not be, with reasons.
    pub skipped: Vec<Skipped>,
    /// Things the user should know that did not stop anything (a
    /// conversion from Windows-1252, an unknown TOTP convention).
    pub warnings: Vec<String>,
    /// Categories the file names (folders, groups, collections), including
    /// empty ones.
    pub categories: Vec<String>,
    /// Colors of those categories, where the file has them (`#rrggbb`).
    pub category_colors: Vec<(String, String)>,
    /// Entries the file records as deleted (KeePass `DeletedObjects`, our
    /// own exports), by uuid, with the time of deletion: merging moves them
    /// to the trash here too.
    pub deleted: Vec<(uuid::Uuid, i64)>,
}

impl Parsed {
    /// An empty result for `format`.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            entries: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            categories: Vec::new(),
            category_colors: Vec::new(),
            deleted: Vec::new(),
        }
    }
}

/// The key to a protected file: its password and/or key file. An empty
/// password (`Some("")`) and no password (`None`) are different keys.
#[derive(Default)]
pub struct FileKey {
    /// The file's password, if it has one.
    pub password: Option<SecretString>,
    /// A key file, for KDBX files that use one.
    pub key_file: Option<PathBuf>,
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKey")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file)
            .finish()
    }
}

/// Why a file could not be read. Messages name the file and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No reader recognised the file.
    #[error(
        "{path} is not in a format this program knows (tried: {tried}); \
         if it is a CSV, import it with --format csv and choose its columns"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The formats tried, comma separated.
        tried: String,
    },
    /// The file is protected and no password or key file was given.
    #[error("{path} is protected: give its password{key_file_hint}")]
    NeedsKey {
        /// The file.
        path: PathBuf,
        /// ", or its key file with --key-file" where that applies.
        key_file_hint: &'static str,
    },
    /// The password or key file does not open the file.
    #[error("the password or key file does not open {path}; check them and try again")]
    WrongKey {
        /// The file.
        path: PathBuf,
    },
    /// A format we recognise but do not read (KDBX 2, KeePass 1).
    #[error("{path}: {what} is not supported; {advice}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What it is.
        what: String,
        /// What to do instead.
        advice: String,
    },
    /// The file is damaged or not what it claims to be.
    #[error("{path} is damaged or not a valid {format} file: {detail}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// What is wrong, with a line or item when known.
        detail: String,
    },
    /// The file is not UTF-8 and could not be converted.
    #[error("{path} is not UTF-8 text ({detail}); save it as UTF-8 and import it again")]
    Encoding {
        /// The file.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// Writing an export failed.
    #[error("cannot write {path}: {detail}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        detail: String,
    },
}

/// The most a reader takes into memory at once. Far above any export (a
/// vault of 100,000 entries exports to a small fraction of it); it keeps an
/// endless file (`/dev/zero`, a pipe that never closes) from growing memory
/// until the machine gives out (reading it costs about twice this, briefly).
pub(crate) const MAX_FILE_BYTES: u64 = 512 << 20;

/// A whole file, up to `limit` bytes; beyond that it is refused as not a
/// `format` file. The buffer is wiped when dropped.
pub(crate) fn read_whole(
    path: &Path,
    format: &'static str,
    limit: u64,
) -> Result<Zeroizing<Vec<u8>>, ExchangeError> {
    let read_error = |source| ExchangeError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize + 1));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(ExchangeError::Malformed {
            path: path.to_owned(),
            format,
            detail: format!(
                "it goes on past {} MiB, more than any such file holds",
                limit >> 20
            ),
        });
    }
    Ok(bytes)
}

/// How many bytes of a file detection looks at.
const SNIFF_BYTES: usize = 8192;

/// Works out a file's format from its first bytes, then its extension.
pub fn detect(path: &Path) -> Result<Format, ExchangeError> {
    let read_error = |source| ExchangeError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    loop {
        let n = file.read(&mut head[filled..]).map_err(read_error)?;
        filled += n;
        if n == 0 || filled == head.len() {
            break;
        }
    }
    head.truncate(filled);

    let found = native::sniff(&head)
        .or_else(|| keepass::sniff(&head))
        .or_else(|| bitwarden::sniff(&head).then_some(Format::BitwardenJson))
        .or_else(|| csv::sniff(&head));
    if let Some(format) = found {
        return Ok(format);
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("kdb") => Err(ExchangeError::Unsupported {
            path: path.to_owned(),
            what: "a KeePass 1 (.kdb) database".to_owned(),
            advice: "open it in KeePassXC, save it as KDBX 4, and import that file".to_owned(),
        }),
        Some("csv") | Some("tsv") | Some("txt") => Ok(Format::GenericCsv),
        _ => Err(ExchangeError::UnknownFormat {
            path: path.to_owned(),
            tried: Format::ALL
                .iter()
                .map(|f| f.label())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Reads `path` as `format`. `key` opens protected files (KDBX, Bitwarden's
/// password-protected JSON, `.spmx`); `mapping` is the column choice for a
/// generic CSV; `progress` hears how many bytes have been read.
pub fn read(
    path: &Path,
    format: Format,
    key: &FileKey,
    mapping: Option<&csv::Mapping>,
    progress: &mut dyn FnMut(u64),
) -> Result<Parsed, ExchangeError> {
    let mut parsed = match format {
        f if f.is_csv() => csv::read(path, f, mapping, progress)?,
        Format::BitwardenJson => bitwarden::read(path, key)?,
        Format::KeePassXml => keepass::read_xml(path)?,
        Format::Kdbx => keepass::read_kdbx(path, key)?,
        Format::Json | Format::Spmx => {
            let bytes = read_whole(path, format.label(), MAX_FILE_BYTES)?;
            if format == Format::Json {
                native::parse_json(path, &bytes, format)?
            } else {
                native::parse_spmx(path, &bytes, key.password.as_ref())?
            }
        }
        _ => unreachable!("every CSV dialect is handled above"),
    };
    for imported in &mut parsed.entries {
        fill_title(&mut imported.entry);
    }
    Ok(parsed)
}

/// Whether a file of this format needs a password (or key file) before it
/// can be read.
pub fn needs_key(path: &Path, format: Format) -> Result<bool, ExchangeError> {
    Ok(match format {
        Format::Kdbx | Format::Spmx => true,
        Format::BitwardenJson => bitwarden::is_password_protected(path)?,
        _ => false,
    })
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Encrypted, everything: `.spmx`.
    Spmx,
    /// KeePass KDBX 4, under its own password.
    Kdbx,
    /// Plain CSV with Bitwarden's columns (no history).
    Csv,
    /// Plain JSON with everything.
    Json,
}

impl ExportFormat {
    /// Every export format.
    pub const ALL: &'static [ExportFormat] = &[
        ExportFormat::Spmx,
        ExportFormat::Kdbx,
        ExportFormat::Csv,
        ExportFormat::Json,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Spmx => "spmx",
            ExportFormat::Kdbx => "kdbx",
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    /// Whether the output is readable by anyone who gets the file.
    pub fn is_plaintext(self) -> bool {
        matches!(self, ExportFormat::Csv | ExportFormat::Json)
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// What the window calls it.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Spmx => "Encrypted export (.spmx), everything",
            ExportFormat::Kdbx => "KeePass database (.kdbx), opens in KeePassXC",
            ExportFormat::Csv => "Plain CSV (Bitwarden columns), NOT encrypted",
            ExportFormat::Json => "Plain JSON, everything, NOT encrypted",
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("{s:?} is not one of: spmx, kdbx, csv, json"))
    }
}

/// Writes `data` to `path` as `format`, atomically and readable by the owner
/// only. `key.password` is the export's passphrase (`.spmx`, KDBX).
pub fn write(
    path: &Path,
    format: ExportFormat,
    data: &ExportData,
    key: &FileKey,
) -> Result<(), ExchangeError> {
    let fail = |detail: String| ExchangeError::Write {
        path: path.to_owned(),
        detail,
    };
    let needs_passphrase = || {
        key.password
            .as_ref()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| fail("an encrypted export needs a passphrase".to_owned()))
    };
    let bytes: Zeroizing<Vec<u8>> = match format {
        ExportFormat::Json => native::to_json(data),
        ExportFormat::Spmx => Zeroizing::new(
            native::to_spmx(data, needs_passphrase()?, &KdfParams::default()).map_err(fail)?,
        ),
        ExportFormat::Csv => {
            let mut out = Zeroizing::new(Vec::new());
            csv::write(&mut *out, data).map_err(|e| fail(e.to_string()))?;
            out
        }
        ExportFormat::Kdbx => {
            needs_passphrase()?;
            let mut out = Zeroizing::new(Vec::new());
            keepass::write_kdbx(&mut *out, data, key)?;
            out
        }
    };
    crate::core::fsio::write_atomic(path, &bytes).map_err(|e| fail(e.to_string()))
}

/// The host of a URL (`https://mail.example.com/x` -> `mail.example.com`),
/// lower case, without user info or port. Bare hosts (`example.com/login`)
/// count too.
pub fn host_of(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None if url.contains(char::is_whitespace) => return None,
        None => url,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Gives an entry without a title one: the host of its first URL, else its
/// username, else "Untitled". Files from other managers often have empty
/// titles, and every entry here needs one.
pub fn fill_title(entry: &mut Entry) {
    if !entry.title.is_blank() {
        return;
    }
    let from_url = entry.urls.iter().find_map(|u| host_of(u.expose()));
    entry.title = match from_url {
        Some(host) => host.into(),
        None if !entry.username.is_blank() => entry.username.clone(),
        None => "Untitled".into(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_handles_the_shapes_exports_contain() {
        assert_eq!(
            host_of("https://Mail.Example.com/x?y").as_deref(),
            Some("mail.example.com")
        );
        assert_eq!(
            host_of("http://user:pw@example.com:8080/").as_deref(),
            Some("example.com")
        );
        assert_eq!(host_of("example.com/login").as_deref(), Some("example.com"));
        assert_eq!(host_of("https://[::1]:43110/").as_deref(), Some("::1"));
        assert_eq!(host_of("not a url"), None);
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn untitled_entries_take_the_host_then_the_username() {
        let mut e = Entry {
            urls: vec!["https://www.example.org/login".into()],
            ..Default::default()
        };
        fill_title(&mut e);
        assert_eq!(e.title.expose(), "www.example.org");

        let mut e = Entry {
            username: "jo".into(),
            ..Default::default()
        };
        fill_title(&mut e);
        assert_eq!(e.title.expose(), "jo");

        let mut e = Entry::default();
        fill_title(&mut e);
        assert_eq!(e.title.expose(), "Untitled");
    }

    #[test]
    fn an_endless_file_is_refused_at_the_limit_not_read_forever() {
        let error = read_whole(Path::new("/dev/zero"), "test", 1 << 20).unwrap_err();
        assert!(error.to_string().contains("goes on past 1 MiB"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("small");
        std::fs::write(&file, b"abc").unwrap();
        assert_eq!(&read_whole(&file, "test", 3).unwrap()[..], b"abc");
        assert!(read_whole(&file, "test", 2).is_err());
    }

    #[test]
    fn formats_parse_from_their_names() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), *format);
        }
        assert!(
            "xls"
                .parse::<Format>()
                .unwrap_err()
                .contains("bitwarden-json")
        );
    }
}
