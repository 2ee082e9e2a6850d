//! A scenario with no randomness left, whose every flow is worked by hand.
//!
//! Two seed-stage firms worth 1000万 each (age 2) raise their A round in 2024 with certainty at a
//! step-up of exactly 2 (post-money 2000万, 20% sold, round size 400万) and list in 2025 at exactly 3×
//! their post-money (6000万). Probabilities of 0 and 1 stay 0 and 1 whatever the market does (the
//! logit shift of ±∞ is still ±∞), and the valuation loadings are 0, so every path is the same.
//!
//! Program: direct equity with a 100万 ticket in A rounds and a 200万 budget in 2024 only; a grant of
//! 50万 to any active firm with a 100万 budget in 2024 only; half of all proceeds return to the pool
//! (spendable by the equity instrument, which finds nothing more to buy), half go to the treasury.
//!
//! By hand, in 万 (1e4 yuan):
//! - 2024: grants 2 × 50 = 100; equity 2 × 100 = 200, each a 100/2000 = 5% stake; fiscal outlay 300;
//!   private money in the two rounds 2 × (400 − 100) = 600; financing 2 × 400 = 800.
//! - 2025: both firms IPO at 6000; the stakes are undiluted (no round after entry): 2 × 5% × 6000 = 600
//!   back; 300 to the pool, 300 to the treasury.
//! - 2026: nothing happens; the pool still holds 300, holdings are 0.
//! - Treasury view: paid in F = 300, distributed D = 300, residual R = 300 (pool). TVPI = (300+300)/300
//!   = 2, DPI = 1, net fiscal cost 300 − 300 − 300 = −300. Flows −300, +300, +300 (the residual at the
//!   horizon): −300 + 300v + 300v² = 0 gives v² + v − 1 = 0, v = (√5 − 1)/2, so IRR = 1/v − 1 =
//!   (√5 − 1)/2 = 0.6180339887 (the golden ratio less one).
//! - Present value at 3%: 300 − 300/1.03 − 300/1.03² = −274.0409万.
//! - Equity alone: −200 then +600: TVPI = DPI = 3, IRR = 600/200 − 1 = 200%. Grant alone: TVPI 0,
//!   IRR −100%.
//! - Thresholds: unicorns ≥ 1500万 and age ≤ 10 (both firms in 2024, none after they list); chain
//!   leaders and clusters measured on value: ≥ 5000万 per firm (the listed firms from 2025) and
//!   ≥ 1亿 per industry (2 × 6000 = 12000 from 2025).

use fundsim::ledger::Outcome;
use fundsim::metrics::{Catalogue, PROGRAM_SCALARS, PROGRAM_YEARLY};
use fundsim::model::compile;
use fundsim::run::{RunSettings, Silent, run};
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;

const SCENARIO: &str = r#"
[scenario]
name = "by_hand"

[time]
start_year = 2024
horizon_years = 3

[market]
rho = 0.5
industry_rho = 0.5
# Nonzero loadings on probabilities of 0 and 1 must change nothing.
sensitivity = { round = 2.0, exit = 2.0, fail = 2.0, value = 0.0, exit_value = 0.0 }

[thresholds]
unicorn = { value = "1500万", max_age = 10 }
potential_unicorn = { value = "500万", max_age = 1 }
chain_leader = { measure = "value", value = "5000万" }
cluster = { measure = "value", value = "1亿" }

[program]
discount_rate = "3%"
recycling = { to_pool = "50%", into = ["equity"] }

[[industries]]
id = "ic"
name = "主控类与车规级IC"
arrivals_per_year = 0
beta_market = 1.0
beta_industry = 1.0
entry = { value = { median = "1000万", sigma = 0 } }

[[industries.stages]]
name = "seed"
dilution = "20%"
p_round = 1
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0
existing = { count = 2, value = { median = "1000万", sigma = 0 }, age = [2, 2] }

