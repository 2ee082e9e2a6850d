//! `fundsim.xlsx` (`--format xlsx`): the run's tables as a workbook a policy analyst opens in
//! Excel or WPS, with native charts.
//!
//! Sheets: 概览 (one headline row per scenario), 图表 (per scenario: the J-curve of cumulative net
//! fiscal flow with its p05–p95 band, and the targets' probabilities with their 95% intervals),
//! 汇总 (`summary.csv`), 目标 (`targets.csv`), 逐年 (`yearly.csv`), 比较 (`comparison.csv`, for
//! `compare`) and 图表数据 (the ranges the charts read). Every header row is frozen; headers carry
//! the Chinese name and the CSV's column key.
//!
//! **Values are the CSV's, in units a reader uses.** Money is in 亿元, or 万元 for a metric whose
//! largest amount on the sheet is below 1000万, the unit named in the row or the header: the CSV's
//! yuan divided by 10^8 (10^4), so formulas still add up. (Excel's scaling trick `0!.00,,"亿"`
//! would keep yuan in the cell, but LibreOffice does not read it.) A metric has **one unit on a
//! sheet**: every row of it, every year and every scenario, so a column filtered to one metric
//! can be charted or summed as it is. Its largest amount chooses the unit, and a cell's number
//! format shows at least three significant digits of a small amount (0.00120 亿元, never 0.00).
//! Probabilities and rates are fractions shown as percentages; counts and ratios are plain
//! numbers. An undefined value (an IRR on paths where it does not exist) is an empty cell, as in
//! the CSV.

use crate::lang::Lang;
use crate::metrics::Unit;
use crate::report::{ComparisonRow, Headline, SummaryRow, TargetRow, YearlyRow};
use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartAxisLabelPosition, ChartErrorBars, ChartErrorBarsType,
    ChartFormat, ChartLine, ChartRange, ChartSolidFill, ChartType, DocProperties, ExcelDateTime,
    Format, Workbook, Worksheet, XlsxError,
};

/// What goes into the workbook.
pub struct Tables<'a> {
    pub headlines: &'a [Headline],
    pub summary: &'a [SummaryRow],
    pub targets: &'a [TargetRow],
    pub yearly: &'a [YearlyRow],
    pub comparison: Option<&'a [ComparisonRow]>,
    /// The language of headers, sheet names and chart titles.
    pub lang: Lang,
}

/// The yearly metric the J-curve plots.
const J_CURVE: &str = "net_fiscal_flow_cum";

/// How a value of some unit is shown: a number format, and the divisor from the CSV's value
/// (money in 亿元 or 万元).
struct Shown {
    format: Format,
    scale: f64,
    /// Money only: the formats with one, two, ... more decimals than `format`, for an amount below
    /// 1 in its unit, so that it shows three significant digits instead of 0.00.
    finer: Vec<Format>,
    /// The decimals of `format`.
    decimals: usize,
}

impl Shown {
    /// The format of a cell holding `x` (already in the shown unit).
    fn format_of(&self, x: f64) -> &Format {
        let extra =
            money_decimals(x, self.decimals, self.decimals + self.finer.len()) - self.decimals;
        match extra {
            0 => &self.format,
            k => &self.finer[k - 1],
        }
    }
}

/// The decimals that show `x` (an amount in 亿元 or 万元) with three significant digits: `least`
/// for an amount of 1 or more (or 0), more below 1, at most `most` (the fen, as the CSV prints).
fn money_decimals(x: f64, least: usize, most: usize) -> usize {
    if !x.is_finite() || x == 0.0 || x.abs() >= 1.0 {
        return least;
    }
    // 0.206 → 3 decimals, 0.0012 → 5.
    let wanted = 2 - x.abs().log10().floor() as i64;
    (wanted.max(0) as usize).clamp(least, most)
}

/// Whether money whose largest amount (in yuan) is `largest` is shown in 亿元 rather than 万元.
fn in_yi(largest: f64) -> bool {
    largest.abs() >= 1e7
}

/// How a value of `unit` is shown; for money, `largest` is the largest amount (in yuan) of the
/// metric on the sheet, which chooses 亿元 or 万元 for all its rows.
fn format_for(unit: Unit, largest: f64) -> Shown {
    let (format, scale) = match unit {
        Unit::Cny if in_yi(largest) => ("#,##0.00", 1e8),
        Unit::Cny => ("#,##0.0", 1e4),
        Unit::Rate | Unit::Indicator => ("0.0%", 1.0),
        Unit::Count => ("#,##0.0", 1.0),
        Unit::Ratio => ("0.00", 1.0),
        Unit::Input => ("General", 1.0),
    };
    let decimals = format.rsplit_once('.').map_or(0, |(_, d)| d.len());
    // The CSV prints yuan to the fen: 10 decimals of 亿元, 6 of 万元.
    let most = match unit {
        Unit::Cny if in_yi(largest) => 10,
        Unit::Cny => 6,
        _ => decimals,
    };
    let finer = (decimals + 1..=most)
        .map(|d| Format::new().set_num_format(format!("#,##0.{}", "0".repeat(d))))
        .collect();
    Shown {
        format: Format::new().set_num_format(format),
        scale,
        finer,
        decimals,
    }
}

