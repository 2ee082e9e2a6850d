//! Returns of the bundled baseline against published venture benchmarks
//! (`notebooks-data/reference/return_benchmarks.csv`, rows with `topic = calibration`): how the
//! sub-funds' closed deals are spread (share below cost, share at 10× or more) and the funds' DPI
//! and TVPI by age. Each simulated value is printed beside its reference and must fall in the
//! band the file states.

use fundsim::calibration::fund_outcomes;
use fundsim::model::compile;
use fundsim::scenario::load_str;
use std::path::Path;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[test]
fn baseline_returns_match_venture_benchmarks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("scenarios/nantong_baseline.toml")).expect("baseline");
    let model = compile(&load_str("nantong_baseline.toml", &text).expect("valid"));
    let o = fund_outcomes(&model, 300, 5);
    let d = &o.deals;
    let by_age = |age: usize, pick: fn(&(usize, f64, f64, bool)) -> f64| {
        median(o.funds.iter().filter(|f| f.0 == age).map(pick).collect())
    };
    let ended: Vec<f64> = o.funds.iter().filter(|f| f.3).map(|f| f.1).collect();
    let simulated = [
        (
            "cal_deals_below_cost",
            d.below_cost as f64 / d.closed as f64,
        ),
        ("cal_deals_ten_x", d.ten_x as f64 / d.closed as f64),
        ("cal_fund_dpi_final_median", median(ended)),
        ("cal_fund_dpi_age8_median", by_age(8, |f| f.1)),
        ("cal_fund_tvpi_age8_median", by_age(8, |f| f.2)),
    ];
    assert!(
        d.closed > 50_000 && o.funds.len() > 3000,
        "{} deals, {} funds",
        d.closed,
        o.funds.len()
    );
    let path = root.join("notebooks-data/reference/return_benchmarks.csv");
    let mut reader = csv::Reader::from_path(&path).expect("return_benchmarks.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    println!(
        "{:<28} {:>10} {:>10} {:>8} {:>8}",
        "fact", "simulated", "reference", "low", "high"
    );
    let mut outside = Vec::new();
    for (fact, v) in simulated {
        let r = rows.iter().find(|r| &r[col("fact")] == fact).expect(fact);
        let n = |c: &str| r[col(c)].parse::<f64>().expect("number");
        let (value, low, high) = (n("value"), n("low"), n("high"));
        println!("{fact:<28} {v:>10.4} {value:>10.4} {low:>8} {high:>8}");
        if !(low..=high).contains(&v) {
            outside.push(format!("{fact} = {v:.4} outside [{low}, {high}]"));
        }
    }
    assert!(outside.is_empty(), "{outside:?}");
}
