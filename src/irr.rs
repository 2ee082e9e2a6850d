//! Internal rate of return, modified IRR and present value of yearly dated flows.
//!
//! Flows `c_0 … c_{T-1}` fall at the ends of consecutive years. With `v = 1/(1+r)`,
//! `NPV(r) = Σ c_t v^t` is a polynomial in `v` (evaluated by Horner's rule, no `powf`).
//!
//! **When an IRR means something.** Only for an investment: the first non-zero flow is money out
//! and the non-zero flows change sign exactly once. Then, by Descartes' rule of signs, the
//! polynomial has exactly one positive root `v*`: it is negative for small `v` (the first
//! coefficient dominates) and positive for large `v` (the last one does), so doubling or halving `v`
//! from 1 brackets the root and bisection finds it to the last bit; the IRR is `1/v* − 1`, any rate
//! above −100%. Otherwise:
//! - every non-zero flow is money out: the money is lost, IRR = −100% (−1);
//! - no flow, money in first (a borrowing: fees before losses, proceeds before calls) or more than
//!   one sign change (several roots, or none): **undefined** (`NaN`), never a root picked from
//!   several. [`mirr`] reads such flows instead.
//!
//! **Modified IRR** at one rate `ρ` for financing and reinvestment (the scenario's discount rate):
//! `(FV_ρ(inflows) / PV_ρ(outflows))^{1/(T−1)} − 1`, with outflows discounted to year 0 and inflows
//! compounded to year `T−1`. Defined whenever there is money out and money in.

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
    /// Money out first, then in: one sign change, a unique IRR.
    Investment,
    /// Money in first (a borrowing), or several sign changes: no meaningful IRR.
    Other,
}

/// The shape of `flows` (see the module header).
pub fn shape(flows: &[f64]) -> Shape {
    let mut nonzero = flows.iter().copied().filter(|&c| c != 0.0);
    let Some(first) = nonzero.next() else {
        return Shape::Empty;
    };
    let (mut sign, mut changes) = (first > 0.0, 0);
    for c in nonzero {
        if (c > 0.0) != sign {
            changes += 1;
            sign = c > 0.0;
        }
    }
    match (first > 0.0, changes) {
        (false, 0) => Shape::Lost,
        (false, 1) => Shape::Investment,
        _ => Shape::Other,
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

/// The modified IRR at `rate` (financing and reinvestment), `NaN` without both money out and in.
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
        assert_eq!(shape(&[-1.0, 2.0, -1.0, 2.0]), Shape::Other);
        // A root found by bracketing is a root: −1, 0, 0, 0.5, 0.8 (one sign change).
        let flows = [-1.0, 0.0, 0.0, 0.5, 0.8];
        let r = irr(&flows);
        assert!(npv(&flows, r).abs() < 1e-12, "{r}");
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
