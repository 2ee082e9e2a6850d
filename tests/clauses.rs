//! Clause logic of subsidy rules in the simulator, against closed forms: items that claim again
//! (a drug's later phases, a product's later years) under a total per item; claims by this year's
//! large arrivals (新落户的头部企业); claims only by firms the city invested in (获得政府引导基金投资).
//! Tolerances are 4 × the Monte Carlo standard error of the exact mean.

use fundsim::model::compile;
use fundsim::run::{RunSettings, Silent, run};
use fundsim::scenario::load_str;

const PATHS: u64 = 20_000;

mod common;
use common::{one_industry, stage};

/// One industry `x` of `n` seed firms that never move (no rounds, exits or failures), no new
/// projects, `large` large arrivals a year, over `horizon` years from 2024; `instruments` appended.
fn scenario(n: u32, large: f64, horizon: u32, instruments: &str) -> String {
    let stages = stage("seed", (0.0, 0.0, 0.0), n) + &stage("A", (0.0, 0.0, 0.0), 0);
    let large = format!(
        "[industries.large_arrivals]\nper_year = {large}\nvalue = {{ median = \"10亿\", sigma = 0 }}\nrevenue = {{ median = \"1亿\", sigma = 0 }}\nrevenue_growth = {{ mean = 0, vol = 0 }}\n"
    );
    one_industry(horizon, &stages, &(large + instruments))
}

/// Per-path values of the scalar `name` over `PATHS` paths of `text`.
fn per_path(text: &str, name: &str, seed: u64) -> Vec<f64> {
    let model = compile(&load_str("clauses.toml", text).expect("valid scenario"));
    let result = run(&model, RunSettings::new(PATHS, seed), &Silent);
    let i = (result.catalogue.scalars.iter())
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no scalar {name}"));
    result.scalars[i].clone()
}

fn assert_mean(values: &[f64], exact: f64, sd_exact: f64, what: &str) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let mcse = sd_exact / (values.len() as f64).sqrt();
    assert!(
        (mean - exact).abs() <= 4.0 * mcse,
        "{what}: mean {mean} vs exact {exact} (4 × MCSE = {})",
        4.0 * mcse
    );
}

#[test]
fn items_claim_again_under_their_total() {
    // 20 firms, 0.05 events per firm-year: new items ~ Poisson(λ = 1) a year, years 0–3. Each pays
    // 10万 fixed, then claims again one year later with probability ½ (10万), and again a year after
    // that with probability ½ — where only 5万 is left of its 25万 total. An item started in year t
    // pays X_t: for t = 0, 1: 10 (½), 20 (¼), 25 (¼) 万; t = 2 (one later year left): 10 or 20 (½
    // each); t = 3: 10. E = λ(16.25 + 16.25 + 15 + 10) = 57.5万. The sum is compound Poisson:
    // Var = λ Σ_t E[X_t²] = 306.25 + 306.25 + 250 + 100 = 962.5 (万)².
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = "1亿"
rationing = "pro_rata"
[[instruments.subsidy.rules]]
label = "phases"
fixed = "10万"
item_total_cap = "25万"
events_per_firm_year = 0.05
follow_ups = [{ after = 1, probability = 0.5 }, { after = 1, probability = 0.5 }]
"#;
    let v = per_path(&scenario(20, 0.0, 4, instruments), "deployed.s", 31);
    let wan = 10_000.0;
    assert_mean(&v, 57.5 * wan, 962.5f64.sqrt() * wan, "follow-ups");
    // Every path's total is a whole number of 5万 steps, and no item pays more than 25万: a path
    // with k items pays at most 25万 × k (k ≤ a few), checked through the largest path.
    assert!(v.iter().all(|x| (x / (5.0 * wan)).fract() == 0.0));
}

