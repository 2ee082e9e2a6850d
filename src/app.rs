//! The commands, as library calls: load scenarios, run them, write the output directory.
//!
//! The binary (`main.rs`) only parses flags and maps [`AppError`] to exit codes: bad input (a
//! scenario or a flag) is 2, anything else 1.

use crate::model::{Model, compile};
use crate::output::csv_out::{
    write_comparison, write_deals, write_indicators, write_metrics, write_summary, write_targets,
    write_yearly,
};
use crate::output::parquet_out::{PathsReader, PathsWriter, union_columns};
use crate::output::{Staging, run_json};
use crate::report::{self, SummaryRow, TargetRow, YearlyRow};
use crate::run::{Progress, RunSettings, run_streaming};
use crate::scenario::{LoadError, ScenarioFile, ScenarioSource, load_file_with};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A scenario file or a flag is wrong: exit code 2. The text is a complete report
    /// (each problem starts with `error:`).
    #[error("{0}")]
    BadInput(String),
    /// Anything else (cannot write the output, ...): exit code 1.
    #[error("error: {0}")]
    Failed(String),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::BadInput(_) => 2,
            AppError::Failed(_) => 1,
        }
    }
}

/// A scenario that loaded and validated.
pub struct Loaded {
    pub source: ScenarioSource,
    pub file: ScenarioFile,
    pub model: Model,
}

/// Loads and validates every file, reporting all problems of all files together.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Loaded>, AppError> {
    load_all_with(files, &[])
}

/// [`load_all`] with `KEY=VALUE` overrides laid over every file (`--set`).
pub fn load_all_with(files: &[PathBuf], overrides: &[String]) -> Result<Vec<Loaded>, AppError> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load_file_with(f, overrides).and_then(|(source, file)| {
            let model = with_uncertainty(f, overrides, &file, compile(&file))?;
            Ok((source, file, model))
        }) {
            Ok((source, file, model)) => loaded.push(Loaded {
                model,
                file,
                source,
            }),
            Err(e @ (LoadError::Io { .. } | LoadError::Invalid(_) | LoadError::Other(_))) => {
                errors.push(e.to_string())
            }
        }
    }
    for (i, a) in loaded.iter().enumerate() {
        if let Some(b) = loaded[..i].iter().find(|b| b.model.name == a.model.name) {
            errors.push(format!(
                "error: {}: scenario.name \"{}\" is also the name of {}: names must differ, they label the output rows",
                a.source.path, a.model.name, b.source.path
            ));
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(AppError::BadInput(errors.join("\n")))
    }
}

/// `model` with the `[uncertain]` inputs of `file` (if any), checked over their whole range; a
/// problem is located at the input's entry.
fn with_uncertainty(
    path: &Path,
    overrides: &[String],
    file: &ScenarioFile,
    mut model: Model,
) -> Result<Model, LoadError> {
    if file.uncertain.is_empty() {
        return Ok(model);
    }
    // An input the overrides set is fixed at that value (how sweeps and tornadoes vary it).
    let mut file = file.clone();
    for o in overrides {
        if let Some((key, _)) = o.split_once('=') {
            file.uncertain.remove(key.trim());
        }
    }
    if file.uncertain.is_empty() {
        return Ok(model);
    }
    let doc = crate::scenario::document(path, overrides)?;
    let u = crate::uncertain::Uncertain::new(doc, &file, |f| compile(f).shape()).map_err(|p| {
        let at = crate::scenario::locate::KeyPath::root()
            .key("uncertain")
            .key(&p.key);
        crate::scenario::problem_at(path, overrides, &at, p.message)
    })?;
    model.uncertain = Some(std::sync::Arc::new(u));
    Ok(model)
}

/// What a finished run hands back to the command line.
pub struct RunReport {
    pub files: Vec<PathBuf>,
    /// The readable table, one block per scenario.
    pub table: String,
    /// One line per scenario: the headline numbers.
    pub headlines: Vec<report::Headline>,
    /// Every scenario's targets with their probabilities.
    pub targets: Vec<TargetRow>,
}

/// `--json`: the run's headline numbers and targets per scenario, and the files written, as one
/// JSON document (undefined numbers are null).
pub fn report_json(report: &RunReport, out: &Path, settings: RunSettings) -> String {
    use serde_json::{Value, json};
    let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let scenarios: Vec<Value> = report
        .headlines
        .iter()
        .map(|h| {
            let targets: Vec<Value> = (report.targets.iter())
                .filter(|t| t.scenario == h.scenario)
                .map(|t| {
                    json!({
                        "target": t.target,
                        "label": t.label,
                        "metric": t.metric,
                        "threshold": t.threshold.map(num),
                        "deadline": t.deadline,
                        "probability": num(t.estimate.p),
                        "mcse": num(t.estimate.mcse),
                        "ci_low": num(t.estimate.low),
                        "ci_high": num(t.estimate.high),
                    })
                })
                .collect();
            let by_deadline: serde_json::Map<String, Value> = (h.by_deadline.iter())
                .map(|(y, p)| (y.to_string(), num(*p)))
                .collect();
            json!({
                "scenario": h.scenario,
                "question": h.question,
                "p_all_targets": h.all_targets.map(num),
                "p_all_targets_by_deadline": by_deadline,
                "fiscal_outlay_p50": num(h.fiscal_outlay_p50),
                "net_fiscal_cost_p50": num(h.net_fiscal_cost_p50),
                "net_fiscal_cost_with_outstanding_p50": num(h.net_fiscal_cost_outstanding_p50),
                "money_back_p50": num(h.money_back_p50),
                "additional_unicorns": num(h.additional_unicorns),
                "additional_chain_leaders": num(h.additional_chain_leaders),
                "net_fiscal_cost_mean_over_additional_unicorns_mean": num(h.net_cost_mean_per_additional_unicorn),
                "net_fiscal_cost_mean_over_additional_unicorns_mean_mcse": num(h.net_cost_mean_per_additional_unicorn_mcse),
                "targets": targets,
            })
        })
        .collect();
    let files: Vec<String> = (report.files.iter())
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let doc = json!({
        "out": out.display().to_string(),
        "files": files,
        "paths": settings.paths,
        "seed": settings.seed,
        "scenarios": scenarios,
    });
    serde_json::to_string_pretty(&doc).expect("json")
}

/// Runs every scenario with the same seed (common random numbers) and writes the output directory.
pub fn run_to_dir(
    scenarios: &[Loaded],
    settings: RunSettings,
    out: &Path,
    progress: &dyn Progress,
) -> Result<RunReport, AppError> {
    write_run(scenarios, settings, out, progress, &Options::default())
}

/// What a run writes besides the contract's files, and how it runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Also `comparison.csv` (the first scenario is the base).
    pub compare: bool,
    /// Stop each scenario at this precision.
    pub precision: Option<&'a Precision>,
    /// Also `fundsim.xlsx` (`--format xlsx`).
    pub xlsx: bool,
    /// The language of labels and headings.
    pub lang: crate::lang::Lang,
    /// Run only this shard `(index, count)` of the paths and write a partial result for
    /// `fundsim merge` (`crate::shard`).
    pub shard: Option<(u64, u64)>,
}

/// [`run_to_dir`] with [`Options`].
pub fn run_with_options(
    scenarios: &[Loaded],
    settings: RunSettings,
    out: &Path,
    progress: &dyn Progress,
    options: &Options,
) -> Result<RunReport, AppError> {
    write_run(scenarios, settings, out, progress, options)
}

/// [`run_to_dir`] that stops each scenario once `precision` is reached (checking after every
/// 4,096 paths, so the result depends on the seed only), or at `settings.paths`.
pub fn run_to_precision(
    scenarios: &[Loaded],
    settings: RunSettings,
    out: &Path,
    progress: &dyn Progress,
    precision: &Precision,
) -> Result<RunReport, AppError> {
    let options = Options {
        precision: Some(precision),
        ..Options::default()
    };
    write_run(scenarios, settings, out, progress, &options)
}

