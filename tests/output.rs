//! The output directory as a whole: its files replaced all or nothing, a command's files never
//! mixed with another run's, and no text cell a spreadsheet would run as a formula.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn fundsim() -> Command {
    Command::cargo_bin("fundsim").expect("binary")
}

/// `tests/data/tiny.toml` under another scenario name, written into `dir`.
fn tiny_named(dir: &Path, name: &str) -> PathBuf {
    let text = include_str!("data/tiny.toml").replacen(
        "name = \"tiny\"",
        &format!("name = {}", toml_string(name)),
        1,
    );
    assert!(
        text.contains(&toml_string(name)),
        "tiny.toml's name line moved"
    );
    let path = dir.join(format!("s{}.toml", name.len()));
    fs::write(&path, text).expect("write scenario");
    path
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Every entry of `dir` (hidden ones too) with its length and a hash of its bytes (`None` for a
/// directory), by name.
fn listing(dir: &Path) -> Vec<(String, Option<(usize, u64)>)> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut all: Vec<_> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = (!e.path().is_dir()).then(|| {
                let bytes = fs::read(e.path()).expect("read");
                let mut h = DefaultHasher::new();
                bytes.hash(&mut h);
                (bytes.len(), h.finish())
            });
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    all.sort();
    all
}

fn run(scenario: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    fundsim()
        .arg("run")
        .arg(scenario)
        .args(["--paths", "200", "--seed", "5", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
}

#[test]
fn a_run_that_cannot_replace_every_file_replaces_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    run(
        &tiny_named(dir.path(), "first"),
        &out,
        &["--format", "xlsx"],
    )
    .success();
    // A directory where the next run must put yearly.csv: its rename cannot succeed.
    fs::remove_file(out.join("yearly.csv")).expect("remove");
    fs::create_dir(out.join("yearly.csv")).expect("mkdir");
    let before = listing(&out);
    let second = tiny_named(dir.path(), "second scenario");
    let failed = run(&second, &out, &["--format", "xlsx"]).code(1);
    // Every file of the first run as it was, nothing of the second, no temporary left.
    assert_eq!(listing(&out), before);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(stderr.contains("yearly.csv is a directory"), "{stderr}");
}

#[test]
fn a_report_charts_a_comparison_only_beside_its_own_scenarios() {
    // `compare` of two scenarios, then a run of a third into the same directory with --report: the
    // comparison.csv left there is the other scenarios', so the new report.html charts no
    // comparison; `report DIR` of the compare's own directory does.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let (first, other) = (
        tiny_named(dir.path(), "first"),
        tiny_named(dir.path(), "other one"),
    );
    let third = tiny_named(dir.path(), "the third");
    let compare = |out: &Path| {
        fundsim()
            .arg("compare")
            .args([&first, &other])
            .args([
                "--paths", "200", "--seed", "5", "--quiet", "--report", "--out",
            ])
            .arg(out)
            .assert()
            .success();
    };
    compare(&out);
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        html.contains("data-chart=\"comparison\""),
        "the compare's own report"
    );
    run(&third, &out, &["--report"]).success();
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        out.join("comparison.csv").exists(),
        "the earlier file stays"
    );
    assert!(!html.contains("data-chart=\"comparison\""));
    assert!(html.contains("the third") && !html.contains("other one"));
}

/// The names in `dir`, in order.
fn names(dir: &Path) -> Vec<String> {
    listing(dir).into_iter().map(|(name, _)| name).collect()
}

