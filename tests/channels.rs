//! The policy channels of the bundled baseline against the evaluation evidence
//! (`notebooks-data/reference/policy_effects.csv`): the defaults in `src/effects.rs` are the
//! file's, and what the channels do to the baseline's supported firms and arrivals falls inside the
//! bands the file states (rows with `channel = calibration`), each printed beside its reference.

use fundsim::calibration::support_uplift;
use fundsim::effects::defaults;
use fundsim::model::compile;
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;
use std::path::Path;

/// A CSV row (the file's columns by name).
fn rows() -> Vec<std::collections::HashMap<String, String>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/reference/policy_effects.csv");
    let mut reader = csv::Reader::from_path(&path).expect("policy_effects.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn engine_defaults_are_the_reference_file_s() {
    // Every default row of an instrument kind's effect sets that parameter in src/effects.rs;
    // parameters without a row are neutral.
    let mut checked = 0;
    for kind in [
        "grant",
        "convertible_grant",
        "prize_equity",
        "direct_equity",
        "co_investment",
        "sub_fund",
        "guarantee",
        "subsidy",
    ] {
        let e = defaults(kind).expect("a kind with effects");
        let mut expected = [
            ("round_odds", 1.0),
            ("exit_odds", 1.0),
            ("fail_odds", 1.0),
            ("revenue_growth", 0.0),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .to_vec();
        let mut years = None;
        let mut share = None;
        for r in rows() {
            if r["channel"] == "evidence" || !r["applies_to"].split(';').any(|a| a == kind) {
                continue;
            }
            let v: f64 = r["value"].parse().expect("a number");
            match r["parameter"].as_str() {
                "years" => years = Some(v as u32),
                "additional_share" => share = Some(v),
                p => {
                    if let Some(slot) = expected.iter_mut().find(|(k, _)| k == p) {
                        slot.1 = v;
                    }
                }
            }
        }
        let got = [e.boost.round, e.boost.exit, e.boost.fail, e.boost.growth];
        for ((name, want), got) in expected.iter().zip(got) {
            assert_eq!(got, *want, "{kind} {name}");
            checked += 1;
        }
        assert_eq!(Some(e.years), years, "{kind} years");
        assert_eq!(Some(e.additional), share, "{kind} additional_share");
    }
    assert_eq!(checked, 32);
    let value = |fact: &str| -> f64 {
        rows().into_iter().find(|r| r["fact"] == fact).expect(fact)["value"]
            .parse()
            .expect("number")
    };
    assert_eq!(
        fundsim::effects::TALENT_ELASTICITY,
        value("talent_elasticity")
    );
    assert_eq!(
        fundsim::effects::TALENT_PHASE_IN_YEARS as f64,
        value("talent_phase_in_years")
    );
    assert_eq!(fundsim::effects::RELOCATION_RATE, value("relocation_rate"));
    assert_eq!(fundsim::effects::BRANCH_SHARE, value("branch_share"));
    let leakage = fundsim::scenario::Channels::default().leakage.value();
    assert_eq!(leakage, value("leakage_probability"));
}

#[test]
fn baseline_channels_match_the_evidence() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("scenarios/nantong_baseline.toml")).expect("baseline");
    let model = compile(&load_str("nantong_baseline.toml", &text).expect("valid"));
    let band = |fact: &str| -> (f64, f64, f64) {
        let r = rows().into_iter().find(|r| r["fact"] == fact).expect(fact);
        let n = |k: &str| r[k].parse::<f64>().expect("number");
        (n("value"), n("low"), n("high"))
    };
    let mut simulated = Vec::new();

    // Grant-kind instruments (frontier grants, 拨-投-股): their 2024 recipients over 4 more years.
    let kinds = ["grant", "convertible_grant", "prize_equity"];
    let three = support_uplift(&model, &kinds, 3, 600, 11);
    let four = support_uplift(&model, &kinds, 4, 600, 11);
    assert!(
        three.firms > 5000,
        "{} supported firms followed",
        three.firms
    );
    simulated.push((
        "cal_grant_round_within_3y_ratio",
        three.round.0 / three.round.1,
    ));
    simulated.push((
        "cal_grant_alive_after_4y_ratio",
        four.alive.0 / four.alive.1,
    ));

    // Large arrivals the incentive programme decided, 2024–2030.
    let years = model.truncated(7);
    let mut sim = PathSim::new(&years);
    let (mut credited, mut all) = (0.0, 0.0);
    for path in 0..400 {
        sim.run(13, path);
        all += sim.scalar_of("large_arrivals").expect("metric");
        credited += sim
            .firms
            .shadows
            .iter()
            .filter(|s| {
                !s.present && years.instruments[s.credit as usize].kind.code() == "attraction"
            })
            .count() as f64;
    }
    simulated.push(("cal_attraction_credited_share", credited / all));

    println!(
        "{:<36} {:>10} {:>10} {:>10} {:>10}",
        "fact", "simulated", "reference", "low", "high"
    );
    let mut outside = Vec::new();
    for (fact, value) in &simulated {
        let (reference, low, high) = band(fact);
        println!("{fact:<36} {value:>10.4} {reference:>10.4} {low:>10.4} {high:>10.4}");
        if !(low..=high).contains(value) {
            outside.push(format!("{fact} = {value:.4} outside [{low}, {high}]"));
        }
    }
    assert!(outside.is_empty(), "{outside:?}");
}
