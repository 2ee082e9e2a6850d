//! Monte Carlo statistics: exact summaries of per-path values, proportions with their error.
//!
//! - Mean, sample standard deviation (`n−1`) and the Monte Carlo standard error of the mean,
//!   `MCSE = sd / √n`, over the finite values (an IRR is undefined on some paths).
//! - Percentiles p05 … p95, exact, Hyndman–Fan type 7 (linear interpolation between order
//!   statistics, as numpy's default and the spreadsheet `PERCENTILE.INC`).
//! - A probability `p̂ = k/n` has a 95% Wilson score interval, which stays inside [0, 1] and behaves
//!   at `p̂ = 0` or 1 (Wilson 1927; Brown, Cai & DasGupta 2001), and as its MCSE the interval's
//!   half-width over 1.96 ([`wilson_se`]), not the plug-in `√(p̂(1−p̂)/n)`, which reads 0 there.
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

/// Spearman's rank correlation of `x` and `y` over the pairs where both are finite: Pearson's
/// correlation of their ranks, ties given their mean rank (so a 0/1 metric such as a target met
/// works), with a 95% interval from Fisher's z with the variance `1.06/(n − 3)` of Fieller, Hartley
/// & Pearson (1957). `None` if fewer than 4 pairs or either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let pairs: Vec<(f64, f64)> = (x.iter().zip(y))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    let n = pairs.len();
    if n < 4 {
        return None;
    }
    let rx = mid_ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let ry = mid_ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    // Both rank vectors have mean (n + 1)/2.
    let m = (n as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - m) * (b - m);
        sxx += (a - m) * (a - m);
        syy += (b - m) * (b - m);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    let rho = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    let half = 1.959_964 * (1.06 / (n as f64 - 3.0)).sqrt();
    let z = rho.clamp(-1.0 + 1e-15, 1.0 - 1e-15).atanh();
    Some((rho, (z - half).tanh(), (z + half).tanh()))
}

