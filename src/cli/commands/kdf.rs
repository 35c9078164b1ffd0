//! `kdf benchmark` and `kdf apply`: Argon2id timed on this machine, and
//! the vault's keys re-derived with new parameters.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

use crate::cli::UsageError;
use crate::cli::args::{KdfApplyArgs, KdfBenchmarkArgs, KdfCommand};
use crate::cli::context::Ctx;
use crate::cli::output::{self, note, say};
use crate::core::events;
use crate::core::kdf::{self, KdfError, KdfParams};
use crate::core::kdf_tuning::{self, BenchmarkPlan, Recommendation};
use crate::core::lock::VaultLock;
use crate::core::settings::Settings;
use crate::core::vault::kdf_change::{self, KdfChanged};
use crate::core::vault::{self, SecondFactor, VaultError};
use crate::event;

/// `kdf …`.
pub fn kdf(ctx: &mut Ctx, command: KdfCommand) -> anyhow::Result<()> {
    match command {
        KdfCommand::Benchmark(args) => benchmark(ctx, args),
        KdfCommand::Apply(args) => apply(ctx, args),
    }
}

/// `kdf benchmark`.
fn benchmark(ctx: &mut Ctx, args: KdfBenchmarkArgs) -> anyhow::Result<()> {
    let plan = plan(ctx, args.memory_mib, args.target_ms)?;
    let found = run_benchmark(&plan)?;
    if args.json {
        output::print_json(&recommendation_json(&found));
        return Ok(());
    }
    print_recommendation(&found);
    let p = found.params;
    say!(
        "Apply it with: password-manager kdf apply --memory-mib {} --iterations {} \
         --parallelism {}",
        p.m_cost_kib / 1024,
        p.t_cost,
        p.p_cost
    );
    Ok(())
}

/// The benchmark's plan from the flags and the settings; a usage error
/// names what is out of range.
fn plan(
    ctx: &Ctx,
    memory_mib: Option<u32>,
    target_ms: Option<u32>,
) -> anyhow::Result<BenchmarkPlan> {
    let memory_kib = match memory_mib {
        Some(mib) => mib_to_kib(mib)?,
        None => kdf_tuning::DEFAULT_MEMORY_KIB,
    };
    let target = target_ms.unwrap_or_else(|| ctx.settings.benchmark_target_ms());
    BenchmarkPlan::new(memory_kib, kdf_tuning::DEFAULT_PARALLELISM, target)
        .map_err(|e| UsageError(e.to_string()).into())
}

fn mib_to_kib(mib: u32) -> anyhow::Result<u32> {
    mib.checked_mul(1024).ok_or_else(|| {
        UsageError(format!(
            "{mib} MiB is more memory than Argon2id here can use"
        ))
        .into()
    })
}

/// Runs the benchmark, with a progress bar when stderr is a terminal.
fn run_benchmark(plan: &BenchmarkPlan) -> anyhow::Result<Recommendation> {
    kdf::check_memory(&plan.params(plan.min_passes()))?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(kdf_tuning::MAX_SAMPLES as u64);
        let style = indicatif::ProgressStyle::with_template(
            "Timing Argon2id {bar:24} {pos} of at most {len} runs  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let found = kdf_tuning::recommend(plan, |params: &KdfParams| {
        let elapsed = kdf_tuning::measure(params)?;
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(format!(
                "{} passes: {} ms",
                params.t_cost,
                elapsed.as_millis()
            ));
        }
        Ok::<_, KdfError>(elapsed)
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(found?)
}

