//! `fundsim actuals`: where realised yearly figures fall in the simulated distribution.
//!
//! A fund manager has the realised flows and counts of the years so far (deals, fiscal outlay,
//! money back, exits, projects landed, ...) in a spreadsheet. This module reads that ledger
//! (`year,<metric>,<metric>,…`, one row per calendar year, empty cells unknown), simulates the
//! scenario with the seed of an earlier run, and reports for every known (year, metric) the
//! actual's mid-rank percentile among the simulated paths, the simulated p05, p50 and p95, and
//! whether the actual lies below, inside or above the p05–p95 band.
//!
//! The run itself keeps only sketches of the yearly values, so the paths are simulated again
//! here, path by path through [`PathSim`] with the run's seeds, keeping the exact per-path values
//! of the cells the ledger names. Path `i` of seed `s` is the same path as in `fundsim run` with
//! seed `s`, whatever the thread count; pieces of paths are collected in path order, so the output
//! bytes do not depend on threads either.

use crate::app::{AppError, Loaded, load_all_with};
use crate::metrics::{Catalogue, Unit};
use crate::model::Model;
use crate::money::{
    Bare, Fen, Money, has_unit, parse_exported_money, parse_exported_whole, to_fen,
};
use crate::output::Staging;
use crate::output::csv_out::{BOM, number, write_row};
use crate::run::{Progress, in_pieces};
use crate::scenario::locate::csv_record_start;
use crate::scenario::validate::small_bare_amount;
use crate::sim::PathSim;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The seed `fundsim run` uses when none is given.
pub const DEFAULT_SEED: u64 = 20_240_101;
/// The paths `fundsim run` simulates when none are given.
pub const DEFAULT_PATHS: u64 = 10_000;
/// The most paths `actuals` simulates (`--paths`, or the paths of `--from`'s run).
pub const MAX_PATHS: u64 = 10_000_000;
/// The file written into the output directory.
pub const FILE: &str = "actuals.csv";
/// Columns of `actuals.csv`.
pub const HEADER: [&str; 10] = [
    "scenario",
    "year",
    "metric",
    "label",
    "actual",
    "p05",
    "p50",
    "p95",
    "percentile",
    "band",
];

/// One known value of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Calendar year.
    pub year: i32,
    /// Year index in the scenario (0 is the start year).
    pub year_index: usize,
    /// The yearly metric's name, as in `yearly.csv`.
    pub metric: String,
    /// Its index in the scenario's yearly catalogue.
    pub column: usize,
    /// The actual in the engine's unit: fen for money, a count otherwise.
    pub actual: i64,
    /// Line of the ledger it was read from (1-based).
    pub line: usize,
}

/// Where an actual lies against the simulated p05–p95 band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Below,
    Inside,
    Above,
}

impl Band {
    pub fn code(self) -> &'static str {
        match self {
            Band::Below => "below",
            Band::Inside => "inside",
            Band::Above => "above",
        }
    }
}

/// A row of `actuals.csv`: money in yuan, counts as counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub scenario: String,
    pub year: i32,
    pub metric: String,
    pub label: String,
    pub unit: Unit,
    pub actual: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    /// Share of the paths at or below the actual, ties counted half (in [0, 1]).
    pub percentile: f64,
    pub band: Band,
}

/// Mid-rank percentile of `actual` among `sorted` (ascending): the share of values below it plus
/// half the share equal to it. NaN for no values.
pub fn percentile(sorted: &[i64], actual: i64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let below = sorted.partition_point(|&v| v < actual);
    let at_or_below = sorted.partition_point(|&v| v <= actual);
    (below + at_or_below) as f64 / (2 * sorted.len()) as f64
}

