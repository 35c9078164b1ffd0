//! `add`, `list`, `show`, `edit`, `rm`, `restore`, `trash`, `history`.

use crate::cli::output::{note, say};
use anyhow::bail;
use serde_json::json;

use super::entry_input as parse;
use crate::cli::UsageError;
use crate::cli::args::{AddArgs, EditArgs, ListArgs, ShowArgs, TrashCommand};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, EntryDetail, EntrySummary, HistoryDetail};
use crate::core::entries::{Actor, Entry, EntryPatch, RotationReason};
use crate::core::secret::SecretString;
use crate::core::time;
use crate::core::vault::{Filter, Scope};

/// `add`.
pub fn add(ctx: &mut Ctx, args: AddArgs) -> anyhow::Result<()> {
    let f = &args.fields;
    let expires_at = f
        .expires
        .as_deref()
        .map(parse::expires)
        .transpose()?
        .flatten();
    if args.title.trim().is_empty() {
        bail!(UsageError("--title must not be empty".to_owned()));
    }
    let mut vault = ctx.unlock(Access::Write)?;

    let password = match f.generate {
        Some(length) => parse::generated(length)?,
        None => ctx.input.secret(
            "Password for the new entry (empty for none)",
            "entry's password",
        )?,
    };
    let totp = f
        .totp
        .as_deref()
        .map(|t| parse::totp(t, &mut ctx.input))
        .transpose()?;
    let fields = parse::custom_fields(f, &mut ctx.input)?;
    let entry = Entry {
        title: args.title.trim().into(),
        username: f.username.clone().unwrap_or_default().into(),
        password,
        urls: parse::texts(&f.urls),
        notes: f.notes.clone().unwrap_or_default().into(),
        category: f.category.clone().unwrap_or_default().trim().into(),
        tags: parse::texts(&f.tags),
        favorite: args.favorite,
        expires_at,
        totp,
        fields,
        ..Default::default()
    };
    let uuid = vault.add(entry)?;
    let id = crate::core::entries::short_id(&uuid);
    if args.json {
        output::print_json(&json!({ "id": id, "uuid": uuid.to_string() }));
    } else {
        say!(
            "Added entry {id} ({}).",
            output::printable(args.title.trim())
        );
        if let Some(length) = f.generate {
            say!("Generated a {length}-character password; `show {id} --reveal` prints it.");
        }
    }
    Ok(())
}

/// `list`.
pub fn list(ctx: &mut Ctx, args: ListArgs) -> anyhow::Result<()> {
    let vault = ctx.unlock(Access::Read)?;
    let filter = Filter {
        category: args.category,
        favorites: args.favorites,
        expiring_days: args.expiring,
        expired: args.expired,
        trash: args.trash,
        search: args.search,
    };
    let found = vault.query(&filter);
    if args.json {
        let summaries: Vec<EntrySummary<'_>> = found.iter().map(|e| EntrySummary::of(e)).collect();
        output::print_json(&summaries);
    } else if found.is_empty() {
        say!(
            "{}",
            if filter.trash {
                "The trash is empty."
            } else {
                "No entries match."
            }
        );
    } else {
        output::print_entries(&found, time::now_unix(), filter.trash);
    }
    Ok(())
}

/// `show`.
pub fn show(ctx: &mut Ctx, args: ShowArgs) -> anyhow::Result<()> {
    let vault = ctx.unlock(Access::Read)?;
    let entry = vault.find(&args.id, Scope::Any)?;
    if args.json {
        output::print_json(&EntryDetail::of(entry, args.reveal));
    } else {
        output::print_entry(entry, args.reveal);
    }
    Ok(())
}

/// `edit`.
pub fn edit(ctx: &mut Ctx, args: EditArgs) -> anyhow::Result<()> {
    let reason: RotationReason = args
        .reason
        .parse()
        .map_err(|e| UsageError(format!("--reason {e}")))?;
    let f = &args.fields;
    let expires_at = f.expires.as_deref().map(parse::expires).transpose()?;
    let has_change = args.title.is_some()
        || args.password
        || args.favorite
        || args.no_favorite
        || !args.remove_fields.is_empty()
        || f.username.is_some()
        || !f.urls.is_empty()
        || f.notes.is_some()
        || f.category.is_some()
        || !f.tags.is_empty()
        || f.expires.is_some()
        || f.totp.is_some()
        || !f.fields.is_empty()
        || !f.hidden_fields.is_empty()
        || f.generate.is_some();
    if !has_change {
        bail!(UsageError(
            "nothing to change: give at least one field flag (see `edit --help`)".into()
        ));
    }

    let mut vault = ctx.unlock(Access::Write)?;
    let uuid = vault.find(&args.id, Scope::Any)?.uuid;
    let password = match (f.generate, args.password) {
        (Some(length), _) => Some(parse::generated(length)?),
        (None, true) => Some(
            ctx.input
                .secret("New password for the entry", "entry's new password")?,
        ),
        (None, false) => None,
    };
    let totp = match f.totp.as_deref() {
        Some("none") => Some(None),
        Some(t) => Some(Some(parse::totp(t, &mut ctx.input)?)),
        None => None,
    };
    let patch = EntryPatch {
        title: args.title.as_deref().map(|t| t.trim().into()),
        username: f.username.clone().map(SecretString::from),
        password,
        urls: (!f.urls.is_empty()).then(|| parse::texts(&f.urls)),
        notes: f.notes.clone().map(SecretString::from),
        category: f.category.as_deref().map(|c| c.trim().into()),
        tags: (!f.tags.is_empty()).then(|| parse::texts(&f.tags)),
        favorite: if args.favorite {
            Some(true)
        } else if args.no_favorite {
            Some(false)
        } else {
            None
        },
        expires_at,
        totp,
        set_fields: parse::custom_fields(f, &mut ctx.input)?,
        remove_fields: args.remove_fields.clone(),
        replace_fields: None,
    };
    vault.update(uuid, patch, reason, Actor::User)?;
    let id = crate::core::entries::short_id(&uuid);
    say!("Updated entry {id}.");
    if let Some(length) = f.generate {
        say!("Generated a {length}-character password; `show {id} --reveal` prints it.");
    }
    Ok(())
}

