//! A run split into shards (`run --shard I/N`) and merged (`fundsim merge`) writes the same bytes
//! as one run of all paths with the same seed, whatever the number of shards, their sizes and the
//! order they are given in; the merge refuses shards of another run, a missing or repeated shard,
//! shards of two splits, another version or build, changed scenario files and an --out that is one
//! of the shards (exit 2).

use assert_cmd::Command;
use polars::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::RUN_FILES;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run in the repository (shards record the directory they ran in; the merge runs
/// there too).
fn fundsim() -> Command {
    let mut c = Command::cargo_bin("fundsim").expect("binary");
    c.current_dir(root());
    c
}

/// Two scenarios on common random numbers: the tiny test scenario and a variant of it.
fn scenarios(dir: &Path) -> Vec<String> {
    let variant = dir.join("variant.toml");
    fs::write(
        &variant,
        format!(
            "extends = {:?}\n[scenario]\nname = \"variant\"\n[time]\nhorizon_years = 9\n",
            root().join("tests/data/tiny.toml").to_str().expect("utf-8")
        ),
    )
    .expect("write variant");
    vec![
        "tests/data/tiny.toml".into(),
        variant.to_str().expect("utf-8").into(),
    ]
}

fn run(files: &[String], paths: u64, seed: u64, shard: Option<&str>, out: &Path) {
    simulate("run", files, (paths, seed), shard, out);
}

/// `fundsim compare` of `files` (the first the base), or a shard of it.
fn compare(files: &[String], paths: u64, seed: u64, shard: Option<&str>, out: &Path) {
    simulate("compare", files, (paths, seed), shard, out);
}

/// `fundsim <command>` (run or compare) of `files` with `paths` and `seed`, or shard `shard` of it.
fn simulate(
    command: &str,
    files: &[String],
    (paths, seed): (u64, u64),
    shard: Option<&str>,
    out: &Path,
) {
    let mut c = fundsim();
    c.arg(command)
        .args(files)
        .args(["--paths", &paths.to_string(), "--seed", &seed.to_string()])
        .arg("--out")
        .arg(out)
        .arg("--quiet");
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    c.assert().success();
}

fn merge(dirs: &[PathBuf], out: &Path) -> assert_cmd::assert::Assert {
    fundsim()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
}

/// `fundsim merge` of `dirs` into `dir/refused` must exit 2 saying `says` and write nothing.
fn refused_in(dir: &Path, dirs: &[PathBuf], says: &str) {
    let out = dir.join("refused");
    let assert = merge(dirs, &out).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains(says), "expected `{says}` in: {stderr}");
    assert!(!out.exists(), "a refused merge wrote {}", out.display());
}

fn same_files(a: &Path, b: &Path, what: &str) {
    for f in RUN_FILES {
        assert!(
            fs::read(a.join(f)).expect("file") == fs::read(b.join(f)).expect("file"),
            "{f} differs: {what}"
        );
    }
}

/// Shards `0..n` of a run, written under `dir`.
fn shards(files: &[String], paths: u64, seed: u64, n: u64, dir: &Path) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let out = dir.join(format!("shard{i}of{n}"));
            run(files, paths, seed, Some(&format!("{i}/{n}")), &out);
            out
        })
        .collect()
}

