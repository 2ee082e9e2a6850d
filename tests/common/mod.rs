//! What several test files share.

/// One year of new projects, Poisson with mean λ (`industries.ic.arrivals_per_year`, 5 here), and
/// the target "at least 10 projects landed in 2024" (`projects`).
pub const POISSON: &str = include_str!("../data/poisson.toml");

/// `P(Poisson(λ) ≥ k)`, summed exactly.
pub fn tail(lambda: f64, k: u32) -> f64 {
    let mut term = (-lambda).exp();
    let mut below = 0.0;
    for j in 0..k {
        below += term;
        term *= lambda / f64::from(j + 1);
    }
    1.0 - below
}
