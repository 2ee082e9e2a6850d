//! `[uncertain]` inputs drawn per path, on a case with a closed form: one year of new projects,
//! Poisson with mean λ (`industries.ic.arrivals_per_year`), and the target "at least 10 projects
//! landed in 2024". With λ drawn per path, P(met) is the mixture of the Poisson tails over λ's
//! distribution.

use assert_cmd::Command;
use polars::prelude::SerReader;
use std::fs;
use std::path::Path;

mod common;
use common::{POISSON as SCENARIO, tail};

/// Writes `text` to `dir/name.toml`.
fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.toml"));
    fs::write(&file, text).expect("write");
    file
}

fn fundsim() -> Command {
    Command::cargo_bin("fundsim").expect("binary")
}

/// Runs `file` and returns the output directory.
fn run(file: &Path, out: &Path, extra: &[&str]) {
    fundsim()
        .arg("run")
        .arg(file)
        .args(["--paths", "4000", "--seed", "11"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// `(value, mcse)` of the row whose first columns match `key` in a CSV with a BOM.
fn read(csv_path: &Path, first: &str, value: &str, se: &str) -> (f64, f64) {
    let text = fs::read_to_string(csv_path).expect("csv");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("h")
        .iter()
        .map(String::from)
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    for r in reader.records() {
        let r = r.expect("row");
        if r.iter().any(|c| c == first) {
            return (
                r[col(value)].parse().expect("value"),
                r[col(se)].parse().expect("se"),
            );
        }
    }
    panic!("no row {first} in {}", csv_path.display());
}

#[test]
fn a_discrete_input_gives_the_mixture_of_the_tails() {
    // λ = 8 with weight 1, 14 with weight 3: P(met) = ¼·P(Poisson(8) ≥ 10) + ¾·P(Poisson(14) ≥ 10)
    // = 0.25·0.28338 + 0.75·0.89063 = 0.73882; the drawn λ has mean (8 + 3·14)/4 = 12.5.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{SCENARIO}\n[uncertain]\n\"industries.ic.arrivals_per_year\" = {{ dist = \"discrete\", values = [8, 14], weights = [1, 3] }}\n"
    );
    let file = write(dir.path(), "mix", &text);
    let out = dir.path().join("out");
    run(&file, &out, &[]);
    let exact = 0.25 * tail(8.0, 10) + 0.75 * tail(14.0, 10);
    let (p, se) = read(&out.join("targets.csv"), "projects", "probability", "mcse");
    assert!((p - exact).abs() < 4.0 * se, "{p} ± {se} vs {exact}");
    let (m, se) = read(
        &out.join("summary.csv"),
        "input.industries.ic.arrivals_per_year",
        "mean",
        "mcse",
    );
    assert!((m - 12.5).abs() < 4.0 * se, "{m} ± {se}");
}

#[test]
fn a_uniform_input_gives_the_average_tail_over_its_range() {
    // λ uniform on [5, 15]: P(met) = (1/10)·∫ P(Poisson(λ) ≥ 10) dλ over [5, 15], by Simpson's rule
    // on 2000 intervals (the integrand is smooth; the rule's error is far below the MCSE).
    let (a, b, n) = (5.0, 15.0, 2000);
    let h = (b - a) / n as f64;
    let mut s = tail(a, 10) + tail(b, 10);
    for i in 1..n {
        s += if i % 2 == 1 { 4.0 } else { 2.0 } * tail(a + i as f64 * h, 10);
    }
    let exact = s * h / 3.0 / (b - a);
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{SCENARIO}\n[uncertain]\n\"industries.ic.arrivals_per_year\" = {{ dist = \"uniform\", low = 5, high = 15 }}\n"
    );
    let file = write(dir.path(), "uniform", &text);
    let out = dir.path().join("out");
    run(&file, &out, &[]);
    let (p, se) = read(&out.join("targets.csv"), "projects", "probability", "mcse");
    assert!((p - exact).abs() < 4.0 * se, "{p} ± {se} vs {exact}");
    // The draws are in paths.parquet beside every metric.
    let parquet = fs::File::open(out.join("paths.parquet")).expect("parquet");
    let df = polars::prelude::ParquetReader::new(parquet)
        .finish()
        .expect("read");
    let lambda = df
        .column("input.industries.ic.arrivals_per_year")
        .expect("input column")
        .f64()
        .expect("f64")
        .into_no_null_iter()
        .collect::<Vec<_>>();
    assert_eq!(lambda.len(), 4000);
    assert!(lambda.iter().all(|l| (5.0..=15.0).contains(l)));
}

#[test]
fn uncertain_runs_are_the_same_bytes_for_any_thread_count_and_share_the_other_draws() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{SCENARIO}\n[uncertain]\n\"industries.ic.arrivals_per_year\" = {{ dist = \"pert\", low = 4, mode = 6, high = 12 }}\n\"industries.ic.stages.seed.p_round\" = {{ dist = \"uniform\", low = 0.05, high = 0.2 }}\n"
    );
    // `stages` is an array without ids: only whole replacement is allowed, so that input is refused;
    // with it removed the file runs.
    let bad = write(dir.path(), "bad", &text);
    let out = fundsim()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let msg = String::from_utf8(out).expect("utf-8");
    assert!(msg.contains("stages") && msg.contains("uncertain"), "{msg}");
    let text = text.replace(
        "\"industries.ic.stages.seed.p_round\" = { dist = \"uniform\", low = 0.05, high = 0.2 }\n",
        "\"market.rho\" = { dist = \"triangular\", low = 0.2, mode = 0.5, high = 0.8 }\n",
    );
    let file = write(dir.path(), "good", &text);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    // 700 paths: three chunks, so two threads really split the work.
    for (out, threads) in [(&one, "1"), (&two, "2")] {
        fundsim()
            .arg("run")
            .arg(&file)
            .args(["--paths", "700", "--seed", "5", "--threads", threads])
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    }
    for f in ["summary.csv", "targets.csv", "yearly.csv", "paths.parquet"] {
        let (a, b) = (
            fs::read(one.join(f)).expect("a"),
            fs::read(two.join(f)).expect("b"),
        );
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn an_input_drawn_at_the_files_value_changes_nothing_else() {
    // A discrete input with the one value the file writes (λ = 5): every other draw of every path is
    // as without [uncertain], so targets.csv is the same bytes and summary.csv only gains the input.
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = write(dir.path(), "plain", SCENARIO);
    let text = format!(
        "{SCENARIO}\n[uncertain]\n\"industries.ic.arrivals_per_year\" = {{ dist = \"discrete\", values = [5] }}\n"
    );
    let drawn = write(dir.path(), "drawn", &text);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&plain, &a, &[]);
    run(&drawn, &b, &[]);
    assert_eq!(
        fs::read(a.join("targets.csv")).expect("a"),
        fs::read(b.join("targets.csv")).expect("b")
    );
    let (sa, sb) = (
        fs::read_to_string(a.join("summary.csv")).expect("a"),
        fs::read_to_string(b.join("summary.csv")).expect("b"),
    );
    let kept: Vec<&str> = sb
        .lines()
        .filter(|l| !l.contains("input.industries.ic.arrivals_per_year"))
        .collect();
    assert_eq!(sa.lines().collect::<Vec<_>>(), kept);
    // --set on an uncertain key fixes it: the same as the plain file with that --set.
    let (c, d) = (dir.path().join("c"), dir.path().join("d"));
    let uniform = write(
        dir.path(),
        "uniform",
        &format!(
            "{SCENARIO}\n[uncertain]\n\"industries.ic.arrivals_per_year\" = {{ dist = \"uniform\", low = 5, high = 15 }}\n"
        ),
    );
    run(
        &uniform,
        &c,
        &["--set", "industries.ic.arrivals_per_year=9"],
    );
    run(&plain, &d, &["--set", "industries.ic.arrivals_per_year=9"]);
    assert_eq!(
        fs::read(c.join("summary.csv")).expect("c"),
        fs::read(d.join("summary.csv")).expect("d")
    );
}