/// Simulates paths `0..paths` of `model` with `seed`, exactly as `fundsim run` does, and returns
/// for each `(column, year_index)` of `cells` its value on every path, in path order (fen or
/// counts). Pieces of paths run in parallel (`run::in_pieces`); the result does not depend on threads.
pub fn simulate(
    model: &Model,
    seed: u64,
    paths: u64,
    cells: &[(usize, usize)],
    progress: &dyn Progress,
) -> Vec<Vec<i64>> {
    let n_years = model.n_years;
    let width = cells.len();
    let take = |sim: &PathSim, out: &mut Vec<i64>| {
        out.extend(cells.iter().map(|&(m, y)| sim.yearly[m * n_years + y]));
    };
    let (pieces, _) = in_pieces(
        (0, paths),
        || None,
        |sim: &mut Option<PathSim>, (first, last)| {
            let mut out = Vec::with_capacity((last - first) as usize * width);
            match &model.uncertain {
                None => {
                    let sim = sim.get_or_insert_with(|| PathSim::new(model));
                    for path in first..last {
                        sim.run(seed, path);
                        take(sim, &mut out);
                    }
                }
                // As the run does: each path on its own draw of the `[uncertain]` inputs.
                Some(u) => {
                    let models: Vec<Model> = (first..last)
                        .map(|p| model.at_draw(&u.draw(seed, p)))
                        .collect();
                    let mut sim = PathSim::new(&models[0]);
                    for (path, own) in (first..last).zip(&models) {
                        sim.rebind(own);
                        sim.run(seed, path);
                        take(&sim, &mut out);
                    }
                }
            }
            progress.advance(last - first);
            out
        },
    );
    let mut per_cell: Vec<Vec<i64>> = (0..width)
        .map(|_| Vec::with_capacity(paths as usize))
        .collect();
    for piece in &pieces {
        for row in piece.chunks_exact(width.max(1)) {
            for (cell, &v) in per_cell.iter_mut().zip(row) {
                cell.push(v);
            }
        }
    }
    per_cell
}

/// The rows of `actuals.csv` for `entries`, given each entry's simulated values (`values[i]` for
/// `entries[i]`, any order; sorted here). Labels in `lang`.
pub fn compare(
    model: &Model,
    entries: &[Entry],
    values: Vec<Vec<i64>>,
    lang: crate::lang::Lang,
) -> Vec<Row> {
    let catalogue = model.catalogue();
    entries
        .iter()
        .zip(values)
        .map(|(e, mut v)| {
            v.sort_unstable();
            let col = &catalogue.yearly[e.column];
            let scale = if col.unit == Unit::Cny { 100.0 } else { 1.0 };
            // Type-7 quantiles (`PERCENTILE.INC`), as summary.csv and yearly.csv.
            let sorted: Vec<f64> = v.iter().map(|&x| x as f64).collect();
            let q = |p: f64| crate::stats::quantile_sorted(&sorted, p);
            let (p05, p50, p95) = (q(0.05), q(0.5), q(0.95));
            let a = e.actual as f64;
            let band = if a < p05 {
                Band::Below
            } else if a > p95 {
                Band::Above
            } else {
                Band::Inside
            };
            Row {
                scenario: model.name.clone(),
                year: e.year,
                metric: e.metric.clone(),
                label: crate::lang::metric_label(lang, model, &col.name, &col.label),
                unit: col.unit,
                actual: a / scale,
                p05: p05 / scale,
                p50: p50 / scale,
                p95: p95 / scale,
                percentile: percentile(&v, e.actual),
                band,
            }
        })
        .collect()
}

/// `actuals.csv` as bytes: UTF-8 with a byte-order mark, like the other CSV files.
pub fn write_csv<W: Write>(mut out: W, rows: &[Row]) -> io::Result<()> {
    out.write_all(BOM)?;
    let mut w = csv::WriterBuilder::new().from_writer(out);
    write_row(&mut w, HEADER)?;
    for r in rows {
        write_row(
            &mut w,
            [
                r.scenario.clone(),
                r.year.to_string(),
                r.metric.clone(),
                r.label.clone(),
                number(r.actual, r.unit),
                number(r.p05, r.unit),
                number(r.p50, r.unit),
                number(r.p95, r.unit),
                number(r.percentile, Unit::Ratio),
                r.band.code().to_string(),
            ],
        )?;
    }
    w.flush()
}

/// The summary line: how many actuals lie outside their band.
pub fn summary_line(rows: &[Row]) -> String {
    let below = rows.iter().filter(|r| r.band == Band::Below).count();
    let above = rows.iter().filter(|r| r.band == Band::Above).count();
    format!(
        "{} of {} actuals lie outside their simulated p05–p95 band ({below} below, {above} above).\n",
        below + above,
        rows.len()
    )
}

