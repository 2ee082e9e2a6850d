//! Target probabilities and means against closed forms, within 4 Monte Carlo standard errors.
//!
//! Each case has an exact answer derived beside it. The tolerance is 4 × MCSE with the MCSE computed
//! from the *exact* probability, `√(p(1−p)/n)`, so a correct simulator fails a case with probability
//! about 6e-5; seeds are fixed, so the tests are reproducible.

use fundsim::model::compile;
use fundsim::report::target_rows;
use fundsim::run::{RunSettings, Silent, run};
use fundsim::scenario::load_str;

const PATHS: u64 = 20_000;

/// One industry of `n` identical seed firms worth 1000万 that move to stage A (worth 1亿, a
/// "unicorn" under the 5000万 threshold used here) with yearly probability `p_round`, and never
/// exit or fail. `extra` adds market loadings, arrivals and targets.
fn scenario(
    horizon: u32,
    n: u32,
    p_round: f64,
    arrivals: f64,
    market: &str,
    targets: &str,
) -> String {
    format!(
        r#"
[scenario]
name = "closed_form"
[time]
start_year = 2024
horizon_years = {horizon}
[market]
rho = 0.0
industry_rho = 0.0
{market}
[thresholds]
unicorn = {{ value = "5000万", max_age = 50 }}
potential_unicorn = {{ value = "4000万", max_age = 50 }}
chain_leader = {{ measure = "value", value = "100亿" }}
cluster = {{ measure = "value", value = "1000亿" }}
[program]
discount_rate = 0
recycling = {{ to_pool = 0 }}
[[industries]]
id = "x"
name = "测试"
arrivals_per_year = {arrivals}
beta_market = 0.8
beta_industry = 0.6
entry = {{ value = {{ median = "1000万", sigma = 0 }} }}
[[industries.stages]]
name = "seed"
dilution = 0.2
p_round = {p_round}
p_exit = 0
p_fail = 0
exit_multiple = {{ median = 1, sigma = 0 }}
ipo_share = 0
existing = {{ count = {n}, value = {{ median = "1000万", sigma = 0 }}, age = [1, 1] }}
[[industries.stages]]
name = "A"
dilution = 0.2
step_up = {{ median = 10, sigma = 0 }}
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = {{ median = 1, sigma = 0 }}
ipo_share = 0
{targets}
"#
    )
}

const NO_MARKET: &str =
    "sensitivity = { round = 0, exit = 0, fail = 0, value = 0, exit_value = 0 }";

fn target(id: &str, metric: &str, threshold: u32, deadline: u32) -> String {
    format!(
        "[[targets]]\nid = \"{id}\"\nlabel = \"{id}\"\nmetric = \"{metric}\"\nthreshold = {threshold}\ndeadline = {deadline}\n"
    )
}

/// Simulated P(met) of each target, in file order.
fn probabilities(text: &str, seed: u64) -> Vec<f64> {
    let model = compile(&load_str("closed_form.toml", text).expect("valid scenario"));
    let result = run(&model, RunSettings::new(PATHS, seed), &Silent);
    target_rows(&model, &result)
        .iter()
        .filter(|r| !r.target.starts_with("all"))
        .map(|r| r.estimate.p)
        .collect()
}

fn ln_choose(n: u32, k: u32) -> f64 {
    let lg = |m: u32| (1..=m).map(|i| (i as f64).ln()).sum::<f64>();
    lg(n) - lg(k) - lg(n - k)
}

/// P(Binomial(n, q) ≥ k).
fn binomial_tail(n: u32, q: f64, k: u32) -> f64 {
    (k..=n)
        .map(|j| (ln_choose(n, j) + j as f64 * q.ln() + (n - j) as f64 * (1.0 - q).ln()).exp())
        .sum()
}

/// P(Poisson(λ) ≥ k).
fn poisson_tail(lambda: f64, k: u32) -> f64 {
    let mut p = (-lambda).exp();
    let mut below = 0.0;
    for j in 0..k {
        below += p;
        p *= lambda / (j + 1) as f64;
    }
    1.0 - below
}

fn assert_within(simulated: f64, exact: f64, what: &str) {
    let mcse = (exact * (1.0 - exact) / PATHS as f64).sqrt();
    assert!(
        (simulated - exact).abs() <= 4.0 * mcse,
        "{what}: simulated {simulated}, exact {exact}, 4·MCSE {}",
        4.0 * mcse
    );
}

#[test]
fn independent_firms_give_binomial_target_probabilities() {
    // One year: each of 20 firms raises with p = 0.3, so the count of "unicorns" at the end of 2024
    // is Binomial(20, 0.3); P(≥ 8) = 0.227728.
    // Three years: a firm has raised by the end of 2026 with q = 1 − 0.7³ = 0.657, and firms are
    // independent, so the count is Binomial(20, 0.657); P(≥ 15) = 0.266461 (computed by
    // `binomial_tail` from the pmf).
    let targets =
        target("one_year", "unicorns", 8, 2024) + &target("three_years", "unicorns", 15, 2026);
    let p = probabilities(&scenario(3, 20, 0.3, 0.0, NO_MARKET, &targets), 11);
    assert_within(p[0], binomial_tail(20, 0.3, 8), "Binomial(20, 0.3) ≥ 8");
    assert_within(
        p[1],
        binomial_tail(20, 1.0 - 0.7f64.powi(3), 15),
        "Binomial(20, 0.657) ≥ 15",
    );
}

