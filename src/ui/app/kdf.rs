//! Settings > Security > KDF tuning: the benchmark and Apply each run on
//! the worker (both run Argon2id, far too slow for a frame); the benchmark
//! reports each timed run as it ends, for the progress bar and the table.

use std::sync::mpsc::sync_channel;
use std::time::Duration;

use super::{App, MainState};
use crate::core::kdf::{KdfError, KdfParams};
use crate::core::kdf_tuning::{self, BenchmarkPlan, Recommendation};
use crate::core::secret::SecretString;
use crate::core::vault::kdf_change::{self, KdfChanged};
use crate::core::vault::{Credentials, SecondFactor, VaultError};
use crate::ui::kdf_view::{KdfAction, KdfProgress, Running, describe};
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    /// Per-frame bookkeeping: reads the vault's parameters once, and takes
    /// in the benchmark's reports.
    pub(super) fn kdf_tick(&mut self) {
        let paths = self.paths.clone();
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.kdf;
        if view.current.is_none() && view.error.is_none() {
            match kdf_change::current_params(&paths) {
                Ok(params) => view.current = Some(params),
                Err(e) => view.error = Some(capitalized(&e.to_string())),
            }
        }
        let Some(running) = &mut view.running else {
            return;
        };
        while let Ok(KdfProgress::Sample(sample)) = running.reports.try_recv() {
            running.samples.push(sample);
        }
    }

    pub(super) fn kdf_action(&mut self, ctx: &egui::Context, action: KdfAction) {
        match action {
            KdfAction::SetTarget(ms) => {
                self.change_setting("key_management.benchmark_target_ms", &ms.to_string());
            }
            KdfAction::RunBenchmark {
                memory_kib,
                target_ms,
            } => self.start_benchmark(ctx, memory_kib, target_ms),
            KdfAction::Apply {
                params,
                password,
                code,
            } => self.start_kdf_apply(ctx, params, password, code),
        }
    }

    fn start_benchmark(&mut self, ctx: &egui::Context, memory_kib: u32, target_ms: u32) {
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.kdf;
        view.error = None;
        view.summary = None;
        let plan = match BenchmarkPlan::new(memory_kib, kdf_tuning::DEFAULT_PARALLELISM, target_ms)
        {
            Ok(plan) => plan,
            Err(e) => {
                view.error = Some(capitalized(&e.to_string()));
                return;
            }
        };
        view.recommendation = None;
        // Room for every report, so the worker never waits on the window.
        let (sender, reports) = sync_channel(kdf_tuning::MAX_SAMPLES);
        view.running = Some(Running {
            what: "Timing Argon2id",
            samples: Vec::new(),
            reports,
        });
        let repaint = ctx.clone();
        let work = move || -> Finish {
            let result = kdf_tuning::recommend(&plan, |params: &KdfParams| {
                let elapsed = kdf_tuning::measure(params)?;
                let sample = kdf_tuning::Sample {
                    t_cost: params.t_cost,
                    ms: elapsed.as_secs_f64() * 1000.0,
                };
                let _ = sender.try_send(KdfProgress::Sample(sample));
                repaint.request_repaint();
                Ok::<_, KdfError>(elapsed)
            });
            Box::new(move |app: &mut App| app.benchmark_done(result))
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.benchmark_done(Err(KdfError::Argon2(
                "could not start the benchmark; try again".to_owned(),
            )));
        });
        self.worker.run(ctx, "kdf-benchmark", work, failed);
    }

    fn benchmark_done(&mut self, result: Result<Recommendation, KdfError>) {
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.kdf;
        view.running = None;
        view.reveal = true;
        match result {
            Ok(found) => view.recommendation = Some(found),
            Err(e) => view.error = Some(capitalized(&e.to_string())),
        }
    }

    fn start_kdf_apply(
        &mut self,
        ctx: &egui::Context,
        params: KdfParams,
        password: SecretString,
        code: Option<SecretString>,
    ) {
        let credentials = Credentials {
            password,
            key_file: self.key_file.clone(),
        };
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.kdf;
        view.error = None;
        view.summary = None;
        let expected = view
            .recommendation
            .as_ref()
            .map(|found| expected_apply_time(found, view.current));
        // In password-derived mode every record moves to a new key, which
        // must not race this window's own writes: the worker holds the
        // vault.
        self.with_vault_on_worker(
            ctx,
            "the new key derivation",
            "Re-deriving the keys with the new parameters…".to_owned(),
            expected,
            Box::new(move |vault, progress| {
                // Without a code, a vault with two-factor unlock refuses.
                let factor = code
                    .as_ref()
                    .map_or(SecondFactor::Absent, SecondFactor::Code);
                vault.change_kdf_params(&credentials, factor, params, progress)
            }),
            Box::new(|app, main, result| app.kdf_applied(main, result)),
        );
    }

    fn kdf_applied(&mut self, main: &mut MainState, result: Result<KdfChanged, VaultError>) {
        let view = &mut main.settings.kdf;
        view.reveal = true;
        let done = match result {
            Ok(done) => done,
            Err(e) => {
                view.error = Some(capitalized(&e.to_string()));
                return;
            }
        };
        view.current = Some(done.new);
        view.summary = Some(summary(&done));
        self.toasts.info("New Argon2id parameters applied.");
        // New vaults (`init`) start from this setting.
        let value = serde_json::json!({
            "m_cost_kib": done.new.m_cost_kib,
            "t_cost": done.new.t_cost,
            "p_cost": done.new.p_cost,
        })
        .to_string();
        self.change_setting("key_management.kdf", &value);
    }
}

/// Two derivations with the new parameters (the change and the timing)
/// and one with the old, scaled from the benchmark by memory times passes.
fn expected_apply_time(found: &Recommendation, current: Option<KdfParams>) -> Duration {
    let work = |p: &KdfParams| f64::from(p.m_cost_kib) * f64::from(p.t_cost);
    let new_ms = found.estimated_ms;
    let old_ms = current.map_or(new_ms, |old| new_ms * work(&old) / work(&found.params));
    Duration::from_secs_f64((2.0 * new_ms + old_ms) / 1000.0)
}

fn summary(done: &KdfChanged) -> String {
    let mut text = format!(
        "Applied: {} (was {}). An unlock now spends about {} ms in Argon2id here.",
        describe(&done.new),
        describe(&done.old),
        done.unlock.as_millis()
    );
    if done.tokens_revoked > 0 {
        text.push_str(&format!(
            " {} browser bridge token(s) revoked: paired extensions must pair again.",
            done.tokens_revoked
        ));
    }
    if done.records > 0 {
        text.push_str(&format!(
            " {} records re-encrypted under the new derived key.",
            done.records
        ));
    }
    text.push_str(" Backups made earlier keep their own parameters.");
    text
}