/// The readable table for stdout.
pub fn table(rows: &[Row], seed: u64, paths: u64) -> String {
    let scenario = rows.first().map_or("", |r| r.scenario.as_str());
    let mut text = format!(
        "{scenario}: actuals against {paths} simulated paths (seed {seed}); percentile = share of paths at or below the actual (ties half)\n"
    );
    let human = |v: f64, u: Unit| crate::report::human(v, u);
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.year.to_string(),
                r.metric.clone(),
                human(r.actual, r.unit),
                human(r.p05, r.unit),
                human(r.p50, r.unit),
                human(r.p95, r.unit),
                format!("{:.1}%", r.percentile * 100.0),
                match r.band {
                    Band::Inside => "inside".to_string(),
                    b => format!("{} ◀", b.code().to_uppercase()),
                },
            ]
        })
        .collect();
    let head = [
        "year",
        "metric",
        "actual",
        "p05",
        "p50",
        "p95",
        "percentile",
        "band",
    ];
    // Display width: CJK characters (万, 亿) take two columns.
    let width = |s: &str| -> usize {
        s.chars()
            .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
            .sum()
    };
    let mut widths: Vec<usize> = head.iter().map(|h| width(h)).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let line = |row: &[String]| -> String {
        let mut s = String::new();
        for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - width(c));
            // Text columns left-aligned, numbers right-aligned.
            if i == 1 || i == 7 {
                s.push_str(c);
                if i != 7 {
                    s.push_str(&pad);
                }
            } else {
                s.push_str(&pad);
                s.push_str(c);
            }
            if i != 7 {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    text.push_str(&line(&head.map(String::from)));
    for row in &cells {
        text.push_str(&line(row));
    }
    text.push_str(&summary_line(rows));
    text
}

/// `--json`: the rows and the summary as one JSON document (undefined numbers are null).
pub fn json(report: &Report, out: &Path) -> String {
    use serde_json::{Value, json};
    let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let rows: Vec<Value> = report
        .rows
        .iter()
        .map(|r| {
            json!({
                "scenario": r.scenario,
                "year": r.year,
                "metric": r.metric,
                "label": r.label,
                "unit": r.unit.code(),
                "actual": num(r.actual),
                "p05": num(r.p05),
                "p50": num(r.p50),
                "p95": num(r.p95),
                "percentile": num(r.percentile),
                "band": r.band.code(),
            })
        })
        .collect();
    let outside = report
        .rows
        .iter()
        .filter(|r| r.band != Band::Inside)
        .count();
    let files: Vec<String> = (report.files.iter())
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let doc = json!({
        "out": out.display().to_string(),
        "files": files,
        "scenario": report.scenario,
        "seed": report.seed,
        "paths": report.paths,
        "actuals": report.rows.len(),
        "outside_band": outside,
        "rows": rows,
    });
    serde_json::to_string_pretty(&doc).expect("json")
}

// ---------------------------------------------------------------------------------------------
// The ledger

/// What a ledger column may be called in `model`: the closest names to `given`, then every name,
/// grouped (program; per instrument; per industry).
/// With `full` false, only the closest names (the full list is given once per ledger).
fn allowed_metrics(model: &Model, catalogue: &Catalogue, given: &str, full: bool) -> String {
    let names: Vec<&str> = catalogue.yearly.iter().map(|c| c.name.as_str()).collect();
    let close = crate::metrics::closest(given, &names);
    let mut text = String::new();
    if !close.is_empty() {
        text.push_str(&format!("did you mean {}? ", close.join(", ")));
    }
    if !full {
        text.push_str("(the yearly metrics are listed above)");
        return text;
    }
    let program: Vec<&str> = crate::metrics::PROGRAM_YEARLY
        .iter()
        .map(|d| d.name)
        .collect();
    text.push_str(&format!(
        "The yearly metrics of scenario \"{}\" (the metrics of yearly.csv) are: {}",
        model.name,
        program.join(", ")
    ));
    if !model.instruments.is_empty() {
        let per: Vec<&str> = crate::metrics::INSTRUMENT_YEARLY
            .iter()
            .map(|d| d.name)
            .collect();
        let ids: Vec<&str> = model.instruments.iter().map(|i| i.id.as_str()).collect();
        text.push_str(&format!(
            "; per instrument {}.<instrument> with <instrument> one of {}",
            if per.len() == 1 {
                per[0].to_string()
            } else {
                format!("{{{}}}", per.join(", "))
            },
            ids.join(", ")
        ));
    }
    if !model.industries.is_empty() {
        let per: Vec<&str> = crate::metrics::INDUSTRY_YEARLY
            .iter()
            .map(|d| d.name)
            .collect();
        let ids: Vec<&str> = model.industries.iter().map(|i| i.id.as_str()).collect();
        text.push_str(&format!(
            "; per industry {{{}}}.<industry> with <industry> one of {}",
            per.join(", "),
            ids.join(", ")
        ));
    }
    text
}