#[test]
fn merged_shards_are_byte_identical_to_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = scenarios(dir.path());
    // 2,321 paths: nine full chunks and a partial tenth.
    let paths = 9 * 256 + 17;
    let whole = dir.path().join("whole");
    run(&files, paths, 5, None, &whole);

    // Three shards (3, 3 and 4 chunks), given in reverse order.
    let three = shards(&files, paths, 5, 3, dir.path());
    let merged = dir.path().join("merged3");
    let reversed: Vec<PathBuf> = three.iter().rev().cloned().collect();
    merge(&reversed, &merged).success();
    same_files(&whole, &merged, "3 shards against one run");

    // Seven shards of unequal sizes (one or two chunks each; the last holds the partial chunk).
    let seven = shards(&files, paths, 5, 7, dir.path());
    let merged = dir.path().join("merged7");
    merge(&seven, &merged).success();
    same_files(&whole, &merged, "7 unequal shards against one run");

    // A shard holds only its paths.
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(seven[6].join("shard.json")).expect("shard.json"))
            .expect("json");
    assert_eq!(json["shard"]["first_path"], 8 * 256);
    assert_eq!(json["shard"]["end_path"], paths);
    // ... and names them by their index in the run, scenario after scenario.
    let df = ParquetReader::new(fs::File::open(seven[6].join("paths.parquet")).expect("parquet"))
        .with_columns(Some(vec!["path".into()]))
        .finish()
        .expect("read a shard's paths.parquet");
    let got: Vec<u64> = (df.column("path").expect("path").u64().expect("u64"))
        .iter()
        .map(|p| p.expect("a path"))
        .collect();
    let want: Vec<u64> = (0..2).flat_map(|_| 8 * 256..paths).collect();
    assert_eq!(got, want);

    // --json: the merged run's headline numbers, as `run --json` prints them.
    let out = dir.path().join("merged-json");
    let assert = fundsim()
        .arg("merge")
        .args(&three)
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .assert()
        .success();
    let doc: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("merge --json prints JSON");
    assert_eq!(doc["paths"], paths);
    assert_eq!(doc["seed"], 5);
    assert_eq!(doc["scenarios"].as_array().map(Vec::len), Some(2));
}

#[test]
fn merged_shards_of_a_comparison_are_byte_identical_to_one_comparison() {
    // `compare --shard I/N` of a base and two others: the merge writes comparison.csv beside the
    // run's files and prints the comparison's table, the same bytes as one `fundsim compare` of
    // all paths writes and prints (three shards of 3, 3 and 4 chunks).
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = scenarios(dir.path());
    let third = dir.path().join("third.toml");
    fs::write(
        &third,
        format!(
            "extends = {:?}\n[scenario]\nname = \"third\"\n[time]\nhorizon_years = 7\n",
            root().join("tests/data/tiny.toml").to_str().expect("utf-8")
        ),
    )
    .expect("write third");
    files.push(third.to_str().expect("utf-8").into());
    let paths = 9 * 256 + 17;
    let printed = |args: &[&str], out: &Path| -> Vec<u8> {
        let assert = fundsim()
            .args(args)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
        assert.get_output().stdout.clone()
    };
    let whole = dir.path().join("whole");
    let mut args: Vec<&str> = vec!["compare"];
    args.extend(files.iter().map(String::as_str));
    let (n, s) = (paths.to_string(), "5".to_string());
    args.extend(["--paths", &n, "--seed", &s]);
    let one = printed(&args, &whole);
    let three: Vec<PathBuf> = (0..3)
        .map(|i| {
            let out = dir.path().join(format!("compare{i}of3"));
            compare(&files, paths, 5, Some(&format!("{i}/3")), &out);
            out
        })
        .collect();
    let merged = dir.path().join("merged");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(three.iter().map(|d| d.to_str().expect("utf-8")));
    let merged_printed = printed(&args, &merged);
    same_files(
        &whole,
        &merged,
        "3 shards of a comparison against one comparison",
    );
    let comparison = fs::read(whole.join("comparison.csv")).expect("one comparison's");
    let text = String::from_utf8_lossy(&comparison).to_string();
    for name in ["variant", "third"] {
        assert!(text.contains(name), "{name} in comparison.csv");
    }
    assert!(
        comparison == fs::read(merged.join("comparison.csv")).expect("the merged comparison's"),
        "comparison.csv differs"
    );
    assert!(
        String::from_utf8_lossy(&one).contains("variant"),
        "the comparison's table"
    );
    assert_eq!(
        String::from_utf8_lossy(&one),
        String::from_utf8_lossy(&merged_printed),
        "what the merge prints against what compare prints"
    );

    // A shard of `run` and shards of `compare` of the same scenarios are two commands' shards:
    // refused (exit 2), naming both, and nothing written.
    let refused = |dirs: &[PathBuf], says: &str| refused_in(dir.path(), dirs, says);
    let run_shard = dir.path().join("run1of3");
    run(&files, paths, 5, Some("1/3"), &run_shard);
    refused(
        &[three[0].clone(), run_shard.clone(), three[2].clone()],
        &format!(
            "{} is a shard of `fundsim compare` and {} of `fundsim run`: merge the shards of one command",
            three[0].display(),
            run_shard.display()
        ),
    );
    // A shard.json whose command is neither is damaged, not taken for a run.
    let header = fs::read_to_string(three[1].join("shard.json")).expect("shard.json");
    let edited = header.replace("\"command\": \"compare\"", "\"command\": \"Compare\"");
    assert_ne!(header, edited, "the command is recorded");
    fs::write(three[1].join("shard.json"), edited).expect("edit");
    refused(
        &three,
        &format!(
            "{}: shard.json's command is \"Compare\", not \"run\" or \"compare\"",
            three[1].display()
        ),
    );
}