/// Whether a spreadsheet opening the CSV would take `cell` for the start of a formula, unless it is
/// a plain number (`-12.5`).
fn would_run(cell: &str) -> bool {
    let number = {
        let digits = cell.strip_prefix('-').unwrap_or(cell);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        !whole.is_empty()
            && !fraction.is_empty()
            && (whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
    };
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number
}

#[test]
fn no_text_cell_runs_as_a_formula_in_a_spreadsheet() {
    const NAME: &str = "=cmd|' /C calc'!A0";
    let dir = tempfile::tempdir().expect("tempdir");
    // The scenario's name, a target's label and an instrument's id as a spreadsheet would run them.
    let scenario = tiny_named(dir.path(), NAME);
    let text = fs::read_to_string(&scenario).expect("read");
    let text = text
        .replacen("label = \"新落户科创项目\"", "label = \"@SUM(1+1)\"", 1)
        .replacen("id = \"frontier\"", "id = \"-frontier\"", 1);
    assert!(text.contains("@SUM(1+1)") && text.contains("\"-frontier\""));
    fs::write(&scenario, text).expect("write");
    let out = dir.path().join("out");
    run(
        &scenario,
        &out,
        &["--deals", "3", "--format", "xlsx", "--report"],
    )
    .success();
    let ledger = dir.path().join("ledger.csv");
    fs::write(&ledger, "year,projects_landed\n2024,12\n").expect("ledger");
    fundsim()
        .args(["actuals", "--quiet", "--actuals"])
        .arg(&ledger)
        .arg("--from")
        .arg(&out)
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();

    let (mut guarded, mut negative) = (Vec::new(), 0);
    for name in names(&out).iter().filter(|n| n.ends_with(".csv")) {
        let text = fs::read_to_string(out.join(name)).expect("csv");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for row in reader.records() {
            for cell in row.expect("row").iter() {
                assert!(!would_run(cell), "{name}: {cell:?}");
                if cell.starts_with('\'') {
                    guarded.push((name.clone(), cell.to_string()));
                }
                negative += usize::from(cell.starts_with('-'));
            }
        }
    }
    // The text is there, behind a single quote; negative numbers are still numbers.
    let has = |file: &str, cell: &str| guarded.contains(&(file.to_string(), cell.to_string()));
    for file in [
        "summary.csv",
        "targets.csv",
        "yearly.csv",
        "indicators.csv",
        "metrics.csv",
        "deals.csv",
        "actuals.csv",
    ] {
        assert!(has(file, &format!("'{NAME}")), "{file}: {guarded:?}");
    }
    assert!(has("targets.csv", "'@SUM(1+1)"));
    assert!(has("deals.csv", "'-frontier"));
    assert!(negative > 0, "no negative number left as a number");

    // fundsim.xlsx writes text as text: the name as it is, and not a formula anywhere.
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(out.join("fundsim.xlsx")).expect("open fundsim.xlsx");
    let summary = book.worksheet_range("汇总").expect("汇总");
    assert_eq!(summary.get((1, 0)), Some(&Data::String(NAME.into())));
    for sheet in book.sheet_names() {
        let formulas = book.worksheet_formula(&sheet).expect("formulas");
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{sheet} has a formula"
        );
    }
    // report.html, made from the CSV files, shows the name as it is.
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains(NAME) && !html.contains(&format!("'{NAME}")));
}

/// Ctrl-C in the middle of a run: the process removes its unfinished hidden files (a long run's
/// `paths.parquet` grows to hundreds of megabytes) and ends by the signal; the directory keeps
/// exactly what it held before. Without the signal thread, SIGINT ended the process where it stood
/// and left `.paths.parquet.tmp-PID` behind.
#[cfg(unix)]
#[test]
fn ctrl_c_leaves_the_directory_as_it_was() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("summary.csv"), "an earlier run's\n").expect("write");
    let before = listing(&out);
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nantong_baseline.toml");
    // Far more paths than the test waits for: it is stopped long before the end. SIGINT is set
    // back to its default action in the child: a test run as a shell's background job inherits it
    // ignored, and fundsim rightly leaves an ignored signal ignored.
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("fundsim"));
    command
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "1000000", "--threads", "1", "--quiet", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped());
    // SAFETY: `signal` is async-signal-safe, as code between fork and exec must be.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().expect("spawn");
    let tmp = out.join(format!(".paths.parquet.tmp-{}", child.id()));
    let start = Instant::now();
    while !tmp.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "no {tmp:?}");
        assert!(child.try_wait().expect("wait").is_none(), "ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // A deadline, so that a Ctrl-C that is not acted on fails the test rather than waiting for a
    // million paths.
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if stopped.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running a minute after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Ended by the signal itself (a shell's `$?` is 130), so that a script's loop stops too.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    assert!(
        stderr.contains("stopped by Ctrl-C; its unfinished files were removed"),
        "{stderr}"
    );
    assert_eq!(listing(&out), before);
}

/// A fundsim killed outright (SIGKILL, the out-of-memory killer) cannot clean up; the next command
/// writing into the directory removes what a process that no longer exists left: an unfinished
/// `.NAME.tmp-PID` is deleted, a `.NAME.old-PID` its commit had moved aside is moved back if
/// `NAME` is missing and deleted if the new `NAME` is there. A live process's files and other
/// hidden files are not touched.
#[cfg(target_os = "linux")]
#[test]
fn files_left_by_a_killed_process_are_cleared_by_the_next_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    // The number of a process that has ended (and been waited for, so it no longer exists).
    let mut gone = std::process::Command::new("true").spawn().expect("spawn");
    gone.wait().expect("wait");
    let gone = gone.id();
    let live = std::process::id();
    fs::write(out.join(format!(".paths.parquet.tmp-{gone}")), "half").expect("write");
    fs::write(out.join(format!(".deals.csv.old-{gone}")), "old deals").expect("write");
    fs::write(out.join("notes.csv"), "new notes").expect("write");
    fs::write(out.join(format!(".notes.csv.old-{gone}")), "old notes").expect("write");
    fs::write(out.join(format!(".summary.csv.tmp-{live}")), "live").expect("write");
    fs::write(out.join(".mine.tmp-x1"), "a user's").expect("write");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
    run(&scenario, &out, &[]).success();
    let names: Vec<String> = listing(&out).into_iter().map(|(name, _)| name).collect();
    assert!(
        !names.contains(&format!(".paths.parquet.tmp-{gone}")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains(".old-")), "{names:?}");
    assert_eq!(
        fs::read_to_string(out.join("deals.csv")).expect("deals"),
        "old deals"
    );
    assert_eq!(
        fs::read_to_string(out.join("notes.csv")).expect("notes"),
        "new notes"
    );
    assert!(
        names.contains(&format!(".summary.csv.tmp-{live}")),
        "{names:?}"
    );
    assert!(names.contains(&".mine.tmp-x1".to_string()), "{names:?}");
    assert!(names.contains(&"summary.csv".to_string()), "{names:?}");
}