/// Whether a header cell names the year column: `year` (any case), or 年份 as the yearly sheet
/// of `fundsim.xlsx` heads it.
fn is_year_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("year") || name == "年份"
}

/// The yearly metrics a ledger's header cell names.
enum Found {
    None,
    One(usize),
    /// A label several metrics have (two instruments of one label).
    Several(Vec<usize>),
}

/// The yearly metric a header cell names: its key as in `yearly.csv` (`projects_landed`, in any
/// case), else its label as `metrics.csv` and `fundsim.xlsx` show it, Chinese or English
/// (`新落户科创项目`, `New science and technology projects landed`; `财政出资(拨-投-股)`,
/// `Fiscal outlay (bgt)`). Labels are compared with full-width parentheses taken as ASCII ones
/// and English letters in any case.
fn find_metric(model: &Model, catalogue: &Catalogue, name: &str) -> Found {
    let lower = name.to_lowercase();
    let key = (catalogue.yearly.iter())
        .position(|c| c.name == name)
        .or_else(|| catalogue.yearly.iter().position(|c| c.name == lower));
    if let Some(m) = key {
        return Found::One(m);
    }
    let norm = |s: &str| {
        s.trim()
            .replace('（', "(")
            .replace('）', ")")
            .to_lowercase()
    };
    let given = norm(name);
    let english = |c: &crate::metrics::Column| {
        crate::lang::metric_label(crate::lang::Lang::En, model, &c.name, &c.label)
    };
    let labelled: Vec<usize> = (catalogue.yearly.iter().enumerate())
        .filter(|(_, c)| norm(&c.label) == given || norm(&english(c)) == given)
        .map(|(m, _)| m)
        .collect();
    match labelled.as_slice() {
        [] => Found::None,
        [m] => Found::One(*m),
        _ => Found::Several(labelled),
    }
}

