//! Paired comparisons on common random numbers: each scenario against a base, metric by metric.
//!
//! Every scenario of a run shares the base's random numbers (the same market, and the same history
//! for every firm no instrument touched), so path `i` of one and path `i` of the other are a pair:
//! the difference `d_i = other_i − base_i` removes what the two share. Over the `n` paths where
//! both are defined:
//! - mean difference `d̄`, its Monte Carlo standard error `s_d / √n` (paired), and a 95% interval
//!   `d̄ ± 1.96 · s_d / √n` (normal; `n` is large);
//! - the standard error the same two runs would have with independent random numbers,
//!   `√(s_base² / n + s_other² / n)`, to show what pairing buys;
//! - P(other better than base): the share of pairs in which the other scenario is better, ties
//!   counting one half. Better is higher, except for the metrics where less is better (costs,
//!   losses, shortfalls, idle money: [`crate::metrics::lower_is_better`]; and the value
//!   `target.<id>` of an at-most target: `Model::lower_is_better`).
//!
//! For a target's `met.<id>` indicator (0 or 1) the mean difference is the difference in P(met), and
//! `met.all` is every target met on the same path. When both series are 0 or 1 on every pair, the
//! normal interval fails where it matters: with no discordant pair it reads `[0, 0]`, and with a
//! few all one way its interval is too narrow. Such pairs get **Tango's score
//! interval** for a difference of paired proportions instead ([`tango`]; Tango 1998, Statistics in
//! Medicine 17:891–908; Newcombe 1998 compares it with ten others), and their MCSE is its
//! half-width over 1.96, as a target's probability has the Wilson one.

use crate::stats::Z95;

/// One metric of one scenario against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Pairs with both values defined.
    pub n: usize,
    pub base_mean: f64,
    pub other_mean: f64,
    pub mean: f64,
    pub mcse: f64,
    pub low: f64,
    pub high: f64,
    /// The standard error without pairing.
    pub unpaired_mcse: f64,
    pub p_better: f64,
    /// The shares of pairs in which the other scenario is strictly better, and strictly worse
    /// (ties in neither): what stdout shows, since for a 0/1 metric most pairs tie and
    /// `p_better`'s half of the ties reads like a chance of being better.
    pub better_worse: (f64, f64),
}

/// The paired difference of `other` against `base` (values in path order; non-finite values
/// leave their pair out). `lower_better` turns "better" around; `binary` says the metric is 0 or
/// 1 on every path (a target met: its interval is then Tango's, [`tango`]).
pub fn paired(base: &[f64], other: &[f64], lower_better: bool, binary: bool) -> Difference {
    debug_assert_eq!(base.len(), other.len());
    let pairs: Vec<(f64, f64)> = (base.iter().zip(other))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(&a, &b)| (a, b))
        .collect();
    let n = pairs.len();
    if n == 0 {
        return Difference {
            n,
            base_mean: f64::NAN,
            other_mean: f64::NAN,
            mean: f64::NAN,
            mcse: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
            unpaired_mcse: f64::NAN,
            p_better: f64::NAN,
            better_worse: (f64::NAN, f64::NAN),
        };
    }
    let nf = n as f64;
    let mean_of = |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / nf;
    let (ma, mb) = (mean_of(&|p| p.0), mean_of(&|p| p.1));
    let md = mean_of(&|p| p.1 - p.0);
    let var = |f: &dyn Fn(&(f64, f64)) -> f64, m: f64| {
        if n > 1 {
            pairs.iter().map(|p| (f(p) - m).powi(2)).sum::<f64>() / (nf - 1.0)
        } else {
            0.0
        }
    };
    let (va, vb, vd) = (
        var(&|p| p.0, ma),
        var(&|p| p.1, mb),
        var(&|p| p.1 - p.0, md),
    );
    let bit = |v: f64| v == 0.0 || v == 1.0;
    let binary = binary && pairs.iter().all(|&(a, b)| bit(a) && bit(b));
    let (mcse, low, high) = if binary {
        // Discordant pairs: other 1 and base 0, other 0 and base 1.
        let up = pairs.iter().filter(|&&(a, b)| b > a).count() as u64;
        let down = pairs.iter().filter(|&&(a, b)| b < a).count() as u64;
        let (low, high) = tango(up, down, n as u64);
        ((high - low) / (2.0 * Z95), low, high)
    } else {
        let mcse = (vd / nf).sqrt();
        (mcse, md - Z95 * mcse, md + Z95 * mcse)
    };
    // Without pairing: each mean's own error (the Wilson one for a probability, so that it is
    // comparable with the paired one, which is not 0 either when no path has it).
    let unpaired_mcse = if binary {
        let ones = |f: fn(&(f64, f64)) -> f64| pairs.iter().filter(|p| f(p) == 1.0).count() as u64;
        let (ka, kb) = (ones(|p| p.0), ones(|p| p.1));
        let (sa, sb) = (
            crate::stats::wilson_se(ka, n as u64),
            crate::stats::wilson_se(kb, n as u64),
        );
        (sa * sa + sb * sb).sqrt()
    } else {
        (va / nf + vb / nf).sqrt()
    };
    // Pairs in which the other scenario is strictly better, and strictly worse; the rest tie.
    let better = (pairs.iter())
        .filter(|&&(a, b)| a != b && (b > a) != lower_better)
        .count();
    let worse = (pairs.iter())
        .filter(|&&(a, b)| a != b && (b > a) == lower_better)
        .count();
    let ties = n - better - worse;
    Difference {
        n,
        base_mean: ma,
        other_mean: mb,
        mean: md,
        mcse,
        low,
        high,
        unpaired_mcse,
        // Ties count one half (the sum of ones and halves is exact).
        p_better: (better as f64 + 0.5 * ties as f64) / nf,
        better_worse: (better as f64 / nf, worse as f64 / nf),
    }
}

