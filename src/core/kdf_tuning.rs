//! Choosing Argon2id parameters for this machine: how many passes make an
//! unlock take about as long as the user is willing to wait.
//!
//! Argon2id's running time grows in a straight line with the number of
//! passes at a fixed memory size, so a few timed runs are enough: one at the
//! lowest number of passes allowed, one at a proportional guess for the
//! target, then runs at the fitted line's best choice until that choice has
//! itself been measured. The search is a pure function over a measuring
//! closure, so its rules can be tested with made-up timings; [`measure`] is
//! the real one.
//!
//! The result never goes below [`min_passes`] (three passes from 64 MiB up,
//! as RFC 9106 recommends there) nor below [`KdfParams::validate`]'s floor,
//! whatever the machine's speed: a fast machine gets more passes, a slow one
//! keeps the floor and a warning.

use std::fmt;
use std::time::{Duration, Instant};

use crate::core::crypto;
use crate::core::kdf::{self, KdfError, KdfParams, MAX_P_COST, MAX_T_COST, MIN_T_COST};
use crate::core::secret::SecretString;

/// Memory the benchmark measures unless the user picks another: 64 MiB.
pub const DEFAULT_MEMORY_KIB: u32 = 64 * 1024;
/// Parallelism (lanes) the benchmark measures.
pub const DEFAULT_PARALLELISM: u32 = 4;
/// Memory from which at least [`STRONG_MIN_PASSES`] passes are required.
pub const STRONG_MEMORY_KIB: u32 = 64 * 1024;
/// Fewest passes at [`STRONG_MEMORY_KIB`] or more.
pub const STRONG_MIN_PASSES: u32 = 3;
/// Shortest unlock time a user may aim for, in milliseconds.
pub const MIN_TARGET_MS: u32 = 100;
/// Longest unlock time a user may aim for, in milliseconds.
pub const MAX_TARGET_MS: u32 = 5_000;
/// The target when the setting is not changed.
pub const DEFAULT_TARGET_MS: u32 = 500;
/// An unlock slower than this draws a warning.
pub const SLOW_UNLOCK_MS: f64 = 5_000.0;
/// Most Argon2id runs one benchmark makes.
pub const MAX_SAMPLES: usize = 5;

/// What to benchmark: the memory and lanes stay fixed, the passes vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchmarkPlan {
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Parallelism (lanes).
    pub p_cost: u32,
    /// How long an unlock should take, in milliseconds.
    pub target_ms: u32,
}

impl BenchmarkPlan {
    /// A plan checked against the floor and the target's range.
    pub fn new(m_cost_kib: u32, p_cost: u32, target_ms: u32) -> Result<Self, KdfError> {
        if !(MIN_TARGET_MS..=MAX_TARGET_MS).contains(&target_ms) {
            return Err(KdfError::Params(format!(
                "a target of {target_ms} ms is outside the accepted {MIN_TARGET_MS}–\
                 {MAX_TARGET_MS} ms"
            )));
        }
        if p_cost == 0 || p_cost > MAX_P_COST {
            return Err(KdfError::Params(format!(
                "Argon2id parallelism {p_cost} must be between 1 and {MAX_P_COST}"
            )));
        }
        // The memory is checked with the fewest passes it allows, which
        // `validate` accepts for every memory size it accepts at all.
        let plan = Self {
            m_cost_kib,
            p_cost,
            target_ms,
        };
        plan.params(plan.min_passes()).validate()?;
        Ok(plan)
    }

    /// The plan's parameters at `t_cost` passes.
    pub fn params(&self, t_cost: u32) -> KdfParams {
        KdfParams {
            m_cost_kib: self.m_cost_kib,
            t_cost,
            p_cost: self.p_cost,
        }
    }

    /// The fewest passes this plan's memory allows.
    pub fn min_passes(&self) -> u32 {
        min_passes(self.m_cost_kib)
    }
}

/// The fewest passes a recommendation may have at `m_cost_kib`: three from
/// 64 MiB up, otherwise the floor of [`KdfParams::validate`].
pub fn min_passes(m_cost_kib: u32) -> u32 {
    if m_cost_kib >= STRONG_MEMORY_KIB {
        STRONG_MIN_PASSES
    } else {
        MIN_T_COST
    }
}

/// One timed Argon2id run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Sample {
    /// Passes.
    pub t_cost: u32,
    /// How long the run took, in milliseconds.
    pub ms: f64,
}