/// The largest magnitude among `values` (0 when none is finite).
fn largest(values: impl IntoIterator<Item = f64>) -> f64 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0, |m, v| m.max(v.abs()))
}

/// Per metric (`key`), the largest magnitude of its values over all `rows`: one unit per metric
/// on a sheet, whatever the row's scenario or year.
fn largest_per_metric<'a, R>(
    rows: &'a [R],
    key: impl Fn(&'a R) -> &'a str,
    values: impl Fn(&R) -> Vec<f64>,
) -> std::collections::HashMap<&'a str, f64> {
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let m = largest(values(row));
        let e = out.entry(key(row)).or_insert(0.0_f64);
        *e = e.max(m);
    }
    out
}

/// The unit as a reader sees it (for money, of a metric whose largest amount is `largest`).
fn unit_name(unit: Unit, largest: f64, lang: Lang) -> &'static str {
    match unit {
        Unit::Cny if in_yi(largest) => lang.pick("亿元", "100M yuan"),
        Unit::Cny => lang.pick("万元", "10k yuan"),
        Unit::Rate => lang.pick("年率", "rate"),
        Unit::Indicator => lang.pick("概率", "probability"),
        Unit::Count => lang.pick("个", "count"),
        Unit::Ratio => lang.pick("倍", "ratio"),
        Unit::Input => lang.pick("输入值", "input"),
    }
}

/// Writes a number of `unit` as the CSV prints it (yuan to the fen, other values to 6 decimals)
/// over the scale it is shown in, or leaves the cell empty when it is not finite, as the CSV does.
fn number(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    (v, unit): (f64, Unit),
    shown: &Shown,
) -> Result<(), XlsxError> {
    if let Ok(printed) = crate::output::csv_out::number(v, unit).parse::<f64>() {
        let x = printed / shown.scale;
        ws.write_number_with_format(row, col, x, shown.format_of(x))?;
    }
    Ok(())
}

/// Excel's limit on the text of one cell, in UTF-16 code units.
const CELL_TEXT_MAX: usize = 32_767;

/// Text as a cell can hold it: a text longer than Excel's limit of 32,767 characters (a scenario
/// whose description is a whole policy document) is cut to the limit, its last character `…`,
/// instead of failing the whole workbook.
fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.encode_utf16().count() <= CELL_TEXT_MAX {
        return s.into();
    }
    let mut units = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        // Room for the `…` (one code unit) after the kept text.
        if units + c.len_utf16() > CELL_TEXT_MAX - 1 {
            break;
        }
        units += c.len_utf16();
        end = i + c.len_utf8();
    }
    format!("{}…", &s[..end]).into()
}

/// A header row (frozen) of `(中文, key)` pairs, and the columns' widths.
fn header(ws: &mut Worksheet, columns: &[(&str, &str, f64)], lang: Lang) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold().set_text_wrap();
    for (c, (zh, key, width)) in columns.iter().enumerate() {
        let text = match lang {
            Lang::En => key.to_string(),
            Lang::Zh if key.is_empty() => zh.to_string(),
            Lang::Zh => format!("{zh}\n{key}"),
        };
        ws.write_string_with_format(0, c as u16, text, &bold)?;
        ws.set_column_width(c as u16, *width)?;
    }
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A workbook whose bytes depend on its contents only: the document's creation time, which Excel
/// stamps with the clock by default, is fixed, so the same seed gives the same file.
fn new_workbook() -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&fixed)
            .set_author("fundsim"),
    );
    Ok(wb)
}

/// The workbook's bytes.
pub fn workbook(t: &Tables) -> Result<Vec<u8>, XlsxError> {
    let mut wb = new_workbook()?;
    let lang = t.lang;
    let name = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    headline_sheet(
        wb.add_worksheet().set_name(name("概览", "Headline"))?,
        t.headlines,
        lang,
    )?;
    // Charts read a data sheet of contiguous blocks; the chart sheet comes second, so it is
    // created now and filled once the data's places are known.
    wb.add_worksheet().set_name(name("图表", "Charts"))?;
    summary_sheet(
        wb.add_worksheet().set_name(name("汇总", "Summary"))?,
        t.summary,
        lang,
    )?;
    targets_sheet(
        wb.add_worksheet().set_name(name("目标", "Targets"))?,
        t.targets,
        lang,
    )?;
    yearly_sheet(
        wb.add_worksheet().set_name(name("逐年", "Yearly"))?,
        t.yearly,
        lang,
    )?;
    if let Some(rows) = t.comparison {
        comparison_sheet(
            wb.add_worksheet().set_name(name("比较", "Comparison"))?,
            rows,
            lang,
        )?;
    }
    let data = name(DATA, "Chart data");
    let charts = chart_data(wb.add_worksheet().set_name(data)?, t, data)?;
    let sheet = wb.worksheet_from_name(name("图表", "Charts"))?;
    sheet.set_column_width(0, 2)?;
    let mut row = 1;
    for c in &charts {
        sheet.insert_chart(row, 1, &c.j_curve)?;
        if let Some(targets) = &c.targets {
            sheet.insert_chart(row, 11, targets)?;
        }
        // Default rows are 20 pixels high; leave one free row between scenarios.
        row += c.height.div_ceil(20) + 1;
    }
    wb.save_to_buffer()
}

