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
use fundsim::metrics::PROGRAM_YEARLY;
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

/// The scenarios of this file with marks and exits as worked by hand: last round prices, cash at
/// the IPO, no transfer friction (`[valuation]` off).
fn by_hand(text: &str) -> String {
    format!(
        "{text}\n[valuation]\nstale_decay = 0\nipo_lockup_years = 0\nipo_sale_years = 1\n\
         listed_volatility = 0\nstate_transfer_discount = 0\nstate_transfer_delay_years = 0\n"
    )
}

fn scalar(sim: &PathSim, name: &str) -> f64 {
    sim.scalar_of(name)
        .unwrap_or_else(|| panic!("no scalar {name}"))
}

fn yearly(sim: &PathSim, name: &str) -> Vec<i64> {
    sim.yearly_of(name)
        .unwrap_or_else(|| panic!("no yearly {name}"))
        .to_vec()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn flows_match_the_hand_computation() {
    let file = load_str("by_hand.toml", &by_hand(SCENARIO)).expect("valid");
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

        // Positions: two grants of 50万, and two stakes bought at 5% that list undiluted.
        let (grants, stakes): (Vec<_>, Vec<_>) = sim
            .positions
            .iter()
            .partition(|p| p.outcome == Outcome::Grant);
        assert_eq!(grants.len(), 2);
        assert!(
            grants
                .iter()
                .all(|p| p.cost == fen(50) && p.exit_year == Some(0))
        );
        assert_eq!(stakes.len(), 2);
        for p in stakes {
            assert_eq!(p.cost, fen(100));
            assert!(close(p.stake, 0.05));
            assert_eq!(p.outcome, Outcome::Ipo);
            assert_eq!(p.proceeds, fen(300));
            assert_eq!((p.entry_year, p.exit_year), (0, Some(1)));
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
    let model = compile(&load_str("by_hand.toml", &by_hand(SCENARIO)).expect("valid"));
    let result = run(&model, RunSettings::new(300, 5), &Silent);
    let cat = model.catalogue();
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
}

/// A second hand-worked case for what the first leaves out: dilution after entry, a write-off,
/// the sale rule, the holdings haircut and pooled money being spent.
///
/// Industry `a`: firm X, seed, worth 1000万, raises its A round in 2024 (×2 → 2000万, 20% sold,
/// retention 0.8) and its B round in 2025 (×2 → 4000万, 25% sold, retention 0.6), and fails in
/// 2026 (B: p_fail = 1). Industry `b`: firm Y, seed, worth 1000万, raises its A round in 2024
/// (×3 → 3000万, 20% sold) and then stays in A for ever.
///
/// Instruments, in 万: `eqa` buys 100 of X's A round (stake 100/2000 = 5%); `eqs` buys 300 of Y's A
/// round (stake 10%) and sells 2 years after entry at half the last post-money; grant `g` has no
/// fiscal budget but may spend pooled money (50 per grant); all proceeds go to the pool.
/// The holdings haircut is 10%.
/// - 2024: fiscal 400. Holdings: X 5% × 2000 × 0.9 = 90, Y 10% × 3000 × 0.9 = 270 → 360.
///   Private money: X's round 400 − 100 = 300, Y's 600 − 300 = 300 → 600; financing 1000.
/// - 2025: X's B round dilutes the stake to 5% × 0.6/0.8 = 3.75%: 3.75% × 4000 × 0.9 = 135; Y 270
///   → 405.
/// - 2026: X fails: written off. Y's stake is sold (2026 ≥ 2024 + 2) for 10% × 3000 × 0.5 = 150, all
///   to the pool. Holdings 0.
/// - 2027: the pool pays one grant of 50 to Y (the only active firm); 100 stays in the pool.
/// - Treasury: F = 400 (2024), D = 0, R = 100 (pool). TVPI 0.25, DPI 0, net fiscal cost 300.
///   IRR: −400 + 100/(1+r)³ = 0 → r = 0.25^(1/3) − 1 = −0.370039. PV at 10%: 400 − 100/1.1³ =
///   324.8685万.
/// - `eqs`: −300 then +150 two years later: TVPI 0.5, IRR = √0.5 − 1 = −0.292893. `eqa`: TVPI 0,
///   IRR −100%. `g`: deployed 50 (all pooled), fiscal 0.
const SECOND: &str = r#"
[scenario]
name = "by_hand_2"
[time]
start_year = 2024
horizon_years = 4
[market]
rho = 0.3
industry_rho = 0.3
sensitivity = { round = 1.0, exit = 1.0, fail = 1.0, value = 0.0, exit_value = 0.0 }
[thresholds]
chain_leader = { measure = "value", value = "100亿" }
cluster = { measure = "value", value = "1000亿" }
[program]
discount_rate = "10%"
holdings_haircut = "10%"
recycling = { to_pool = "100%", into = ["g"] }

[[industries]]
id = "a"
name = "甲"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 1
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0
[[industries.stages]]
name = "B"
dilution = "25%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 1
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0

[[industries]]
id = "b"
name = "乙"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 3, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0

[[instruments.grant]]
id = "g"
budget = 0
amount = "50万"

[[instruments.direct_equity]]
id = "eqa"
budget = { per_year = "100万", from = 2024, to = 2024 }
ticket = "100万"
industries = ["a"]
stages = ["A"]

[[instruments.direct_equity]]
id = "eqs"
budget = { per_year = "300万", from = 2024, to = 2024 }
ticket = "300万"
industries = ["b"]
stages = ["A"]
sell_after_years = 2
sale_discount = "50%"

"#;

#[test]
fn dilution_write_off_sale_haircut_and_pooled_money() {
    let model = compile(&load_str("by_hand_2.toml", &by_hand(SECOND)).expect("valid"));
    let mut sim = PathSim::new(&model);
    let fen = |w: i64| w * 10_000 * 100;
    for path in [0, 5] {
        sim.run(7, path);
        assert_eq!(yearly(&sim, "fiscal_outlay"), vec![fen(400), 0, 0, 0]);
        assert_eq!(yearly(&sim, "deployed"), vec![fen(400), 0, 0, fen(50)]);
        assert_eq!(yearly(&sim, "fiscal_outlay.g"), vec![0, 0, 0, 0]);
        assert_eq!(yearly(&sim, "deployed.g"), vec![0, 0, 0, fen(50)]);
        assert_eq!(
            yearly(&sim, "holdings_value"),
            vec![fen(360), fen(405), 0, 0]
        );
        assert_eq!(
            yearly(&sim, "holdings_value.eqa"),
            vec![fen(90), fen(135), 0, 0]
        );
        assert_eq!(yearly(&sim, "money_back.eqs"), vec![0, 0, fen(150), 0]);
        assert_eq!(yearly(&sim, "money_back.eqa"), vec![0, 0, 0, 0]);
        assert_eq!(yearly(&sim, "pool_balance"), vec![0, 0, fen(150), fen(100)]);
        assert_eq!(yearly(&sim, "to_treasury"), vec![0, 0, 0, 0]);
        assert_eq!(yearly(&sim, "mobilised"), vec![fen(600), 0, 0, 0]);
        assert_eq!(yearly(&sim, "financing"), vec![fen(1000), fen(1000), 0, 0]);
        assert_eq!(yearly(&sim, "failures"), vec![0, 0, 1, 0]);
        assert_eq!(yearly(&sim, "grants_awarded"), vec![0, 0, 0, 1]);
        assert_eq!(yearly(&sim, "firms_supported"), vec![2, 0, 0, 0]);
        assert_eq!(yearly(&sim, "active_firms"), vec![2, 2, 1, 1]);
        assert_eq!(yearly(&sim, "active_firms.a"), vec![1, 1, 0, 0]);
        let outcomes: Vec<_> = sim
            .positions
            .iter()
            .map(|p| (p.instrument, p.outcome, p.proceeds, p.exit_year))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                (1, Outcome::WrittenOff, 0, Some(2)),
                (2, Outcome::Sold, fen(150), Some(2)),
                (0, Outcome::Grant, 0, Some(3)),
            ]
        );
        assert_eq!(sim.ledger.conservation_error(), (0, None));

        assert!(close(scalar(&sim, "net_fiscal_cost"), 300.0 * WAN));
        let pv = 400.0 * WAN - 100.0 * WAN / 1.1f64.powi(3);
        assert!(close(scalar(&sim, "net_fiscal_cost_pv"), pv));
        assert!((scalar(&sim, "fiscal_irr") - (0.25f64.powf(1.0 / 3.0) - 1.0)).abs() < 1e-10);
        assert!(close(scalar(&sim, "tvpi"), 0.25));
        assert!(close(scalar(&sim, "dpi"), 0.0));
        assert!(close(scalar(&sim, "tvpi.eqs"), 0.5));
        assert!((scalar(&sim, "irr.eqs") - (0.5f64.sqrt() - 1.0)).abs() < 1e-10);
        assert_eq!(scalar(&sim, "irr.eqa"), -1.0);
        assert!(close(scalar(&sim, "mobilised.eqa"), 300.0 * WAN));
        assert!(close(scalar(&sim, "mobilised.eqs"), 300.0 * WAN));
        assert!(close(scalar(&sim, "deployed.g"), 50.0 * WAN));
        assert!(close(scalar(&sim, "fiscal_outlay.g"), 0.0));
    }
}

