//! Tables of the interface contract, built from a run (no I/O): the rows of `summary.csv`,
//! `targets.csv` and `yearly.csv`, and the short table printed on stdout.

use crate::metrics::{PROGRAM_SCALARS, Unit};
use crate::model::Model;
use crate::run::ScenarioRun;
use crate::scenario::Direction;
use crate::stats::{LEVELS, Proportion, Summary, Z95, proportion, summarize};

/// A row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub metric: String,
    pub unit: Unit,
    pub label: String,
    pub summary: Summary,
}

/// A row of `targets.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub scenario: String,
    pub target: String,
    pub label: String,
    /// The metric, with `<=` prefixed for an at-most target.
    pub metric: String,
    pub threshold: Option<f64>,
    pub threshold_unit: Unit,
    pub deadline: Option<i32>,
    pub estimate: Proportion,
}

/// A row of `yearly.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct YearlyRow {
    pub scenario: String,
    pub year: i32,
    pub metric: String,
    pub unit: Unit,
    pub mean: f64,
    pub quantiles: [f64; 5],
}

/// Name of the joint row of `targets.csv`.
pub const ALL_TARGETS: &str = "all";

/// The per-path values of a scenario's scalar metrics, read one metric at a time: from memory
/// ([`ScenarioRun::scalars`]) or, for a large run, back from `paths.parquet`.
pub trait PathValues {
    type Error;
    /// Values of scalar metric `i` (an index into the catalogue's scalars), in path order.
    fn column(&mut self, i: usize) -> Result<Vec<f64>, Self::Error>;

    /// Values of the metrics `which`, in that order: one after another here; a reader of a file
    /// reads them together.
    fn columns(&mut self, which: &[usize]) -> Result<Vec<Vec<f64>>, Self::Error> {
        which.iter().map(|&i| self.column(i)).collect()
    }

    /// How many metrics to ask [`PathValues::columns`] for at once.
    fn group(&self) -> usize;
}

/// Metrics of `paths` paths summarised side by side: as many as there are worker threads, at
/// most 4, and only as many as [`SIDE_BY_SIDE_BYTES`] hold (a run of a million paths holds 4 ×
/// 16 MB of them; a merge of a hundred million, one column at a time, 1.6 GB).
/// [`crate::app::Estimate`] counts them.
pub fn side_by_side(paths: u64) -> usize {
    side_by_side_on(rayon::current_num_threads() as u64, paths)
}

/// [`side_by_side`] on `threads` threads.
pub fn side_by_side_on(threads: u64, paths: u64) -> usize {
    let fit = SIDE_BY_SIDE_BYTES / SUMMARY_BYTES_PER_VALUE.saturating_mul(paths.max(1));
    threads.clamp(1, SIDE_BY_SIDE_MAX as u64).min(fit.max(1)) as usize
}

/// Memory for metrics summarised side by side beyond the first.
pub const SIDE_BY_SIDE_BYTES: u64 = 1 << 30;

/// Bytes a path's value of one metric takes while it is summarised: as read and as a number,
/// then as a number and its sorted copy (what is read is dropped once it is numbers).
pub const SUMMARY_BYTES_PER_VALUE: u64 = 16;

/// Bytes of values a reader of `paths.parquet` may hold to read many metrics together: a small run
/// reads dozens of metrics with one reader (each reader decodes the file's schema, hundreds of
/// columns, again), a million paths read [`side_by_side`] at a time.
pub const SUMMARY_GROUP_BYTES: u64 = 64 << 20;

/// The most metrics [`side_by_side`] holds at once.
pub const SIDE_BY_SIDE_MAX: usize = 4;

/// The values a run kept in memory.
pub struct InMemory<'a>(pub &'a ScenarioRun);

