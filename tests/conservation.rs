//! Invariants over random valid scenarios (proptest): cash is conserved to the fen, positions account
//! for every yuan paid and received, no instrument draws more than its budget, nothing is negative;
//! each yearly series sums (flows) or ends (stocks) at its per-path total, the program's series are
//! the sums of the instruments', the holdings are the open positions valued one by one, and the
//! money mobilised is the private money in the rounds the city joined, the banks' money in
//! guaranteed loans and the private partners' calls, instrument by instrument. Every instrument
//! kind is generated.

use fundsim::instruments::FundState;
use fundsim::ledger::{Ledger, Outcome};
use fundsim::model::{KindModel, compile};
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;
use proptest::prelude::*;
use std::fmt::Write;

#[derive(Debug, Clone)]
struct StageGen {
    /// Per mille; the three sum to at most 1000.
    p: (u32, u32, u32),
    dilution_pct: u32,
    step_up: (f64, f64),
    exit_multiple: (f64, f64),
    ipo_pct: u32,
    existing: u32,
}

#[derive(Debug, Clone)]
struct IndustryGen {
    arrivals: f64,
    stages: Vec<StageGen>,
    revenue: bool,
    /// Large firms a year (given to industries that model revenue).
    large: f64,
}

#[derive(Debug, Clone)]
enum InstrumentGen {
    Convertible {
        budget_wan: u32,
        amount_wan: u32,
        window: Option<u32>,
        discount_pct: u32,
        buyback: Option<(u32, u32, u32)>,
    },
    Prize {
        budget_wan: u32,
        amount_wan: u32,
        sell_after: Option<(u32, u32)>,
    },
    SubFund {
        budget_wan: u32,
        size_wan: u32,
        share_pct: u32,
        concession: u8,
        ta: bool,
        local_multiple: f64,
        recycle_pct: u32,
    },
    Subsidy {
        budget_wan: u32,
        pro_rata: bool,
        /// (kind 0 share / 1 per unit / 2 fixed, amount, rate, firm-year cap in 万 or 0 = none)
        rules: Vec<(u8, u32, f64, u32)>,
    },
    Guarantee {
        volume_wan: u32,
        loan_wan: u32,
        term: u32,
        cover_pct: u32,
        default_pct: u32,
        supported_only: bool,
    },
    CoInvest {
        budget_wan: u32,
        ratio: f64,
        lead_pct: u32,
        max_ticket_wan: u32,
        sell_after: Option<(u32, u32)>,
    },
    Grant {
        budget_wan: u32,
        amount_wan: u32,
        once: bool,
        first_stage_only: bool,
    },
    Equity {
        budget_wan: u32,
        ticket_wan: u32,
        max_share_pct: u32,
        take_up_pct: u32,
        sell_after: Option<(u32, u32)>,
    },
    /// An incentive programme for large firms (a talent subsidy where no industry has large
    /// arrivals).
    Attraction {
        budget_wan: u32,
        max_wan: u32,
        half_wan: u32,
    },
    Talent {
        budget_wan: u32,
        amount_wan: u32,
        elasticity: f64,
    },
}

#[derive(Debug, Clone)]
struct ScenarioGen {
    horizon: u32,
    sensitivity: [f64; 5],
    regime_shift: f64,
    to_pool_pct: u32,
    haircut_pct: u32,
    industries: Vec<IndustryGen>,
    instruments: Vec<(InstrumentGen, bool)>,
}

fn stage() -> impl Strategy<Value = StageGen> {
    (
        (0u32..600, 0u32..300, 0u32..300),
        0u32..60,
        (0.5f64..5.0, 0.0f64..1.2),
        (0.2f64..6.0, 0.0f64..1.2),
        0u32..=100,
        0u32..25,
    )
        .prop_map(
            |(p, dilution_pct, step_up, exit_multiple, ipo_pct, existing)| StageGen {
                p,
                dilution_pct,
                step_up,
                exit_multiple,
                ipo_pct,
                existing,
            },
        )
}

fn industry() -> impl Strategy<Value = IndustryGen> {
    (
        0.0f64..8.0,
        prop::collection::vec(stage(), 2..5),
        any::<bool>(),
        0.0f64..3.0,
    )
        .prop_map(|(arrivals, stages, revenue, large)| IndustryGen {
            arrivals,
            stages,
            revenue,
            large,
        })
}