/// Issue 3's instruments by hand: a convertible grant (拨-投-股) that converts, one that is written
/// off and one that lapses; a prize paid as equity (奖改投) and a co-investment beside a lead.
///
/// Industries (every probability 0 or 1, every volatility 0), one existing seed firm each, worth
/// 1000万, all raising their A round in 2024 (×2 → 2000万, 20% sold, retention 0.8):
/// - `a`: raises its B round in 2025 (×2 → 4000万, 20% sold, retention 0.64), then stays in B;
/// - `b`: fails in 2025;
/// - `c`: stays in A for ever.
///
/// Instruments, in 万:
/// - `cg` (convertible, 200 each, A-stage firms, window 2 years, 20% discount, founders buy back 2
///   years after conversion at 5% a year, always): in 2024 it pays all three firms (600).
///   `a` converts at its 2025 B round at 4000 × (1 − 20%) = 3200: stake 200/3200 = 6.25%; the
///   founders buy it in 2027 (2 years after conversion) for the grant plus 5% a year since it was
///   paid in 2024: 200 × 1.05³ = 231.525. `b` fails first (2025): written off. `c` has
///   no round by 2026 = 2024 + 2: lapsed.
/// - `pz` (prize as equity, 100, A-stage firms of `c`, sold 3 years later at 10% off): 2024, stake
///   100/2000 = 5% of `c`; sold in 2027 for 5% × 2000 × 0.9 = 90.
/// - `co` (beside a lead holding 50% of the round, 0.5 yuan per lead yuan, at most 300, B rounds of
///   `a`, budget in 2025): `a`'s B round is 20% × 4000 = 800, the lead puts 400, the city
///   min(300, 0.5 × 400) = 200: stake 200/4000 = 5%, held; private money 800 − 200 = 600.
/// - `gu` (guarantee: 1000 of new loans in 2024, 500 each for 2 years, 40% covered, fee 0.5% a
///   year kept by the city, the bank's share of the risk 100%, loss given default 50%, A-stage firms
///   of `b` and `c`): loans to `b` and `c` in 2024, fees 2 × 2.5 = 5. In 2025 `b` fails: the city pays 50% × 40% × 500 = 100; `c` pays 2.5; in 2026 `c`
///   repays. The 1000 of loans count as money mobilised.
/// - Fiscal 700 (2024) + 200 + 100 (2025); proceeds 5 (2024), 2.5 (2025), 231.525 + 90 = 321.525
///   (2027), all to the treasury; holdings: 2024 prize 100; 2025 and 2026 prize 100 + co 200 +
///   converted 6.25% × 4000 = 250 → 550; 2027 and 2028 co 200. Net fiscal cost
///   1000 − 329.025 − 200 = 470.975.
const THIRD: &str = r#"
[scenario]
name = "by_hand_3"
[time]
start_year = 2024
horizon_years = 5
[market]
rho = 0.3
industry_rho = 0.3
sensitivity = { round = 1.0, exit = 1.0, fail = 1.0, value = 0.0, exit_value = 0.0 }
[thresholds]
chain_leader = { measure = "value", value = "100亿" }
cluster = { measure = "value", value = "1000亿" }
[program]
discount_rate = 0
recycling = { to_pool = 0 }