/// Something the user should know about a recommendation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Warning {
    /// Even the fewest passes allowed take longer than the target; the
    /// floor is kept rather than weakened.
    FloorAboveTarget {
        /// The floor's passes.
        t_cost: u32,
        /// Its estimated time in milliseconds.
        ms: f64,
    },
    /// An unlock would take longer than [`SLOW_UNLOCK_MS`].
    SlowUnlock {
        /// The estimated time in milliseconds.
        ms: f64,
    },
    /// The target needs more passes than the supported maximum.
    PassesCapped {
        /// The estimated time at the maximum, in milliseconds.
        ms: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FloorAboveTarget { t_cost, ms } => write!(
                f,
                "{t_cost} passes, the fewest allowed at this memory, already take about \
                 {ms:.0} ms here, more than the target; they are kept, since fewer would be \
                 weaker than the floor (pick less memory for a faster unlock)"
            ),
            Self::SlowUnlock { ms } => write!(
                f,
                "unlocking would take about {:.1} s, more than 5 s, on this machine (and \
                 longer on a slower one)",
                ms / 1000.0
            ),
            Self::PassesCapped { ms } => write!(
                f,
                "even {MAX_T_COST} passes take only about {ms:.0} ms here; pick more memory to \
                 reach the target"
            ),
        }
    }
}

/// What the benchmark advises.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// The parameters to use.
    pub params: KdfParams,
    /// The unlock time they are expected to take, in milliseconds.
    pub estimated_ms: f64,
    /// The target that was aimed for, in milliseconds.
    pub target_ms: u32,
    /// Every timed run, in the order made.
    pub samples: Vec<Sample>,
    /// What the user should know (empty when all is well).
    pub warnings: Vec<Warning>,
}

/// Finds the most passes whose unlock stays within `plan.target_ms` (never
/// fewer than the plan's floor), timing Argon2id with `measure` (at most [`MAX_SAMPLES`] runs). Fails only
/// when a measurement fails.
pub fn recommend(
    plan: &BenchmarkPlan,
    mut measure: impl FnMut(&KdfParams) -> Result<Duration, KdfError>,
) -> Result<Recommendation, KdfError> {
    let floor = plan.min_passes();
    let target = f64::from(plan.target_ms);
    let mut samples: Vec<Sample> = Vec::new();
    let mut sample = |t_cost: u32, samples: &mut Vec<Sample>| -> Result<f64, KdfError> {
        let ms = measure(&plan.params(t_cost))?.as_secs_f64() * 1000.0;
        samples.push(Sample { t_cost, ms });
        Ok(ms)
    };

    // The floor first: if it already reaches the target, it is the answer.
    let at_floor = sample(floor, &mut samples)?;
    let mut best = floor;
    if at_floor < target && floor < MAX_T_COST {
        // A line through the origin is the first guess; unlocks have a
        // fixed cost on top, so the guess errs on the short side.
        let per_pass = (at_floor / f64::from(floor)).max(f64::MIN_POSITIVE);
        let guess = (target / per_pass).floor().min(f64::from(MAX_T_COST)) as u32;
        sample(guess.clamp(floor + 1, MAX_T_COST), &mut samples)?;

        // Then measure the fitted line's choice until it has been measured.
        loop {
            best = passes_within(&samples, target, floor);
            let measured = samples.iter().any(|s| s.t_cost == best);
            if measured || samples.len() >= MAX_SAMPLES {
                break;
            }
            sample(best, &mut samples)?;
        }
    }

    let estimated_ms = estimate(&samples, best);
    let mut warnings = Vec::new();
    if best == floor && estimated_ms > target {
        warnings.push(Warning::FloorAboveTarget {
            t_cost: floor,
            ms: estimated_ms,
        });
    }
    if best == MAX_T_COST && estimated_ms < target {
        warnings.push(Warning::PassesCapped { ms: estimated_ms });
    }
    if estimated_ms > SLOW_UNLOCK_MS {
        warnings.push(Warning::SlowUnlock { ms: estimated_ms });
    }
    Ok(Recommendation {
        params: plan.params(best),
        estimated_ms,
        target_ms: plan.target_ms,
        samples,
        warnings,
    })
}