fn instrument() -> impl Strategy<Value = InstrumentGen> {
    prop_oneof![
        (
            0u32..3000,
            1u32..400,
            prop::option::of(1u32..5),
            0u32..60,
            prop::option::of((1u32..5, 0u32..20, 0u32..=100))
        )
            .prop_map(|(budget_wan, amount_wan, window, discount_pct, buyback)| {
                InstrumentGen::Convertible {
                    budget_wan,
                    amount_wan,
                    window,
                    discount_pct,
                    buyback,
                }
            }),
        (0u32..3000, 1u32..400, prop::option::of((1u32..6, 0u32..50))).prop_map(
            |(budget_wan, amount_wan, sell_after)| InstrumentGen::Prize {
                budget_wan,
                amount_wan,
                sell_after,
            }
        ),
        (
            0u32..30000,
            1000u32..100000,
            5u32..=60,
            0u8..5,
            any::<bool>(),
            0.0f64..3.0,
            0u32..30
        )
            .prop_map(
                |(budget_wan, size_wan, share_pct, concession, ta, local_multiple, recycle_pct)| {
                    InstrumentGen::SubFund {
                        budget_wan,
                        size_wan,
                        share_pct,
                        concession,
                        ta,
                        local_multiple,
                        recycle_pct,
                    }
                }
            ),
        (
            0u32..2000,
            any::<bool>(),
            prop::collection::vec((0u8..3, 1u32..300, 0.0f64..3.0, 0u32..500), 1..4)
        )
            .prop_map(|(budget_wan, pro_rata, rules)| InstrumentGen::Subsidy {
                budget_wan,
                pro_rata,
                rules
            }),
        (
            0u32..20000,
            1u32..2000,
            1u32..5,
            0u32..=100,
            0u32..30,
            any::<bool>()
        )
            .prop_map(
                |(volume_wan, loan_wan, term, cover_pct, default_pct, supported_only)| {
                    InstrumentGen::Guarantee {
                        volume_wan,
                        loan_wan,
                        term,
                        cover_pct,
                        default_pct,
                        supported_only,
                    }
                }
            ),
        (
            0u32..5000,
            0.05f64..3.0,
            1u32..=100,
            1u32..800,
            prop::option::of((1u32..6, 0u32..50))
        )
            .prop_map(
                |(budget_wan, ratio, lead_pct, max_ticket_wan, sell_after)| {
                    InstrumentGen::CoInvest {
                        budget_wan,
                        ratio,
                        lead_pct,
                        max_ticket_wan,
                        sell_after,
                    }
                }
            ),
        (0u32..3000, 1u32..400, any::<bool>(), any::<bool>()).prop_map(
            |(budget_wan, amount_wan, once, first_stage_only)| InstrumentGen::Grant {
                budget_wan,
                amount_wan,
                once,
                first_stage_only,
            }
        ),
        (
            0u32..5000,
            1u32..800,
            1u32..=100,
            0u32..=100,
            prop::option::of((1u32..6, 0u32..50))
        )
            .prop_map(
                |(budget_wan, ticket_wan, max_share_pct, take_up_pct, sell_after)| {
                    InstrumentGen::Equity {
                        budget_wan,
                        ticket_wan,
                        max_share_pct,
                        take_up_pct,
                        sell_after,
                    }
                }
            ),
        (0u32..20000, 1u32..3000, 1u32..20000).prop_map(|(budget_wan, max_wan, half_wan)| {
            InstrumentGen::Attraction {
                budget_wan,
                max_wan,
                half_wan,
            }
        }),
        (0u32..3000, 1u32..100, 0.0f64..3.0).prop_map(|(budget_wan, amount_wan, elasticity)| {
            InstrumentGen::Talent {
                budget_wan,
                amount_wan,
                elasticity,
            }
        }),
    ]
}

fn scenario() -> impl Strategy<Value = ScenarioGen> {
    (
        3u32..12,
        prop::array::uniform5(-2.0f64..2.0),
        -2.0f64..2.0,
        0u32..=100,
        0u32..=100,
        prop::collection::vec(industry(), 1..4),
        prop::collection::vec((instrument(), any::<bool>()), 0..5),
    )
        .prop_map(
            |(
                horizon,
                sensitivity,
                regime_shift,
                to_pool_pct,
                haircut_pct,
                industries,
                instruments,
            )| {
                ScenarioGen {
                    horizon,
                    sensitivity,
                    regime_shift,
                    to_pool_pct,
                    haircut_pct,
                    industries,
                    instruments,
                }
            },
        )
}

/// Clamps generated per-mille probabilities so they sum to at most 1000.
fn probabilities(p: (u32, u32, u32)) -> (f64, f64, f64) {
    let total = p.0 + p.1 + p.2;
    let scale = if total > 1000 {
        1000.0 / total as f64
    } else {
        1.0
    };
    let f = |x: u32| ((x as f64 * scale).floor()) / 1000.0;
    (f(p.0), f(p.1), f(p.2))
}

/// A budget of 0, or at least one `unit` (the validator rejects budgets that could buy nothing).
fn budget(wan: u32, unit: u32) -> u32 {
    if wan < unit { 0 } else { wan }
}

