//! The treasury's whole position and guarantees as practised, worked by hand (no randomness left).
//!
//! Four seed firms raise their A round in 2024 with certainty (A-stage firms); a guarantee
//! programme lends each 500万 in 2024 for 3 years, 50% covered, the whole loss lost (LGD 100%), a 1%
//! fee kept by the guarantor, a 0.5% fee subsidy paid by the city, the bank bearing 20%:
//! - money mobilised: 4 × 20% × 500万 = 400万 (not the 2000万 of loans);
//! - 2024 fiscal outlay: the fee subsidy 4 × 0.5% × 500万 = 10万; no fee reaches the city.
//!
//! With a risk-compensation pool of 300万 (paid in 2024) capped at 200万 a year and A firms that all
//! fail in 2025: each default costs 50% × 500万 = 250万 of the city's share; the pool pays the first
//! up to the year's cap, 200万, and nothing more that year; the pool keeps 100万 (the programme's
//! holding), and the remaining losses fall on the bank and the guarantor. Fiscal outlay: 2024 300万
//! plus 10万, 2025 nothing (the pool was paid up front). Outstanding at the end of 2024: 2000万 of
//! principal, the city's share 1000万; at the end of 2025 none.
//!
//! Without a pool, A firms that survive, a 10% base default rate and a one-year horizon: at the end
//! of 2024 all four loans are outstanding with 3 years of default risk left; the expected cost to
//! the city is 4 × 250万 × (1 − 0.9³) = 271万, which the net fiscal cost with outstanding adds.
//! A Takahashi–Alexander sub-fund of 5000万 (city 20% = 1000万) calls 25% in its first year: the
//! city pays 250万 and 750万 is an unfunded commitment.

use fundsim::model::compile;
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;

fn scenario(horizon: u32, a_fail: u8, base_default: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "treasury"

[time]
start_year = 2024
horizon_years = {horizon}

[market]
rho = 0.5
industry_rho = 0.5
sensitivity = {{ round = 0, exit = 0, fail = 0, value = 0, exit_value = 0 }}

[thresholds]
chain_leader = {{ measure = "value", value = "100亿" }}
cluster = {{ measure = "value", value = "1000亿" }}

[program]
discount_rate = "3%"
recycling = {{ to_pool = "0%" }}

[[industries]]
id = "ic"
name = "ic"
arrivals_per_year = 0
beta_market = 0
beta_industry = 0
entry = {{ value = {{ median = "1000万", sigma = 0 }} }}

[[industries.stages]]
name = "seed"
dilution = "20%"
p_round = 1
p_exit = 0
p_fail = 0
exit_multiple = {{ median = 1, sigma = 0 }}
ipo_share = "0%"
existing = {{ count = 4, value = {{ median = "1000万", sigma = 0 }}, age = [2, 2] }}

[[industries.stages]]
name = "A"
dilution = "20%"
step_up = {{ median = 2, sigma = 0 }}
p_round = 0
p_exit = 0
p_fail = {a_fail}
exit_multiple = {{ median = 1, sigma = 0 }}
ipo_share = "0%"

[[instruments.guarantee]]
id = "gu"
volume = {{ per_year = "2000万", from = 2024, to = 2024 }}
loan_size = "500万"
term_years = 3
cover_share = "50%"
fee_rate = "1%"
base_default_rate = {base_default}
loss_given_default = "100%"
stages = ["A"]
fee_subsidy = "0.5%"
bank_share = "20%"
{extra}
"#
    )
}

fn series(sim: &PathSim, name: &str) -> Vec<f64> {
    (sim.yearly_of(name)
        .unwrap_or_else(|| panic!("{name}"))
        .iter())
    .map(|&fen| fen as f64 / 100.0)
    .collect()
}

const WAN: f64 = 1e4;