fn headline_sheet(ws: &mut Worksheet, rows: &[Headline], lang: Lang) -> Result<(), XlsxError> {
    let mut years: Vec<i32> = rows
        .iter()
        .flat_map(|h| h.by_deadline.iter().map(|(y, _)| *y))
        .collect();
    years.sort_unstable();
    years.dedup();
    let mut columns: Vec<(String, String, f64)> = vec![
        ("情景".into(), "scenario".into(), 22.0),
        ("问题".into(), "question".into(), 60.0),
    ];
    for y in &years {
        columns.push((format!("{y}年目标全部达成概率"), format!("p_all_{y}"), 14.0));
    }
    // The cost per additional unicorn here is the programme's: the mean net fiscal cost over the
    // mean number of additional unicorns, every path's cost counted (the stdout and Markdown
    // tables' figure). The summary sheet's `cost_per_additional_unicorn` is another number, the
    // mean of each path's cost per unicorn on the paths with at least one, so this column is named
    // for what it is, not by that key.
    for (zh, key, money) in [
        ("政策新增(潜在)独角兽", "additional_unicorns", false),
        ("政策新增链主企业", "additional_chain_leaders", false),
        (
            "财政净成本均值 ÷ 新增独角兽均值（亿元）",
            "net_fiscal_cost_mean / additional_unicorns_mean",
            true,
        ),
        (
            "其95%区间半宽（亿元）",
            "net_fiscal_cost_mean / additional_unicorns_mean: 95% half-width",
            true,
        ),
        ("财政出资 p50（亿元）", "fiscal_outlay_p50", true),
        ("财政净成本 p50（亿元）", "net_fiscal_cost_p50", true),
        (
            "含在保贷款的财政净成本 p50（亿元）",
            "net_fiscal_cost_with_outstanding_p50",
            true,
        ),
        ("回收资金 p50（亿元）", "money_back_p50", true),
    ]
    .into_iter()
    .chain(
        // A scenario that starts from the fund's book: what its positions cost before the start
        // year (sunk: in none of the columns above).
        (rows.iter().any(|h| h.sunk_cost.is_some())).then_some((
            "起始年前已投入（沉没成本，亿元）",
            "sunk_cost",
            true,
        )),
    ) {
        // In English the header is the key alone, so a money column names its unit there.
        let key = match lang {
            Lang::En if money => format!("{key} (100M yuan)"),
            _ => key.to_string(),
        };
        columns.push((zh.into(), key, 16.0));
    }
    let refs: Vec<(&str, &str, f64)> = columns
        .iter()
        .map(|(a, b, w)| (a.as_str(), b.as_str(), *w))
        .collect();
    header(ws, &refs, lang)?;
    let wrap = Format::new().set_text_wrap();
    let pct = format_for(Unit::Indicator, 0.0);
    let count = Shown {
        format: Format::new().set_num_format("0.00"),
        scale: 1.0,
        finer: Vec::new(),
        decimals: 2,
    };
    let money = format_for(Unit::Cny, 1e8);
    for (i, h) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, cell_text(&h.scenario))?;
        ws.write_string_with_format(r, 1, cell_text(&h.question), &wrap)?;
        let mut c = 2u16;
        for y in &years {
            if let Some((_, p)) = h.by_deadline.iter().find(|(d, _)| d == y) {
                number(ws, r, c, (*p, Unit::Indicator), &pct)?;
            }
            c += 1;
        }
        number(ws, r, c, (h.additional_unicorns, Unit::Count), &count)?;
        number(
            ws,
            r,
            c + 1,
            (h.additional_chain_leaders, Unit::Count),
            &count,
        )?;
        let any_book = rows.iter().any(|h| h.sunk_cost.is_some());
        let sunk = any_book.then(|| h.sunk_cost.unwrap_or(f64::NAN));
        for (k, v) in [
            h.net_cost_mean_per_additional_unicorn,
            crate::stats::Z95 * h.net_cost_mean_per_additional_unicorn_mcse,
            h.fiscal_outlay_p50,
            h.net_fiscal_cost_p50,
            h.net_fiscal_cost_outstanding_p50,
            h.money_back_p50,
        ]
        .into_iter()
        .chain(sunk)
        .enumerate()
        {
            number(ws, r, c + 2 + k as u16, (v, Unit::Cny), &money)?;
        }
    }
    Ok(())
}