#[test]
fn arrivals_give_poisson_target_probabilities() {
    // New projects arrive Poisson(7) a year, independently, so projects landed over 2024–2026 are
    // Poisson(21): P(≥ 25) = 1 − Σ_{j<25} e^{-21} 21^j / j! = 0.217845.
    // The one-year minimum: P(every year ≥ 6) = P(Poisson(7) ≥ 6)³ = 0.341960 (years independent).
    let targets = target("landed", "projects_landed", 25, 2026)
        + &target("each_year", "projects_landed_min_per_year", 6, 2026);
    let p = probabilities(&scenario(3, 0, 0.3, 7.0, NO_MARKET, &targets), 12);
    assert_within(p[0], poisson_tail(21.0, 25), "Poisson(21) ≥ 25");
    assert_within(
        p[1],
        poisson_tail(7.0, 6).powi(3),
        "min of three Poisson(7) ≥ 6",
    );
}

#[test]
fn a_common_market_factor_makes_firms_move_together() {
    // One year, 10 firms, base p = 0.3, round loading a_g = 1 and firm exposure
    // x = 0.8·m + 0.6·k with m, k independent N(0, 1) (stationary start), so x ~ N(0, 1). Given x,
    // firms are independent with g(x) = logistic(logit 0.3 + x), so
    // P(count ≥ 5) = ∫ P(Binomial(10, g(x)) ≥ 5) φ(x) dx, integrated here by Simpson's rule on
    // [−10, 10] with 4000 intervals: 0.291627. Without the factor it would be Binomial(10, 0.3):
    // 0.150268 — the false confidence the factor exists to prevent.
    let market = "sensitivity = { round = 1.0, exit = 0, fail = 0, value = 0, exit_value = 0 }";
    let targets = target("five", "unicorns", 5, 2024);
    let p = probabilities(&scenario(1, 10, 0.3, 0.0, market, &targets), 13);

    let logit = (0.3f64 / 0.7).ln();
    let integrand = |x: f64| {
        let g = 1.0 / (1.0 + (-(logit + x)).exp());
        binomial_tail(10, g, 5) * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    };
    let (a, b, m) = (-10.0, 10.0, 4000);
    let h = (b - a) / m as f64;
    let mut sum = integrand(a) + integrand(b);
    for i in 1..m {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * integrand(a + i as f64 * h);
    }
    let exact = sum * h / 3.0;
    assert_within(p[0], exact, "market mixture");
    // The test has power: the naive binomial answer is far outside the tolerance.
    let naive = binomial_tail(10, 0.3, 5);
    assert!((exact - naive).abs() > 10.0 * (exact * (1.0 - exact) / PATHS as f64).sqrt());
}

#[test]
fn mean_projects_landed_matches_poisson_mean() {
    // Over a 10-year horizon at 7 a year the mean is 70, variance 70; MCSE = √(70/n).
    let text = scenario(10, 0, 0.3, 7.0, NO_MARKET, "");
    let model = compile(&load_str("closed_form.toml", &text).expect("valid scenario"));
    let result = run(&model, RunSettings::new(PATHS, 14), &Silent);
    let i = result
        .catalogue
        .scalars
        .iter()
        .position(|c| c.name == "projects_landed")
        .unwrap();
    let values = &result.scalars[i];
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let mcse = (70.0 / PATHS as f64).sqrt();
    assert!((mean - 70.0).abs() <= 4.0 * mcse, "mean {mean}");
}

#[test]
fn subsidy_events_and_budget_rationing_match_poisson_expectations() {
    // 20 seed firms that never move; one subsidy rule pays a fixed 10万 per event at 0.5 events per
    // firm-year, so a year's events are Poisson(10) and the claims are 10万 × N.
    // - Unlimited budget (1亿): E[paid] = 10万 × 10 = 100万, sd 10万 × √10 per path.
    // - Budget 50万, pro rata: paid = min(10万 × N, 50万), E = 10万 × Σ_n min(n, 5) P(N = n)
    //   = 10万 × (5 − Σ_{n<5} (5 − n) P(N = n)), with P(N = n) = e^{−10} 10^n / n!.
    let rule = |budget: &str| {
        format!(
            "[[instruments.subsidy]]\nid = \"s\"\nbudget = \"{budget}\"\nrationing = \"pro_rata\"\n\
             [[instruments.subsidy.rules]]\nlabel = \"r\"\nfixed = \"10万\"\nevents_per_firm_year = 0.5\n"
        )
    };
    let mean_paid = |budget: &str, seed: u64| {
        let text = scenario(1, 20, 0.0, 0.0, NO_MARKET, &rule(budget));
        let model = compile(&load_str("closed_form.toml", &text).expect("valid scenario"));
        let result = run(&model, RunSettings::new(PATHS, seed), &Silent);
        let i = (result.catalogue.scalars.iter())
            .position(|c| c.name == "deployed.s")
            .unwrap();
        let v = &result.scalars[i];
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        (mean, sd / (v.len() as f64).sqrt())
    };
    let (mean, mcse) = mean_paid("1亿", 21);
    let exact = 1_000_000.0;
    let mcse_exact = 100_000.0 * 10f64.sqrt() / (PATHS as f64).sqrt();
    assert!(
        (mean - exact).abs() <= 4.0 * mcse_exact,
        "unlimited: {mean} vs {exact} (MCSE {mcse})"
    );

    let mut p = (-10f64).exp();
    let mut short = 0.0;
    for n in 0..5 {
        short += (5 - n) as f64 * p;
        p *= 10.0 / (n + 1) as f64;
    }
    let exact = 100_000.0 * (5.0 - short);
    let (mean, mcse) = mean_paid("50万", 22);
    assert!(
        (mean - exact).abs() <= 4.0 * mcse.max(1.0),
        "rationed: {mean} vs {exact} (MCSE {mcse})"
    );
}
