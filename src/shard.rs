//! Shards and their merge: a run's paths split across processes or machines.
//!
//! `fundsim run ... --shard I/N` (I from 0 to N−1; `fundsim compare ... --shard I/N` likewise, and
//! `shard.json` says which command) simulates only the paths of its share of the
//! run's chunks ([`crate::run::shard_chunks`]: contiguous, chunk-aligned, sizes differing by at most
//! one chunk). Every path keeps its index, so its random numbers are those of the whole run. The
//! shard writes a partial result instead of the run's files:
//! - `paths.parquet`: its paths' rows, scenario after scenario, as a run writes them;
//! - `yearly.bin`: each scenario's yearly accumulators (exact integer sums and the sketches'
//!   bucket counts, [`crate::stats::sketch::Sketch::encode`]) and its firm-years;
//! - `shard.json`: what the merge checks: the format, fundsim's version and build (the SHA-256 of
//!   the executable, [`build_identity`]), seed, paths, the shard's index, count and paths, the
//!   scenario files as given and the `--set` overrides, the directory the shard ran in, the run's
//!   `run.json` (every file's SHA-256), and the SHA-256 of the two files above.
//!
//! `fundsim merge DIR... --out DIR` reads any number of shards of one run (in any order), refuses
//! shards of different commands, runs, versions, builds or seeds, a missing or repeated shard and changed
//! scenario files (exit 2), reads the scenario files again (from the directory the shards ran in), adds the
//! yearly accumulators (integer sums: exact and order-free), copies the rows into one
//! `paths.parquet` in row groups of [`BATCH`] × [`CHUNK`] paths, as a single run cuts them, and
//! writes every file of the run through the same code ([`crate::app::finish`]; for a comparison's
//! shards, `comparison.csv` too). The merged
//! directory is byte for byte the directory of one run of all paths with the same seed (tested).
//!
//! Not with shards: `--deals` (the first paths' positions: run them once, without `--shard`) and
//! `--precision` (a stopping rule over the whole run).

use crate::app::{
    AppError, Finish, Loaded, Options, RunReport, finish, load_all_with, paths_writer,
};
use crate::output::Staging;
use crate::run::{BATCH, CHUNK, RunSettings, ScenarioRun, YearlyCell, shard_chunks};
use crate::scenario::load::{hex, read_limited};
use crate::scenario::{ScenarioFile, ScenarioSource};
use crate::stats::sketch::{Sketch, take_u64};
use polars::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The `format` of `shard.json`.
pub const FORMAT: &str = "fundsim-shard-1";
const YEARLY_MAGIC: &[u8; 8] = b"FSYEARLY";

/// Reads `--shard I/N`: shard `I` (0 to N−1) of `N`, for a run of `paths` paths (at most one shard
/// per chunk of 256 paths).
pub fn parse(spec: &str, paths: u64) -> Result<(u64, u64), AppError> {
    let bad = |why: String| {
        AppError::BadInput(format!(
            "error: --shard {spec}: {why}; write I/N, shard I of N counted from 0 (0/4, 1/4, 2/4, 3/4)"
        ))
    };
    let (i, n) = spec
        .split_once('/')
        .ok_or_else(|| bad("not of the form I/N".into()))?;
    let parse = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| bad(format!("`{t}` is not a whole number")))
    };
    let (i, n) = (parse(i)?, parse(n)?);
    if n == 0 || i >= n {
        return Err(bad(format!(
            "I must be from 0 to N − 1 = {}",
            n.saturating_sub(1)
        )));
    }
    let chunks = paths.div_ceil(CHUNK);
    if n > chunks {
        return Err(bad(format!(
            "{paths} paths are {chunks} chunks of {CHUNK}: at most {chunks} shards"
        )));
    }
    Ok((i, n))
}