[[industries]]
id = "a"
name = "甲"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 1
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0
[[industries.stages]]
name = "B"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0

[[industries]]
id = "b"
name = "乙"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 1
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0

[[industries]]
id = "c"
name = "丙"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0

[[instruments.convertible_grant]]
id = "cg"
budget = { per_year = "600万", from = 2024, to = 2024 }
amount = "200万"
stages = ["A"]
conversion_window_years = 2
conversion_discount = "20%"
founder_buyback = { after_years = 2, rate = "5%", take_up = 1 }

[[instruments.prize_equity]]
id = "pz"
budget = { per_year = "100万", from = 2024, to = 2024 }
amount = "100万"
industries = ["c"]
stages = ["A"]
sell_after_years = 3
sale_discount = "10%"

[[instruments.co_investment]]
id = "co"
budget = { per_year = "300万", from = 2025, to = 2025 }
ratio = 0.5
lead_share = "50%"
max_ticket = "300万"
industries = ["a"]
stages = ["B"]

[[instruments.guarantee]]
id = "gu"
volume = { per_year = "1000万", from = 2024, to = 2024 }
loan_size = "500万"
term_years = 2
cover_share = "40%"
fee_rate = "0.5%"
base_default_rate = 0
loss_given_default = "50%"
industries = ["b", "c"]
stages = ["A"]
# As worked above: the city keeps the fees and the whole loan counts as money mobilised.
fee_to = "city"
bank_share = "100%"

