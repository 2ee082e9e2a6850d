//! `summary.csv`, `targets.csv` and `yearly.csv` as bytes (columns per the interface contract).

use crate::metrics::{Catalogue, Unit};
use crate::model::Model;
use crate::money::yuan;
use crate::report::{SummaryRow, TargetRow, YearlyRow};
use crate::sim::Deal;
use std::borrow::Cow;
use std::io::{self, Write};

/// UTF-8 byte-order mark: makes Excel read the file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

pub const SUMMARY_HEADER: [&str; 11] = [
    "scenario", "metric", "unit", "mean", "std", "mcse", "p05", "p25", "p50", "p75", "p95",
];
pub const TARGETS_HEADER: [&str; 10] = [
    "scenario",
    "target",
    "label",
    "metric",
    "threshold",
    "deadline",
    "probability",
    "mcse",
    "ci_low",
    "ci_high",
];
pub const YEARLY_HEADER: [&str; 9] = [
    "scenario", "year", "metric", "mean", "p05", "p25", "p50", "p75", "p95",
];

pub const DEALS_HEADER: [&str; 15] = [
    "scenario",
    "path",
    "instrument",
    "kind",
    "industry",
    "firm",
    "entry_year",
    "amount",
    "proceeds",
    "exit_year",
    "outcome",
    "converted_year",
    "stake_at_entry",
    "holding_value",
    "book_firm",
];

pub const METRICS_HEADER: [&str; 6] = ["scenario", "table", "metric", "unit", "label", "reading"];

/// A number for CSV: yuan to the fen, other values to 6 decimals, trailing zeros dropped,
/// undefined values empty.
pub fn number(v: f64, unit: Unit) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let decimals = if unit == Unit::Cny { 2 } else { 6 };
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// What a spreadsheet takes as the start of a formula when it opens a CSV file (OWASP, "CSV
/// injection"): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A plain number as fundsim prints one (`-12.5`, `3`): never guarded, so it stays a number.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A CSV cell as written: a text that starts with a formula character (after any single quotes)
/// gets a single quote in front, as OWASP recommends, so that Excel or WPS shows it as text
/// instead of running it (a scenario named `=cmd|calc`, a label `-x`, ...). Plain numbers, negative
/// ones too, are left as they are. [`unguard`] gives back exactly the text that was guarded.
pub fn guard(cell: &str) -> Cow<'_, str> {
    if cell.trim_start_matches('\'').starts_with(FORMULA_START) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The text of a cell written through [`guard`] (for fundsim's readers of its own CSV files).
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

/// Writes one record, every cell through [`guard`]: the only way fundsim writes a CSV row.
pub fn write_row<W: Write, I, S>(w: &mut csv::Writer<W>, cells: I) -> io::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    w.write_record(cells.into_iter().map(|c| guard(c.as_ref()).into_owned()))
        .map_err(io_err)
}

fn writer<W: Write>(mut out: W) -> io::Result<csv::Writer<W>> {
    out.write_all(BOM)?;
    Ok(csv::WriterBuilder::new().from_writer(out))
}

fn io_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

pub fn write_summary<W: Write>(out: W, rows: &[SummaryRow]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, SUMMARY_HEADER)?;
    for r in rows {
        let s = &r.summary;
        let u = r.unit;
        let mut rec = vec![
            r.scenario.clone(),
            r.metric.clone(),
            u.code().to_string(),
            number(s.mean, u),
            number(s.std, u),
            number(s.mcse, u),
        ];
        rec.extend(s.quantiles.iter().map(|&q| number(q, u)));
        write_row(&mut w, &rec)?;
    }
    w.flush()
}

/// Header of `indicators.csv`.
pub const INDICATORS_HEADER: [&str; 10] = [
    "scenario",
    "scope",
    "indicator",
    "label",
    "unit",
    "mean",
    "p05",
    "p50",
    "p95",
    "rule",
];