/// At least this many paths before a precision goal can stop a run.
const MIN_PRECISION_PATHS: u64 = 1000;

/// A number as a command-line flag takes it: a plain or scientific number (`0.8`, `1e-2`), else a
/// percentage or an amount as a scenario writes them (`80%`, `80％`, `100万`).
pub fn number_or_value(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    crate::money::parse_value(t)
        .ok()
        .and_then(|d| rust_decimal::prelude::ToPrimitive::to_f64(&d))
}

/// `--precision METRIC=TOL`: stop once the Monte Carlo standard error of the metric's mean (a
/// scalar of `summary.csv`, or `p.<target>` for a target's probability, whose standard error is the
/// Wilson one: [`Precision::standard_error`]) is at most `tolerance`.
#[derive(Debug, Clone, PartialEq)]
pub struct Precision {
    pub metric: String,
    pub tolerance: f64,
}

impl Precision {
    /// Parses `METRIC=TOL`.
    pub fn parse(spec: &str) -> Result<Self, AppError> {
        let bad = || {
            AppError::BadInput(format!(
                "error: --precision {spec}: give METRIC=TOL, e.g. net_fiscal_cost=100万 or p.unicorns_2030=0.5% (TOL above 0)"
            ))
        };
        let (metric, tol) = spec.split_once('=').ok_or_else(bad)?;
        // A number (`1e-2` too), a percentage (`p.x=0.5%`) or an amount (`net_fiscal_cost=100万`).
        let tolerance: f64 = number_or_value(tol.trim()).ok_or_else(bad)?;
        if !(tolerance > 0.0 && tolerance.is_finite()) {
            return Err(bad());
        }
        Ok(Precision {
            metric: metric.trim().to_string(),
            tolerance,
        })
    }

    /// The standard error the goal is checked against, after the values `acc` of which `met` were
    /// 1: for a 0/1 column (`binary`: `p.<target>`, `met.<target>`, an IRR's `*_defined`) the
    /// Wilson one ([`crate::stats::wilson_se`], the half-width of `targets.csv`'s 95% interval
    /// over 1.96), which is not 0 when no path or every path has it; else the sample MCSE.
    fn standard_error(&self, acc: &crate::stats::Running, met: u64, binary: bool) -> f64 {
        if binary {
            crate::stats::wilson_se(met, acc.n())
        } else {
            acc.mcse()
        }
    }

    /// Whether the run may stop: enough paths, and the standard error within the tolerance. A
    /// scalar that has not yet varied (a rare count still 0 on every path so far) has a sample
    /// MCSE of 0 that says nothing of its precision: the run goes on.
    fn reached(&self, acc: &crate::stats::Running, met: u64, binary: bool) -> bool {
        let se = self.standard_error(acc, met, binary);
        acc.n() >= MIN_PRECISION_PATHS && se <= self.tolerance && (binary || se > 0.0)
    }

    /// The scalar column the goal reads in a scenario's catalogue, and whether it is 0 or 1 on
    /// every path (its unit is `probability`), whose tolerance must then be below 1.
    fn column(
        &self,
        model: &Model,
        catalogue: &crate::metrics::Catalogue,
    ) -> Result<(usize, bool), AppError> {
        let found = match self.metric.strip_prefix("p.") {
            Some(t) => model
                .targets
                .iter()
                .position(|x| x.id == t)
                .map(|j| catalogue.target_met(j)),
            None => catalogue.scalars.iter().position(|c| c.name == self.metric),
        };
        let c = found.ok_or_else(|| {
            AppError::BadInput(format!(
                "error: --precision {}: scenario \"{}\" has no such metric (a scalar of summary.csv, or p.<target id>)",
                self.metric, model.name
            ))
        })?;
        let binary = catalogue.scalars[c].unit == crate::metrics::Unit::Indicator;
        if binary && self.tolerance >= 1.0 {
            return Err(AppError::BadInput(format!(
                "error: --precision {}={}: the standard error of a probability is below 1: write e.g. 0.005 or 0.5%",
                self.metric, self.tolerance
            )));
        }
        Ok((c, binary))
    }
}

/// [`run_to_dir`], and `comparison.csv`: every other scenario against the first on their common
/// random numbers ([`crate::compare`]). The report's table holds the headline differences.
pub fn compare_to_dir(
    scenarios: &[Loaded],
    settings: RunSettings,
    out: &Path,
    progress: &dyn Progress,
) -> Result<RunReport, AppError> {
    let options = Options {
        compare: true,
        ..Options::default()
    };
    write_run(scenarios, settings, out, progress, &options)
}

/// An output directory that exists as something else (a file) is bad input.
pub fn check_out(out: &Path) -> Result<(), AppError> {
    if out.exists() && !out.is_dir() {
        return Err(AppError::BadInput(format!(
            "error: --out {}: this is a file, not a directory: give a directory (it is created if missing)",
            out.display()
        )));
    }
    Ok(())
}

/// What a run needs, estimated before it starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Firms simulated per path, at most over the scenarios.
    pub firms_per_path: f64,
    /// Results kept per path over all scenarios (the scalars, for exact percentiles).
    pub results_per_path: u64,
}

impl Estimate {
    pub fn of(scenarios: &[Loaded]) -> Estimate {
        Estimate {
            firms_per_path: (scenarios.iter())
                .map(|s| {
                    crate::scenario::validate::firms_per_path(&s.file)
                        .iter()
                        .sum::<f64>()
                })
                .fold(0.0, f64::max),
            results_per_path: (scenarios.iter())
                .map(|s| s.model.catalogue_for_run().scalars.len() as u64)
                .sum(),
        }
    }

    /// Bytes a run of `paths` paths on `threads` threads needs at its peak (measured on the bundled
    /// baseline, with a margin): the rows of a batch of paths in flight, three copies (the chunks'
    /// blocks, the batch's rows, its Parquet row group), whatever the number of paths; a model,
    /// a path's simulator and yearly accumulators per thread; and, per path, the columns of
    /// results the exact percentiles sort at the end ([`report::SUMMARY_BYTES_PER_VALUE`] a
    /// value), as many as are summarised side by side ([`report::side_by_side`]) and at least two
    /// (a comparison pairs a column of each scenario), or more in a small run, up to
    /// [`report::SUMMARY_GROUP_BYTES`] in all. The run keeps nothing else per path: every path's
    /// results stream to `paths.parquet`.
    pub fn bytes(&self, paths: u64, threads: u64) -> u64 {
        const FIXED: u64 = 100 << 20;
        const PER_THREAD: u64 = 40 << 20;
        let batch = paths.min(crate::run::BATCH * crate::run::CHUNK);
        let side_by_side = report::side_by_side_on(threads, paths) as u64;
        FIXED
            .saturating_add(PER_THREAD.saturating_mul(threads.max(1)))
            .saturating_add(3 * 8 * self.results_per_path * batch)
            .saturating_add(report::SUMMARY_GROUP_BYTES)
            .saturating_add(
                paths.saturating_mul(report::SUMMARY_BYTES_PER_VALUE * side_by_side.max(2)),
            )
    }
}

/// The memory free now and the part of it one command may plan to use (70%: room for the system
/// and the page cache besides it); `None` where the system does not say.
pub fn usable_memory() -> Option<(u64, u64)> {
    let free = available_memory()?;
    Some((free, free / 10 * 7))
}