#[test]
fn large_arrivals_claim_once_and_venture_firms_never() {
    // 2 large arrivals a year (Poisson), each claiming with probability ½: claims ~ Poisson(1) a
    // year over 3 years, each 5% of a paid-in capital of 1亿 = 500万 (cap 2000万 not reached).
    // E = 3 × 500万 = 1500万; Var = 3 × 500² (万)². The 50 venture firms never claim: if they did
    // (one event a firm-year), the mean would be 150 × 500万.
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = "10亿"
rationing = "pro_rata"
[[instruments.subsidy.rules]]
label = "relocation"
share = "5%"
item_cap = "2000万"
firm_total_cap = "2000万"
base = { median = "1亿", sigma = 0 }
claimants = "large_arrivals"
events_per_firm_year = 0.5
"#;
    let v = per_path(&scenario(50, 2.0, 3, instruments), "deployed.s", 32);
    let wan = 10_000.0;
    assert_mean(
        &v,
        1500.0 * wan,
        3f64.sqrt() * 500.0 * wan,
        "large arrivals",
    );
}

#[test]
fn a_clause_requiring_city_investment_pays_only_the_firms_the_city_holds() {
    // 50 firms; in 2024 a prize (奖改投) takes equity in 5 of them (budget for exactly 5). From 2025
    // a clause pays 10万 per event, one event per eligible firm-year on average, only to firms the
    // city holds: 5 firms × 3 years → claims ~ Poisson(15), E = 150万, Var = 15 × 10² (万)². Without
    // the requirement all 50 firms would claim (1500万).
    let instruments = r#"
[[instruments.prize_equity]]
id = "prize"
budget = { per_year = "500万", from = 2024, to = 2024 }
amount = "100万"
[[instruments.subsidy]]
id = "s"
budget = { per_year = "1亿", from = 2025, to = 2027 }
rationing = "pro_rata"
[[instruments.subsidy.rules]]
label = "registration"
fixed = "10万"
requires = ["city_investment"]
events_per_firm_year = 1.0
"#;
    let v = per_path(&scenario(50, 0.0, 4, instruments), "deployed.s", 33);
    let wan = 10_000.0;
    assert_mean(
        &v,
        150.0 * wan,
        15f64.sqrt() * 10.0 * wan,
        "city investment",
    );
}

#[test]
fn rates_by_industry_and_an_exclusive_group_in_the_simulator() {
    // Two rules of one exclusive group, each with N ~ Poisson(1) events per firm-year (the rent's
    // rate given by industry), for 10 firms over 2 years. "larger" keeps, per firm-year, the rule
    // whose events pay more: X = 30万·N_p if 30·N_p > 10·N_r, else 10万·N_r (a tie goes to rent,
    // the rule written first). E[X] and Var[X] are summed exactly over (N_p, N_r) below; paying both
    // (no group) would give 40万 a firm-year.
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = "1亿"
rationing = "pro_rata"
exclusive = { eda = "larger" }
[[instruments.subsidy.rules]]
label = "rent"
fixed = "10万"
exclusive_group = "eda"
events_per_firm_year = { x = 1.0 }
[[instruments.subsidy.rules]]
label = "purchase"
fixed = "30万"
exclusive_group = "eda"
events_per_firm_year = 1.0
"#;
    let v = per_path(&scenario(10, 0.0, 2, instruments), "deployed.s", 34);
    let wan = 10_000.0;
    let poisson1 = |n: i32| (-1f64).exp() / (1..=n).map(f64::from).product::<f64>();
    let (mut mean, mut second) = (0.0, 0.0);
    for np in 0..30 {
        for nr in 0..30 {
            let x = if 30 * np > 10 * nr { 30 * np } else { 10 * nr };
            let p = poisson1(np) * poisson1(nr);
            mean += p * f64::from(x);
            second += p * f64::from(x * x);
        }
    }
    let var = second - mean * mean;
    assert!(mean > 30.0 && mean < 40.0, "{mean}");
    let cells = 20.0; // 10 firms × 2 years, independent
    assert_mean(
        &v,
        cells * mean * wan,
        (cells * var).sqrt() * wan,
        "exclusive",
    );
}

