//! The `fundsim` command line: flags in, library calls, exit codes out (0 ok, 2 bad input, 1 other).

use clap::{Parser, Subcommand};
use fundsim::app::{AppError, load_all_with};
use fundsim::run::{Progress, RunSettings};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "fundsim",
    version,
    about = "Monte Carlo simulator for government investment funds"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print nothing but errors (no table, no list of files, no progress bar).
    #[arg(long, global = true)]
    quiet: bool,
    /// Print a machine-readable summary on stdout instead of the table (run, compare, merge,
    /// actuals):
    /// headline metrics and targets with their intervals per scenario, and the files written.
    #[arg(long, global = true, conflicts_with = "quiet")]
    json: bool,
    /// The language of labels and headings in metrics.csv, targets.csv, fundsim.xlsx and
    /// report.html (metric and target keys never change).
    #[arg(long, global = true, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LangArg {
    /// Chinese (中文).
    Zh,
    /// English.
    En,
}

/// What goes to stdout and stderr besides errors.
#[derive(Clone, Copy)]
struct Say {
    quiet: bool,
    json: bool,
    lang: fundsim::lang::Lang,
}

/// Writes to stdout or stderr; a reader that has gone (`fundsim validate … | head -2`) is not an
/// error: the rest of the text is dropped quietly, as `cat` and `grep` do, instead of a panic.
fn emit(mut to: impl std::io::Write, args: std::fmt::Arguments) {
    if let Err(e) = to.write_fmt(args).and_then(|()| to.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        // Another failure (a full disk under `--json > file`) is not a success: exit 1.
        UNWRITTEN.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
    }
}

/// Whether a write to stdout or stderr failed other than by a reader gone.
static UNWRITTEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

