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
//! For a target's `met.<id>` indicator (0 or 1) the mean difference is the difference in P(met) and
//! the interval is the paired one; `met.all` is every target met on the same path.

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
}

/// The paired difference of `other` against `base` (values in path order; non-finite values
/// leave their pair out). `lower_better` turns "better" around.
pub fn paired(base: &[f64], other: &[f64], lower_better: bool) -> Difference {
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
    let mcse = (vd / nf).sqrt();
    let better: f64 = pairs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                0.5
            } else if (b > a) != lower_better {
                1.0
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / nf;
    Difference {
        n,
        base_mean: ma,
        other_mean: mb,
        mean: md,
        mcse,
        low: md - Z95 * mcse,
        high: md + Z95 * mcse,
        unpaired_mcse: (va / nf + vb / nf).sqrt(),
        p_better: better,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_removes_what_two_series_share() {
        // other = base + 1 exactly: the difference is 1 with no error at all, however much the
        // base varies; unpaired, the error is √(2·var/n).
        let base: Vec<f64> = (0..100).map(|i| (i * 37 % 101) as f64).collect();
        let other: Vec<f64> = base.iter().map(|b| b + 1.0).collect();
        let d = paired(&base, &other, false);
        assert_eq!((d.n, d.mean, d.mcse), (100, 1.0, 0.0));
        assert!(d.unpaired_mcse > 4.0);
        assert_eq!(d.p_better, 1.0);
        assert_eq!(paired(&base, &other, true).p_better, 0.0);
    }

    #[test]
    fn undefined_pairs_are_left_out_and_ties_count_half() {
        let base = [1.0, f64::NAN, 2.0, 3.0];
        let other = [1.0, 5.0, 4.0, f64::NAN];
        let d = paired(&base, &other, false);
        assert_eq!(d.n, 2);
        assert_eq!(d.mean, 1.0);
        // Differences 0 and 2: sample sd √2, MCSE √2/√2 = 1.
        assert!((d.mcse - 1.0).abs() < 1e-12);
        assert_eq!(d.p_better, 0.75);
    }
}