impl PathValues for InMemory<'_> {
    type Error = std::convert::Infallible;
    fn column(&mut self, i: usize) -> Result<Vec<f64>, Self::Error> {
        Ok(self.0.scalars[i].clone())
    }

    fn group(&self) -> usize {
        side_by_side(self.0.paths)
    }
}

fn infallible<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// The rows of `summary.csv` of a run that kept its values in memory.
pub fn summary_rows(model: &Model, run: &ScenarioRun) -> Vec<SummaryRow> {
    infallible(summary_rows_from(model, run, &mut InMemory(run)))
}

/// The rows of `summary.csv`, reading each metric's values from `values`.
pub fn summary_rows_from<V: PathValues>(
    model: &Model,
    run: &ScenarioRun,
    values: &mut V,
) -> Result<Vec<SummaryRow>, V::Error> {
    use rayon::prelude::*;
    let scalars = &run.catalogue.scalars;
    let mut rows = Vec::with_capacity(scalars.len());
    // Metrics a group at a time, read together and summarised side by side (each summary is one
    // metric's own, so the rows are the same whatever the grouping).
    let all: Vec<usize> = (0..scalars.len()).collect();
    for group in all.chunks(values.group()) {
        let columns = values.columns(group)?;
        let summaries: Vec<_> = columns.par_iter().map(|v| summarize(v)).collect();
        for ((&i, mut summary), v) in group.iter().zip(summaries).zip(&columns) {
            let col = &scalars[i];
            if col.unit == Unit::Indicator {
                // A 0/1 metric's mean is a proportion: its error is the Wilson one, as in
                // targets.csv, which is not 0 when no path (or every path) has it.
                let k = v.iter().filter(|&&x| x == 1.0).count() as u64;
                summary.mcse = crate::stats::wilson_se(k, summary.n as u64);
            }
            rows.push(SummaryRow {
                scenario: model.name.clone(),
                metric: col.name.clone(),
                unit: col.unit,
                label: col.label.clone(),
                summary,
            });
        }
    }
    Ok(rows)
}

/// The rows of `targets.csv` of a run that kept its values in memory.
pub fn target_rows(model: &Model, run: &ScenarioRun) -> Vec<TargetRow> {
    infallible(target_rows_from(model, run, &mut InMemory(run)))
}

/// One row per target, then `all` (every target met on the same path) and, when targets have
/// different deadlines, `all_<year>` for the targets of each deadline. Each target's `met` values
/// are read once; a path meets a group if it meets every target of the group.
pub fn target_rows_from<V: PathValues>(
    model: &Model,
    run: &ScenarioRun,
    values: &mut V,
) -> Result<Vec<TargetRow>, V::Error> {
    let n = run.paths;
    let mut rows = Vec::new();
    let Some(last) = model.targets.iter().map(|t| t.deadline).max() else {
        return Ok(rows);
    };
    let mut deadlines: Vec<usize> = model.targets.iter().map(|t| t.deadline).collect();
    deadlines.sort_unstable();
    deadlines.dedup();
    // Paths meeting every target so far: all targets, and each deadline's targets.
    let mut all = vec![true; n as usize];
    let mut by_deadline = vec![vec![true; n as usize]; deadlines.len()];
    let met_columns: Vec<usize> = (0..model.targets.len())
        .map(|j| run.catalogue.target_met(j))
        .collect();
    // The targets' columns, a group at a time.
    let g = values.group().max(1);
    for (targets, columns) in model.targets.chunks(g).zip(met_columns.chunks(g)) {
        for (t, met) in targets.iter().zip(values.columns(columns)?) {
            let k = met.iter().filter(|&&v| v == 1.0).count() as u64;
            let group = deadlines.binary_search(&t.deadline).expect("listed");
            for ((a, d), &v) in all.iter_mut().zip(&mut by_deadline[group]).zip(&met) {
                *a &= v == 1.0;
                *d &= v == 1.0;
            }
            rows.push(TargetRow {
                scenario: model.name.clone(),
                target: t.id.clone(),
                label: t.label.clone(),
                metric: match t.direction {
                    Direction::AtLeast => t.metric.clone(),
                    Direction::AtMost => format!("<={}", t.metric),
                },
                threshold: Some(t.threshold_reported),
                threshold_unit: t.read.unit,
                deadline: Some(model.year(t.deadline)),
                estimate: proportion(k, n),
            });
        }
    }
    let joint = |met: &[bool], target: String, label: String, deadline: usize| TargetRow {
        scenario: model.name.clone(),
        target,
        label,
        metric: ALL_TARGETS.to_string(),
        threshold: None,
        threshold_unit: Unit::Count,
        deadline: Some(model.year(deadline)),
        estimate: proportion(met.iter().filter(|&&m| m).count() as u64, n),
    };
    rows.push(joint(
        &all,
        ALL_TARGETS.to_string(),
        "全部目标同时达成".to_string(),
        last,
    ));
    if deadlines.len() > 1 {
        for (d, met) in deadlines.iter().zip(&by_deadline) {
            let year = model.year(*d);
            rows.push(joint(
                met,
                format!("{ALL_TARGETS}_{year}"),
                format!("{year}年目标全部达成"),
                *d,
            ));
        }
    }
    Ok(rows)
}