#[test]
fn merge_refuses_what_is_not_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = scenarios(dir.path());
    let paths = 4 * 256;
    let ours = shards(&files, paths, 5, 2, dir.path());
    let refused = |dirs: &[PathBuf], says: &str| refused_in(dir.path(), dirs, says);

    // Another seed.
    let other_seed = dir.path().join("seed6");
    run(&files, paths, 6, Some("1/2"), &other_seed);
    refused(&[ours[0].clone(), other_seed], "they differ in seed");
    // A shard missing, or given twice.
    refused(&ours[..1], "the run has 2 shards");
    refused(&[ours[0].clone(), ours[0].clone()], "the run has 2 shards");
    // Shards of two splits (0 and 1 of 3 with 1 of 2): the odd one is named, not taken for a
    // repeated shard 1.
    let three = shards(&files, paths, 5, 3, dir.path());
    refused(
        &[three[0].clone(), three[1].clone(), ours[1].clone()],
        &format!(
            "the shards are of different splits of the run: {} is shard 1 of 2, the others are of 3",
            ours[1].display()
        ),
    );
    refused(
        &[ours[0].clone(), three[2].clone()],
        &format!("{} is shard 2 of 3, the other is of 2", three[2].display()),
    );
    // Another build: outputs change between builds of one version, so a shard records the
    // SHA-256 of the executable that ran it, and the merge refuses shards of another build (of
    // each other's, or of the merging binary's).
    let ours_build = {
        use sha2::{Digest, Sha256};
        let exe = fs::read(assert_cmd::cargo::cargo_bin("fundsim")).expect("the binary");
        let hex: String = (Sha256::digest(&exe).iter())
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    };
    let other_build = format!("sha256:{}", "0".repeat(64));
    let rebuilt = |shard: &Path, name: &str| -> PathBuf {
        let to = dir.path().join(name);
        fs::create_dir_all(&to).expect("dir");
        for f in ["paths.parquet", "yearly.bin", "shard.json"] {
            fs::copy(shard.join(f), to.join(f)).expect("copy");
        }
        let header = fs::read_to_string(to.join("shard.json")).expect("shard.json");
        let recorded = format!("\"build\": \"{ours_build}\"");
        assert!(header.contains(&recorded), "{recorded} in {header}");
        fs::write(
            to.join("shard.json"),
            header.replace(&recorded, &format!("\"build\": \"{other_build}\"")),
        )
        .expect("write");
        to
    };
    let other1 = rebuilt(&ours[1], "other-build-1");
    refused(
        &[ours[0].clone(), other1.clone()],
        &format!(
            "{} and {} were written by different builds of fundsim ({ours_build} and {other_build})",
            ours[0].display(),
            other1.display()
        ),
    );
    let other0 = rebuilt(&ours[0], "other-build-0");
    refused(
        &[other0, other1],
        &format!("written by the fundsim build {other_build}, this one is {ours_build}"),
    );
    // Another version.
    let old = dir.path().join("old");
    fs::create_dir_all(&old).expect("dir");
    for f in ["paths.parquet", "yearly.bin", "shard.json"] {
        fs::copy(ours[1].join(f), old.join(f)).expect("copy");
    }
    let header = fs::read_to_string(old.join("shard.json")).expect("shard.json");
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(header.contains(&version));
    fs::write(
        old.join("shard.json"),
        header.replace(&version, "\"version\": \"0.0.1\""),
    )
    .expect("write");
    refused(&[ours[0].clone(), old.clone()], "they differ in version");
    // A damaged partial result.
    fs::copy(ours[1].join("shard.json"), old.join("shard.json")).expect("copy");
    let mut bytes = fs::read(old.join("yearly.bin")).expect("yearly.bin");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(old.join("yearly.bin"), bytes).expect("write");
    refused(&[ours[0].clone(), old], "changed or is damaged");
    // Not a shard.
    refused(&[ours[0].clone(), dir.path().to_path_buf()], "not a shard");
    // An --out that is one of the shards (however spelled): its files would be written over.
    let before = fs::read(ours[0].join("paths.parquet")).expect("paths.parquet");
    for out in [ours[0].clone(), ours[0].join(".")] {
        let assert = merge(&ours, &out).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(
            stderr.contains("being merged, whose files the merge would write over"),
            "{stderr}"
        );
    }
    assert_eq!(
        fs::read(ours[0].join("paths.parquet")).expect("paths.parquet"),
        before
    );
    assert!(!ours[0].join("summary.csv").exists());
    // A scenario file changed after the shards ran.
    let variant = PathBuf::from(&files[1]);
    let text = fs::read_to_string(&variant).expect("variant");
    fs::write(
        &variant,
        text.replace("horizon_years = 9", "horizon_years = 8"),
    )
    .expect("write");
    refused(&ours, "changed since the shards ran");
}