/// `indicators.csv`: the national evaluation indicators of government investment funds, for the
/// programme (`scope = programme`) and each instrument (`scope` = its id), from the summary rows,
/// with the rule each follows.
pub fn write_indicators<W: Write>(out: W, rows: &[SummaryRow]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, INDICATORS_HEADER)?;
    for r in rows {
        let (base, scope) = match r.metric.split_once('.') {
            Some((base, id)) => (base, id),
            None => (r.metric.as_str(), "programme"),
        };
        let Some((_, rule)) = crate::metrics::INDICATORS.iter().find(|(n, _)| *n == base) else {
            continue;
        };
        let (s, u) = (&r.summary, r.unit);
        if s.n == 0 {
            // Not defined for this instrument (a 返投 multiple of a grant programme).
            continue;
        }
        write_row(
            &mut w,
            [
                r.scenario.clone(),
                scope.to_string(),
                base.to_string(),
                r.label.clone(),
                u.code().to_string(),
                number(s.mean, u),
                number(s.quantiles[0], u),
                number(s.quantiles[2], u),
                number(s.quantiles[4], u),
                rule.to_string(),
            ],
        )?;
    }
    w.flush()
}

/// Header of `comparison.csv`.
pub const COMPARISON_HEADER: [&str; 14] = [
    "scenario",
    "base",
    "metric",
    "unit",
    "label",
    "n",
    "base_mean",
    "mean",
    "diff",
    "diff_mcse",
    "diff_low",
    "diff_high",
    "unpaired_mcse",
    "p_better",
];

/// `comparison.csv`: each scenario against the base, metric by metric, paired path by path.
pub fn write_comparison<W: Write>(out: W, rows: &[crate::report::ComparisonRow]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, COMPARISON_HEADER)?;
    for r in rows {
        let (d, u) = (&r.diff, r.unit);
        write_row(
            &mut w,
            [
                r.scenario.clone(),
                r.base.clone(),
                r.metric.clone(),
                u.code().to_string(),
                r.label.clone(),
                d.n.to_string(),
                number(d.base_mean, u),
                number(d.other_mean, u),
                number(d.mean, u),
                number(d.mcse, u),
                number(d.low, u),
                number(d.high, u),
                number(d.unpaired_mcse, u),
                number(d.p_better, Unit::Indicator),
            ],
        )?;
    }
    w.flush()
}

pub fn write_targets<W: Write>(out: W, rows: &[TargetRow]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, TARGETS_HEADER)?;
    for r in rows {
        let e = &r.estimate;
        let p = Unit::Indicator;
        write_row(
            &mut w,
            [
                r.scenario.clone(),
                r.target.clone(),
                r.label.clone(),
                r.metric.clone(),
                r.threshold
                    .map_or(String::new(), |t| number(t, r.threshold_unit)),
                r.deadline.map_or(String::new(), |d| d.to_string()),
                number(e.p, p),
                number(e.mcse, p),
                number(e.low, p),
                number(e.high, p),
            ],
        )?;
    }
    w.flush()
}

pub fn write_yearly<W: Write>(out: W, rows: &[YearlyRow]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, YEARLY_HEADER)?;
    for r in rows {
        let u = r.unit;
        let mut rec = vec![
            r.scenario.clone(),
            r.year.to_string(),
            r.metric.clone(),
            number(r.mean, u),
        ];
        rec.extend(r.quantiles.iter().map(|&q| number(q, u)));
        write_row(&mut w, &rec)?;
    }
    w.flush()
}

