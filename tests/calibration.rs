//! The bundled baseline's firm model against published cohort studies
//! (`notebooks-data/reference/cohort_outcomes.csv`): every fact there is simulated for cohorts of
//! new firms in each of the seven industries, each cohort under its own market path (cohort studies
//! average over markets; one market path would swing the shares by ±0.1), averaged over cohorts and
//! industries, and must fall within the tolerance stated beside it in the CSV (the CSV's `note`
//! says why each tolerance is what it is). With 16 × 1,250 firms per industry the Monte Carlo error
//! of a share is below 0.01, far inside every tolerance.

use fundsim::calibration::{Cohort, cohort};
use fundsim::model::compile;
use fundsim::scenario::load_file;
use std::path::Path;

/// Cohorts per industry (each with its own market path) and firms per cohort.
const COHORTS: u64 = 16;
const FIRMS: usize = 1_250;

fn fact(c: &Cohort, name: &str) -> f64 {
    match name {
        "reach_stage_2_given_first" => c.reached[1],
        "reach_stage_3_given_first" => c.reached[2],
        "reach_stage_4_given_first" => c.reached[3],
        "reach_stage_5_given_first" => c.reached[4],
        "failed" => c.failed,
        "acquired" => c.acquired,
        "ipo" => c.ipo,
        "second_to_third_in_4y" => c.second_to_third_in_4y,
        "median_years_to_failure" => c.median_years_to_failure,
        "median_years_to_exit" => c.median_years_to_exit,
        other => panic!("the test does not know how to simulate the fact `{other}`"),
    }
}

#[test]
fn baseline_cohorts_match_the_reference_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, file) = load_file(&root.join("scenarios/nantong_baseline.toml")).expect("valid");
    let model = compile(&file);
    let text = std::fs::read_to_string(root.join("notebooks-data/reference/cohort_outcomes.csv"))
        .expect("reference data");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut failures = Vec::new();
    let mut checked = 0;
    for record in reader.records() {
        let r = record.expect("csv row");
        let (name, value, horizon, tolerance) = (
            &r[0],
            r[1].parse::<f64>().expect("value"),
            r[3].parse::<usize>().expect("horizon_years"),
            r[4].parse::<f64>().expect("tolerance"),
        );
        let runs = model.industries.len() as u64 * COHORTS;
        let simulated: f64 = (0..model.industries.len())
            .flat_map(|i| (0..COHORTS).map(move |c| (i, c)))
            .map(|(i, c)| fact(&cohort(&model, i, FIRMS, horizon, 100 * i as u64 + c), name))
            .sum::<f64>()
            / runs as f64;
        checked += 1;
        eprintln!("{name:<28} simulated {simulated:>8.4}  reference {value:>8.4} ± {tolerance}");
        if (simulated - value).abs() > tolerance {
            failures.push(format!(
                "{name}: simulated {simulated:.4}, reference {value} ± {tolerance}"
            ));
        }
    }
    assert!(checked >= 8, "the reference file lost its facts");
    assert!(
        failures.is_empty(),
        "outside tolerance:\n{}",
        failures.join("\n")
    );
}
