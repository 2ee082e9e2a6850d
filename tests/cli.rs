//! The command line as users meet it: exit codes, error messages, output files and their bytes.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::RUN_FILES;

const TINY: &str = include_str!("data/tiny.toml");

fn fundsim() -> Command {
    Command::cargo_bin("fundsim").expect("binary")
}

fn tiny_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml")
}

fn run_tiny(out: &Path, threads: u32, paths: u32, seed: u32) {
    fundsim()
        .args(["run", tiny_path().to_str().unwrap()])
        .args(["--paths", &paths.to_string(), "--seed", &seed.to_string()])
        .args(["--threads", &threads.to_string()])
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

#[test]
fn same_seed_same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("t1");
    // 1,100 paths: four chunks of 256 and a partial fifth, so 2, 3 and 7 threads split the work
    // differently (7 threads: more threads than chunks).
    run_tiny(&one, 1, 1100, 3);
    for threads in [2, 3, 7] {
        let other = dir.path().join(format!("t{threads}x"));
        run_tiny(&other, threads, 1100, 3);
        for f in RUN_FILES {
            let a = fs::read(one.join(f)).unwrap();
            let b = fs::read(other.join(f)).unwrap();
            assert!(!a.is_empty(), "{f} is empty");
            assert!(a == b, "{f} differs between 1 and {threads} threads");
        }
    }
    // A different seed changes the results.
    let other = dir.path().join("t3");
    run_tiny(&other, 2, 1100, 4);
    assert_ne!(
        fs::read(one.join("summary.csv")).unwrap(),
        fs::read(other.join("summary.csv")).unwrap()
    );
}

fn field<'a>(csv: &'a str, key: &[(&str, &str)], column: &str) -> &'a str {
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|row| key.iter().all(|(k, v)| row[col(k)] == *v))
        .map(|row| row[col(column)])
        .unwrap_or_else(|| panic!("no row {key:?}"))
}

#[test]
fn values_are_stable_for_a_fixed_seed() {
    // Pinned from a run of this version. A change here means results changed: say why in the commit.
    let dir = tempfile::tempdir().unwrap();
    run_tiny(dir.path(), 2, 1000, 7);
    let summary = fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    let targets = fs::read_to_string(dir.path().join("targets.csv")).unwrap();
    let yearly = fs::read_to_string(dir.path().join("yearly.csv")).unwrap();
    let s = |metric: &str, col: &str| field(&summary, &[("metric", metric)], col).to_string();
    assert_eq!(s("projects_landed", "mean"), PINNED_PROJECTS_MEAN);
    assert_eq!(s("fiscal_outlay", "p50"), PINNED_FISCAL_P50);
    assert_eq!(s("money_back", "mean"), PINNED_MONEY_BACK_MEAN);
    assert_eq!(s("fiscal_irr", "p50"), PINNED_IRR_P50);
    assert_eq!(
        field(&targets, &[("target", "all")], "probability"),
        PINNED_ALL_TARGETS
    );
    assert_eq!(
        field(
            &yearly,
            &[("year", "2030"), ("metric", "active_firms")],
            "p50"
        ),
        PINNED_ACTIVE_2030_P50
    );
}

const PINNED_PROJECTS_MEAN: &str = "100.26";
const PINNED_FISCAL_P50: &str = "365144389.97";
const PINNED_MONEY_BACK_MEAN: &str = "360814077.43";
const PINNED_IRR_P50: &str = "0.014374";
const PINNED_ALL_TARGETS: &str = "0.511";
const PINNED_ACTIVE_2030_P50: &str = "46";

#[test]
fn deals_csv_lists_every_position_of_the_first_paths() {
    let dir = tempfile::tempdir().unwrap();
    fundsim()
        .args([
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "50",
            "--deals",
            "3",
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let text = fs::read_to_string(dir.path().join("deals.csv")).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,path,instrument,kind,industry,firm,entry_year,amount,proceeds,exit_year,outcome,converted_year,stake_at_entry,holding_value,book_firm"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let paths: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[1]).collect();
    assert_eq!(paths.into_iter().collect::<Vec<_>>(), vec!["0", "1", "2"]);
    // Path 0's grants and equity add up to its fiscal outlay plus pooled money: its deployed total
    // in paths.parquet.
    let spent: f64 = rows
        .iter()
        .filter(|r| r[1] == "0")
        .map(|r| r[7].parse::<f64>().unwrap())
        .sum();
    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(dir.path().join("paths.parquet")).unwrap())
        .finish()
        .unwrap();
    let deployed = df
        .column("deployed")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!(
        (spent - deployed).abs() < 0.005 * rows.len() as f64,
        "{spent} vs {deployed}"
    );
    // Without --deals there is no deals.csv.
    let plain = tempfile::tempdir().unwrap();
    run_tiny(plain.path(), 1, 10, 1);
    assert!(!plain.path().join("deals.csv").exists());
}

#[test]
fn outputs_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    run_tiny(dir.path(), 2, 300, 1);
    let names: Vec<String> = {
        let mut v: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let mut want: Vec<String> = RUN_FILES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        names, want,
        "the contract's files and the metric dictionary, no temporaries"
    );

    let header = |f: &str| {
        let text = fs::read_to_string(dir.path().join(f)).unwrap();
        assert!(
            text.starts_with('\u{feff}'),
            "{f} starts with a BOM for Excel"
        );
        text.trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        header("summary.csv"),
        "scenario,metric,unit,mean,std,mcse,p05,p25,p50,p75,p95"
    );
    assert_eq!(
        header("targets.csv"),
        "scenario,target,label,metric,threshold,deadline,probability,mcse,ci_low,ci_high"
    );
    assert_eq!(
        header("yearly.csv"),
        "scenario,year,metric,mean,p05,p25,p50,p75,p95"
    );
    assert_eq!(
        header("indicators.csv"),
        "scenario,scope,indicator,label,unit,mean,p05,p50,p95,rule"
    );

    let run_json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["seed"], 1);
    assert_eq!(run_json["paths"], 300);
    assert_eq!(run_json["scenarios"][0]["name"], "tiny");
    assert_eq!(
        run_json["scenarios"][0]["sha256"].as_str().unwrap().len(),
        64
    );

    // paths.parquet reads back with one row per path and the per-path results.
    use polars::prelude::*;
    let file = fs::File::open(dir.path().join("paths.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 300);
    let fiscal = df.column("fiscal_outlay").unwrap().f64().unwrap();
    assert!((0..300).all(|i| fiscal.get(i).is_some_and(|v| v > 0.0)));
    let met = df.column("met.projects").unwrap();
    assert_eq!(met.dtype(), &DataType::Boolean);
    let path = df.column("path").unwrap().u64().unwrap();
    assert_eq!(path.get(299), Some(299));
    for name in [
        "scenario",
        "tvpi",
        "irr.equity",
        "target.financing",
        "deployed.frontier",
    ] {
        assert!(df.column(name).is_ok(), "paths.parquet lacks {name}");
    }
}

/// A bad scenario must exit 2 with a message naming the place, and leave no output behind.
fn rejects(text: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    fs::write(&file, text).unwrap();
    // A fresh output directory must not be created ...
    let fresh = dir.path().join("fresh");
    let out = fundsim()
        .args(["run", file.to_str().unwrap(), "--paths", "10", "--out"])
        .arg(&fresh)
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for e in expect {
        assert!(stderr.contains(e), "stderr lacks {e:?}:\n{stderr}");
    }
    assert!(!fresh.exists(), "output directory was created");
    // ... and an existing one must stay exactly as it was.
    let existing = dir.path().join("existing");
    fs::create_dir(&existing).unwrap();
    fs::write(existing.join("summary.csv"), "old").unwrap();
    fundsim()
        .args(["run", file.to_str().unwrap(), "--paths", "10", "--out"])
        .arg(&existing)
        .assert()
        .code(2);
    let entries: Vec<_> = fs::read_dir(&existing).unwrap().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        fs::read_to_string(existing.join("summary.csv")).unwrap(),
        "old"
    );
    // `validate` agrees.
    fundsim()
        .args(["validate", file.to_str().unwrap()])
        .assert()
        .code(2);
}

