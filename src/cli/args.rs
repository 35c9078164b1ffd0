//! The command line's grammar (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  error (the message says what failed and what to do)
  2  usage error (a flag or value is wrong)
  3  authentication failed (wrong master password or key file, or a missing key file)
  4  locked out after repeated failures (the message says for how long)
  5  the vault is open for writing in another process
  6  audit: findings that need attention (weak, reused, breached, ...)

Secrets are never taken from the command line. On a terminal they are asked
for without echo. When standard input is not a terminal, each secret the
command needs is one line of it, in order: the master password first, then
(for add and edit) the entry's password, then the TOTP URI when --totp is
given as -, then each --hidden-field value; for import and merge, the
file's password; for export, the export passphrase; for backup --encrypt,
the new backup passphrase; for verify-backup of an encrypted (.zip.enc)
archive, the backup passphrase (the only line, as it needs no master
password).";

/// Secure Password Manager: an encrypted, local-first password vault.
#[derive(Debug, Parser)]
#[command(name = "password-manager", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Keep every file in DIR (portable mode; overrides PASSWORD_MANAGER_HOME).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub data_dir: Option<PathBuf>,

    /// Key file: joins the master password at init (key protection) and is
    /// needed to unlock such a vault.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Global options"
    )]
    pub key_file: Option<PathBuf>,

    /// Refetch every breach-cache entry the vault needs (the same as
    /// `breach refresh`).
    #[arg(long, help_heading = "Global options")]
    pub refresh_breach_cache: bool,

    /// What to do; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault.
    Init(InitArgs),
    /// Add an entry.
    Add(AddArgs),
    /// List entries (live ones unless --trash).
    List(ListArgs),
    /// Show one entry.
    Show(ShowArgs),
    /// Change an entry.
    Edit(EditArgs),
    /// Move an entry to the trash.
    Rm(IdArg),
    /// Restore a backup archive (`restore FILE`), or bring an entry back
    /// from the trash (`restore ID`).
    Restore(RestoreArgs),
    /// Manage the trash.
    #[command(subcommand)]
    Trash(TrashCommand),
    /// Show an entry's previous passwords.
    History(ShowArgs),
    /// Generate a password or passphrase (no vault needed).
    Generate(GenerateArgs),
    /// Read or change settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Check the vault's health (no master password needed).
    Doctor(JsonArg),
    /// Print where every file lives.
    Paths(JsonArg),
    /// List the categories with their colors and entry counts.
    Categories(JsonArg),
    /// Import a file from another password manager (or an export of ours).
    Import(ImportArgs),
    /// Merge a copy of this vault (.spmx, .json or .kdbx export) by entry id.
    Merge(MergeArgs),
    /// Export the vault (encrypted .spmx or .kdbx; plain CSV or JSON).
    Export(ExportArgs),
    /// Run the security audit (exit status 6 when something needs fixing).
    Audit(AuditArgs),
    /// Manage the breach-check cache.
    #[command(subcommand)]
    Breach(BreachCommand),
    /// The Browser Bridge: serve it without a window, pair browsers,
    /// review tokens and approvals.
    #[command(subcommand)]
    Bridge(BridgeCommand),
    /// Change the master password (asks for the current one, then the new
    /// one); revokes every browser bridge token.
    Passwd,
    /// Argon2id tuning: time it on this machine, or re-derive the vault's
    /// keys with new parameters.
    #[command(subcommand)]
    Kdf(KdfCommand),
    /// Key management: rotate the data key, switch the key mode, turn key
    /// file protection on or off.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Two-factor codes: entries' codes, and two-factor unlock.
    #[command(subcommand)]
    Totp(TotpCommand),
    /// Write a signed, checksummed backup archive of the vault.
    Backup(BackupArgs),
    /// Check a backup archive: checksum, signatures, decryption, paths, sizes, manifest,
    /// database.
    VerifyBackup(VerifyBackupArgs),
    /// Open the window (what running without a command does).
    Gui,
}