/// Reads a ledger's text. `file` names it in messages. Every problem is reported (each line starts
/// with `error:`), except that a file that is not CSV, or whose header is one cell holding `;` or
/// tabs (not separated by commas), stops at once.
pub fn parse_ledger(text: &str, file: &str, model: &Model) -> Result<Vec<Entry>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let catalogue = model.catalogue();
    let first_year = model.start_year;
    let last_year = model.year(model.n_years - 1);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for r in reader.records() {
        match r {
            Ok(r) => records.push(r),
            Err(e) => {
                let (_, line) =
                    csv_record_start(text, e.position().map_or(0, |p| p.byte() as usize));
                return Err(format!("error: {file}:{line}: not a CSV file: {e}"));
            }
        }
    }
    // The reader's own line count lags behind CRLF line ends and blank lines.
    let line_of = |r: &csv::StringRecord| {
        csv_record_start(text, r.position().map_or(0, |p| p.byte() as usize)).1
    };
    let blank = |r: &csv::StringRecord| r.iter().all(|c| c.trim().is_empty());
    let mut rows = records.iter().filter(|r| !blank(r));
    let Some(header) = rows.next() else {
        return Err(format!(
            "error: {file}: the ledger is empty: write a header row `year,<metric>,…` (e.g. year,projects_landed,fiscal_outlay) and one row per year"
        ));
    };
    let header_line = line_of(header);
    let first = header.get(0).unwrap_or("").trim();
    let mut errors: Vec<String> = Vec::new();
    let year_first = is_year_header(first);
    if !year_first {
        if header.len() == 1 && (first.contains(';') || first.contains('\t')) {
            // One cell: the file is not separated by commas, and nothing else in it can be read.
            return Err(format!(
                "error: {file}:{header_line}: column 1: value \"{first}\": the first column of the header must be `year` (the cells are separated by `;` or tabs: save the sheet as CSV with commas)"
            ));
        }
        let hint = match find_metric(model, &catalogue, first) {
            Found::One(m) if catalogue.yearly[m].name == first => {
                " (a metric: put it after the year)".to_string()
            }
            Found::One(m) => format!(
                " (the label of the metric {}: put it after the year)",
                catalogue.yearly[m].name
            ),
            _ => String::new(),
        };
        // The rest of the header and the values are still checked; the rows' years are not read.
        errors.push(format!(
            "error: {file}:{header_line}: column 1: value \"{first}\": the first column of the header must be `year` (or 年份), each row's calendar year{hint}"
        ));
    }
    // Header: the metric of each column (None for an empty trailing column).
    let mut columns: Vec<Option<(String, usize)>> = vec![None];
    let mut listed = false;
    for (j, cell) in header.iter().enumerate().skip(1) {
        let name = cell.trim();
        let at = format!("{file}:{header_line}: column {}", j + 1);
        if name.is_empty() {
            columns.push(None);
            continue;
        }
        let found = match find_metric(model, &catalogue, name) {
            Found::One(m) => m,
            Found::Several(ms) => {
                let keys: Vec<&str> = ms
                    .iter()
                    .map(|&m| catalogue.yearly[m].name.as_str())
                    .collect();
                errors.push(format!(
                    "error: {at} \"{name}\": \"{name}\" is the label of several metrics ({}): write the key of the one meant",
                    keys.join(", ")
                ));
                columns.push(None);
                continue;
            }
            Found::None if is_year_header(name) => {
                errors.push(format!(
                    "error: {at} \"{name}\": the year is the first column of the header, not column {}",
                    j + 1
                ));
                columns.push(None);
                continue;
            }
            Found::None => {
                errors.push(format!(
                    "error: {at} \"{name}\": unknown metric \"{name}\" (neither a key of yearly.csv nor a label of metrics.csv): {}",
                    allowed_metrics(model, &catalogue, name, !listed)
                ));
                listed = true;
                columns.push(None);
                continue;
            }
        };
        let metric = catalogue.yearly[found].name.clone();
        if let Some(k) = columns
            .iter()
            .position(|c| c.as_ref().is_some_and(|(n, _)| *n == metric))
        {
            errors.push(format!(
                "error: {at} \"{name}\": the metric {metric} is also column {}: give each metric one column",
                k + 1
            ));
            columns.push(None);
        } else {
            columns.push(Some((metric, found)));
        }
    }
    let header_names: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
    let mut years_seen: Vec<(i32, usize)> = Vec::new();
    let mut entries = Vec::new();
    for row in rows {
        let line = line_of(row);
        let year_cell = row.get(0).unwrap_or("").trim();
        let at_year = format!("{file}:{line}: column 1 \"year\": value \"{year_cell}\"");
        let parsed_year = parse_exported_whole(year_cell).and_then(|y| i32::try_from(y).ok());
        let year = match parsed_year.ok_or(()) {
            // Without a year column (reported at the header) the values are checked alone.
            _ if !year_first => None,
            _ if year_cell.is_empty() => {
                errors.push(format!(
                    "error: {file}:{line}: column 1 \"year\": the year is missing: every row with values starts with its calendar year ({first_year}–{last_year})"
                ));
                None
            }
            Ok(y) if (first_year..=last_year).contains(&y) => {
                if let Some((_, l)) = years_seen.iter().find(|(s, _)| *s == y) {
                    errors.push(format!(
                        "error: {at_year}: the year {y} is also on line {l}: give each year one row"
                    ));
                    None
                } else {
                    years_seen.push((y, line));
                    Some(y)
                }
            }
            Ok(y) => {
                errors.push(format!(
                    "error: {at_year}: the year {y} is outside the years scenario \"{}\" simulates ({first_year}–{last_year})",
                    model.name
                ));
                None
            }
            Err(_) => {
                errors.push(format!(
                    "error: {at_year}: not a year: write a calendar year such as {first_year}"
                ));
                None
            }
        };
        for (j, cell) in row.iter().enumerate().skip(1) {
            let value = cell.trim();
            if value.is_empty() {
                continue;
            }
            let name = header_names.get(j).map_or("", |s| s.as_str());
            let at = format!(
                "{file}:{line}: column {} \"{name}\": value \"{value}\"",
                j + 1
            );
            let Some(Some((metric, m))) = columns.get(j) else {
                if name.is_empty() {
                    errors.push(format!(
                        "error: {at}: this column has no metric in the header (line {header_line}): name it, or leave its cells empty"
                    ));
                }
                // An unknown or duplicated metric is reported once, at the header.
                continue;
            };
            let unit = catalogue.yearly[*m].unit;
            let parsed = parse_actual(value, unit);
            match (parsed, year) {
                (Err(what), _) => errors.push(format!("error: {at}: {what}")),
                (Ok(actual), Some(year)) => entries.push(Entry {
                    year,
                    year_index: (year - first_year) as usize,
                    metric: metric.clone(),
                    column: *m,
                    actual,
                    line,
                }),
                (Ok(_), None) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    if entries.is_empty() {
        return Err(format!(
            "error: {file}: no actuals: the ledger has no value below its header (empty cells mean \"not known\")"
        ));
    }
    // By year, then by column.
    let order = |e: &Entry| {
        let col = columns
            .iter()
            .position(|c| c.as_ref().is_some_and(|(_, m)| *m == e.column));
        (e.year, col)
    };
    entries.sort_by_key(order);
    Ok(entries)
}

/// A cell's value in the engine's unit: fen for money (yuan, or with 万/亿; a bare number that
/// is not 0 at least [`BARE_YUAN_MIN`](crate::scenario::validate::BARE_YUAN_MIN) yuan, as a
/// per-firm amount of a scenario), a whole count otherwise. Scientific notation (`2.41E+08`, as
/// a spreadsheet exports a large number) is a bare number.
fn parse_actual(value: &str, unit: Unit) -> Result<i64, String> {
    let stripped = value.trim_start_matches(['¥', '￥']).trim();
    match unit {
        Unit::Cny => {
            let d = parse_exported_money(stripped).map_err(|_| {
                "not an amount: write yuan as a number (263000000), or with 万/亿 as in 200万 or 2.63亿".to_string()
            })?;
            // A year's programme total of 2.41 is 2.41亿 more often than 2.41万.
            let written = Money(d, Bare(!has_unit(value)));
            if let Some(problem) = small_bare_amount(&written, &["亿", "万"]) {
                return Err(problem);
            }
            to_fen(d).ok_or_else(|| "too large an amount".to_string())
        }
        _ => {
            let d: Option<Decimal> = parse_exported_money(stripped).ok();
            match d {
                Some(d) if d.fract().is_zero() && d >= Decimal::ZERO => {
                    d.to_i64().ok_or_else(|| "too large a count".to_string())
                }
                _ => Err("not a count: write a whole number of 0 or more, such as 12".to_string()),
            }
        }
    }
}

/// Reads and checks the ledger file at `path`.
pub fn read_ledger(path: &Path, model: &Model) -> Result<Vec<Entry>, AppError> {
    let file = path.display().to_string();
    let bytes = crate::scenario::load::read_limited(path, 16 << 20)
        .map_err(|e| AppError::BadInput(format!("error: {file}: cannot read the ledger: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        AppError::BadInput(format!(
            "error: {file}:{line}: not UTF-8 text: save the sheet as \"CSV UTF-8\" (Excel) or choose UTF-8 when exporting (WPS)"
        ))
    })?;
    parse_ledger(text, &file, model).map_err(AppError::BadInput)
}

// ---------------------------------------------------------------------------------------------
// The command

/// How `fundsim actuals` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--from RUN_DIR`: the seed, paths and overrides of that run.
    pub from: Option<PathBuf>,
    /// `--paths`.
    pub paths: Option<u64>,
    /// `--set KEY=VALUE`.
    pub set: Vec<String>,
}