/// The memory the machine has free for a new process (`MemAvailable`), where the system says.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Refuses (bad input) a run whose kept results would not fit in the memory the machine has free.
pub fn check_memory(scenarios: &[Loaded], paths: u64) -> Result<(), AppError> {
    let e = Estimate::of(scenarios);
    let Some((free, usable)) = usable_memory() else {
        return Ok(());
    };
    let threads = rayon::current_num_threads() as u64;
    let need = e.bytes(paths, threads);
    if need <= usable {
        return Ok(());
    }
    // The most paths that fit: the estimate grows with the paths, so a binary search.
    let (mut fits, mut over) = (0u64, paths);
    while over - fits > 1 {
        let mid = fits + (over - fits) / 2;
        if e.bytes(mid, threads) <= usable {
            fits = mid;
        } else {
            over = mid;
        }
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    Err(AppError::BadInput(format!(
        "error: --paths {paths}: the run needs about {:.1} GiB on {threads} threads (the exact percentiles sort every path's results), more than the {:.1} GiB this machine can give it ({:.1} GiB free): run at most {fits} paths here, or split the run into shards, `fundsim run ... --shard I/N` (or `fundsim compare ... --shard I/N`) on N machines and then `fundsim merge` (docs/cluster.md)",
        gib(need),
        gib(usable),
        gib(free)
    )))
}

fn write_run(
    scenarios: &[Loaded],
    settings: RunSettings,
    out: &Path,
    progress: &dyn Progress,
    options: &Options,
) -> Result<RunReport, AppError> {
    // A shard runs only its chunks (one source of truth: the options).
    let settings = match options.shard {
        Some(shard) => crate::shard::settings(settings, shard),
        None => RunSettings {
            chunks: None,
            ..settings
        },
    };
    let (first_path, end_path) = settings.path_range();
    check_memory(scenarios, end_path - first_path)?;
    // A shard records the build that ran it, for the merge (before it simulates anything).
    let build = match options.shard {
        Some(_) => Some(crate::shard::build_identity()?),
        None => None,
    };
    let precision = options.precision;
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {what}: {e}", out.display()))
    };
    crate::app::check_out(out)?;
    let mut staging = Staging::new(out).map_err(|e| failed("the output directory", &e))?;
    let catalogues: Vec<_> = scenarios
        .iter()
        .map(|s| s.model.catalogue_for_run())
        .collect();
    let parquet_file = staging
        .create("paths.parquet")
        .map_err(|e| failed("paths.parquet", &e))?;
    let mut paths = paths_writer(&parquet_file, scenarios, &catalogues, settings)
        .map_err(|e| failed("paths.parquet", &e))?;

    // Each scenario's rows go to paths.parquet as they are simulated; its yearly rows are made at
    // once (dropping the sketches). The exact summaries are read back from the file afterwards.
    let mut yearly: Vec<YearlyRow> = Vec::new();
    let mut deals = Vec::new();
    let mut runs = Vec::new();
    let mut offset = 0usize;
    let mut precision_reached = Vec::new();
    for (s, catalogue) in scenarios.iter().zip(&catalogues) {
        let mut written: Result<u64, polars::prelude::PolarsError> = Ok(0);
        // With a precision goal: the running MCSE of the metric, in path order, after each block.
        let column = match precision {
            Some(p) => Some(p.column(&s.model, catalogue)?),
            None => None,
        };
        let mut acc = crate::stats::Running::default();
        // For a 0/1 column: the paths that have it, for the Wilson standard error.
        let mut met = 0u64;
        let mut run_settings = settings;
        if precision.is_some() {
            run_settings.batch = crate::run::CHECK_BATCH;
        }
        let mut result = run_streaming(&s.model, run_settings, progress, &mut |rows: &[f64]| {
            if let Ok(done) = &mut written {
                let first = first_path + *done;
                match paths.write_rows(&s.model.name, catalogue, first, rows) {
                    Ok(()) => *done += (rows.len() / catalogue.scalars.len().max(1)) as u64,
                    Err(e) => written = Err(e),
                }
            }
            match (column, precision) {
                (Some((c, binary)), Some(p)) => {
                    let width = catalogue.scalars.len().max(1);
                    for row in rows.chunks_exact(width) {
                        acc.add(row[c]);
                        met += u64::from(row[c] == 1.0);
                    }
                    p.reached(&acc, met, binary)
                }
                _ => false,
            }
        });
        let written = written.map_err(|e| failed("paths.parquet", &e))?;
        debug_assert_eq!(written, result.paths);
        precision_reached.push(
            (column.zip(precision)).map(|((_, binary), p)| p.standard_error(&acc, met, binary)),
        );
        deals.push(std::mem::take(&mut result.deals));
        if options.shard.is_none() {
            // A shard keeps its sketches for the merge; a run makes its yearly rows now.
            yearly.extend(report::yearly_rows(&s.model, &result));
            result.yearly = Vec::new();
        }
        offset += result.paths as usize;
        runs.push((offset - result.paths as usize, result));
    }
    paths.finish().map_err(|e| failed("paths.parquet", &e))?;
    parquet_file
        .sync_all()
        .map_err(|e| failed("paths.parquet", &e))?;
    let parquet_path = staging
        .temporary_path("paths.parquet")
        .expect("created above")
        .to_path_buf();

    if let Some(shard) = options.shard {
        let build = build.as_deref().expect("a shard's build");
        let of = crate::shard::Of {
            shard,
            compare: options.compare,
        };
        return crate::shard::write_partial(scenarios, settings, of, build, staging, &runs, out);
    }
    finish(
        scenarios,
        settings,
        Finish {
            staging,
            parquet_path,
            runs,
            yearly,
            deals,
            precision_reached,
        },
        out,
        options,
    )
}

/// What the simulation of a run (or the merge of its shards) leaves for [`finish`].
pub(crate) struct Finish {
    pub staging: Staging,
    /// The finished `paths.parquet`, still under its temporary name.
    pub parquet_path: PathBuf,
    /// Each scenario's first row in `paths.parquet` and its run (yearly sketches dropped).
    pub runs: Vec<(usize, crate::run::ScenarioRun)>,
    pub yearly: Vec<YearlyRow>,
    pub deals: Vec<Vec<crate::sim::Deal>>,
    pub precision_reached: Vec<Option<f64>>,
}

/// The writer of `paths.parquet` for `scenarios`, with the run's metadata.
pub(crate) fn paths_writer<'f>(
    file: &'f std::fs::File,
    scenarios: &[Loaded],
    catalogues: &[crate::metrics::Catalogue],
    settings: RunSettings,
) -> polars::prelude::PolarsResult<PathsWriter<&'f std::fs::File>> {
    let described: Vec<(&ScenarioSource, &ScenarioFile)> =
        scenarios.iter().map(|s| (&s.source, &s.file)).collect();
    let names: Vec<&str> = scenarios.iter().map(|s| s.model.name.as_str()).collect();
    PathsWriter::new(
        file,
        &names,
        union_columns(&catalogues.iter().collect::<Vec<_>>()),
        vec![
            ("fundsim.version".into(), env!("CARGO_PKG_VERSION").into()),
            ("fundsim.seed".into(), settings.seed.to_string()),
            (
                "fundsim.run".into(),
                run_json(settings.seed, settings.paths, &described),
            ),
        ],
    )
}