fn recommendation_json(found: &Recommendation) -> serde_json::Value {
    let p = found.params;
    json!({
        "target_ms": found.target_ms,
        "samples": found.samples.iter()
            .map(|s| json!({ "t_cost": s.t_cost, "ms": round(s.ms) }))
            .collect::<Vec<_>>(),
        "recommendation": {
            "m_cost_kib": p.m_cost_kib,
            "t_cost": p.t_cost,
            "p_cost": p.p_cost,
            "estimated_ms": round(found.estimated_ms),
        },
        "warnings": found.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// Milliseconds to one decimal.
fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

fn print_recommendation(found: &Recommendation) {
    let p = found.params;
    say!(
        "Argon2id at {} MiB and {}, aiming for {} ms per unlock:",
        p.m_cost_kib / 1024,
        output::count(p.p_cost as usize, "lane", "lanes"),
        found.target_ms
    );
    let rows: Vec<Vec<String>> = found
        .samples
        .iter()
        .map(|s| vec![s.t_cost.to_string(), format!("{:.0} ms", s.ms)])
        .collect();
    output::print_table(&["PASSES", "TIME"], &rows);
    say!(
        "Recommended: {} (about {:.0} ms per unlock).",
        describe(&p),
        found.estimated_ms
    );
    for warning in &found.warnings {
        note!("warning: {warning}");
    }
}

/// `64 MiB, 3 passes, 4 lanes`.
fn describe(p: &KdfParams) -> String {
    format!(
        "{} MiB, {}, {}",
        p.m_cost_kib / 1024,
        output::count(p.t_cost as usize, "pass", "passes"),
        output::count(p.p_cost as usize, "lane", "lanes")
    )
}

/// What `kdf apply` applies.
enum Choice {
    /// Parameters from the flags (already checked).
    Explicit(KdfParams),
    /// The benchmark's recommendation for this plan.
    Recommended(BenchmarkPlan),
}

/// `kdf apply`.
fn apply(ctx: &mut Ctx, args: KdfApplyArgs) -> anyhow::Result<()> {
    vault::check_present(&ctx.paths)?;
    // Every value is checked before any password is asked for.
    let choice = if args.recommended {
        Choice::Recommended(plan(ctx, args.memory_mib, args.target_ms)?)
    } else {
        let current = kdf_change::current_params(&ctx.paths)?;
        let memory_kib = args.memory_mib.map(mib_to_kib).transpose()?;
        let params = KdfParams::new(
            memory_kib.unwrap_or(current.m_cost_kib),
            args.iterations.unwrap_or(current.t_cost),
            args.parallelism.unwrap_or(current.p_cost),
        )
        .map_err(|e| UsageError(format!("{e}; nothing was changed")))?;
        kdf::check_memory(&params)?;
        Choice::Explicit(params)
    };

    // The writer lock keeps every other writer out until the change is in.
    let _lock = VaultLock::acquire(&ctx.paths.lock_file()).map_err(VaultError::from)?;
    let (credentials, code) = ctx.current_credentials("Current master password")?;
    let params = match choice {
        Choice::Explicit(params) => params,
        Choice::Recommended(plan) => {
            let found = run_benchmark(&plan)?;
            print_recommendation(&found);
            found.params
        }
    };
    // Without a code, a vault with two-factor unlock refuses.
    let factor = code
        .as_ref()
        .map_or(SecondFactor::Absent, SecondFactor::Code);
    let bar = output::progress_bar(ctx.input.interactive(), "Re-encrypting");
    let done = kdf_change::change_kdf_params(
        &ctx.paths,
        &credentials,
        factor,
        params,
        &mut |done, total| bar.update(done, total),
    )?;
    bar.finish();
    report(&done);
    remember_for_new_vaults(ctx, &done.new);
    Ok(())
}

fn report(done: &KdfChanged) {
    say!(
        "Argon2id parameters changed: {} → {}.",
        describe(&done.old),
        describe(&done.new)
    );
    say!(
        "An unlock now spends {} ms in Argon2id on this machine (measured).",
        done.unlock.as_millis()
    );
    if done.records > 0 {
        say!(
            "{} re-encrypted under the new derived key (password-derived mode).",
            output::count(done.records, "record", "records")
        );
    }
    if done.tokens_revoked > 0 {
        say!(
            "{} revoked: paired browser extensions must pair again.",
            output::count(
                done.tokens_revoked,
                "browser bridge token",
                "browser bridge tokens"
            )
        );
    }
    say!(
        "Backups made before this change keep their own parameters and open with the master \
         password of their time."
    );
}

/// Stores the parameters in `key_management.kdf`, which `init` starts
/// from. The vault has changed already, so a failure here is a warning.
fn remember_for_new_vaults(ctx: &mut Ctx, params: &KdfParams) {
    let value = json!({
        "m_cost_kib": params.m_cost_kib,
        "t_cost": params.t_cost,
        "p_cost": params.p_cost,
    })
    .to_string();
    let saved = (|| -> anyhow::Result<()> {
        ctx.paths.ensure_dirs()?;
        let patience = Duration::from_secs(10);
        let _turn = crate::core::lock::lock_directory(&ctx.paths.config_dir, patience)
            .map_err(|_| anyhow::anyhow!("another process kept the settings busy for 10 s"))?;
        let mut fresh = Settings::load(&ctx.paths.settings())?.settings;
        fresh.set("key_management.kdf", &value)?;
        fresh.save(&ctx.paths.settings())?;
        ctx.settings = fresh;
        Ok(())
    })();
    match saved {
        Ok(()) => {
            event!(
                info,
                events::SETTINGS_CHANGED,
                "setting key_management.kdf changed"
            );
            say!("New vaults (init) use these parameters too (key_management.kdf).");
        }
        Err(e) => note!(
            "warning: key_management.kdf was not updated ({e:#}); new vaults use the previous \
             parameters"
        ),
    }
}