/// `deals.csv`: every position of the first paths, for auditing a path by hand. Money in yuan;
/// `stake_at_entry` is the share of the firm bought (0 for grants); `holding_value` is the stake's
/// value at the horizon when still held.
pub fn write_deals<W: Write>(out: W, scenarios: &[(&Model, &[Deal])]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, DEALS_HEADER)?;
    for (model, deals) in scenarios {
        for d in deals.iter() {
            let inst = &model.instruments[d.instrument];
            let year = |y: usize| model.year(y).to_string();
            write_row(
                &mut w,
                [
                    model.name.clone(),
                    d.path.to_string(),
                    inst.id.clone(),
                    inst.kind.code().to_string(),
                    d.industry
                        .map_or(String::new(), |i| model.industries[i].id.clone()),
                    d.firm.map_or(String::new(), |f| f.to_string()),
                    (model.start_year + d.entry_year).to_string(),
                    number(yuan(d.amount), Unit::Cny),
                    number(yuan(d.proceeds), Unit::Cny),
                    d.exit_year.map_or(String::new(), year),
                    d.outcome.to_string(),
                    d.converted_year.map_or(String::new(), year),
                    number(d.stake, Unit::Ratio),
                    d.holding
                        .map_or(String::new(), |h| number(yuan(h), Unit::Cny)),
                    (d.book_firm)
                        .and_then(|b| model.book.as_ref().map(|book| book.firms[b].name.clone()))
                        .unwrap_or_default(),
                ],
            )?;
        }
    }
    w.flush()
}

/// `metrics.csv`: the dictionary of every metric of every scenario, with its unit and Chinese
/// label, for `summary.csv` (`table` = summary) and `yearly.csv` (`table` = yearly); a yearly
/// metric's `reading` says whether a year's row is a `flow` (booked in that year: a target on it
/// sums the years) or a `stock` (its value at the year's end). Empty for summary rows.
pub fn write_metrics<W: Write>(out: W, scenarios: &[(&str, &Catalogue)]) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(&mut w, METRICS_HEADER)?;
    for (name, cat) in scenarios {
        for (table, cols) in [("summary", &cat.scalars), ("yearly", &cat.yearly)] {
            for c in cols.iter() {
                let reading = match table {
                    "yearly" => match crate::metrics::yearly_kind(&c.name) {
                        Some(crate::metrics::Kind::Flow) => "flow",
                        Some(crate::metrics::Kind::Stock) => "stock",
                        None => unreachable!("every yearly metric has a definition"),
                    },
                    _ => "",
                };
                write_row(
                    &mut w,
                    [
                        name,
                        table,
                        c.name.as_str(),
                        c.unit.code(),
                        c.label.as_str(),
                        reading,
                    ],
                )?;
            }
        }
    }
    w.flush()
}

/// Metrics a sweep reports besides every target's P(met).
pub const SWEEP_METRICS: &[&str] = &[
    "fiscal_outlay",
    "net_fiscal_cost",
    "money_back",
    "additional_unicorns",
    "additional_chain_leaders",
];

/// `sweep_paired.csv`: every later point's paired difference from the first (point 0), on common
/// random numbers, in every target's P(met) and every metric of `sweep.csv`: `point`, each key's
/// value, `measure`, `diff`, `diff_mcse`, `diff_low`, `diff_high` (the 95% interval; Tango's for a
/// probability).
pub fn write_sweep_paired<W: Write>(
    out: W,
    keys: &[String],
    points: &[crate::study::Point],
    steps: &[crate::study::Step],
) -> io::Result<()> {
    let mut w = writer(out)?;
    let mut header = vec!["point".to_string()];
    header.extend(keys.iter().cloned());
    header.extend(
        ["measure", "diff", "diff_mcse", "diff_low", "diff_high"]
            .iter()
            .map(|s| s.to_string()),
    );
    write_row(&mut w, &header)?;
    for s in steps {
        let mut rec = vec![s.point.to_string()];
        rec.extend(
            points[s.point]
                .values
                .iter()
                .map(|v| v.normalize().to_string()),
        );
        rec.push(s.measure.clone());
        for v in [s.diff.0, s.diff.1, s.interval.0, s.interval.1] {
            rec.push(number(v, s.unit));
        }
        write_row(&mut w, &rec)?;
    }
    w.flush()
}

