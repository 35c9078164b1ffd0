//! `import`, `merge` and `export`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::cli::UsageError;
use crate::cli::args::{ExportArgs, ImportArgs, MergeArgs, SourceArgs};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, note, say};
use crate::core::events;
use crate::core::exchange::{self, ExportFormat, FileKey, Format, Skipped, csv::Mapping};
use crate::core::secret::SecretString;
use crate::core::vault::{self, DuplicatePolicy, ImportPlan, Vault};
use crate::event;

/// `import`.
pub fn import(ctx: &mut Ctx, args: ImportArgs) -> anyhow::Result<()> {
    let policy: DuplicatePolicy = args.on_duplicate.parse().map_err(UsageError)?;
    let format = source_format(&args.source)?;
    let mapping = if format.is_csv() {
        Some(csv_mapping(&args.source.file, format, &args.column)?)
    } else {
        if !args.column.is_empty() {
            bail!(UsageError("--column applies to CSV files only".into()));
        }
        None
    };
    run(ctx, &args.source, format, policy, mapping.as_ref())
}

/// `merge`: an import restricted to copies of this vault.
pub fn merge(ctx: &mut Ctx, args: MergeArgs) -> anyhow::Result<()> {
    let format = source_format(&args.source)?;
    if !matches!(format, Format::Spmx | Format::Json | Format::Kdbx) {
        bail!(UsageError(format!(
            "merge takes a copy of this vault (an .spmx, .json or .kdbx export); {} is {}. \
             Use `import` for files from other programs",
            args.source.file.display(),
            format.label()
        )));
    }
    // Entries the other copy added are new here: keep them all.
    run(ctx, &args.source, format, DuplicatePolicy::KeepBoth, None)
}

fn source_format(source: &SourceArgs) -> anyhow::Result<Format> {
    match &source.format {
        Some(name) => Ok(name.parse().map_err(UsageError)?),
        None => Ok(exchange::detect(&source.file)?),
    }
}

/// The column mapping of a CSV: the dialect's own for known dialects, else
/// guessed from the header names and adjusted by `--column`.
fn csv_mapping(path: &Path, format: Format, columns: &[String]) -> anyhow::Result<Mapping> {
    if format != Format::GenericCsv {
        if !columns.is_empty() {
            bail!(UsageError(format!(
                "--column applies to generic CSV files; this one was read as {} \
                 (add --format csv to choose columns yourself)",
                format.label()
            )));
        }
        return Ok(Mapping::default());
    }
    let headers = exchange::csv::headers(path)?;
    let mut mapping = exchange::csv::guess_mapping(&headers);
    for choice in columns {
        let Some((field, header)) = choice.split_once('=') else {
            bail!(UsageError(format!(
                "--column {choice:?} should look like title=Name"
            )));
        };
        let index = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(header.trim()))
            .ok_or_else(|| {
                UsageError(format!(
                    "the file has no column named {header:?}; its columns are: {}",
                    headers.join(", ")
                ))
            })?;
        let slot = match field.trim() {
            "title" => &mut mapping.title,
            "username" => &mut mapping.username,
            "password" => &mut mapping.password,
            "url" => &mut mapping.url,
            "notes" => &mut mapping.notes,
            "totp" => &mut mapping.totp,
            "category" => &mut mapping.category,
            other => bail!(UsageError(format!(
                "--column: {other:?} is not one of title, username, password, url, notes, \
                 totp, category"
            ))),
        };
        *slot = Some(index);
    }
    if mapping.title.is_none() && mapping.url.is_none() {
        bail!(UsageError(format!(
            "a Title or a URL column is needed and none was recognised among: {}; \
             choose one with --column title=HEADER or --column url=HEADER",
            headers.join(", ")
        )));
    }
    Ok(mapping)
}

fn run(
    ctx: &mut Ctx,
    source: &SourceArgs,
    format: Format,
    policy: DuplicatePolicy,
    mapping: Option<&Mapping>,
) -> anyhow::Result<()> {
    let path = &source.file;
    let access = if source.dry_run {
        Access::Read
    } else {
        Access::Write
    };
    // The vault's key file, and the imported file's: see `SourceArgs`.
    let vault_uses_key_file = vault::needs_key_file(&ctx.paths);
    let file_key_file = match (&source.import_key_file, vault_uses_key_file) {
        (Some(file), _) => Some(file.clone()),
        (None, false) => ctx.key_file.take(),
        (None, true) => None,
    };
    let mut vault = ctx.unlock(access)?;
    let key = file_key(ctx, path, format, file_key_file, source.no_file_password)?;

    let parsed = exchange::read(path, format, &key, mapping, &mut |_| {})?;
    let read = parsed.entries.len();
    let plan = vault.plan_import(parsed, policy);
    if source.dry_run {
        report_plan(&plan, path, read, source.json);
        return Ok(());
    }
    let skipped_by_plan = plan.skipped();
    let report = vault.apply_import(plan)?;
    if source.json {
        output::print_json(&ResultJson {
            file: path,
            format: format.name(),
            dry_run: false,
            read,
            added: report.added,
            updated: report.updated,
            trashed: report.trashed,
            skipped: &skipped_by_plan,
            warnings: &report.warnings,
        });
        return Ok(());
    }
    say!(
        "Imported {} ({}): added {}, updated {}, skipped {}{}.",
        output::printable(&path.display().to_string()),
        format.label(),
        report.added,
        report.updated,
        report.skipped.len(),
        if report.trashed > 0 {
            format!(", moved {} to the trash", report.trashed)
        } else {
            String::new()
        }
    );
    print_skips_and_warnings(&report.skipped, &report.warnings);
    Ok(())
}