/// Reads the summaries back from `paths.parquet` and writes every other file of the run.
pub(crate) fn finish(
    scenarios: &[Loaded],
    settings: RunSettings,
    done: Finish,
    out: &Path,
    options: &Options,
) -> Result<RunReport, AppError> {
    let Finish {
        mut staging,
        parquet_path,
        runs,
        yearly,
        deals,
        precision_reached,
    } = done;
    let (compare, precision) = (options.compare, options.precision);
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {what}: {e}", out.display()))
    };
    let lang = options.lang;
    let catalogues: Vec<_> = scenarios
        .iter()
        .map(|s| s.model.catalogue_for_run())
        .collect();
    // Labels in the language asked for (metrics.csv's; the run's own catalogues keep theirs).
    let labelled: Vec<crate::metrics::Catalogue> = scenarios
        .iter()
        .zip(&catalogues)
        .map(|(s, c)| {
            let mut c = c.clone();
            for col in c.scalars.iter_mut().chain(c.yearly.iter_mut()) {
                col.label = crate::lang::metric_label(lang, &s.model, &col.name, &col.label);
            }
            c
        })
        .collect();

    let mut summary: Vec<SummaryRow> = Vec::new();
    let mut targets: Vec<TargetRow> = Vec::new();
    let mut table = String::new();
    let mut headlines = Vec::new();
    for (s, (offset, result)) in scenarios.iter().zip(&runs) {
        let mut values = PathsReader::new(
            parquet_path.clone(),
            *offset,
            result.paths as usize,
            &result.catalogue,
        );
        let read_back = |e: polars::prelude::PolarsError| {
            AppError::Failed(format!(
                "{}: cannot read back paths.parquet: {e}",
                out.display()
            ))
        };
        let mut rows =
            report::summary_rows_from(&s.model, result, &mut values).map_err(read_back)?;
        let mut trows =
            report::target_rows_from(&s.model, result, &mut values).map_err(read_back)?;
        for r in &mut rows {
            r.label = crate::lang::metric_label(lang, &s.model, &r.metric, &r.label);
        }
        for r in &mut trows {
            r.label = crate::lang::target_label(lang, &s.model, &r.target, &r.label);
        }
        table.push_str(&report::stdout_table(&s.model, result, &rows, &trows));
        table.push('\n');
        let mut headline = report::headline(&s.model, &s.file.scenario.description, &rows, &trows);
        report::headline_ratio_mcse(&mut headline, result, &mut values).map_err(read_back)?;
        headlines.push(headline);
        summary.extend(rows);
        targets.extend(trows);
    }

    let mut bytes = Vec::new();
    let mut comparison = None;
    if compare {
        let reader = |i: usize| {
            let (offset, run) = &runs[i];
            PathsReader::new(
                parquet_path.clone(),
                *offset,
                run.paths as usize,
                &run.catalogue,
            )
        };
        let mut rows = Vec::new();
        for i in 1..scenarios.len() {
            let (mut base, mut other) = (reader(0), reader(i));
            rows.extend(
                report::comparison_rows(
                    (&scenarios[0].model, &runs[0].1, &mut base),
                    (&scenarios[i].model, &runs[i].1, &mut other),
                )
                .map_err(|e| {
                    AppError::Failed(format!(
                        "{}: cannot read back paths.parquet: {e}",
                        out.display()
                    ))
                })?
                .into_iter()
                .map(|mut r| {
                    r.label =
                        crate::lang::metric_label(lang, &scenarios[i].model, &r.metric, &r.label);
                    r
                }),
            );
        }
        write_comparison(&mut bytes, &rows).map_err(|e| failed("comparison.csv", &e))?;
        staging
            .write("comparison.csv", &bytes)
            .map_err(|e| failed("comparison.csv", &e))?;
        // Followed by a blank line, as each scenario's table of a run is.
        table = report::comparison_table(&rows, settings.paths);
        table.push('\n');
        comparison = Some(rows);
    }
    bytes.clear();
    write_summary(&mut bytes, &summary).map_err(|e| failed("summary.csv", &e))?;
    staging
        .write("summary.csv", &bytes)
        .map_err(|e| failed("summary.csv", &e))?;
    bytes.clear();
    write_targets(&mut bytes, &targets).map_err(|e| failed("targets.csv", &e))?;
    staging
        .write("targets.csv", &bytes)
        .map_err(|e| failed("targets.csv", &e))?;
    bytes.clear();
    write_yearly(&mut bytes, &yearly).map_err(|e| failed("yearly.csv", &e))?;
    staging
        .write("yearly.csv", &bytes)
        .map_err(|e| failed("yearly.csv", &e))?;
    if settings.deals > 0 {
        bytes.clear();
        let per_scenario: Vec<_> = scenarios
            .iter()
            .zip(&deals)
            .map(|(s, d)| (&s.model, d.as_slice()))
            .collect();
        write_deals(&mut bytes, &per_scenario).map_err(|e| failed("deals.csv", &e))?;
        staging
            .write("deals.csv", &bytes)
            .map_err(|e| failed("deals.csv", &e))?;
    }
    bytes.clear();
    write_indicators(&mut bytes, &summary).map_err(|e| failed("indicators.csv", &e))?;
    staging
        .write("indicators.csv", &bytes)
        .map_err(|e| failed("indicators.csv", &e))?;
    bytes.clear();
    write_metrics(
        &mut bytes,
        &scenarios
            .iter()
            .map(|s| s.model.name.as_str())
            .zip(&labelled)
            .collect::<Vec<_>>(),
    )
    .map_err(|e| failed("metrics.csv", &e))?;
    staging
        .write("metrics.csv", &bytes)
        .map_err(|e| failed("metrics.csv", &e))?;
    let described: Vec<(&ScenarioSource, &ScenarioFile)> =
        scenarios.iter().map(|s| (&s.source, &s.file)).collect();
    let mut json = run_json(settings.seed, settings.paths, &described);
    if let Some(p) = precision {
        // The paths each scenario used and the precision it reached.
        let mut value: serde_json::Value = serde_json::from_str(&json).expect("our own JSON");
        value["precision"] = serde_json::json!({ "metric": p.metric, "tolerance": p.tolerance });
        if let Some(list) = value["scenarios"].as_array_mut() {
            for (entry, ((_, run), reached)) in
                list.iter_mut().zip(runs.iter().zip(&precision_reached))
            {
                entry["paths"] = serde_json::json!(run.paths);
                entry["precision_reached"] = serde_json::json!(reached);
            }
        }
        json = serde_json::to_string_pretty(&value).expect("json") + "\n";
    }
    staging
        .write("run.json", json.as_bytes())
        .map_err(|e| failed("run.json", &e))?;
    if options.xlsx {
        let book = crate::output::xlsx_out::workbook(&crate::output::xlsx_out::Tables {
            headlines: &headlines,
            summary: &summary,
            targets: &targets,
            yearly: &yearly,
            comparison: comparison.as_deref(),
            lang,
        })
        .map_err(|e| failed("fundsim.xlsx", &e))?;
        staging
            .write("fundsim.xlsx", &book)
            .map_err(|e| failed("fundsim.xlsx", &e))?;
    }

    let files = staging
        .commit()
        .map_err(|e| failed("the output files", &e))?;
    Ok(RunReport {
        files,
        table,
        headlines,
        targets,
    })
}