/// `sweep.csv`: one row per point: `point`, each key's value, then `p.<target>` and
/// `p.<target>_mcse` for every target of the first point (and `all`), then `<metric>_mean` and
/// `<metric>_mcse` for [`SWEEP_METRICS`] and `extra`.
pub fn write_sweep<W: Write>(
    out: W,
    keys: &[String],
    points: &[crate::study::Point],
    extra: &[String],
) -> io::Result<()> {
    let mut w = writer(out)?;
    let targets: Vec<&str> = points
        .first()
        .map(|p| p.targets.iter().map(|t| t.target.as_str()).collect())
        .unwrap_or_default();
    let metrics: Vec<&str> = SWEEP_METRICS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect();
    let mut header = vec!["point".to_string()];
    header.extend(keys.iter().cloned());
    for t in &targets {
        header.push(format!("p.{t}"));
        header.push(format!("p.{t}_mcse"));
    }
    for m in &metrics {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_mcse"));
    }
    write_row(&mut w, &header)?;
    for (i, p) in points.iter().enumerate() {
        let mut rec = vec![i.to_string()];
        rec.extend(p.values.iter().map(|v| v.normalize().to_string()));
        for t in &targets {
            match p.targets.iter().find(|r| r.target == *t) {
                Some(r) => {
                    rec.push(number(r.estimate.p, Unit::Indicator));
                    rec.push(number(r.estimate.mcse, Unit::Indicator));
                }
                None => rec.extend([String::new(), String::new()]),
            }
        }
        for m in &metrics {
            match p.summary.iter().find(|r| r.metric == *m) {
                Some(r) => {
                    rec.push(number(r.summary.mean, r.unit));
                    rec.push(number(r.summary.mcse, r.unit));
                }
                None => rec.extend([String::new(), String::new()]),
            }
        }
        write_row(&mut w, &rec)?;
    }
    w.flush()
}

/// `goal_seek.csv`: every value tried, in order: `key,value,probability,ci_low,ci_high`.
pub fn write_goal_seek<W: Write>(
    out: W,
    key: &str,
    seek: &crate::study::GoalSeek,
) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(
        &mut w,
        [
            "key",
            "value",
            "probability",
            "ci_low",
            "ci_high",
            "level",
            "finding",
        ],
    )?;
    let p = Unit::Indicator;
    for (v, pm, lo, hi) in &seek.tried {
        // What the search made of this value: the answer and the ends of its range, so that the
        // file says what stdout does.
        let mut finding: Vec<&str> = Vec::new();
        if seek.answer == Some(*v) {
            finding.push("answer");
        }
        if seek.interval.0 == Some(*v) {
            finding.push("range_low");
        }
        if seek.interval.1 == Some(*v) {
            finding.push("range_high");
        }
        write_row(
            &mut w,
            [
                key.to_string(),
                v.normalize().to_string(),
                number(*pm, p),
                number(*lo, p),
                number(*hi, p),
                number(seek.level, p),
                finding.join("+"),
            ],
        )?;
    }
    w.flush()
}

/// `tornado.csv`: each input at its low and high value, ranked by the swing of the metric.
pub fn write_tornado<W: Write>(
    out: W,
    metric: &str,
    swings: &[crate::study::Swing],
) -> io::Result<()> {
    let mut w = writer(out)?;
    write_row(
        &mut w,
        [
            "rank",
            "key",
            "low",
            "high",
            "metric",
            "at_low",
            "at_low_mcse",
            "at_high",
            "at_high_mcse",
            "swing",
            "swing_mcse",
            "rank_correlation",
            "rank_correlation_lo",
            "rank_correlation_hi",
            "swing_low",
            "swing_high",
        ],
    )?;
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v:.6}")
        } else {
            String::new()
        }
    };
    for (i, s) in swings.iter().enumerate() {
        write_row(
            &mut w,
            [
                (i + 1).to_string(),
                s.key.clone(),
                s.low.normalize().to_string(),
                s.high.normalize().to_string(),
                metric.to_string(),
                f(s.at_low.0),
                f(s.at_low.1),
                f(s.at_high.0),
                f(s.at_high.1),
                f(s.swing.0),
                f(s.swing.1),
                f(s.rank_correlation.map_or(f64::NAN, |r| r.0)),
                f(s.rank_correlation.map_or(f64::NAN, |r| r.1)),
                f(s.rank_correlation.map_or(f64::NAN, |r| r.2)),
                f(s.swing_interval.0),
                f(s.swing_interval.1),
            ],
        )?;
    }
    w.flush()
}

