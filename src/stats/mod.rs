//! Monte Carlo statistics: exact summaries of per-path values, proportions with their error.
//!
//! - Mean, sample standard deviation (`n−1`) and the Monte Carlo standard error of the mean,
//!   `MCSE = sd / √n`, over the finite values (an IRR is undefined on some paths).
//! - Percentiles p05 … p95, exact, Hyndman–Fan type 7 (linear interpolation between order
//!   statistics, as numpy's default and the spreadsheet `PERCENTILE.INC`).
//! - A probability `p̂ = k/n` has `MCSE = √(p̂(1−p̂)/n)` and a 95% Wilson score interval, which stays
//!   inside [0, 1] and behaves at `p̂ = 0` or 1 (Wilson 1927; Brown, Cai & DasGupta 2001).
//!
//! Sums run over values in path order, so they do not depend on threads or sharding.

pub mod sketch;

/// Percentile levels reported everywhere.
pub const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Summary of one metric over paths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Paths with a finite value.
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub mcse: f64,
    pub quantiles: [f64; 5],
}

/// Type-7 quantile of sorted data.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = h - lo as f64;
    if frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }
}

/// Summarises `values`; non-finite values are left out.
pub fn summarize(values: &[f64]) -> Summary {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return Summary {
            n,
            mean: f64::NAN,
            std: f64::NAN,
            mcse: f64::NAN,
            quantiles: [f64::NAN; 5],
        };
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    let std = if n > 1 {
        (finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    finite.sort_unstable_by(f64::total_cmp);
    let mut quantiles = [0.0; 5];
    for (q, level) in quantiles.iter_mut().zip(LEVELS) {
        *q = quantile_sorted(&finite, level);
    }
    Summary {
        n,
        mean,
        std,
        mcse: std / (n as f64).sqrt(),
        quantiles,
    }
}

/// A proportion `k/n` with its Monte Carlo standard error and 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    pub p: f64,
    pub mcse: f64,
    pub low: f64,
    pub high: f64,
}

/// 97.5% quantile of the standard normal.
/// A running mean and variance (Welford), fed in a fixed order: non-finite values are skipped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Running {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    pub fn n(&self) -> u64 {
        self.n
    }

    /// The Monte Carlo standard error of the mean (infinite before two values).
    pub fn mcse(&self) -> f64 {
        if self.n < 2 {
            return f64::INFINITY;
        }
        (self.m2 / (self.n - 1) as f64 / self.n as f64).sqrt()
    }
}

/// The 97.5% quantile of the standard normal: a 95% interval is `± Z95` standard errors.
pub const Z95: f64 = 1.959_963_984_540_054;

pub fn proportion(k: u64, n: u64) -> Proportion {
    if n == 0 {
        return Proportion {
            p: f64::NAN,
            mcse: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = Z95 / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Proportion {
        p,
        mcse: (p * (1.0 - p) / nf).sqrt(),
        // At k = 0 (k = n) the lower (upper) end is exactly 0 (1); floating point would leave dust.
        low: if k == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        high: if k == n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [5, 25, 50, 75, 95]) = [1.2, 2, 3, 4, 8.8]
        let s = summarize(&[4.0, 1.0, 10.0, 3.0, 2.0]);
        let want = [1.2, 2.0, 3.0, 4.0, 8.8];
        for (g, w) in s.quantiles.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
        assert_eq!(s.mean, 4.0);
        // Sample variance: (0 + 9 + 36 + 1 + 4) / 4 = 12.5.
        assert!((s.std - 12.5f64.sqrt()).abs() < 1e-12);
        assert!((s.mcse - (12.5f64 / 5.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn undefined_values_are_left_out() {
        let s = summarize(&[f64::NAN, 1.0, 3.0]);
        assert_eq!((s.n, s.mean), (2, 2.0));
        assert!(summarize(&[f64::NAN]).mean.is_nan());
    }

    #[test]
    fn wilson_interval() {
        // 12 of 40, z = 1.959964: centre (0.3 + z²/80)/(1 + z²/40) = 0.317524, half-width
        // z/(1 + z²/40)·√(0.21/40 + z²/6400) = 0.136776, so (0.180748, 0.454300).
        let p = proportion(12, 40);
        assert!((p.low - 0.180_748).abs() < 1e-6, "{}", p.low);
        assert!((p.high - 0.454_300).abs() < 1e-6, "{}", p.high);
        assert!((p.mcse - (0.3f64 * 0.7 / 40.0).sqrt()).abs() < 1e-15);
        // At k = 0 the upper end is z²/(n + z²) = 3.841459/103.841459 = 0.036993.
        let zero = proportion(0, 100);
        assert_eq!(zero.low, 0.0);
        assert!((zero.high - 0.036_993).abs() < 1e-6, "{}", zero.high);
    }
}