#[test]
fn run_refuses_shards_it_cannot_make() {
    // `fundsim <before> --paths 600 <args> --out …` must exit 2 saying `says`.
    let refuses = |before: &[&str], args: &[&str], says: &str| {
        let assert = fundsim()
            .args(before)
            .args(["--paths", "600", "--quiet"])
            .args(args)
            .args(["--out", "/nonexistent/never-written"])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(says), "expected `{says}` in: {stderr}");
    };
    let bad = |args: &[&str], says: &str| refuses(&["run", "tests/data/tiny.toml"], args, says);
    bad(&["--shard", "3/3"], "I must be from 0 to N − 1 = 2");
    bad(&["--shard", "1/4"], "at most 3 shards");
    bad(&["--shard", "one/2"], "is not a whole number");
    bad(
        &["--shard", "0/2", "--deals", "5"],
        "--shard cannot be used with --deals",
    );
    bad(
        &["--shard", "0/2", "--precision", "fiscal_outlay=1"],
        "--shard cannot be used with --precision",
    );
    // A comparison's shard refuses what only the merge writes, and bad shards, as a run's does.
    let dir = tempfile::tempdir().expect("tempdir");
    let files = scenarios(dir.path());
    let mut before = vec!["compare"];
    before.extend(files.iter().map(String::as_str));
    let compare = |args: &[&str], says: &str| refuses(&before, args, says);
    compare(
        &["--shard", "0/2", "--report"],
        "--shard cannot be used with --report or --format xlsx",
    );
    compare(
        &["--shard", "0/2", "--format", "xlsx"],
        "--shard cannot be used with --report or --format xlsx",
    );
    compare(&["--shard", "2/2"], "I must be from 0 to N − 1 = 1");
}
