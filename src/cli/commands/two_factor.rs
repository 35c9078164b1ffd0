//! `totp enable|disable|status`: two-factor unlock from the command line.

use anyhow::bail;
use serde_json::json;

use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, say};
use crate::core::time;
use crate::core::two_factor::{self, Enrolment};
use crate::core::vault::{self, Credentials};

/// `totp enable`.
pub fn enable(ctx: &mut Ctx, account: Option<String>) -> anyhow::Result<()> {
    vault::check_present(&ctx.paths)?;
    if two_factor::is_enabled(&ctx.paths) {
        bail!(
            "two-factor unlock is already on; run `password-manager totp disable` first to enrol \
             a new authenticator"
        );
    }
    let vault = ctx.unlock(Access::Write)?;
    let enrolment = Enrolment::new(&account.unwrap_or_else(two_factor::default_account));
    let uri = enrolment.uri();
    if ctx.input.interactive()
        && let Ok(qr) = qrcode::QrCode::new(uri.expose().as_bytes())
    {
        let picture = qr
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build();
        say!("Scan this with your authenticator app:\n{picture}");
    }
    say!("otpauth URI: {}", uri.expose());
    say!(
        "Key (for typing by hand): {}",
        enrolment.key_text().expose()
    );
    say!("SHA-1, 6 digits, every 30 seconds.");
    let code = ctx
        .input
        .secret("Code the app shows now", "two-factor code")?;
    let codes = vault.enable_two_factor(&enrolment, code.expose())?;
    say!("Two-factor unlock is on. Every unlock now asks for a code after the master password.");
    say!(
        "Recovery codes: each works once in place of a code. Keep them away from this computer; \
         they are not shown again:"
    );
    for code in &codes {
        say!("  {}", code.expose());
    }
    Ok(())
}

/// `totp disable`.
pub fn disable(ctx: &mut Ctx) -> anyhow::Result<()> {
    vault::check_present(&ctx.paths)?;
    if !two_factor::is_enabled(&ctx.paths) {
        bail!("two-factor unlock is not on, so there is nothing to turn off");
    }
    let password = ctx.input.secret("Master password", "master password")?;
    let credentials = Credentials {
        password,
        key_file: ctx.key_file.clone(),
    };
    let code = ctx
        .input
        .secret("Two-factor code (or a recovery code)", "two-factor code")?;
    vault::disable_two_factor(&ctx.paths, &credentials, &code)?;
    say!("Two-factor unlock is off; unlocking needs only the master password again.");
    Ok(())
}

/// `totp status`.
pub fn status(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    vault::check_present(&ctx.paths)?;
    let status = two_factor::status(&ctx.paths)?;
    if json {
        let value = match &status {
            None => json!({"enabled": false}),
            Some(s) => json!({
                "enabled": true,
                "issuer": s.issuer,
                "account": s.account,
                "algorithm": s.algorithm,
                "digits": s.digits,
                "period": s.period,
                "created": time::format_rfc3339(s.created),
                "recovery_codes_left": s.recovery_left,
            }),
        };
        output::print_json(&value);
        return Ok(());
    }
    match status {
        None => say!("Two-factor unlock is off."),
        Some(s) => {
            say!(
                "Two-factor unlock is on since {} for {} ({}, {} digits, {} s).",
                time::format_rfc3339(s.created),
                output::printable(&s.account),
                s.algorithm,
                s.digits,
                s.period
            );
            say!(
                "{} left.",
                output::count(s.recovery_left, "recovery code", "recovery codes")
            );
        }
    }
    Ok(())
}