[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 1
p_fail = 0
exit_multiple = { median = 3, sigma = 0 }
ipo_share = 1

[[instruments.grant]]
id = "grant"
budget = { per_year = "100万", from = 2024, to = 2024 }
amount = "50万"

[[instruments.direct_equity]]
id = "equity"
budget = { per_year = "200万", from = 2024, to = 2024 }
ticket = "100万"
stages = ["A"]

[[targets]]
id = "financing"
label = "新增投融资"
metric = "financing"
threshold = "800万"
deadline = 2026

[[targets]]
id = "unicorns_2025"
label = "独角兽"
metric = "unicorns"
threshold = 1
deadline = 2025
"#;

const WAN: f64 = 1e4;

fn scalar(sim: &PathSim, name: &str) -> f64 {
    let i = sim
        .catalogue
        .scalars
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no scalar {name}"));
    sim.scalars[i]
}

fn yearly(sim: &PathSim, name: &str) -> Vec<i64> {
    let n = sim.model().n_years;
    let i = sim
        .catalogue
        .yearly
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no yearly {name}"));
    sim.yearly[i * n..(i + 1) * n].to_vec()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn flows_match_the_hand_computation() {
    let file = load_str("by_hand.toml", SCENARIO).expect("valid");
    let model = compile(&file);
    let mut sim = PathSim::new(&model);
    for path in [0, 1, 17] {
        sim.run(99, path);
        // Yearly series, in fen or counts.
        let fen = |w: i64| w * 10_000 * 100;
        assert_eq!(yearly(&sim, "fiscal_outlay"), vec![fen(300), 0, 0]);
        assert_eq!(yearly(&sim, "fiscal_outlay.grant"), vec![fen(100), 0, 0]);
        assert_eq!(yearly(&sim, "fiscal_outlay.equity"), vec![fen(200), 0, 0]);
        assert_eq!(yearly(&sim, "money_back"), vec![0, fen(600), 0]);
        assert_eq!(yearly(&sim, "to_treasury"), vec![0, fen(300), 0]);
        assert_eq!(yearly(&sim, "pool_balance"), vec![0, fen(300), fen(300)]);
        assert_eq!(yearly(&sim, "holdings_value"), vec![fen(200), 0, 0]);
        assert_eq!(yearly(&sim, "financing"), vec![fen(800), 0, 0]);
        assert_eq!(yearly(&sim, "mobilised"), vec![fen(600), 0, 0]);
        assert_eq!(yearly(&sim, "grants_awarded"), vec![2, 0, 0]);
        assert_eq!(yearly(&sim, "equity_deals"), vec![2, 0, 0]);
        assert_eq!(yearly(&sim, "firms_supported"), vec![2, 0, 0]);
        assert_eq!(yearly(&sim, "exits"), vec![0, 2, 0]);
        assert_eq!(yearly(&sim, "ipos"), vec![0, 2, 0]);
        assert_eq!(yearly(&sim, "unicorns"), vec![2, 0, 0]);
        assert_eq!(yearly(&sim, "potential_unicorns"), vec![0, 0, 0]);
        assert_eq!(yearly(&sim, "chain_leaders"), vec![0, 2, 2]);
        assert_eq!(yearly(&sim, "clusters"), vec![0, 1, 1]);
        assert_eq!(yearly(&sim, "active_firms"), vec![2, 0, 0]);

        // Positions: bought at 5%, listed undiluted.
        assert_eq!(sim.positions.len(), 2);
        for p in &sim.positions {
            assert_eq!(p.cost, fen(100));
            assert!(close(p.stake, 0.05));
            assert_eq!(p.outcome, Outcome::Ipo);
            assert_eq!(p.proceeds, fen(300));
            assert_eq!((p.entry_year, p.exit_year), (0, 1));
        }
        assert_eq!(sim.ledger.conservation_error(), (0, None));

        // Scalars, in yuan.
        assert!(close(scalar(&sim, "fiscal_outlay"), 300.0 * WAN));
        assert!(close(scalar(&sim, "money_back"), 600.0 * WAN));
        assert!(close(scalar(&sim, "to_treasury"), 300.0 * WAN));
        assert!(close(scalar(&sim, "pool_balance"), 300.0 * WAN));
        assert!(close(scalar(&sim, "holdings_value"), 0.0));
        assert!(close(scalar(&sim, "net_fiscal_cost"), -300.0 * WAN));
        let pv = 300.0 * WAN - 300.0 * WAN / 1.03 - 300.0 * WAN / (1.03 * 1.03);
        assert!(
            close(scalar(&sim, "net_fiscal_cost_pv"), pv),
            "{}",
            scalar(&sim, "net_fiscal_cost_pv")
        );
        assert!((scalar(&sim, "fiscal_irr") - (5f64.sqrt() - 1.0) / 2.0).abs() < 1e-10);
        assert!(close(scalar(&sim, "tvpi"), 2.0));
        assert!(close(scalar(&sim, "dpi"), 1.0));
        assert!(close(scalar(&sim, "mobilised_per_fiscal_yuan"), 2.0));
        assert!(close(scalar(&sim, "tvpi.equity"), 3.0));
        assert!(close(scalar(&sim, "dpi.equity"), 3.0));
        assert!((scalar(&sim, "irr.equity") - 2.0).abs() < 1e-10);
        assert!(close(scalar(&sim, "tvpi.grant"), 0.0));
        assert_eq!(scalar(&sim, "irr.grant"), -1.0);
        assert!(close(scalar(&sim, "mobilised.equity"), 600.0 * WAN));
        assert!(close(scalar(&sim, "deals.grant"), 2.0));
        assert!(close(scalar(&sim, "target.financing"), 800.0 * WAN));
        assert_eq!(scalar(&sim, "met.financing"), 1.0);
        assert_eq!(scalar(&sim, "target.unicorns_2025"), 0.0);
        assert_eq!(scalar(&sim, "met.unicorns_2025"), 0.0);
    }
}

#[test]
fn every_path_is_the_same_so_summaries_have_no_spread() {
    let model = compile(&load_str("by_hand.toml", SCENARIO).expect("valid"));
    let result = run(
        &model,
        RunSettings {
            paths: 300,
            seed: 5,
        },
        &Silent,
    );
    let cat = Catalogue::for_model(&model);
    assert_eq!(result.catalogue, cat);
    for (col, values) in cat.scalars.iter().zip(&result.scalars) {
        assert_eq!(values.len(), 300);
        let first = values[0];
        assert!(
            values.iter().all(|v| v.to_bits() == first.to_bits()),
            "{} varies",
            col.name
        );
    }
    // Yearly sums are exact integers: 300 paths × 300万 in fen.
    let fiscal = PROGRAM_YEARLY
        .iter()
        .position(|d| d.name == "fiscal_outlay")
        .unwrap();
    assert_eq!(result.yearly[fiscal * 3].sum, 300 * 300 * 10_000 * 100);
    assert!(PROGRAM_SCALARS.iter().any(|d| d.name == "fiscal_irr"));
}