/// `init` flags.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where the data key comes from: file-key (a random key wrapped in
    /// secret.key) or password-derived (no key file on disk).
    #[arg(long, value_name = "MODE")]
    pub key_mode: Option<String>,
    /// Argon2id memory in KiB (at least 19456).
    #[arg(long, value_name = "KIB")]
    pub kdf_memory: Option<u32>,
    /// Argon2id passes (at least 2).
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes.
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
}

/// Entry fields shared by `add` and `edit`.
#[derive(Debug, Args, Default)]
pub struct EntryFields {
    /// Username or login name.
    #[arg(long)]
    pub username: Option<String>,
    /// Address; repeat for several (the first is the primary one). In
    /// `edit`, the URLs given replace the old list.
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Category name (created if new; "" for none).
    #[arg(long)]
    pub category: Option<String>,
    /// Tag; repeat for several. In `edit`, the tags given replace the old ones.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Date the password should be changed by (YYYY-MM-DD; "never" clears it).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
    /// otpauth:// URI for two-factor codes; "-" reads it like a secret.
    #[arg(long, value_name = "URI")]
    pub totp: Option<String>,
    /// Custom field shown in clear; repeat for several.
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// Hidden custom field; its value is read like a secret.
    #[arg(long = "hidden-field", value_name = "NAME")]
    pub hidden_fields: Vec<String>,
    /// Generate the password instead of reading it (default length 20).
    #[arg(
        long,
        value_name = "LENGTH",
        num_args = 0..=1,
        default_missing_value = "20",
        value_parser = parse_length
    )]
    pub generate: Option<usize>,
}

/// `add` flags.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Site or app name.
    #[arg(long)]
    pub title: String,
    /// Mark as a favorite.
    #[arg(long)]
    pub favorite: bool,
    #[command(flatten)]
    pub fields: EntryFields,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `edit` flags.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// Entry id (from `list`) or exact title.
    pub id: String,
    /// New title.
    #[arg(long)]
    pub title: Option<String>,
    /// Read a new password (like a secret).
    #[arg(long, conflicts_with = "generate")]
    pub password: bool,
    /// Mark as a favorite.
    #[arg(long, conflicts_with = "no_favorite")]
    pub favorite: bool,
    /// Remove the favorite mark.
    #[arg(long)]
    pub no_favorite: bool,
    /// Remove a custom field; repeat for several.
    #[arg(long = "remove-field", value_name = "NAME")]
    pub remove_fields: Vec<String>,
    /// Why the password changes: manual, expiry, breach, strength or import.
    #[arg(long, default_value = "manual")]
    pub reason: String,
    #[command(flatten)]
    pub fields: EntryFields,
}

/// `list` flags.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only favorites.
    #[arg(long)]
    pub favorites: bool,
    /// Only passwords that expire within DAYS days (and have not yet).
    #[arg(long, value_name = "DAYS")]
    pub expiring: Option<u32>,
    /// Only expired passwords.
    #[arg(long)]
    pub expired: bool,
    /// List the trash instead.
    #[arg(long)]
    pub trash: bool,
    /// Only entries containing every word of TEXT, in any case, in the title,
    /// username, URLs, notes or tags.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `show` and `history` flags.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Entry id (from `list`) or exact title.
    pub id: String,
    /// Print passwords and hidden fields.
    #[arg(long)]
    pub reveal: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A single entry id.
#[derive(Debug, Args)]
pub struct IdArg {
    /// Entry id (from `list`) or exact title.
    pub id: String,
}

/// `restore` flags.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup archive (`backup_….zip`), or an entry id or exact title to
    /// bring back from the trash. An existing file ending in `.zip` or
    /// `.zip.enc` is a backup.
    pub target: String,
    /// Restore into DIR (a portable data directory) instead of this
    /// vault's directories: the runbook's restore drill.
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// The signing key to check the backup against (default: the target's
    /// backup_signing.pub, if it has one).
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// Replace an existing vault without asking (required when not on a
    /// terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `trash` subcommands.
