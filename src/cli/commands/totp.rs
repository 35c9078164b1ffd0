//! `totp code`: an entry's current two-factor code (`totp enable`,
//! `disable` and `status`, for two-factor unlock, are in
//! [`super::two_factor`]).

use anyhow::{Context, anyhow};
use serde_json::json;

use super::two_factor;
use crate::cli::args::TotpCommand;
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, note, say};
use crate::core::time;
use crate::core::totp::Totp;
use crate::core::vault::Scope;

/// `totp …`.
pub fn totp(ctx: &mut Ctx, command: TotpCommand) -> anyhow::Result<()> {
    match command {
        TotpCommand::Code { id, at, json } => code(ctx, &id, at, json),
        TotpCommand::Enable { account } => two_factor::enable(ctx, account),
        TotpCommand::Disable => two_factor::disable(ctx),
        TotpCommand::Status { json } => two_factor::status(ctx, json),
    }
}

/// `totp code ID [--at UNIX_SECONDS] [--json]`.
fn code(ctx: &mut Ctx, id: &str, at: Option<u64>, json: bool) -> anyhow::Result<()> {
    let vault = ctx.unlock(Access::Read)?;
    let entry = vault.find(id, Scope::Any)?;
    let short_id = entry.short_id();

    // An entry without a value and one whose value gives no code fail alike
    // (exit 1); the message says which, and never quotes the value.
    let stored = entry
        .totp
        .as_ref()
        .filter(|t| !t.is_blank())
        .ok_or_else(|| {
            anyhow!(
                "entry {short_id} has no TOTP secret; add one with `edit {short_id} --totp -` \
             (an otpauth:// URI)"
            )
        })?;
    let totp = Totp::parse(stored.expose()).with_context(|| format!("entry {short_id}"))?;
    let now = at.unwrap_or_else(|| u64::try_from(time::now_unix()).unwrap_or(0));
    let code = totp.code_at(now);
    let seconds_left = totp.seconds_left(now);

    for warning in totp.warnings() {
        note!("warning: entry {short_id}: {warning}");
    }
    if json {
        output::print_json(&json!({
            "id": short_id,
            "code": code.expose(),
            "seconds_left": seconds_left,
            "period": totp.period(),
            "digits": totp.digits(),
            "warnings": totp.warnings().iter().map(ToString::to_string).collect::<Vec<_>>(),
        }));
    } else {
        say!("{} ({seconds_left} s left)", code.expose());
    }
    Ok(())
}