#[test]
fn sensitivity_ranks_the_uncertain_inputs_with_their_rank_correlations() {
    // λ uniform on [6, 14] and the talents per project on [0, 5]: the tornado takes both between
    // their ends (swing of P(met) from P(Poisson(6) ≥ 10) = 0.0839 to P(Poisson(14) ≥ 10) = 0.8906,
    // within 4 MCSE; talents move nothing: exactly 0), and the run drawing both gives λ a clearly
    // positive rank correlation with the target met and talents none beyond chance.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{SCENARIO}\n[uncertain]\n\"industries.ic.arrivals_per_year\" = {{ dist = \"uniform\", low = 6, high = 14 }}\n\"industries.ic.talent_per_arrival\" = {{ dist = \"uniform\", low = 0, high = 5 }}\n"
    );
    let file = write(dir.path(), "two", &text);
    let out = dir.path().join("out");
    fundsim()
        .arg("sensitivity")
        .arg(&file)
        .args(["--metric", "p.projects", "--paths", "3000", "--seed", "4"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let csv = fs::read_to_string(out.join("tornado.csv")).expect("tornado.csv");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "industries.ic.arrivals_per_year");
    let num = |r: &csv::StringRecord, i: usize| -> f64 { r[i].parse().expect("number") };
    let exact = tail(14.0, 10) - tail(6.0, 10);
    assert!((num(&rows[0], 9) - exact).abs() < 4.0 * num(&rows[0], 10));
    assert_eq!(num(&rows[1], 9), 0.0);
    // Rank correlation and its 95% interval (columns 11, 12, 13).
    assert!(num(&rows[0], 12) > 0.3, "{csv}");
    assert!(num(&rows[1], 12) < 0.0 && num(&rows[1], 13) > 0.0, "{csv}");
}