#[derive(Debug, Subcommand)]
pub enum TrashCommand {
    /// Bring an entry back from the trash.
    Restore(IdArg),
    /// Delete every entry in the trash for good.
    Empty(YesArg),
    /// Delete one trashed entry for good.
    Purge {
        /// Entry id (from `list --trash`) or exact title.
        id: String,
        #[command(flatten)]
        yes: YesArg,
    },
}

/// Skips the confirmation question.
#[derive(Debug, Args)]
pub struct YesArg {
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `generate` flags.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of characters.
    #[arg(long, default_value_t = crate::core::generator::DEFAULT_LENGTH)]
    pub length: usize,
    /// Leave out symbols.
    #[arg(long)]
    pub no_symbols: bool,
    /// Leave out digits.
    #[arg(long)]
    pub no_digits: bool,
    /// Leave out look-alike characters (I, l, 1, O, 0, …).
    #[arg(long)]
    pub exclude_ambiguous: bool,
    /// Make a passphrase of WORDS words instead.
    #[arg(
        long,
        value_name = "WORDS",
        conflicts_with_all = ["length", "no_symbols", "no_digits", "exclude_ambiguous"]
    )]
    pub passphrase: Option<usize>,
    /// Separator between passphrase words.
    #[arg(long, default_value = "-", requires = "passphrase")]
    pub separator: String,
}

/// `settings` subcommands.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print a setting or section (all settings without KEY).
    Get {
        /// Dotted key, e.g. clipboard.auto_clear_seconds.
        key: Option<String>,
    },
    /// Change a setting.
    Set {
        /// Dotted key, e.g. clipboard.auto_clear_seconds.
        key: String,
        /// New value: JSON (true, 30, "text") or plain text.
        value: String,
    },
}

/// Flags shared by `import` and `merge`.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The file to read.
    pub file: PathBuf,
    /// Read it as this format instead of detecting it: csv, chrome-csv,
    /// firefox-csv, safari-csv, bitwarden-csv, lastpass-csv, 1password-csv,
    /// keepassxc-csv, bitwarden-json, keepass-xml, kdbx, json, spmx.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// The file's own key file (KDBX). When the vault itself uses a key
    /// file, give the vault's with --key-file and this one with
    /// --import-key-file; otherwise --key-file names this one.
    #[arg(long, value_name = "PATH")]
    pub import_key_file: Option<PathBuf>,
    /// The file has no password, only a key file (KDBX). An empty password
    /// is a different key.
    #[arg(long)]
    pub no_file_password: bool,
    /// Show what would happen, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `import` flags.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// What to do with an entry that has the same username on the same host
    /// as one in the vault: skip, update or keep-both.
    #[arg(long, value_name = "POLICY", default_value = "skip")]
    pub on_duplicate: String,
    /// For a CSV: which column holds a field, by header name; repeat
    /// (`--column title=Name --column url=Address`). Fields: title,
    /// username, password, url, notes, totp, category.
    #[arg(long, value_name = "FIELD=HEADER")]
    pub column: Vec<String>,
}

/// `merge` flags.
#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub source: SourceArgs,
}

/// `audit` flags.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// Skip the breach checks.
    #[arg(long)]
    pub no_breach: bool,
    /// Check breaches against this Pwned Passwords file (`HASH:COUNT` lines
    /// sorted by hash) instead of the network.
    #[arg(long, value_name = "FILE")]
    pub offline: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report to PATH (no passwords, no hashes).
    #[arg(long, value_name = "PATH")]
    pub export: Option<PathBuf>,
    /// Format of --export: json or csv.
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "json",
        requires = "export"
    )]
    pub format: String,
    /// Replace the --export file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Exclude an entry from a rule, or include it again.
    #[command(subcommand)]
    pub action: Option<AuditAction>,
}

