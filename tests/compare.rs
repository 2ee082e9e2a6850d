//! `fundsim compare`: paired differences on common random numbers, in comparison.csv.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn tiny() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml"))
        .expect("tiny.toml")
}

/// `(metric, column)` of the rows of comparison.csv for scenario `scenario`.
fn rows(csv: &str, scenario: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    r.records()
        .map(|x| {
            let x = x.expect("row");
            header
                .iter()
                .cloned()
                .zip(x.iter().map(String::from))
                .collect()
        })
        .filter(|m: &std::collections::HashMap<String, String>| m["scenario"] == scenario)
        .collect()
}

#[test]
fn pairing_on_common_random_numbers_beats_independent_runs() {
    // Two similar scenarios: TINY, and TINY with a larger equity budget. On common random numbers
    // the market and every firm no instrument touched are the same in both, so the paired standard
    // error of the difference in what comes back is well below what two independent runs would give.
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("base.toml");
    let other = dir.path().join("other.toml");
    fs::write(&base, tiny()).expect("write");
    fs::write(
        &other,
        tiny()
            .replace("name = \"tiny\"", "name = \"more_equity\"")
            .replace("budget = \"5000万\"", "budget = \"6000万\""),
    )
    .expect("write");
    let same = dir.path().join("same.toml");
    fs::write(&same, tiny().replace("name = \"tiny\"", "name = \"same\"")).expect("write");
    let out = dir.path().join("out");
    let output = Command::cargo_bin("fundsim")
        .expect("binary")
        .args(["compare"])
        .arg(&base)
        .arg(&other)
        .arg(&same)
        .args(["--paths", "1500", "--seed", "5"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).expect("utf-8");
    assert!(
        stdout.contains("== more_equity − tiny (1500 paths, paired) =="),
        "{stdout}"
    );
    // Stdout gives the shares of pairs strictly better and strictly worse (ties in neither): a
    // scenario against its own copy ties on every pair, 0% / 0% on every row it shows.
    assert!(stdout.contains("better / worse"), "{stdout}");
    let same = &stdout[stdout.find("== same − tiny").expect("the copy's block")..];
    let shown: Vec<&str> = same.lines().skip(2).take_while(|l| !l.is_empty()).collect();
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            t.len() > 3 && t[t.len() - 3..] == ["0%", "/", "0%"]
        }),
        "{same}"
    );
    let csv = fs::read_to_string(out.join("comparison.csv")).expect("comparison.csv");
    let num = |m: &std::collections::HashMap<String, String>, c: &str| -> f64 {
        m[c].parse().unwrap_or(f64::NAN)
    };
    let find = |rows: &[std::collections::HashMap<String, String>], metric: &str| {
        rows.iter()
            .find(|r| r["metric"] == metric)
            .expect(metric)
            .clone()
    };
    let differ = rows(&csv, "more_equity");
    for metric in ["money_back", "net_fiscal_cost", "holdings_value"] {
        let r = find(&differ, metric);
        let (paired, unpaired) = (num(&r, "diff_mcse"), num(&r, "unpaired_mcse"));
        assert!(
            paired < 0.5 * unpaired,
            "{metric}: paired MCSE {paired} is not well below the unpaired {unpaired}"
        );
        // The interval is the difference ± 1.96 paired standard errors.
        let (d, lo, hi) = (num(&r, "diff"), num(&r, "diff_low"), num(&r, "diff_high"));
        // (Each number is written to the fen: allow their rounding.)
        assert!(
            (hi - d - 1.959964 * paired).abs() <= 0.05
                && (d - lo - 1.959964 * paired).abs() <= 0.05
        );
    }
    // A larger equity budget spends more fiscal money on some paths and the same on the others
    // (where deals, not money, were short): for a cost, P(better) is below one half (ties count
    // one half) and the mean difference is positive.
    let outlay = find(&differ, "fiscal_outlay");
    assert!(num(&outlay, "p_better") < 0.45 && num(&outlay, "diff_low") > 0.0);
    assert!(differ.iter().any(|r| r["metric"] == "met.all"));
    // A cost per additional outcome has no better direction on every path (negative where the
    // policy earned money): no P(better).
    let ratios: Vec<_> = (differ.iter())
        .filter(|r| r["metric"].starts_with("cost_per_additional_"))
        .collect();
    assert!(!ratios.is_empty());
    assert!(
        ratios.iter().all(|r| r["p_better"].is_empty()),
        "{ratios:?}"
    );
    // A scenario against its own copy: every difference is exactly 0, with no error; but a
    // target met (0 or 1, unit `probability`) with no discordant pair is not known to the last
    // digit: Tango's interval is ±1.96²/(n + 1.96²), its MCSE 1.96/(n + 1.96²).
    for r in rows(&csv, "same") {
        if r["n"] != "0" {
            assert_eq!(num(&r, "diff"), 0.0, "{}", r["metric"]);
            let expected = if r["unit"] == "probability" {
                let n = num(&r, "n");
                1.959964 / (n + 1.959964 * 1.959964)
            } else {
                0.0
            };
            assert!(
                (num(&r, "diff_mcse") - expected).abs() < 1e-6,
                "{}: {}",
                r["metric"],
                r["diff_mcse"]
            );
        }
    }
    // The usual files are written too.
    assert!(out.join("summary.csv").exists() && out.join("paths.parquet").exists());
}