fn summary_sheet(ws: &mut Worksheet, rows: &[SummaryRow], lang: Lang) -> Result<(), XlsxError> {
    header(
        ws,
        &[
            ("情景", "scenario", 18.0),
            ("指标", "metric", 30.0),
            ("中文名称", "label", 32.0),
            ("单位", "unit", 8.0),
            ("均值", "mean", 12.0),
            ("标准差", "std", 12.0),
            ("蒙特卡洛标准误", "mcse", 12.0),
            ("5%分位", "p05", 12.0),
            ("25%分位", "p25", 12.0),
            ("中位数", "p50", 12.0),
            ("75%分位", "p75", 12.0),
            ("95%分位", "p95", 12.0),
        ],
        lang,
    )?;
    // One unit per metric across the scenarios, from the largest of its values.
    let sizes = largest_per_metric(
        rows,
        |r| r.metric.as_str(),
        |r| {
            let s = &r.summary;
            [s.mean, s.std, s.mcse]
                .into_iter()
                .chain(s.quantiles)
                .collect()
        },
    );
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        let s = &row.summary;
        let size = sizes[row.metric.as_str()];
        let f = format_for(row.unit, size);
        ws.write_string(r, 0, cell_text(&row.scenario))?;
        ws.write_string(r, 1, cell_text(&row.metric))?;
        ws.write_string(r, 2, cell_text(&row.label))?;
        ws.write_string(r, 3, unit_name(row.unit, size, lang))?;
        for (c, v) in [s.mean, s.std, s.mcse]
            .into_iter()
            .chain(s.quantiles)
            .enumerate()
        {
            number(ws, r, 4 + c as u16, (v, row.unit), &f)?;
        }
    }
    ws.autofilter(0, 0, rows.len() as u32, 11)?;
    Ok(())
}

fn targets_sheet(ws: &mut Worksheet, rows: &[TargetRow], lang: Lang) -> Result<(), XlsxError> {
    header(
        ws,
        &[
            ("情景", "scenario", 18.0),
            ("目标", "target", 20.0),
            ("中文名称", "label", 40.0),
            ("指标", "metric", 26.0),
            ("门槛", "threshold", 12.0),
            ("门槛单位", "unit", 8.0),
            ("期限", "deadline", 8.0),
            ("达成概率", "probability", 10.0),
            ("蒙特卡洛标准误", "mcse", 10.0),
            ("95%区间下限", "ci_low", 10.0),
            ("95%区间上限", "ci_high", 10.0),
        ],
        lang,
    )?;
    let pct = format_for(Unit::Indicator, 0.0);
    // The thresholds of one metric (at least or at most) share a unit, from the largest of them.
    fn metric(r: &TargetRow) -> &str {
        r.metric.trim_start_matches("<=")
    }
    let sizes = largest_per_metric(rows, metric, |r| r.threshold.into_iter().collect());
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, cell_text(&row.scenario))?;
        ws.write_string(r, 1, cell_text(&row.target))?;
        ws.write_string(r, 2, cell_text(&row.label))?;
        ws.write_string(r, 3, cell_text(&row.metric))?;
        if let Some(t) = row.threshold {
            let size = sizes[metric(row)];
            number(
                ws,
                r,
                4,
                (t, row.threshold_unit),
                &format_for(row.threshold_unit, size),
            )?;
            ws.write_string(r, 5, unit_name(row.threshold_unit, size, lang))?;
        }
        if let Some(d) = row.deadline {
            ws.write_number(r, 6, d)?;
        }
        let e = &row.estimate;
        for (c, v) in [e.p, e.mcse, e.low, e.high].into_iter().enumerate() {
            number(ws, r, 7 + c as u16, (v, Unit::Indicator), &pct)?;
        }
    }
    ws.autofilter(0, 0, rows.len() as u32, 10)?;
    Ok(())
}

fn yearly_sheet(ws: &mut Worksheet, rows: &[YearlyRow], lang: Lang) -> Result<(), XlsxError> {
    header(
        ws,
        &[
            ("情景", "scenario", 18.0),
            ("年份", "year", 8.0),
            ("指标", "metric", 30.0),
            ("单位", "unit", 8.0),
            ("均值", "mean", 12.0),
            ("5%分位", "p05", 12.0),
            ("25%分位", "p25", 12.0),
            ("中位数", "p50", 12.0),
            ("75%分位", "p75", 12.0),
            ("95%分位", "p95", 12.0),
        ],
        lang,
    )?;
    // One unit per metric across the years and the scenarios, from its largest mean or
    // percentile: a column filtered to one metric is in one unit.
    let sizes = largest_per_metric(
        rows,
        |r| r.metric.as_str(),
        |r| std::iter::once(r.mean).chain(r.quantiles).collect(),
    );
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        let size = sizes[row.metric.as_str()];
        let f = format_for(row.unit, size);
        ws.write_string(r, 0, cell_text(&row.scenario))?;
        ws.write_number(r, 1, row.year)?;
        ws.write_string(r, 2, cell_text(&row.metric))?;
        ws.write_string(r, 3, unit_name(row.unit, size, lang))?;
        for (c, v) in std::iter::once(row.mean).chain(row.quantiles).enumerate() {
            number(ws, r, 4 + c as u16, (v, row.unit), &f)?;
        }
    }
    ws.autofilter(0, 0, rows.len() as u32, 9)?;
    Ok(())
}

