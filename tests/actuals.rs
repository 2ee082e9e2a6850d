//! `fundsim actuals`: the percentile against a closed form, the same paths as `fundsim run`, the
//! command line end to end, bad ledgers, and thread-independence.

mod common;

use assert_cmd::Command;
use fundsim::actuals::{self, Band};
use fundsim::app::load_all;
use fundsim::lang::Lang;
use fundsim::run::{RunSettings, Silent};
use std::fs;
use std::path::{Path, PathBuf};

fn fundsim() -> Command {
    Command::cargo_bin("fundsim").expect("binary")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn load(path: &str) -> fundsim::app::Loaded {
    load_all(&[repo(path)]).expect("scenario loads").remove(0)
}

/// Rows of a CSV file written by fundsim (BOM stripped), header first.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with('\u{feff}'),
        "{} has no BOM",
        path.display()
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn mid_rank_percentile_by_hand() {
    let v = [1, 2, 2, 3];
    assert_eq!(actuals::percentile(&v, 0), 0.0);
    assert_eq!(actuals::percentile(&v, 1), 0.125); // (0 + 1/2) / 4
    assert_eq!(actuals::percentile(&v, 2), 0.5); // (1 + 2/2) / 4
    assert_eq!(actuals::percentile(&v, 3), 0.875);
    assert_eq!(actuals::percentile(&v, 4), 1.0);
    assert!(actuals::percentile(&[], 4).is_nan());
}

/// New projects in the one year of `poisson.toml` are Poisson(5): the reported percentile of k
/// projects is P(N < k) + P(N = k)/2 within 4 MCSE, and the band flag follows the Poisson p05 and
/// p95.
#[test]
fn poisson_percentiles_match_the_closed_form() {
    let lambda = 5.0;
    let paths = 20_000u64;
    assert!(common::POISSON.contains("arrivals_per_year = 5"));
    let s = load("tests/data/poisson.toml");
    let model = &s.model;
    let pmf = |k: u32| common::tail(lambda, k) - common::tail(lambda, k + 1);
    let cdf = |k: i64| {
        if k < 0 {
            0.0
        } else {
            1.0 - common::tail(lambda, k as u32 + 1)
        }
    };
    // The Poisson quantiles: the smallest k with P(N ≤ k) ≥ q (the CDF is far from 5% and 95%
    // around them, so the sample quantiles of 20,000 paths land on the same integers).
    let quantile = |q: f64| (0..).find(|&k| cdf(k) >= q).unwrap();
    let (p05, p95) = (quantile(0.05), quantile(0.95));
    assert_eq!((p05, p95), (2, 9));

    let ledger: String = "year,projects_landed\n2024,0\n".into();
    let entries = actuals::parse_ledger(&ledger, "poisson.csv", model).unwrap();
    let cells = [(entries[0].column, entries[0].year_index)];
    let values = actuals::simulate(model, 11, paths, &cells, &Silent).remove(0);
    assert_eq!(values.len() as u64, paths);
    for k in 0..=14u32 {
        let text = format!("year,projects_landed\n2024,{k}\n");
        let entries = actuals::parse_ledger(&text, "poisson.csv", model).unwrap();
        let row = actuals::compare(model, &entries, vec![values.clone()], Lang::Zh).remove(0);
        let exact = cdf(i64::from(k) - 1) + pmf(k) / 2.0;
        let mcse = (exact * (1.0 - exact) / paths as f64).sqrt();
        assert!(
            (row.percentile - exact).abs() <= 4.0 * mcse,
            "k = {k}: percentile {} against {exact} (MCSE {mcse})",
            row.percentile
        );
        let band = if i64::from(k) < p05 {
            Band::Below
        } else if i64::from(k) > p95 {
            Band::Above
        } else {
            Band::Inside
        };
        assert_eq!(row.band, band, "k = {k}");
        assert_eq!((row.p05, row.p95), (p05 as f64, p95 as f64));
        assert_eq!(row.actual, f64::from(k));
    }
}

/// The values simulated here are those of `fundsim run` with the same seed: per metric and year,
/// the exact sums (money to the fen) and counts of the run's yearly accumulators agree, with and
/// without `[uncertain]` inputs.
#[test]
fn the_same_paths_as_a_run() {
    for (file, paths) in [
        ("tests/data/tiny.toml", 600),
        ("scenarios/uncertain_effects.toml", 40),
    ] {
        let s = load(file);
        let model = &s.model;
        let run = fundsim::run::run(model, RunSettings::new(paths, 5), &Silent);
        let catalogue = model.catalogue();
        let cells: Vec<(usize, usize)> = (0..catalogue.yearly.len())
            .flat_map(|m| (0..model.n_years).map(move |y| (m, y)))
            .collect();
        let values = actuals::simulate(model, 5, paths, &cells, &Silent);
        for (&(m, y), v) in cells.iter().zip(&values) {
            let cell = &run.yearly[m * model.n_years + y];
            assert_eq!(v.len() as u64, paths);
            assert_eq!(
                v.iter().map(|&x| x as i128).sum::<i128>(),
                cell.sum,
                "{file}: {} in year {y}",
                catalogue.yearly[m].name
            );
        }
        // And not merely by accident: another seed differs somewhere.
        let other = actuals::simulate(model, 6, paths, &cells, &Silent);
        assert_ne!(values, other, "{file}");
    }
}

/// A value of `yearly.csv` (p05, p50, ...) for a metric and year.
fn yearly(dir: &Path, year: &str, metric: &str, column: &str) -> String {
    let rows = csv_rows(&dir.join("yearly.csv"));
    let at = rows[0].iter().position(|h| h == column).unwrap();
    let row = (rows.iter())
        .find(|r| r[1] == year && r[2] == metric)
        .unwrap_or_else(|| panic!("no {metric} {year} in yearly.csv"));
    row[at].clone()
}

#[test]
fn cli_end_to_end_on_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/nantong_baseline.toml");
    let run_dir = dir.path().join("run");
    fundsim()
        .arg("--quiet")
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "256", "--seed", "7", "--out"])
        .arg(&run_dir)
        .assert()
        .success();
    // Inside: 2024's projects at their median, the 2024 outlay at its median written in 万 (the
    // sketch's median, within 0.1%); above: an impossible number of projects in 2025.
    let p50 = yearly(&run_dir, "2024", "projects_landed", "p50");
    let outlay: f64 = yearly(&run_dir, "2024", "fiscal_outlay", "p50")
        .parse()
        .unwrap();
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        format!(
            "\u{feff}year,projects_landed,fiscal_outlay,money_back\r\n2024,{p50},{:.1}万,\r\n2025,100000,,\r\n",
            outlay / 1e4
        ),
    )
    .unwrap();
    let out = dir.path().join("act");
    let output = fundsim()
        .arg("actuals")
        .arg(&scenario)
        .arg("--actuals")
        .arg(&ledger)
        .args(["--seed", "7", "--paths", "256", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout
            .contains("1 of 3 actuals lie outside their simulated p05–p95 band (0 below, 1 above)"),
        "{stdout}"
    );
    let rows = csv_rows(&out.join("actuals.csv"));
    assert_eq!(
        rows[0],
        [
            "scenario",
            "year",
            "metric",
            "label",
            "actual",
            "p05",
            "p50",
            "p95",
            "percentile",
            "band"
        ]
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let find = |year: &str, metric: &str| {
        (rows.iter())
            .find(|r| r[1] == year && r[2] == metric)
            .unwrap_or_else(|| panic!("no row {year} {metric}: {rows:?}"))
            .clone()
    };
    let projects = find("2024", "projects_landed");
    assert_eq!(projects[0], "nantong_baseline");
    assert_eq!(projects[3], "新落户科创项目");
    assert_eq!(projects[4], p50);
    // Counts: the exact quantiles are those of the run's yearly.csv (its sketch is exact for
    // counts): the same 256 paths.
    for (i, q) in [(5, "p05"), (6, "p50"), (7, "p95")] {
        assert_eq!(projects[i], yearly(&run_dir, "2024", "projects_landed", q));
    }
    assert_eq!(projects[9], "inside");
    let pct: f64 = projects[8].parse().unwrap();
    assert!(pct > 0.2 && pct < 0.8, "{pct}");
    let money = find("2024", "fiscal_outlay");
    assert_eq!(money[9], "inside");
    let actual: f64 = money[4].parse().unwrap();
    assert!((actual - outlay).abs() < 1e4, "{actual} vs {outlay}");
    let above = find("2025", "projects_landed");
    assert_eq!((above[8].as_str(), above[9].as_str()), ("1", "above"));

    // --from the run's directory: its seed and paths, the same bytes.
    let from = dir.path().join("from");
    fundsim()
        .arg("--quiet")
        .arg("actuals")
        .arg(&scenario)
        .arg("--actuals")
        .arg(&ledger)
        .arg("--from")
        .arg(&run_dir)
        .arg("--out")
        .arg(&from)
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        fs::read(from.join("actuals.csv")).unwrap(),
        fs::read(out.join("actuals.csv")).unwrap()
    );

    // --json: the same rows as JSON.
    let output = fundsim()
        .args(["--json", "actuals"])
        .arg(&scenario)
        .arg("--actuals")
        .arg(&ledger)
        .arg("--from")
        .arg(&run_dir)
        .arg("--out")
        .arg(&from)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["seed"], 7);
    assert_eq!(doc["paths"], 256);
    assert_eq!(doc["outside_band"], 1);
    assert_eq!(doc["rows"].as_array().unwrap().len(), 3);
    assert_eq!(doc["rows"][2]["band"], "above");
}