/// `allocation.csv`: every split tried, with the objective and its paired difference from the best.
pub fn write_allocation<W: Write>(
    out: W,
    ids: &[String],
    objective: &str,
    splits: &[crate::study::Split],
) -> io::Result<()> {
    let mut w = writer(out)?;
    let mut header = vec!["point".to_string()];
    header.extend(ids.iter().map(|id| format!("share.{id}")));
    header.extend(
        [
            "objective",
            "mean",
            "mcse",
            "from_best",
            "from_best_mcse",
            "neighbour_of_best",
            "mean_low",
            "mean_high",
            "from_best_low",
            "from_best_high",
        ]
        .map(String::from),
    );
    write_row(&mut w, &header)?;
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v:.6}")
        } else {
            String::new()
        }
    };
    for (i, s) in splits.iter().enumerate() {
        let mut rec = vec![i.to_string()];
        rec.extend(s.shares.iter().map(|x| x.normalize().to_string()));
        rec.extend([
            objective.to_string(),
            f(s.objective.0),
            f(s.objective.1),
            f(s.from_best.0),
            f(s.from_best.1),
            s.neighbour.to_string(),
            f(s.objective_interval.0),
            f(s.objective_interval.1),
            f(s.from_best_interval.0),
            f(s.from_best_interval.1),
        ]);
        write_row(&mut w, &rec)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain() {
        assert_eq!(number(1234567.891, Unit::Cny), "1234567.89");
        assert_eq!(number(2e8, Unit::Cny), "200000000");
        assert_eq!(number(0.5, Unit::Ratio), "0.5");
        assert_eq!(number(-0.0000001, Unit::Rate), "0");
        assert_eq!(number(f64::NAN, Unit::Rate), "");
        assert_eq!(number(1.0 / 3.0, Unit::Indicator), "0.333333");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_guarded_and_numbers_are_not() {
        for text in [
            "=cmd|' /C calc'!A0",
            "+1+1",
            "-x",
            "-",
            "-1+2",
            "-inf",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "'=1",
            "''-2",
        ] {
            assert_eq!(guard(text), format!("'{text}"), "{text:?}");
        }
        for cell in [
            "-12.5",
            "-0.000001",
            "-3",
            "0",
            "12",
            "",
            "tiny",
            "中文",
            "'quoted",
            "a=b",
            " =1",
        ] {
            assert_eq!(guard(cell), cell, "{cell:?}");
        }
        // unguard undoes guard for every text, guarded or not.
        for text in [
            "=x", "'=x", "''=x", "'", "''", "'-5", "-5", "-5.", "-.5", "'x", "x", "@", "\t",
        ] {
            assert_eq!(unguard(&guard(text)), text, "{text:?}");
        }
    }

    #[test]
    fn every_cell_of_a_row_is_guarded() {
        let mut bytes = Vec::new();
        let mut w = writer(&mut bytes).expect("writer");
        write_row(&mut w, ["=HYPERLINK(\"x\")", "-1.5", "@a", "b"]).expect("row");
        drop(w);
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            "\u{feff}\"'=HYPERLINK(\"\"x\"\")\",-1.5,'@a,b\n"
        );
    }
}