fn comparison_sheet(
    ws: &mut Worksheet,
    rows: &[ComparisonRow],
    lang: Lang,
) -> Result<(), XlsxError> {
    header(
        ws,
        &[
            ("情景", "scenario", 18.0),
            ("基准", "base", 18.0),
            ("指标", "metric", 30.0),
            ("中文名称", "label", 32.0),
            ("单位", "unit", 8.0),
            ("基准均值", "base_mean", 12.0),
            ("情景均值", "mean", 12.0),
            ("配对差", "diff", 12.0),
            ("配对标准误", "diff_mcse", 12.0),
            ("95%区间下限", "diff_low", 12.0),
            ("95%区间上限", "diff_high", 12.0),
            ("不配对标准误", "unpaired_mcse", 12.0),
            ("优于基准的概率", "p_better", 12.0),
        ],
        lang,
    )?;
    let pct = format_for(Unit::Indicator, 0.0);
    // One unit per metric across the scenarios, from the largest of its values.
    // The money columns of a row, in the sheet's order.
    let numbers = |d: &crate::compare::Difference| {
        [
            d.base_mean,
            d.other_mean,
            d.mean,
            d.mcse,
            d.low,
            d.high,
            d.unpaired_mcse,
        ]
    };
    let sizes = largest_per_metric(rows, |r| r.metric.as_str(), |r| numbers(&r.diff).to_vec());
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        let d = &row.diff;
        let size = sizes[row.metric.as_str()];
        let f = format_for(row.unit, size);
        ws.write_string(r, 0, cell_text(&row.scenario))?;
        ws.write_string(r, 1, cell_text(&row.base))?;
        ws.write_string(r, 2, cell_text(&row.metric))?;
        ws.write_string(r, 3, cell_text(&row.label))?;
        ws.write_string(r, 4, unit_name(row.unit, size, lang))?;
        for (c, v) in numbers(d).into_iter().enumerate() {
            number(ws, r, 5 + c as u16, (v, row.unit), &f)?;
        }
        number(ws, r, 12, (d.p_better, Unit::Indicator), &pct)?;
    }
    ws.autofilter(0, 0, rows.len() as u32, 12)?;
    Ok(())
}

/// A chart title that rust_xlsxwriter writes as the text it is. `ChartTitle::set_name` reads its
/// argument as a range when it starts with `=` and holds `[` or starts with `=(` (a formula), or
/// when what follows its first `!` is a cell range (`Sheet!A1`): a title beginning with a scenario
/// name such as `=[试点]方案A` became a reference to a cell that does not exist. Each title
/// therefore begins and ends with fixed text (never `=`, and a closing character after the user's
/// text, which no cell range has), and this checks it.
fn chart_title(text: String) -> String {
    debug_assert!(
        !text.starts_with('=') && text.ends_with([')', '）']),
        "a chart title must begin and end with fixed text: {text}"
    );
    text
}

/// A scenario's charts.
struct Charts {
    j_curve: Chart,
    targets: Option<Chart>,
    /// The taller chart's height in pixels.
    height: u32,
}

const DATA: &str = "图表数据";