/// `rm`: move to the trash.
pub fn remove(ctx: &mut Ctx, id: &str) -> anyhow::Result<()> {
    let mut vault = ctx.unlock(Access::Write)?;
    let entry = vault.find(id, Scope::Live)?;
    let (uuid, short) = (entry.uuid, entry.short_id());
    vault.trash(uuid)?;
    say!("Moved entry {short} to the trash; `restore {short}` brings it back.");
    Ok(())
}

/// `restore`: bring back from the trash.
pub fn restore(ctx: &mut Ctx, id: &str) -> anyhow::Result<()> {
    let mut vault = ctx.unlock(Access::Write)?;
    let entry = vault.find(id, Scope::Trash)?;
    let (uuid, short) = (entry.uuid, entry.short_id());
    vault.restore(uuid)?;
    say!("Restored entry {short} from the trash.");
    Ok(())
}

/// `trash empty` and `trash purge`.
pub fn trash(ctx: &mut Ctx, command: TrashCommand) -> anyhow::Result<()> {
    let yes = match &command {
        TrashCommand::Restore(a) => return restore(ctx, &a.id),
        TrashCommand::Empty(y) => y.yes,
        TrashCommand::Purge { yes, .. } => yes.yes,
    };
    if !yes && !ctx.input.interactive() {
        bail!(UsageError(
            "deleting from the trash is permanent; pass --yes to confirm when not on a terminal"
                .into()
        ));
    }
    let mut vault = ctx.unlock(Access::Write)?;
    match command {
        TrashCommand::Restore(_) => unreachable!("handled above"),
        TrashCommand::Empty(_) => {
            let count = vault
                .query(&Filter {
                    trash: true,
                    ..Default::default()
                })
                .len();
            if count == 0 {
                say!("The trash is already empty.");
                return Ok(());
            }
            let what = output::count(count, "entry", "entries");
            let question = format!("Delete {what} in the trash for good?");
            if !yes && !ctx.input.confirm(&question)? {
                say!("Nothing was deleted.");
                return Ok(());
            }
            let purged = vault.empty_trash()?;
            say!(
                "Deleted {} for good.",
                output::count(purged, "entry", "entries")
            );
        }
        TrashCommand::Purge { id, .. } => {
            let entry = vault.find(&id, Scope::Trash)?;
            let (uuid, short) = (entry.uuid, entry.short_id());
            if !yes
                && !ctx
                    .input
                    .confirm(&format!("Delete entry {short} for good?"))?
            {
                say!("Nothing was deleted.");
                return Ok(());
            }
            vault.purge(uuid)?;
            say!("Deleted entry {short} for good.");
        }
    }
    Ok(())
}

/// `history`.
pub fn history(ctx: &mut Ctx, args: ShowArgs) -> anyhow::Result<()> {
    let vault = ctx.unlock(Access::Read)?;
    let entry = vault.find(&args.id, Scope::Any)?;
    let (items, damaged) = vault.history(entry.uuid)?;
    if damaged > 0 {
        note!("warning: {damaged} history records of this entry failed their integrity check");
    }
    if args.json {
        let details: Vec<HistoryDetail<'_>> = items
            .iter()
            .map(|h| HistoryDetail::of(h, args.reveal))
            .collect();
        output::print_json(&details);
    } else if items.is_empty() {
        say!("Entry {} has no previous passwords.", entry.short_id());
    } else {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|h| {
                let password = if args.reveal {
                    h.password.expose()
                } else {
                    "********"
                };
                vec![
                    time::format_rfc3339(h.changed_at),
                    match &h.source {
                        Some(source) => format!("{} ({source})", h.reason),
                        None => h.reason.to_string(),
                    },
                    h.changed_by.to_string(),
                    output::printable(password),
                ]
            })
            .collect();
        output::print_table(&["REPLACED", "REASON", "BY", "OLD PASSWORD"], &rows);
    }
    Ok(())
}

/// `categories`.
pub fn categories(ctx: &mut Ctx, json_out: bool) -> anyhow::Result<()> {
    let vault = ctx.unlock(Access::Read)?;
    let count = |name: &str| {
        vault
            .entries()
            .iter()
            .filter(|e| !e.is_trashed() && e.category.expose() == name)
            .count()
    };
    let rows: Vec<(&str, &str, usize)> = vault
        .categories()
        .iter()
        .map(|c| (c.name.expose(), c.color.as_str(), count(c.name.expose())))
        .collect();
    if json_out {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, color, n)| json!({ "name": name, "color": color, "entries": n }))
            .collect();
        output::print_json(&list);
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(name, color, n)| vec![output::printable(name), color.to_string(), n.to_string()])
        .collect();
    output::print_table(&["CATEGORY", "COLOR", "ENTRIES"], &table);
    Ok(())
}