/// Before goal seeking simulates anything: the scenario loads at both bounds, and, without a step
/// (bisection then tries values that are not whole), at a value between them that is not whole, so
/// a bad bound, or a key that takes only whole numbers (a count, a number of years), is refused
/// before the first run rather than part-way.
fn goal_seek_loads(
    file: &PathBuf,
    base: &[String],
    range: &crate::study::Range,
    target: &str,
) -> Result<(), AppError> {
    use rust_decimal::Decimal;
    // A refusal names the value as typed, under the flag it was typed with (`--set-range
    // KEY=5000元`), not the override it became (`--set KEY=5000元` in yuan).
    let load_with = |v: Decimal| {
        let mut sets = base.to_vec();
        let set = crate::study::set(&range.key, v, range.written);
        sets.push(set.clone());
        load_all_with(std::slice::from_ref(file), &sets).map_err(|e| match e {
            AppError::BadInput(message) => AppError::BadInput(message.replace(
                &format!("--set {set}"),
                &format!(
                    "--set-range {}={}",
                    range.key,
                    crate::study::shown_like(range.notation(), v)
                ),
            )),
            other => other,
        })
    };
    let load = |v: Decimal| load_with(v).map(|_| ());
    let (lo, mut hi) = (range.values[0], *range.values.last().expect("bounds"));
    // With a step the search ends at the last grid point at or below b (`study::goal_seek`).
    if let Some(step) = range.step.filter(|_| hi > lo) {
        hi = lo + ((hi - lo) / step).floor() * step;
    }
    // The target checked before anything is simulated.
    let first = load_with(lo)?;
    let ids = report::target_ids(&first[0].model);
    if !ids.iter().any(|id| id == target) {
        return Err(AppError::BadInput(format!(
            "error: --target {target}: no such target in {}; allowed are {}; nothing was run",
            file.display(),
            ids.join(", ")
        )));
    }
    load(hi)?;
    if range.step.is_some() || hi <= lo {
        return Ok(());
    }
    // The middle, moved off a whole number if it is one (by a half when a small nudge lands on
    // another whole number).
    let mut mid = (lo + hi) / Decimal::TWO;
    if mid.fract().is_zero() {
        mid += (hi - lo) / Decimal::from(4000);
        if mid.fract().is_zero() {
            mid += Decimal::from(1) / Decimal::TWO;
        }
    }
    match load(mid) {
        Err(_) if load(mid.round()).is_ok() => Err(AppError::BadInput(format!(
            "error: --set-range {key}={lo}..{hi}: {key} takes only whole numbers, and without a step goal seeking tries values between the bounds such as {mid}: add the step 1, --set-range '{key}={lo}..{hi}:1'",
            key = range.key,
            lo = lo.normalize(),
            hi = hi.normalize(),
            mid = mid.normalize(),
        ))),
        other => other,
    }
}

/// A key a command lays over the scenario files, with what the user typed that gives it (for
/// messages): `--set KEY=VALUE`, `--values KEY=a,b,c`, an instrument of `--instruments`, ...
pub struct Given {
    pub key: String,
    pub from: String,
}

impl Given {
    /// Each `--set KEY=VALUE` of `sets` (an override without `=` is left to the loader, which
    /// refuses it).
    pub fn sets(sets: &[String]) -> Vec<Given> {
        (sets.iter())
            .filter_map(|o| {
                o.split_once('=').map(|(key, _)| Given {
                    key: key.trim().to_string(),
                    from: format!("--set {o}"),
                })
            })
            .collect()
    }

    /// The key a study varies, as typed (`--values KEY=a,b`, `--set-range KEY=a..b`).
    pub fn range(r: &crate::study::Range) -> Given {
        Given {
            key: r.key.clone(),
            from: r.given.clone(),
        }
    }
}