/// The ids of `targets.csv`'s rows for `model`, in their order (as [`target_rows_from`] names
/// them), known before anything is run.
pub fn target_ids(model: &Model) -> Vec<String> {
    let mut ids: Vec<String> = model.targets.iter().map(|t| t.id.clone()).collect();
    if model.targets.is_empty() {
        return ids;
    }
    ids.push(ALL_TARGETS.to_string());
    let mut deadlines: Vec<usize> = model.targets.iter().map(|t| t.deadline).collect();
    deadlines.sort_unstable();
    deadlines.dedup();
    if deadlines.len() > 1 {
        ids.extend((deadlines.iter()).map(|d| format!("{ALL_TARGETS}_{}", model.year(*d))));
    }
    ids
}

pub fn yearly_rows(model: &Model, run: &ScenarioRun) -> Vec<YearlyRow> {
    let mut rows = Vec::new();
    let n_years = run.n_years;
    for y in 0..n_years {
        for (m, col) in run.catalogue.yearly.iter().enumerate() {
            let cell = &run.yearly[m * n_years + y];
            let scale = if col.unit == Unit::Cny { 100.0 } else { 1.0 };
            let count = cell.sketch.count();
            let mean = if count == 0 {
                f64::NAN
            } else {
                cell.sum as f64 / count as f64 / scale
            };
            let q = cell.sketch.quantiles(&LEVELS);
            rows.push(YearlyRow {
                scenario: model.name.clone(),
                year: model.year(y),
                metric: col.name.clone(),
                unit: col.unit,
                mean,
                quantiles: [
                    q[0] / scale,
                    q[1] / scale,
                    q[2] / scale,
                    q[3] / scale,
                    q[4] / scale,
                ],
            });
        }
    }
    rows
}

/// The metrics shown on stdout, in this order.
const HEADLINE: &[&str] = &[
    "fiscal_outlay",
    "money_back",
    "holdings_value",
    "net_fiscal_cost",
    "net_fiscal_cost_with_outstanding",
    "net_fiscal_cost_pv",
    "fiscal_irr",
    "fiscal_mirr",
    "tvpi",
    "mobilised_per_fiscal_yuan",
    "projects_landed",
    "financing",
    "unicorns",
    "chain_leaders",
    "clusters",
];