#[test]
fn compare_rejects_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("base.toml");
    fs::write(&base, tiny()).expect("write");
    let out = dir.path().join("out");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("compare")
        .arg(&base)
        .arg(dir.path().join("missing.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

#[test]
fn set_overrides_a_value_like_the_file_and_run_json_records_it() {
    // Turning the equity programme's budget to 0 with --set gives the same results as a copy of
    // the file with that budget; run.json lists the override; a wrong key is located (exit 2).
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("tiny.toml");
    fs::write(&base, tiny()).expect("write");
    let edited = dir.path().join("edited.toml");
    fs::write(&edited, tiny().replace("budget = \"5000万\"", "budget = 0")).expect("write");
    let run = |file: &Path, set: &[&str], out: &Path| {
        let mut cmd = Command::cargo_bin("fundsim").expect("binary");
        cmd.arg("run")
            .arg(file)
            .args(["--paths", "300"])
            .arg("--out")
            .arg(out);
        for s in set {
            cmd.args(["--set", s]);
        }
        cmd.assert()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&base, &["instruments.direct_equity.equity.budget=0"], &a).success();
    run(&edited, &[], &b).success();
    assert_eq!(
        fs::read(a.join("summary.csv")).expect("a"),
        fs::read(b.join("summary.csv")).expect("b")
    );
    let json = fs::read_to_string(a.join("run.json")).expect("run.json");
    assert!(
        json.contains("instruments.direct_equity.equity.budget=0"),
        "{json}"
    );
    // A default table the file does not write can be set too.
    run(
        &base,
        &["channels.effects=false", "valuation.stale_decay=0.1"],
        &dir.path().join("c"),
    )
    .success();
    let bad = run(
        &base,
        &["instruments.direct_equity.nope.budget=0"],
        &dir.path().join("d"),
    );
    let stderr = String::from_utf8(bad.code(2).get_output().stderr.clone()).expect("utf-8");
    assert!(
        stderr.contains("no element with id \"nope\"") && stderr.contains("equity"),
        "{stderr}"
    );
    // An element of a kind the scenario has none of: named as such (it was refused as "a table is
    // not allowed: write an array", pointing at the kind's key).
    let none = run(
        &base,
        &["instruments.guarantee.gu.cover_share=40%"],
        &dir.path().join("f"),
    );
    let stderr = String::from_utf8(none.code(2).get_output().stderr.clone()).expect("utf-8");
    assert!(
        stderr.contains("the scenario has no instruments.guarantee")
            && stderr.contains("[[instruments.guarantee]] with id = \"gu\""),
        "{stderr}"
    );
    let typo = run(&base, &["channels.efects=false"], &dir.path().join("e"));
    let stderr = String::from_utf8(typo.code(2).get_output().stderr.clone()).expect("utf-8");
    assert!(
        stderr.contains("efects") && stderr.contains("--set"),
        "{stderr}"
    );
}

#[test]
fn precision_stops_at_the_first_check_that_reaches_it_whatever_the_threads() {
    // P(projects) of TINY to an MCSE of 0.005: the run stops at the first multiple of 4,096 paths
    // where the standard error of the share of paths meeting it is at most 0.005, identically at
    // 1 and 2 threads; run.json says where and how precise.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tiny.toml");
    fs::write(&file, tiny()).expect("write");
    let run = |threads: &str, out: &Path| {
        Command::cargo_bin("fundsim")
            .expect("binary")
            .arg("run")
            .arg(&file)
            .args([
                "--paths",
                "100000",
                "--precision",
                "p.projects=0.005",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run("1", &a);
    run("2", &b);
    for f in [
        "summary.csv",
        "targets.csv",
        "yearly.csv",
        "paths.parquet",
        "run.json",
    ] {
        assert!(
            fs::read(a.join(f)).expect(f) == fs::read(b.join(f)).expect(f),
            "{f} differs"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(a.join("run.json")).expect("run.json"))
            .expect("json");
    let used = json["scenarios"][0]["paths"].as_u64().expect("paths used");
    let reached = json["scenarios"][0]["precision_reached"]
        .as_f64()
        .expect("precision");
    assert!(
        used.is_multiple_of(4096) && used < 100_000 && reached <= 0.005,
        "{used} paths, {reached}"
    );
    // Recompute from the per-path indicators: the standard error (Wilson's, the half-width of the
    // 95% interval of targets.csv over 1.96) is within the goal at `used` paths and was not at
    // `used − 4096`.
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(
        fs::File::open(a.join("paths.parquet")).expect("parquet"),
    )
    .finish()
    .expect("read");
    let met: Vec<f64> = df
        .column("met.projects")
        .expect("met.projects")
        .bool()
        .expect("bool")
        .iter()
        .map(|m| if m == Some(true) { 1.0 } else { 0.0 })
        .collect();
    assert_eq!(met.len() as u64, used);
    let se = |n: usize| {
        let k = met[..n].iter().sum::<f64>();
        wilson_se(k, n as f64)
    };
    assert!(se(used as usize) <= 0.005 + 1e-12);
    assert!((se(used as usize) - reached).abs() < 1e-12, "{reached}");
    if used > 4096 {
        assert!(
            se(used as usize - 4096) > 0.005,
            "it could have stopped earlier"
        );
    }
}

#[test]
fn p_better_of_a_target_value_follows_the_target_direction() {
    // The Poisson scenario with a grant `a` and direct equity `b` over three years, against the
    // same with b's budget 200万 instead of 500万: the cheaper one spends less on (nearly) every
    // path. Target `cost_cap` is at most 2000万 of fiscal outlay by 2026 and `spend_floor` at
    // least 500万 of it; both read the horizon's total outlay, so `target.<id>` equals the scalar
    // fiscal_outlay on every path. Lower is better for the at-most target: its p_better must
    // equal fiscal_outlay's (a cost), and for the at-least target it must be the complement
    // (ties count one half on both sides). It used to be the complement for both.
    let poisson =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/poisson.toml"))
            .expect("poisson.toml");
    let base_text = poisson.replace("horizon_years = 1", "horizon_years = 3")
        + "\n[[instruments.grant]]\nid = \"a\"\nbudget = \"500万\"\namount = \"100万\"\nstages = [\"seed\"]\n\n\
           [[instruments.direct_equity]]\nid = \"b\"\nbudget = \"500万\"\nticket = \"100万\"\nstages = [\"seed\"]\n\n\
           [[targets]]\nid = \"cost_cap\"\nlabel = \"财政出资不超过2000万\"\nmetric = \"fiscal_outlay\"\nthreshold = \"2000万\"\ndeadline = 2026\ndirection = \"at_most\"\n\n\
           [[targets]]\nid = \"spend_floor\"\nlabel = \"财政出资不少于500万\"\nmetric = \"fiscal_outlay\"\nthreshold = \"500万\"\ndeadline = 2026\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, cheaper) = (
        dir.path().join("base.toml"),
        dir.path().join("cheaper.toml"),
    );
    fs::write(&base, &base_text).expect("write");
    fs::write(
        &cheaper,
        base_text
            .replace("name = \"poisson\"", "name = \"cheaper\"")
            .replace(
                "id = \"b\"\nbudget = \"500万\"",
                "id = \"b\"\nbudget = \"200万\"",
            ),
    )
    .expect("write");
    let out = dir.path().join("out");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("compare")
        .arg(&base)
        .arg(&cheaper)
        .args(["--paths", "500", "--seed", "4"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let csv = fs::read_to_string(out.join("comparison.csv")).expect("comparison.csv");
    let rows = rows(&csv, "cheaper");
    let p_better = |metric: &str| -> f64 {
        rows.iter().find(|r| r["metric"] == metric).expect(metric)["p_better"]
            .parse()
            .expect("p_better")
    };
    let cost = p_better("fiscal_outlay");
    assert!(cost > 0.9, "the cheaper scenario spends less: {cost}");
    assert!((p_better("target.cost_cap") - cost).abs() < 1e-9);
    assert!((p_better("target.spend_floor") - (1.0 - cost)).abs() < 1e-9);
}

/// The half-width of the 95% Wilson interval of `k` successes in `n` over z = 1.959964: the
/// standard error `--precision p.<target>` checks, `√(p(1−p)/n + z²/(4n²)) / (1 + z²/n)`.
fn wilson_se(k: f64, n: f64) -> f64 {
    let z = 1.959_963_984_540_054_f64;
    let p = k / n;
    (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n)
}

#[test]
fn precision_on_a_target_never_met_waits_for_enough_paths() {
    // "At least 1000 projects" with Poisson(5) arrivals is met on no path: p̂ = 0 at every check.
    // The plug-in standard error √(p̂(1−p̂)/n) is then 0 and the run stopped at the first check
    // (4,096 paths) claiming a precision of 0. The Wilson standard error at p̂ = 0 is
    // z/(2n) / (1 + z²/n) ≈ 0.98/n, at most 1e-4 from n = 9,797 on, so the run must stop at the
    // first multiple of 4,096 beyond that, 12,288 paths, and record wilson_se(0, 12288) ≈ 7.97e-5.
    let poisson =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/poisson.toml"))
            .expect("poisson.toml");
    assert!(poisson.contains("threshold = 10\n"));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("never.toml");
    fs::write(
        &file,
        poisson.replace("threshold = 10\n", "threshold = 1000\n"),
    )
    .expect("write");
    let expected = (1..)
        .map(|c| 4096 * c)
        .find(|&n| wilson_se(0.0, n as f64) <= 1e-4)
        .expect("a check");
    assert_eq!(expected, 12_288);
    // `met.projects` is the same 0/1 column under its summary.csv name: the same stop, and
    // summary.csv's MCSE of it is the same Wilson one (not the sample MCSE, 0 here).
    for goal in ["p.projects=0.0001", "met.projects=0.0001"] {
        let out = dir.path().join(goal);
        let run = |paths: &str, goal: &str| {
            Command::cargo_bin("fundsim")
                .expect("binary")
                .arg("run")
                .arg(&file)
                .args(["--paths", paths, "--precision", goal])
                .arg("--out")
                .arg(&out)
                .assert()
                .success();
            let json: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(out.join("run.json")).expect("run.json"))
                    .expect("json");
            let used = json["scenarios"][0]["paths"].as_u64().expect("paths used");
            let reached = json["scenarios"][0]["precision_reached"]
                .as_f64()
                .expect("precision");
            (used, reached)
        };
        let (used, reached) = run("100000", goal);
        assert_eq!(
            used, expected,
            "{goal}: stopped at {used} paths with {reached}"
        );
        assert!(
            (reached - wilson_se(0.0, expected as f64)).abs() < 1e-15 && reached > 0.0,
            "{reached}"
        );
        let targets = fs::read_to_string(out.join("targets.csv")).expect("targets.csv");
        assert!(targets.contains(",0,"), "never met: {targets}");
        let summary = fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
        let row = (summary.lines())
            .find(|l| l.starts_with("poisson,met.projects,"))
            .expect("met.projects row");
        let mcse: f64 = row
            .split(',')
            .nth(5)
            .expect("mcse")
            .parse()
            .expect("number");
        assert!(
            (mcse - wilson_se(0.0, expected as f64)).abs() < 1e-6,
            "{row}"
        );
        // A scalar that never varies (no instrument: nothing additional on any path) has a
        // sample MCSE of 0 that says nothing: the run goes to --paths, not the first check.
        let (used, _) = run("9000", "additional_projects=1");
        assert_eq!(used, 9000);
    }
}

#[test]
fn each_deadline_s_joint_target_is_compared() {
    // The baseline's targets fall due in 2026 and 2030: beside `met.all` (which the 2026
    // chain-leader target keeps at 0 in both), comparison.csv has `met.all_2026` and
    // `met.all_2030`, each the paired difference of targets.csv's `all_<year>` of the two
    // scenarios (the same paths, so the means are those probabilities exactly).
    // A third scenario keeps only the 2030 targets (one deadline: targets.csv has `all` and no
    // `all_2030`), and is still compared on `met.all_2030`, its `all`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let dir = tempfile::tempdir().expect("tempdir");
    let only_2030 = dir.path().join("only_2030.toml");
    let ids_2026 = [
        "projects",
        "talents",
        "chain_leaders",
        "unicorns",
        "clusters",
        "partner_funds",
        "financing",
        "frontier_each_year",
        "bgt_each_year",
    ];
    let removed: Vec<String> = ids_2026
        .iter()
        .map(|id| format!("\"targets.{id}\""))
        .collect();
    fs::write(
        &only_2030,
        format!(
            "extends = {:?}\nremove = [{}]\n[scenario]\nname = \"only_2030\"\n",
            root.join("nantong_baseline.toml").display().to_string(),
            removed.join(", ")
        ),
    )
    .expect("write");
    let out = dir.path().join("out");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("compare")
        .arg(root.join("cmp_no_effects.toml"))
        .arg(root.join("nantong_baseline.toml"))
        .arg(&only_2030)
        .args(["--paths", "300", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let csv = fs::read_to_string(out.join("comparison.csv")).expect("comparison.csv");
    let targets = fs::read_to_string(out.join("targets.csv")).expect("targets.csv");
    let mut r = csv::Reader::from_reader(targets.trim_start_matches('\u{feff}').as_bytes());
    let probability = |rows: &[csv::StringRecord], scenario: &str, target: &str| -> f64 {
        let row = (rows.iter())
            .find(|x| &x[0] == scenario && &x[1] == target)
            .unwrap_or_else(|| panic!("{scenario} {target}"));
        row[6].parse().expect("probability")
    };
    assert_eq!(&r.headers().expect("header")[6], "probability");
    let target_rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    let differ = rows(&csv, "nantong_baseline");
    for year in [2026, 2030] {
        let metric = format!("met.all_{year}");
        let row = (differ.iter())
            .find(|r| r["metric"] == metric)
            .unwrap_or_else(|| panic!("no {metric}"));
        assert_eq!(row["label"], format!("{year}年目标全部达成"));
        let target = format!("all_{year}");
        let base = probability(&target_rows, "cmp_no_effects", &target);
        let other = probability(&target_rows, "nantong_baseline", &target);
        let got = |c: &str| -> f64 { row[c].parse().expect(c) };
        assert!((got("base_mean") - base).abs() < 1e-6, "{metric}: {row:?}");
        assert!((got("mean") - other).abs() < 1e-6, "{metric}: {row:?}");
        assert!(
            (got("diff") - (other - base)).abs() < 1e-6,
            "{metric}: {row:?}"
        );
    }
    let only = rows(&csv, "only_2030");
    let row = (only.iter())
        .find(|r| r["metric"] == "met.all_2030")
        .expect("met.all_2030 against a scenario with one deadline");
    let got = |c: &str| -> f64 { row[c].parse().expect(c) };
    let base = probability(&target_rows, "cmp_no_effects", "all_2030");
    let other = probability(&target_rows, "only_2030", "all");
    assert!((got("base_mean") - base).abs() < 1e-6, "{row:?}");
    assert!((got("mean") - other).abs() < 1e-6, "{row:?}");
    assert!(!only.iter().any(|r| r["metric"] == "met.all_2026"));
    // In English the joint rows read as such (not as a target named all_2030).
    let en = dir.path().join("en");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("compare")
        .arg(root.join("cmp_no_effects.toml"))
        .arg(root.join("nantong_baseline.toml"))
        .args(["--paths", "50", "--quiet", "--lang", "en", "--out"])
        .arg(&en)
        .assert()
        .success();
    let csv = fs::read_to_string(en.join("comparison.csv")).expect("comparison.csv");
    let label = |metric: &str| {
        let r = rows(&csv, "nantong_baseline");
        r.iter().find(|r| r["metric"] == metric).expect(metric)["label"].clone()
    };
    assert_eq!(label("met.all"), "All targets met");
    assert_eq!(label("met.all_2030"), "All 2030 targets met");
}