/// `file:line:col` of the first occurrence of `needle` in `text` (1-based).
fn place(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("needle");
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("bad.toml:{line}:{col}")
}

#[test]
fn malformed_toml() {
    let text = TINY.replacen("[program]", "[program", 1);
    rejects(&text, &["bad.toml:", "TOML syntax"]);
}

#[test]
fn unknown_key() {
    let text = TINY.replacen("discount_rate = \"3%\"", "discount_rat = \"3%\"", 1);
    let at = place(&text, "discount_rat");
    rejects(
        &text,
        &[
            &at,
            "program",
            "unknown field `discount_rat`",
            "discount_rate",
        ],
    );
}

#[test]
fn negative_amount() {
    let text = TINY.replacen("ticket = \"500万\"", "ticket = \"-500万\"", 1);
    let at = place(&text, "\"-500万\"");
    rejects(
        &text,
        &[
            &at,
            "instruments.direct_equity[0].ticket",
            "-5000000",
            "at least 0.01 yuan",
        ],
    );
}

#[test]
fn amount_below_a_fen() {
    // Positive amounts are booked in whole fen: 0.004 yuan would be a zero-fen grant.
    let text = TINY.replacen("amount = \"300万\"", "amount = 0.004", 1);
    let at = place(&text, "0.004");
    rejects(
        &text,
        &[&at, "instruments.grant[0].amount", "0.004", "one fen"],
    );
}

#[test]
fn a_small_bare_per_firm_amount_is_refused_with_a_hint() {
    // `amount = 200` meant 200万 but is 200 yuan: a per-firm amount written as a bare number
    // below 10000 yuan is refused, naming the place and the value and saying what to write.
    let text = TINY.replacen("amount = \"300万\"", "amount = 200", 1);
    let at = place(&text, "amount = 200");
    rejects(
        &text,
        &[
            &at,
            "instruments.grant[0].amount",
            "amount 200 yuan",
            "a bare number is yuan",
            "if you meant 200万, write \"200万\" (or \"200元\" for 200 yuan)",
        ],
    );
    // A string without a unit is as bare; a direct-equity ticket is checked too.
    rejects(
        &TINY.replacen("ticket = \"500万\"", "ticket = \"500\"", 1),
        &["instruments.direct_equity[0].ticket", "if you meant 500万"],
    );
    // Written with its unit, 200 yuan is accepted, and a bare number of 10000 or more is as before.
    for amount in ["\"200元\"", "3000000"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ok.toml");
        fs::write(
            &file,
            TINY.replacen("amount = \"300万\"", &format!("amount = {amount}"), 1),
        )
        .unwrap();
        fundsim().arg("validate").arg(&file).assert().success();
    }
}

#[test]
fn a_dilution_written_as_a_percentage_without_percent_gets_the_hint() {
    // `dilution = 20` (meant 20%) was refused without the hint p_round and discount_rate give.
    let text = TINY.replacen("dilution = \"20%\"", "dilution = 20", 1);
    let at = place(&text, "dilution = 20");
    rejects(
        &text,
        &[
            &at,
            ".dilution",
            "20 is outside the allowed range: at least 0 and below 1 (100%)",
            "; if you meant 20%, write \"20%\" or 0.2",
        ],
    );
}

#[test]
fn subsidy_rule_with_two_amounts() {
    let text = format!(
        "{TINY}\n[[instruments.subsidy]]\nid = \"tape\"\nbudget = \"1000万\"\nrationing = \"pro_rata\"\n\
         [[instruments.subsidy.rules]]\nlabel = \"流片\"\nshare = \"30%\"\nfixed = \"200万\"\n\
         base = {{ median = \"800万\", sigma = 0.5 }}\nevents_per_firm_year = 0.5\n"
    );
    rejects(
        &text,
        &[
            "instruments.subsidy[0].rules[0]",
            "exactly one of share",
            "per_unit",
            "fixed",
        ],
    );
}

#[test]
fn probability_above_one() {
    let text = TINY.replacen("p_fail = 0.12", "p_fail = 1.5", 1);
    let at = place(&text, "1.5\n");
    rejects(
        &text,
        &[
            &at,
            "industries[0].stages[0].p_fail",
            "1.5 is not a probability",
            "0 to 1",
        ],
    );
}