#[test]
fn a_risk_pool_pays_losses_within_its_caps() {
    let text = scenario(
        3,
        1,
        "0",
        r#"risk_pool = { size = "300万", year_cap = "200万" }"#,
    );
    let model = compile(&load_str("treasury.toml", &text).expect("valid"));
    let mut sim = PathSim::new(&model);
    sim.run(1, 0);
    assert_eq!(series(&sim, "fiscal_outlay"), vec![310.0 * WAN, 0.0, 0.0]);
    assert_eq!(series(&sim, "money_back.gu"), vec![0.0, 0.0, 0.0]);
    assert_eq!(series(&sim, "mobilised"), vec![400.0 * WAN, 0.0, 0.0]);
    assert_eq!(
        series(&sim, "holdings_value.gu"),
        vec![300.0 * WAN, 100.0 * WAN, 100.0 * WAN]
    );
    assert_eq!(
        series(&sim, "guaranteed_principal"),
        vec![2000.0 * WAN, 0.0, 0.0]
    );
    assert_eq!(
        series(&sim, "guaranteed_city_share"),
        vec![1000.0 * WAN, 0.0, 0.0]
    );
    let costs: Vec<i64> = sim.positions.iter().map(|p| p.cost).collect();
    let fen = |w: f64| (w * WAN * 100.0) as i64;
    let mut sorted = costs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![fen(2.5), fen(2.5), fen(2.5), fen(202.5)]);
    // Net fiscal cost: 310万 out, 100万 still in the pool.
    assert_eq!(sim.scalar_of("net_fiscal_cost"), Some(210.0 * WAN));
}

#[test]
fn outstanding_guarantees_and_commitments_at_the_horizon() {
    let fund = r#"
[[instruments.sub_fund]]
id = "fof"
budget = { per_year = "1000万", from = 2024, to = 2024 }
fund_size = "5000万"
city_share = "20%"
takahashi_alexander = { contribution_rates = [0.25], life = 10, bow = 2.5, growth = 0.0 }
"#;
    let text = scenario(1, 0, "0.1", fund);
    let model = compile(&load_str("treasury.toml", &text).expect("valid"));
    let mut sim = PathSim::new(&model);
    sim.run(1, 0);
    assert_eq!(series(&sim, "guaranteed_principal"), vec![2000.0 * WAN]);
    assert_eq!(series(&sim, "unfunded_commitments"), vec![750.0 * WAN]);
    assert_eq!(series(&sim, "fiscal_outlay.fof"), vec![250.0 * WAN]);
    let expected = 4.0 * 250.0 * WAN * (1.0 - 0.9f64.powi(3));
    let got = sim.scalar_of("expected_guarantee_loss").expect("metric");
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    let net = sim.scalar_of("net_fiscal_cost").expect("metric");
    let with = sim
        .scalar_of("net_fiscal_cost_with_outstanding")
        .expect("metric");
    assert!((with - net - expected).abs() < 1e-6);
}