/// The run's settings restricted to shard `(index, count)`.
pub fn settings(settings: RunSettings, (index, count): (u64, u64)) -> RunSettings {
    RunSettings {
        chunks: Some(shard_chunks(settings.paths, index, count)),
        ..settings
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of a file, read a block at a time (a shard's `paths.parquet` may be gigabytes).
fn file_sha256(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&block[..n]);
    }
}

/// The identity of the running build, `sha256:<hex>`: the SHA-256 of the executable this process
/// runs (on Linux `/proc/self/exe`, the image that runs even if its file was since replaced).
/// Outputs have changed between builds of one version, so a shard records it and the merge
/// refuses shards of other builds; a cluster runs one binary (a shared file system, one image).
/// Hashed only for `--shard` runs and `merge` (a fraction of a second for a 40 MB binary).
pub(crate) fn build_identity() -> Result<String, AppError> {
    let exe = if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().map_err(|e| {
            AppError::Failed(format!("cannot find the running fundsim executable: {e}"))
        })?
    };
    let digest = file_sha256(&exe).map_err(|e| {
        AppError::Failed(format!(
            "cannot read the running fundsim executable ({}) to record its build identity: {e}",
            exe.display()
        ))
    })?;
    Ok(format!("sha256:{digest}"))
}

/// Which shard of what a partial result is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Of {
    /// `(index, count)`: shard `index` of `count`.
    pub shard: (u64, u64),
    /// Of a comparison (`fundsim compare --shard`): the merge also writes `comparison.csv`.
    pub compare: bool,
}

/// Writes a shard's partial result (`yearly.bin`, `shard.json`) beside its `paths.parquet` and
/// commits the directory; `build` is [`build_identity`].
pub(crate) fn write_partial(
    scenarios: &[Loaded],
    settings: RunSettings,
    of: Of,
    build: &str,
    mut staging: Staging,
    runs: &[(usize, ScenarioRun)],
    out: &Path,
) -> Result<RunReport, AppError> {
    let (index, count) = of.shard;
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {what}: {e}", out.display()))
    };
    let mut yearly = Vec::new();
    yearly.extend_from_slice(YEARLY_MAGIC);
    yearly.extend_from_slice(&(runs.len() as u64).to_le_bytes());
    for (_, run) in runs {
        yearly.extend_from_slice(&run.firm_years.to_le_bytes());
        yearly.extend_from_slice(&(run.yearly.len() as u64).to_le_bytes());
        for cell in &run.yearly {
            yearly.extend_from_slice(&cell.sum.to_le_bytes());
            cell.sketch.encode(&mut yearly);
        }
    }
    staging
        .write("yearly.bin", &yearly)
        .map_err(|e| failed("yearly.bin", &e))?;
    let parquet = staging.temporary_path("paths.parquet").expect("written");
    let parquet = file_sha256(parquet).map_err(|e| failed("paths.parquet", &e))?;
    let (first, end) = settings.path_range();
    let described: Vec<(&ScenarioSource, &ScenarioFile)> =
        scenarios.iter().map(|s| (&s.source, &s.file)).collect();
    let cwd = std::env::current_dir().map_err(|e| failed("shard.json", &e))?;
    let header = json!({
        "format": FORMAT,
        "version": env!("CARGO_PKG_VERSION"),
        "build": build,
        "seed": settings.seed,
        "paths": settings.paths,
        "shard": { "index": index, "count": count, "first_path": first, "end_path": end },
        "command": if of.compare { "compare" } else { "run" },
        "cwd": cwd.display().to_string(),
        "chunk_paths": CHUNK,
        "batch_paths": BATCH * CHUNK,
        "scenarios": scenarios.iter().map(|s| s.source.path.clone()).collect::<Vec<_>>(),
        "set": scenarios.first().map(|s| s.source.overrides.clone()).unwrap_or_default(),
        "run": crate::output::run_json(settings.seed, settings.paths, &described),
        "sha256": { "paths.parquet": parquet, "yearly.bin": sha256(&yearly) },
    });
    let text = serde_json::to_string_pretty(&header).expect("json") + "\n";
    staging
        .write("shard.json", text.as_bytes())
        .map_err(|e| failed("shard.json", &e))?;
    let files = staging
        .commit()
        .map_err(|e| failed("the output files", &e))?;
    Ok(RunReport {
        files,
        table: format!(
            "shard {index}/{count}: paths {first} to {} of {} ({} scenarios); combine the shards with `fundsim merge`\n",
            end.saturating_sub(1),
            settings.paths,
            scenarios.len()
        ),
        headlines: Vec::new(),
        targets: Vec::new(),
    })
}