/// A human number: 亿/万 for yuan, percent for rates, plain otherwise.
pub fn human(v: f64, unit: Unit) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    match unit {
        Unit::Cny if v.abs() >= 1e8 => format!("{:.2}亿", v / 1e8),
        Unit::Cny if v.abs() >= 1e4 => format!("{:.1}万", v / 1e4),
        Unit::Cny => format!("{v:.0}"),
        Unit::Rate => format!("{:.1}%", v * 100.0),
        Unit::Indicator => format!("{:.1}%", v * 100.0),
        Unit::Ratio => format!("{v:.2}"),
        Unit::Input => format!("{v}"),
        Unit::Count => {
            let tenths = format!("{v:.1}");
            match tenths.strip_suffix(".0") {
                Some(whole) => whole.to_string(),
                None => tenths,
            }
        }
    }
}

/// A probability in per cent to a tenth, never rounded to a certainty it is not: above 0 but
/// printing as 0.0% is "<0.1%", under 1 but printing as 100.0% is ">99.9%"; "-" if undefined.
pub fn percent(p: f64) -> String {
    percent_to(p, 1)
}

/// [`percent`] to `digits` decimals (`0`: "<1%", ">99%").
pub fn percent_to(p: f64, digits: usize) -> String {
    if !p.is_finite() {
        return "-".to_string();
    }
    let shown = format!("{:.*}%", digits, p * 100.0);
    let least = 10f64.powi(-(digits as i32));
    if p > 0.0 && shown == format!("{:.*}%", digits, 0.0) {
        format!("<{:.*}%", digits, least)
    } else if p < 1.0 && shown == format!("{:.*}%", digits, 100.0) {
        format!(">{:.*}%", digits, 100.0 - least)
    } else {
        shown
    }
}

/// The short readable table for one scenario.
pub fn stdout_table(
    model: &Model,
    run: &ScenarioRun,
    summary: &[SummaryRow],
    targets: &[TargetRow],
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let title = if model.title.is_empty() {
        &model.name
    } else {
        &model.title
    };
    let _ = writeln!(
        out,
        "== {} ({}) — {} paths ==",
        model.name, title, run.paths
    );
    // Each row's name, then the columns: the names' column as wide as the longest.
    let mut rows: Vec<(String, [String; 3])> = Vec::new();
    for name in HEADLINE {
        let Some(row) = summary.iter().find(|r| r.metric == *name) else {
            continue;
        };
        let unit = PROGRAM_SCALARS
            .iter()
            .find(|d| d.name == *name)
            .map_or(row.unit, |d| d.unit);
        let q = row.summary.quantiles;
        // A ratio summarised over the paths where it is defined says on how many.
        let label = if row.summary.n < run.paths as usize {
            format!(
                "{name} ({:.0}% of paths)",
                100.0 * row.summary.n as f64 / run.paths.max(1) as f64
            )
        } else {
            name.to_string()
        };
        rows.push((label, [q[0], q[2], q[4]].map(|v| human(v, unit))));
    }
    let target_rows: Vec<(String, String, String, &str)> = (targets.iter())
        .map(|t| {
            let deadline = t.deadline.map_or(String::new(), |d| d.to_string());
            (
                format!("{} ({})", t.target, deadline),
                percent(t.estimate.p),
                format!("{:.1}%", t.estimate.mcse * 100.0),
                t.label.as_str(),
            )
        })
        .collect();
    let w = (rows.iter().map(|r| r.0.chars().count()))
        .chain(target_rows.iter().map(|r| r.0.chars().count()))
        .fold(28, usize::max);
    let _ = writeln!(
        out,
        "{:<w$} {:>12} {:>12} {:>12}",
        "metric", "p05", "p50", "p95"
    );
    for (label, [a, b, c]) in &rows {
        let _ = writeln!(out, "{label:<w$} {a:>12} {b:>12} {c:>12}");
    }
    if !target_rows.is_empty() {
        let _ = writeln!(
            out,
            "{:<w$} {:>12} {:>12}  label",
            "target (deadline)", "P(met)", "±MCSE"
        );
        for (name, p, se, label) in &target_rows {
            let _ = writeln!(out, "{name:<w$} {p:>12} {se:>12}  {label}");
        }
    }
    out
}

