//! The firm model's log-normal draws against their closed-form moments: the step-up of a round,
//! the share it sells (dilution), and the multiple at exit, each as a scenario writes them
//! (`{ median, sigma }`) through `compile` and the transition code firms use.
//!
//! A ladder of three stages where every firm rounds in years 0 and 1 and exits in year 2:
//! - seed → A: post-money `P₁ = v₀·S_A`, `S_A ~ LN(ln 2.5, 0.7)`, selling `d_A = 0.25`;
//! - A → B: `P₂ = P₁·S_B`, `S_B ~ LN(ln 1.6, 0.4)`, selling `d_B = 0.15`;
//! - exit from B: `V = P₂·stale(1)·M`, `M ~ LN(ln 1.8, 0.9)`, listed with probability 0.3.
//!
//! Closed forms: for `X ~ LN(μ, σ)`, `E X = e^{μ+σ²/2}` and `Var X = (e^{σ²}−1)·e^{2μ+σ²}`; `ln X`
//! has mean μ and variance σ², whose sample variance has standard error `σ²·√(2/(n−1))`. The draws
//! are independent, so `ln V − ln v₀ − ln stale` is normal with mean `μ_A+μ_B+μ_M` and variance
//! `σ_A²+σ_B²+σ_M²`, and the log step-up and log multiple are uncorrelated (a correlation's
//! standard error is `1/√n`). The money a round raises is `d·P`; after both rounds the founders keep
//! `(1−d_A)(1−d_B)` exactly, and `raised = d_A·P₁ + d_B·P₂` has mean
//! `v₀·(d_A·E S_A + d_B·E S_A·E S_B)`. Every check is within 4 × MCSE (the closed-form standard
//! error where there is one), with a fixed key; 200,000 firms.

use fundsim::firms::{Firms, Status};
use fundsim::model::{Model, compile};
use fundsim::rng;
use fundsim::scenario::load_str;

mod common;
use common::one_industry;

const N: usize = 200_000;
const V0: f64 = 1.0e7;
const D_A: f64 = 0.25;
const D_B: f64 = 0.15;
const IPO: f64 = 0.3;

fn ln_normal(median: f64, sigma: f64) -> (f64, f64) {
    (median.ln(), sigma)
}
const STEP_A: (f64, f64) = (2.5, 0.7);
const STEP_B: (f64, f64) = (1.6, 0.4);
const MULTIPLE: (f64, f64) = (1.8, 0.9);

fn model() -> Model {
    let stages = format!(
        "[[industries.stages]]\nname = \"seed\"\ndilution = 0.2\np_round = 1\np_exit = 0\np_fail = 0\n\
         exit_multiple = {{ median = 1, sigma = 0 }}\nipo_share = 0\nrevenue_growth = {{ mean = 0, vol = 0 }}\n\
         [[industries.stages]]\nname = \"A\"\ndilution = {D_A}\nstep_up = {{ median = {}, sigma = {} }}\n\
         p_round = 1\np_exit = 0\np_fail = 0\nexit_multiple = {{ median = 1, sigma = 0 }}\nipo_share = 0\n\
         revenue_growth = {{ mean = 0, vol = 0 }}\n\
         [[industries.stages]]\nname = \"B\"\ndilution = {D_B}\nstep_up = {{ median = {}, sigma = {} }}\n\
         p_round = 0\np_exit = 1\np_fail = 0\nexit_multiple = {{ median = {}, sigma = {} }}\nipo_share = {IPO}\n\
         revenue_growth = {{ mean = 0, vol = 0 }}\n",
        STEP_A.0, STEP_A.1, STEP_B.0, STEP_B.1, MULTIPLE.0, MULTIPLE.1
    );
    compile(&load_str("moments.toml", &one_industry(5, &stages, "")).expect("valid"))
}

/// What each firm did: `(P₁, P₂, V, raised, retention, listed)`.
struct Firm {
    p1: f64,
    p2: f64,
    exit: f64,
    raised: f64,
    retention: f64,
    listed: bool,
}

