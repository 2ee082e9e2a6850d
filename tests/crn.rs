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