/// A checked request: the scenario, the ledger's entries, the seed and paths to run.
pub struct Prepared {
    pub loaded: Loaded,
    pub entries: Vec<Entry>,
    pub seed: u64,
    pub paths: u64,
    /// Where `paths` comes from, for messages: `--paths`, the run record of `--from`, or the
    /// default.
    pub paths_from: String,
    /// Remarks for stderr (a scenario changed since the run of `--from`, ...).
    pub notes: Vec<String>,
}

/// What the command hands back to the command line.
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub paths: u64,
    pub rows: Vec<Row>,
    pub files: Vec<PathBuf>,
}

/// The seed, paths and the scenario's record in `dir/run.json`.
struct RunRecord {
    seed: u64,
    paths: u64,
    scenarios: Vec<serde_json::Value>,
}

fn read_run(dir: &Path) -> Result<RunRecord, AppError> {
    let path = dir.join("run.json");
    let bad = |what: String| {
        AppError::BadInput(format!(
            "error: --from {}: {what}: give the output directory of a fundsim run",
            dir.display()
        ))
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(format!("{} is not JSON: {e}", path.display())))?;
    let field = |k: &str| value.get(k).and_then(|v| v.as_u64());
    let (Some(seed), Some(paths)) = (field("seed"), field("paths")) else {
        return Err(bad(format!("{} has no seed and paths", path.display())));
    };
    let scenarios = value
        .get("scenarios")
        .and_then(|s| s.as_array())
        .cloned()
        .unwrap_or_default();
    Ok(RunRecord {
        seed,
        paths,
        scenarios,
    })
}