/// A ledger with one problem: exit code 2, a message naming the file, the line and the column, and
/// nothing written.
fn rejected(ledger: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ledger.csv");
    fs::write(&file, ledger).unwrap();
    let out = dir.path().join("out");
    let output = fundsim()
        .arg("actuals")
        .arg(repo("tests/data/tiny.toml"))
        .arg("--actuals")
        .arg(&file)
        .args(["--paths", "10", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{e:?} not in: {stderr}");
    }
    assert!(!out.exists(), "the output directory was created");
}

#[test]
fn bad_ledgers_are_located_and_write_nothing() {
    // An unknown metric, with the closest name.
    rejected(
        "year,projects_landed,money_bak\n2024,3,100万\n",
        &[
            "ledger.csv:1: column 3 \"money_bak\"",
            "unknown metric",
            "did you mean money_back",
            "<instrument> one of frontier, equity",
        ],
    );
    // A year the scenario does not simulate (tiny: 2024–2033).
    rejected(
        "year,projects_landed\n2024,3\n2040,5\n",
        &[
            "ledger.csv:3: column 1 \"year\": value \"2040\"",
            "2024–2033",
        ],
    );
    // Not a number.
    rejected(
        "year,projects_landed,fiscal_outlay\n2024,3,lots\n",
        &[
            "ledger.csv:2: column 3 \"fiscal_outlay\": value \"lots\"",
            "not an amount",
        ],
    );
    // A count that is not whole.
    rejected(
        "year,projects_landed\n2024,2.5\n",
        &[
            "ledger.csv:2: column 2 \"projects_landed\": value \"2.5\"",
            "whole number",
        ],
    );
    // The same year twice, the same metric twice.
    rejected(
        "year,projects_landed\n2024,3\n2025,4\n2024,5\n",
        &["ledger.csv:4: column 1", "also on line 2"],
    );
    rejected(
        "year,exits,exits\n2024,3,4\n",
        &["ledger.csv:1: column 3 \"exits\"", "also column 2"],
    );
    // Every problem at once.
    rejected(
        "year,projects_landed,fiscal_outlay\n2024,x,1亿\n2025,3,y\n",
        &["ledger.csv:2: column 2", "ledger.csv:3: column 3"],
    );
}

#[test]
fn crlf_and_blank_lines_keep_their_line_numbers() {
    // Windows line ends: the value on the file's 4th line is reported on line 4 (the csv reader's
    // own count says 3), with a byte-order mark too.
    rejected(
        "year,exits\r\n2024,2\r\n2025,1\r\n2026,x\r\n",
        &["ledger.csv:4: column 2 \"exits\": value \"x\""],
    );
    rejected(
        "\u{feff}year,exits\r\n2024,2\r\n2025,1\r\n2026,1\r\n2027,1\r\n2028,x\r\n",
        &["ledger.csv:6: column 2 \"exits\": value \"x\""],
    );
    // Blank lines (which a ledger may have anywhere) count as lines: before the header, between
    // rows, with LF and with CRLF line ends; a repeated year names the other row's own line.
    rejected(
        "\n\nyear,projects_landed,money_bak\n2024,3,100万\n",
        &["ledger.csv:3: column 3 \"money_bak\"", "unknown metric"],
    );
    rejected(
        "year,projects_landed\n\n2024,3\n\n\n2025,x\n",
        &["ledger.csv:6: column 2 \"projects_landed\": value \"x\""],
    );
    rejected(
        "year,projects_landed\r\n\r\n2024,3\r\n\r\n2025,4\r\n2024,5\r\n",
        &[
            "ledger.csv:6: column 1 \"year\": value \"2024\"",
            "the year 2024 is also on line 3",
        ],
    );
}

#[test]
fn same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "year,projects_landed,fiscal_outlay,exits,deals.frontier\n2024,9,,1,\n2026,12,3000万,2,3\n",
    )
    .unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        // 700 paths: three chunks, so two threads really split the work.
        let output = fundsim()
            .env("RAYON_NUM_THREADS", threads)
            .arg("actuals")
            .arg(repo("tests/data/tiny.toml"))
            .arg("--actuals")
            .arg(&ledger)
            .args([
                "--paths",
                "700",
                "--seed",
                "3",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        (fs::read(out.join("actuals.csv")).unwrap(), output.stdout)
    };
    let (one, two) = (run("1"), run("2"));
    assert_eq!(csv_rows(&dir.path().join("t1/actuals.csv")).len(), 7);
    assert!(
        one == two,
        "actuals.csv or stdout differs between 1 and 2 threads"
    );
}