/// A shard as the merge reads it.
struct Shard {
    dir: PathBuf,
    header: Value,
    index: u64,
    first: u64,
    end: u64,
}

fn bad(message: String) -> AppError {
    AppError::BadInput(format!("error: {message}"))
}

fn read_shard(dir: &Path) -> Result<Shard, AppError> {
    let at = dir.join("shard.json");
    let bytes = read_limited(&at, 16 << 20).map_err(|e| {
        bad(format!(
            "{}: not a shard of a fundsim run (cannot read shard.json: {e}); shards are written by `fundsim run ... --shard I/N --out DIR` (or `fundsim compare ... --shard I/N`)",
            dir.display()
        ))
    })?;
    let header: Value = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("{}: shard.json is not JSON: {e}", dir.display())))?;
    if header["format"] != FORMAT {
        return Err(bad(format!(
            "{}: shard.json is not of the format {FORMAT}",
            dir.display()
        )));
    }
    let num = |v: &Value, what: &str| {
        v.as_u64()
            .ok_or_else(|| bad(format!("{}: shard.json has no {what}", dir.display())))
    };
    let shard = &header["shard"];
    Ok(Shard {
        dir: dir.to_path_buf(),
        index: num(&shard["index"], "shard.index")?,
        first: num(&shard["first_path"], "shard.first_path")?,
        end: num(&shard["end_path"], "shard.end_path")?,
        header,
    })
}

/// Checks a shard's file `name` against the SHA-256 its `shard.json` records.
fn check_unchanged(shard: &Shard, name: &str) -> Result<(), AppError> {
    let path = shard.dir.join(name);
    let digest =
        file_sha256(&path).map_err(|e| bad(format!("{}: cannot read it: {e}", path.display())))?;
    if shard.header["sha256"][name] != digest {
        return Err(bad(format!(
            "{}: its SHA-256 is not the one shard.json records: the file changed or is damaged",
            path.display()
        )));
    }
    Ok(())
}

/// Each scenario's yearly accumulators and firm-years, as the shard wrote them.
fn read_yearly(shard: &Shard, bytes: &[u8]) -> Result<Vec<(u64, Vec<YearlyCell>)>, AppError> {
    let damaged = || {
        bad(format!(
            "{}: yearly.bin is damaged",
            shard.dir.join("yearly.bin").display()
        ))
    };
    let rest = bytes.strip_prefix(YEARLY_MAGIC).ok_or_else(damaged)?;
    let mut rest = rest;
    let n = take_u64(&mut rest).ok_or_else(damaged)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let firm_years = take_u64(&mut rest).ok_or_else(damaged)?;
        let cells = take_u64(&mut rest).ok_or_else(damaged)?;
        let mut v = Vec::new();
        for _ in 0..cells {
            let (sum, tail) = rest.split_first_chunk::<16>().ok_or_else(damaged)?;
            rest = tail;
            let sketch = Sketch::decode(&mut rest).ok_or_else(damaged)?;
            v.push(YearlyCell {
                sum: i128::from_le_bytes(*sum),
                sketch,
            });
        }
        out.push((firm_years, v));
    }
    if !rest.is_empty() {
        return Err(damaged());
    }
    Ok(out)
}