#[test]
fn a_tornado_sets_an_uncertain_small_amount_as_its_draws_do() {
    // A per-talent allowance uncertain between 5000元 and 8000元: the draws set it as a float,
    // and so must the tornado's ends (a bare 5000 for an amount is refused as a slip for 5000万).
    // With elasticity 0 the talents are the same at both ends (common random numbers): talents
    // ~ Poisson(2 × arrivals), arrivals ~ Poisson(5), so E[talents] = 10 in the one year, and the
    // paired swing of the outlay is exactly 3000元 × the talents path by path: its mean 30,000
    // within 4 MCSE of the run's MCSE (3000 × sd(talents) / √n).
    let dir = tempfile::tempdir().expect("tempdir");
    let text = SCENARIO.replace(
        "arrivals_per_year = 5\n",
        "arrivals_per_year = 5\ntalent_per_arrival = 2\n",
    ) + "\n[[instruments.talent_subsidy]]\nid = \"t\"\nbudget = \"1亿\"\namount = \"8000元\"\n\
         reference_pay = \"150万\"\nelasticity = 0\n\n[uncertain]\n\
         \"instruments.talent_subsidy.t.amount\" = { dist = \"uniform\", low = \"5000元\", high = \"8000元\" }\n";
    let file = write(dir.path(), "small", &text);
    let out = dir.path().join("out");
    let assert = fundsim()
        .arg("sensitivity")
        .arg(&file)
        .args([
            "--metric",
            "fiscal_outlay.t",
            "--paths",
            "2000",
            "--seed",
            "4",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("(5000 → 8000)"), "{stdout}");
    let (swing, mcse) = read(
        &out.join("tornado.csv"),
        "instruments.talent_subsidy.t.amount",
        "swing",
        "swing_mcse",
    );
    assert!(mcse > 0.0, "{mcse}");
    assert!((swing - 30_000.0).abs() < 4.0 * mcse, "{swing} ± {mcse}");
}

#[test]
fn bad_uncertain_inputs_are_located_and_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        // A key that names nothing in the file.
        (
            "\"industries.nope.arrivals_per_year\" = { dist = \"uniform\", low = 1, high = 2 }",
            vec!["uncertain", "no element with id \"nope\"", "ic"],
        ),
        // Invalid at an end of its range.
        (
            "\"channels.leakage\" = { dist = \"uniform\", low = 0.1, high = 1.5 }",
            vec!["uncertain", "channels.leakage = 1.5", "not a probability"],
        ),
        // A structure, not a value.
        (
            "\"time.horizon_years\" = { dist = \"uniform\", low = 1, high = 3 }",
            vec!["uncertain", "cannot be uncertain"],
        ),
        // A PERT without its mode; a range upside down.
        (
            "\"market.rho\" = { dist = \"pert\", low = 0.1, high = 0.9 }",
            vec!["uncertain", "needs mode"],
        ),
        (
            "\"market.rho\" = { dist = \"uniform\", low = 0.9, high = 0.1 }",
            vec!["uncertain", "not above low"],
        ),
        // A target's deadline defines what is counted.
        (
            "\"targets.projects.deadline\" = { dist = \"discrete\", values = [2024] }",
            vec!["uncertain", "cannot be uncertain"],
        ),
        // Two inputs, the second at fault: the problem is placed at its entry, not the first's.
        (
            "\"market.rho\" = { dist = \"uniform\", low = 0.1, high = 0.9 }\n\"market.sensitivity.round\" = { dist = \"uniform\", low = 0, high = 1 }\n\"channels.leakage\" = { dist = \"uniform\", low = 0.1, high = 1.5 }",
            vec!["uncertain", "channels.leakage = 1.5", "not a probability"],
        ),
    ];
    for (i, (entry, expect)) in cases.iter().enumerate() {
        let text = format!("{SCENARIO}\n[uncertain]\n{entry}\n");
        let file = write(dir.path(), &format!("bad{i}"), &text);
        let fresh = dir.path().join(format!("out{i}"));
        let out = fundsim()
            .arg("run")
            .arg(&file)
            .args(["--paths", "10", "--out"])
            .arg(&fresh)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let msg = String::from_utf8(out).expect("utf-8");
        // Located at the faulty entry's line (the last one written).
        let last = entry.lines().last().expect("an entry");
        let line = text.lines().position(|l| l == last).expect("entry") + 1;
        assert!(msg.contains(&format!("bad{i}.toml:{line}:")), "{msg}");
        for e in expect {
            assert!(msg.contains(e), "lacks {e:?}: {msg}");
        }
        assert!(!fresh.exists());
    }
}