[[targets]]
id = "conversions"
label = "拨投股转股"
metric = "conversions"
threshold = 1
deadline = 2025

"#;

#[test]
fn convertible_grants_prizes_and_co_investment() {
    let model = compile(&load_str("by_hand_3.toml", &by_hand(THIRD)).expect("valid"));
    let mut sim = PathSim::new(&model);
    let fen = |w: f64| (w * 10_000.0 * 100.0).round() as i64;
    for path in [0, 3] {
        sim.run(11, path);
        assert_eq!(
            yearly(&sim, "fiscal_outlay"),
            vec![fen(700.0), fen(300.0), 0, 0, 0]
        );
        assert_eq!(
            yearly(&sim, "fiscal_outlay.gu"),
            vec![0, fen(100.0), 0, 0, 0]
        );
        assert_eq!(
            yearly(&sim, "money_back.gu"),
            vec![fen(5.0), fen(2.5), 0, 0, 0]
        );
        assert_eq!(yearly(&sim, "loans_guaranteed"), vec![2, 0, 0, 0, 0]);
        assert_eq!(yearly(&sim, "grants_awarded"), vec![3, 0, 0, 0, 0]);
        assert_eq!(yearly(&sim, "equity_deals"), vec![1, 1, 0, 0, 0]);
        assert_eq!(yearly(&sim, "conversions"), vec![0, 1, 0, 0, 0]);
        assert_eq!(
            yearly(&sim, "money_back"),
            vec![fen(5.0), fen(2.5), 0, fen(321.525), 0]
        );
        assert_eq!(
            yearly(&sim, "money_back.cg"),
            vec![0, 0, 0, fen(231.525), 0]
        );
        assert_eq!(yearly(&sim, "money_back.pz"), vec![0, 0, 0, fen(90.0), 0]);
        assert_eq!(
            yearly(&sim, "mobilised"),
            vec![fen(1000.0), fen(600.0), 0, 0, 0]
        );
        assert_eq!(
            yearly(&sim, "holdings_value"),
            vec![fen(100.0), fen(550.0), fen(550.0), fen(200.0), fen(200.0)]
        );
        assert_eq!(
            yearly(&sim, "holdings_value.cg"),
            vec![0, fen(250.0), fen(250.0), 0, 0]
        );
        let outcomes: Vec<_> = sim
            .positions
            .iter()
            .map(|p| {
                (
                    model.instruments[p.instrument].id.as_str(),
                    p.outcome,
                    p.proceeds,
                    p.exit_year,
                )
            })
            .collect();
        let mut want = vec![
            ("cg", Outcome::BoughtBack, fen(231.525), Some(3)),
            ("cg", Outcome::WrittenOff, 0, Some(1)),
            ("cg", Outcome::Lapsed, 0, Some(2)),
            ("pz", Outcome::Sold, fen(90.0), Some(3)),
            ("co", Outcome::Open, 0, None),
            ("gu", Outcome::Defaulted, fen(2.5), Some(1)),
            ("gu", Outcome::Repaid, fen(5.0), Some(2)),
        ];
        let mut got = outcomes.clone();
        got.sort_by_key(|o| (o.0, o.3));
        want.sort_by_key(|o| (o.0, o.3));
        assert_eq!(got, want);
        let converted = sim
            .positions
            .iter()
            .find(|p| p.outcome == Outcome::BoughtBack)
            .unwrap();
        assert!(close(converted.stake, 0.0625));
        assert_eq!(converted.converted_year, Some(1));
        assert_eq!(sim.ledger.conservation_error(), (0, None));
        let loss = sim
            .positions
            .iter()
            .find(|p| p.outcome == Outcome::Defaulted)
            .unwrap();
        assert_eq!(loss.cost, fen(100.0));
        // Treasury: 1000 out, 329.025 back, 200 still held at the horizon.
        assert!(close(scalar(&sim, "net_fiscal_cost"), 470.975 * WAN));
        assert_eq!(scalar(&sim, "met.conversions"), 1.0);
    }
}