/// A scenario's headline: the numbers a scenario table shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub scenario: String,
    pub question: String,
    /// P(all targets met), if the scenario has targets.
    pub all_targets: Option<f64>,
    /// P(all targets of a deadline met), per deadline year (just `all` when there is one).
    pub by_deadline: Vec<(i32, f64)>,
    pub fiscal_outlay_p50: f64,
    pub net_fiscal_cost_p50: f64,
    /// Net fiscal cost with the expected cost of the guarantees still outstanding at the horizon.
    pub net_fiscal_cost_outstanding_p50: f64,
    pub money_back_p50: f64,
    /// Means of what the policy caused.
    pub additional_unicorns: f64,
    pub additional_chain_leaders: f64,
    /// Mean net fiscal cost over mean additional (potential) unicorns (NaN if none on average).
    pub net_cost_mean_per_additional_unicorn: f64,
    /// Its Monte Carlo standard error ([`ratio_of_means`]; NaN until set from the paths).
    pub net_cost_mean_per_additional_unicorn_mcse: f64,
    /// What the positions of the scenario's book cost before the start year (`sunk_cost`), for a
    /// scenario that starts from one.
    pub sunk_cost: Option<f64>,
}

/// The ratio of the means of two per-path metrics, `R = ȳ / x̄`, and its Monte Carlo standard
/// error by the delta method: `√(Σ (y_i − R x_i)² / (n − 1) / n) / |x̄|` (Cochran, Sampling
/// Techniques, 1977, §6.3: the ratio estimator's variance), over the paths where both are
/// finite. NaN when `x̄` is 0 or fewer than two paths.
pub fn ratio_of_means(y: &[f64], x: &[f64]) -> (f64, f64) {
    let pairs: Vec<(f64, f64)> = (y.iter().zip(x))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(&a, &b)| (a, b))
        .collect();
    let n = pairs.len() as f64;
    if pairs.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let (sy, sx) = pairs
        .iter()
        .fold((0.0, 0.0), |(sy, sx), (a, b)| (sy + a, sx + b));
    let (my, mx) = (sy / n, sx / n);
    if mx == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let r = my / mx;
    let ss: f64 = pairs.iter().map(|(a, b)| (a - r * b).powi(2)).sum();
    (r, (ss / (n - 1.0) / n).sqrt() / mx.abs())
}

pub fn headline(
    model: &Model,
    question: &str,
    summary: &[SummaryRow],
    targets: &[TargetRow],
) -> Headline {
    let row = |metric: &str| summary.iter().find(|r| r.metric == metric);
    let p50 = |metric: &str| row(metric).map_or(f64::NAN, |r| r.summary.quantiles[2]);
    let mean = |metric: &str| row(metric).map_or(f64::NAN, |r| r.summary.mean);
    let mut by_deadline: Vec<(i32, f64)> = (targets.iter())
        .filter(|t| t.target.starts_with(&format!("{ALL_TARGETS}_")))
        .filter_map(|t| Some((t.deadline?, t.estimate.p)))
        .collect();
    let all = targets.iter().find(|t| t.target == ALL_TARGETS);
    if by_deadline.is_empty()
        && let Some(t) = all
        && let Some(d) = t.deadline
    {
        by_deadline.push((d, t.estimate.p));
    }
    let unicorns = mean("additional_unicorns");
    Headline {
        scenario: model.name.clone(),
        question: question.to_string(),
        all_targets: all.map(|t| t.estimate.p),
        by_deadline,
        fiscal_outlay_p50: p50("fiscal_outlay"),
        net_fiscal_cost_p50: p50("net_fiscal_cost"),
        net_fiscal_cost_outstanding_p50: p50("net_fiscal_cost_with_outstanding"),
        money_back_p50: p50("money_back"),
        additional_unicorns: unicorns,
        additional_chain_leaders: mean("additional_chain_leaders"),
        net_cost_mean_per_additional_unicorn: if unicorns > 0.0 {
            mean("net_fiscal_cost") / unicorns
        } else {
            f64::NAN
        },
        net_cost_mean_per_additional_unicorn_mcse: f64::NAN,
        sunk_cost: row("sunk_cost").map(|r| r.summary.mean),
    }
}

