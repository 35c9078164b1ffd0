//! Turning `add`/`edit` flags into entry values.

use crate::cli::output::note;
use anyhow::bail;

use crate::cli::UsageError;
use crate::cli::args::EntryFields;
use crate::cli::input::SecretInput;
use crate::core::entries::CustomField;
use crate::core::generator::{self, PasswordPolicy};
use crate::core::secret::SecretString;
use crate::core::time;

/// Parses `--expires`: a date, or "never" for none.
pub fn expires(text: &str) -> anyhow::Result<Option<i64>> {
    if text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    time::parse_date_end_of_day(text)
        .map(Some)
        .map_err(|e| UsageError(e).into())
}

/// Reads `--totp`: an `otpauth://` URI, a `steam://` secret or a bare
/// base32 secret, or "-" to read one as a secret. A value that can give no
/// code is kept as it is, with a warning that says why (never quoting it).
pub fn totp(text: &str, input: &mut SecretInput) -> anyhow::Result<SecretString> {
    let uri = if text == "-" {
        input.secret("TOTP URI or secret (otpauth://...)", "TOTP value")?
    } else {
        note!(
            "warning: a TOTP URI on the command line can be seen by other users and kept in \
             shell history; `--totp -` reads it like a password instead"
        );
        SecretString::from(text)
    };
    if uri.is_blank() {
        return Err(UsageError("the TOTP value is empty".to_owned()).into());
    }
    // Another kind of link is a mistake, not a secret to keep.
    let text = uri.expose().trim().to_ascii_lowercase();
    if text.contains("://") && !text.starts_with("otpauth://") && !text.starts_with("steam://") {
        return Err(UsageError(
            "a TOTP value is an otpauth:// URI, a steam:// secret or a base32 secret, not \
             another kind of link"
                .to_owned(),
        )
        .into());
    }
    if let Err(e) = crate::core::totp::Totp::parse(uri.expose()) {
        note!(
            "warning: {e}; the value is kept as it is and gives no code until it is corrected \
             (an otpauth:// URI, a steam:// secret or a base32 secret is expected)"
        );
    }
    Ok(SecretString::new(uri.expose().trim().to_owned()))
}

/// Visible `--field NAME=VALUE` flags, then hidden ones read as secrets.
pub fn custom_fields(
    flags: &EntryFields,
    input: &mut SecretInput,
) -> anyhow::Result<Vec<CustomField>> {
    let mut fields = Vec::new();
    for raw in &flags.fields {
        let Some((name, value)) = raw.split_once('=') else {
            return Err(UsageError(format!("--field {raw:?} must look like NAME=VALUE")).into());
        };
        if name.trim().is_empty() {
            return Err(UsageError(format!("--field {raw:?} has an empty name")).into());
        }
        fields.push(CustomField {
            name: name.trim().into(),
            value: value.into(),
            hidden: false,
        });
    }
    for name in &flags.hidden_fields {
        let value = input.secret(
            &format!("Value of hidden field {name:?}"),
            &format!("value of hidden field {name:?}"),
        )?;
        fields.push(CustomField {
            name: name.trim().into(),
            value,
            hidden: true,
        });
    }
    Ok(fields)
}

/// A generated password of the given length.
pub fn generated(length: usize) -> anyhow::Result<SecretString> {
    let policy = PasswordPolicy {
        length,
        ..Default::default()
    };
    match generator::password(&policy) {
        Ok(p) => Ok(p),
        Err(e) => bail!(UsageError(e)),
    }
}

/// Non-empty trimmed strings as secrets.
pub fn texts(values: &[String]) -> Vec<SecretString> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
        .collect()
}