#[test]
fn a_catch_up_is_uncertain_only_over_values_the_waterfall_takes() {
    // A catch-up share is 0 (none) or above the carry (the baseline's fof: 20%): not one interval,
    // so the ends of a range from 0 are valid while the draws between 0 and 20% would not run.
    // Such a range is refused, located at the entry; discrete values are each checked, and a
    // range above the carry is checked at its ends like any other input.
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nantong_baseline.toml");
    let key = "\"instruments.sub_fund.fof.catch_up\"";
    let file = |name: &str, dist: &str| {
        let text = format!(
            "extends = {:?}\n[scenario]\nname = \"{name}\"\n[uncertain]\n{key} = {dist}\n",
            baseline.to_str().expect("utf-8")
        );
        write(dir.path(), name, &text)
    };
    for (name, dist, says) in [
        (
            "uniform",
            "{ dist = \"uniform\", low = 0, high = 1 }",
            "a range from 0 to 1 is refused: a catch-up share is 0 (no catch-up) or above the fund's carry",
        ),
        (
            "pert",
            "{ dist = \"pert\", low = 0, mode = 0.9, high = 1 }",
            "give low above the carry, or discrete values",
        ),
        (
            "discrete",
            "{ dist = \"discrete\", values = [0, 0.1, 1] }",
            "instruments.sub_fund.fof.catch_up = 0.1, the scenario is invalid",
        ),
    ] {
        let path = file(name, dist);
        let out = dir.path().join(format!("out_{name}"));
        for command in ["validate", "run"] {
            let mut cmd = fundsim();
            cmd.arg(command).arg(&path);
            if command == "run" {
                cmd.args(["--paths", "10", "--out"]).arg(&out);
            }
            let stderr = cmd.assert().code(2).get_output().stderr.clone();
            let msg = String::from_utf8(stderr).expect("utf-8");
            assert!(msg.contains(&format!("{name}.toml:5:")), "{msg}");
            assert!(msg.contains(says), "lacks {says:?}: {msg}");
        }
        assert!(!out.exists());
    }
    // Values the waterfall takes run: none or a full catch-up; any share above the carry.
    for (name, dist) in [
        ("none_or_full", "{ dist = \"discrete\", values = [0, 1] }"),
        (
            "above_carry",
            "{ dist = \"uniform\", low = 0.25, high = 1 }",
        ),
    ] {
        let out = dir.path().join(format!("out_{name}"));
        fundsim()
            .arg("run")
            .arg(file(name, dist))
            .args(["--paths", "256", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
    }
}