#[test]
fn a_report_charts_a_comparison_only_beside_its_own_run_of_the_same_scenarios() {
    // `compare` of two scenarios, then a `run` of the same two with other paths, or the same
    // paths and another seed, into the same directory with --report: the comparison.csv left
    // there has the run's scenario names but is not the run's (other `n`, other means), so the
    // new report charts no comparison. A compare's own report still does (its summary.csv and
    // comparison.csv are one run's), also when `fundsim report` makes it again.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let (first, other) = (
        tiny_named(dir.path(), "first"),
        tiny_named(dir.path(), "other one"),
    );
    let compare = || {
        fundsim()
            .arg("compare")
            .args([&first, &other])
            .args([
                "--paths", "200", "--seed", "5", "--quiet", "--report", "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let html = fs::read_to_string(out.join("report.html")).expect("report.html");
        assert!(
            html.contains("data-chart=\"comparison\""),
            "the compare's own report"
        );
    };
    let charted = |paths: &str, seed: &str| -> bool {
        fundsim()
            .arg("run")
            .args([&first, &other])
            .args(["--paths", paths, "--seed", seed, "--quiet", "--report"])
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        assert!(
            out.join("comparison.csv").exists(),
            "the earlier file stays"
        );
        let html = fs::read_to_string(out.join("report.html")).expect("report.html");
        assert!(html.contains("other one"));
        html.contains("data-chart=\"comparison\"")
    };
    compare();
    assert!(
        !charted("300", "5"),
        "a comparison of 200 paths beside a run of 300"
    );
    compare();
    assert!(
        !charted("200", "6"),
        "a comparison of seed 5 beside a run of seed 6"
    );
    // The same run again (same paths, same seed): the comparison is this run's.
    compare();
    assert!(charted("200", "5"), "the comparison of this very run");
    compare();
    fundsim().arg("report").arg(&out).assert().success();
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        html.contains("data-chart=\"comparison\""),
        "report DIR of a compare"
    );
}