/// Follows `N` outside firms from the seed stage through three years, the industry's factor at
/// `x` every year.
fn simulate(model: &Model, x: f64) -> Vec<Firm> {
    let mut pop = Firms::default();
    pop.clear(1, 0);
    let parent = rng::key(2024, 0, rng::industry_firms("x"));
    let ids: Vec<u32> = (0..N as u64)
        .map(|j| pop.add_outside(0, 0, V0, 0, rng::child(parent, rng::purpose::ARRIVAL, 0, j)))
        .collect();
    let mut after = Vec::new();
    for year in 0..3 {
        pop.begin_year(model, &[x]);
        pop.outside_year(model, (0, year));
        after.push(
            ids.iter()
                .map(|&f| pop.value[f as usize])
                .collect::<Vec<_>>(),
        );
    }
    ids.iter()
        .enumerate()
        .map(|(j, &f)| {
            let f = f as usize;
            assert!(
                matches!(pop.status[f], Status::Listed | Status::Acquired),
                "every firm exits in year 2"
            );
            Firm {
                p1: after[0][j],
                p2: after[1][j],
                exit: after[2][j],
                raised: pop.raised[f],
                retention: pop.retention[f],
                listed: pop.status[f] == Status::Listed,
            }
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)
}

fn within(what: &str, got: f64, want: f64, se: f64) {
    assert!(
        (got - want).abs() <= 4.0 * se,
        "{what}: simulated {got}, closed form {want} (4 × MCSE = {})",
        4.0 * se
    );
}

/// Checks the log of a log-normal sample: mean μ, variance σ², and the level's mean `e^{μ+σ²/2}`.
fn lognormal(what: &str, sample: &[f64], (mu, sigma): (f64, f64)) {
    let n = sample.len() as f64;
    let logs: Vec<f64> = sample.iter().map(|x| x.ln()).collect();
    within(
        &format!("{what}: mean log"),
        mean(&logs),
        mu,
        sigma / n.sqrt(),
    );
    let s2 = sigma * sigma;
    within(
        &format!("{what}: variance of the log"),
        var(&logs),
        s2,
        s2 * (2.0 / (n - 1.0)).sqrt(),
    );
    let level_var = (s2.exp() - 1.0) * (2.0 * mu + s2).exp();
    within(
        &format!("{what}: mean"),
        mean(sample),
        (mu + s2 / 2.0).exp(),
        (level_var / n).sqrt(),
    );
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>();
    let sa: f64 = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>();
    let sb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum::<f64>();
    cov / (sa * sb).sqrt()
}

#[test]
fn step_ups_dilution_and_exit_multiples_match_their_closed_forms() {
    let model = model();
    let stale = model.valuation.staleness(1.0);
    let firms = simulate(&model, 0.0);
    let n = firms.len() as f64;
    let a = ln_normal(STEP_A.0, STEP_A.1);
    let b = ln_normal(STEP_B.0, STEP_B.1);
    let m = ln_normal(MULTIPLE.0, MULTIPLE.1);

    let step_a: Vec<f64> = firms.iter().map(|f| f.p1 / V0).collect();
    let step_b: Vec<f64> = firms.iter().map(|f| f.p2 / f.p1).collect();
    let multiple: Vec<f64> = firms.iter().map(|f| f.exit / f.p2 / stale).collect();
    lognormal("step-up into A", &step_a, a);
    lognormal("step-up into B", &step_b, b);
    lognormal("exit multiple", &multiple, m);

    // The exit value: one log-normal with the sums of the parameters.
    let total: Vec<f64> = firms.iter().map(|f| f.exit / (V0 * stale)).collect();
    lognormal(
        "exit value over the entry value",
        &total,
        (a.0 + b.0 + m.0, (a.1 * a.1 + b.1 * b.1 + m.1 * m.1).sqrt()),
    );

    // Independent draws: the log step-up and the log multiple are uncorrelated.
    let (la, lm): (Vec<f64>, Vec<f64>) = (step_a.iter().zip(&multiple))
        .map(|(s, x)| (s.ln(), x.ln()))
        .unzip();
    within(
        "corr(ln S_A, ln M)",
        correlation(&la, &lm),
        0.0,
        1.0 / n.sqrt(),
    );

    // Dilution: each round sells exactly its share; the founders keep the product of the rest.
    for f in &firms {
        let want = D_A * f.p1 + D_B * f.p2;
        assert!(
            (f.raised - want).abs() <= 1e-9 * want,
            "raised {} vs {want}",
            f.raised
        );
        assert_eq!(f.retention, (1.0 - D_A) * (1.0 - D_B));
    }
    let e = |(mu, s): (f64, f64)| (mu + s * s / 2.0).exp();
    let raised: Vec<f64> = firms.iter().map(|f| f.raised).collect();
    within(
        "money raised by the two rounds",
        mean(&raised),
        V0 * (D_A * e(a) + D_B * e(a) * e(b)),
        (var(&raised) / n).sqrt(),
    );

    let listed = firms.iter().filter(|f| f.listed).count() as f64 / n;
    within("share listed", listed, IPO, (IPO * (1.0 - IPO) / n).sqrt());
}

#[test]
fn the_market_moves_the_log_step_up_and_multiple_by_their_loadings() {
    // With loadings b (value) and b_e (exit value) and the industry's factor at x, each log
    // step-up shifts by b·x and the log multiple by b_e·x; the spreads are unchanged.
    let mut model = model();
    model.market.b_value = 0.4;
    model.market.b_exit_value = -0.3;
    let x = 0.5;
    let stale = model.valuation.staleness(1.0);
    let firms = simulate(&model, x);
    let a = ln_normal(STEP_A.0, STEP_A.1);
    let m = ln_normal(MULTIPLE.0, MULTIPLE.1);
    let step_a: Vec<f64> = firms.iter().map(|f| f.p1 / V0).collect();
    let multiple: Vec<f64> = firms.iter().map(|f| f.exit / f.p2 / stale).collect();
    lognormal(
        "step-up into A in a hot market",
        &step_a,
        (a.0 + 0.4 * x, a.1),
    );
    lognormal(
        "exit multiple in a hot market",
        &multiple,
        (m.0 - 0.3 * x, m.1),
    );
}