/// The stderr of `validate` on `text` (written as bad.toml), which must be refused.
fn refused(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    fs::write(&file, text).unwrap();
    let assert = fundsim().arg("validate").arg(&file).assert().code(2);
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

#[test]
fn a_value_of_the_wrong_type_is_named_in_plain_words() {
    // serde's words (`invalid type: string "50%", expected f64`) mean nothing to a fund manager.
    let text = TINY.replacen("rho = 0.5", "rho = \"50%\"", 1);
    let at = place(&text, "\"50%\"");
    rejects(
        &text,
        &[
            &at,
            "market.rho",
            "\"50%\" is not allowed",
            "a number (not text in quotes); percentages are not accepted here",
        ],
    );
    let text = TINY.replacen("horizon_years = 10", "horizon_years = 10.5", 1);
    let at = place(&text, "10.5");
    rejects(
        &text,
        &[
            &at,
            "time.horizon_years",
            "10.5 is not allowed",
            "a whole number",
        ],
    );
    for (from, to) in [
        ("rho = 0.5", "rho = \"50%\""),
        ("horizon_years = 10", "horizon_years = 10.5"),
        ("start_year = 2024", "start_year = \"2024\""),
        ("rho = 0.5", "rho = [0.5]"),
        ("name = \"tiny\"", "name = 5"),
    ] {
        let stderr = refused(&TINY.replacen(from, to, 1));
        for jargon in [
            "invalid type",
            "expected f64",
            "expected i64",
            "sequence",
            "a string",
        ] {
            assert!(!stderr.contains(jargon), "{to}: {stderr}");
        }
    }
}

#[test]
fn a_rate_that_is_not_a_probability_says_what_it_is() {
    // hurdle = 8 (8% meant) is a yearly return, not a probability; the message says what the
    // value is, the range allowed, and what 8% would be written as.
    let fund = "\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = \"4000万\"\nfund_size = \"2亿\"\n\
                city_share = \"20%\"\nticket = \"1000万\"\nhurdle = 8\ncarry = \"20%\"\n\
                management_fee = 2\n";
    let text = format!("{TINY}{fund}");
    let at = place(&text, "8\ncarry");
    rejects(
        &text,
        &[
            &at,
            "instruments.sub_fund[0].hurdle: 8 is not allowed: a yearly preferred return, a rate from 0 to 1 (\"0%\" to \"100%\"); if you meant 8%, write \"8%\" or 0.08",
            "instruments.sub_fund[0].management_fee: 2 is not allowed: a yearly fee on the commitments",
        ],
    );
    let stderr = refused(&text);
    assert!(!stderr.contains("probability"), "{stderr}");
    // One problem for the fee, not a second about eating the fund.
    assert!(!stderr.contains("eat the whole fund"), "{stderr}");
}

#[test]
fn deadline_after_horizon() {
    let text = TINY.replacen("deadline = 2026", "deadline = 2040", 1);
    let at = place(&text, "2040");
    rejects(&text, &[&at, "targets[0].deadline", "2040", "2024 to 2033"]);
}

#[test]
fn a_target_id_that_names_the_joint_rows_is_refused() {
    // `all` and `all_<anything>` are the rows of every target met in targets.csv, read by name by
    // goal-seek, sensitivity and the reports.
    for id in ["all", "all_2026", "all_parks"] {
        let text = TINY.replacen("id = \"financing\"", &format!("id = \"{id}\""), 1);
        let at = place(&text, &format!("\"{id}\""));
        rejects(
            &text,
            &[
                &at,
                "targets[2].id",
                &format!("\"{id}\" is reserved"),
                "all_",
            ],
        );
    }
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = fundsim()
        .args(["run", "no/such/scenario.toml", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("no/such/scenario.toml"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn bad_flags_exit_2() {
    fundsim()
        .args(["run", tiny_path().to_str().unwrap(), "--paths", "0"])
        .assert()
        .code(2);
    fundsim()
        .args(["run", tiny_path().to_str().unwrap(), "--threads", "many"])
        .assert()
        .code(2);
}

#[test]
fn a_scenario_can_extend_another() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("base.toml"), TINY).unwrap();
    let child = "extends = \"base.toml\"\n\n[scenario]\nname = \"child\"\n\n\
                 [market]\nregimes = [{ from = 2025, to = 2028, shift = -1.5, label = \"cold\" }]\n\n\
                 [[instruments.direct_equity]]\nid = \"equity\"\nbudget = \"1亿\"\nticket = \"TICKET\"\n";
    let write = |ticket: &str| {
        fs::write(
            dir.path().join("child.toml"),
            child.replace("TICKET", ticket),
        )
        .unwrap();
        dir.path().join("child.toml")
    };
    // Valid: industries, the grant and the targets come from the base; the market's regimes and
    // the equity programme from the child.
    let out = dir.path().join("out");
    fundsim()
        .arg("run")
        .arg(write("500万"))
        .args(["--paths", "50", "--deals", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let run_json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let scenario = &run_json["scenarios"][0];
    assert_eq!(scenario["name"], "child");
    assert_eq!(scenario["regimes"][0]["to"], 2028);
    assert!(
        scenario["extends"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("base.toml")
    );
    let deals = fs::read_to_string(out.join("deals.csv")).unwrap();
    assert!(
        deals.contains(",frontier,grant,"),
        "the base's grant is inherited"
    );
    assert!(deals.contains(",equity,direct_equity,"));
    // A problem in the child is reported in the child, one in the base in the base.
    let assert = fundsim()
        .arg("validate")
        .arg(write("-500万"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("child.toml:12:10: instruments.direct_equity[0].ticket"),
        "{stderr}"
    );
    fs::write(
        dir.path().join("base.toml"),
        TINY.replacen("p_fail = 0.12", "p_fail = 1.5", 1),
    )
    .unwrap();
    let assert = fundsim()
        .arg("validate")
        .arg(write("500万"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("base.toml:33:10: industries[0].stages[0].p_fail"),
        "{stderr}"
    );
    // A cycle is refused.
    fs::write(
        dir.path().join("base.toml"),
        format!("extends = \"child.toml\"\n{TINY}"),
    )
    .unwrap();
    let assert = fundsim()
        .arg("validate")
        .arg(write("500万"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("cycle"), "{stderr}");
}

#[test]
fn markdown_headline_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = fundsim()
        .args([
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "100",
            "--table",
            "markdown",
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "| scenario | question | P(all targets met) by deadline | additional (potential) unicorns | additional chain leaders | mean net fiscal cost per mean additional unicorn (± 95%) | fiscal outlay p50 | net fiscal cost p50 | with outstanding guarantees p50 | money back p50 |"
    );
    assert_eq!(
        lines.next().unwrap(),
        "|---|---|---|---|---|---|---|---|---|---|"
    );
    // The row agrees with targets.csv (tiny's targets share one deadline, 2026) and summary.csv.
    let targets = fs::read_to_string(dir.path().join("targets.csv")).unwrap();
    let p: f64 = field(&targets, &[("target", "all")], "probability")
        .parse()
        .unwrap();
    let summary = fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    let unicorns: f64 = field(&summary, &[("metric", "additional_unicorns")], "mean")
        .parse()
        .unwrap();
    let row = lines.next().unwrap();
    assert!(row.starts_with("| `tiny` |"), "{row}");
    assert!(
        row.contains(&format!("| 2026: {:.1}% |", p * 100.0)),
        "{row}"
    );
    assert!(row.contains(&format!("| {unicorns:.2} |")), "{row}");
}

#[test]
fn extends_merges_arrays_of_tables_by_id() {
    use fundsim::model::compile;
    use fundsim::scenario::load_file;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("base.toml"), TINY).unwrap();
    // Only the equity programme's budget changes, and a target is added: everything else of the
    // base (its other equity fields, the grant, the other targets) must stay.
    let child = "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n\n\
                 [[instruments.direct_equity]]\nid = \"equity\"\nbudget = \"BUDGET\"\n\n\
                 [[targets]]\nid = \"exits\"\nlabel = \"退出\"\nmetric = \"exits\"\nthreshold = 5\ndeadline = 2030\n";
    let write = |budget: &str, extra: &str| {
        let path = dir.path().join("child.toml");
        fs::write(&path, format!("{}{extra}", child.replace("BUDGET", budget))).unwrap();
        path
    };
    let base = compile(&load_file(&dir.path().join("base.toml")).unwrap().1);
    let merged = compile(&load_file(&write("2亿", "")).unwrap().1);
    let equity = |m: &fundsim::model::Model| {
        m.instruments
            .iter()
            .find(|i| i.id == "equity")
            .unwrap()
            .clone()
    };
    assert_eq!(
        equity(&merged).kind,
        equity(&base).kind,
        "ticket, share, take-up and sale rule kept"
    );
    assert_eq!(
        equity(&merged).eligible,
        equity(&base).eligible,
        "stages kept"
    );
    assert_eq!(equity(&merged).budget[0], 200_000_000 * 100);
    assert_eq!(
        merged.instruments.len(),
        base.instruments.len(),
        "the grant is kept"
    );
    assert_eq!(
        merged.targets.len(),
        base.targets.len() + 1,
        "the new target is appended"
    );
    assert_eq!(merged.targets.last().unwrap().id, "exits");

    // A bad value in the merged element is reported in the child, at its line; an unknown key at
    // the key; a bad value inherited from the base, in the base.
    let assert = fundsim()
        .arg("validate")
        .arg(write("-2亿", ""))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("child.toml:7:10: instruments.direct_equity[0].budget"),
        "{stderr}"
    );
    let typo = write(
        "2亿",
        "[[instruments.grant]]\nid = \"frontier\"\namout = \"1万\"\n",
    );
    let assert = fundsim().arg("validate").arg(&typo).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("child.toml:17:1:"), "{stderr}");
    assert!(stderr.contains("unknown field `amout`"), "{stderr}");
    fs::write(
        dir.path().join("base.toml"),
        TINY.replacen("ticket = \"500万\"", "ticket = \"-1\"", 1),
    )
    .unwrap();
    let assert = fundsim()
        .arg("validate")
        .arg(write("2亿", ""))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("base.toml:") && stderr.contains(".ticket"),
        "{stderr}"
    );
}

#[test]
fn an_id_given_twice_in_a_file_of_an_extends_chain_is_refused() {
    // Laid over its base, the two elements would be merged into one silently; alone, the same
    // file is refused by validation ("instrument id ... is used twice").
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("base.toml"), TINY).unwrap();
    let child = "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n\n\
                 [[instruments.grant]]\nid = \"frontier\"\namount = \"100万\"\n\n\
                 [[instruments.grant]]\nid = \"frontier\"\namount = \"300万\"\n";
    let path = dir.path().join("child.toml");
    fs::write(&path, child).unwrap();
    let out = dir.path().join("out");
    let assert = fundsim()
        .arg("run")
        .arg(&path)
        .args(["--paths", "10", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("child.toml:10:6: instruments.grant[1].id"),
        "{stderr}"
    );
    assert!(
        stderr.contains("id \"frontier\" is used twice in this file's [[instruments.grant]]"),
        "{stderr}"
    );
    assert!(!out.exists());
    fundsim().arg("validate").arg(&path).assert().code(2);
    // The same in the base of the chain, located there.
    fs::write(
        dir.path().join("base.toml"),
        format!("{TINY}\n[[targets]]\nid = \"projects\"\nlabel = \"x\"\nmetric = \"exits\"\nthreshold = 1\ndeadline = 2026\n"),
    )
    .unwrap();
    fs::write(
        &path,
        "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n",
    )
    .unwrap();
    let assert = fundsim().arg("validate").arg(&path).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("base.toml:") && stderr.contains("targets[3].id"),
        "{stderr}"
    );
}

#[test]
fn a_problem_inside_rules_an_extending_file_replaces_is_located_in_that_file() {
    // The base has two subsidy programmes; the child replaces the second one's rules whole (an
    // array of tables without ids). A bad value inside them is the child's, at its own line, and
    // named by the child's own indices (its one programme is [0], not the merged document's [1]).
    let dir = tempfile::tempdir().unwrap();
    let programme = |id: &str| {
        format!(
            "\n[[instruments.subsidy]]\nid = \"{id}\"\nbudget = \"1000万\"\nrationing = \"pro_rata\"\n\
             [[instruments.subsidy.rules]]\nlabel = \"流片\"\nshare = \"30%\"\n\
             base = {{ median = \"800万\", sigma = 0.5 }}\nevents_per_firm_year = 0.5\n"
        )
    };
    fs::write(
        dir.path().join("base.toml"),
        format!("{TINY}{}{}", programme("sub_a"), programme("sub_b")),
    )
    .unwrap();
    let child = "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n\n\
                 [[instruments.subsidy]]\nid = \"sub_b\"\n\n\
                 [[instruments.subsidy.rules]]\nlabel = \"目录\"\nfixed = \"10万\"\nevents_per_firm_year = 0.3\n\n\
                 [[instruments.subsidy.rules]]\nlabel = \"平台\"\nshare = \"20%\"\nitem_cap = CAP\n\
                 base = { median = \"300万\", sigma = 1.0 }\nevents_per_firm_year = EVENTS\n";
    let path = dir.path().join("child.toml");
    let check = |cap: &str, events: &str, needle: &str, key: &str, message: &str| {
        let text = child.replace("CAP", cap).replace("EVENTS", events);
        fs::write(&path, &text).unwrap();
        let assert = fundsim().arg("validate").arg(&path).assert().code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        let at = text.find(needle).unwrap();
        let line = text[..at].matches('\n').count() + 1;
        let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
        assert!(
            stderr.contains(&format!("child.toml:{line}:{col}: {key}")),
            "{stderr}"
        );
        assert!(stderr.contains(message), "{stderr}");
    };
    // A constraint violated (validation).
    check(
        "\"200万\"",
        "500",
        "500",
        "instruments.subsidy[0].rules[1].events_per_firm_year",
        "500",
    );
    // A value of the wrong type (deserialisation).
    check(
        "\"200万美元\"",
        "0.1",
        "\"200万美元\"",
        "instruments.subsidy[0].rules[1].item_cap",
        "`200万美元` is not an amount",
    );
}

#[test]
fn an_array_an_extending_file_writes_over_a_value_is_located_in_that_file() {
    // The base's rho is a number; the child writes an array there. The array is the child's
    // (arrays without ids replace the base's value whole): the type error is reported in the
    // child, not at the base's number.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("base.toml"), TINY).unwrap();
    let child = "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n[market]\nrho = [0.5]\n";
    let path = dir.path().join("child.toml");
    fs::write(&path, child).unwrap();
    let assert = fundsim().arg("validate").arg(&path).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("child.toml:5:7: market.rho"), "{stderr}");
}

#[test]
fn a_file_that_replaces_a_programmes_rules_states_their_exclusive_groups() {
    // The base's programme pays rent or purchase (exclusive group "eda"). A file that replaces
    // its rules states the groups the new rules form beside them, or `exclusive = {}` for none;
    // merged key by key, the base's "eda" could never be dropped and always had 0 rules.
    use fundsim::scenario::{ExclusiveRule, load_file};
    let dir = tempfile::tempdir().unwrap();
    let rule = |label: &str, group: &str| {
        format!(
            "[[instruments.subsidy.rules]]\nlabel = \"{label}\"\nfixed = \"10万\"\nevents_per_firm_year = 0.5\n{group}\n"
        )
    };
    let base = format!(
        "{TINY}\n[[instruments.subsidy]]\nid = \"sub\"\nbudget = \"1000万\"\nrationing = \"pro_rata\"\n\
         exclusive = {{ eda = \"larger\" }}\n{}{}",
        rule("rent", "exclusive_group = \"eda\""),
        rule("buy", "exclusive_group = \"eda\"")
    );
    fs::write(dir.path().join("base.toml"), base).unwrap();
    let path = dir.path().join("child.toml");
    let child = |programme: &str, rules: &str| {
        fs::write(
            &path,
            format!(
                "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n\
                 [[instruments.subsidy]]\nid = \"sub\"\n{programme}\n{rules}"
            ),
        )
        .unwrap();
        load_file(&path).map(|(_, f)| f.instruments.subsidy[0].clone())
    };
    // Rules of no group, groups left out: the inherited "eda" is reported, with the way out.
    let err = child("", &rule("tape", "")).unwrap_err().to_string();
    assert!(
        err.contains("exclusive group \"eda\" has 0 rule(s)") && err.contains("exclusive = {}"),
        "{err}"
    );
    // `exclusive = {}` beside the rules: no group.
    let sub = child("exclusive = {}", &rule("tape", "")).unwrap();
    assert!(sub.exclusive.is_empty());
    assert_eq!(sub.rules.len(), 1);
    // Groups of their own: only those.
    let sub = child(
        "exclusive = { tape = \"first\" }",
        &(rule("tape", "exclusive_group = \"tape\"") + &rule("mask", "exclusive_group = \"tape\"")),
    )
    .unwrap();
    assert_eq!(
        sub.exclusive.into_iter().collect::<Vec<_>>(),
        vec![("tape".to_string(), ExclusiveRule::First)]
    );
    // Without rules, `exclusive` merges like any table: one group's choice changes, the base's
    // rules stay.
    let sub = child("exclusive = { eda = \"first\" }", "").unwrap();
    assert_eq!(
        sub.exclusive.into_iter().collect::<Vec<_>>(),
        vec![("eda".to_string(), ExclusiveRule::First)]
    );
    assert_eq!(sub.rules.len(), 2);
}

#[test]
fn set_extends_is_refused() {
    // `extends` is read before any override is laid: a --set of it would be ignored.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("other.toml"), TINY).unwrap();
    let out = dir.path().join("out");
    for set in ["extends=other.toml", "extends.x=1"] {
        let assert = fundsim()
            .args(["run", tiny_path().to_str().unwrap(), "--paths", "10"])
            .args(["--set", set, "--out"])
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains(&format!("--set {set}"))
                && stderr.contains("extends cannot be set with --set"),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}

/// The bundled scenarios copied into a fresh directory, with `files` (name, text) beside them.
fn beside_the_bundled(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in fs::read_dir(&bundled).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn an_extending_file_removes_what_it_inherits() {
    // uncertain_effects.toml extends the baseline and makes the frontier grant's effect
    // uncertain. A variant without that grant removes the instrument, the two targets that read
    // it and its two uncertain inputs (keys with dots, in quotes), and so loads; another removes
    // the grant and writes it again, which replaces it whole: the base's stages and
    // label are gone, not merged in.
    let without = "extends = \"uncertain_effects.toml\"\n\
        remove = [\"instruments.grant.frontier\", \"targets.frontier_each_year\", \
        \"targets.frontier_each_year_2030\", \
        'uncertain.\"instruments.grant.frontier.effect.round_odds\"', \
        'uncertain.\"instruments.grant.frontier.effect.additional_share\"']\n\
        [scenario]\nname = \"no_frontier\"\n";
    let replaced = "extends = \"nantong_baseline.toml\"\nremove = [\"instruments.grant.frontier\"]\n\
        [scenario]\nname = \"new_frontier\"\n\n[[instruments.grant]]\nid = \"frontier\"\n\
        budget = \"1000万\"\namount = \"100万\"\n";
    let dir = beside_the_bundled(&[("without.toml", without), ("replaced.toml", replaced)]);
    let (_, base) =
        fundsim::scenario::load_file(&dir.path().join("uncertain_effects.toml")).unwrap();
    let (_, file) = fundsim::scenario::load_file(&dir.path().join("without.toml")).unwrap();
    assert!(file.instruments.grant.is_empty());
    assert_eq!(file.targets.len(), base.targets.len() - 2);
    assert!(!file.targets.iter().any(|t| t.id.starts_with("frontier")));
    assert_eq!(file.uncertain.len(), base.uncertain.len() - 2);
    assert!(!file.uncertain.keys().any(|k| k.contains("grant.frontier")));
    let (_, file) = fundsim::scenario::load_file(&dir.path().join("replaced.toml")).unwrap();
    let frontier = &file.instruments.grant[0];
    assert_eq!(frontier.id, "frontier");
    assert!(frontier.stages.is_empty(), "{:?}", frontier.stages);
    assert!(frontier.label.is_empty(), "{}", frontier.label);
    // Without `remove` the same file merges into the base's grant, which keeps its stages.
    fs::write(
        dir.path().join("merged.toml"),
        replaced.replace("remove = [\"instruments.grant.frontier\"]\n", ""),
    )
    .unwrap();
    let (_, file) = fundsim::scenario::load_file(&dir.path().join("merged.toml")).unwrap();
    assert_eq!(file.instruments.grant[0].stages.len(), 4);

    // What cannot be removed is refused at the key, in the file that names it.
    let refused = |name: &str, text: &str, says: &str| {
        fs::write(dir.path().join(name), text).unwrap();
        let assert = fundsim()
            .args(["validate", dir.path().join(name).to_str().unwrap()])
            .assert()
            .code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(says), "{name}: {stderr}");
    };
    let child = |list: &str| format!("extends = \"nantong_baseline.toml\"\nremove = [{list}]\n");
    refused(
        "id.toml",
        &child("\"targets.nope\""),
        "id.toml:2:11: remove[0]: cannot remove \"targets.nope\": no element of \"targets\" has id \"nope\"",
    );
    refused(
        "key.toml",
        &child("\"time\", \"market.nope\""),
        "remove[1]: cannot remove \"market.nope\": \"nope\" is not in what this file extends",
    );
    refused(
        "whole.toml",
        &child("\"industries.ic.stages.seed\""),
        "\"stages\" is an array that a file replaces whole",
    );
    refused(
        "value.toml",
        &child("\"time.start_year.x\""),
        "\"start_year\" is a value, not a table",
    );
    refused(
        "quote.toml",
        &child("'uncertain.\"x'"),
        "a quote is not closed",
    );
    refused(
        "type.toml",
        "extends = \"nantong_baseline.toml\"\nremove = \"time\"\n",
        "remove must be an array of keys",
    );
    refused(
        "alone.toml",
        &format!("remove = [\"x\"]\n{TINY}"),
        "this file extends none",
    );
    // Removing a key the scenario needs is refused at the entry that removed it (not where the
    // base wrote it).
    refused(
        "needed.toml",
        &child("\"time\""),
        "needed.toml:2:11: remove[0]: missing field `time` at the top level: this entry removed it",
    );
    refused(
        "rate.toml",
        &child("\"targets.talents_2030\", \"program.discount_rate\""),
        "rate.toml:2:35: remove[1]: missing field `discount_rate` in program: this entry removed it",
    );
    refused(
        "amount.toml",
        &child("\"instruments.grant.frontier.amount\""),
        "remove[0]: missing field `amount` in instruments.grant.frontier: this entry removed it",
    );
    // The only grant removed, its kind is gone as if never written: a second removal, an
    // uncertain input and a --set of it say the scenario has none (an empty array was taken
    // for one without ids).
    let gone = "\"instruments.grant.frontier\", \"targets.frontier_each_year\", \"targets.frontier_each_year_2030\"";
    refused(
        "twice.toml",
        &child(&format!("{gone}, \"instruments.grant.frontier\"")),
        "remove[3]: cannot remove \"instruments.grant.frontier\": \"grant\" is not in what this file extends",
    );
    refused(
        "uncertain.toml",
        &format!("extends = \"uncertain_effects.toml\"\nremove = [{gone}]\n"),
        "the scenario has no instruments.grant, so no element with id \"frontier\"",
    );
    fs::write(dir.path().join("set.toml"), child(gone)).unwrap();
    let assert = fundsim()
        .args(["validate", dir.path().join("set.toml").to_str().unwrap()])
        .args(["--set", "instruments.grant.frontier.budget=0"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(
            "the scenario has no instruments.grant: --set changes elements its files write"
        ),
        "{stderr}"
    );
}

#[test]
fn an_unknown_target_metric_gets_the_closest_names_and_the_rule() {
    // The baseline has 14 instruments and 7 industries: listing every name a target may read was
    // some 400 names. The message gives the closest ones and how names are made.
    let text = "extends = \"nantong_baseline.toml\"\n[[targets]]\nid = \"talents\"\nmetric = \"talent\"\n\
                \n[[targets]]\nid = \"frontier_each_year\"\nmetric = \"deals_min_per_year.frontierr\"\n";
    let dir = beside_the_bundled(&[("typo.toml", text)]);
    let assert = fundsim()
        .args(["validate", dir.path().join("typo.toml").to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for says in [
        "typo.toml:4:10: targets[0].metric: unknown metric \"talent\": did you mean talents? a target reads a yearly metric",
        "unknown metric \"deals_min_per_year.frontierr\": did you mean deals_min_per_year.frontier,",
        "an instrument's as <metric>.<id> (fiscal_outlay, deployed, money_back, holdings_value, deals, mobilised; ids: frontier, bgt,",
        "a flow's least year as <metric>_min_per_year",
    ] {
        assert!(stderr.contains(says), "{says}\n{stderr}");
    }
    let first = stderr.lines().next().unwrap();
    assert!(first.len() < 2_500, "{} characters", first.len());
}

#[test]
fn the_run_table_s_names_are_padded_to_the_longest() {
    // net_fiscal_cost_with_outstanding (32 characters) overran a 28-character column and pushed
    // its row's numbers one place right of the others.
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nantong_baseline.toml");
    let dir = tempfile::tempdir().unwrap();
    let done = fundsim()
        .args(["run", baseline.to_str().unwrap(), "--paths", "20", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let stdout = String::from_utf8(done.get_output().stdout.clone()).unwrap();
    // The metrics' rows (the header with them): a name padded to one width, then three columns
    // of 12 characters, so every row has the same number of characters.
    let rows: Vec<&str> = (stdout.lines())
        .skip_while(|l| !l.starts_with("metric "))
        .take_while(|l| !l.starts_with("target (deadline)"))
        .collect();
    assert!(
        rows.iter()
            .any(|l| l.starts_with("net_fiscal_cost_with_outstanding ")),
        "{stdout}"
    );
    let width = rows[0].chars().count();
    for row in &rows {
        assert_eq!(row.chars().count(), width, "{row:?} against {:?}", rows[0]);
    }
}

#[test]
fn every_bundled_scenario_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    assert!(!files.is_empty(), "no bundled scenarios");
    for f in files {
        fundsim().arg("validate").arg(&f).assert().success();
    }
}

#[test]
fn json_summarises_the_run_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("j");
    let done = fundsim()
        .args([
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "300",
            "--json",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let output = done.get_output();
    assert!(output.stderr.is_empty(), "--json writes only the document");
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(doc["paths"], 300);
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "targets.csv")
    );
    // Each target's probability and interval are targets.csv's.
    let targets = fs::read_to_string(out.join("targets.csv")).unwrap();
    let scenario = &doc["scenarios"][0];
    assert_eq!(scenario["scenario"], "tiny");
    for t in scenario["targets"].as_array().unwrap() {
        let id = t["target"].as_str().unwrap();
        let p = field(&targets, &[("target", id)], "probability");
        let got = t["probability"].as_f64().unwrap();
        assert!((got - p.parse::<f64>().unwrap()).abs() < 1e-6, "{id}");
    }
    // The cost per additional unicorn here is the mean net fiscal cost over the mean additional
    // unicorns: not summary.csv's `cost_per_additional_unicorn` (a mean of per-path ratios), so
    // not under its key.
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    let mean = |m: &str| -> f64 { field(&summary, &[("metric", m)], "mean").parse().unwrap() };
    let (cost, unicorns) = (mean("net_fiscal_cost"), mean("additional_unicorns"));
    let ratio = &scenario["net_fiscal_cost_mean_over_additional_unicorns_mean"];
    let ratio_mcse = &scenario["net_fiscal_cost_mean_over_additional_unicorns_mean_mcse"];
    if unicorns > 0.0 {
        let got = ratio.as_f64().expect("a number");
        assert!((got / (cost / unicorns) - 1.0).abs() < 1e-6, "{got}");
        // With its delta-method standard error (report::ratio_of_means, checked there against
        // replicates): positive, and below the ratio's own size at 300 paths.
        let se = ratio_mcse.as_f64().expect("a number");
        assert!(se > 0.0 && se < got.abs(), "{se} for {got}");
    } else {
        assert!(ratio.is_null(), "{ratio}");
        assert!(ratio_mcse.is_null(), "{ratio_mcse}");
    }
    assert!(scenario.get("cost_per_additional_unicorn").is_none());
    let quiet = fundsim()
        .args([
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "20",
            "--quiet",
            "--out",
        ])
        .arg(dir.path().join("q"))
        .assert()
        .success();
    assert!(quiet.get_output().stdout.is_empty() && quiet.get_output().stderr.is_empty());
    assert!(dir.path().join("q/summary.csv").exists());
    // --json is for run, compare, merge and actuals; elsewhere it is a flag error that says what
    // the command does instead (validate and report write no CSV table: they said they did).
    let refusal = |args: &[&str]| -> String {
        let assert = fundsim().args(args).arg("--json").assert().code(2);
        String::from_utf8_lossy(&assert.get_output().stderr).to_string()
    };
    let tiny = tiny_path();
    let tiny = tiny.to_str().unwrap();
    let report_dir = dir.path().join("q");
    for (args, says) in [
        (
            vec!["validate", tiny],
            "validate checks files and writes nothing",
        ),
        (
            vec!["report", report_dir.to_str().unwrap()],
            "report writes report.html",
        ),
        (
            vec![
                "sensitivity",
                tiny,
                "--metric",
                "dpi",
                "--input",
                "channels.leakage=0.1..0.2",
            ],
            "sensitivity writes its table to tornado.csv",
        ),
    ] {
        let err = refusal(&args);
        assert!(
            err.contains(says) && err.contains("--json is for run, compare, merge and actuals"),
            "{args:?}: {err}"
        );
        assert!(
            args[0] != "validate" && args[0] != "report" || !err.contains("CSV"),
            "{err}"
        );
    }
}

#[test]
fn paths_parquet_keeps_types_and_says_where_it_came_from() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    run_tiny(dir.path(), 2, 300, 4);
    let mut reader = ParquetReader::new(fs::File::open(dir.path().join("paths.parquet")).unwrap());
    // The run's seed, version and scenario files (with their SHA-256) travel with the file.
    let meta = reader.get_metadata().unwrap().clone();
    let kv: std::collections::BTreeMap<String, String> = meta
        .key_value_metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|k| Some((k.key, k.value?)))
        .collect();
    assert_eq!(kv["fundsim.seed"], "4");
    assert_eq!(kv["fundsim.version"], env!("CARGO_PKG_VERSION"));
    let run: serde_json::Value = serde_json::from_str(&kv["fundsim.run"]).unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run["scenarios"], on_disk["scenarios"]);
    let df = reader.finish().unwrap();
    // Counts are integers, indicators booleans, money and ratios floats; undefined is null.
    assert_eq!(
        df.column("projects_landed").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        df.column("fiscal_outlay").unwrap().dtype(),
        &DataType::Float64
    );
    let met = df
        .schema()
        .iter_names()
        .find(|n| n.starts_with("met."))
        .unwrap()
        .clone();
    assert_eq!(df.column(&met).unwrap().dtype(), &DataType::Boolean);
    let irr = df.column("fiscal_irr").unwrap().f64().unwrap().clone();
    assert!(
        irr.iter().flatten().all(f64::is_finite),
        "NaN is written as null"
    );
    // Means computed from the file are summary.csv's.
    let summary = fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    for name in ["projects_landed", "fiscal_outlay", "money_back"] {
        let col = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
        let values: Vec<f64> = col.f64().unwrap().into_no_null_iter().collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let want: f64 = field(&summary, &[("metric", name)], "mean")
            .parse()
            .unwrap();
        assert!(
            (mean - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{name}: {mean} vs {want}"
        );
    }
}

#[test]
fn english_labels_change_words_never_keys() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nantong_baseline.toml");
    let run = |lang: &str, out: &Path| {
        fundsim()
            .arg("run")
            .arg(&baseline)
            .args([
                "--paths", "20", "--seed", "7", "--lang", lang, "--report", "--quiet",
            ])
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    let (zh, en) = (dir.path().join("zh"), dir.path().join("en"));
    run("zh", &zh);
    run("en", &en);
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    // Every metric and target has an English label: no Chinese left in metrics.csv's labels or
    // targets.csv's, and the keys and numbers are the same as in Chinese.
    for file in ["metrics.csv", "targets.csv"] {
        let (a, b) = (
            fs::read_to_string(zh.join(file)).unwrap(),
            fs::read_to_string(en.join(file)).unwrap(),
        );
        let mut ra = csv::Reader::from_reader(a.trim_start_matches('\u{feff}').as_bytes());
        let mut rb = csv::Reader::from_reader(b.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = ra.headers().unwrap().iter().map(String::from).collect();
        let label = header.iter().position(|h| h == "label").unwrap();
        let (rows_a, rows_b): (Vec<_>, Vec<_>) = (
            ra.records().map(Result::unwrap).collect(),
            rb.records().map(Result::unwrap).collect(),
        );
        assert_eq!(rows_a.len(), rows_b.len());
        for (x, y) in rows_a.iter().zip(&rows_b) {
            assert!(!cjk(&y[label]), "{file}: Chinese left in {:?}", &y[label]);
            for c in (0..header.len()).filter(|&c| c != label) {
                assert_eq!(x[c], y[c], "{file}: {} differs", header[c]);
            }
        }
    }
    // The other files do not depend on the language at all.
    for file in ["summary.csv", "yearly.csv", "paths.parquet"] {
        assert!(
            fs::read(zh.join(file)).unwrap() == fs::read(en.join(file)).unwrap(),
            "{file}"
        );
    }
    let page = fs::read_to_string(en.join("report.html")).unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("simulation report"));
}

#[test]
fn a_budget_that_buys_millions_of_funds_or_loans_is_refused() {
    // 1亿 a year of 20-yuan commitments (a 100-yuan fund at 20%) would set up five million funds a
    // year, each simulated deal by deal: it validated and then ran for hours. Now it is refused at
    // the budget, as is a guarantee volume of a billion one-yuan loans.
    let fund = "\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = \"1亿\"\nfund_size = \"100\"\n\
                city_share = \"20%\"\nticket = \"10元\"\nlocal_multiple = 1.0\n\
                local_preference = \"30%\"\nmanagement_fee = \"2%\"\n";
    let text = format!("{TINY}{fund}");
    let at = place(&text, "\"1亿\"\nfund_size");
    rejects(
        &text,
        &[
            &at,
            "instruments.sub_fund[0].budget",
            "5000000 fund commitments",
            "at most 1000 a year",
        ],
    );
    let guarantee = "\n[[instruments.guarantee]]\nid = \"gu\"\nvolume = \"10亿\"\nloan_size = \"1元\"\n\
                     term_years = 2\ncover_share = \"40%\"\nfee_rate = \"0.5%\"\n\
                     base_default_rate = \"3%\"\nloss_given_default = \"50%\"\n";
    rejects(
        &format!("{TINY}{guarantee}"),
        &[
            "instruments.guarantee[0].volume",
            "1000000000 loans",
            "at most 100000",
        ],
    );
}

#[test]
fn work_that_would_not_finish_is_refused_before_it_starts() {
    // A local base of 300,000 firms would be simulated every year of every path (the fuzzing
    // found 1,000,000 taking 15 s for 3 paths): refused at the industry, with the limit and why.
    let big = TINY.replacen(
        "existing = { count = 30,",
        "existing = { count = 300000,",
        1,
    );
    rejects(
        &big,
        &[
            "industries[0]",
            "firms per path",
            "at most 200000 are simulated",
        ],
    );
    // Subsidy rules expecting millions of claims a year.
    let claims = "\n[[instruments.subsidy]]\nid = \"s\"\nbudget = \"1亿\"\nrationing = \"pro_rata\"\n\
                  [[instruments.subsidy.rules]]\nlabel = \"r\"\nfixed = \"1万\"\nevents_per_firm_year = 100\n";
    let many = TINY.replacen("existing = { count = 30,", "existing = { count = 20000,", 1);
    rejects(
        &format!("{many}{claims}"),
        &["instruments.subsidy", "claims a year", "at most 1000000"],
    );
    // A fund of 2亿 in 1,000-yuan tickets: 200,000 deals, each a firm.
    let fund = "\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = \"4000万\"\nfund_size = \"2亿\"\n\
                city_share = \"20%\"\nticket = \"1000元\"\nlocal_multiple = 1.0\n\
                local_preference = \"30%\"\nmanagement_fee = \"2%\"\n";
    rejects(
        &format!("{TINY}{fund}"),
        &["instruments.sub_fund[0].ticket", "more than 10000 deals"],
    );
}

#[test]
fn a_run_that_would_not_fit_in_memory_is_refused() {
    if std::fs::read_to_string("/proc/meminfo").is_err() {
        eprintln!("skipped: this system does not say how much memory is free");
        return;
    }
    // 1,000,000,000 paths of every bundled scenario: the exact percentiles sort columns of 32 GB.
    // Refused at once (exit 2), with how many paths would fit and how to shard, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut files: Vec<PathBuf> =
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
    files.sort();
    let assert = fundsim()
        .arg("run")
        .args(&files)
        .args(["--paths", "1000000000", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("--paths 1000000000: the run needs about"),
        "{err}"
    );
    assert!(err.contains("run at most"), "{err}");
    assert!(err.contains("--shard I/N"), "{err}");
    assert!(!out.exists());

    // A shard of the same run needs only its own paths' memory: 256 of them here.
    fundsim()
        .args(["run", tiny_path().to_str().unwrap()])
        .args([
            "--paths",
            "1000000000",
            "--shard",
            "5/3906250",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("shard.json").exists());
}

#[test]
fn an_output_path_that_is_a_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out");
    fs::write(&file, "not a directory").unwrap();
    let assert = fundsim()
        .args([
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "10",
            "--out",
        ])
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("this is a file, not a directory"), "{err}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a directory");
}

#[test]
fn a_run_killed_mid_write_leaves_the_previous_output_intact() {
    // A run is killed (SIGKILL) while it writes its files: the final names keep their previous
    // contents, no half-written file appears under them (only temporary `.name.tmp-PID` files).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("summary.csv"), "old").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fundsim"))
        .args([
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "300000",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let mut caught = false;
    while start.elapsed() < std::time::Duration::from_secs(300) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let writing = fs::read_dir(&out).unwrap().any(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.starts_with('.') && name.contains(".tmp-")
        });
        if writing {
            child.kill().unwrap(); // SIGKILL
            caught = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.wait().unwrap();
    assert!(
        caught,
        "the run ended before it could be killed while writing"
    );
    for e in fs::read_dir(&out).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with('.') || name == "summary.csv",
            "{name} appeared under a final name"
        );
    }
    assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "old");
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    // `fundsim validate … | head -1`: the pipe's reader is gone before the lines are written.
    // That is not a bug in fundsim (it used to panic: "failed printing to stdout: Broken pipe",
    // exit 1 or 101): the rest of the text is dropped and the command's own result stands.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fundsim"))
        .arg("validate")
        .arg(root.join("nantong_baseline.toml"))
        .arg(root.join("cmp_all_grants.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
}

#[test]
fn a_fee_written_without_percent_is_reported_at_the_fee_alone() {
    // `management_fee=2` (meant 2%): the fee is refused with its hint, and the 返投 check that
    // reads the fee does not add a fund that "can invest only −900%".
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let assert = fundsim()
        .arg("validate")
        .arg(root.join("nantong_baseline.toml"))
        .args(["--set", "instruments.sub_fund.fof.management_fee=2"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("management_fee: 2 is not allowed"),
        "{stderr}"
    );
    assert!(stderr.contains("if you meant 2%"), "{stderr}");
    assert!(!stderr.contains("local_multiple"), "{stderr}");
}

#[test]
fn a_failed_write_of_the_output_is_not_a_success() {
    // `--json > /dev/full`: the document could not be written, so a script must not read the
    // command as a success (a reader gone, `| head`, is another matter: exit 0, above).
    let Ok(full) = fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("fundsim"))
        .args([
            "--json",
            "run",
            tiny_path().to_str().unwrap(),
            "--paths",
            "20",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .stdout(full)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn precision_on_any_0_1_metric_uses_the_wilson_error_and_refuses_a_tolerance_of_1_or_more() {
    // `fiscal_irr_defined` is 0 on every path of a scenario that invests nothing: its sample
    // MCSE is 0, which says nothing, but it is a probability (unit `probability`), whose Wilson
    // error at 4,096 paths, about 0.98/4096 = 0.00024, is within 1%: the first check stops it.
    let dir = tempfile::tempdir().unwrap();
    let poisson = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/poisson.toml");
    let out = dir.path().join("out");
    fundsim()
        .arg("run")
        .arg(&poisson)
        .args([
            "--paths",
            "12288",
            "--precision",
            "fiscal_irr_defined=1%",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["scenarios"][0]["paths"], 4096, "{json}");
    let refused = fundsim()
        .arg("run")
        .arg(&poisson)
        .args(["--precision", "p.projects=80", "--out"])
        .arg(dir.path().join("no"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(stderr.contains("below 1"), "{stderr}");
    // A scientific tolerance is a number, as it always was.
    fundsim()
        .arg("run")
        .arg(&poisson)
        .args([
            "--paths",
            "100",
            "--precision",
            "p.projects=1e-2",
            "--quiet",
            "--out",
        ])
        .arg(dir.path().join("sci"))
        .assert()
        .success();
}