/// The rows of a CSV file (its BOM dropped), each as a map from column to value.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|x| {
            header
                .iter()
                .cloned()
                .zip(x.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn metrics_csv_says_which_yearly_rows_to_sum() {
    // metrics.csv's `reading` of a yearly metric: `flow`, a year's row is what was booked that
    // year (so summary.csv's total of the same name is the sum of the yearly means), or `stock`,
    // the value at the year's end (so the horizon's value is the last year's mean). Checked on
    // every yearly metric that summary.csv also has, on the baseline (means of the same paths;
    // money to the fen in both files).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nantong_baseline.toml");
    run(&baseline, &out, &[]).success();
    let metrics = csv_rows(&out.join("metrics.csv"));
    let summary = csv_rows(&out.join("summary.csv"));
    let yearly = csv_rows(&out.join("yearly.csv"));
    let (mut flows, mut stocks) = (0, 0);
    for m in metrics.iter().filter(|m| m["table"] == "yearly") {
        let name = &m["metric"];
        // (The summary's additional unicorns and chain leaders are the firms the policy made
        // one at any time in the period, not at its end: another number, labelled 期内.)
        if ["additional_unicorns", "additional_chain_leaders"].contains(&name.as_str()) {
            continue;
        }
        let Some(total) = summary.iter().find(|s| &s["metric"] == name) else {
            continue;
        };
        let total: f64 = total["mean"].parse().unwrap();
        let years: Vec<f64> = (yearly.iter())
            .filter(|y| &y["metric"] == name)
            .map(|y| y["mean"].parse().unwrap())
            .collect();
        let expected = match m["reading"].as_str() {
            "flow" => {
                flows += 1;
                years.iter().sum::<f64>()
            }
            "stock" => {
                stocks += 1;
                *years.last().unwrap()
            }
            other => panic!("{name}: reading {other:?}"),
        };
        assert!(
            (total - expected).abs() <= 1e-6 * total.abs() + 0.01 * years.len() as f64,
            "{name} ({}): summary {total}, from the years {expected}",
            m["reading"]
        );
    }
    assert!(
        flows > 10 && stocks > 5,
        "{flows} flows, {stocks} stocks checked"
    );
    assert!(
        metrics
            .iter()
            .filter(|m| m["table"] == "summary")
            .all(|m| m["reading"].is_empty())
    );
}

#[test]
fn a_run_names_the_files_an_earlier_command_left_that_no_longer_match() {
    // A run with a workbook, deals and a report, then a run of more paths without them: the old
    // fundsim.xlsx, deals.csv and report.html stay (a command replaces only its own files) and
    // the second run says so; a run that writes them anew says nothing. A comparison.csv is named
    // only when it is not the run's (other paths), as the report decides.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let (first, other) = (
        tiny_named(dir.path(), "first"),
        tiny_named(dir.path(), "other one"),
    );
    // Without --quiet, whose stderr says nothing.
    let stderr = |cmd: &str, paths: &str, extra: &[&str]| -> String {
        let assert = fundsim()
            .arg(cmd)
            .args([&first, &other])
            .args(["--paths", paths, "--seed", "5"])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        // The note's line only (the "wrote" line names the files written).
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        (stderr.lines().filter(|l| l.starts_with("note:")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let all = ["--format", "xlsx", "--deals", "2", "--report"];
    assert!(!stderr("run", "200", &all).contains("note:"));
    let said = stderr("run", "300", &[]);
    assert!(
        said.contains(
            "note: fundsim.xlsx, report.html, deals.csv in {out} were not written by this command and may not show these results (write them anew with --format xlsx, --report or run --deals K, or delete them)"
                .replace("{out}", &out.display().to_string())
                .as_str()
        ),
        "{said}"
    );
    assert!(!stderr("run", "300", &all).contains("note:"));
    assert!(
        !stderr("run", "300", &["--quiet"]).contains("note:"),
        "quiet"
    );
    assert!(!stderr("run", "300", &["--json"]).contains("note:"), "json");
    // A shard's directory: no note of the workbook, report or deals a shard cannot write.
    assert!(
        !stderr("run", "300", &["--shard", "1/2"]).contains("note:"),
        "shard"
    );

    // compare writes comparison.csv; a run of the same paths and seed leaves it the run's.
    let said = stderr("compare", "200", &["--format", "xlsx", "--report"]);
    assert!(
        said.contains("deals.csv") && !said.contains("comparison.csv"),
        "{said}"
    );
    let said = stderr("run", "200", &["--format", "xlsx"]);
    assert!(
        !said.contains("comparison.csv") && said.contains("report.html"),
        "{said}"
    );
    let said = stderr("run", "300", &all);
    assert!(
        said.contains("note: comparison.csv in")
            && said.contains(
                "was not written by this command and may not show these results (write it anew with compare, or delete it)"
            ),
        "{said}"
    );
}