/// A straight line `ms = fixed + per_pass * t` through the samples (least
/// squares); `None` when they do not rise with the passes (noise).
fn fit(samples: &[Sample]) -> Option<(f64, f64)> {
    let n = samples.len() as f64;
    let mean_t = samples.iter().map(|s| f64::from(s.t_cost)).sum::<f64>() / n;
    let mean_ms = samples.iter().map(|s| s.ms).sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for s in samples {
        let dt = f64::from(s.t_cost) - mean_t;
        covariance += dt * (s.ms - mean_ms);
        variance += dt * dt;
    }
    let per_pass = covariance / variance;
    if !per_pass.is_finite() || per_pass <= 0.0 {
        return None;
    }
    Some((mean_ms - per_pass * mean_t, per_pass))
}

/// The predicted time at `t_cost` passes.
fn predict(samples: &[Sample], t_cost: u32) -> f64 {
    match fit(samples) {
        Some((fixed, per_pass)) => fixed + per_pass * f64::from(t_cost),
        // No usable slope: scale the slowest run per pass instead.
        None => samples
            .iter()
            .map(|s| s.ms / f64::from(s.t_cost) * f64::from(t_cost))
            .fold(0.0, f64::max),
    }
}

/// The most passes (at least `floor`) whose predicted time stays within
/// the target: the target is a budget, not a minimum.
fn passes_within(samples: &[Sample], target: f64, floor: u32) -> u32 {
    let per_pass = predict(samples, 2) - predict(samples, 1);
    let fixed = predict(samples, 0);
    let exact = if per_pass > 0.0 {
        (target - fixed) / per_pass
    } else {
        f64::from(floor)
    };
    let within = (exact.floor().max(0.0) as u32).clamp(floor, MAX_T_COST);
    // The division can land a hair under a whole number.
    if within < MAX_T_COST && predict(samples, within + 1) <= target {
        within + 1
    } else {
        within
    }
}

/// The time at `t_cost`: the mean of its runs when measured, else the line.
fn estimate(samples: &[Sample], t_cost: u32) -> f64 {
    let runs: Vec<f64> = samples
        .iter()
        .filter(|s| s.t_cost == t_cost)
        .map(|s| s.ms)
        .collect();
    if runs.is_empty() {
        predict(samples, t_cost)
    } else {
        runs.iter().sum::<f64>() / runs.len() as f64
    }
}

