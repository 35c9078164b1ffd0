//! `bridge`: serve the Browser Bridge without a window, pair browsers, and
//! review or revoke tokens and remembered approvals.

use std::io::{BufRead, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::channel;

use anyhow::{Context, bail};
use serde_json::json;

use crate::bridge::api;
use crate::bridge::endpoints::{Bridge, EndpointConfig};
use crate::bridge::link::{Action, Approval, ApprovalPrompt, BridgeMessage, Link};
use crate::bridge::owner::Owner;
use crate::bridge::server::{Server, ServerConfig};
use crate::cli::args::{ApprovalsAction, BridgeCommand};
use crate::cli::context::{Access, Ctx};
use crate::cli::output::{self, say};
use crate::core::bridge::approvals::ApprovalStore;
use crate::core::bridge::origin::parse_origin;
use crate::core::bridge::pairing;
use crate::core::bridge::tokens::TokenStore;
use crate::core::time;

/// `bridge …`.
pub fn bridge(ctx: &mut Ctx, command: BridgeCommand) -> anyhow::Result<()> {
    match command {
        BridgeCommand::Serve {
            port,
            deny_unremembered,
        } => serve(ctx, port, deny_unremembered),
        BridgeCommand::Pair { json } => pair(ctx, json),
        BridgeCommand::Tokens { json } => tokens(ctx, json),
        BridgeCommand::Revoke { id, all } => revoke(ctx, id, all),
        BridgeCommand::Approvals { action, json } => approvals(ctx, action, json),
        BridgeCommand::Forget { origin } => forget(ctx, &origin),
    }
}

fn endpoint_config(ctx: &Ctx) -> EndpointConfig {
    EndpointConfig {
        token_ttl_hours: ctx.settings.bridge_token_ttl_hours(),
        approval_ttl_days: ctx.settings.bridge_approval_ttl_days(),
        ..EndpointConfig::default()
    }
}

/// `bridge serve`: unlock, listen, answer until killed.
fn serve(ctx: &mut Ctx, port: Option<u16>, deny_unremembered: bool) -> anyhow::Result<()> {
    let host: IpAddr = ctx.settings.bridge_host();
    let port = port.unwrap_or_else(|| ctx.settings.bridge_port());
    // Answers to approval prompts come from the terminal, or one line each
    // from standard input after the master password.
    let mut vault = ctx.unlock(Access::Write)?;
    let (link, receiver) = Link::new(|| {});
    let bridge = Arc::new(Bridge::new(
        ctx.paths.clone(),
        endpoint_config(ctx),
        link,
        Arc::new(AtomicBool::new(false)),
        Arc::new(time::now_unix),
    ));
    let handler_state = bridge.clone();
    let server = Server::start(
        &ServerConfig::loopback(host, port),
        Arc::new(move |request, port| api::route(request, port, handler_state.as_ref())),
    )?;
    say!("Browser bridge listening on {}", server.addr());

    let (prompts, waiting) = channel::<ApprovalPrompt>();
    let interactive = ctx.input.interactive();
    std::thread::Builder::new()
        .name("bridge-prompts".to_owned())
        .spawn(move || {
            for prompt in waiting {
                let answer = if deny_unremembered {
                    Approval::DenyOnce
                } else {
                    ask(&prompt, interactive)
                };
                let _ = prompt.reply.send(answer);
            }
        })
        .context("could not start the approval prompt thread")?;

    let mut owner = Owner::default();
    for message in receiver {
        match message {
            BridgeMessage::Vault(call) => owner.answer(Some(&mut vault), call),
            BridgeMessage::Approve(prompt) => {
                let _ = prompts.send(prompt);
            }
            // No clipboard here: this process never copies anything.
            BridgeMessage::ClearClipboard { reply } => {
                let _ = reply.send(false);
            }
        }
    }
    server.stop();
    Ok(())
}

/// Asks the user one approval question; anything but a clear answer
/// denies this request only.
fn ask(prompt: &ApprovalPrompt, interactive: bool) -> Approval {
    let what = match prompt.action {
        Action::Fill => "fill a login",
        Action::Save => "save a login",
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{} wants to {what} for {} ({}). [o]nce, [r]emember and approve, [d]eny once, \
         [n]ever (remember and deny)?",
        output::printable(&prompt.browser),
        output::printable(&prompt.origin),
        output::count(prompt.matches, "matching entry", "matching entries")
    );
    let _ = err.flush();
    let mut line = String::new();
    let read = if interactive {
        std::fs::File::open("/dev/tty")
            .map(std::io::BufReader::new)
            .and_then(|mut tty| tty.read_line(&mut line))
    } else {
        std::io::stdin().lock().read_line(&mut line)
    };
    if read.is_err() {
        return Approval::DenyOnce;
    }
    match line.trim().to_ascii_lowercase().as_str() {
        "o" | "once" => Approval::Once,
        "r" | "remember" => Approval::Remember,
        "n" | "never" => Approval::RememberDeny,
        _ => Approval::DenyOnce,
    }
}

/// `bridge pair`: opens a pairing window for the running service.
fn pair(ctx: &mut Ctx, json: bool) -> anyhow::Result<()> {
    // Pairing hands out a token that reads passwords: only the owner may.
    ctx.check_master_password()?;
    let seconds = ctx.settings.bridge_pairing_window_seconds();
    let code = pairing::open_window(&ctx.paths.bridge_pairing(), seconds, time::now_unix())?;
    if json {
        output::print_json(&json!({
            "code": code.expose(),
            "expires": time::format_rfc3339(code.expires()),
            "seconds": seconds,
        }));
    } else {
        say!(
            "Pairing code: {} (valid for {seconds} s, until {}). Enter it in the browser extension.",
            code.expose(),
            time::format_rfc3339(code.expires())
        );
    }
    Ok(())
}

/// `bridge tokens`.
fn tokens(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    let store = TokenStore::load(&ctx.paths.bridge_tokens())?;
    let list = store.list();
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "browser": t.browser,
                    "fingerprint": t.fingerprint,
                    "created": time::format_rfc3339(t.created),
                    "last_used": t.last_used.map(time::format_rfc3339),
                    "expires": time::format_rfc3339(t.expires),
                })
            })
            .collect();
        output::print_json(&rows);
        return Ok(());
    }
    if list.is_empty() {
        say!("No browser is paired.");
    }
    for t in &list {
        say!(
            "{}  {}  fingerprint {}  created {}  last used {}  expires {}",
            t.id,
            output::printable(&t.browser),
            output::printable(&t.fingerprint),
            time::format_rfc3339(t.created),
            t.last_used
                .map(time::format_rfc3339)
                .unwrap_or_else(|| "never".to_owned()),
            time::format_rfc3339(t.expires)
        );
    }
    Ok(())
}