/// `fundsim merge`: the shards in `dirs` (any order) combined into the files of one run, in `out`;
/// also the settings of that run (its paths and seed).
pub fn merge_to_dir(
    dirs: &[PathBuf],
    out: &Path,
    options: &Options,
) -> Result<(RunReport, RunSettings), AppError> {
    if dirs.is_empty() {
        return Err(bad("merge needs the shards' directories".into()));
    }
    // The merged files would replace a shard's own (its paths.parquet first): refused whatever the
    // spelling of the paths (compared canonical; an --out that does not exist yet is no shard).
    if let Ok(target) = std::fs::canonicalize(out)
        && let Some(dir) =
            (dirs.iter()).find(|d| std::fs::canonicalize(d).is_ok_and(|d| d == target))
    {
        return Err(bad(format!(
            "--out {}: it is the shard {} being merged, whose files the merge would write over; give another directory",
            out.display(),
            dir.display()
        )));
    }
    let mut shards = dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    shards.sort_by_key(|s| s.index);
    // One build: the shards' and ours.
    let build = build_identity()?;
    let first_given = shards.iter().find(|s| s.dir == dirs[0]).expect("read");
    let shown = |v: &Value| v.as_str().unwrap_or("none recorded").to_string();
    if let Some(s) = shards
        .iter()
        .find(|s| s.header["build"] != first_given.header["build"])
    {
        return Err(bad(format!(
            "{} and {} were written by different builds of fundsim ({} and {}): run every shard and the merge with one binary",
            first_given.dir.display(),
            s.dir.display(),
            shown(&first_given.header["build"]),
            shown(&s.header["build"])
        )));
    }
    if first_given.header["build"] != build.as_str() {
        return Err(bad(format!(
            "{}: written by the fundsim build {}, this one is {build}: merge with the binary that ran the shards",
            first_given.dir.display(),
            shown(&first_given.header["build"]),
        )));
    }
    // One run: every field but the shard's own must agree, and the version must be ours.
    let first = &shards[0];
    let command = |s: &Shard| s.header["command"].as_str().unwrap_or_default().to_string();
    if let Some(s) = (shards.iter()).find(|s| !matches!(command(s).as_str(), "run" | "compare")) {
        return Err(bad(format!(
            "{}: shard.json's command is {}, not \"run\" or \"compare\": the file is damaged or not fundsim's",
            s.dir.display(),
            s.header["command"]
        )));
    }
    if let Some(s) = shards.iter().find(|s| command(s) != command(first)) {
        return Err(bad(format!(
            "{} is a shard of `fundsim {}` and {} of `fundsim {}`: merge the shards of one command",
            first.dir.display(),
            command(first),
            s.dir.display(),
            command(s)
        )));
    }
    for key in [
        "version",
        "chunk_paths",
        "batch_paths",
        "seed",
        "paths",
        "cwd",
        "scenarios",
        "set",
        "run",
    ] {
        for s in &shards[1..] {
            if s.header[key] != first.header[key] {
                return Err(bad(format!(
                    "{} and {} are shards of different runs: they differ in {key} ({} and {})",
                    first.dir.display(),
                    s.dir.display(),
                    first.header[key],
                    s.header[key]
                )));
            }
        }
    }
    if first.header["version"] != env!("CARGO_PKG_VERSION") {
        return Err(bad(format!(
            "{}: written by fundsim {}, this is fundsim {}: merge with the version that ran the shards",
            first.dir.display(),
            first.header["version"],
            env!("CARGO_PKG_VERSION")
        )));
    }
    if first.header["chunk_paths"] != CHUNK || first.header["batch_paths"] != BATCH * CHUNK {
        return Err(bad(format!(
            "{}: written by a build of fundsim with chunks of {} and batches of {} paths, this one has {CHUNK} and {}: merge with the build that ran the shards",
            first.dir.display(),
            first.header["chunk_paths"],
            first.header["batch_paths"],
            BATCH * CHUNK
        )));
    }
    // Shards of different splits (`--shard I/3` and `--shard J/2`): name those whose count is not
    // the most common one (on a tie, the first given's).
    let count_of = |s: &Shard| s.header["shard"]["count"].as_u64().unwrap_or(0);
    let mut counts: Vec<(u64, usize)> = Vec::new();
    for d in dirs {
        let c = count_of(shards.iter().find(|s| &s.dir == d).expect("read"));
        match counts.iter_mut().find(|(x, _)| *x == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    if counts.len() > 1 {
        let most = (counts.iter().rev().max_by_key(|(_, n)| *n))
            .map(|(c, _)| *c)
            .unwrap_or(0);
        let odd: Vec<String> = (dirs.iter())
            .filter_map(|d| shards.iter().find(|s| &s.dir == d))
            .filter(|s| count_of(s) != most)
            .map(|s| {
                format!(
                    "{} is shard {} of {}",
                    s.dir.display(),
                    s.index,
                    count_of(s)
                )
            })
            .collect();
        let others = dirs.len() - odd.len();
        return Err(bad(format!(
            "the shards are of different splits of the run: {}, the {} {} of {most}; merge the shards of one split (--shard I/N with the same N)",
            odd.join(", "),
            if others == 1 { "other" } else { "others" },
            if others == 1 { "is" } else { "are" },
        )));
    }
    let count = first.header["shard"]["count"].as_u64().unwrap_or(0);
    let paths = first.header["paths"].as_u64().unwrap_or(0);
    let seed = first.header["seed"].as_u64().unwrap_or(0);
    // Every shard 0..count once: sorted, the indices are exactly 0, 1, 2, ...
    let whole = shards.len() as u64 == count
        && (shards.iter().enumerate())
            .all(|(i, s)| s.index == i as u64 && s.header["shard"]["count"] == count);
    if !whole {
        let have: Vec<String> = shards.iter().map(|s| s.index.to_string()).collect();
        return Err(bad(format!(
            "the run has {count} shards (0 to {}); given: {}",
            count.saturating_sub(1),
            have.join(", ")
        )));
    }
    for (want, s) in (0..count).zip(&shards) {
        if (s.first, s.end)
            != self::settings(RunSettings::new(paths, seed), (want, count)).path_range()
        {
            return Err(bad(format!(
                "{}: shard {want} of {count} does not hold the paths it should",
                s.dir.display()
            )));
        }
    }

    // The scenarios, read again where the shards read them, must be the shards' to the byte.
    let cwd = first.header["cwd"].as_str().unwrap_or_default().to_string();
    let here = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    if here != cwd {
        return Err(bad(format!(
            "run fundsim merge in {cwd}, where the shards ran: it reads their scenario files again (this is {here})"
        )));
    }
    let files: Vec<PathBuf> = (first.header["scenarios"].as_array().into_iter().flatten())
        .filter_map(|v| v.as_str().map(PathBuf::from))
        .collect();
    let set: Vec<String> = (first.header["set"].as_array().into_iter().flatten())
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let scenarios = load_all_with(&files, &set)?;
    crate::app::check_memory(&scenarios, paths)?;
    let described: Vec<(&ScenarioSource, &ScenarioFile)> =
        scenarios.iter().map(|s| (&s.source, &s.file)).collect();
    if crate::output::run_json(seed, paths, &described) != first.header["run"] {
        return Err(bad(format!(
            "the scenario files changed since the shards ran (their SHA-256 differ from {}'s run.json)",
            first.dir.display()
        )));
    }

    // The yearly accumulators, added.
    let mut runs: Vec<ScenarioRun> = scenarios
        .iter()
        .map(|s| ScenarioRun {
            catalogue: s.model.catalogue_for_run(),
            paths,
            scalars: Vec::new(),
            yearly: Vec::new(),
            n_years: s.model.n_years,
            firm_years: 0,
            deals: Vec::new(),
        })
        .collect();
    for s in &shards {
        check_unchanged(s, "yearly.bin")?;
        let at = s.dir.join("yearly.bin");
        let bytes = read_limited(&at, 1 << 34)
            .map_err(|e| bad(format!("{}: cannot read it: {e}", at.display())))?;
        let yearly = read_yearly(s, &bytes)?;
        if yearly.len() != runs.len() {
            return Err(bad(format!(
                "{}: yearly.bin holds {} scenarios, the run {}",
                s.dir.display(),
                yearly.len(),
                runs.len()
            )));
        }
        let damaged = || {
            bad(format!(
                "{}: yearly.bin is damaged (its counts are not its paths')",
                s.dir.display()
            ))
        };
        for (run, (firm_years, cells)) in runs.iter_mut().zip(yearly) {
            // Every path adds one value to every cell.
            if cells.iter().any(|c| c.sketch.count() != s.end - s.first) {
                return Err(damaged());
            }
            let want = run.catalogue.yearly.len() * run.n_years;
            if cells.len() != want {
                return Err(bad(format!(
                    "{}: yearly.bin holds {} yearly cells of a scenario with {want}",
                    s.dir.display(),
                    cells.len()
                )));
            }
            run.firm_years = (run.firm_years.checked_add(firm_years)).ok_or_else(damaged)?;
            if run.yearly.is_empty() {
                run.yearly = cells;
            } else {
                for (a, b) in run.yearly.iter_mut().zip(&cells) {
                    a.sum = a.sum.checked_add(b.sum).ok_or_else(damaged)?;
                    a.sketch.merge(&b.sketch);
                }
            }
        }
    }
    for s in &shards {
        check_unchanged(s, "paths.parquet")?;
    }

    // paths.parquet: the shards' rows in path order, cut into the run's row groups.
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {what}: {e}", out.display()))
    };
    crate::app::check_out(out)?;
    let mut staging = Staging::new(out).map_err(|e| failed("the output directory", &e))?;
    let parquet_file = staging
        .create("paths.parquet")
        .map_err(|e| failed("paths.parquet", &e))?;
    let catalogues: Vec<_> = runs.iter().map(|r| r.catalogue.clone()).collect();
    let settings = RunSettings::new(paths, seed);
    let mut writer = paths_writer(&parquet_file, &scenarios, &catalogues, settings)
        .map_err(|e| failed("paths.parquet", &e))?;
    let read = |s: &Shard, offset: u64, len: u64| -> PolarsResult<DataFrame> {
        ParquetReader::new(std::fs::File::open(s.dir.join("paths.parquet"))?)
            .with_slice(Some((offset as usize, len as usize)))
            .finish()
    };
    let group = BATCH * CHUNK;
    for j in 0..scenarios.len() as u64 {
        let mut start = 0;
        while start < paths {
            let end = (start + group).min(paths);
            let mut frame: Option<DataFrame> = None;
            for s in shards.iter().filter(|s| s.first < end && s.end > start) {
                let (a, b) = (start.max(s.first), end.min(s.end));
                let offset = j * (s.end - s.first) + (a - s.first);
                let part = read(s, offset, b - a).map_err(|e| {
                    bad(format!(
                        "{}: cannot read paths.parquet: {e}",
                        s.dir.display()
                    ))
                })?;
                // The rows must be the paths they stand for.
                let holds = part
                    .column("path")
                    .and_then(|c| c.u64().map(|p| p.iter().eq((a..b).map(Some))))
                    .unwrap_or(false);
                if !holds {
                    return Err(bad(format!(
                        "{}: paths.parquet does not hold paths {a} to {} where shard.json says",
                        s.dir.display(),
                        b - 1
                    )));
                }
                frame = Some(match frame {
                    None => part,
                    Some(mut f) => {
                        f.vstack_mut(&part).map_err(|e| {
                            bad(format!(
                                "{}: its paths.parquet has other columns than the others': {e}",
                                s.dir.display()
                            ))
                        })?;
                        f
                    }
                });
            }
            let frame = frame.expect("the shards cover every path");
            if frame.height() as u64 != end - start {
                return Err(bad(format!(
                    "the shards hold {} rows of paths {start} to {}, not {}",
                    frame.height(),
                    end - 1,
                    end - start
                )));
            }
            let catalogue = &catalogues[j as usize];
            let rows = crate::output::parquet_out::rows_of(&frame, catalogue)
                .map_err(|e| bad(format!("a shard's paths.parquet cannot be read: {e}")))?;
            writer
                .write_rows(&scenarios[j as usize].model.name, catalogue, start, &rows)
                .map_err(|e| failed("paths.parquet", &e))?;
            start = end;
        }
    }
    writer.finish().map_err(|e| failed("paths.parquet", &e))?;
    parquet_file
        .sync_all()
        .map_err(|e| failed("paths.parquet", &e))?;
    let parquet_path = staging
        .temporary_path("paths.parquet")
        .expect("created above")
        .to_path_buf();

    let mut yearly = Vec::new();
    let mut placed = Vec::new();
    for (j, (s, mut run)) in scenarios.iter().zip(runs).enumerate() {
        yearly.extend(crate::report::yearly_rows(&s.model, &run));
        run.yearly = Vec::new();
        placed.push((j * paths as usize, run));
    }
    let n = scenarios.len();
    // A comparison's shards give its comparison.csv too, as `fundsim compare` writes it.
    let options = Options {
        compare: command(first) == "compare",
        ..*options
    };
    let report = finish(
        &scenarios,
        settings,
        Finish {
            staging,
            parquet_path,
            runs: placed,
            yearly,
            deals: vec![Vec::new(); n],
            precision_reached: vec![None; n],
        },
        out,
        &options,
    )?;
    Ok((report, settings))
}