/// Times one real Argon2id run with `params`, as an unlock makes it, over a
/// throwaway password and a fresh random salt.
pub fn measure(params: &KdfParams) -> Result<Duration, KdfError> {
    let password = SecretString::from("benchmark: not a real password");
    let salt: [u8; kdf::SALT_LEN] = crypto::random_array();
    let started = Instant::now();
    let keys = kdf::derive(params, &salt, &password, None)?;
    let elapsed = started.elapsed();
    drop(keys);
    Ok(elapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine where each pass over `m` costs `per_pass` ms, plus `fixed`.
    fn machine(fixed: f64, per_pass: f64) -> impl FnMut(&KdfParams) -> Result<Duration, KdfError> {
        move |p: &KdfParams| {
            let ms = fixed + per_pass * f64::from(p.t_cost);
            Ok(Duration::from_secs_f64(ms / 1000.0))
        }
    }

    fn plan(m_mib: u32, target_ms: u32) -> BenchmarkPlan {
        BenchmarkPlan::new(m_mib * 1024, 4, target_ms).unwrap()
    }

    #[test]
    fn a_fast_machine_gets_the_most_passes_within_the_target() {
        // 10 ms fixed + 45 ms a pass: 10 passes = 460 ms, 11 = 505 ms.
        let r = recommend(&plan(64, 500), machine(10.0, 45.0)).unwrap();
        assert_eq!(r.params, KdfParams::new(64 * 1024, 10, 4).unwrap());
        assert!((r.estimated_ms - 460.0).abs() < 0.01, "{r:?}");
        assert!(r.warnings.is_empty(), "{r:?}");
        assert_eq!(r.samples[0].t_cost, 3, "the floor is measured first");
        assert!(
            r.samples.iter().any(|s| s.t_cost == 10),
            "the choice is measured"
        );
        assert!(r.samples.len() <= MAX_SAMPLES);
    }

    #[test]
    fn a_fixed_cost_per_unlock_is_fitted_not_taken_for_passes() {
        // 200 ms of overhead + 20 ms a pass: 15 passes = 500 ms exactly.
        let r = recommend(&plan(64, 500), machine(200.0, 20.0)).unwrap();
        assert_eq!(r.params.t_cost, 15, "{r:?}");
        assert_eq!(r.samples.len(), 3, "{r:?}");
    }

    #[test]
    fn never_below_three_passes_at_64_mib_even_when_slow() {
        // 300 ms a pass: 3 passes = 900 ms, over a 500 ms target.
        let r = recommend(&plan(64, 500), machine(0.0, 300.0)).unwrap();
        assert_eq!(r.params.t_cost, 3);
        assert_eq!(r.samples.len(), 1, "nothing below the floor is tried");
        assert_eq!(
            r.warnings,
            vec![Warning::FloorAboveTarget {
                t_cost: 3,
                ms: 900.0
            }]
        );
        let big = recommend(&plan(256, 100), machine(0.0, 30.0)).unwrap();
        assert_eq!(big.params.t_cost, 3, "more memory keeps the floor of 3");
    }

    #[test]
    fn below_64_mib_the_owasp_floor_applies() {
        let r = recommend(&plan(19, 100), machine(0.0, 80.0)).unwrap();
        assert_eq!(r.params, KdfParams::new(19 * 1024, 2, 4).unwrap());
        assert!(r.params.validate().is_ok());
        assert!(matches!(r.warnings[..], [Warning::FloorAboveTarget { .. }]));
        let refused = BenchmarkPlan::new(18 * 1024, 4, 500).unwrap_err();
        assert!(refused.to_string().contains("below the accepted minimum"));
    }

    #[test]
    fn more_than_five_seconds_is_warned_about() {
        // 4 GiB on a slow machine: 3 passes take 7.5 s.
        let r = recommend(&plan(4096, 5000), machine(0.0, 2500.0)).unwrap();
        assert_eq!(r.params.t_cost, 3);
        assert!(
            r.warnings
                .iter()
                .any(|w| matches!(w, Warning::SlowUnlock { ms } if *ms > 7000.0))
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.to_string().contains("more than 5 s"))
        );
        let fine = recommend(&plan(64, 5000), machine(0.0, 400.0)).unwrap();
        assert!(fine.estimated_ms <= SLOW_UNLOCK_MS, "{fine:?}");
        assert!(fine.warnings.is_empty(), "{fine:?}");
    }

    #[test]
    fn a_very_fast_machine_is_capped_at_the_maximum_passes() {
        let r = recommend(&plan(19, 5000), machine(0.0, 1.0)).unwrap();
        assert_eq!(r.params.t_cost, MAX_T_COST);
        assert!(matches!(r.warnings[..], [Warning::PassesCapped { .. }]));
    }

    #[test]
    fn noisy_timings_still_give_an_answer_within_the_sample_budget() {
        // Each run alternates between fast and slow.
        let mut n = 0;
        let noisy = |p: &KdfParams| {
            n += 1;
            let wobble = if n % 2 == 0 { 60.0 } else { -40.0 };
            Ok(Duration::from_secs_f64(
                (50.0 * f64::from(p.t_cost) + wobble).max(1.0) / 1000.0,
            ))
        };
        let r = recommend(&plan(64, 1000), noisy).unwrap();
        assert!(r.samples.len() <= MAX_SAMPLES);
        assert!((3..=MAX_T_COST).contains(&r.params.t_cost));
        assert!((15..=25).contains(&r.params.t_cost), "{r:?}");
    }

    #[test]
    fn a_failed_measurement_is_the_error() {
        let failing = |_: &KdfParams| Err(KdfError::Params("no memory".to_owned()));
        assert!(recommend(&plan(64, 500), failing).is_err());
    }

    #[test]
    fn the_target_and_lanes_are_checked() {
        assert!(BenchmarkPlan::new(64 * 1024, 4, 99).is_err());
        assert!(BenchmarkPlan::new(64 * 1024, 4, 5001).is_err());
        assert!(BenchmarkPlan::new(64 * 1024, 0, 500).is_err());
        assert!(BenchmarkPlan::new(64 * 1024, 4, 100).is_ok());
        assert!(BenchmarkPlan::new(64 * 1024, 4, 5000).is_ok());
    }

    #[test]
    fn the_real_measure_runs_argon2id() {
        // No assertion on the time itself: only that a run happens.
        let params = KdfParams::insecure_for_tests();
        assert!(measure(&params).is_ok());
        let weak = KdfParams {
            m_cost_kib: 1024,
            t_cost: 1,
            p_cost: 1,
        };
        assert!(
            measure(&weak).is_err(),
            "the floor applies to measuring too"
        );
    }
}