/// Writes each scenario's chart data in blocks (the J-curve: year, p05, band p95 − p05, p50, p95;
/// the targets: label, P, interval above and below) and returns the charts that read them.
fn chart_data(ws: &mut Worksheet, t: &Tables, data: &str) -> Result<Vec<Charts>, XlsxError> {
    let lang = t.lang;
    let mut scenarios: Vec<&str> = Vec::new();
    for h in t.headlines {
        scenarios.push(&h.scenario);
    }
    let bold = Format::new().set_bold();
    let yi = format_for(Unit::Cny, 1e8);
    let pct = format_for(Unit::Indicator, 0.0);
    ws.set_column_width(0, 36)?;
    let mut row = 0u32;
    let mut charts = Vec::new();
    for name in scenarios {
        // The J-curve.
        ws.write_string_with_format(
            row,
            0,
            cell_text(&match lang {
                Lang::Zh => format!("{name}：累计财政净现金流（J曲线）"),
                Lang::En => format!("{name}: cumulative net fiscal flow (J-curve)"),
            }),
            &bold,
        )?;
        row += 1;
        for (c, h) in match lang {
            Lang::Zh => [
                "年份",
                "5%分位（亿元）",
                "5%–95%区间宽度（亿元）",
                "中位数（亿元）",
                "95%分位（亿元）",
            ],
            Lang::En => [
                "year",
                "p05 (100M yuan)",
                "p95 − p05 (100M yuan)",
                "median (100M yuan)",
                "p95 (100M yuan)",
            ],
        }
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(row, c as u16, *h, &bold)?;
        }
        row += 1;
        let first = row;
        for y in t
            .yearly
            .iter()
            .filter(|y| y.scenario == name && y.metric == J_CURVE)
        {
            let q = y.quantiles;
            ws.write_number(row, 0, y.year)?;
            let cny = |v: f64| (v, Unit::Cny);
            number(ws, row, 1, cny(q[0]), &yi)?;
            number(ws, row, 2, cny(q[4] - q[0]), &yi)?;
            number(ws, row, 3, cny(q[2]), &yi)?;
            number(ws, row, 4, cny(q[4]), &yi)?;
            row += 1;
        }
        let last = row.saturating_sub(1).max(first);
        let mut band = Chart::new(ChartType::AreaStacked);
        band.add_series()
            .set_categories((data, first, 0, last, 0))
            .set_values((data, first, 1, last, 1))
            .set_name("p05")
            .set_format(ChartFormat::new().set_no_fill().set_no_line());
        band.add_series()
            .set_categories((data, first, 0, last, 0))
            .set_values((data, first, 2, last, 2))
            .set_name("5%–95%")
            .set_format(
                ChartFormat::new()
                    .set_solid_fill(
                        ChartSolidFill::new()
                            .set_color("#9DC3E6")
                            .set_transparency(40),
                    )
                    .set_no_line(),
            );
        let mut median = Chart::new(ChartType::Line);
        median
            .add_series()
            .set_categories((data, first, 0, last, 0))
            .set_values((data, first, 3, last, 3))
            .set_name(lang.pick("中位数", "median"))
            .set_format(
                ChartFormat::new().set_line(ChartLine::new().set_color("#1F4E79").set_width(2.25)),
            );
        band.combine(&median);
        band.title().set_name(&chart_title(match lang {
            Lang::Zh => format!("情景「{name}」：累计财政净现金流（J曲线，5%–95%）"),
            Lang::En => format!("Scenario “{name}”: cumulative net fiscal flow (J-curve, 5%–95%)"),
        }));
        band.y_axis()
            .set_num_format("#,##0")
            .set_name(lang.pick("亿元", "100M yuan"));
        band.x_axis()
            .set_name(lang.pick("年份", "year"))
            .set_label_position(ChartAxisLabelPosition::Low);
        band.legend().set_hidden();
        band.set_width(620).set_height(400);
        row += 1;

        // The targets.
        let rows: Vec<&TargetRow> = t.targets.iter().filter(|r| r.scenario == name).collect();
        let targets = if rows.is_empty() {
            None
        } else {
            ws.write_string_with_format(
                row,
                0,
                cell_text(&match lang {
                    Lang::Zh => format!("{name}：目标达成概率"),
                    Lang::En => format!("{name}: probability each target is met"),
                }),
                &bold,
            )?;
            row += 1;
            for (c, h) in match lang {
                Lang::Zh => ["目标", "达成概率", "区间上沿差", "区间下沿差"],
                Lang::En => ["target", "P(met)", "to interval top", "to interval bottom"],
            }
            .iter()
            .enumerate()
            {
                ws.write_string_with_format(row, c as u16, *h, &bold)?;
            }
            row += 1;
            let first = row;
            for r in &rows {
                let e = &r.estimate;
                let deadline = match (r.deadline, lang) {
                    (Some(d), Lang::Zh) => format!("（{d}）"),
                    (Some(d), Lang::En) => format!(" ({d})"),
                    (None, _) => String::new(),
                };
                ws.write_string(row, 0, cell_text(&format!("{}{deadline}", r.label)))?;
                let p = |v: f64| (v, Unit::Indicator);
                number(ws, row, 1, p(e.p), &pct)?;
                number(ws, row, 2, p(e.high - e.p), &pct)?;
                number(ws, row, 3, p(e.p - e.low), &pct)?;
                row += 1;
            }
            let last = row - 1;
            let mut chart = Chart::new(ChartType::Bar);
            chart
                .add_series()
                .set_categories((data, first, 0, last, 0))
                .set_values((data, first, 1, last, 1))
                .set_name(lang.pick("达成概率", "P(met)"))
                .set_format(
                    ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color("#2E75B6")),
                )
                .set_x_error_bars(ChartErrorBars::new().set_type(ChartErrorBarsType::Custom(
                    ChartRange::new_from_range(data, first, 2, last, 2),
                    ChartRange::new_from_range(data, first, 3, last, 3),
                )));
            chart.title().set_name(&chart_title(match lang {
                Lang::Zh => format!("情景「{name}」：目标达成概率（95%区间）"),
                Lang::En => format!("Scenario “{name}”: P(target met), 95% intervals"),
            }));
            chart
                .x_axis()
                .set_num_format("0%")
                .set_min(0.0)
                .set_max(1.0);
            // Targets top to bottom in the sheet's order, the probability axis below them.
            chart
                .y_axis()
                .set_reverse()
                .set_crossing(ChartAxisCrossing::Max);
            chart.legend().set_hidden();
            chart
                .set_width(620)
                .set_height(120 + 22 * rows.len().min(40) as u32);
            row += 1;
            Some(chart)
        };
        let height = 400.max(120 + 22 * rows.len().min(40) as u32);
        charts.push(Charts {
            j_curve: band,
            targets,
            height,
        });
    }
    Ok(charts)
}