/// `backup` flags.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    /// `backup status`.
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// Write the archive into DIR (default: the backups directory).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Include the log files.
    #[arg(long)]
    pub include_logs: bool,
    /// Include breach_cache.json.
    #[arg(long)]
    pub include_breach_cache: bool,
    /// Encrypt the archive under a backup passphrase (asked for after the
    /// master password) into backup_….zip.enc.
    #[arg(long)]
    pub encrypt: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `backup` subcommands.
#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// The newest backup in the backups directory: time, size, and whether
    /// it verifies (the runbook's daily check; exit 1 when it does not).
    Status {
        /// Look in DIR instead of the backups directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Keep the newest backup of each of the last backup.keep_daily days,
    /// keep_weekly weeks and keep_monthly months; delete the rest with
    /// their side files.
    Prune {
        /// Look in DIR instead of the backups directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Only show what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `verify-backup` flags.
#[derive(Debug, Args)]
pub struct VerifyBackupArgs {
    /// The backup archive (`backup_….zip`, or `backup_….zip.enc`, which asks
    /// for its backup passphrase).
    pub file: PathBuf,
    /// The signing key to check against (default: this vault's
    /// backup_signing.pub).
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// Also open the vault inside with its master password (and the
    /// global --key-file, if it needs one) and count its entries.
    #[arg(long)]
    pub unlock: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `bridge` subcommands.
#[derive(Debug, Subcommand)]
pub enum BridgeCommand {
    /// Unlock the vault and serve the bridge until stopped (for headless
    /// machines). Approval prompts are asked on the terminal, or read one
    /// line each from standard input after the master password
    /// (once, remember, deny, never).
    Serve {
        /// Listen on PORT instead of browser_bridge.port (0: any free port,
        /// printed on the first line).
        #[arg(long, value_name = "PORT")]
        port: Option<u16>,
        /// Deny every origin without a remembered decision instead of asking.
        #[arg(long)]
        deny_unremembered: bool,
    },
    /// Open a pairing window and print its 6-digit code.
    Pair {
        /// Print the code as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List paired browsers' tokens (never the tokens themselves).
    Tokens {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one token, or every token.
    Revoke {
        /// The token's id (from `bridge tokens`).
        #[arg(required_unless_present = "all")]
        id: Option<String>,
        /// Revoke every token.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// List remembered approvals, or approve an origin ahead of time.
    Approvals {
        /// `allow ORIGIN`.
        #[command(subcommand)]
        action: Option<ApprovalsAction>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Forget the remembered decision for an origin.
    Forget {
        /// The page origin (`https://example.com`).
        origin: String,
    },
}

/// `bridge approvals` subcommands.
#[derive(Debug, Subcommand)]
pub enum ApprovalsAction {
    /// Remember an approval for ORIGIN before any request.
    Allow {
        /// The page origin (`https://example.com`).
        origin: String,
    },
}

/// `breach` subcommands.
#[derive(Debug, Subcommand)]
pub enum BreachCommand {
    /// Refetch every prefix the vault's passwords need, fresh or not.
    Refresh,
}

/// `totp …`.
#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Print an entry's current two-factor code and the seconds it has left.
    Code {
        /// Entry id (from `list`) or exact title.
        id: String,
        /// The code at UNIX_SECONDS instead of now.
        #[arg(long, value_name = "UNIX_SECONDS")]
        at: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn two-factor unlock on: shows a new secret (QR code on a
    /// terminal, otpauth URI and key), asks for the code the app shows,
    /// then prints ten single-use recovery codes once.
    Enable {
        /// The account name the authenticator app shows (default: your
        /// login name).
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
    },
    /// Turn two-factor unlock off (needs the master password and a code or
    /// a recovery code).
    Disable,
    /// Whether two-factor unlock is on, and how many recovery codes are left
    /// (no master password needed).
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `kdf …`.
#[derive(Debug, Subcommand)]
pub enum KdfCommand {
    /// Time Argon2id here and recommend the most passes that keep an unlock
    /// within the target time (no vault needed).
    Benchmark(KdfBenchmarkArgs),
    /// Re-derive the vault's keys with new Argon2id parameters under the
    /// same master password (asks for it, and for a two-factor code when
    /// that is on).
    Apply(KdfApplyArgs),
}

/// `kdf benchmark` flags.
#[derive(Debug, Args)]
pub struct KdfBenchmarkArgs {
    /// Unlock time to aim for, 100–5000 ms (default:
    /// key_management.benchmark_target_ms).
    #[arg(long, value_name = "MS")]
    pub target_ms: Option<u32>,
    /// Memory to measure at, in MiB (at least 19; default 64).
    #[arg(long, value_name = "N")]
    pub memory_mib: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `kdf apply` flags: explicit parameters (each one left out stays as it
/// is), or `--recommended`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("choice")
        .required(true)
        .multiple(true)
        .args(["memory_mib", "iterations", "parallelism", "recommended"])
))]
pub struct KdfApplyArgs {
    /// Memory in MiB (at least 19); with --recommended, the memory the
    /// benchmark measures at (default 64).
    #[arg(long, value_name = "N")]
    pub memory_mib: Option<u32>,
    /// Passes (at least 2).
    #[arg(long, value_name = "N")]
    pub iterations: Option<u32>,
    /// Lanes (1–64).
    #[arg(long, value_name = "N")]
    pub parallelism: Option<u32>,
    /// Run `kdf benchmark` first and apply what it recommends.
    #[arg(long, conflicts_with_all = ["iterations", "parallelism"])]
    pub recommended: bool,
    /// With --recommended: the unlock time to aim for, 100–5000 ms.
    #[arg(long, value_name = "MS", requires = "recommended")]
    pub target_ms: Option<u32>,
}

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Re-encrypt every record under a new random data key (new salt and
    /// backup signing key too); backups made before still open with the
    /// old key.
    Rotate {
        /// Also delete the backups made before the rotation (with their
        /// side files).
        #[arg(long)]
        prune_old_backups: bool,
    },
    /// Switch the key mode: `password-derived` moves every record to the
    /// key the master password derives; `file-key` keeps the data key in
    /// `secret.key` (no record changes).
    Mode {
        /// file-key or password-derived.
        #[arg(value_parser = ["file-key", "password-derived"])]
        mode: String,
    },
    /// Turn key protection on: the file given with the global --key-file
    /// joins the master password from now on (file-key mode).
    Protect,
    /// Turn key protection off (give the key file in use with --key-file).
    Unprotect,
}

/// `audit exclude` / `audit include`.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Leave an entry out of one rule's findings (a PIN that must stay short).
    Exclude {
        /// The entry.
        id: String,
        /// weak, reused, duplicate, expired, expiring, old, breached,
        /// breach_unknown or insecure_url.
        rule: String,
    },
    /// Count an excluded entry again.
    Include {
        /// The entry.
        id: String,
        /// The rule.
        rule: String,
    },
}

/// `export` flags.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// spmx (encrypted, everything), kdbx (KeePass 4), csv or json (plain).
    #[arg(long, value_name = "FORMAT")]
    pub format: String,
    /// Where to write it.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: PathBuf,
    /// Include the entries in the trash (spmx, kdbx, json).
    #[arg(long)]
    pub include_trash: bool,
    /// Confirm that a plain CSV or JSON file, readable by anyone who gets
    /// it, is wanted.
    #[arg(long)]
    pub plaintext_ok: bool,
    /// Replace PATH if it exists.
    #[arg(long)]
    pub force: bool,
}

/// A `--json` flag alone.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses `--generate`'s optional length, with a hint for the common slip
/// of writing the entry id after `--generate`.
fn parse_length(text: &str) -> Result<usize, String> {
    text.parse().map_err(|_| {
        format!(
            "{text:?} is not a length; put the entry id before --generate, or write \
             --generate=LENGTH"
        )
    })
}