#[test]
fn clause_keys_are_validated_with_located_messages() {
    let base = |rules: &str, programme: &str| {
        scenario(
            5,
            1.0,
            3,
            &format!(
                "[[instruments.subsidy]]\nid = \"s\"\nbudget = \"1亿\"\nrationing = \"pro_rata\"\n{programme}\n{rules}"
            ),
        )
    };
    let rule = |extra: &str| {
        format!(
            "[[instruments.subsidy.rules]]\nlabel = \"r\"\nfixed = \"10万\"\nevents_per_firm_year = 0.5\n{extra}\n"
        )
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            base(&rule("exclusive_group = \"eda\""), ""),
            "instruments.subsidy[0].rules[0].exclusive_group",
            "not a group of the programme's exclusive table",
        ),
        (
            base(&rule("exclusive_group = \"eda\""), "exclusive = { eda = \"larger\" }"),
            "instruments.subsidy[0].exclusive.eda",
            "has 1 rule(s)",
        ),
        (
            base(&rule("").replace("events_per_firm_year = 0.5", "events_per_firm_year = { y = 0.5 }"), ""),
            "instruments.subsidy[0].rules[0].events_per_firm_year",
            "a table by industry names every industry",
        ),
        (
            base(
                &(rule("exclusive_group = \"eda\"\nitem_total_cap = \"1万\"") + &rule("exclusive_group = \"eda\"")),
                "exclusive = { eda = \"larger\" }",
            ),
            "instruments.subsidy[0].rules[0].item_total_cap",
            "not allowed on a rule of an exclusive group",
        ),
        (
            base(&rule("claimants = \"large_arrivals\"").replace("= 0.5", "= 1.5"), ""),
            "instruments.subsidy[0].rules[0].events_per_firm_year",
            "a probability that a large arrival claims",
        ),
        (
            base(&rule("claimants = \"large_arrivals\"\nstages = [\"seed\"]"), ""),
            "instruments.subsidy[0].rules[0].stages",
            "not used with claimants",
        ),
        (
            // A large arrival claims in its arrival year and the city never holds equity in one:
            // the rule could never pay.
            base(&rule("claimants = \"large_arrivals\"\nrequires = [\"city_investment\"]"), ""),
            "instruments.subsidy[0].rules[0].requires",
            "cannot be met with claimants",
        ),
        (
            base(&rule("claimants = \"large_arrivals\""), "effect = { round_odds = 1.5 }"),
            "instruments.subsidy[0].effect",
            "every rule of this programme pays large arrivals",
        ),
        (
            base(&rule("claimants = \"large_arrivals\""), "stages = [\"seed\"]"),
            "instruments.subsidy[0].stages",
            "which have no venture stage",
        ),
        (
            base(&rule("follow_ups = [{ after = 0, probability = 0.5 }]"), ""),
            "instruments.subsidy[0].rules[0].follow_ups[0].after",
            "1 to 100 years",
        ),
        (
            base(&rule("follow_ups = [{ after = 1, probability = 0.5, base = { median = \"1万\", sigma = 0 } }]"), ""),
            "instruments.subsidy[0].rules[0].follow_ups[0].base",
            "base is not used",
        ),
        (
            base(&rule(""), "").replace(
                "budget = \"1亿\"",
                "budget = [{ per_year = \"1亿\", from = 2024, to = 2025 }, { per_year = \"2亿\", from = 2025, to = 2026 }]",
            ),
            "instruments.subsidy[0].budget[1]",
            "overlap entry 0",
        ),
    ];
    for (text, key, message) in cases {
        let err = load_str("clauses.toml", &text).map(|_| ()).expect_err(key);
        let shown = format!("{err:?}");
        assert!(
            shown.contains(key) && shown.contains(message),
            "expected `{key}`: {message}, got {shown}"
        );
    }
}

#[test]
fn a_budget_by_spans_gives_each_year_its_amount() {
    // 10万 per event, 10 events a year certain enough (budget binds): 100 firms × 1 event, budget
    // 30万 in 2024, 0 in 2025 (no span), 50万 in 2026: the programme pays exactly 80万 every path.
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = [{ per_year = "30万", from = 2024, to = 2024 }, { per_year = "50万", from = 2026, to = 2026 }]
rationing = "first_come"
[[instruments.subsidy.rules]]
label = "r"
fixed = "10万"
events_per_firm_year = 1.0
"#;
    let model = compile(&load_str("clauses.toml", &scenario(100, 0.0, 3, instruments)).unwrap());
    let result = run(&model, RunSettings::new(200, 35), &Silent);
    let i = (result.catalogue.scalars.iter())
        .position(|c| c.name == "deployed.s")
        .unwrap();
    // P(fewer than 5 events among 100 firm-years of rate 1) is negligible (< 1e-30).
    assert!(result.scalars[i].iter().all(|&x| x == 800_000.0));
}