/// [`Headline::net_cost_mean_per_additional_unicorn_mcse`] from the run's per-path values.
pub fn headline_ratio_mcse<V: PathValues>(
    h: &mut Headline,
    run: &ScenarioRun,
    values: &mut V,
) -> Result<(), V::Error> {
    let col = |name: &str| run.catalogue.scalars.iter().position(|c| c.name == name);
    if let (Some(c), Some(u)) = (col("net_fiscal_cost"), col("additional_unicorns"))
        && h.net_cost_mean_per_additional_unicorn.is_finite()
    {
        let v = values.columns(&[c, u])?;
        h.net_cost_mean_per_additional_unicorn_mcse = ratio_of_means(&v[0], &v[1]).1;
    }
    Ok(())
}

/// The headlines as a Markdown table (for `scenarios/README.md`).
pub fn headline_markdown(rows: &[Headline]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "| scenario | question | P(all targets met) by deadline | additional (potential) unicorns | additional chain leaders | mean net fiscal cost per mean additional unicorn (± 95%) | fiscal outlay p50 | net fiscal cost p50 | with outstanding guarantees p50 | money back p50 |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for h in rows {
        let joint = if h.by_deadline.is_empty() {
            "-".to_string()
        } else {
            (h.by_deadline.iter())
                .map(|(y, p)| format!("{y}: {}", percent(*p)))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let cost = match (
            h.net_cost_mean_per_additional_unicorn,
            h.net_cost_mean_per_additional_unicorn_mcse,
        ) {
            (r, se) if r.is_finite() && se.is_finite() => {
                format!("{} ± {}", human(r, Unit::Cny), human(Z95 * se, Unit::Cny))
            }
            (r, _) if r.is_finite() => human(r, Unit::Cny),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {:.2} | {:.2} | {} | {} | {} | {} | {} |",
            h.scenario,
            h.question.replace('|', "/").replace('\n', " "),
            joint,
            h.additional_unicorns,
            h.additional_chain_leaders,
            cost,
            human(h.fiscal_outlay_p50, Unit::Cny),
            human(h.net_fiscal_cost_p50, Unit::Cny),
            human(h.net_fiscal_cost_outstanding_p50, Unit::Cny),
            human(h.money_back_p50, Unit::Cny)
        );
    }
    out
}

/// One row of `comparison.csv`: a metric of one scenario against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    pub scenario: String,
    pub base: String,
    pub metric: String,
    pub unit: Unit,
    pub label: String,
    pub diff: crate::compare::Difference,
}