fn to_toml(g: &ScenarioGen) -> String {
    let mut s = String::new();
    let s_ = &mut s;
    let [a, b, c, d, e] = g.sensitivity;
    let _ = writeln!(
        s_,
        "[scenario]\nname = \"prop\"\n[time]\nstart_year = 2024\nhorizon_years = {}\n\
         [market]\nrho = 0.6\nindustry_rho = 0.3\n\
         sensitivity = {{ round = {a}, exit = {b}, fail = {c}, value = {d}, exit_value = {e} }}\n\
         regimes = [{{ from = 2025, to = 2025, shift = {} }}]\n\
         [thresholds]\nchain_leader = {{ measure = \"value\", value = \"5亿\" }}\n\
         cluster = {{ measure = \"value\", value = \"20亿\" }}",
        g.horizon, g.regime_shift
    );
    let ids: Vec<String> = (0..g.instruments.len()).map(|k| format!("i{k}")).collect();
    // Guarantees spend nothing and talent subsidies act last: neither may spend pooled money.
    // An attraction programme is written as a talent subsidy when no industry has large arrivals,
    // and when it is not the first (below).
    let any_large = g.industries.iter().any(|ind| ind.revenue);
    let first_attraction = (g.instruments.iter())
        .position(|(inst, _)| matches!(inst, InstrumentGen::Attraction { .. }));
    let talent = |k: usize, inst: &InstrumentGen| match inst {
        InstrumentGen::Talent { .. } => true,
        InstrumentGen::Attraction { .. } => !any_large || Some(k) != first_attraction,
        _ => false,
    };
    let into: Vec<String> = (g.instruments.iter().enumerate())
        .zip(&ids)
        .filter(|((k, (inst, recycle)), _)| {
            *recycle && !matches!(inst, InstrumentGen::Guarantee { .. }) && !talent(*k, inst)
        })
        .map(|(_, id)| format!("\"{id}\""))
        .collect();
    let _ = writeln!(
        s_,
        "[program]\ndiscount_rate = \"4%\"\nholdings_haircut = \"{}%\"\n\
         recycling = {{ to_pool = \"{}%\", into = [{}] }}",
        g.haircut_pct,
        g.to_pool_pct,
        into.join(", ")
    );
    for (i, ind) in g.industries.iter().enumerate() {
        let revenue = if ind.revenue {
            ", revenue = { median = \"100万\", sigma = 0.8 }"
        } else {
            ""
        };
        let _ = writeln!(
            s_,
            "[[industries]]\nid = \"ind{i}\"\nname = \"产业{i}\"\narrivals_per_year = {}\n\
             talent_per_arrival = 2\nbeta_market = 0.9\nbeta_industry = 0.5\n\
             entry = {{ value = {{ median = \"2000万\", sigma = 0.7 }}{revenue} }}",
            ind.arrivals
        );
        for (j, st) in ind.stages.iter().enumerate() {
            let (r, x, f) = probabilities(st.p);
            let _ = writeln!(
                s_,
                "[[industries.stages]]\nname = \"s{j}\"\ndilution = \"{}%\"\n\
                 p_round = {r}\np_exit = {x}\np_fail = {f}\n\
                 exit_multiple = {{ median = {}, sigma = {} }}\nipo_share = \"{}%\"",
                st.dilution_pct, st.exit_multiple.0, st.exit_multiple.1, st.ipo_pct
            );
            if j > 0 {
                let _ = writeln!(
                    s_,
                    "step_up = {{ median = {}, sigma = {} }}",
                    st.step_up.0, st.step_up.1
                );
            }
            if ind.revenue {
                let _ = writeln!(s_, "revenue_growth = {{ mean = 0.2, vol = 0.4 }}");
            }
            if st.existing > 0 {
                let rev = if ind.revenue {
                    ", revenue = { median = \"500万\", sigma = 1.0 }"
                } else {
                    ""
                };
                let _ = writeln!(
                    s_,
                    "existing = {{ count = {}, value = {{ median = \"{}万\", sigma = 0.8 }}, age = [0, 6]{rev} }}",
                    st.existing,
                    3000 * (j + 1)
                );
            }
        }
        if ind.revenue {
            let _ = writeln!(
                s_,
                "[industries.large_arrivals]\nper_year = {}\n\
                 value = {{ median = \"20亿\", sigma = 0.8 }}\n\
                 revenue = {{ median = \"3亿\", sigma = 0.8 }}\n\
                 revenue_growth = {{ mean = 0.05, vol = 0.2 }}",
                ind.large
            );
        }
    }
    let sale = |s_: &mut String, sell_after: &Option<(u32, u32)>| {
        if let Some((years, discount)) = sell_after {
            let _ = writeln!(
                s_,
                "sell_after_years = {years}\nsale_discount = \"{discount}%\""
            );
        }
    };
    let large: Vec<String> = (g.industries.iter().enumerate())
        .filter(|(_, ind)| ind.revenue)
        .map(|(i, _)| format!("\"ind{i}\""))
        .collect();
    // At most one attraction programme may reach an industry's large arrivals (validation
    // refuses a second): the first reaches them all, later ones become talent subsidies.
    let mut attraction_written = false;
    for ((inst, _), id) in g.instruments.iter().zip(&ids) {
        match inst {
            InstrumentGen::Attraction {
                budget_wan,
                max_wan,
                half_wan,
            } if !large.is_empty() && !attraction_written => {
                attraction_written = true;
                let _ = writeln!(
                    s_,
                    "[[instruments.attraction]]\nid = \"{id}\"\nbudget = \"{budget_wan}万\"\n\
                     max_per_firm = \"{max_wan}万\"\nhalf_budget = \"{half_wan}万\"\n\
                     industries = [{}]",
                    large.join(", ")
                );
            }
            InstrumentGen::Attraction {
                budget_wan,
                max_wan,
                ..
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.talent_subsidy]]\nid = \"{id}\"\nbudget = \"{budget_wan}万\"\n\
                     amount = \"{max_wan}万\"\nreference_pay = \"150万\""
                );
            }
            InstrumentGen::Talent {
                budget_wan,
                amount_wan,
                elasticity,
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.talent_subsidy]]\nid = \"{id}\"\nbudget = \"{budget_wan}万\"\n\
                     amount = \"{amount_wan}万\"\nreference_pay = \"150万\"\nelasticity = {elasticity:.3}"
                );
            }
            InstrumentGen::Convertible {
                budget_wan,
                amount_wan,
                window,
                discount_pct,
                buyback,
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.convertible_grant]]\nid = \"{id}\"\nbudget = \"{}万\"\n\
                     amount = \"{amount_wan}万\"\nconversion_discount = \"{discount_pct}%\"",
                    budget(*budget_wan, *amount_wan)
                );
                if let Some(w) = window {
                    let _ = writeln!(s_, "conversion_window_years = {w}");
                }
                if let Some((after, rate, take_up)) = buyback {
                    let _ = writeln!(
                        s_,
                        "founder_buyback = {{ after_years = {after}, rate = \"{rate}%\", take_up = \"{take_up}%\" }}"
                    );
                }
            }
            InstrumentGen::Prize {
                budget_wan,
                amount_wan,
                sell_after,
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.prize_equity]]\nid = \"{id}\"\nbudget = \"{}万\"\n\
                     amount = \"{amount_wan}万\"",
                    budget(*budget_wan, *amount_wan)
                );
                sale(s_, sell_after);
            }
            InstrumentGen::SubFund {
                budget_wan,
                size_wan,
                share_pct,
                concession,
                ta,
                local_multiple,
                recycle_pct,
            } => {
                let concession = match concession {
                    0 => "{ kind = \"none\" }",
                    1 => "{ kind = \"capped_return\", rate = \"3%\" }",
                    2 => "{ kind = \"excess_share\", share = \"50%\", above = \"8%\" }",
                    3 => "{ kind = \"junior\" }",
                    _ => "{ kind = \"buyout\", rate = \"4%\", within_years = 4 }",
                };
                let _ = writeln!(
                    s_,
                    "[[instruments.sub_fund]]\nid = \"{id}\"\nbudget = \"{}万\"\n\
                     fund_size = \"{size_wan}万\"\ncity_share = \"{share_pct}%\"\n\
                     close_probability = 0.9\nlate_close_probability = 0.2\nhurdle = \"8%\"\n\
                     carry = \"20%\"\nconcession = {concession}",
                    budget(*budget_wan, (size_wan * share_pct).div_ceil(100))
                );
                if *ta {
                    let _ = writeln!(
                        s_,
                        "takahashi_alexander = {{ contribution_rates = [0.25, 0.333, 0.5], life = 6, \
                         bow = 2.5, growth = 0.13, growth_beta = 0.2 }}"
                    );
                } else {
                    let _ = writeln!(
                        s_,
                        "term_years = 6\ninvestment_years = 3\nmanagement_fee = \"2%\"\n\
                         ticket = \"{}万\"\nmax_round_share = \"50%\"\nlocal_multiple = {local_multiple}\n\
                         recycling_limit = \"{recycle_pct}%\"",
                        size_wan / 20 + 1,
                        local_multiple = local_multiple.min(0.9 * 100.0 / *share_pct as f64),
                    );
                }
            }
            InstrumentGen::Subsidy {
                budget_wan,
                pro_rata,
                rules,
            } => {
                let rationing = if *pro_rata { "pro_rata" } else { "first_come" };
                let _ = writeln!(
                    s_,
                    "[[instruments.subsidy]]\nid = \"{id}\"\nbudget = \"{budget_wan}万\"\n\
                     rationing = \"{rationing}\""
                );
                for (n, (kind, amount, rate, cap)) in rules.iter().enumerate() {
                    let _ = writeln!(
                        s_,
                        "[[instruments.subsidy.rules]]\nlabel = \"r{n}\"\nevents_per_firm_year = {rate}"
                    );
                    let _ = match kind {
                        0 => writeln!(
                            s_,
                            "share = \"{}%\"\nbase = {{ median = \"{amount}万\", sigma = 0.5 }}\n\
                             item_cap = \"{}万\"",
                            amount % 100,
                            amount / 2 + 1
                        ),
                        1 => writeln!(
                            s_,
                            "per_unit = \"{amount}万\"\nunits = 3\ninstitution_year_cap = \"{}万\"\n\
                             institutions = 2",
                            amount * 4
                        ),
                        _ => writeln!(
                            s_,
                            "fixed = \"{amount}万\"\nfirm_total_cap = \"{}万\"",
                            amount * 2
                        ),
                    };
                    if *cap > 0 {
                        let _ = writeln!(s_, "firm_year_cap = \"{cap}万\"");
                    }
                }
            }
            InstrumentGen::Guarantee {
                volume_wan,
                loan_wan,
                term,
                cover_pct,
                default_pct,
                supported_only,
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.guarantee]]\nid = \"{id}\"\nvolume = \"{}万\"\n\
                     loan_size = \"{loan_wan}万\"\nterm_years = {term}\ncover_share = \"{cover_pct}%\"\n\
                     fee_rate = \"0.5%\"\nbase_default_rate = \"{default_pct}%\"\n\
                     loss_given_default = \"60%\"\nsupported_only = {supported_only}",
                    budget(*volume_wan, *loan_wan)
                );
                // Variety from the numbers already drawn: who keeps the fee, a fee subsidy, and
                // a small risk-compensation pool with a yearly cap on half the programmes.
                let fee_to = if default_pct % 2 == 1 {
                    "city"
                } else {
                    "guarantor"
                };
                let _ = writeln!(
                    s_,
                    "fee_to = \"{fee_to}\"\nfee_subsidy = \"{}%\"",
                    (cover_pct % 3) as f64 * 0.5
                );
                if term % 2 == 0 {
                    let _ = writeln!(
                        s_,
                        "risk_pool = {{ size = \"{}万\", year_cap = \"{loan_wan}万\" }}",
                        2 * loan_wan
                    );
                }
            }
            InstrumentGen::CoInvest {
                budget_wan,
                ratio,
                lead_pct,
                max_ticket_wan,
                sell_after,
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.co_investment]]\nid = \"{id}\"\nbudget = \"{budget_wan}万\"\n\
                     ratio = {ratio}\nlead_share = \"{lead_pct}%\"\nmax_ticket = \"{max_ticket_wan}万\""
                );
                sale(s_, sell_after);
            }
            InstrumentGen::Grant {
                budget_wan,
                amount_wan,
                once,
                first_stage_only,
            } => {
                let stages = if *first_stage_only {
                    "stages = [\"s0\"]\n"
                } else {
                    ""
                };
                let _ = writeln!(
                    s_,
                    "[[instruments.grant]]\nid = \"{id}\"\nbudget = \"{}万\"\n\
                     amount = \"{amount_wan}万\"\nonce_per_firm = {once}\n{stages}",
                    budget(*budget_wan, *amount_wan)
                );
            }
            InstrumentGen::Equity {
                budget_wan,
                ticket_wan,
                max_share_pct,
                take_up_pct,
                sell_after,
            } => {
                let _ = writeln!(
                    s_,
                    "[[instruments.direct_equity]]\nid = \"{id}\"\n\
                     budget = {{ per_year = \"{budget_wan}万\", from = 2024, to = 2026 }}\n\
                     ticket = \"{ticket_wan}万\"\nmax_round_share = \"{max_share_pct}%\"\n\
                     take_up = \"{take_up_pct}%\""
                );
                if let Some((years, discount)) = sell_after {
                    let _ = writeln!(
                        s_,
                        "sell_after_years = {years}\nsale_discount = \"{discount}%\""
                    );
                }
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn cash_is_conserved(g in scenario(), seed in any::<u64>()) {
        let text = to_toml(&g);
        let file = match load_str("prop.toml", &text) {
            Ok(f) => f,
            Err(e) => panic!("generated scenario is invalid: {e}\n{text}"),
        };
        let model = compile(&file);
        let mut sim = PathSim::new(&model);
        let n = model.n_years;
        for path in 0..3 {
            sim.run(seed, path);
            let l = &sim.ledger;
            prop_assert_eq!(l.conservation_error(), (0, None), "books do not balance");
            // The J-curve is the running sum of money to the treasury less fiscal money paid.
            let mut running = 0i64;
            for y in 0..n {
                let at = |m: fundsim::metrics::Y| sim.yearly[m as usize * n + y];
                running += at(fundsim::metrics::Y::ToTreasury) - at(fundsim::metrics::Y::FiscalOutlay);
                prop_assert_eq!(at(fundsim::metrics::Y::NetFiscalFlowCum), running);
                // The net position adds the pool and the stakes held that year.
                prop_assert_eq!(
                    at(fundsim::metrics::Y::NetPosition),
                    running + l.pool_balance[y] + at(fundsim::metrics::Y::HoldingsValue)
                );
            }
            // At the horizon it is minus the net fiscal cost (in yuan, from fen).
            let end = sim.yearly[fundsim::metrics::Y::NetPosition as usize * n + n - 1];
            let cost = sim.scalars[fundsim::metrics::S::NetFiscalCost as usize];
            prop_assert!((end as f64 / 100.0 + cost).abs() < 1e-6, "{} vs {}", end, cost);
            for (k, inst) in model.instruments.iter().enumerate() {
                // The treasury never pays an instrument more than its budget in a year (a
                // guarantee's losses are obligations, not limited by its loan volume).
                // Fund calls are obligations too, not limited by the commitment budget.
                let is_loan = matches!(inst.kind, KindModel::Guarantee(_) | KindModel::SubFund(_));
                for y in 0..n {
                    prop_assert!(is_loan || l.fiscal[l.at(k, y)] <= inst.budget[y]);
                    prop_assert!(l.fiscal[l.at(k, y)] >= 0 && l.pool_used[l.at(k, y)] >= 0);
                    prop_assert!(l.holdings[l.at(k, y)] >= 0);
                }
                let deployed: i64 = (0..n).map(|y| l.deployed(k, y)).sum();
                let proceeds = Ledger::total(&l.proceeds, k, n);
                if let KindModel::SubFund(fm) = &inst.kind {
                    // A programme's money is its funds' calls on the city; what comes back is
                    // what the waterfalls pay the city (and buy-out prices).
                    let funds: Vec<_> = sim.funds.iter().filter(|f| f.instrument == k).collect();
                    let called: i64 = funds.iter().map(|f| f.waterfall.totals().city_called).sum();
                    let back: i64 = funds
                        .iter()
                        .map(|f| f.waterfall.totals().city + f.waterfall.totals().buyout_paid_to_city)
                        .sum();
                    prop_assert_eq!(deployed, called);
                    prop_assert_eq!(proceeds, back);
                    for f in &funds {
                        let t = f.waterfall.totals();
                        prop_assert!(t.called <= fm.fund_size, "a fund called more than its size");
                        prop_assert_eq!(t.distributed, t.city + t.private + t.gp_carry);
                        if let FundState::BottomUp(b) = &f.state {
                            // The fund's own cash account balances to the fen.
                            prop_assert_eq!(
                                b.called + b.proceeds,
                                b.invested + b.fees_paid + b.distributed + b.cash
                            );
                            prop_assert_eq!(b.called, t.called);
                            prop_assert_eq!(b.distributed, t.distributed);
                            prop_assert!(b.cash >= 0 && b.fee_owed >= 0);
                        }
                    }
                    prop_assert!(sim.positions.iter().all(|p| p.instrument != k));
                    continue;
                }
                // Every yuan paid is a position's cost, or still in a guarantee's risk pool; every
                // yuan back a position's proceeds.
                let mine: Vec<_> = sim.positions.iter().filter(|p| p.instrument == k).collect();
                let pool_left = l.risk_pool[k];
                prop_assert!(pool_left >= 0);
                prop_assert_eq!(deployed, mine.iter().map(|p| p.cost).sum::<i64>() + pool_left);
                prop_assert_eq!(proceeds, mine.iter().map(|p| p.proceeds).sum::<i64>());
                // One position per deal, except subsidies: one per firm and year, for all its items.
                let deals = Ledger::total(&l.deals, k, n);
                if matches!(inst.kind, KindModel::Subsidy(_) | KindModel::Talent(_)) {
                    prop_assert!(deals >= mine.len() as i64);
                } else {
                    prop_assert_eq!(deals, mine.len() as i64);
                }
                for p in &mine {
                    prop_assert!((p.cost > 0 || is_loan) && p.proceeds >= 0);
                    prop_assert!(p.stake >= 0.0 && p.stake <= 1.0 + 1e-12);
                    match p.outcome {
                        Outcome::Open | Outcome::Pending => {
                            // A stake still held has returned nothing yet; a loan has paid fees.
                            // (a listed stake being sold in tranches has some back).
                            prop_assert!(is_loan || p.proceeds == 0 || p.listed_year.is_some());
                            prop_assert_eq!(p.exit_year, None);
                        }
                        _ => prop_assert!(p.exit_year.is_some_and(|e| e as i32 >= p.entry_year)),
                    }
                    // Only equity earns; grants and lapsed or failed convertibles return nothing.
                    if matches!(p.outcome, Outcome::Grant | Outcome::Lapsed | Outcome::WrittenOff) {
                        prop_assert_eq!(p.proceeds, 0);
                    }
                    match &inst.kind {
                        KindModel::Grant(_)
                        | KindModel::Subsidy(_)
                        | KindModel::Attraction(_)
                        | KindModel::Talent(_) => prop_assert_eq!(p.outcome, Outcome::Grant),
                        KindModel::Convertible(c) => {
                            prop_assert!(p.outcome != Outcome::Grant);
                            if p.outcome == Outcome::BoughtBack {
                                // Cost plus interest: at least the grant back.
                                prop_assert!(p.proceeds >= p.cost);
                                prop_assert!(c.buyback.is_some());
                            }
                        }
                        KindModel::Guarantee(g) => {
                            // The cost is the fee subsidy of each year outstanding plus, on a
                            // default, the covered share of the lost principal (or what the risk
                            // pool could still pay). Fees are the city's only if it keeps them.
                            let subsidy = g.fee_subsidy.apply(p.principal);
                            let years = (p.exit_year.unwrap_or(n - 1) as i32 - p.entry_year) as usize;
                            let loss = g.lgd.apply(g.cover.apply(p.principal));
                            let paid_years = match p.outcome {
                                Outcome::Open => years + 1,
                                _ => years,
                            } as i64;
                            let subsidies = subsidy * paid_years;
                            match p.outcome {
                                Outcome::Defaulted if g.pool.is_none() => {
                                    prop_assert_eq!(p.cost, subsidies + loss)
                                }
                                Outcome::Defaulted => {
                                    prop_assert!(p.cost >= subsidies && p.cost <= subsidies + loss)
                                }
                                _ => prop_assert_eq!(p.cost, subsidies),
                            }
                            if !g.fee_to_city {
                                prop_assert_eq!(p.proceeds, 0);
                            }
                            prop_assert_eq!(p.principal, g.loan_size);
                        }
                        _ => prop_assert!(p.stake > 0.0 && p.outcome != Outcome::Pending),
                    }
                }
            }
            totals_match_their_series(&sim)?;
            holdings_are_the_open_positions(&sim)?;
            mobilised_is_rounds_loans_and_calls(&sim)?;
            let conversions: i64 = sim.ledger.conversions.iter().sum();
            let converted = sim.positions.iter().filter(|p| p.converted_year.is_some()).count();
            prop_assert_eq!(conversions, converted as i64);
            for v in &sim.scalars {
                prop_assert!(!v.is_infinite());
            }
        }
    }
}