/// Loads the scenario, reads `--from`'s run record if any, and checks the ledger, before anything
/// is simulated or written.
pub fn prepare(scenario: &Path, ledger: &Path, settings: &Settings) -> Result<Prepared, AppError> {
    let load = |set: &[String]| -> Result<Loaded, AppError> {
        let mut loaded = load_all_with(&[scenario.to_path_buf()], set)?;
        Ok(loaded.remove(0))
    };
    let mut loaded = load(&settings.set)?;
    let mut notes = Vec::new();
    let (mut seed, mut paths) = (DEFAULT_SEED, DEFAULT_PATHS);
    let mut paths_from = format!("--paths {paths} (the default)");
    if let Some(dir) = &settings.from {
        let run = read_run(dir)?;
        seed = run.seed;
        paths = run.paths;
        let record = dir.join("run.json").display().to_string();
        paths_from = format!("--from {}: {record} has \"paths\": {paths}", dir.display());
        let name = loaded.model.name.clone();
        let entry = (run.scenarios.iter())
            .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(name.as_str()));
        match entry {
            None => notes.push(format!(
                "note: --from {}: that run did not simulate scenario \"{name}\"; using its seed and paths",
                dir.display()
            )),
            Some(entry) => {
                if let Some(p) = entry.get("paths").and_then(|p| p.as_u64()) {
                    paths = p; // a run stopped by --precision records its own paths
                    paths_from = format!(
                        "--from {}: {record} has \"paths\": {paths} for scenario \"{name}\"",
                        dir.display()
                    );
                }
                let recorded: Vec<String> = (entry.get("overrides").and_then(|o| o.as_array()))
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                if settings.set.is_empty() && !recorded.is_empty() {
                    loaded = load(&recorded)?;
                    notes.push(format!(
                        "note: --from {}: with that run's overrides {}",
                        dir.display(),
                        recorded.join(" ")
                    ));
                } else if recorded != settings.set {
                    notes.push(format!(
                        "note: --from {}: that run had the overrides [{}], this one [{}]",
                        dir.display(),
                        recorded.join(" "),
                        settings.set.join(" ")
                    ));
                }
                let sha = entry.get("sha256").and_then(|s| s.as_str());
                // The files it extends and its book count too: any of them changed changes the paths.
                let hashes = |v: Option<&serde_json::Value>| -> Vec<String> {
                    let one = |x: &serde_json::Value| x.get("sha256").and_then(|s| s.as_str()).map(str::to_string);
                    match v {
                        Some(serde_json::Value::Array(a)) => a.iter().filter_map(one).collect(),
                        Some(x) => one(x).into_iter().collect(),
                        None => Vec::new(),
                    }
                };
                let bases_now: Vec<String> = (loaded.source.bases.iter()).map(|(_, h)| h.clone()).collect();
                let book_now: Vec<String> = (loaded.file.book.iter()).map(|b| b.sha256.clone()).collect();
                if hashes(entry.get("extends")) != bases_now || hashes(entry.get("holdings")) != book_now {
                    notes.push(format!(
                        "note: --from {}: a file {} extends or its holdings have changed since that run (their SHA-256 differ): the paths are not those of that run",
                        dir.display(),
                        loaded.source.path
                    ));
                }
                if sha.is_some_and(|s| s != loaded.source.sha256) {
                    notes.push(format!(
                        "note: --from {}: {} has changed since that run (its SHA-256 differs): the paths are not those of that run",
                        dir.display(),
                        loaded.source.path
                    ));
                }
            }
        }
    }
    if let Some(s) = settings.seed {
        seed = s;
    }
    if let Some(p) = settings.paths {
        paths = p;
        paths_from = format!("--paths {paths}");
    }
    // As `--paths` allows (a run may have had more: `run` takes up to 1e9 paths, in shards).
    if !(1..=MAX_PATHS).contains(&paths) {
        return Err(AppError::BadInput(format!(
            "error: {paths_from}: actuals simulates 1 to {MAX_PATHS} paths: give --paths N (at most {MAX_PATHS}) to compare with the first N paths of that run"
        )));
    }
    let entries = read_ledger(ledger, &loaded.model)?;
    Ok(Prepared {
        loaded,
        entries,
        seed,
        paths,
        paths_from,
        notes,
    })
}

