//! The bundled baseline's firm model against published cohort studies
//! (`notebooks-data/reference/cohort_outcomes.csv`): every fact there is simulated for cohorts of
//! new firms in each of the seven industries, each cohort under its own market path (cohort studies
//! average over markets; one market path would swing the shares by ±0.1).
//!
//! Two checks per fact, both from the CSV:
//! - the average over the seven industries must be within `tolerance` of `value`;
//! - **each** industry must fall within `[industry_low, industry_high]`: industries differ (a drug
//!   developer is not a software firm), so the band is wider than the pooled one, but it is checked
//!   industry by industry, so one industry with no exits cannot hide behind six good ones.
//!
//! Every band must keep zero out (a model with no IPOs, no failures or no rounds fails), and the test
//! checks that it bites: wrong models (no exits, no IPOs, failure twice as likely, rounds half as
//! likely, one industry with no exits) must each fail on the facts they break.
//!
//! The seeds are fixed, so the test is deterministic. Its Monte Carlo error: each industry's value
//! is the mean of 16 cohorts of 1,250 firms, each cohort under its own market path; the binomial
//! part is at most √(0.25/20000) = 0.0035, but the market moves a cohort's shares by up to ±0.1,
//! so an industry's value of a common outcome carries about 0.1/√16 ≈ 0.025 (much less for rare
//! ones). The pooled tolerances are several times that; a few industry bands are closer to their
//! industry's value (reach_stage_4's lowest industry sits 0.011 above 0.035), so a change of
//! random numbers can move a value across a band without a change of model: widen a band only
//! with a reason from the reference data.

use fundsim::calibration::{Cohort, cohort};
use fundsim::model::{Model, compile};
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

/// One row of the reference file.
struct Fact {
    name: String,
    value: f64,
    horizon: usize,
    tolerance: f64,
    industry_band: (f64, f64),
}

fn reference() -> Vec<Fact> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("notebooks-data/reference/cohort_outcomes.csv"))
        .expect("reference data");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("cohort_outcomes.csv lost its `{name}` column"))
    };
    let (low, high) = (col("industry_low"), col("industry_high"));
    let facts: Vec<Fact> = reader
        .records()
        .map(|record| {
            let r = record.expect("csv row");
            let num = |i: usize| r[i].parse::<f64>().expect("a number");
            Fact {
                name: r[0].to_string(),
                value: num(1),
                horizon: r[3].parse().expect("horizon_years"),
                tolerance: num(4),
                industry_band: (num(low), num(high)),
            }
        })
        .collect();
    assert!(facts.len() >= 10, "the reference file lost its facts");
    facts
}

/// Each fact per industry (averaged over its cohorts), then every band checked; what failed.
fn failures(model: &Model, facts: &[Fact]) -> Vec<String> {
    let mut failed = Vec::new();
    for f in facts {
        let per: Vec<f64> = (0..model.industries.len())
            .map(|i| {
                (0..COHORTS)
                    .map(|c| {
                        let seed = 100 * i as u64 + c;
                        fact(&cohort(model, i, FIRMS, f.horizon, seed), &f.name)
                    })
                    .sum::<f64>()
                    / COHORTS as f64
            })
            .collect();
        let pooled = per.iter().sum::<f64>() / per.len() as f64;
        eprintln!(
            "{:<26} pooled {pooled:>7.4} (reference {} ± {})  by industry {:.4?}",
            f.name, f.value, f.tolerance, per
        );
        if (pooled - f.value).abs() > f.tolerance {
            failed.push(format!(
                "{}: pooled {pooled:.4}, reference {} ± {}",
                f.name, f.value, f.tolerance
            ));
        }
        let (lo, hi) = f.industry_band;
        for (i, v) in per.iter().enumerate() {
            if !(lo..=hi).contains(v) {
                let id = &model.industries[i].id;
                failed.push(format!(
                    "{}: industry {id} {v:.4}, outside [{lo}, {hi}]",
                    f.name
                ));
            }
        }
    }
    failed
}

fn baseline() -> Model {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, file) = load_file(&root.join("scenarios/nantong_baseline.toml")).expect("valid");
    compile(&file)
}

#[test]
fn every_band_keeps_zero_out() {
    for f in reference() {
        assert!(
            f.tolerance > 0.0 && f.tolerance < f.value,
            "{}: the pooled band {} ± {} admits zero",
            f.name,
            f.value,
            f.tolerance
        );
        let (lo, hi) = f.industry_band;
        assert!(
            lo > 0.0 && lo < f.value && f.value < hi,
            "{}: the industry band [{lo}, {hi}] must exclude zero and contain {}",
            f.name,
            f.value
        );
    }
}

#[test]
fn baseline_cohorts_match_the_reference_data_in_every_industry() {
    let failed = failures(&baseline(), &reference());
    assert!(
        failed.is_empty(),
        "outside tolerance:\n{}",
        failed.join("\n")
    );
}

/// `odds` of a probability `p` (the model stores odds against, `(1 − p)/p`).
fn odds(p: f64) -> f64 {
    (1.0 - p) / p
}

fn probability(odds: f64) -> f64 {
    1.0 / (1.0 + odds)
}

/// A wrong model: what is wrong, the change, and the facts it must fail.
type Wrong = (
    &'static str,
    Box<dyn Fn(&mut Model)>,
    &'static [&'static str],
);

#[test]
fn wrong_models_fail_the_facts_they_break() {
    let facts = reference();
    let wrong: Vec<Wrong> = vec![
        (
            "no exits",
            Box::new(|m| {
                (m.industries.iter_mut().flat_map(|i| i.stages.iter_mut()))
                    .for_each(|s| s.odds_exit = f64::INFINITY)
            }),
            &["acquired", "ipo"],
        ),
        (
            "no IPOs",
            Box::new(|m| {
                (m.industries.iter_mut().flat_map(|i| i.stages.iter_mut()))
                    .for_each(|s| s.ipo_share = 0.0)
            }),
            &["ipo"],
        ),
        (
            "failure twice as likely",
            Box::new(|m| {
                (m.industries.iter_mut().flat_map(|i| i.stages.iter_mut()))
                    .for_each(|s| s.odds_fail = odds(2.0 * probability(s.odds_fail)))
            }),
            &["failed"],
        ),
        (
            "rounds half as likely",
            Box::new(|m| {
                (m.industries.iter_mut().flat_map(|i| i.stages.iter_mut()))
                    .for_each(|s| s.odds_round = odds(0.5 * probability(s.odds_round)))
            }),
            &["reach_stage_2_given_first", "reach_stage_3_given_first"],
        ),
        (
            // The pooled average alone would pass: six industries carry it.
            "one industry never exits",
            Box::new(|m| {
                m.industries[2]
                    .stages
                    .iter_mut()
                    .for_each(|s| s.odds_exit = f64::INFINITY)
            }),
            &["acquired", "ipo"],
        ),
    ];
    let base = baseline();
    for (what, change, broken) in wrong {
        let mut model = base.clone();
        change(&mut model);
        let failed = failures(&model, &facts);
        for name in broken {
            assert!(
                failed.iter().any(|f| f.starts_with(&format!("{name}:"))),
                "a model with {what} passes `{name}`; failures were:\n{}",
                failed.join("\n")
            );
        }
    }
}
