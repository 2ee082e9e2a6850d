//! Internal rate of return, modified IRR and present value of yearly dated flows.
//!
//! Flows `c_0 … c_{T-1}` fall at the ends of consecutive years. With `v = 1/(1+r)`,
//! `NPV(r) = Σ c_t v^t` is a polynomial in `v` (evaluated by Horner's rule, no `powf`).
//!
//! **When an IRR means something.** Only for an investment whose rate is unique: the first
//! non-zero flow is money out, and the flows provably have exactly one rate above −100% at which
//! their value is zero. Two tests prove it, both from Descartes' rule of signs:
//! - the non-zero flows change sign once (the polynomial has one positive root); or
//! - **Norström's test, on both sides of a zero rate** (for flows like a fund's, money out, some
//!   back, more out, more back). The cumulative sums `S_t = c_0 + … + c_t` are the coefficients of
//!   `NPV(v)/(1 − v)` as a power series on `0 < v < 1` (rates above 0), so their sign changes bound
//!   the roots there; the sums from the last flow back, `T_j = c_{T−1} + … + c_{T−1−j}`, do the same
//!   for `v > 1` (rates below 0, in `w = 1/v`). One change among the `S` and none among the `T`
//!   (or the other way round) is exactly one root: with one change the ends of the series have
//!   opposite signs, so the number of roots is odd. A total of exactly 0 puts a root at 0.
//!
//! Either way the polynomial is negative for small `v` (the first flow dominates) and positive for
//! large `v` (the last one does), so doubling or halving `v` from 1 brackets the root and
//! bisection finds it to the last bit; the IRR is `1/v* − 1`. Otherwise:
//! - every non-zero flow is money out: the money is lost, IRR = −100% (−1);
//! - no flow, money in first (a borrowing: fees before losses, proceeds before calls), or flows
//!   whose rate the two tests cannot prove unique (two roots, none, or more sign changes than they
//!   settle): **undefined** (`NaN`), never a root picked from several. [`mirr`] reads such flows
//!   instead.
//!
//! **Modified IRR** at one rate `ρ` for financing and reinvestment (the scenario's discount rate):
//! `(FV_ρ(inflows) / PV_ρ(outflows))^{1/(T−1)} − 1`, with outflows discounted to year 0 and inflows
//! compounded to year `T−1`. Defined whenever there is money out: −100% (−1) if nothing came
//! back, `NaN` with no money out or fewer than two years.

/// `Σ c_t (1+r)^{-t}`.
pub fn npv(flows: &[f64], rate: f64) -> f64 {
    let v = 1.0 / (1.0 + rate);
    horner(flows, v)
}

/// `Σ c_t v^t`.
#[inline]
fn horner(flows: &[f64], v: f64) -> f64 {
    flows.iter().rev().fold(0.0, |acc, c| acc * v + c)
}

/// What the signs of the flows say about their IRR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// No non-zero flow.
    Empty,
    /// Money out only.
    Lost,
    /// Money out first, and exactly one rate that values the flows at zero (module header).
    Investment,
    /// Money in first (a borrowing), or a rate that is not provably unique: no meaningful IRR.
    Other,
}

/// A running sum this small beside the flows' total size (`Σ|c_t|`) is read as 0: far above the
/// rounding of a sum of a few dozen doubles (about 1e-15 of the size each), far below a fen of any
/// sum of money a programme moves (1e-13 of 100亿 yuan is 0.001 yuan).
const TINY: f64 = 1e-13;

/// The number of sign changes in `values`, zeros skipped.
fn sign_changes(values: impl Iterator<Item = f64>) -> usize {
    let mut last: Option<bool> = None;
    let mut changes = 0;
    for positive in values.filter(|&x| x != 0.0).map(|x| x > 0.0) {
        changes += usize::from(last.is_some_and(|l| l != positive));
        last = Some(positive);
    }
    changes
}