/// Totals that count each firm that was ever one during the horizon, where the yearly series
/// counts those that are one at the year's end (a firm the policy made a unicorn that later
/// failed is in the total, not in the last year).
const EVER: &[&str] = &["additional_unicorns", "additional_chain_leaders"];

/// Every yearly series with a per-path total of the same name: a flow's total is the sum of its
/// years, a stock's is its last year (fen become yuan at the end, so the two agree exactly). The
/// program's money series are the sums of the instruments', and its deal counts the sums of the
/// instruments' deals by family.
fn totals_match_their_series(sim: &PathSim) -> Result<(), TestCaseError> {
    use fundsim::metrics::{INSTRUMENT_YEARLY, Kind, PROGRAM_YEARLY, Unit};
    let model = sim.model();
    let n = model.n_years;
    let mut checked = 0;
    for col in &sim.catalogue.yearly {
        let base = col.name.split('.').next().expect("a name");
        let kind = if col.name.contains('.') {
            INSTRUMENT_YEARLY
                .iter()
                .find(|d| d.name == base)
                .map(|d| d.kind)
        } else {
            PROGRAM_YEARLY
                .iter()
                .find(|d| d.name == base)
                .map(|d| d.kind)
        };
        let (Some(kind), Some(total)) = (kind, sim.scalar_of(&col.name)) else {
            continue;
        };
        if EVER.contains(&base) {
            continue;
        }
        let series = sim.yearly_of(&col.name).expect("a yearly series");
        let whole = match kind {
            Kind::Flow => series.iter().sum::<i64>(),
            Kind::Stock => series[n - 1],
        };
        let want = match col.unit {
            Unit::Cny => whole as f64 / 100.0,
            _ => whole as f64,
        };
        prop_assert_eq!(total, want, "{} against its series", col.name);
        checked += 1;
    }
    prop_assert!(
        checked >= 10 + 4 * model.instruments.len(),
        "only {} totals checked",
        checked
    );
    for (program, per) in [
        ("fiscal_outlay", "fiscal_outlay"),
        ("deployed", "deployed"),
        ("money_back", "money_back"),
        ("holdings_value", "holdings_value"),
    ] {
        let whole = sim.yearly_of(program).expect("program series");
        for (y, &w) in whole.iter().enumerate() {
            let sum: i64 = (model.instruments.iter())
                .map(|i| {
                    sim.yearly_of(&format!("{per}.{}", i.id))
                        .expect("instrument series")[y]
                })
                .sum();
            prop_assert_eq!(w, sum, "{} in year {} against its instruments'", program, y);
        }
    }
    // Each count is the deals of its kinds, named here rather than through `Family` so that a
    // kind counted in the wrong total fails: grants awarded are grants, convertible grants and
    // subsidy items (not 招商 incentives or talents paid, which are not funded projects).
    let of_kinds = |pick: fn(&KindModel) -> bool| -> i64 {
        (model.instruments.iter())
            .filter(|i| pick(&i.kind))
            .map(|i| {
                (sim.yearly_of(&format!("deals.{}", i.id))
                    .expect("deals")
                    .iter())
                .sum::<i64>()
            })
            .sum()
    };
    let total = |m: &str| sim.yearly_of(m).expect("count").iter().sum::<i64>();
    prop_assert_eq!(
        total("grants_awarded"),
        of_kinds(|k| matches!(
            k,
            KindModel::Grant(_) | KindModel::Convertible(_) | KindModel::Subsidy(_)
        )),
        "grants awarded against the grants' deals"
    );
    prop_assert_eq!(
        total("equity_deals"),
        of_kinds(|k| matches!(
            k,
            KindModel::Prize(_) | KindModel::DirectEquity(_) | KindModel::CoInvestment(_)
        )),
        "equity deals against the equity instruments' deals"
    );
    prop_assert_eq!(
        total("loans_guaranteed"),
        of_kinds(|k| matches!(k, KindModel::Guarantee(_))),
        "loans guaranteed against the guarantees' deals"
    );
    Ok(())
}

