//! Common random numbers: scenarios run with the same seed share the market and, industry by
//! industry, the firms, whatever their instruments or their other industries.

use fundsim::model::compile;
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;

const TINY: &str = include_str!("data/tiny.toml");

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
        "{}{}{}{}",
        &TINY[..start],
        other,
        ic_block,
        &TINY[grant_end..]
    );
    for path in 0..20 {
        for metric in ["active_firms.ic", "cluster_output.ic"] {
            assert_eq!(
                series(TINY, metric, 9, path),
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
    let variant = format!("{TINY}{extra}");
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
        let chosen: Vec<(usize, usize)> = (sim.positions.iter())
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
                series(TINY, metric, 9, path),
                series(&variant, metric, 9, path),
                "{metric} differs on path {path}"
            );
        }
        let (base, _) = grants(TINY, path);
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