/// The shape of `flows` (see the module header).
pub fn shape(flows: &[f64]) -> Shape {
    let Some(&first) = flows.iter().find(|&&c| c != 0.0) else {
        return Shape::Empty;
    };
    if first > 0.0 {
        return Shape::Other;
    }
    match sign_changes(flows.iter().copied()) {
        0 => return Shape::Lost,
        1 => return Shape::Investment,
        _ => {}
    }
    // Norström on each side of a zero rate: running sums from the first flow (rates above 0) and
    // from the last (rates below 0). The sums from the last are the total less those from the
    // first, so the two sets agree on every sign, and a sum within `TINY` of the flows' size is
    // read as 0: flows in yuan to the fen do not add up exactly in binary (a total of exactly 0 fen
    // could come out as ±1e-7 and two sums disagree on its sign, leaving a unique rate undefined).
    let size: f64 = flows.iter().map(|c| c.abs()).sum();
    let total: f64 = flows.iter().sum();
    let snap = |x: f64| if x.abs() <= TINY * size { 0.0 } else { x };
    // The running sums S_t, the same additions in the same order as `total`'s.
    let running = || {
        flows.iter().scan(0.0, |sum, &c| {
            *sum += c;
            Some(*sum)
        })
    };
    let above = sign_changes(running().map(snap));
    // T_j = c_{T−1} + … + c_{T−1−j} = total − S_{T−2−j}, and T_{T−1} = total; a sequence has the
    // sign changes of its reverse, so they are counted from `total, total − S_0, …, total − S_{T−2}`.
    let below = sign_changes(
        std::iter::once(snap(total)).chain(
            running()
                .take(flows.len().saturating_sub(1))
                .map(|x| snap(total - x)),
        ),
    );
    let roots_proved = if snap(total) == 0.0 {
        // A root at a zero rate, and none on either side.
        above == 0 && below == 0
    } else {
        above + below == 1
    };
    if roots_proved {
        Shape::Investment
    } else {
        Shape::Other
    }
}

/// The internal rate of return of yearly flows: defined for investments, −1 for money lost,
/// `NaN` otherwise (see the module header).
pub fn irr(flows: &[f64]) -> f64 {
    match shape(flows) {
        Shape::Lost => -1.0,
        Shape::Empty | Shape::Other => f64::NAN,
        Shape::Investment => {
            // f(v) < 0 near 0 and > 0 for large v, with one root: bracket it from v = 1.
            let f = |v: f64| horner(flows, v);
            let (mut lo, mut hi) = (1.0f64, 1.0f64);
            if f(1.0) < 0.0 {
                while f(hi) < 0.0 && hi.is_finite() {
                    lo = hi;
                    hi *= 2.0;
                }
            } else {
                while f(lo) >= 0.0 && lo > f64::MIN_POSITIVE {
                    hi = lo;
                    lo *= 0.5;
                }
            }
            if !hi.is_finite() || lo <= f64::MIN_POSITIVE {
                // The root lies beyond what f64 can bracket (a rate within 1e-300 of −100% or
                // above 1e300): read as a total loss, or undefined.
                return if hi.is_finite() { f64::NAN } else { -1.0 };
            }
            for _ in 0..2000 {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    break;
                }
                if f(mid) < 0.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            1.0 / (0.5 * (lo + hi)) - 1.0
        }
    }
}