/// Bytes `actuals` needs at its peak to simulate `paths` paths for `values` ledger values on
/// `threads` threads: every path's value of every ledger value, held twice at the end of the
/// simulation (the pieces in path order, and the per-value columns made from them), 8 bytes each,
/// and a model and a path simulator per thread, with the margins of a run's estimate
/// ([`crate::app::Estimate::bytes`]). Measured on the baseline: 698 MB at 20,000 paths of 2,190
/// values (16 bytes a path and value), 15 MB for one value.
pub fn memory_needed(values: u64, paths: u64, threads: u64) -> u64 {
    const FIXED: u64 = 100 << 20;
    const PER_THREAD: u64 = 40 << 20;
    FIXED
        .saturating_add(PER_THREAD.saturating_mul(threads.max(1)))
        .saturating_add(16u64.saturating_mul(values).saturating_mul(paths))
}

/// Refuses (bad input) a request whose values would not fit in the memory the machine has free
/// (the rule of [`crate::app::check_memory`]: at most 70% of it).
fn check_memory(prepared: &Prepared, threads: u64) -> Result<(), AppError> {
    let Some((free, usable)) = crate::app::usable_memory() else {
        return Ok(());
    };
    let values = prepared.entries.len() as u64;
    let need = memory_needed(values, prepared.paths, threads);
    if need <= usable {
        return Ok(());
    }
    let per_path = 16 * values.max(1);
    let base = memory_needed(0, 0, threads);
    let fits = usable.saturating_sub(base) / per_path;
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    Err(AppError::BadInput(format!(
        "error: {}: {} paths of {values} ledger values need about {:.1} GiB on {threads} threads (16 bytes a path and value), more than the {:.1} GiB this machine can give it ({:.1} GiB free): give --paths N with N at most {fits}, or fewer values in the ledger",
        prepared.paths_from,
        prepared.paths,
        gib(need),
        gib(usable),
        gib(free)
    )))
}

/// Simulates the prepared request and writes `actuals.csv` into `out` (through [`Staging`]: the
/// file appears complete or not at all).
pub fn actuals_to_dir(
    prepared: &Prepared,
    out: &Path,
    lang: crate::lang::Lang,
    progress: &dyn Progress,
) -> Result<Report, AppError> {
    check_memory(prepared, rayon::current_num_threads() as u64)?;
    let model = &prepared.loaded.model;
    let cells: Vec<(usize, usize)> = (prepared.entries.iter())
        .map(|e| (e.column, e.year_index))
        .collect();
    let values = simulate(model, prepared.seed, prepared.paths, &cells, progress);
    let rows = compare(model, &prepared.entries, values, lang);
    let failed = |e: &dyn std::fmt::Display| {
        AppError::Failed(format!("{}: cannot write {FILE}: {e}", out.display()))
    };
    let mut bytes = Vec::new();
    write_csv(&mut bytes, &rows).map_err(|e| failed(&e))?;
    crate::app::check_out(out)?;
    let mut staging = Staging::new(out).map_err(|e| failed(&e))?;
    staging.write(FILE, &bytes).map_err(|e| failed(&e))?;
    let files = staging.commit().map_err(|e| failed(&e))?;
    Ok(Report {
        scenario: model.name.clone(),
        seed: prepared.seed,
        paths: prepared.paths,
        rows,
        files,
    })
}

/// A fen or count value of the engine in reporting units (yuan for money).
pub fn reporting(v: Fen, unit: Unit) -> f64 {
    if unit == Unit::Cny {
        crate::money::yuan(v)
    } else {
        v as f64
    }
}