/// `bridge revoke ID|--all`.
fn revoke(ctx: &Ctx, id: Option<String>, all: bool) -> anyhow::Result<()> {
    let mut store = TokenStore::load(&ctx.paths.bridge_tokens())?;
    match (id, all) {
        (_, true) => {
            let n = store.revoke_all()?;
            say!("Revoked {}.", output::count(n, "token", "tokens"));
        }
        (Some(id), false) => {
            if !store.revoke(&id)? {
                bail!("no token has the id {id}; `password-manager bridge tokens` lists them");
            }
            say!("Revoked token {id}.");
        }
        (None, false) => bail!(crate::cli::UsageError(
            "name the token to revoke (bridge revoke ID) or pass --all".to_owned()
        )),
    }
    Ok(())
}

/// `bridge approvals [allow ORIGIN]`.
fn approvals(ctx: &mut Ctx, action: Option<ApprovalsAction>, json: bool) -> anyhow::Result<()> {
    let mut store = ApprovalStore::load(&ctx.paths.approval_store())?;
    let now = time::now_unix();
    if let Some(ApprovalsAction::Allow { origin }) = action {
        let page = parse_origin(&origin)
            .map_err(|e| crate::cli::UsageError(format!("{origin:?} is not a page origin: {e}")))?;
        // Approving ahead skips the prompt for that site: only the owner may.
        ctx.check_master_password()?;
        store.reload()?;
        let ttl = ctx.settings.bridge_approval_ttl_days();
        store.allow_ahead(&page, ttl, now)?;
        say!(
            "{page} is approved{}.",
            if ttl == 0 {
                String::new()
            } else {
                format!(" for {ttl} days")
            }
        );
        return Ok(());
    }
    let list = store.list();
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|a| {
                json!({
                    "origin": a.origin.as_str(),
                    "decision": a.decision.as_str(),
                    "at": time::format_rfc3339(a.at),
                    "by_token": a.by_token,
                    "expires": a.expires.map(time::format_rfc3339),
                })
            })
            .collect();
        output::print_json(&rows);
        return Ok(());
    }
    if list.is_empty() {
        say!("No remembered approvals.");
    }
    for a in list {
        say!(
            "{}  {}  since {}  {}",
            a.origin.as_str(),
            a.decision.as_str(),
            time::format_rfc3339(a.at),
            a.expires
                .map(|t| format!("until {}", time::format_rfc3339(t)))
                .unwrap_or_else(|| "no expiry".to_owned())
        );
    }
    Ok(())
}

/// `bridge forget ORIGIN`.
fn forget(ctx: &Ctx, origin: &str) -> anyhow::Result<()> {
    let page = parse_origin(origin)
        .map_err(|e| crate::cli::UsageError(format!("{origin:?} is not a page origin: {e}")))?;
    let mut store = ApprovalStore::load(&ctx.paths.approval_store())?;
    if store.forget(&page)? {
        say!("Forgot the decision for {page}.");
    } else {
        say!("No decision was remembered for {page}.");
    }
    Ok(())
}