macro_rules! out {
    ($($t:tt)*) => { emit(std::io::stdout(), format_args!($($t)*)) };
}
macro_rules! outln {
    ($($t:tt)*) => { emit(std::io::stdout(), format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! errln {
    ($($t:tt)*) => { emit(std::io::stderr(), format_args!("{}\n", format_args!($($t)*))) };
}

impl Say {
    /// The human-readable result (a table), unless quiet or JSON.
    fn table(&self, text: &str) {
        if !self.quiet && !self.json {
            out!("{text}");
        }
    }
    /// The files written, on stderr, unless quiet.
    fn wrote(&self, out: &std::path::Path, files: &[String]) {
        if !self.quiet && !self.json {
            errln!("wrote {}: {}", out.display(), files.join(", "));
        }
    }
    /// After a run's files: the workbook, report, deals or comparison an earlier command left in
    /// `out`, which may not show what its tables show (on stderr, unless quiet or JSON).
    fn earlier(&self, out: &std::path::Path, files: &[String]) {
        if self.quiet || self.json {
            return;
        }
        let earlier = fundsim::app::earlier_run_files(out, files);
        let names: Vec<&str> = earlier.iter().map(|e| e.0).collect();
        // How each is written anew: "a", "a or b", "a, b or c".
        let how = match &earlier[..] {
            [] => return,
            [(_, one)] => one.to_string(),
            [rest @ .., (_, last)] => {
                let rest: Vec<&str> = rest.iter().map(|e| e.1).collect();
                format!("{} or {last}", rest.join(", "))
            }
        };
        let (these, were) = if names.len() == 1 {
            ("it", "was")
        } else {
            ("them", "were")
        };
        errln!(
            "note: {} in {} {were} not written by this command and may not show these results (write {these} anew with {how}, or delete {these})",
            names.join(", "),
            out.display(),
        );
    }
}

#[derive(Subcommand)]
enum Command {
    /// Write report.html (fan charts, targets, money per instrument, comparison, tornado,
    /// allocation) from the files of an output directory.
    Report {
        /// An output directory of fundsim run or compare (with sensitivity or allocate files, if
        /// any, copied in).
        dir: PathBuf,
    },
    /// Simulate scenarios and write summary.csv, targets.csv, yearly.csv, paths.parquet, run.json.
    Run {
        /// Scenario files (TOML). All run with the same seed, so they share random numbers.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Also write deals.csv: every position the city took in the first K paths.
        #[arg(long, value_name = "K", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
        deals: u64,
        /// What to print: a table per scenario (text), or one Markdown table of every scenario's
        /// headline numbers (markdown).
        #[arg(long, value_enum, default_value_t = Table::Text)]
        table: Table,
        /// METRIC=TOL: stop each scenario once the Monte Carlo standard error of the metric's mean
        /// (a scalar of summary.csv, or p.<target> for a target's probability) is at most TOL,
        /// checking after every 4,096 paths (so the result depends on the seed only); --paths is
        /// then the most paths to run.
        #[arg(long, value_name = "METRIC=TOL")]
        precision: Option<String>,
        /// Also write report.html (as fundsim report DIR does).
        #[arg(long)]
        report: bool,
        /// I/N: run only shard I (0 to N−1) of the paths, chunk-aligned, and write a partial
        /// result (paths.parquet, yearly.bin, shard.json) for `fundsim merge`; the merged output
        /// is byte for byte that of one run of all paths (docs/cluster.md).
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Combine the shards of one run (`run --shard I/N` or `compare --shard I/N`, any order) into
    /// the files of a single run (or comparison) of all its paths, byte for byte. Run it in the directory the shards ran in: it reads
    /// their scenario files again and checks them against the shards' SHA-256.
    Merge {
        /// The shards' output directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory (created if missing; the files written are replaced).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// What to print: a table per scenario (text), or one Markdown table (markdown).
        #[arg(long, value_enum, default_value_t = Table::Text)]
        table: Table,
        /// Also write report.html.
        #[arg(long)]
        report: bool,
        /// Also write fundsim.xlsx.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Compare scenarios with a base on common random numbers: paired differences of every metric
    /// and target in comparison.csv (beside the files of `run`), the headline differences on stdout.
    Compare {
        /// The scenario the others are compared with.
        base: PathBuf,
        /// The scenarios to compare with it.
        #[arg(required = true)]
        others: Vec<PathBuf>,
        /// Also write report.html (as fundsim report DIR does).
        #[arg(long)]
        report: bool,
        /// I/N: run only shard I (0 to N−1) of the paths, chunk-aligned, and write a partial
        /// result for `fundsim merge`, which writes comparison.csv with the run's files, byte for
        /// byte those of one comparison of all paths (docs/cluster.md).
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Run one scenario at every point of a grid of input values, on common random numbers:
    /// one row per point in sweep.csv (each target's P(met), key metrics, with their MCSE).
    Sweep {
        scenario: PathBuf,
        /// KEY=a..b:step, e.g. instruments.sub_fund.fof.budget=1亿..3亿:5000万 (several keys:
        /// their grid).
        #[arg(long = "set-range", value_name = "KEY=a..b:step")]
        set_range: Vec<String>,
        /// KEY=a,b,c: the values of a key, listed.
        #[arg(long = "values", value_name = "KEY=a,b,c")]
        values: Vec<String>,
        /// A metric of summary.csv to report besides the defaults (repeatable).
        #[arg(long = "metric")]
        metric: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// The smallest value of an input for which a target is met with at least a given
    /// probability, on common random numbers, with the range the Monte Carlo error leaves.
    GoalSeek {
        scenario: PathBuf,
        /// KEY=a..b: the input and the bounds to search in.
        #[arg(long = "set-range", value_name = "KEY=a..b")]
        set_range: String,
        /// A target id of the scenario, or all / all_<year>.
        #[arg(long)]
        target: String,
        /// The probability to reach, in (0, 1): 0.8 or 80%.
        #[arg(long, value_parser = probability_arg)]
        probability: f64,
        #[command(flatten)]
        common: Common,
    },
    /// A tornado: each input at its low and high value on common random numbers, ranked by the
    /// swing of a metric (tornado.csv).
    Sensitivity {
        scenario: PathBuf,
        /// The metric: a scalar of summary.csv, or p.<target> for a target's P(met).
        #[arg(long)]
        metric: String,
        /// KEY=low..high (repeatable); without it, the scenario's [uncertain] inputs.
        #[arg(long = "input", value_name = "KEY=low..high")]
        input: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// The split of a yearly budget across instruments that maximises an objective, on common
    /// random numbers, with every split tried and its paired difference from the best
    /// (allocation.csv).
    Allocate {
        scenario: PathBuf,
        /// The yearly budget to split, e.g. 2.24亿.
        #[arg(long)]
        budget: String,
        /// Instrument ids, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        instruments: Vec<String>,
        /// p.<target> (a target's P(met), e.g. p.all_2030), or a scalar metric of summary.csv
        /// (maximised; minimised when less is better, e.g. net_fiscal_cost, or target.<id>, a
        /// target's value, of an at-most target), or a weighted sum
        /// of them, maximised: 0.6*p.unicorns_2030+0.4*p.projects_2030 (a cost with a negative
        /// weight: p.all_2030+-1e-9*net_fiscal_cost).
        #[arg(long)]
        objective: String,
        /// Share step of the splits (a divisor of 1).
        #[arg(long, default_value = "0.25")]
        step: String,
        #[command(flatten)]
        common: Common,
    },
    /// Where realised yearly figures (a ledger CSV: year,<metric>,…) fall in the simulated
    /// distribution of the same metric and year: percentile, p05/p50/p95, outside the band or not
    /// (actuals.csv).
    Actuals {
        scenario: PathBuf,
        /// The ledger: a CSV with a header `year,<metric>,<metric>,…` (yearly metrics of
        /// yearly.csv, e.g. projects_landed, fiscal_outlay, money_back, deals.frontier), one row
        /// per calendar year; empty cells are unknown; money as 263000000, 200万 or 2.63亿.
        #[arg(long, value_name = "LEDGER.csv")]
        actuals: PathBuf,
        /// Seed of the random streams (default: that of --from, else the run default 20240101).
        #[arg(long, conflicts_with = "from")]
        seed: Option<u64>,
        /// An output directory of fundsim run: its seed, paths and overrides (from run.json).
        #[arg(long, value_name = "RUN_DIR")]
        from: Option<PathBuf>,
        /// Number of Monte Carlo paths (default: that of --from, else 10000).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=fundsim::actuals::MAX_PATHS))]
        paths: Option<u64>,
        /// Worker threads (default: all cores). Does not change the results.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        /// Output directory (created if missing; actuals.csv is replaced).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Override a scenario value without editing the file: KEY=VALUE (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Check scenario files and report every problem with its file, line and key.
    Validate {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Override a scenario value without editing the file: KEY=VALUE, KEY a dotted path
        /// (elements of arrays by id: instruments.direct_equity.equity.budget=2亿). Repeatable;
        /// applies to every scenario, validated like the file, recorded in run.json.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
}

/// What every simulating command takes.
#[derive(clap::Args)]
struct Common {
    /// Number of Monte Carlo paths per scenario (or per point of a study).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    paths: u64,
    /// Seed of the random streams: the same seed gives the same output bytes.
    #[arg(long, default_value_t = 20_240_101)]
    seed: u64,
    /// Worker threads (default: all cores). Does not change the results.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Output directory (created if missing; the files written are replaced).
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Override a scenario value without editing the file: KEY=VALUE, KEY a dotted path
    /// (elements of arrays by id: instruments.direct_equity.equity.budget=2亿). Repeatable;
    /// applies to every scenario, validated like the file, recorded in run.json.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Also write fundsim.xlsx beside the CSV: for run and compare the headline, charts, summary,
    /// targets, yearly (and comparison) sheets; for a study its table and a chart.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Table {
    Text,
    Markdown,
}

/// The files besides the contract's CSV, Parquet and JSON.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Only the contract's files.
    Csv,
    /// Also fundsim.xlsx.
    Xlsx,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn advance(&self, paths: u64) {
        self.0.inc(paths);
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} paths  ETA {eta}",
        )
        .expect("template"),
    );
    bar
}

/// `--quiet` or `--json`: no progress bar either.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let say = Say {
        quiet: cli.quiet,
        json: cli.json,
        lang: match cli.lang {
            LangArg::Zh => fundsim::lang::Lang::Zh,
            LangArg::En => fundsim::lang::Lang::En,
        },
    };
    QUIET.store(cli.quiet || cli.json, std::sync::atomic::Ordering::Relaxed);
    // A panic is a bug, not bad input: exit 1 (the panic message is already printed), after
    // unwinding has removed any temporary output files.
    match std::panic::catch_unwind(|| execute(cli.command, say)) {
        Ok(Ok(())) if UNWRITTEN.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(1),
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            errln!("{e}");
            ExitCode::from(e.exit_code() as u8)
        }
        Err(_) => {
            errln!(
                "error: internal error (a bug in fundsim): please report it with the scenario file"
            );
            ExitCode::from(1)
        }
    }
}

/// `--probability`: `0.8` or `80%` (a full-width ％ too); `80` alone is refused with the two forms
/// it may have meant.
fn probability_arg(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = fundsim::app::number_or_value(t)
        .ok_or_else(|| format!("\"{t}\" is not a probability: write e.g. 0.8 or 80%"))?;
    if value > 1.0 && !t.ends_with(['%', '％']) {
        return Err(format!(
            "{t} is above 1: a probability is written 0.8 or 80% (did you mean {value}%?)"
        ));
    }
    Ok(value)
}

/// A worker pool of `threads` threads (all cores if not given).
/// `run` or `compare` of `loaded` with `settings` (cut to `options.shard`'s paths, if a shard) on
/// `threads` threads into `out`, with a progress bar over the paths simulated: what it wrote, and
/// the settings it ran.
fn simulate(
    loaded: &[fundsim::app::Loaded],
    settings: RunSettings,
    threads: Option<u16>,
    out: &std::path::Path,
    options: &fundsim::app::Options,
) -> Result<(fundsim::app::RunReport, RunSettings), AppError> {
    let pool = pool(threads)?;
    let settings = match options.shard {
        Some(s) => fundsim::shard::settings(settings, s),
        None => settings,
    };
    let (first, end) = settings.path_range();
    let bar = Bar(progress_bar((end - first) * loaded.len() as u64));
    let report =
        pool.install(|| fundsim::app::run_with_options(loaded, settings, out, &bar, options))?;
    bar.0.finish_and_clear();
    Ok((report, settings))
}

fn pool(threads: Option<u16>) -> Result<rayon::ThreadPool, AppError> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t as usize);
    }
    pool.build()
        .map_err(|e| AppError::Failed(format!("cannot start worker threads: {e}")))
}

/// The "wrote …" status line, on stderr so that stdout can be piped into a file.
/// A study's files, and the workbook with `--format xlsx`.
fn with_xlsx(format: Format, files: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    if format == Format::Xlsx {
        v.push("fundsim.xlsx".into());
    }
    v
}

/// What `run` and `merge` say when done: the JSON or the table, then report.html if asked, then the
/// files written.
fn tell_run(
    say: &Say,
    report: &fundsim::app::RunReport,
    (out, settings): (&std::path::Path, RunSettings),
    table: Table,
    with_report: bool,
) -> Result<(), fundsim::app::AppError> {
    if say.json {
        outln!("{}", fundsim::app::report_json(report, out, settings));
    }
    match table {
        Table::Text => say.table(&report.table),
        Table::Markdown => say.table(&fundsim::report::headline_markdown(&report.headlines)),
    }
    let mut files = names(&report.files);
    if with_report {
        fundsim::app::report_to_dir(out, say.lang)?;
        files.push("report.html".into());
    }
    say.wrote(out, &files);
    // A shard's directory is the merge's input, and a shard writes no workbook, report or deals.
    if settings.chunks.is_none() {
        say.earlier(out, &files);
    }
    Ok(())
}

/// `--shard` beside an option a shard cannot honour (`flag`: the option and why).
fn shard_refuses(flag: &str) -> AppError {
    AppError::BadInput(format!(
        "error: --shard cannot be used with {flag}: a shard writes a partial result; ask fundsim merge for the run's files"
    ))
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect()
}

fn execute(command: Command, say: Say) -> Result<(), AppError> {
    let bad = |e: String| AppError::BadInput(format!("error: {e}"));
    // `what` is the command and what it gives instead of a JSON summary.
    let json_only = |what: &str| -> Result<(), AppError> {
        if say.json {
            return Err(AppError::BadInput(format!(
                "error: --json: {what}; --json is for run, compare, merge and actuals"
            )));
        }
        Ok(())
    };
    match command {
        Command::Sweep {
            scenario,
            set_range,
            values,
            metric,
            common:
                Common {
                    paths,
                    seed,
                    threads,
                    out,
                    set,
                    format,
                },
        } => {
            json_only("sweep writes its table to sweep.csv")?;
            let mut ranges = Vec::new();
            for r in &set_range {
                let range = fundsim::study::parse_range(r, true).map_err(bad)?;
                ranges.push(range.with_flag("--set-range"));
            }
            for v in &values {
                let range = fundsim::study::parse_range(v, false).map_err(bad)?;
                ranges.push(range.with_flag("--values"));
            }
            if ranges.is_empty() {
                return Err(bad(
                    "give at least one --set-range KEY=a..b:step or --values KEY=a,b,c".into(),
                ));
            }
            let pool = pool(threads)?;
            let points: u64 = ranges.iter().map(|r| r.values.len() as u64).product();
            let bar = Bar(progress_bar(paths * points));
            let settings = RunSettings::new(paths, seed);
            let table = pool.install(|| {
                fundsim::app::sweep_to_dir(
                    &scenario,
                    &set,
                    &ranges,
                    &metric,
                    settings,
                    (&out, (format == Format::Xlsx).then_some(say.lang)),
                    &bar,
                )
            })?;
            bar.0.finish_and_clear();
            say.table(&table);
            say.wrote(
                &out,
                &with_xlsx(format, &["sweep.csv", "sweep_paired.csv", "sweep.json"]),
            );
            Ok(())
        }
        Command::Sensitivity {
            scenario,
            metric,
            input,
            common:
                Common {
                    paths,
                    seed,
                    threads,
                    out,
                    set,
                    format,
                },
        } => {
            json_only("sensitivity writes its table to tornado.csv")?;
            let inputs = (input.iter())
                .map(|i| {
                    let range = fundsim::study::parse_range(i, false).map_err(bad)?;
                    Ok::<_, fundsim::app::AppError>(range.with_flag("--input"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let pool = pool(threads)?;
            // Two runs per input, and one drawing every [uncertain] input if there are any.
            let loaded = fundsim::app::load_all_with(std::slice::from_ref(&scenario), &set)?;
            let drawn = (loaded.first())
                .and_then(|l| l.model.uncertain.as_ref())
                .map_or(0, |u| u.inputs.len() as u64);
            let varied = if inputs.is_empty() {
                drawn
            } else {
                inputs.len() as u64
            };
            let bar = Bar(progress_bar(paths * (2 * varied + u64::from(drawn > 0))));
            let settings = RunSettings::new(paths, seed);
            let text = pool.install(|| {
                fundsim::app::tornado_to_dir(
                    &scenario,
                    &set,
                    &inputs,
                    &metric,
                    settings,
                    (&out, (format == Format::Xlsx).then_some(say.lang)),
                    &bar,
                )
            })?;
            bar.0.finish_and_clear();
            say.table(&text);
            say.wrote(&out, &with_xlsx(format, &["tornado.csv", "tornado.json"]));
            Ok(())
        }
        Command::Allocate {
            scenario,
            budget,
            instruments,
            objective,
            step,
            common:
                Common {
                    paths,
                    seed,
                    threads,
                    out,
                    set,
                    format,
                },
        } => {
            json_only("allocate writes its table to allocation.csv")?;
            let given = budget;
            let budget = fundsim::study::parse_value(&given).map_err(bad)?;
            if budget <= rust_decimal::Decimal::ZERO {
                // Checked here, before it becomes each instrument's --set budget: the error names
                // the flag the user typed. A zero budget has no split to choose.
                return Err(bad(format!(
                    "--budget {given} ({} yuan): the yearly budget to split must be > 0, e.g. 2.24亿",
                    budget.normalize()
                )));
            }
            // A bare number is yuan: a budget of 2.24 was meant as 2.24亿, as a scenario's
            // amounts are checked.
            let typed = fundsim::money::Money(
                budget,
                fundsim::money::Bare(!fundsim::money::has_unit(&given)),
            );
            if let Some(why) = fundsim::scenario::validate::small_bare_amount(&typed, &["亿", "万"])
            {
                return Err(bad(format!("--budget {given}: {why}")));
            }
            let step = fundsim::study::parse_value(&step).map_err(bad)?;
            let pool = pool(threads)?;
            let bar = Bar(progress_bar(0));
            let settings = RunSettings::new(paths, seed);
            let text = pool.install(|| {
                fundsim::app::allocate_to_dir(
                    &scenario,
                    &set,
                    (&instruments, budget, step),
                    &objective,
                    settings,
                    (&out, (format == Format::Xlsx).then_some(say.lang)),
                    &bar,
                )
            })?;
            bar.0.finish_and_clear();
            say.table(&text);
            say.wrote(
                &out,
                &with_xlsx(format, &["allocation.csv", "allocation.json"]),
            );
            Ok(())
        }
        Command::GoalSeek {
            scenario,
            set_range,
            target,
            probability,
            common:
                Common {
                    paths,
                    seed,
                    threads,
                    out,
                    set,
                    format,
                },
        } => {
            json_only("goal-seek writes its table to goal_seek.csv")?;
            let range = fundsim::study::parse_range(&set_range, false)
                .map_err(bad)?
                .with_flag("--set-range");
            if range.values.len() != 2 {
                return Err(bad(format!(
                    "--set-range {set_range}: give the bounds as KEY=a..b"
                )));
            }
            if !(probability > 0.0 && probability < 1.0) {
                return Err(bad(format!(
                    "--probability {probability}: give a probability above 0 and below 1"
                )));
            }
            let pool = pool(threads)?;
            let bar = Bar(progress_bar(0));
            let settings = RunSettings::new(paths, seed);
            let text = pool.install(|| {
                fundsim::app::goal_seek_to_dir(
                    &scenario,
                    &set,
                    &range,
                    (&target, probability),
                    settings,
                    (&out, (format == Format::Xlsx).then_some(say.lang)),
                    &bar,
                )
            })?;
            bar.0.finish_and_clear();
            say.table(&text);
            say.wrote(
                &out,
                &with_xlsx(format, &["goal_seek.csv", "goal_seek.json"]),
            );
            Ok(())
        }
        Command::Report { dir } => {
            json_only("report writes report.html from a run's files and has no summary to print")?;
            let path = fundsim::app::report_to_dir(&dir, say.lang)?;
            say.wrote(
                &dir,
                &[path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()],
            );
            Ok(())
        }
        Command::Compare {
            base,
            others,
            report: with_report,
            shard,
            common:
                Common {
                    paths,
                    seed,
                    threads,
                    out,
                    set,
                    format,
                },
        } => {
            let files: Vec<PathBuf> = std::iter::once(base).chain(others).collect();
            let shard = match shard {
                Some(spec) => {
                    if with_report || format == Format::Xlsx {
                        return Err(shard_refuses(
                            "--report or --format xlsx (fundsim merge writes them)",
                        ));
                    }
                    Some(fundsim::shard::parse(&spec, paths)?)
                }
                None => None,
            };
            fundsim::app::check_sets(&set)?;
            let loaded = load_all_with(&files, &set)?;
            let options = fundsim::app::Options {
                compare: true,
                xlsx: format == Format::Xlsx,
                lang: say.lang,
                shard,
                ..Default::default()
            };
            let settings = RunSettings::new(paths, seed);
            let (report, settings) = simulate(&loaded, settings, threads, &out, &options)?;
            // What the merge of its shards prints too.
            tell_run(&say, &report, (&out, settings), Table::Text, with_report)
        }
        Command::Actuals {
            scenario,
            actuals,
            seed,
            from,
            paths,
            threads,
            out,
            set,
        } => {
            let settings = fundsim::actuals::Settings {
                seed,
                from,
                paths,
                set,
            };
            fundsim::app::check_sets(&settings.set)?;
            let prepared = fundsim::actuals::prepare(&scenario, &actuals, &settings)?;
            if !say.quiet {
                for note in &prepared.notes {
                    errln!("{note}");
                }
            }
            let pool = pool(threads)?;
            let bar = Bar(progress_bar(prepared.paths));
            let report =
                pool.install(|| fundsim::actuals::actuals_to_dir(&prepared, &out, say.lang, &bar))?;
            bar.0.finish_and_clear();
            if say.json {
                outln!("{}", fundsim::actuals::json(&report, &out));
            }
            say.table(&fundsim::actuals::table(
                &report.rows,
                report.seed,
                report.paths,
            ));
            say.wrote(&out, &names(&report.files));
            Ok(())
        }
        Command::Validate { scenarios, set } => {
            json_only("validate checks files and writes nothing, so it has no summary to print")?;
            fundsim::app::check_sets(&set)?;
            let loaded = load_all_with(&scenarios, &set)?;
            let threads = rayon::current_num_threads() as u64;
            for s in loaded.iter().filter(|_| !say.quiet) {
                let e = fundsim::app::Estimate::of(std::slice::from_ref(s));
                outln!(
                    "ok: {} (scenario \"{}\": {} industries, {} instruments, {} targets, {} years from {}; about {:.0} firms per path, {} results per path; a run needs about {:.0} MiB at 10,000 paths, {:.0} MiB at 1,000,000 on {} threads)",
                    s.source.path,
                    s.model.name,
                    s.model.industries.len(),
                    s.model.instruments.len(),
                    s.model.targets.len(),
                    s.model.n_years,
                    s.model.start_year,
                    e.firms_per_path,
                    e.results_per_path,
                    e.bytes(10_000, threads) as f64 / (1u64 << 20) as f64,
                    e.bytes(1_000_000, threads) as f64 / (1u64 << 20) as f64,
                    threads
                );
            }
            Ok(())
        }
        Command::Merge {
            dirs,
            out,
            table,
            report: with_report,
            format,
        } => {
            let options = fundsim::app::Options {
                xlsx: format == Format::Xlsx,
                lang: say.lang,
                ..Default::default()
            };
            let (report, settings) = fundsim::shard::merge_to_dir(&dirs, &out, &options)?;
            tell_run(&say, &report, (&out, settings), table, with_report)
        }
        Command::Run {
            scenarios,
            deals,
            table,
            precision,
            report: with_report,
            shard,
            common:
                Common {
                    paths,
                    seed,
                    threads,
                    out,
                    set,
                    format,
                },
        } => {
            let precision = precision
                .as_deref()
                .map(fundsim::app::Precision::parse)
                .transpose()?;
            let shard = match shard {
                Some(spec) => {
                    let refuse = shard_refuses;
                    if deals > 0 {
                        return Err(refuse(
                            "--deals (run the first paths once, without --shard)",
                        ));
                    }
                    if precision.is_some() {
                        return Err(refuse("--precision (a stopping rule over the whole run)"));
                    }
                    if with_report || format == Format::Xlsx {
                        return Err(refuse(
                            "--report or --format xlsx (fundsim merge writes them)",
                        ));
                    }
                    Some(fundsim::shard::parse(&spec, paths)?)
                }
                None => None,
            };
            fundsim::app::check_sets(&set)?;
            let loaded = load_all_with(&scenarios, &set)?;
            let options = fundsim::app::Options {
                precision: precision.as_ref(),
                xlsx: format == Format::Xlsx,
                lang: say.lang,
                shard,
                ..Default::default()
            };
            let settings = RunSettings {
                deals: deals.min(paths),
                ..RunSettings::new(paths, seed)
            };
            let (report, settings) = simulate(&loaded, settings, threads, &out, &options)?;
            tell_run(&say, &report, (&out, settings), table, with_report)
        }
    }
}