/// Whether key `outer` is `inner` or a table holding it: `a.b` holds `a.b` and `a.b.c`, not `a.bc`.
fn holds(outer: &str, inner: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Refuses two keys of `given` of which one is the other or lies inside it (`a.b` and `a.b`, or
/// `a.b` and `a.b.c`): laid over the file one after the other, the later replaces the earlier (or
/// part of it), so one of the two would be silently ignored. Anything two such overrides can say,
/// one says: the outer key with the whole value, or the inner key alone.
pub fn distinct_keys(given: &[Given]) -> Result<(), AppError> {
    for (j, b) in given.iter().enumerate() {
        for a in &given[..j] {
            let (outer, inner) = if holds(&a.key, &b.key) {
                (&a.key, &b.key)
            } else if holds(&b.key, &a.key) {
                (&b.key, &a.key)
            } else {
                continue;
            };
            let (x, y) = (&a.from, &b.from);
            return Err(AppError::BadInput(if outer == inner {
                format!(
                    "error: {x} and {y} both set {outer}: one would replace the other, which would be ignored; give {outer} once"
                )
            } else {
                format!(
                    "error: {x} and {y} overlap: {inner} lies inside {outer}, so one would replace the other (or part of it), which would be ignored; give only one of them ({outer} with the whole value, or {inner} alone)"
                )
            }));
        }
    }
    Ok(())
}

/// [`distinct_keys`] of the `--set` overrides of `run`, `compare`, `validate` and `actuals`.
pub fn check_sets(sets: &[String]) -> Result<(), AppError> {
    distinct_keys(&Given::sets(sets))
}

/// The first name given twice in `names`, if any: a study varies each input (or shares a budget
/// with each instrument) once, and labels its columns by name.
fn repeated<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

/// `fundsim sweep`: runs `file` at every point of the grid of `ranges` and writes `sweep.csv` and
/// `sweep.json` (every point, with its overrides). Returns a short table for stdout.
pub fn sweep_to_dir(
    file: &Path,
    base: &[String],
    ranges: &[crate::study::Range],
    metrics: &[String],
    settings: RunSettings,
    (out, xlsx): (&Path, Option<crate::lang::Lang>),
    progress: &dyn Progress,
) -> Result<String, AppError> {
    if let Some(key) = repeated(ranges.iter().map(|r| r.key.as_str())) {
        // The later value would win at every point, under two columns of different values.
        return Err(AppError::BadInput(format!(
            "error: {key} is varied twice (--set-range / --values): give each key once, with all its values (--values {key}=a,b,c)"
        )));
    }
    // A key inside another (or a --set of one): at every point one would replace the other.
    let mut given = Given::sets(base);
    given.extend(ranges.iter().map(Given::range));
    distinct_keys(&given)?;
    let file = file.to_path_buf();
    // Every point loaded and every metric known before the first point is simulated.
    let grid = crate::study::sweep_points(&file, base, ranges)?;
    if let Some((first, _)) = grid.first() {
        let catalogue = first.model.catalogue_for_run();
        for m in metrics {
            if !catalogue.scalars.iter().any(|c| &c.name == m) {
                return Err(AppError::BadInput(format!(
                    "error: --metric {m}: no such metric in {} (a scalar of summary.csv: see metrics.csv of a run); nothing was run",
                    file.display()
                )));
            }
        }
    }
    crate::app::check_out(out)?;
    // sweep.csv's metrics, each once.
    let mut measured: Vec<String> = (crate::output::csv_out::SWEEP_METRICS.iter())
        .map(|m| m.to_string())
        .collect();
    for m in metrics {
        if !measured.contains(m) {
            measured.push(m.clone());
        }
    }
    let (loaded, points, steps) = crate::study::sweep(grid, &measured, settings, progress);
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {what}: {e}", out.display()))
    };
    crate::app::check_out(out)?;
    let mut staging = Staging::new(out).map_err(|e| failed("the output directory", &e))?;
    let keys: Vec<String> = ranges.iter().map(|r| r.key.clone()).collect();
    let mut bytes = Vec::new();
    // The columns beyond the default ones: each `--metric` once, and none twice.
    let extra = &measured[crate::output::csv_out::SWEEP_METRICS.len()..];
    crate::output::csv_out::write_sweep(&mut bytes, &keys, &points, extra)
        .map_err(|e| failed("sweep.csv", &e))?;
    let study = xlsx.map(|lang| (crate::output::xlsx_out::Study::Sweep, lang));
    stage_study(&mut staging, out, "sweep.csv", &bytes, study)?;
    let mut bytes = Vec::new();
    crate::output::csv_out::write_sweep_paired(&mut bytes, &keys, &points, &steps)
        .map_err(|e| failed("sweep_paired.csv", &e))?;
    staging
        .write("sweep_paired.csv", &bytes)
        .map_err(|e| failed("sweep_paired.csv", &e))?;
    let described: Vec<(&ScenarioSource, &ScenarioFile)> =
        loaded.iter().map(|s| (&s.source, &s.file)).collect();
    let parameters = serde_json::json!({
        "inputs": ranges.iter().map(|r| serde_json::json!({
            "key": r.key, "values": r.shown, "given": r.given,
        })).collect::<Vec<_>>(),
        "metrics": extra,
    });
    staging
        .write(
            "sweep.json",
            crate::output::study_json(
                "sweep",
                (settings.seed, settings.paths),
                &described,
                parameters,
            )
            .as_bytes(),
        )
        .map_err(|e| failed("sweep.json", &e))?;
    staging
        .commit()
        .map_err(|e| failed("the output files", &e))?;
    let mut table = String::new();
    for p in &points {
        // Each value as the user typed it (`5万`, `30%`), else as a number.
        let values: Vec<String> = (ranges.iter().zip(&p.values))
            .map(|(r, v)| {
                let typed = (r.values.iter().position(|x| x == v)).and_then(|i| r.shown.get(i));
                match typed {
                    Some(t) => format!("{}={t}", r.key),
                    None => format!("{}={}", r.key, v.normalize()),
                }
            })
            .collect();
        let pct = |t: &report::TargetRow| report::percent(t.estimate.p);
        let mut all = (p.targets.iter())
            .find(|t| t.target == report::ALL_TARGETS)
            .map_or("-".to_string(), pct);
        // Each deadline's joint probability too, when the targets have several: the whole is 0
        // whenever one early target is never met.
        let by_deadline: Vec<String> = (p.targets.iter())
            .filter_map(|t| {
                let year = t
                    .target
                    .strip_prefix(&format!("{}_", report::ALL_TARGETS))?;
                Some(format!("{year} {}", pct(t)))
            })
            .collect();
        if !by_deadline.is_empty() {
            all = format!("{all} ({})", by_deadline.join(", "));
        }
        let cost = p
            .summary
            .iter()
            .find(|r| r.metric == "net_fiscal_cost")
            .map_or(f64::NAN, |r| r.summary.mean);
        table.push_str(&format!(
            "{}  P(all targets) {all}  net fiscal cost (mean) {}\n",
            values.join(" "),
            report::human(cost, crate::metrics::Unit::Cny)
        ));
    }
    Ok(table)
}

/// `fundsim goal-seek`: the smallest value of `range.key` in its bounds for which P(`target`) ≥
/// `level`; writes `goal_seek.csv`. Returns the answer as text for stdout.
pub fn goal_seek_to_dir(
    file: &Path,
    base: &[String],
    range: &crate::study::Range,
    (target, level): (&str, f64),
    settings: RunSettings,
    (out, xlsx): (&Path, Option<crate::lang::Lang>),
    progress: &dyn Progress,
) -> Result<String, AppError> {
    let mut given = Given::sets(base);
    given.push(Given::range(range));
    distinct_keys(&given)?;
    let file = file.to_path_buf();
    goal_seek_loads(&file, base, range, target)?;
    let seek = crate::study::goal_seek(&file, base, range, (target, level), settings, progress)?;
    let mut bytes = Vec::new();
    crate::output::csv_out::write_goal_seek(&mut bytes, &range.key, &seek).map_err(|e| {
        AppError::Failed(format!(
            "{}: cannot write goal_seek.csv: {e}",
            out.display()
        ))
    })?;
    let study = xlsx.map(|lang| (crate::output::xlsx_out::Study::GoalSeek, lang));
    // Values in the notation the range was typed in (`300万`, `30%`).
    let typed = |v: rust_decimal::Decimal| crate::study::shown_like(range.notation(), v);
    let shown = |v: Option<rust_decimal::Decimal>| v.map(typed);
    let json = study_json_of(
        "goal-seek",
        &file,
        base,
        settings,
        serde_json::json!({
            "key": range.key,
            "range": range.shown,
            "given": range.given,
            "target": target,
            "level": level,
            "answer": shown(seek.answer),
            "answer_range": [shown(seek.interval.0), shown(seek.interval.1)],
            "probability_falls": seek.falls.is_some(),
        }),
    )?;
    write_one(
        out,
        ("goal_seek.csv", &bytes),
        study,
        ("goal_seek.json", &json),
    )?;
    let show = |v: Option<rust_decimal::Decimal>| v.map_or("not reached".into(), typed);
    let mut text = String::new();
    if let Some(((a, pa), (b, pb))) = seek.falls {
        text.push_str(&format!(
            "warning: P({target} met) falls as {} rises over the range ({} at {}, {} at {}): goal seeking takes it to rise, so what follows does not say how much is needed (sweep the range to see its course)\n",
            range.key,
            report::percent(pa),
            typed(a),
            report::percent(pb),
            typed(b),
        ));
    }
    text.push_str(&match (seek.answer, seek.interval.0) {
        (Some(x), _) => format!(
            "{} = {} is the smallest value with P({target} met) ≥ {:.1}% ({} paths); given the Monte Carlo error it lies between {} and {} ({} runs, goal_seek.csv)\n",
            range.key,
            typed(x),
            level * 100.0,
            settings.paths,
            show(seek.interval.0),
            show(seek.interval.1),
            seek.tried.len(),
        ),
        (None, Some(early)) => format!(
            "P({target} met) is below {:.1}% at every value up to {} = {} ({} paths), but given the Monte Carlo error it may reach it from {}: not determined; run more paths to decide (goal_seek.csv)\n",
            level * 100.0,
            range.key,
            typed(seek.upper),
            settings.paths,
            typed(early),
        ),
        (None, None) => format!(
            "P({target} met) stays below {:.1}% up to {} = {} ({} paths; goal_seek.csv)\n",
            level * 100.0,
            range.key,
            typed(seek.upper),
            settings.paths
        ),
    });
    Ok(text)
}

/// Writes a study's CSV (with its workbook, if asked) and its `<study>.json` into `out` through
/// [`Staging`], and nothing else.
fn write_one(
    out: &Path,
    (name, bytes): (&str, &[u8]),
    xlsx: Option<(crate::output::xlsx_out::Study, crate::lang::Lang)>,
    (json_name, json): (&str, &str),
) -> Result<(), AppError> {
    let failed = |e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {name}: {e}", out.display()))
    };
    crate::app::check_out(out)?;
    let mut staging = Staging::new(out).map_err(|e| failed(&e))?;
    stage_study(&mut staging, out, name, bytes, xlsx)?;
    staging
        .write(json_name, json.as_bytes())
        .map_err(|e| failed(&e))?;
    staging.commit().map_err(|e| failed(&e))?;
    Ok(())
}

/// A study's `<study>.json` ([`crate::output::study_json`]) for `file` with the `base` overrides.
fn study_json_of(
    study: &str,
    file: &Path,
    base: &[String],
    settings: RunSettings,
    parameters: serde_json::Value,
) -> Result<String, AppError> {
    let loaded = load_all_with(&[file.to_path_buf()], base)?;
    let described: Vec<(&ScenarioSource, &ScenarioFile)> =
        loaded.iter().map(|s| (&s.source, &s.file)).collect();
    Ok(crate::output::study_json(
        study,
        (settings.seed, settings.paths),
        &described,
        parameters,
    ))
}

/// Stages a study's CSV `name` and, with `xlsx`, its workbook (`fundsim.xlsx`).
fn stage_study(
    staging: &mut Staging,
    out: &Path,
    name: &str,
    bytes: &[u8],
    xlsx: Option<(crate::output::xlsx_out::Study, crate::lang::Lang)>,
) -> Result<(), AppError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {what}: {e}", out.display()))
    };
    staging.write(name, bytes).map_err(|e| failed(name, &e))?;
    if let Some((study, lang)) = xlsx {
        let book = crate::output::xlsx_out::study_workbook(study, bytes, lang)
            .map_err(|e| failed("fundsim.xlsx", &e))?;
        staging
            .write("fundsim.xlsx", &book)
            .map_err(|e| failed("fundsim.xlsx", &e))?;
    }
    Ok(())
}

