//! Common random numbers: scenarios run with the same seed share the market and, industry by
//! industry, the firms, whatever their instruments or their other industries. In the money-only
//! reading (`[channels] effects = false`) no instrument touches a firm, so whole industries stay
//! the same; with policy effects, every firm no instrument touched keeps its history, and a
//! supported firm's shadow is exactly the firm of the money-only run.

use fundsim::firms::Status;
use fundsim::model::compile;
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;
use std::collections::HashMap;

const TINY: &str = include_str!("data/tiny.toml");
const MONEY_ONLY: &str = "\n[channels]\neffects = false\n";

fn series(text: &str, name: &str, seed: u64, path: u64) -> Vec<i64> {
    let model = compile(&load_str("crn.toml", text).expect("valid"));
    let mut sim = PathSim::new(&model);
    sim.run(seed, path);
    sim.yearly_of(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
        .to_vec()
}

#[test]
fn an_industry_keeps_its_firms_when_others_and_instruments_change() {
    // The variant puts a second industry *before* `ic` (so `ic` moves to position 1) and drops the
    // grant instrument; `ic`'s firms must not notice.
    let start = TINY.find("[[industries]]").unwrap();
    let end = TINY.find("[[instruments.grant]]").unwrap();
    let ic_block = &TINY[start..end];
    let other = ic_block
        .replace("id = \"ic\"", "id = \"ai\"")
        .replace("arrivals_per_year = 10", "arrivals_per_year = 4");
    let grant_end = TINY.find("[[instruments.direct_equity]]").unwrap();
    let variant = format!(
        "{}{}{}{}{MONEY_ONLY}",
        &TINY[..start],
        other,
        ic_block,
        &TINY[grant_end..]
    );
    let tiny = format!("{TINY}{MONEY_ONLY}");
    let tiny = tiny.as_str();
    for path in 0..20 {
        for metric in ["active_firms.ic", "cluster_output.ic"] {
            assert_eq!(
                series(tiny, metric, 9, path),
                series(&variant, metric, 9, path),
                "{metric} differs on path {path}"
            );
        }
    }
    // The variant's own industry does differ from `ic` (the test compares real firms).
    assert_ne!(
        series(&variant, "active_firms.ai", 9, 0),
        series(&variant, "active_firms.ic", 9, 0)
    );
}

#[test]
fn instruments_do_not_disturb_firms_or_each_other() {
    // Adding a sub-fund (which also invests in firms outside the city) and a guarantee leaves the
    // local firms exactly as they were, and the grant programme picks exactly the same firms.
    let extra = r#"
[[instruments.sub_fund]]
id = "fof"
budget = "1亿"
fund_size = "5亿"
city_share = "20%"
ticket = "2000万"
local_multiple = 1.0
management_fee = "2%"
hurdle = "8%"
carry = "20%"

[[instruments.guarantee]]
id = "gu"
volume = "5000万"
loan_size = "500万"
term_years = 2
cover_share = "40%"
fee_rate = "0.5%"
base_default_rate = "3%"
loss_given_default = "50%"
"#;
    let variant = format!("{TINY}{extra}{MONEY_ONLY}");
    let tiny = format!("{TINY}{MONEY_ONLY}");
    let tiny = tiny.as_str();
    let grants = |text: &str, path: u64| {
        let model = compile(&load_str("crn.toml", text).expect("valid"));
        let mut sim = PathSim::new(&model);
        sim.run(9, path);
        let k = model
            .instruments
            .iter()
            .position(|i| i.id == "frontier")
            .unwrap();
        // Firm ids interleave local and outside firms; compare local firms by their rank among
        // local firms (their order of creation).
        let rank = |f: u32| sim.firms.local[..f as usize].iter().filter(|l| **l).count();
        let chosen: Vec<(i32, usize)> = (sim.positions.iter())
            .filter(|p| p.instrument == k)
            .map(|p| (p.entry_year, rank(p.firm)))
            .collect();
        let outside: usize = sim.firms.outside.iter().map(Vec::len).sum();
        (chosen, outside)
    };
    let mut outside_total = 0;
    for path in 0..20 {
        for metric in ["active_firms.ic", "cluster_output.ic", "financing", "exits"] {
            assert_eq!(
                series(tiny, metric, 9, path),
                series(&variant, metric, 9, path),
                "{metric} differs on path {path}"
            );
        }
        let (base, _) = grants(tiny, path);
        let (with_more, outside) = grants(&variant, path);
        assert_eq!(base, with_more, "grant recipients differ on path {path}");
        outside_total += outside;
    }
    // The sub-fund did invest outside the city, so the test compares something real.
    assert!(outside_total > 0);
}

#[test]
fn a_fund_rule_does_not_move_whether_funds_close() {
    // Whether a fund closes is drawn from the programme's event stream, not from the stream of its
    // investment choices, so a stricter 返投 rule cannot change which funds exist.
    let fund = |multiple: &str| {
        format!(
            "{TINY}\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = \"2亿\"\nfund_size = \"5亿\"\n\
             city_share = \"20%\"\nclose_probability = 0.5\nticket = \"2000万\"\n\
             local_preference = \"20%\"\nlocal_multiple = {multiple}\n"
        )
    };
    let (relaxed, strict) = (fund("1.0"), fund("3.0"));
    let mut differ = false;
    for path in 0..30 {
        assert_eq!(
            series(&relaxed, "funds_closed", 4, path),
            series(&strict, "funds_closed", 4, path),
            "path {path}"
        );
        differ |= series(&relaxed, "funds_local_invested", 4, path)
            != series(&strict, "funds_local_invested", 4, path);
    }
    assert!(differ, "the rule does change where the funds invest");
}

/// A local firm's state at the end of a path, by its key: stage, status, value, revenue,
/// retention, last round, whether it is still in the city.
type State = (u8, Status, u64, u64, u64, i32, bool);

fn local_firms(sim: &PathSim) -> HashMap<u64, (State, bool)> {
    let f = &sim.firms;
    (0..f.len())
        .filter(|&i| f.local[i] || f.status[i] == Status::Acquired)
        .map(|i| {
            let state = (
                f.stage[i],
                f.status[i],
                f.value[i].to_bits(),
                f.revenue[i].to_bits(),
                f.retention[i].to_bits(),
                f.last_round[i],
                f.local[i],
            );
            (f.key[i], (state, f.supported[i]))
        })
        .collect()
}

/// The scenario with a strong grant effect (or one that never acts) and a sub-fund and a
/// guarantee whose own effects are off, so that grants are the only channel.
fn with_grant_effect(additional: &str) -> String {
    let grant = TINY.find("[[instruments.direct_equity]]").unwrap();
    format!(
        "{}effect = {{ round_odds = 3.0, fail_odds = 0.3, exit_odds = 2.0, revenue_growth = 0.2, \
         years = 4, additional_share = {additional} }}\n\n{}\n[[instruments.guarantee]]\nid = \"gu\"\n\
         volume = \"5000万\"\nloan_size = \"500万\"\nterm_years = 2\ncover_share = \"40%\"\n\
         fee_rate = \"0.5%\"\nbase_default_rate = \"3%\"\nloss_given_default = \"50%\"\n\
         effect = {{ additional_share = 0 }}\n",
        &TINY[..grant],
        &TINY[grant..].replace(
            "sale_discount = \"10%\"",
            "sale_discount = \"10%\"\neffect = { additional_share = 0 }"
        ),
    )
}

#[test]
fn firms_no_instrument_touched_keep_their_histories() {
    // Grants change the fate of the firms they support; every other local firm (arrivals, the
    // existing base, exits, failures, revenue) must have exactly the same history, whatever the
    // supported firms did and whichever firms the other instruments then picked.
    let strong = compile(&load_str("strong.toml", &with_grant_effect("1.0")).expect("valid"));
    let none = compile(&load_str("none.toml", &with_grant_effect("0.0")).expect("valid"));
    let (mut a, mut b) = (PathSim::new(&strong), PathSim::new(&none));
    let (mut compared, mut changed) = (0, 0);
    for path in 0..120 {
        a.run(21, path);
        b.run(21, path);
        let (fa, fb) = (local_firms(&a), local_firms(&b));
        for (key, (state, touched)) in &fa {
            let Some((other, touched_b)) = fb.get(key) else {
                continue;
            };
            if *touched || *touched_b {
                changed += (state != other) as usize;
            } else {
                assert_eq!(
                    state, other,
                    "an untouched firm's history moved on path {path}"
                );
                compared += 1;
            }
        }
        // Every local firm of one run is a local firm of the other (no firm appears or vanishes
        // because others were supported).
        assert_eq!(fa.len(), fb.len(), "path {path}");
    }
    assert!(compared > 1000, "{compared} untouched firms compared");
    assert!(
        changed > 20,
        "the effect did change supported firms ({changed})"
    );
}

#[test]
fn a_shadow_is_the_firm_without_the_policy() {
    // Grants only in the first year, so both runs support the same firms; in the money-only run
    // those firms live their unsupported lives, which is what each shadow of the effect run must
    // be, to the bit, at the horizon.
    let only_first_year = |extra: &str| {
        format!("{TINY}{extra}").replace(
            "budget = { per_year = \"3000万\", from = 2024, to = 2028 }",
            "budget = { per_year = \"3000万\", from = 2024, to = 2024 }",
        )
    };
    let effect = only_first_year("");
    let effect = effect.replace(
        "stages = [\"seed\"]",
        "stages = [\"seed\"]\neffect = { round_odds = 2.5, fail_odds = 0.5, exit_odds = 1.5, revenue_growth = 0.1, years = 5, additional_share = 1.0 }",
    );
    let effect = effect.replace(
        "sale_discount = \"10%\"",
        "sale_discount = \"10%\"\neffect = { additional_share = 0 }",
    );
    let with = compile(&load_str("with.toml", &effect).expect("valid"));
    let without = compile(&load_str("without.toml", &only_first_year(MONEY_ONLY)).expect("valid"));
    let (mut a, mut b) = (PathSim::new(&with), PathSim::new(&without));
    let mut shadows = 0;
    let mut differ = 0;
    for path in 0..30 {
        a.run(5, path);
        b.run(5, path);
        let index: HashMap<u64, usize> = (0..b.firms.len()).map(|i| (b.firms.key[i], i)).collect();
        for sh in &a.firms.shadows {
            let f = sh.firm as usize;
            let g = index[&a.firms.key[f]];
            let fb = &b.firms;
            // A shadow that was acquired and left the city is absent, like its money-only twin.
            assert_eq!(sh.present, fb.local[g], "shadow of firm {f} on path {path}");
            assert_eq!(
                (
                    sh.stage,
                    sh.status,
                    sh.value.to_bits(),
                    sh.revenue.to_bits()
                ),
                (
                    fb.stage[g],
                    fb.status[g],
                    fb.value[g].to_bits(),
                    fb.revenue[g].to_bits()
                ),
                "shadow of firm {f} on path {path}"
            );
            shadows += 1;
            differ += (a.firms.value[f] != fb.value[g]) as usize;
        }
    }
    assert!(
        shadows > 100 && differ > 20,
        "{shadows} shadows, {differ} firms changed"
    );
}