/// At the horizon, an instrument's holdings are its open equity positions, each valued on its own
/// (`PathSim::holding_value`), plus a guarantee's risk pool still unspent; a sub-fund programme's
/// are nothing once all its funds have ended.
fn holdings_are_the_open_positions(sim: &PathSim) -> Result<(), TestCaseError> {
    let model = sim.model();
    let l = &sim.ledger;
    let last = model.n_years - 1;
    for (k, inst) in model.instruments.iter().enumerate() {
        let held = l.holdings[l.at(k, last)];
        if let KindModel::SubFund(_) = inst.kind {
            let alive = sim
                .funds
                .iter()
                .any(|f| f.instrument == k && f.end.is_none());
            prop_assert!(alive || held == 0, "ended funds still held");
            continue;
        }
        let open: i64 = (sim.positions.iter())
            .filter(|p| p.instrument == k)
            .filter_map(|p| sim.holding_value(p))
            .sum();
        prop_assert_eq!(held, open + l.risk_pool[k], "holdings of {}", inst.id);
    }
    Ok(())
}

/// The money mobilised, over the horizon: a guarantee programme's is the banks' share of each loan;
/// a sub-fund programme's is its private partners' calls plus its share of the private money in the
/// rounds its funds joined; the program's is the private money in every round the city joined
/// (rounds of equity instruments and of funds), the banks' money and the partners' calls. The
/// instruments' round shares are rounded down to the fen, one ticket at a time, so they fall short
/// of the program's round money by less than one fen per ticket.
fn mobilised_is_rounds_loans_and_calls(sim: &PathSim) -> Result<(), TestCaseError> {
    let model = sim.model();
    let l = &sim.ledger;
    let n = model.n_years;
    let program: i64 = l.mobilised_program.iter().sum();
    let (mut banks, mut calls, mut round_shares, mut tickets) = (0i64, 0i64, 0i64, 0i64);
    for (k, inst) in model.instruments.iter().enumerate() {
        let mobilised = Ledger::total(&l.mobilised, k, n);
        match &inst.kind {
            KindModel::Guarantee(g) => {
                let loans = Ledger::total(&l.deals, k, n);
                prop_assert_eq!(mobilised, loans * g.bank_share.apply(g.loan_size));
                banks += mobilised;
            }
            KindModel::SubFund(_) => {
                let mut private = 0;
                for f in sim.funds.iter().filter(|f| f.instrument == k) {
                    let t = f.waterfall.totals();
                    prop_assert_eq!(t.called, t.city_called + t.private_called);
                    private += t.private_called;
                    if let FundState::BottomUp(b) = &f.state {
                        // Every ticket the fund bought: those it holds and those closed (a
                        // closed holding leaves the list and is tallied).
                        tickets += b.holdings.len() as i64 + i64::from(b.tally.closed);
                    }
                }
                prop_assert!(
                    mobilised >= private,
                    "a fund's mobilised money lost its calls"
                );
                calls += private;
                round_shares += mobilised - private;
            }
            KindModel::DirectEquity(_) | KindModel::CoInvestment(_) => {
                tickets += sim.positions.iter().filter(|p| p.instrument == k).count() as i64;
                round_shares += mobilised;
            }
            _ => prop_assert_eq!(mobilised, 0, "{} mobilises nothing", inst.id),
        }
    }
    let rounds = program - banks - calls;
    prop_assert!(rounds >= 0, "the program's round money is negative");
    prop_assert!(
        round_shares <= rounds && rounds - round_shares <= tickets,
        "round money {} against the instruments' shares {} ({} tickets)",
        rounds,
        round_shares,
        tickets
    );
    Ok(())
}