/// The key to a protected file: its password from the terminal or the
/// next stdin line, and its key file.
fn file_key(
    ctx: &mut Ctx,
    path: &Path,
    format: Format,
    key_file: Option<PathBuf>,
    no_password: bool,
) -> anyhow::Result<FileKey> {
    if !exchange::needs_key(path, format)? {
        return Ok(FileKey::default());
    }
    let password = if no_password {
        None
    } else {
        Some(
            ctx.input
                .secret("Password of the file to import", "file's password")?,
        )
    };
    Ok(FileKey { password, key_file })
}

#[derive(Serialize)]
struct ResultJson<'a> {
    file: &'a Path,
    format: &'static str,
    dry_run: bool,
    read: usize,
    added: usize,
    updated: usize,
    trashed: usize,
    skipped: &'a [Skipped],
    warnings: &'a [String],
}

fn report_plan(plan: &ImportPlan, path: &Path, read: usize, json: bool) {
    let (added, updated, _) = plan.counts();
    let skipped = plan.skipped();
    if json {
        output::print_json(&ResultJson {
            file: path,
            format: plan.format.name(),
            dry_run: true,
            read,
            added,
            updated,
            trashed: plan.trash.len(),
            skipped: &skipped,
            warnings: &plan.warnings,
        });
        return;
    }
    say!(
        "Dry run of {} ({}): would add {added}, update {updated}, skip {}{}. Nothing was written.",
        output::printable(&path.display().to_string()),
        plan.format.label(),
        skipped.len(),
        if plan.trash.is_empty() {
            String::new()
        } else {
            format!(", move {} to the trash", plan.trash.len())
        }
    );
    print_skips_and_warnings(&skipped, &plan.warnings);
}

fn print_skips_and_warnings(skipped: &[Skipped], warnings: &[String]) {
    if !skipped.is_empty() {
        say!("Skipped:");
        for skip in skipped {
            say!(
                "  {}: {}",
                output::printable(&skip.location),
                output::printable(&skip.reason)
            );
        }
    }
    for warning in warnings {
        note!("warning: {}", output::printable(warning));
    }
}

/// `export`.
pub fn export(ctx: &mut Ctx, args: ExportArgs) -> anyhow::Result<()> {
    let format: ExportFormat = args.format.parse().map_err(UsageError)?;
    if format.is_plaintext() && !args.plaintext_ok {
        bail!(UsageError(format!(
            "a {} export is not encrypted: anyone who gets the file can read every password. \
             Add --plaintext-ok to write it anyway, or use --format spmx",
            format.name().to_uppercase()
        )));
    }
    if format == ExportFormat::Csv && args.include_trash {
        bail!(UsageError(
            "CSV has no trash: leave out --include-trash, or export as spmx, kdbx or json".into()
        ));
    }
    if ctx.paths.holds(&args.output) {
        bail!(UsageError(format!(
            "{} is inside the vault's own directories, where an export could replace the \
             vault's files (and a copy of the data directory would carry it); choose a path \
             elsewhere",
            args.output.display()
        )));
    }
    // `symlink_metadata`: a dangling link is an existing name too.
    if args.output.symlink_metadata().is_ok() && !args.force {
        bail!(UsageError(format!(
            "{} already exists; choose another path or add --force to replace it",
            args.output.display()
        )));
    }

    let vault = ctx.unlock(Access::Read)?;
    let passphrase = if format.is_plaintext() {
        None
    } else {
        Some(export_passphrase(ctx, format)?)
    };
    write_export(&vault, format, &args, passphrase)
}

fn export_passphrase(ctx: &mut Ctx, format: ExportFormat) -> anyhow::Result<SecretString> {
    let what = match format {
        ExportFormat::Kdbx => "KDBX file's password",
        _ => "export passphrase",
    };
    let first = ctx.input.secret(&format!("New {what}"), what)?;
    if first.is_empty() {
        bail!(UsageError(format!("the {what} cannot be empty")));
    }
    if ctx.input.interactive() {
        let again = ctx.input.secret("Repeat it", what)?;
        if !first.ct_eq(&again) {
            bail!(UsageError(format!(
                "the two {what}s differ; nothing was written"
            )));
        }
    }
    Ok(first)
}

fn write_export(
    vault: &Vault,
    format: ExportFormat,
    args: &ExportArgs,
    passphrase: Option<SecretString>,
) -> anyhow::Result<()> {
    let (data, damaged) = vault.export_data(args.include_trash)?;
    if damaged > 0 {
        note!(
            "warning: {damaged} history records failed their integrity check and are not exported"
        );
    }
    let key = FileKey {
        password: passphrase,
        key_file: None,
    };
    exchange::write(&args.output, format, &data, &key)
        .with_context(|| format!("nothing was exported to {}", args.output.display()))?;
    event!(
        info,
        events::EXPORT_COMPLETED,
        "export as {}: {} entries",
        format.name(),
        data.entries.len()
    );
    say!(
        "Exported {} to {} ({}).",
        output::count(data.entries.len(), "entry", "entries"),
        output::printable(&args.output.display().to_string()),
        format.name()
    );
    if format.is_plaintext() {
        note!("warning: this file is not encrypted; delete it once it has been used");
    }
    Ok(())
}
