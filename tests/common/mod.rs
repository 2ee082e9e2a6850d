//! What several test files share.

/// One year of new projects, Poisson with mean λ (`industries.ic.arrivals_per_year`, 5 here), and
/// the target "at least 10 projects landed in 2024" (`projects`).
#[allow(dead_code)]
pub const POISSON: &str = include_str!("../data/poisson.toml");

/// `P(Poisson(λ) ≥ k)`, summed exactly.
#[allow(dead_code)]
pub fn tail(lambda: f64, k: u32) -> f64 {
    let mut term = (-lambda).exp();
    let mut below = 0.0;
    for j in 0..k {
        below += term;
        term *= lambda / f64::from(j + 1);
    }
    1.0 - below
}

/// A scenario of one industry `x` over `horizon` years from 2024 with no market moves and no new
/// projects: `stages` are its `[[industries.stages]]` tables (with revenue growth), `after` is
/// appended (large arrivals, instruments, `[valuation]`, ...). Thresholds are on value, far away.
#[allow(dead_code)]
pub fn one_industry(horizon: u32, stages: &str, after: &str) -> String {
    format!(
        r#"
[scenario]
name = "one_industry"
[time]
start_year = 2024
horizon_years = {horizon}
[market]
rho = 0.0
industry_rho = 0.0
sensitivity = {{ round = 0, exit = 0, fail = 0, value = 0, exit_value = 0 }}
[program]
discount_rate = 0
recycling = {{ to_pool = 0 }}
[[industries]]
id = "x"
name = "测试"
arrivals_per_year = 0
beta_market = 0
beta_industry = 0
entry = {{ value = {{ median = "1000万", sigma = 0 }}, revenue = {{ median = "100万", sigma = 0 }} }}
{stages}
{after}
"#
    )
}

/// A stage of [`one_industry`] with yearly probabilities and `existing` firms (valued 1000万);
/// rounds into it step up 10× (the first stage, named `seed`, has no step-up: its round is the
/// entry round); exits are acquisitions at 2× the mark.
#[allow(dead_code)]
pub fn stage(name: &str, (p_round, p_exit, p_fail): (f64, f64, f64), existing: u32) -> String {
    let step_up = if name == "seed" {
        ""
    } else {
        "step_up = { median = 10, sigma = 0 }\n"
    };
    let existing = if existing > 0 {
        format!(
            "existing = {{ count = {existing}, value = {{ median = \"1000万\", sigma = 0 }}, revenue = {{ median = \"100万\", sigma = 0 }}, age = [1, 1] }}\n"
        )
    } else {
        String::new()
    };
    format!(
        "[[industries.stages]]\nname = \"{name}\"\ndilution = 0.2\n{step_up}p_round = {p_round}\np_exit = {p_exit}\np_fail = {p_fail}\nexit_multiple = {{ median = 2, sigma = 0 }}\nipo_share = 0\nrevenue_growth = {{ mean = 0, vol = 0 }}\n{existing}"
    )
}

/// The files a run writes (without `--deals`, `--format xlsx` or `--report`).
#[allow(dead_code)]
pub const RUN_FILES: [&str; 7] = [
    "summary.csv",
    "targets.csv",
    "yearly.csv",
    "indicators.csv",
    "metrics.csv",
    "paths.parquet",
    "run.json",
];