/// A sub-fund (参股基金) worked by hand, through calls, 返投-first investing, an outside firm, the
/// European waterfall with a 100% catch-up, and the city's books.
///
/// Industry `a`: two seed firms worth 1000万 raise their A round in 2024 (×2 → 2000万, 20% sold, so
/// each round is 400万) and list in 2025 at 3× (6000万). Outside firms entering at A are valued at
/// the entry value times the A step-up: 1000万 × 2 = 2000万, and list in 2025 likewise.
///
/// The fund, in 万: size 1000, city 20% (commitment 200, the 2024 budget: one fund, always closing
/// on time), fee 2% a year, one investment year, term 3, tickets 300, hurdle 8%, carry 20%, 100%
/// catch-up, no concession.
/// - 2024 (age 0): investable 1000 × (1 − 2%) = 980. Local first: both A rounds, 300 each (stake
///   300/2000 = 15%); then outside: ⌊(980 − 600)/300⌋ = 1 firm, 300 (15%). Call = 900 + fee 20 = 920:
///   city 184, private 736. NAV 3 × 15% × 2000 = 900; the city's liquidation value at that NAV:
///   capital first, 20% × 900 = 180. Private money in the two rounds 2 × (400 − 300) = 200.
/// - 2025 (age 1, investing over): all three list: 3 × 15% × 6000 = 2700, all distributed; the fee
///   on the cost of holdings left (none) is 0. Waterfall: pref 8% × 920 = 73.6; capital 920, pref
///   73.6, the rest 1706.4; catch-up: the GP gets min(1706.4, 20% × (73.6 + 1706.4) − 0) = 356; LPs
///   2344, city 20% = 468.8, private 1875.2.
/// - 2027 (age 3 = term): the fund ends. City: −184, +468.8: TVPI 2.547826, IRR 468.8/184 − 1 =
///   1.547826.
const FOURTH: &str = r#"
[scenario]
name = "by_hand_4"
[time]
start_year = 2024
horizon_years = 4
[market]
rho = 0.3
industry_rho = 0.3
sensitivity = { round = 1.0, exit = 1.0, fail = 1.0, value = 0.0, exit_value = 0.0 }
[thresholds]
chain_leader = { measure = "value", value = "100亿" }
cluster = { measure = "value", value = "1000亿" }
[program]
discount_rate = 0
recycling = { to_pool = 0 }