/// A run's directory for `--from`, its `run.json` edited to record `paths`.
fn run_recording(dir: &Path, paths: u64) -> PathBuf {
    let run_dir = dir.join("run");
    fundsim()
        .args(["--quiet", "run"])
        .arg(repo("tests/data/tiny.toml"))
        .args(["--paths", "10", "--out"])
        .arg(&run_dir)
        .assert()
        .success();
    let record = run_dir.join("run.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&record).unwrap()).unwrap();
    doc["paths"] = paths.into();
    fs::write(&record, doc.to_string()).unwrap();
    run_dir
}

#[test]
fn from_a_run_of_too_many_paths_is_refused() {
    // `run` takes up to 1e9 paths (in shards), `actuals` simulates at most 1e7 (its --paths
    // limit). A run.json of 1e12 paths is refused at once, naming the file and the value, and
    // nothing is written (before the limit, it was simulated path after path).
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run_recording(dir.path(), 1_000_000_000_000);
    let ledger = dir.path().join("ledger.csv");
    fs::write(&ledger, "year,exits\n2024,1\n").unwrap();
    let out = dir.path().join("out");
    let actuals = || {
        let mut c = fundsim();
        c.arg("actuals")
            .arg(repo("tests/data/tiny.toml"))
            .arg("--actuals")
            .arg(&ledger)
            .arg("--from")
            .arg(&run_dir)
            .arg("--out")
            .arg(&out)
            .timeout(std::time::Duration::from_secs(60));
        c
    };
    let output = actuals().output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let record = run_dir.join("run.json").display().to_string();
    for e in [
        format!("{record} has \"paths\": 1000000000000"),
        "actuals simulates 1 to 10000000 paths".to_string(),
        "give --paths N (at most 10000000)".to_string(),
    ] {
        assert!(stderr.contains(&e), "{e:?} not in: {stderr}");
    }
    assert!(!out.exists(), "the output directory was created");
    // --paths chooses the first paths of that run.
    actuals().args(["--paths", "20"]).assert().success();
    assert!(out.join("actuals.csv").exists());
}

#[test]
fn a_request_that_would_not_fit_in_memory_is_refused() {
    // 1e7 paths (the most allowed) of every yearly metric of tiny in every year: 16 bytes a path
    // and value, more than a machine has free. Refused before simulating (exit 2, nothing
    // written), naming run.json and its paths.
    let Some((_, usable)) = fundsim::app::usable_memory() else {
        eprintln!("skipped: this system does not say how much memory is free");
        return;
    };
    let loaded = load("tests/data/tiny.toml");
    let model = &loaded.model;
    let names: Vec<String> = (model.catalogue().yearly.iter())
        .map(|c| c.name.clone())
        .collect();
    let mut text = format!("year,{}\n", names.join(","));
    for y in 0..model.n_years {
        text.push_str(&format!("{}{}\n", model.year(y), ",0".repeat(names.len())));
    }
    let values = (names.len() * model.n_years) as u64;
    let paths = actuals::MAX_PATHS;
    let need = actuals::memory_needed(values, paths, 1);
    if need <= usable {
        eprintln!("skipped: this machine could hold {need} bytes");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run_recording(dir.path(), paths);
    let ledger = dir.path().join("ledger.csv");
    fs::write(&ledger, text).unwrap();
    let out = dir.path().join("out");
    let output = fundsim()
        .arg("actuals")
        .arg(repo("tests/data/tiny.toml"))
        .arg("--actuals")
        .arg(&ledger)
        .arg("--from")
        .arg(&run_dir)
        .arg("--out")
        .arg(&out)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let record = run_dir.join("run.json").display().to_string();
    for e in [
        format!(
            "{record} has \"paths\": 10000000: 10000000 paths of {values} ledger values need about"
        ),
        "more than the".to_string(),
        "give --paths N with N at most".to_string(),
    ] {
        assert!(stderr.contains(&e), "{e:?} not in: {stderr}");
    }
    assert!(!out.exists(), "the output directory was created");
}

/// The entries of `ledger` on the tiny scenario, as `(year, metric, actual)`, or its errors.
fn ledger_on(
    model: &fundsim::model::Model,
    ledger: &str,
) -> Result<Vec<(i32, String, i64)>, String> {
    actuals::parse_ledger(ledger, "ledger.csv", model).map(|es| {
        es.into_iter()
            .map(|e| (e.year, e.metric, e.actual))
            .collect()
    })
}

#[test]
fn a_small_bare_amount_in_the_ledger_is_refused_as_in_a_scenario() {
    // `2024,2.41,0` meant 2.41亿 of fiscal outlay, and a money_back of 150 meant 150万: read as
    // yuan they were put at the bottom of the band (or "inside") without a word. A bare amount of
    // money that is not 0 must be at least 10,000 yuan, as a per-firm amount of a scenario.
    rejected(
        "year,projects_landed,fiscal_outlay,money_back\n2024,3,2.41,0\n2025,4,2.85亿,150\n",
        &[
            "ledger.csv:2: column 3 \"fiscal_outlay\": value \"2.41\": amount 2.41 yuan is not allowed as a bare number: a bare number is yuan, and below 10000 yuan it must carry its unit; if you meant 2.41亿 or 2.41万, write \"2.41亿\" or \"2.41万\" (or \"2.41元\" for 2.41 yuan)",
            "ledger.csv:3: column 4 \"money_back\": value \"150\": amount 150 yuan",
        ],
    );
    // With its unit a small amount is what it says; 0, counts and amounts of 10,000 yuan or more
    // stay bare.
    let model = load("tests/data/tiny.toml").model;
    let read = ledger_on(
        &model,
        "year,projects_landed,fiscal_outlay,money_back,financing\n2024,3,2.41亿,150元,10000\n2025,4,0,¥150,\n",
    )
    .unwrap();
    let fen: Vec<i64> = read.iter().map(|(_, _, a)| *a).collect();
    assert_eq!(fen, [3, 24_100_000_000, 15_000, 1_000_000, 4, 0, 15_000]);
}

#[test]
fn the_ledger_takes_a_metric_s_chinese_or_english_label_as_its_key() {
    // metrics.csv and the workbook show 新落户科创项目 beside projects_landed; a header copied from
    // them was an unknown metric.
    let model = load("tests/data/tiny.toml").model;
    let read = ledger_on(
        &model,
        "year,新落户科创项目,Fiscal outlay,财政出资(前瞻技术项目),MONEY RECOVERED (equity),在营未退出企业数（主控类与车规级IC）\n2024,3,2.41亿,3000万,0,40\n",
    )
    .unwrap();
    let metrics: Vec<&str> = read.iter().map(|(_, m, _)| m.as_str()).collect();
    assert_eq!(
        metrics,
        [
            "projects_landed",
            "fiscal_outlay",
            "fiscal_outlay.frontier",
            "money_back.equity",
            "active_firms.ic"
        ]
    );
    // A label and its key are one metric.
    rejected(
        "year,projects_landed,新落户科创项目\n2024,3,4\n",
        &["ledger.csv:1: column 3 \"新落户科创项目\": the metric projects_landed is also column 2"],
    );
    // A label two instruments share names neither: the message gives both keys.
    let text = fs::read_to_string(repo("tests/data/tiny.toml"))
        .unwrap()
        .replace("label = \"拨改投\"", "label = \"前瞻技术项目\"");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("twins.toml"), text).unwrap();
    let twins = load_all(&[dir.path().join("twins.toml")])
        .unwrap()
        .remove(0)
        .model;
    let err = ledger_on(&twins, "year,财政出资(前瞻技术项目)\n2024,3000万\n").unwrap_err();
    assert!(
        err.contains("is the label of several metrics (fiscal_outlay.frontier, fiscal_outlay.equity): write the key of the one meant"),
        "{err}"
    );
}

#[test]
fn a_bad_year_header_is_reported_with_the_other_problems() {
    // It used to stop the reading: the other problems came one fix later.
    rejected(
        "yr,projects_landed,fiscal_outlay,money_bak\n2024,x,2.41亿,0\n",
        &[
            "ledger.csv:1: column 1: value \"yr\": the first column of the header must be `year` (or 年份)",
            "ledger.csv:1: column 4 \"money_bak\": unknown metric",
            "ledger.csv:2: column 2 \"projects_landed\": value \"x\": not a count",
        ],
    );
    // A metric first and the year later: both said.
    rejected(
        "projects_landed,year\n3,2024\n",
        &[
            "ledger.csv:1: column 1: value \"projects_landed\": the first column of the header must be `year`",
            "ledger.csv:1: column 2 \"year\": the year is the first column of the header",
        ],
    );
    // 年份, as the workbook's yearly sheet heads the column, is the year.
    let model = load("tests/data/tiny.toml").model;
    assert_eq!(
        ledger_on(&model, "年份,exits\n2024,2\n").unwrap(),
        [(2024, "exits".to_string(), 2)]
    );
}

#[test]
fn a_ledger_as_excel_exports_it_with_years_like_2024_0_and_amounts_like_2_41e08() {
    let model = load("tests/data/tiny.toml").model;
    let read = ledger_on(
        &model,
        "year,fiscal_outlay,exits\n2024.0,2.41E+08,2\n2025.00,2.85e8,1.0\n",
    )
    .unwrap();
    assert_eq!(
        read,
        [
            (2024, "fiscal_outlay".to_string(), 24_100_000_000),
            (2024, "exits".to_string(), 2),
            (2025, "fiscal_outlay".to_string(), 28_500_000_000),
            (2025, "exits".to_string(), 1),
        ]
    );
    // A year with a fraction is not a year; scientific notation is a bare number, held to the
    // same floor.
    rejected(
        "year,fiscal_outlay\n2024.5,2.41亿\n2025,2.41E+00\n",
        &[
            "ledger.csv:2: column 1 \"year\": value \"2024.5\": not a year",
            "ledger.csv:3: column 2 \"fiscal_outlay\": value \"2.41E+00\": amount 2.41 yuan is not allowed as a bare number",
        ],
    );
}