/// The modified IRR at `rate` (financing and reinvestment): −1 with money out and none back, `NaN`
/// with no money out or fewer than two years.
pub fn mirr(flows: &[f64], rate: f64) -> f64 {
    let n = flows.len();
    if n < 2 {
        return f64::NAN;
    }
    let g = 1.0 + rate;
    let (mut pv_out, mut fv_in) = (0.0, 0.0);
    // Discount factor of year t: g^{-t}; compounding to the last year: g^{n-1-t}.
    let mut d = 1.0;
    for &c in flows {
        if c < 0.0 {
            pv_out -= c * d;
        }
        d /= g;
    }
    let mut u = 1.0;
    for &c in flows.iter().rev() {
        if c > 0.0 {
            fv_in += c * u;
        }
        u *= g;
    }
    if pv_out <= 0.0 || fv_in <= 0.0 {
        return if pv_out > 0.0 { -1.0 } else { f64::NAN };
    }
    libm::pow(fv_in / pv_out, 1.0 / (n - 1) as f64) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_in_one_year_is_100_percent() {
        assert!((irr(&[-100.0, 200.0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn quadratic_case() {
        // -200 + 300 v + 300 v² = 0 with v = 1/(1+r): 2(1+r)² - 3(1+r) - 3 = 0,
        // 1 + r = (3 + √33)/4, r = 1.186140661634507.
        let r = irr(&[-200.0, 300.0, 300.0]);
        assert!(
            (r - ((3.0 + 33f64.sqrt()) / 4.0 - 1.0)).abs() < 1e-12,
            "{r}"
        );
    }

    #[test]
    fn bond_like_flows() {
        // 10% coupon bond bought at par: IRR 10%.
        let r = irr(&[-1000.0, 100.0, 100.0, 1100.0]);
        assert!((r - 0.1).abs() < 1e-12, "{r}");
    }

    #[test]
    fn losses_and_undefined() {
        assert_eq!(irr(&[-5.0, 0.0, 0.0]), -1.0);
        assert!(irr(&[0.0, 5.0]).is_nan());
        assert!(irr(&[0.0, 0.0]).is_nan());
        // Lose half over two years: (1+r)² = 0.5.
        let r = irr(&[-100.0, 0.0, 50.0]);
        assert!((r - (0.5f64.sqrt() - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn near_total_losses_have_their_exact_rate() {
        // 1 + r = 1e-5: a rate the old grid could not reach.
        let r = irr(&[-100.0, 0.001]);
        assert!((r - (1e-5 - 1.0)).abs() < 1e-15, "{r}");
        // And very large rates: 1 + r = 1e6.
        let r = irr(&[-1.0, 1e6]);
        assert!((r / (1e6 - 1.0) - 1.0).abs() < 1e-12, "{r}");
    }

    #[test]
    fn two_roots_are_undefined_not_picked() {
        // −100 + 233 v − 135.6 v² has roots at 1 + r = 1.13 and 1.2 (13% and 20%): two sign
        // changes, so no IRR is reported (the old grid search answered −100%).
        let flows = [-100.0, 233.0, -135.6];
        assert!((npv(&flows, 0.13)).abs() < 1e-9 && npv(&flows, 0.2).abs() < 1e-9);
        assert_eq!(shape(&flows), Shape::Other);
        assert!(irr(&flows).is_nan());
        // The modified IRR at 5%: outflows 100 + 135.6/1.05² = 222.99, inflows 233·1.05 = 244.65,
        // (244.65 / 222.99)^(1/2) − 1 = 4.744%.
        let m = mirr(&flows, 0.05);
        let expected = (233.0f64 * 1.05 / (100.0 + 135.6 / 1.05 / 1.05)).sqrt() - 1.0;
        assert!((m - expected).abs() < 1e-12, "{m}");
    }

    #[test]
    fn borrowing_type_flows_are_undefined() {
        // Fee income first, then the losses: a guarantee that costs the city money has no IRR
        // (the old search took the first root of this borrowing and reported a large positive
        // rate). Money in first, one sign change.
        let guarantee = [5.0, 5.0, 5.0, -60.0];
        assert_eq!(shape(&guarantee), Shape::Other);
        assert!(irr(&guarantee).is_nan());
        assert!(irr(&[100.0, -110.0]).is_nan());
        // Its modified IRR at 2.5% is a loss: the fees compounded to year 3,
        // 5·(1.025³ + 1.025² + 1.025) = 15.77, against 60 / 1.025³ = 55.72 out.
        let m = mirr(&guarantee, 0.025);
        let fv = 5.0 * (1.025f64.powi(3) + 1.025f64.powi(2) + 1.025);
        let pv = 60.0 / 1.025f64.powi(3);
        assert!(
            (m - ((fv / pv).powf(1.0 / 3.0) - 1.0)).abs() < 1e-12 && m < 0.0,
            "{m}"
        );
    }

    #[test]
    fn zero_one_and_many_sign_changes() {
        assert_eq!(shape(&[]), Shape::Empty);
        assert_eq!(shape(&[0.0, -1.0, 0.0, -2.0]), Shape::Lost);
        assert_eq!(shape(&[0.0, -1.0, 0.0, 2.0, 3.0]), Shape::Investment);
        // Three sign changes, and the cumulative sums −1, 1, 0, 2 one: a unique rate (below).
        assert_eq!(shape(&[-1.0, 2.0, -1.0, 2.0]), Shape::Investment);
        // Three changes, cumulative sums −1, 2, 0.5, 2.5 one and from the end 2, 0.5, 3.5, 2.5
        // none: still provable. But −1, 3, −3, 2 has sums −1, 2, −1, 1 (three changes): not proved.
        assert_eq!(shape(&[-1.0, 3.0, -1.5, 2.0]), Shape::Investment);
        assert_eq!(shape(&[-1.0, 3.0, -3.0, 2.0]), Shape::Other);
        // A root found by bracketing is a root: −1, 0, 0, 0.5, 0.8 (one sign change).
        let flows = [-1.0, 0.0, 0.0, 0.5, 0.8];
        let r = irr(&flows);
        assert!(npv(&flows, r).abs() < 1e-12, "{r}");
    }

    #[test]
    fn a_fund_s_flows_with_several_sign_changes_have_their_one_rate() {
        // (v − 1/1.1)(1 + 0.05 v²) · 22 = −20 + 22 v − v² + 1.1 v³: its one positive root is
        // v = 1/1.1 (1 + 0.05 v² has none), a rate of exactly 10%, though the flows change sign
        // three times (once was all the old rule took). Cumulative sums −20, 2, 1, 2.1: one change.
        let flows = [-20.0, 22.0, -1.0, 1.1];
        assert_eq!(shape(&flows), Shape::Investment);
        let r = irr(&flows);
        assert!((r - 0.1).abs() < 1e-12, "{r}");
        // (v − 1.25)(1 + 8 v²) = −1.25 + v − 10 v² + 8 v³: one positive root, v = 1.25, a rate of
        // exactly −20% (money lost, part back). The sums from the start, −1.25, −0.25, −10.25,
        // −2.25, do not change sign (no rate above 0); from the end, 8, −2, −1, −2.25, once (one
        // rate below 0).
        let flows = [-1.25, 1.0, -10.0, 8.0];
        assert_eq!(shape(&flows), Shape::Investment);
        let r = irr(&flows);
        assert!((r + 0.2).abs() < 1e-12, "{r}");
        // −1 + 3 v − 1.5 v² has two positive roots, v = 1 ± 1/√3 (rates 136.6% and −36.6%): the
        // sums change sign once from each end, one root on each side of 0, so no IRR.
        let flows = [-1.0, 3.0, -1.5];
        assert!(npv(&flows, 1.0 / (1.0 - 1.0 / 3f64.sqrt()) - 1.0).abs() < 1e-12);
        assert!(npv(&flows, 1.0 / (1.0 + 1.0 / 3f64.sqrt()) - 1.0).abs() < 1e-12);
        assert_eq!(shape(&flows), Shape::Other);
        assert!(irr(&flows).is_nan());
        // Money out, some back, more out, nothing back: the value is negative at every rate
        // (sums −100, −50, −60 from the start and −10, 40, −60 from the end: 0 and 2 changes).
        assert!(irr(&[-100.0, 50.0, -10.0]).is_nan());
        // A total of exactly 0 with no change on either side (sums −10, −5, −10, 0 and 10, 5, 10,
        // 0): the rate is 0. (−10, 15, −10, 5 also totals 0, but its sums −10, 5, −5, 0 change
        // sign twice: not proved, undefined.)
        assert!(irr(&[-10.0, 15.0, -10.0, 5.0]).is_nan());
        let r = irr(&[-10.0, 5.0, -5.0, 10.0]);
        assert!(r.abs() < 1e-12, "{r}");
        // The same in yuan to the fen, where the sums do not come out exactly: −896,056,357.09 +
        // 348,421,996.66 − 753,826,930.42 + 1,301,461,290.85 is 0 fen, yet the sums from the end
        // finish at −1.19e-7 in binary; read as 0, the rate is 0 (it was undefined).
        let fen = [-896056357.09, 348421996.66, -753826930.42, 1301461290.85];
        assert_eq!(shape(&fen), Shape::Investment);
        let r = irr(&fen);
        assert!(r.abs() < 1e-9, "{r}");
    }

    #[test]
    fn mirr_of_a_par_bond_is_its_coupon() {
        // Reinvesting 10% coupons at 10%: 100·1.21 + 100·1.1 + 1100 = 1331 = 1000·1.1³.
        let m = mirr(&[-1000.0, 100.0, 100.0, 1100.0], 0.1);
        assert!((m - 0.1).abs() < 1e-12, "{m}");
        assert_eq!(mirr(&[-5.0, 0.0], 0.03), -1.0);
        assert!(mirr(&[5.0, 0.0], 0.03).is_nan());
    }

    #[test]
    fn npv_discounts_by_year() {
        assert!((npv(&[0.0, 110.0], 0.1) - 100.0).abs() < 1e-12);
    }
}