/// The paired differences of `other` against `base`, for every scalar metric both have (in the
/// base's order), `met.all` (every target of each scenario met on the same path) and, for each
/// deadline year both have when either has more than one, `met.all_<year>` (every target of
/// that year met).
pub fn comparison_rows<B: PathValues, O: PathValues<Error = B::Error>>(
    (base_model, base_run, base_values): (&Model, &ScenarioRun, &mut B),
    (other_model, other_run, other_values): (&Model, &ScenarioRun, &mut O),
) -> Result<Vec<ComparisonRow>, B::Error> {
    let mut rows = Vec::new();
    let row = |metric: &str, unit: Unit, label: &str, diff| ComparisonRow {
        scenario: other_model.name.clone(),
        base: base_model.name.clone(),
        metric: metric.to_string(),
        unit,
        label: label.to_string(),
        diff,
    };
    // The metrics both have, a group at a time (each reader's group, the smaller).
    let pairs: Vec<(usize, usize)> = (base_run.catalogue.scalars.iter().enumerate())
        .filter_map(|(i, col)| {
            (other_run.catalogue.scalars.iter())
                .position(|c| c.name == col.name)
                .map(|j| (i, j))
        })
        .collect();
    let group = base_values.group().min(other_values.group()).max(1);
    for chunk in pairs.chunks(group) {
        let (is, js): (Vec<usize>, Vec<usize>) = chunk.iter().copied().unzip();
        let (a, b) = (base_values.columns(&is)?, other_values.columns(&js)?);
        for ((&i, a), b) in is.iter().zip(&a).zip(&b) {
            let col = &base_run.catalogue.scalars[i];
            // A target's value is better lower for an at-most target (the base's targets decide).
            let lower = base_model.lower_is_better(&col.name);
            let mut d = crate::compare::paired(a, b, lower, col.unit == Unit::Indicator);
            if crate::metrics::directionless(&col.name) {
                d.p_better = f64::NAN;
                d.better_worse = (f64::NAN, f64::NAN);
            }
            rows.push(row(&col.name, col.unit, &col.label, d));
        }
    }
    // Per path: every target met (`met.all`), and every target of each deadline year
    // (`met.all_<year>`, as targets.csv's `all_<year>`).
    let all_met = |model: &Model,
                   run: &ScenarioRun,
                   values: &mut dyn FnMut(usize) -> Result<Vec<f64>, B::Error>| {
        let n = run.paths as usize;
        let mut years: Vec<i32> = model
            .targets
            .iter()
            .map(|t| model.year(t.deadline))
            .collect();
        years.sort_unstable();
        years.dedup();
        let mut all = vec![1.0; n];
        let mut by_year = vec![vec![1.0; n]; years.len()];
        for (j, t) in model.targets.iter().enumerate() {
            let met = values(run.catalogue.target_met(j))?;
            let year = years
                .binary_search(&model.year(t.deadline))
                .expect("listed");
            for (p, &m) in met.iter().enumerate() {
                if m != 1.0 {
                    all[p] = 0.0;
                    by_year[year][p] = 0.0;
                }
            }
        }
        let by_year: Vec<(i32, Vec<f64>)> = years.into_iter().zip(by_year).collect();
        Ok::<_, B::Error>((all, by_year))
    };
    if !base_model.targets.is_empty() && !other_model.targets.is_empty() {
        let (a, a_years) = all_met(base_model, base_run, &mut |i| base_values.column(i))?;
        let (b, b_years) = all_met(other_model, other_run, &mut |i| other_values.column(i))?;
        rows.push(row(
            "met.all",
            Unit::Indicator,
            "全部目标同时达成",
            crate::compare::paired(&a, &b, false, true),
        ));
        // The deadline years both scenarios have, when either has more than one (with one
        // each, the row would be `met.all` again).
        let several = a_years.len() > 1 || b_years.len() > 1;
        for (year, a) in a_years.iter().filter(|_| several) {
            if let Some((_, b)) = b_years.iter().find(|(y, _)| y == year) {
                rows.push(row(
                    &format!("met.all_{year}"),
                    Unit::Indicator,
                    &format!("{year}年目标全部达成"),
                    crate::compare::paired(a, b, false, true),
                ));
            }
        }
    }
    Ok(rows)
}