/// The table of a study command, for [`study_workbook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Study {
    Sweep,
    GoalSeek,
    Tornado,
    Allocation,
}

impl Study {
    fn sheet(self, lang: Lang) -> &'static str {
        match self {
            Study::Sweep => lang.pick("参数扫描", "Sweep"),
            Study::GoalSeek => lang.pick("目标反推", "Goal seek"),
            Study::Tornado => lang.pick("敏感性", "Sensitivity"),
            Study::Allocation => lang.pick("预算分配", "Allocation"),
        }
    }
}

/// Whether a column of a study's CSV holds probabilities (shown as percentages).
fn probability_column(name: &str, metric_is_probability: bool) -> bool {
    name.starts_with("p.")
        || matches!(name, "probability" | "ci_low" | "ci_high" | "level")
        || (metric_is_probability
            && matches!(
                name,
                "at_low"
                    | "at_low_mcse"
                    | "at_high"
                    | "at_high_mcse"
                    | "swing"
                    | "swing_mcse"
                    | "swing_low"
                    | "swing_high"
                    | "mean_low"
                    | "mean_high"
                    | "from_best_low"
                    | "from_best_high"
                    | "mean"
                    | "mcse"
                    | "from_best"
                    | "from_best_mcse"
            ))
}

/// `fundsim.xlsx` of a study: its CSV as a sheet (numbers as numbers, the CSV's values; frozen
/// header; probabilities as percentages) and a native chart of it: the tornado's swings, the
/// sweep's P(all targets) (or the first targets) along the first key, the values goal seeking
/// tried against their probability, each split's objective.
pub fn study_workbook(study: Study, csv: &[u8], lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let text = String::from_utf8_lossy(csv);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .filter_map(Result::ok)
        .map(|r| {
            r.iter()
                .map(|c| crate::output::csv_out::unguard(c).to_string())
                .collect()
        })
        .collect();
    let Some((header, body)) = rows.split_first() else {
        return new_workbook()?.save_to_buffer();
    };
    let col = |n: &str| header.iter().position(|h| h == n);
    // The metric a tornado or an allocation reads: percentages when it is a probability.
    let metric = match study {
        Study::Tornado => col("metric").and_then(|c| body.first().map(|r| r[c].clone())),
        Study::Allocation => col("objective").and_then(|c| body.first().map(|r| r[c].clone())),
        _ => None,
    };
    // A probability: `p.<target>`, or a scalar whose unit is `probability` (`met.<target>`,
    // an IRR's `*_defined`); not a weighted sum.
    let is_p = metric.as_deref().is_some_and(|m| {
        let base = m.split_once('.').map_or(m, |(b, _)| b);
        !m.contains(['*', '+'])
            && (m.starts_with("p.") || m.starts_with("met.") || base.ends_with("_defined"))
    });
    let mut wb = new_workbook()?;
    let name = study.sheet(lang);
    let ws = wb.add_worksheet().set_name(name)?;
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let plain = Format::new().set_num_format("General");
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, cell_text(h), &bold)?;
        ws.set_column_width(c as u16, (h.chars().count() as f64 + 2.0).clamp(10.0, 48.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (r, row) in body.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c16) = (1 + r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    let f = if probability_column(&header[c], is_p) {
                        &pct
                    } else {
                        &plain
                    };
                    ws.write_number_with_format(r, c16, v, f)?;
                }
                _ if cell.is_empty() => {}
                _ => {
                    ws.write_string(r, c16, cell_text(cell))?;
                }
            }
        }
    }
    let (first, last) = (1u32, body.len() as u32);
    let range = |c: usize| (name, first, c as u16, last, c as u16);
    let chart = match study {
        Study::Tornado => col("swing").zip(col("key")).map(|(v, k)| {
            let mut chart = Chart::new(ChartType::Bar);
            chart
                .add_series()
                .set_categories(range(k))
                .set_values(range(v))
                .set_name("swing");
            chart.title().set_name(&chart_title(match lang {
                Lang::Zh => format!(
                    "指标「{}」：各输入从低到高的变化（配对）",
                    metric.clone().unwrap_or_default()
                ),
                Lang::En => format!(
                    "Metric “{}”: swing from each input's low to its high value (paired)",
                    metric.clone().unwrap_or_default()
                ),
            }));
            chart
                .y_axis()
                .set_reverse()
                .set_crossing(ChartAxisCrossing::Max);
            chart.legend().set_hidden();
            chart
        }),
        Study::Sweep => {
            let wanted: Vec<usize> = {
                let all: Vec<usize> = (0..header.len())
                    .filter(|&c| header[c].starts_with("p.all") && !header[c].ends_with("_mcse"))
                    .collect();
                if all.is_empty() {
                    (0..header.len())
                        .filter(|&c| header[c].starts_with("p.") && !header[c].ends_with("_mcse"))
                        .take(6)
                        .collect()
                } else {
                    all
                }
            };
            (!wanted.is_empty() && header.len() > 1).then(|| {
                let mut chart = Chart::new(ChartType::ScatterStraightWithMarkers);
                for c in wanted {
                    chart
                        .add_series()
                        .set_categories(range(1))
                        .set_values(range(c))
                        .set_name(header[c].as_str());
                }
                chart
                    .title()
                    .set_name(lang.pick("目标达成概率随输入变化", "P(target met) along the input"));
                chart.x_axis().set_name(header[1].as_str());
                chart.y_axis().set_num_format("0%");
                chart
            })
        }
        Study::GoalSeek => col("value").zip(col("probability")).map(|(x, y)| {
            let mut chart = Chart::new(ChartType::Scatter);
            chart
                .add_series()
                .set_categories(range(x))
                .set_values(range(y))
                .set_name("P(met)");
            chart.title().set_name(lang.pick(
                "试过的取值及其达成概率",
                "Values tried and their P(target met)",
            ));
            chart.y_axis().set_num_format("0%");
            chart.legend().set_hidden();
            chart
        }),
        Study::Allocation => col("mean").zip(col("point")).map(|(v, p)| {
            let mut chart = Chart::new(ChartType::Column);
            chart
                .add_series()
                .set_categories(range(p))
                .set_values(range(v))
                .set_name("objective");
            chart.title().set_name(&chart_title(match lang {
                Lang::Zh => format!(
                    "各分配方案的目标值（{}）",
                    metric.clone().unwrap_or_default()
                ),
                Lang::En => format!(
                    "Objective of each split ({})",
                    metric.clone().unwrap_or_default()
                ),
            }));
            chart.legend().set_hidden();
            chart
        }),
    };
    if let Some(mut chart) = chart.filter(|_| !body.is_empty()) {
        chart.set_width(720).set_height(420);
        ws.insert_chart(last + 2, 0, &chart)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small amount gets the decimals that show three significant digits, never 0.00; an
    /// amount of 1 or more (or 0) keeps the unit's own; never finer than the fen.
    #[test]
    fn xlsx_small_money_keeps_three_significant_digits() {
        assert_eq!(money_decimals(141.7, 2, 10), 2);
        assert_eq!(money_decimals(1.0, 2, 10), 2);
        assert_eq!(money_decimals(0.0, 2, 10), 2);
        assert_eq!(money_decimals(0.206, 2, 10), 3);
        assert_eq!(money_decimals(-0.0012, 2, 10), 5);
        assert_eq!(money_decimals(0.5, 1, 6), 3);
        assert_eq!(money_decimals(1e-12, 2, 10), 10);
        // 亿元: 2 decimals and up to 8 finer; 万元: 1 and up to 5 finer.
        let yi = format_for(Unit::Cny, 5e8);
        assert_eq!((yi.scale, yi.decimals, yi.finer.len()), (1e8, 2, 8));
        assert!(std::ptr::eq(yi.format_of(3.5), &yi.format));
        assert!(std::ptr::eq(yi.format_of(0.0012), &yi.finer[2]));
        let wan = format_for(Unit::Cny, 9_999_999.0);
        assert_eq!((wan.scale, wan.decimals, wan.finer.len()), (1e4, 1, 5));
        // Other units keep their one format.
        let pct = format_for(Unit::Indicator, 0.0);
        assert!(pct.finer.is_empty());
        assert!(std::ptr::eq(pct.format_of(0.001), &pct.format));
    }

    /// A metric's unit comes from its largest value over every row, negative or positive.
    #[test]
    fn xlsx_one_size_per_metric() {
        let rows = [("a", 2e6), ("b", 1.0), ("a", -3e7), ("a", f64::NAN)];
        let sizes = largest_per_metric(&rows, |r| r.0, |r| vec![r.1]);
        assert_eq!(sizes["a"], 3e7);
        assert_eq!(sizes["b"], 1.0);
        assert!(in_yi(sizes["a"]) && !in_yi(sizes["b"]));
    }
}