[[industries]]
id = "a"
name = "甲"
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
existing = { count = 2, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 1
p_fail = 0
exit_multiple = { median = 3, sigma = 0 }
ipo_share = 1

[[instruments.sub_fund]]
id = "fund"
budget = { per_year = "200万", from = 2024, to = 2024 }
fund_size = "1000万"
city_share = "20%"
term_years = 3
investment_years = 1
management_fee = "2%"
hurdle = "8%"
carry = "20%"
ticket = "300万"
stages = ["A"]

"#;

#[test]
fn a_sub_fund_by_hand() {
    let model = compile(&load_str("by_hand_4.toml", &by_hand(FOURTH)).expect("valid"));
    let mut sim = PathSim::new(&model);
    let fen = |w: f64| (w * 10_000.0 * 100.0).round() as i64;
    for path in [0, 9] {
        sim.run(5, path);
        assert_eq!(yearly(&sim, "fiscal_outlay"), vec![fen(184.0), 0, 0, 0]);
        assert_eq!(yearly(&sim, "money_back"), vec![0, fen(468.8), 0, 0]);
        assert_eq!(yearly(&sim, "holdings_value"), vec![fen(180.0), 0, 0, 0]);
        assert_eq!(yearly(&sim, "funds_closed"), vec![1, 0, 0, 0]);
        assert_eq!(
            yearly(&sim, "funds_local_invested"),
            vec![fen(600.0), 0, 0, 0]
        );
        assert_eq!(
            yearly(&sim, "funds_outside_invested"),
            vec![fen(300.0), 0, 0, 0]
        );
        assert_eq!(yearly(&sim, "mobilised"), vec![fen(936.0), 0, 0, 0]);
        // Outside firms never count locally: two local exits, not three.
        assert_eq!(yearly(&sim, "exits"), vec![0, 2, 0, 0]);
        assert_eq!(yearly(&sim, "firms_supported"), vec![2, 0, 0, 0]);
        assert_eq!(sim.funds.len(), 1);
        let t = sim.funds[0].waterfall.totals();
        assert_eq!(
            (t.called, t.city_called, t.gp_carry, t.city, t.private),
            (fen(920.0), fen(184.0), fen(356.0), fen(468.8), fen(1875.2))
        );
        assert_eq!(sim.funds[0].end, Some(3));
        assert_eq!(sim.ledger.conservation_error(), (0, None));
        assert!(close(scalar(&sim, "tvpi.fund"), 468.8 / 184.0));
        assert!((scalar(&sim, "irr.fund") - (468.8 / 184.0 - 1.0)).abs() < 1e-10);
        assert!(close(scalar(&sim, "deals.fund"), 1.0));
    }
}

#[test]
fn the_local_requirement_keeps_money_at_home() {
    // 返投 of 4 × the city's 200万 = 800万 leaves 980 − 800 = 180万 for outside firms: less than a
    // ticket, so the fund stays local: it invests 600 and calls 600 + 20 = 620 (city 124).
    let text = FOURTH.replace(
        "ticket = \"300万\"",
        "ticket = \"300万\"\nlocal_multiple = 4.0",
    );
    let model = compile(&load_str("by_hand_4b.toml", &by_hand(&text)).expect("valid"));
    let mut sim = PathSim::new(&model);
    sim.run(5, 0);
    let fen = |w: f64| (w * 10_000.0 * 100.0).round() as i64;
    assert_eq!(yearly(&sim, "funds_outside_invested"), vec![0, 0, 0, 0]);
    assert_eq!(
        yearly(&sim, "funds_local_invested"),
        vec![fen(600.0), 0, 0, 0]
    );
    assert_eq!(yearly(&sim, "fiscal_outlay"), vec![fen(124.0), 0, 0, 0]);
}

/// A fund that keeps cash for reinvestment and pays fees after its investment period, by hand.
///
/// Two industries, one seed firm each, worth 1000万, raising their A round in 2024 (×2 → 2000万,
/// round 400万): `a`'s firm lists in 2025 at 3× (6000万); `b`'s stays in A for ever. The fund (in 万):
/// size 1000, city 20%, fee 2%, two investment years, term 4, tickets 240, 返投 4 × 200 = 800,
/// recycling up to 100% of size, hurdle 8%, carry 20%, 100% catch-up.
/// - 2024 (age 0): budget (1000 × (1 − 2% × 2))/2 = 480: both A rounds, 240 each (12%); outside room
///   960 − 800 = 160 < 240: none. Call 480 + fee 20 = 500 (city 100). NAV 2 × 12% × 2000 = 480; the
///   city's liquidation value: capital first, 20% × 480 = 96.
/// - 2025 (age 1): `a` lists: 12% × 6000 = 720, kept for reinvestment (cash 720); the fee 20 comes
///   from cash (700); no rounds to join, no call. NAV = 12% × 2000 + 700 = 940. Liquidation value:
///   pref 8% × 500 = 40; capital 500, pref 40, r = 400; GP min(400, 20% × 440) = 88; LPs 852,
///   city 170.4.
/// - 2026 (age 2, investing over): the cash is distributed (700); fee 2% × cost held (240) = 4.8,
///   called (city 0.96). Waterfall: pref 40 + 8% × 540 = 83.2; capital 504.8, pref 83.2, r = 112;
///   GP min(112, 20% × 195.2) = 39.04; LPs 660.96, city 132.192. Liquidation value at NAV 240:
///   r = 240, GP min(240, 20% × 435.2 − 39.04) = 48, city 20% × 192 = 38.4.
/// - 2027 (age 3): fee 4.8 called again (city 0.96). Liquidation value: capital 4.8, r = 235.2, GP
///   20% × 430.4 − 39.04 = 47.04, city 20% × 192.96 = 38.592.
/// - 2028 (age 4 = term): `b`'s stake sold at 240; pref 8% × 4.8 = 0.384; capital 4.8, pref 0.384,
///   r = 234.816; GP 20% × 430.4 − 39.04 = 47.04; LPs 192.96, city 38.592.
/// - The fund's cash account: calls 509.6 + proceeds 960 = invested 480 + fees 49.6 + distributed
///   940.
const FIFTH: &str = r#"
[scenario]
name = "by_hand_5"
[time]
start_year = 2024
horizon_years = 5
[market]
rho = 0.3
industry_rho = 0.3
sensitivity = { round = 1.0, exit = 1.0, fail = 1.0, value = 0.0, exit_value = 0.0 }
[thresholds]
chain_leader = { measure = "value", value = "100亿" }
cluster = { measure = "value", value = "1000亿" }
[program]
discount_rate = 0
recycling = { to_pool = 0 }

[[industries]]
id = "a"
name = "甲"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 1
p_fail = 0
exit_multiple = { median = 3, sigma = 0 }
ipo_share = 1

[[industries]]
id = "b"
name = "乙"
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
existing = { count = 1, value = { median = "1000万", sigma = 0 }, age = [1, 1] }
[[industries.stages]]
name = "A"
dilution = "20%"
step_up = { median = 2, sigma = 0 }
p_round = 0
p_exit = 0
p_fail = 0
exit_multiple = { median = 1, sigma = 0 }
ipo_share = 0

[[instruments.sub_fund]]
id = "fund"
budget = { per_year = "200万", from = 2024, to = 2024 }
fund_size = "1000万"
city_share = "20%"
term_years = 4
investment_years = 2
management_fee = "2%"
hurdle = "8%"
carry = "20%"
ticket = "240万"
local_multiple = 4.0
recycling_limit = "100%"
stages = ["A"]

"#;

#[test]
fn a_fund_reinvests_cash_and_pays_fees_after_investing() {
    use fundsim::instruments::FundState;
    let model = compile(&load_str("by_hand_5.toml", &by_hand(FIFTH)).expect("valid"));
    let mut sim = PathSim::new(&model);
    let fen = |w: f64| (w * 10_000.0 * 100.0).round() as i64;
    sim.run(3, 0);
    assert_eq!(
        yearly(&sim, "fiscal_outlay"),
        vec![fen(100.0), 0, fen(0.96), fen(0.96), 0]
    );
    assert_eq!(
        yearly(&sim, "money_back"),
        vec![0, 0, fen(132.192), 0, fen(38.592)]
    );
    assert_eq!(
        yearly(&sim, "holdings_value"),
        vec![fen(96.0), fen(170.4), fen(38.4), fen(38.592), 0]
    );
    let fund = &sim.funds[0];
    let FundState::BottomUp(b) = &fund.state else {
        panic!("bottom-up")
    };
    assert_eq!(
        (
            b.called,
            b.proceeds,
            b.invested,
            b.fees_paid,
            b.distributed,
            b.cash
        ),
        (fen(509.6), fen(960.0), fen(480.0), fen(49.6), fen(940.0), 0)
    );
    let t = fund.waterfall.totals();
    assert_eq!((t.gp_carry, t.city), (fen(86.08), fen(170.784)));
    assert_eq!(fund.end, Some(4));
}

#[test]
fn a_fund_with_a_local_preference_splits_its_deals() {
    // As FOURTH, but the fund would put only 40% of a year's 980 locally (392, rounded up to whole
    // tickets: 600, both local rounds; the 返投 rule asks for 1 × 200 = 200, less); the rest
    // outside, ⌊min(980 − 600, 980 − 200)/300⌋ = 1 ticket, 300. The money is FOURTH's: call 920,
    // city 184, and all three stakes list at 3× in 2025 (2700). With 20% (196 → one ticket, 300)
    // one local round and two outside firms.
    let text = FOURTH.replace(
        "ticket = \"300万\"",
        "ticket = \"300万\"\nlocal_preference = \"PREF\"\nlocal_multiple = 1.0",
    );
    let fen = |w: f64| (w * 10_000.0 * 100.0).round() as i64;
    for (pref, local, outside, supported) in [("40%", 600.0, 300.0, 2), ("20%", 300.0, 600.0, 1)] {
        let model = compile(
            &load_str("by_hand_4c.toml", &by_hand(&text.replace("PREF", pref))).expect("valid"),
        );
        let mut sim = PathSim::new(&model);
        sim.run(5, 0);
        assert_eq!(
            yearly(&sim, "funds_local_invested"),
            vec![fen(local), 0, 0, 0]
        );
        assert_eq!(
            yearly(&sim, "funds_outside_invested"),
            vec![fen(outside), 0, 0, 0]
        );
        assert_eq!(yearly(&sim, "fiscal_outlay"), vec![fen(184.0), 0, 0, 0]);
        assert_eq!(yearly(&sim, "money_back"), vec![0, fen(468.8), 0, 0]);
        assert_eq!(yearly(&sim, "firms_supported"), vec![supported, 0, 0, 0]);
    }
}
