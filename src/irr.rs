//! Internal rate of return and present value of yearly dated flows.
//!
//! Flows `c_0 … c_{T-1}` fall at the ends of consecutive years. The IRR is the rate `r > -1` with
//! `NPV(r) = Σ c_t (1+r)^{-t} = 0`, evaluated by Horner's rule in `v = 1/(1+r)` (no `powf`).
//! - no positive flow and some negative: the money is lost, IRR = -100% (−1);
//! - no negative flow: undefined (`NaN`);
//! - otherwise the smallest root found on a grid from -99.99% to 10 000% refined by bisection;
//! - NPV negative on the whole grid (worse than losing 99.99% a year): −1; positive on the whole grid
//!   (better than 10 000% a year): `NaN`.
//!
//! For conventional flows (outflows, then inflows) the root is unique, so "smallest" only matters for
//! unusual sign patterns.

/// `Σ c_t (1+r)^{-t}`.
pub fn npv(flows: &[f64], rate: f64) -> f64 {
    let v = 1.0 / (1.0 + rate);
    flows.iter().rev().fold(0.0, |acc, c| acc * v + c)
}

/// The internal rate of return of yearly flows (see the module header).
pub fn irr(flows: &[f64]) -> f64 {
    let any_pos = flows.iter().any(|&c| c > 0.0);
    let any_neg = flows.iter().any(|&c| c < 0.0);
    match (any_neg, any_pos) {
        (true, false) => return -1.0,
        (false, _) => return f64::NAN,
        _ => {}
    }
    let grid = &*GRID;
    let mut prev_r = grid[0];
    let mut prev = npv(flows, prev_r);
    if prev == 0.0 {
        return prev_r;
    }
    for &r in &grid[1..] {
        let cur = npv(flows, r);
        if cur == 0.0 {
            return r;
        }
        if (cur < 0.0) != (prev < 0.0) {
            return bisect(flows, prev_r, r, prev);
        }
        prev_r = r;
        prev = cur;
    }
    if prev < 0.0 { -1.0 } else { f64::NAN }
}

const GRID_STEPS: usize = 120;

/// Rates from −99.99% to 10 000%, evenly spaced in `ln(1+r)` (dense near 0 where rates live).
static GRID: std::sync::LazyLock<[f64; GRID_STEPS + 1]> = std::sync::LazyLock::new(|| {
    let (a, b) = (libm::log(1.0 - 0.9999), libm::log(1.0 + 100.0));
    std::array::from_fn(|s| libm::exp(a + (b - a) * s as f64 / GRID_STEPS as f64) - 1.0)
});

fn bisect(flows: &[f64], mut lo: f64, mut hi: f64, f_lo: f64) -> f64 {
    let lo_negative = f_lo < 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let f = npv(flows, mid);
        if f == 0.0 {
            return mid;
        }
        if (f < 0.0) == lo_negative {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
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
    fn near_total_losses_are_minus_100_percent() {
        // The root is 1 + r = 1e-5, below the grid: reported as a total loss.
        assert_eq!(irr(&[-100.0, 0.001]), -1.0);
    }

    #[test]
    fn npv_discounts_by_year() {
        assert!((npv(&[0.0, 110.0], 0.1) - 100.0).abs() < 1e-12);
    }
}