/// The headline differences of a comparison, for stdout.
pub fn comparison_table(rows: &[ComparisonRow], paths: u64) -> String {
    use std::fmt::Write;
    const SHOWN: &[&str] = &[
        "fiscal_outlay",
        "money_back",
        "net_fiscal_cost",
        "net_fiscal_cost_after_tax",
        "additional_unicorns",
        "additional_chain_leaders",
        "mobilised",
    ];
    let mut out = String::new();
    let mut current = ("", "");
    for r in rows {
        let shown = SHOWN.contains(&r.metric.as_str()) || r.metric.starts_with("met.");
        if !shown {
            continue;
        }
        if (r.scenario.as_str(), r.base.as_str()) != current {
            current = (r.scenario.as_str(), r.base.as_str());
            let _ = writeln!(
                out,
                "== {} − {} ({} paths, paired) ==",
                r.scenario, r.base, paths
            );
            let _ = writeln!(
                out,
                "{:<28} {:>12} {:>26} {:>15}",
                "metric", "difference", "95% interval", "better / worse"
            );
        }
        let d = &r.diff;
        let fmt = |v: f64| {
            if r.unit == Unit::Indicator {
                format!("{:+.1}pt", v * 100.0)
            } else {
                human(v, r.unit)
            }
        };
        let _ = writeln!(
            out,
            "{:<28} {:>12} {:>26} {:>15}",
            r.metric,
            fmt(d.mean),
            format!("[{}, {}]", fmt(d.low), fmt(d.high)),
            match d.better_worse {
                (b, w) if b.is_nan() || w.is_nan() => "-".to_string(),
                (b, w) => format!("{} / {}", percent_to(b, 0), percent_to(w, 0)),
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn the_ratio_of_means_has_the_delta_method_error() {
        use super::ratio_of_means;
        // y = 2x exactly: the ratio is 2 with no error.
        let x: Vec<f64> = (0..50).map(|i| (i % 7) as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        assert_eq!(ratio_of_means(&y, &x), (2.0, 0.0));
        // Against truth: 3,000 replicates of 400 pairs, x ∈ {0, 1, 2, 3} uniform (mean 1.5), y =
        // 4x + e with e uniform on [−6, 6] (variance 12): the delta method's error is
        // √(12/400)/1.5 = 0.1155. The replicates' spread of the estimate and the mean reported
        // error both agree with it within 5% (each is an average over 3,000 replicates: its own
        // relative error is about 1.3%, and the delta method's O(1/n) bias is smaller).
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            (crate::rng::splitmix64(state) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (reps, n) = (3000, 400);
        let (mut sum, mut sum2, mut se_sum) = (0.0, 0.0, 0.0);
        for _ in 0..reps {
            let x: Vec<f64> = (0..n).map(|_| (next() * 4.0).floor()).collect();
            let y: Vec<f64> = x.iter().map(|v| 4.0 * v + 12.0 * (next() - 0.5)).collect();
            let (r, se) = ratio_of_means(&y, &x);
            sum += r;
            sum2 += r * r;
            se_sum += se;
        }
        let mean = sum / reps as f64;
        let spread = (sum2 / reps as f64 - mean * mean).sqrt();
        let truth = (12.0f64 / 400.0).sqrt() / 1.5;
        assert!((mean - 4.0).abs() < 0.01, "{mean}");
        assert!(
            (spread / truth - 1.0).abs() < 0.05,
            "spread {spread} vs {truth}"
        );
        assert!(
            (se_sum / reps as f64 / truth - 1.0).abs() < 0.05,
            "se {}",
            se_sum / reps as f64
        );
    }

    #[test]
    fn a_probability_is_never_rounded_to_a_certainty() {
        // 1,999 paths of 2,000 meet a target: 99.95%, which {:.1} would print as 100.0%.
        assert_eq!(percent(1999.0 / 2000.0), ">99.9%");
        assert_eq!(percent(1.0 / 2001.0), "<0.1%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(0.9994), "99.9%");
        assert_eq!(percent(0.659), "65.9%");
        assert_eq!(percent(f64::NAN), "-");
        // No share of paths strictly between none and all prints as either, whatever the
        // rounding of halves (1 of 2,000 paths is 0.05% exactly).
        for n in [200u32, 1000, 2000, 2001, 10_000, 20_000, 100_000] {
            for k in (1..=25).chain(n - 25..n) {
                let p = f64::from(k) / f64::from(n);
                let shown = percent(p);
                assert!(shown != "0.0%" && shown != "100.0%", "{k}/{n}: {shown}");
            }
        }
    }
}