/// Tango's 95% score interval for `Δ = p_other − p_base` from `n` pairs of 0/1 values, `up` of
/// which are 1 for the other and 0 for the base and `down` the reverse: the `Δ` for which
///
/// `Z(Δ) = (up − down − nΔ) / √(n (2 q̃(Δ) + Δ(1 − Δ)))`
///
/// lies within ±1.96, with `q̃(Δ) = (√(B² − 4AC) − B) / (2A)` the restricted maximum-likelihood
/// probability of a `down` pair, `A = 2n`, `B = −up − down + (2n − up + down)Δ`,
/// `C = −down · Δ(1 − Δ)`. `Z` falls as `Δ` rises, so each end is found by bisection, to about
/// 1e-15, between `−1` and `d̂ = (up − down)/n` and between `d̂` and 1. With no discordant pair the
/// interval is `±1.96²/(n + 1.96²)` (not `[0, 0]`); it holds 0 exactly when McNemar's score test,
/// `(up − down)/√(up + down)`, does not reject at 5%.
pub fn tango(up: u64, down: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (x12, x21, nf) = (up as f64, down as f64, n as f64);
    let z = |delta: f64| -> f64 {
        let a = 2.0 * nf;
        let b = -x12 - x21 + (2.0 * nf - x12 + x21) * delta;
        let c = -x21 * delta * (1.0 - delta);
        let q = ((b * b - 4.0 * a * c).max(0.0).sqrt() - b) / (2.0 * a);
        let num = x12 - x21 - nf * delta;
        let var = nf * (2.0 * q + delta * (1.0 - delta));
        if var > 0.0 {
            num / var.sqrt()
        } else if num == 0.0 {
            0.0
        } else {
            num.signum() * f64::INFINITY
        }
    };
    let d = (x12 - x21) / nf;
    // The Δ in [lo, hi] where Z crosses `level` (Z falls with Δ).
    let cross = |mut lo: f64, mut hi: f64, level: f64| -> f64 {
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if z(mid) > level {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let low = if z(-1.0) <= Z95 {
        -1.0
    } else {
        cross(-1.0, d, Z95)
    };
    let high = if z(1.0) >= -Z95 {
        1.0
    } else {
        cross(d, 1.0, -Z95)
    };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tango_without_discordant_pairs_is_not_a_point() {
        // Z(Δ) = −√(nΔ/(1 − Δ)) for Δ > 0 when no pair is discordant: |Z| = z at
        // Δ = z²/(n + z²), 0.003827 for n = 1000 (the normal interval reads [0, 0]).
        let (lo, hi) = tango(0, 0, 1000);
        let expected = Z95 * Z95 / (1000.0 + Z95 * Z95);
        assert!((hi - expected).abs() < 1e-12, "{hi}");
        assert!((lo + expected).abs() < 1e-12, "{lo}");
        let base = vec![1.0; 1000];
        let d = paired(&base, &base, false, true);
        assert_eq!(d.mean, 0.0);
        assert!((d.high - expected).abs() < 1e-12 && d.mcse > 0.0, "{d:?}");
    }

    #[test]
    fn tango_excludes_zero_exactly_where_mcnemar_s_score_test_rejects() {
        // At Δ = 0, q̃ = (up + down)/(2n) and Z(0) = (up − down)/√(up + down), McNemar's score
        // statistic: 3 pairs of 1000 up and none down give 1.73 (0 inside the interval), 4 give
        // 2.0 (just outside). Either way the interval leans up, past the normal one's upper end
        // (4 up: 0.004 + 1.96 · 0.0020 = 0.0079), as the few pairs it rests on allow.
        let (lo, hi) = tango(3, 0, 1000);
        assert!(lo < 0.0 && hi > 0.003, "[{lo}, {hi}]");
        let (lo, hi) = tango(4, 0, 1000);
        assert!(lo > 0.0 && lo < 0.0005 && hi > 0.0095, "[{lo}, {hi}]");
        let (lo, hi) = tango(2, 2, 1000);
        assert!((lo + hi).abs() < 1e-12 && lo < 0.0, "[{lo}, {hi}]");
        // Far from the edges it is the normal interval: 150 up, 50 down of 1000, d = 0.1, the
        // paired variance (0.2 − 0.01)/1000, half-width 1.96 · 0.01378 = 0.0270.
        let (lo, hi) = tango(150, 50, 1000);
        let half = Z95 * ((0.2f64 - 0.01) / 1000.0).sqrt();
        assert!((lo - (0.1 - half)).abs() < 0.002, "{lo}");
        assert!((hi - (0.1 + half)).abs() < 0.002, "{hi}");
    }

    #[test]
    fn tango_covers_the_true_difference_about_95_percent_of_the_time() {
        // 4,000 replicates of n = 200 pairs with P(up) = 0.02, P(down) = 0.005 (few discordant
        // pairs, where the normal interval fails), from a fixed SplitMix64 stream: the share of
        // intervals holding Δ = 0.015 is within 4 binomial standard errors (4·√(0.95·0.05/4000) =
        // 0.014) of 0.95, allowing for the score interval's known slight conservatism (≤ 0.97).
        let mut state = 12345u64;
        let mut uniform = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            (crate::rng::splitmix64(state) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (reps, n, delta) = (4000, 200, 0.015);
        let mut covered = 0;
        let mut normal_covered = 0;
        for _ in 0..reps {
            let (mut up, mut down) = (0u64, 0u64);
            for _ in 0..n {
                let u = uniform();
                if u < 0.02 {
                    up += 1;
                } else if u < 0.025 {
                    down += 1;
                }
            }
            let (lo, hi) = tango(up, down, n);
            covered += u32::from(lo <= delta && delta <= hi);
            let nf = n as f64;
            let d = (up as f64 - down as f64) / nf;
            let var = ((up + down) as f64 / nf - d * d) * nf / (nf - 1.0);
            let half = Z95 * (var / nf).sqrt();
            normal_covered += u32::from(d - half <= delta && delta <= d + half);
        }
        let share = f64::from(covered) / reps as f64;
        assert!((0.936..=0.97).contains(&share), "Tango covered {share}");
        // The normal interval, for contrast, falls short here.
        let normal = f64::from(normal_covered) / reps as f64;
        assert!(normal < share, "normal {normal} vs Tango {share}");
    }

    #[test]
    fn pairing_removes_what_two_series_share() {
        // other = base + 1 exactly: the difference is 1 with no error at all, however much the
        // base varies; unpaired, the error is √(2·var/n).
        let base: Vec<f64> = (0..100).map(|i| (i * 37 % 101) as f64).collect();
        let other: Vec<f64> = base.iter().map(|b| b + 1.0).collect();
        let d = paired(&base, &other, false, false);
        assert_eq!((d.n, d.mean, d.mcse), (100, 1.0, 0.0));
        assert!(d.unpaired_mcse > 4.0);
        assert_eq!(d.p_better, 1.0);
        assert_eq!(paired(&base, &other, true, false).p_better, 0.0);
    }

    #[test]
    fn better_and_worse_are_strict_and_follow_the_direction() {
        // Pairs (1, 0), (2, 2), (3, 4): one up, one tie, one down.
        let (base, other) = ([1.0, 2.0, 3.0], [0.0, 2.0, 4.0]);
        let third = 1.0 / 3.0;
        assert_eq!(
            paired(&base, &other, false, false).better_worse,
            (third, third)
        );
        // Two up, one down, one tie of four: higher better, then lower better.
        let (base, other) = ([1.0, 1.0, 5.0, 2.0], [2.0, 3.0, 4.0, 2.0]);
        assert_eq!(
            paired(&base, &other, false, false).better_worse,
            (0.5, 0.25)
        );
        assert_eq!(paired(&base, &other, true, false).better_worse, (0.25, 0.5));
        // A 0/1 metric: ties (both met, both not) count in neither, unlike p_better.
        let (base, other) = ([1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]);
        let d = paired(&base, &other, false, true);
        assert_eq!(d.better_worse, (0.0, 0.25));
        assert_eq!(d.p_better, 0.375);
    }

    #[test]
    fn undefined_pairs_are_left_out_and_ties_count_half() {
        let base = [1.0, f64::NAN, 2.0, 3.0];
        let other = [1.0, 5.0, 4.0, f64::NAN];
        let d = paired(&base, &other, false, false);
        assert_eq!(d.n, 2);
        assert_eq!(d.mean, 1.0);
        // Differences 0 and 2: sample sd √2, MCSE √2/√2 = 1.
        assert!((d.mcse - 1.0).abs() < 1e-12);
        assert_eq!(d.p_better, 0.75);
    }
}