/// `fundsim sensitivity`: the tornado of `metric` over `inputs`; writes `tornado.csv`.
pub fn tornado_to_dir(
    file: &Path,
    base: &[String],
    inputs: &[crate::study::Range],
    metric: &str,
    settings: RunSettings,
    (out, xlsx): (&Path, Option<crate::lang::Lang>),
    progress: &dyn Progress,
) -> Result<String, AppError> {
    if let Some(key) = repeated(inputs.iter().map(|r| r.key.as_str())) {
        return Err(AppError::BadInput(format!(
            "error: --input {key} is given twice: give each input once, as KEY=low..high"
        )));
    }
    // Each input is set alone, over the --set overrides (which set the others' base): only the
    // overrides must not overlap among themselves.
    check_sets(base)?;
    let swings = crate::study::tornado(
        &file.to_path_buf(),
        base,
        inputs,
        metric,
        settings,
        progress,
    )?;
    let mut bytes = Vec::new();
    crate::output::csv_out::write_tornado(&mut bytes, metric, &swings)
        .map_err(|e| AppError::Failed(format!("tornado.csv: {e}")))?;
    let study = xlsx.map(|lang| (crate::output::xlsx_out::Study::Tornado, lang));
    let json = study_json_of(
        "sensitivity",
        file,
        base,
        settings,
        serde_json::json!({
            "metric": metric,
            "inputs": swings.iter().map(|s| serde_json::json!({
                "key": s.key,
                "low": s.low.normalize().to_string(),
                "high": s.high.normalize().to_string(),
            })).collect::<Vec<_>>(),
        }),
    )?;
    write_one(out, ("tornado.csv", &bytes), study, ("tornado.json", &json))?;
    let mut text = format!("{metric}: swing from each input's low to its high value (paired)\n");
    let width = swings.iter().map(|s| s.key.len()).max().unwrap_or(0).max(5);
    text.push_str(&format!(
        "{:<width$} {:>10} {:>20}  (low → high)\n",
        "input", "swing", "95% interval"
    ));
    for s in &swings {
        text.push_str(&format!(
            "{:<width$} {:>10} {:>20}  ({} → {})",
            s.key,
            format!("{:+.4}", s.swing.0),
            bounds(s.swing_interval, true),
            s.low.normalize(),
            s.high.normalize()
        ));
        if let Some((rho, lo, hi)) = s.rank_correlation {
            text.push_str(&format!(
                "  rank correlation {rho:+.3} [{lo:+.3}, {hi:+.3}]"
            ));
        }
        text.push('\n');
    }
    Ok(text)
}

/// A 95% interval `[low, high]` to four decimals (with signs for a difference), as the studies
/// print it: ± 1.96 MCSE, or for a probability its score interval (Wilson's; Tango's for a paired
/// difference), which is not symmetric about the estimate.
fn bounds((low, high): (f64, f64), signed: bool) -> String {
    if signed {
        format!("[{low:+.4}, {high:+.4}]")
    } else {
        format!("[{low:.4}, {high:.4}]")
    }
}

