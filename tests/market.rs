//! The market factors as firms see them, against their closed forms: a wrong variance, a wrong
//! autocorrelation, a regime applied to the wrong year or a loading with the wrong sign fails.
//!
//! Each industry sees `x_i = β_m,i·(m_t + shift_t) + β_i·k_i,t`, with `m` and `k_i` independent
//! stationary AR(1) factors of unit variance (autocorrelations ρ and ρ_I). So, with no shift:
//! `Var x_i = β_m,i² + β_i²`, `Cov(x_1, x_2) = β_m,1·β_m,2` (only the common factor is shared) and
//! `Cov(x_i,t, x_i,t−1) = β_m,i²·ρ + β_i²·ρ_I`; a shift `s` moves the mean of `x_i` by `β_m,i·s`.

use fundsim::model::compile;
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;

mod common;
use common::{one_industry, stage};

const PATHS: u64 = 20_000;

/// Two industries: `x` (β_m = 1.0, β_i = 0.6) and `y` (β_m = −0.8, β_i = 0.5), ρ = 0.5,
/// ρ_I = 0.3, over `horizon` years, a regime shift of −1 in the last year if `shifted`.
fn scenario(horizon: u32, shifted: bool) -> String {
    let stages = stage("seed", (0.0, 0.0, 0.0), 0) + &stage("A", (0.0, 0.0, 0.0), 0);
    let second = format!(
        "[[industries]]\nid = \"y\"\nname = \"第二\"\narrivals_per_year = 0\nbeta_market = -0.8\nbeta_industry = 0.5\n\
         entry = {{ value = {{ median = \"1000万\", sigma = 0 }}, revenue = {{ median = \"100万\", sigma = 0 }} }}\n{stages}"
    );
    let text = one_industry(horizon, &stages, &second)
        .replace(
            "beta_market = 0\nbeta_industry = 0",
            "beta_market = 1.0\nbeta_industry = 0.6",
        )
        .replace(
            "rho = 0.0\nindustry_rho = 0.0",
            "rho = 0.5\nindustry_rho = 0.3",
        );
    if shifted {
        let last = 2024 + horizon - 1;
        text.replace(
            "[market]\n",
            &format!("[market]\nregimes = [{{ from = {last}, to = {last}, shift = -1.0, label = \"冷\" }}]\n"),
        )
    } else {
        text
    }
}

/// The factors `(x, y)` of the last year of each path.
fn last_year(horizon: u32, shifted: bool) -> Vec<(f64, f64)> {
    let model = compile(&load_str("market.toml", &scenario(horizon, shifted)).expect("valid"));
    let mut sim = PathSim::new(&model);
    (0..PATHS)
        .map(|p| {
            sim.run(11, p);
            let x = sim.market_factors();
            (x[0], x[1])
        })
        .collect()
}

/// Mean of `f` over the pairs and its Monte Carlo standard error.
fn mean_se(v: &[(f64, f64)], f: impl Fn(&(f64, f64)) -> f64) -> (f64, f64) {
    let n = v.len() as f64;
    let xs: Vec<f64> = v.iter().map(f).collect();
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn close(what: &str, (got, se): (f64, f64), want: f64) {
    assert!(
        (got - want).abs() <= 4.0 * se,
        "{what}: {got} vs {want} (4 × MCSE = {})",
        4.0 * se
    );
}

#[test]
fn variances_and_the_cross_industry_covariance_match_the_loadings() {
    let v = last_year(3, false);
    // Means 0, so E[x²] is the variance and E[xy] the covariance.
    close("E x", mean_se(&v, |p| p.0), 0.0);
    close("Var x = 1.0² + 0.6²", mean_se(&v, |p| p.0 * p.0), 1.36);
    close("Var y = 0.8² + 0.5²", mean_se(&v, |p| p.1 * p.1), 0.89);
    // The sign of a loading shows here: with β_m,y = +0.8 this would be +0.8.
    close("Cov(x, y) = 1.0 × (−0.8)", mean_se(&v, |p| p.0 * p.1), -0.8);
}

#[test]
fn lag_one_autocovariance_matches_the_two_ar1_factors() {
    // The same seed and path draw the same factor sequence whatever the horizon, so the last
    // year of a 3-year run and of a 4-year run are consecutive years of one path.
    let (a, b) = (last_year(3, false), last_year(4, false));
    let pairs: Vec<(f64, f64)> = a.iter().zip(&b).map(|(p, q)| (p.0, q.0)).collect();
    // 1.0² × 0.5 + 0.6² × 0.3 = 0.608.
    close("Cov(x_t, x_t−1)", mean_se(&pairs, |p| p.0 * p.1), 0.608);
    let pairs: Vec<(f64, f64)> = a.iter().zip(&b).map(|(p, q)| (p.1, q.1)).collect();
    // 0.8² × 0.5 + 0.5² × 0.3 = 0.395.
    close("Cov(y_t, y_t−1)", mean_se(&pairs, |p| p.0 * p.1), 0.395);
}

#[test]
fn a_regime_shift_moves_each_industry_by_its_loading() {
    // A shift of −1 in the last year: E x = 1.0 × (−1) = −1, E y = −0.8 × (−1) = +0.8; the
    // variances do not change (the shift is not in the recursion).
    let v = last_year(3, true);
    close("E x", mean_se(&v, |p| p.0), -1.0);
    close("E y", mean_se(&v, |p| p.1), 0.8);
    close("Var x", mean_se(&v, |p| (p.0 + 1.0).powi(2)), 1.36);
}