#[test]
fn city_tax_and_the_tax_the_policy_adds() {
    // One A-stage firm with revenue 1亿 that never changes (growth 0, no volatility), guaranteed in
    // 2024 with an effect of +0.1 on its log revenue growth for 3 years, on every supported firm.
    // City tax rate at the defaults: (3% × 50% + 0.5% × 40%) × 75% = 1.275% of revenue.
    // Tax: 1亿 × e^{0.1·min(t, 3)} × 1.275% in year t (t = 0 before the effect acts); what the
    // policy added: 1亿 × (e^{0.1·min(t, 3)} − 1) × 1.275%.
    let text = r#"
[scenario]
name = "tax"

[time]
start_year = 2024
horizon_years = 5

[market]
rho = 0.5
industry_rho = 0.5
sensitivity = { round = 0, exit = 0, fail = 0, value = 0, exit_value = 0 }

[program]
discount_rate = "3%"
recycling = { to_pool = "0%" }

[[industries]]
id = "ic"
name = "ic"
arrivals_per_year = 0
beta_market = 0
beta_industry = 0
entry = { value = { median = "1000万", sigma = 0 }, revenue = { median = "100万", sigma = 0 } }

[[industries.stages]]
name = "seed"
dilution = "20%"
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = "0%"
revenue_growth = { mean = 0, vol = 0 }

[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = "0%"
revenue_growth = { mean = 0, vol = 0 }
existing = { count = 1, value = { median = "5亿", sigma = 0 }, age = [3, 3], revenue = { median = "1亿", sigma = 0 } }

[[instruments.guarantee]]
id = "gu"
volume = { per_year = "500万", from = 2024, to = 2024 }
loan_size = "500万"
term_years = 5
cover_share = "50%"
fee_rate = "1%"
base_default_rate = 0
loss_given_default = "100%"
effect = { revenue_growth = 0.1, years = 3, additional_share = 1 }
"#;
    let model = compile(&load_str("tax.toml", text).expect("valid"));
    let mut sim = PathSim::new(&model);
    sim.run(1, 0);
    let rate = (0.03 * 0.5 + 0.005 * 0.4) * 0.75;
    let revenue = |t: i32| 1e8 * (0.1 * f64::from(t.min(3))).exp();
    for (t, (&tax, &extra)) in (sim.yearly_of("tax_revenue").unwrap().iter())
        .zip(sim.yearly_of("additional_tax_revenue").unwrap())
        .enumerate()
    {
        let t = t as i32;
        let (want, want_extra) = (revenue(t) * rate, (revenue(t) - 1e8) * rate);
        assert!(
            (tax as f64 / 100.0 - want).abs() <= 0.01,
            "year {t}: {tax} vs {want}"
        );
        assert!(
            (extra as f64 / 100.0 - want_extra).abs() <= 0.01,
            "year {t}"
        );
    }
    let total: f64 = (0..5).map(|t| (revenue(t) - 1e8) * rate).sum();
    let net = sim.scalar_of("net_fiscal_cost").unwrap();
    let after = sim.scalar_of("net_fiscal_cost_after_tax").unwrap();
    assert!(
        (net - after - total).abs() <= 0.05,
        "{net} − {after} vs {total}"
    );
}

#[test]
fn a_fanhou_shortfall_is_reported_and_has_its_consequence() {
    // A fund (5亿, city 20% = 1亿, 返投 1×) in a city with no local firms at all: it can only invest
    // outside, so at the end of its investment period (2028, fund years 0–4) the whole requirement,
    // 1亿, is short. With `exit` the city leaves then: it is paid its share of a liquidation at
    // NAV, pays no later call (its called capital stops growing) and holds nothing; with `none` it
    // stays in. Firms never move (probabilities 0) and nothing relocates.
    let fund = |on: &str| {
        scenario(8, 0, "0", "")
            .replace("count = 4,", "count = 0,")
            .replace(
                "[[instruments.guarantee]]",
                &format!(
                    "[[instruments.sub_fund]]\nid = \"fof\"\nbudget = {{ per_year = \"1亿\", from = 2024, to = 2024 }}\n\
                     fund_size = \"5亿\"\ncity_share = \"20%\"\nticket = \"2000万\"\nlocal_multiple = 1.0\n\
                     management_fee = \"2%\"\nrelocation_rate = 0\non_shortfall = \"{on}\"\n\n\
                     [[instruments.guarantee]]"
                ),
            )
    };
    let model = |on: &str| compile(&load_str("fanhou.toml", &fund(on)).expect("valid"));
    let (m_stay, m_leave) = (model("none"), model("exit"));
    let (mut stay, mut leave) = (PathSim::new(&m_stay), PathSim::new(&m_leave));
    stay.run(1, 0);
    leave.run(1, 0);
    for sim in [&stay, &leave] {
        assert_eq!(
            series(sim, "fanhou_shortfall"),
            vec![0.0, 0.0, 0.0, 0.0, 1e8, 0.0, 0.0, 0.0]
        );
    }
    let called = |sim: &PathSim| series(sim, "fiscal_outlay.fof");
    let (c_stay, c_leave) = (called(&stay), called(&leave));
    assert_eq!(c_stay[..5], c_leave[..5], "the same until the check");
    assert!(c_leave[5..].iter().all(|&c| c == 0.0), "{c_leave:?}");
    assert!(
        c_stay[5..].iter().any(|&c| c > 0.0),
        "fees are still called"
    );
    let back = series(&leave, "money_back.fof");
    assert!(
        back[4] > 0.0,
        "the city is paid for its stake when it leaves"
    );
    assert!(back[5..].iter().all(|&b| b == 0.0));
    assert_eq!(series(&leave, "holdings_value.fof")[4..], [0.0; 4]);
    assert_eq!(series(&leave, "unfunded_commitments")[4..], [0.0; 4]);
}

#[test]
fn the_largest_accepted_amounts_run_and_book_finite_numbers() {
    // Every amount at the validator's ceilings: firm values and revenues with medians of 1e15 yuan
    // (the engine caps a firm at 1e13), instruments whose money over the horizon adds up to exactly
    // the 1e15-yuan limit (5 programmes × 2e13 a year × 10 years; the fund programme's city share is 100%), tickets
    // of 1e12. The run must finish (integer overflow is checked, and an
    // amount that could not be booked would be an error, not a silent 0) and every number it
    // reports must be finite where it is defined.
    let big = r#"{ median = "1000000000000000", sigma = 3 }"#;
    let text = format!(
        r#"
[scenario]
name = "huge"

[time]
start_year = 2024
horizon_years = 10

[market]
rho = 0.5
industry_rho = 0.5
sensitivity = {{ round = 2, exit = 2, fail = 2, value = 2, exit_value = 2 }}

[program]
discount_rate = "100%"
recycling = {{ to_pool = "100%", into = ["eq"] }}

[[industries]]
id = "ic"
name = "ic"
arrivals_per_year = 30
beta_market = 2
beta_industry = 2
entry = {{ value = {big}, revenue = {big} }}

[[industries.stages]]
name = "seed"
dilution = "50%"
p_round = 0.5
p_exit = 0.2
p_fail = 0.1
exit_multiple = {{ median = 10000, sigma = 5 }}
ipo_share = "50%"
revenue_growth = {{ mean = 2, vol = 3 }}
existing = {{ count = 30, value = {big}, age = [0, 200], revenue = {big} }}

[[industries.stages]]
name = "A"
dilution = "50%"
step_up = {{ median = 10000, sigma = 5 }}
p_round = 0.5
p_exit = 0.3
p_fail = 0.1
exit_multiple = {{ median = 10000, sigma = 5 }}
ipo_share = "50%"
revenue_growth = {{ mean = 2, vol = 3 }}

[industries.established]
count = 30
value = {big}
revenue = {big}
revenue_growth = {{ mean = 2, vol = 3 }}

[industries.large_arrivals]
per_year = 5
value = {big}
revenue = {big}
revenue_growth = {{ mean = 2, vol = 3 }}

[[instruments.grant]]
id = "gr"
budget = "20000000000000"
amount = "1000000000000"

[[instruments.direct_equity]]
id = "eq"
budget = "20000000000000"
ticket = "1000000000000"

[[instruments.convertible_grant]]
id = "cg"
budget = "20000000000000"
amount = "1000000000000"

[[instruments.guarantee]]
id = "gu"
volume = "20000000000000"
loan_size = "1000000000000"
term_years = 3
cover_share = "100%"
fee_rate = "100%"
base_default_rate = "50%"
loss_given_default = "100%"
fee_to = "city"
fee_subsidy = "100%"

[[instruments.sub_fund]]
id = "fof"
budget = "20000000000000"
fund_size = "20000000000000"
city_share = "100%"
ticket = "1000000000000"
local_multiple = 1
"#
    );
    let model = compile(&load_str("huge.toml", &text).expect("the largest accepted amounts"));
    let mut sim = PathSim::new(&model);
    for path in 0..20 {
        sim.run(9, path);
        assert_eq!(sim.ledger.conservation_error(), (0, None), "path {path}");
        for (c, v) in sim.catalogue.scalars.iter().zip(&sim.scalars) {
            assert!(!v.is_infinite(), "{} is infinite on path {path}", c.name);
        }
    }
    // One more yuan of budget is refused, with the reason.
    let over = text.replace(
        "[[instruments.grant]]\nid = \"gr\"\nbudget = \"20000000000000\"",
        "[[instruments.grant]]\nid = \"gr\"\nbudget = \"20000000000001\"",
    );
    let err = match load_str("over.toml", &over) {
        Ok(_) => panic!("one yuan over the limit was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("at most 1e15 yuan"), "{err}");
}