/// `fundsim allocate`: every split of `budget` across `ids`; writes `allocation.csv`.
pub fn allocate_to_dir(
    file: &Path,
    base: &[String],
    (ids, budget, step): (&[String], rust_decimal::Decimal, rust_decimal::Decimal),
    objective: &str,
    settings: RunSettings,
    (out, xlsx): (&Path, Option<crate::lang::Lang>),
    progress: &dyn Progress,
) -> Result<String, AppError> {
    if let Some(id) = repeated(ids.iter().map(String::as_str)) {
        // Both shares would set the same budget, the later one winning.
        return Err(AppError::BadInput(format!(
            "error: --instruments: \"{id}\" is named twice: name each instrument once"
        )));
    }
    let (splits, best, holdout) = crate::study::allocate(
        &file.to_path_buf(),
        base,
        (ids, budget, step),
        objective,
        settings,
        progress,
    )?;
    let mut bytes = Vec::new();
    crate::output::csv_out::write_allocation(&mut bytes, ids, objective, &splits)
        .map_err(|e| AppError::Failed(format!("allocation.csv: {e}")))?;
    let study = xlsx.map(|lang| (crate::output::xlsx_out::Study::Allocation, lang));
    let finite = |v: f64| v.is_finite().then_some(v);
    let json = study_json_of(
        "allocate",
        file,
        base,
        settings,
        serde_json::json!({
            "instruments": ids,
            "budget": budget.normalize().to_string(),
            "step": step.normalize().to_string(),
            "objective": objective,
            "best": splits[best].shares.iter().map(|x| x.normalize().to_string()).collect::<Vec<_>>(),
            // The best split again on paths of its own (`study::Holdout`): its honest score.
            "best_on_fresh_paths": holdout.as_ref().map(|h| serde_json::json!({
                "seed": h.seed,
                "sets": h.sets,
                "paths": settings.paths,
                "mean": finite(h.objective.0),
                "mcse": finite(h.objective.1),
                "low": finite(h.interval.0),
                "high": finite(h.interval.1),
            })),
        }),
    )?;
    write_one(
        out,
        ("allocation.csv", &bytes),
        study,
        ("allocation.json", &json),
    )?;
    let show = |s: &crate::study::Split| {
        (ids.iter().zip(&s.shares))
            .map(|(id, x)| {
                format!(
                    "{id} {}%",
                    (x * rust_decimal::Decimal::ONE_HUNDRED).normalize()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The budget as the tables show money (2.24亿).
    let yearly_budget = report::human(
        rust_decimal::prelude::ToPrimitive::to_f64(&budget).unwrap_or(f64::NAN),
        crate::metrics::Unit::Cny,
    );
    // Every split with a value scoring the same (a flat objective): there is no best to name.
    let mut values = splits.iter().map(|s| s.objective.0).filter(|v| !v.is_nan());
    if let Some(first) = values.next()
        && values.all(|v| v == first)
    {
        let mut text = format!(
            "every split of {} a year scores the same on {objective} ({first}): the objective does not tell them apart\n",
            yearly_budget
        );
        let all_to_pool = crate::scenario::load::load_file_with(file, base)
            .is_ok_and(|(_, f)| f.program.recycling.to_pool.0 == rust_decimal::Decimal::ONE);
        if objective == "dpi" && all_to_pool {
            text.push_str(
                "with recycling.to_pool = 100% nothing returns to the treasury, so dpi is 0 at every split; try tvpi\n",
            );
        }
        return Ok(text);
    }
    let best = &splits[best];
    let mut text = format!(
        "best split of {} a year: {}  {objective} = {:.4}, 95% interval {}\n",
        yearly_budget,
        show(best),
        best.objective.0,
        bounds(best.objective_interval, false),
    );
    if let Some(h) = &holdout {
        let paths = match settings.paths {
            1 => "1 fresh path".to_string(),
            n => format!("{n} fresh paths"),
        };
        let defined = splits.iter().filter(|s| !s.objective.0.is_nan()).count();
        if h.objective.0.is_nan() {
            text.push_str(&format!(
                "on {paths} (seed {}) the best split's {objective} is undefined (no path on which it has a value)\n",
                h.seed
            ));
        } else {
            text.push_str(&format!(
                "on {paths} (seed {}) the best split scores {:.4}, 95% interval {}: the figure above is the best of {defined} splits scored on the same paths, which favours the winner\n",
                h.seed,
                h.objective.0,
                bounds(h.interval, false),
            ));
        }
    }
    text.push_str(&format!(
        "neighbours (one step moved), paired difference from the best:\n  {:<60} {:>10} {:>20}\n",
        "split", "difference", "95% interval"
    ));
    for s in splits.iter().filter(|s| s.neighbour) {
        if s.from_best.0.is_nan() {
            text.push_str(&format!(
                "  {:<60} undefined (no path on which {objective} has a value both here and at the best)\n",
                show(s)
            ));
            continue;
        }
        text.push_str(&format!(
            "  {:<60} {:>10} {:>20}\n",
            show(s),
            format!("{:+.4}", s.from_best.0),
            bounds(s.from_best_interval, true)
        ));
    }
    Ok(text)
}

/// Whether `comparison.csv` was written by the run whose `summary.csv` (and `run.json`, if any)
/// sit beside it. Its scenarios must be the run's; for each pair of scenarios its largest `n` (the
/// paths on which a metric defined on every path was paired) must be the paths the run gave them
/// (`run.json`: the scenario's own under `--precision`, else the run's); and on every row of that
/// `n` its `mean` and `base_mean` must be, to the printed digit, `summary.csv`'s means of the same
/// metric (a ratio defined on fewer paths is paired on the paths where both have it, so its means
/// differ from the summary's and are not compared).
fn comparison_of_run(
    c: &crate::output::html_out::Table,
    summary: &crate::output::html_out::Table,
    run: &Option<serde_json::Value>,
) -> bool {
    use std::collections::HashMap;
    let ran: Vec<&str> = summary.column("scenario").collect();
    if !(c.column("scenario").chain(c.column("base"))).all(|s| ran.contains(&s)) {
        return false;
    }
    let means: HashMap<(&str, &str), &str> = summary
        .column("scenario")
        .zip(summary.column("metric"))
        .zip(summary.column("mean"))
        .collect();
    let paths_of = |name: &str| -> Option<u64> {
        let run = run.as_ref()?;
        let own = run["scenarios"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .and_then(|s| s["paths"].as_u64());
        own.or_else(|| run["paths"].as_u64())
    };
    // (scenario, base, metric, n, mean, base_mean) of each row.
    type Row<'a> = (&'a str, &'a str, &'a str, Option<u64>, &'a str, &'a str);
    let rows: Vec<Row> = c
        .column("scenario")
        .zip(c.column("base"))
        .zip(c.column("metric"))
        .zip(c.column("n"))
        .zip(c.column("mean"))
        .zip(c.column("base_mean"))
        .map(|(((((s, b), m), n), mean), base_mean)| (s, b, m, n.parse().ok(), mean, base_mean))
        .collect();
    if rows.len() != c.rows.len() {
        return false;
    }
    let mut pairs: Vec<(&str, &str)> = rows.iter().map(|r| (r.0, r.1)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs.into_iter().all(|(other, base)| {
        let of_pair = || rows.iter().filter(move |r| r.0 == other && r.1 == base);
        let Some(most) = of_pair().filter_map(|r| r.3).max() else {
            return false;
        };
        let expected = match (paths_of(other), paths_of(base)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if expected.is_some_and(|e| e != most) {
            return false;
        }
        of_pair().filter(|r| r.3 == Some(most)).all(|r| {
            let same = |scenario: &str, printed: &str| {
                means.get(&(scenario, r.2)).is_none_or(|m| *m == printed)
            };
            same(other, r.4) && same(base, r.5)
        })
    })
}

/// The files a run's output directory may hold besides the tables every run writes, each with the
/// option (or command) that writes it anew. A command replaces only the files it writes, so one of
/// these left from an earlier command may no longer show what the directory's tables show.
const RUN_EXTRAS: [(&str, &str); 4] = [
    ("fundsim.xlsx", "--format xlsx"),
    ("report.html", "--report"),
    ("deals.csv", "run --deals K"),
    ("comparison.csv", "compare"),
];

/// Of [`RUN_EXTRAS`], those in `dir` that a `run`, `compare` or `merge` that has just written the
/// files `written` there did not write: an earlier command's, which may not match the run's tables
/// (a workbook of 2,000 paths beside the CSV of a million; nothing records which run a workbook,
/// report or deals file came from), with what writes each anew. A `comparison.csv` that
/// [`report_to_dir`] would still chart as the run's (an earlier `compare` of the same scenarios,
/// paths and seed) is not one of them.
pub fn earlier_run_files(dir: &Path, written: &[String]) -> Vec<(&'static str, &'static str)> {
    use crate::output::html_out::Table;
    let table = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).ok()?;
        Table::parse(&text).ok()
    };
    let still_the_runs = || {
        let run = std::fs::read_to_string(dir.join("run.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        match (table("comparison.csv"), table("summary.csv")) {
            (Some(c), Some(summary)) => comparison_of_run(&c, &summary, &run),
            _ => false,
        }
    };
    RUN_EXTRAS
        .into_iter()
        .filter(|(name, _)| !written.iter().any(|w| w == name) && dir.join(name).is_file())
        .filter(|&(name, _)| name != "comparison.csv" || !still_the_runs())
        .collect()
}

/// `fundsim report DIR`: `report.html` from the files of an output directory (a run, a comparison,
/// a tornado or an allocation), written beside them.
pub fn report_to_dir(dir: &Path, lang: crate::lang::Lang) -> Result<PathBuf, AppError> {
    use crate::output::html_out::{Inputs, Table, render};
    let read = |name: &str| -> Result<Option<Table>, AppError> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| AppError::Failed(format!("{}: cannot read: {e}", path.display())))?;
        Table::parse(&text).map(Some).map_err(|e| {
            AppError::BadInput(format!("error: {}: not a CSV file: {e}", path.display()))
        })
    };
    let need = |name: &str| -> Result<Table, AppError> {
        read(name)?.ok_or_else(|| {
            AppError::BadInput(format!(
                "error: {}: no {name}: give the output directory of fundsim run or compare",
                dir.display()
            ))
        })
    };
    let json = |name: &str| match std::fs::read_to_string(dir.join(name)) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text).ok(),
        Err(_) => None,
    };
    let run = json("run.json");
    let summary = need("summary.csv")?;
    // A comparison is charted only beside its own run (`compare` writes both): one left in the
    // directory by an earlier `compare`, of other scenarios or of the same ones with other paths
    // or another seed, is not this run's.
    let comparison = read("comparison.csv")?.filter(|c| comparison_of_run(c, &summary, &run));
    let inputs = Inputs {
        run,
        summary,
        targets: need("targets.csv")?,
        yearly: need("yearly.csv")?,
        comparison,
        tornado: read("tornado.csv")?,
        tornado_of: json("tornado.json"),
        allocation: read("allocation.csv")?,
        allocation_of: json("allocation.json"),
        metrics: read("metrics.csv")?,
    };
    let html = render(&inputs, lang).map_err(|e| AppError::Failed(format!("report.html: {e}")))?;
    let failed = |e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write report.html: {e}", dir.display()))
    };
    crate::app::check_out(dir)?;
    let mut staging = Staging::new(dir).map_err(|e| failed(&e))?;
    staging
        .write("report.html", html.as_bytes())
        .map_err(|e| failed(&e))?;
    staging.commit().map_err(|e| failed(&e))?;
    Ok(dir.join("report.html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_itself_and_the_keys_inside_it_only() {
        assert!(holds("a.b", "a.b"));
        assert!(holds("a.b", "a.b.c"));
        assert!(!holds("a.b", "a.bc"));
        assert!(!holds("a.b.c", "a.b"));
        let given = |keys: &[&str]| -> Vec<Given> {
            (keys.iter())
                .map(|k| Given {
                    key: k.to_string(),
                    from: format!("--set {k}=1"),
                })
                .collect()
        };
        assert!(distinct_keys(&given(&["a.b", "a.bc", "a.c.b"])).is_ok());
        let e = distinct_keys(&given(&["x", "a.b.c", "a.b"])).expect_err("nested");
        assert!(
            e.to_string()
                .contains("--set a.b.c=1 and --set a.b=1 overlap: a.b.c lies inside a.b"),
            "{e}"
        );
    }
}