/// Ranks 1..n of `v`, ties at their mean rank.
fn mid_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) share the mean of ranks i+1..=j+1.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
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
    // One value has no spread to estimate: undefined (an empty cell), not 0, which would read
    // as an exact mean.
    let std = if n > 1 {
        (finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
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

/// Mean and MCSE of per-path values, and the mean's 95% interval; for a `binary` metric (0 or 1
/// on every path: a target met) the MCSE and interval are Wilson's ([`proportion`]), else the
/// sample MCSE and `mean ± Z95 · MCSE`.
pub fn mean_and_mcse(values: &[f64], binary: bool) -> ((f64, f64), (f64, f64)) {
    let s = summarize(values);
    let finite = || values.iter().filter(|v| v.is_finite());
    if binary && s.n > 0 && finite().all(|&v| v == 0.0 || v == 1.0) {
        let k = finite().filter(|&&v| v == 1.0).count() as u64;
        let p = proportion(k, s.n as u64);
        return ((s.mean, p.mcse), (p.low, p.high));
    }
    let half = Z95 * s.mcse;
    ((s.mean, s.mcse), (s.mean - half, s.mean + half))
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
        // The interval's half-width over Z95: the plug-in √(p(1−p)/n) would say 0 (an exact
        // probability) when no path, or every path, meets the target.
        mcse: wilson_se(k, n),
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

/// The standard error of a proportion `k/n` that stays honest at `k = 0` and `k = n`: the
/// half-width of its 95% Wilson interval (the one [`proportion`] gives) over [`Z95`],
/// `√(p(1−p)/n + z²/(4n²)) / (1 + z²/n)`. The plug-in `√(p(1−p)/n)` is 0 when no path (or every
/// path) meets a target, however few paths were run; this is about `0.98/n` there. Infinite for
/// `n = 0`.
pub fn wilson_se(k: u64, n: u64) -> f64 {
    if n == 0 {
        return f64::INFINITY;
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = Z95 * Z95;
    (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / (1.0 + z2 / nf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_se_is_the_interval_half_width_over_z() {
        // Away from the ends the Wilson interval is not clamped: (high − low)/2 is its half-width.
        for (k, n) in [(1, 10), (37, 100), (500, 1000), (4095, 4096)] {
            let p = proportion(k, n);
            let half = (p.high - p.low) / 2.0;
            assert!((wilson_se(k, n) * Z95 - half).abs() < 1e-12, "{k}/{n}");
        }
        // At k = 0 the interval is [0, z²/n / (1 + z²/n)], the centre's double: the half-width is
        // z²/(2n) / (1 + z²/n), so the standard error is z/(2n) / (1 + z²/n), not 0.
        let n = 4096.0;
        let at_zero = Z95 / (2.0 * n) / (1.0 + Z95 * Z95 / n);
        assert!((wilson_se(0, 4096) - at_zero).abs() < 1e-15);
        assert!((wilson_se(4096, 4096) - at_zero).abs() < 1e-15);
        assert!((proportion(0, 4096).high / 2.0 - Z95 * at_zero).abs() < 1e-15);
        assert_eq!(wilson_se(0, 0), f64::INFINITY);
    }

    #[test]
    fn spearman_by_hand() {
        // A monotone transform ranks alike: +1; reversed: −1.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let cubed: Vec<f64> = x.iter().map(|v| v * v * v).collect();
        assert_eq!(spearman(&x, &cubed).map(|r| r.0), Some(1.0));
        let rev: Vec<f64> = x.iter().map(|v| -v).collect();
        assert_eq!(spearman(&x, &rev).map(|r| r.0), Some(-1.0));
        // By hand: ranks of y = [2, 1, 4, 3, 5]; Σd² = 1+1+1+1+0 = 4, no ties, so
        // ρ = 1 − 6·4/(5·24) = 0.8.
        let y = [20.0, 10.0, 40.0, 30.0, 50.0];
        let (rho, lo, hi) = spearman(&x, &y).expect("defined");
        assert!((rho - 0.8).abs() < 1e-12);
        assert!(lo < rho && rho < hi);
        // Ties take mid ranks: y = [0, 0, 1, 1, 1] has ranks [1.5, 1.5, 4, 4, 4]; against x's
        // 1..5 (mean 3): Σ(rx−3)(ry−3) = (−2)(−1.5)+(−1)(−1.5)+0+1·1+2·1 = 7.5, Σ(rx−3)² = 10,
        // Σ(ry−3)² = 2·2.25 + 3·1 = 7.5, ρ = 7.5/√75 = 0.866025.
        let t = [0.0, 0.0, 1.0, 1.0, 1.0];
        let rho = spearman(&x, &t).expect("defined").0;
        assert!((rho - 7.5 / 75f64.sqrt()).abs() < 1e-12);
        // A constant side has no correlation; non-finite pairs are left out.
        assert_eq!(spearman(&x, &[1.0; 5]), None);
        let with_nan = [1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0];
        let other = [1.0, 100.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(spearman(&with_nan, &other).map(|r| r.0), Some(1.0));
    }

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
        // One value: its mean, and no spread (empty cells, not a standard error of 0).
        let one = summarize(&[f64::NAN, 0.03]);
        assert_eq!((one.n, one.mean), (1, 0.03));
        assert!(one.std.is_nan() && one.mcse.is_nan(), "{one:?}");
    }

    #[test]
    fn wilson_interval() {
        // 12 of 40, z = 1.959964: centre (0.3 + z²/80)/(1 + z²/40) = 0.317524, half-width
        // z/(1 + z²/40)·√(0.21/40 + z²/6400) = 0.136776, so (0.180748, 0.454300).
        let p = proportion(12, 40);
        assert!((p.low - 0.180_748).abs() < 1e-6, "{}", p.low);
        assert!((p.high - 0.454_300).abs() < 1e-6, "{}", p.high);
        // Its standard error is the half-width over z: 0.136776 / 1.959964 = 0.069785 (the plug-in
        // √(0.21/40) = 0.072457 is close at this p).
        assert!((p.mcse - 0.136_776 / Z95).abs() < 1e-6, "{}", p.mcse);
        // At k = 0 the upper end is z²/(n + z²) = 3.841459/103.841459 = 0.036993, and the
        // standard error √(z²/(4n²))/(1 + z²/n) = (z/200)/1.038415 = 0.0094373, not 0.
        let zero = proportion(0, 100);
        assert!((zero.mcse - Z95 / 200.0 / (1.0 + Z95 * Z95 / 100.0)).abs() < 1e-15);
        assert!((zero.mcse - 0.009_437_3).abs() < 1e-7, "{}", zero.mcse);
        assert_eq!(zero.low, 0.0);
        assert!((zero.high - 0.036_993).abs() < 1e-6, "{}", zero.high);
    }
}
