//! The output directory as a whole: its files replaced all or nothing.

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

/// Every entry of `dir` (hidden ones too) with its bytes (`None` for a directory), by name.
fn listing(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut all: Vec<_> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = (!e.path().is_dir()).then(|| fs::read(e.path()).expect("read"));
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
