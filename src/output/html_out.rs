//! `report.html` (`fundsim report DIR`, `run --report`): one self-contained page a policy analyst
//! can open, print on A4 or paste into slides.
//!
//! Built from the output directory's own files (so it can be made for any finished run): per
//! scenario, the headline numbers, fan charts of the recycling pool and of the cumulative net fiscal
//! flow (the J-curve) with their p05–p95 and p25–p75 bands and median, the targets' probabilities
//! with 95% intervals, money out against money back per instrument, and the per-target table; and,
//! where the directory has them, the comparison, tornado and allocation charts. Charts are SVG
//! drawn with plotters (its SVG backend and naive text metrics: no font files, no network); the
//! page has no script, and its CSS names the usual CJK fonts before `sans-serif`.

use crate::lang::Lang;
use crate::metrics::Unit;
use crate::output::csv_out::unguard;
use crate::report::human;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A CSV file of the output directory: its header and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses CSV text (with or without a BOM), each text cell as it was before fundsim guarded it
    /// against spreadsheet formulas ([`crate::output::csv_out::guard`]).
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header = reader
            .headers()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|c| unguard(c).to_string())
            .collect();
        let rows = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(|c| unguard(c).to_string()).collect()))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        Ok(Table { header, rows })
    }

    /// The cells of column `name`, row by row (none if there is no such column).
    pub fn column<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let c = self.col(name);
        self.rows
            .iter()
            .filter_map(move |r| c.and_then(|c| r.get(c)).map(String::as_str))
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The rows where every `(column, value)` matches.
    fn select<'a>(&'a self, key: &[(&str, &str)]) -> impl Iterator<Item = &'a Vec<String>> + 'a {
        let want: Vec<(Option<usize>, String)> = key
            .iter()
            .map(|(c, v)| (self.col(c), v.to_string()))
            .collect();
        self.rows
            .iter()
            .filter(move |r| want.iter().all(|(c, v)| c.is_some_and(|c| r[c] == *v)))
    }

    fn get(&self, row: &[String], name: &str) -> String {
        self.col(name).map(|c| row[c].clone()).unwrap_or_default()
    }

    fn num(&self, row: &[String], name: &str) -> f64 {
        self.get(row, name).parse().unwrap_or(f64::NAN)
    }
}

/// A row's 95% interval from its `(low, high)` columns (Tango's or Wilson's for a probability),
/// or `v ± 1.96 se` in a file written before they were.
fn interval_of(
    t: &Table,
    r: &[String],
    (low, high): (&str, &str),
    (v, se): (f64, f64),
) -> (f64, f64) {
    let (lo, hi) = (t.num(r, low), t.num(r, high));
    if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (v - 1.96 * se, v + 1.96 * se)
    }
}

/// What produced a study charted beside a run (its `<study>.json`): its scenario, paths and seed,
/// and a caution when that is not a scenario of the run (another file or other overrides) or not
/// its seed, whose numbers then do not bear on the run's. Nothing without the file (a directory
/// written before studies wrote one).
fn provenance(run: &serde_json::Value, study: Option<&serde_json::Value>, lang: Lang) -> String {
    let Some(study) = study else {
        return String::new();
    };
    let scenario = &study["scenarios"][0];
    let mut text = match lang {
        Lang::Zh => format!(
            "情景 {}（{}），{} 条路径，随机种子 {}",
            esc(scenario["name"].as_str().unwrap_or("")),
            esc(scenario["file"].as_str().unwrap_or("")),
            study["paths"],
            study["seed"],
        ),
        Lang::En => format!(
            "scenario {} ({}), {} paths, seed {}",
            esc(scenario["name"].as_str().unwrap_or("")),
            esc(scenario["file"].as_str().unwrap_or("")),
            study["paths"],
            study["seed"],
        ),
    };
    let same = |s: &serde_json::Value| {
        s["sha256"] == scenario["sha256"] && s["overrides"] == scenario["overrides"]
    };
    let of_run = (run["scenarios"].as_array()).is_some_and(|a| a.iter().any(same));
    let seeded = run["seed"] == study["seed"];
    if !of_run || !seeded {
        text.push_str(match (lang, of_run) {
            (Lang::Zh, false) => "。注意：这不是本次运行的情景（文件或参数不同），其数值与上面的结果不能直接对照",
            (Lang::Zh, true) => "。注意：随机种子与本次运行不同",
            (Lang::En, false) => ". Note: not a scenario of this run (another file or other overrides): its numbers do not bear directly on the results above",
            (Lang::En, true) => ". Note: not the seed of this run",
        });
    }
    format!("<p class=\"meta\">{text}</p>\n")
}

/// The files of an output directory the report reads (`None` where a file is absent).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub run: Option<serde_json::Value>,
    pub summary: Table,
    pub targets: Table,
    pub yearly: Table,
    pub comparison: Option<Table>,
    pub tornado: Option<Table>,
    /// `tornado.json`: what produced the tornado, if the directory has it.
    pub tornado_of: Option<serde_json::Value>,
    pub allocation: Option<Table>,
    /// `allocation.json`, likewise.
    pub allocation_of: Option<serde_json::Value>,
    /// `metrics.csv`: the unit of each target's value (`target.<id>`), for its threshold.
    pub metrics: Option<Table>,
}

const BLUE: RGBColor = RGBColor(0x2E, 0x75, 0xB6);
const DARK: RGBColor = RGBColor(0x1F, 0x4E, 0x79);
const ORANGE: RGBColor = RGBColor(0xED, 0x7D, 0x31);
const GREY: RGBColor = RGBColor(0x80, 0x80, 0x80);
const FONT: &str = "sans-serif";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The smallest axis span shown for values of `unit`, so that a flat series (all zero) does not get
/// an axis of a few yuan with ticks `1, 1, …, 0, -0, -1`: 2万 for money, 2 points for rates and
/// probabilities, 2 for counts and ratios.
fn least_span(unit: Unit) -> f64 {
    match unit {
        Unit::Cny => 2e4,
        Unit::Rate | Unit::Indicator => 0.02,
        _ => 2.0,
    }
}

/// `(lo, hi)` widened symmetrically to at least `span`.
fn at_least(lo: f64, hi: f64, span: f64) -> (f64, f64) {
    if hi - lo >= span {
        (lo, hi)
    } else {
        let mid = 0.5 * (lo + hi);
        (mid - 0.5 * span, mid + 0.5 * span)
    }
}

/// An axis tick in the page's units ([`human`]: 亿/万, percent), never `-0` (a tick a hair below
/// zero prints as zero).
fn tick(v: f64, unit: Unit) -> String {
    let s = human(v, unit);
    match s.strip_prefix('-') {
        Some(rest) if !rest.chars().any(|c| c.is_ascii_digit() && c != '0') => rest.to_string(),
        _ => s,
    }
}

/// A fan chart: p05–p95 and p25–p75 bands and the median of a yearly metric.
fn fan(
    title: &str,
    years: &[i32],
    q: &[[f64; 5]],
    unit: Unit,
    median: &str,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (x0, x1) = (
            *years.first().ok_or("no years")? as f64,
            *years.last().ok_or("no years")? as f64,
        );
        let lo = q
            .iter()
            .map(|v| v[0])
            .fold(f64::INFINITY, f64::min)
            .min(0.0);
        let hi = q
            .iter()
            .map(|v| v[4])
            .fold(f64::NEG_INFINITY, f64::max)
            .max(0.0);
        // A flat series (a pool never used: zero every year) still gets a readable axis around it.
        let (lo, hi) = at_least(lo, hi, least_span(unit));
        let pad = (hi - lo) * 0.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1.max(x0 + 1.0), (lo - pad)..(hi + pad))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(years.len().min(16))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick(*v, unit))
            .label_style((FONT, 12))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        let band = |a: usize, b: usize| -> Vec<(f64, f64)> {
            let mut pts: Vec<(f64, f64)> = years
                .iter()
                .zip(q)
                .map(|(y, v)| (*y as f64, v[b]))
                .collect();
            pts.extend(years.iter().zip(q).rev().map(|(y, v)| (*y as f64, v[a])));
            pts
        };
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(0, 4),
                BLUE.mix(0.18).filled(),
            )))
            .map_err(|e| e.to_string())?
            .label("5%–95%")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], BLUE.mix(0.18).filled())
            });
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(1, 3),
                BLUE.mix(0.35).filled(),
            )))
            .map_err(|e| e.to_string())?
            .label("25%–75%")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], BLUE.mix(0.35).filled())
            });
        chart
            .draw_series(LineSeries::new(
                years.iter().zip(q).map(|(y, v)| (*y as f64, v[2])),
                DARK.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(median)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], DARK.stroke_width(2)));
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, 0.0), (x1, 0.0)],
                GREY.stroke_width(1),
            )))
            .map_err(|e| e.to_string())?;
        // The legend where the median is not: upper right for a curve that falls, else upper left.
        let falls = q.last().map(|v| v[2]) < q.first().map(|v| v[2]);
        chart
            .configure_series_labels()
            .position(if falls {
                SeriesLabelPosition::UpperRight
            } else {
                SeriesLabelPosition::UpperLeft
            })
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One bar of [`hbars`]: its value and, if known, an interval.
struct Bar {
    value: f64,
    interval: Option<(f64, f64)>,
}

/// Labels short enough for the 300-pixel label panel of [`hbars`] (about 44 columns of 12-pixel
/// text, a CJK character two), cut in the middle so that both the start and the end stay (a
/// target's deadline `(2030)`, a key's last segment `.round_odds`); labels that would then look
/// alike keep more of their end until they differ (distinct labels stay distinct).
fn short_labels(labels: &[String]) -> Vec<String> {
    const WIDTH: usize = 44;
    let width = |c: char| if c.is_ascii() { 1 } else { 2 };
    let cut = |label: &str, extra: usize| -> String {
        let chars: Vec<char> = label.chars().collect();
        if chars.iter().map(|&c| width(c)).sum::<usize>() <= WIDTH + extra {
            return label.to_string();
        }
        // The head takes about 40% of the width, the tail the rest (and `extra` more).
        let (mut head, mut used) = (0, 0);
        while head < chars.len() && used + width(chars[head]) <= WIDTH * 2 / 5 {
            used += width(chars[head]);
            head += 1;
        }
        let (mut tail, mut room) = (chars.len(), WIDTH - 1 - used + extra);
        while tail > head && width(chars[tail - 1]) <= room {
            room -= width(chars[tail - 1]);
            tail -= 1;
        }
        if tail == head {
            return label.to_string();
        }
        let mut s: String = chars[..head].iter().collect();
        s.push('…');
        s.extend(&chars[tail..]);
        s
    };
    let mut extra = vec![0usize; labels.len()];
    loop {
        let shown: Vec<String> = labels.iter().zip(&extra).map(|(l, &e)| cut(l, e)).collect();
        let mut clash = false;
        for i in 0..labels.len() {
            for j in 0..i {
                if shown[i] == shown[j] && labels[i] != labels[j] {
                    extra[i] += 2;
                    extra[j] += 2;
                    clash = true;
                }
            }
        }
        if !clash {
            return shown;
        }
    }
}

/// Horizontal bars, one row per label and one bar per series in each row, with interval whiskers
/// and an optional dashed reference line.
fn hbars(
    title: &str,
    labels: &[String],
    series: &[(&str, RGBColor, Vec<Bar>)],
    (x_lo, x_hi): (f64, f64),
    x_fmt: &dyn Fn(f64) -> String,
    reference: Option<f64>,
) -> Result<String, String> {
    let n = labels.len().max(1);
    let per = series.len().max(1);
    let height = 70 + (n * (10 + 12 * per)).max(120) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(300);
        let pad = ((x_hi - x_lo) * 0.04).max(1e-12);
        let mut chart = ChartBuilder::on(&right)
            .caption(title, (FONT, 15))
            .margin(10)
            .x_label_area_size(26)
            .build_cartesian_2d((x_lo - pad)..(x_hi + pad), 0.0..n as f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_label_formatter(&|v| x_fmt(*v))
            .label_style((FONT, 11))
            .draw()
            .map_err(|e| e.to_string())?;
        let base = 0.0f64.clamp(x_lo - pad, x_hi + pad);
        for (i, label) in short_labels(labels).into_iter().enumerate() {
            let top = n as f64 - i as f64;
            let slot = 0.8 / per as f64;
            for (k, (_, color, bars)) in series.iter().enumerate() {
                let Some(b) = bars.get(i) else { continue };
                if !b.value.is_finite() {
                    continue;
                }
                let y1 = top - 0.1 - slot * k as f64;
                let y0 = y1 - slot * 0.9;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(base, y0), (b.value, y1)],
                        color.filled(),
                    )))
                    .map_err(|e| e.to_string())?;
                if let Some((lo, hi)) = b.interval.filter(|(a, b)| a.is_finite() && b.is_finite()) {
                    let mid = 0.5 * (y0 + y1);
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(lo, mid), (hi, mid)],
                            BLACK.stroke_width(1),
                        )))
                        .map_err(|e| e.to_string())?;
                    for x in [lo, hi] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(x, mid - slot * 0.3), (x, mid + slot * 0.3)],
                                BLACK.stroke_width(1),
                            )))
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
            // The row's label, right-aligned in the left panel at the row's height.
            let (_, py) = chart.backend_coord(&(x_lo, top - 0.5));
            left.draw(&Text::new(
                label,
                (292, py),
                TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(|e| e.to_string())?;
        }
        if let Some(r) = reference {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(r, 0.0), (r, n as f64)],
                    4,
                    4,
                    ORANGE.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        if series.len() > 1 {
            for (k, (name, color, _)) in series.iter().enumerate() {
                let x = 310 + 130 * k as i32;
                right
                    .draw(&Rectangle::new(
                        [(x - 300, height as i32 - 14), (x - 288, height as i32 - 4)],
                        color.filled(),
                    ))
                    .map_err(|e| e.to_string())?;
                right
                    .draw(&Text::new(
                        name.to_string(),
                        (x - 284, height as i32 - 14),
                        (FONT, 11).into_font(),
                    ))
                    .map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A target's threshold in its unit (from `metrics.csv`): money in 亿/万, counts plain.
fn threshold(inp: &Inputs, scenario: &str, target: &str, v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let metric = format!("target.{target}");
    let unit = inp
        .metrics
        .as_ref()
        .and_then(|m| {
            m.select(&[("scenario", scenario), ("metric", &metric)])
                .next()
                .map(|r| m.get(r, "unit"))
        })
        .unwrap_or_default();
    match unit.as_str() {
        "CNY" => human(v, Unit::Cny),
        "rate" | "probability" => human(v, Unit::Rate),
        _ => human(v, Unit::Count),
    }
}

/// The unit of a study's metric (a tornado's, an allocation's objective): a probability for
/// `p.<target>`, else the unit `summary.csv` or `metrics.csv` gives the metric, else a plain
/// number (a weighted objective mixing metrics).
fn unit_of(inp: &Inputs, metric: &str) -> Unit {
    if metric.starts_with("p.") && !metric.contains('*') {
        return Unit::Indicator;
    }
    let code = std::iter::once(&inp.summary)
        .chain(inp.metrics.as_ref())
        .find_map(|t| {
            t.select(&[("metric", metric)])
                .next()
                .map(|r| t.get(r, "unit"))
        });
    match code.as_deref() {
        Some("CNY") => Unit::Cny,
        Some("rate") => Unit::Rate,
        Some("probability") => Unit::Indicator,
        Some("count") => Unit::Count,
        _ => Unit::Ratio,
    }
}

/// A probability in whole per cent, never rounded to a certainty it is not ("<1%", ">99%").
fn pct(v: f64) -> String {
    crate::report::percent_to(v, 0)
}

/// The page.
pub fn render(inp: &Inputs, lang: Lang) -> Result<String, String> {
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    let mut scenarios: Vec<String> = Vec::new();
    if let Some(c) = inp.summary.col("scenario") {
        for r in &inp.summary.rows {
            if !scenarios.contains(&r[c]) {
                scenarios.push(r[c].clone());
            }
        }
    }
    let run = inp.run.clone().unwrap_or_default();
    let described = |name: &str, field: &str| -> String {
        run["scenarios"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .and_then(|s| s[field].as_str())
            .unwrap_or("")
            .to_string()
    };
    // What produced the run, as far as run.json (if there is one) says: a part it lacks is left
    // out rather than shown as `null`.
    let mut meta: Vec<String> = Vec::new();
    // Each scenario's own paths when `--precision` stopped it early (run.json's `paths` is then the
    // most that were allowed), else the run's.
    let own: Vec<(String, u64)> = (run["scenarios"].as_array().into_iter().flatten())
        .filter_map(|s| Some((s["name"].as_str()?.to_string(), s["paths"].as_u64()?)))
        .collect();
    match (run["paths"].as_u64(), own.first()) {
        (Some(paths), None) => meta.push(match lang {
            Lang::Zh => format!("{paths} 条路径"),
            Lang::En => format!("{paths} paths"),
        }),
        (_, Some((_, first))) if own.iter().all(|(_, p)| p == first) => meta.push(match lang {
            Lang::Zh => format!("{first} 条路径"),
            Lang::En => format!("{first} paths"),
        }),
        (_, Some(_)) => {
            let each: Vec<String> = own.iter().map(|(n, p)| format!("{} {p}", esc(n))).collect();
            meta.push(match lang {
                Lang::Zh => format!("路径数：{}", each.join("，")),
                Lang::En => format!("paths: {}", each.join(", ")),
            });
        }
        (None, None) => {}
    }
    if let Some(seed) = run["seed"].as_u64() {
        meta.push(match lang {
            Lang::Zh => format!("随机种子 {seed}"),
            Lang::En => format!("seed {seed}"),
        });
    }
    if let Some(version) = run["version"].as_str() {
        meta.push(format!("fundsim {}", esc(version)));
    }
    let mut html = String::new();
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        l("zh-CN", "en"),
        l("fundsim 报告", "fundsim report"),
        l("fundsim 模拟报告", "fundsim simulation report"),
    ));
    if !meta.is_empty() {
        html.push_str(&format!("<p class=\"meta\">{}</p>\n", meta.join(" · ")));
    }
    for name in &scenarios {
        let s = &inp.summary;
        let metric = |m: &str| {
            s.select(&[("scenario", name), ("metric", m)])
                .next()
                .cloned()
        };
        // In English the scenario's key leads (its title is written in the file's language); in
        // Chinese its title, or its key when run.json is missing or gives no title.
        let title = described(name, "title");
        let (lead, beside) = match lang {
            Lang::Zh if !title.is_empty() => (title, name.clone()),
            Lang::Zh => (name.clone(), String::new()),
            Lang::En => (name.clone(), title),
        };
        html.push_str(&format!("<section>\n<h2>{}", esc(&lead)));
        if !beside.is_empty() {
            html.push_str(&format!(" <small>{}</small>", esc(&beside)));
        }
        html.push_str("</h2>\n");
        let question = described(name, "description");
        if !question.is_empty() {
            html.push_str(&format!("<p class=\"question\">{}</p>\n", esc(&question)));
        }
        // A scenario that starts from the fund's book: what it holds and what it already cost.
        let holdings = (run["scenarios"].as_array())
            .and_then(|a| a.iter().find(|s| s["name"] == name.as_str()))
            .map(|s| &s["holdings"])
            .filter(|h| h.is_object());
        if let Some(h) = holdings {
            let sunk = metric("sunk_cost")
                .map(|r| s.num(&r, "mean"))
                .filter(|v| v.is_finite())
                .map_or("-".to_string(), |v| crate::report::human(v, Unit::Cny));
            html.push_str(&format!(
                "<p class=\"meta\">{}</p>\n",
                match lang {
                    Lang::Zh => format!(
                        "从基金持仓起步：{}，{} 家企业、{} 个头寸；起始年前已投入 {sunk}（沉没成本，不计入下列财政支出和净成本）",
                        esc(h["file"].as_str().unwrap_or("")),
                        h["firms"],
                        h["positions"],
                    ),
                    Lang::En => format!(
                        "Starts from the fund's book: {}, {} firms, {} positions; {sunk} paid before the start year (sunk: not in the fiscal outlay and net cost below)",
                        esc(h["file"].as_str().unwrap_or("")),
                        h["firms"],
                        h["positions"],
                    ),
                }
            ));
        }
        // Headline numbers.
        html.push_str("<table class=\"headline\"><tr>");
        let all: Vec<(String, f64)> = inp
            .targets
            .select(&[("scenario", name)])
            .filter(|r| {
                let t = inp.targets.get(r, "target");
                t == "all" || t.starts_with("all_")
            })
            .map(|r| {
                (
                    inp.targets.get(r, "label"),
                    inp.targets.num(r, "probability"),
                )
            })
            .collect();
        for (label, p) in &all {
            html.push_str(&format!(
                "<td><div class=\"big\">{}</div>{}</td>",
                pct(*p),
                esc(label)
            ));
        }
        for (m, zh) in [
            ("fiscal_outlay", l("财政出资 (p50)", "Fiscal outlay (p50)")),
            (
                "net_fiscal_cost",
                l("财政净成本 (p50)", "Net fiscal cost (p50)"),
            ),
            ("money_back", l("回收资金 (p50)", "Money recovered (p50)")),
        ] {
            if let Some(r) = metric(m) {
                html.push_str(&format!(
                    "<td><div class=\"big\">{}</div>{zh}</td>",
                    human(s.num(&r, "p50"), Unit::Cny)
                ));
            }
        }
        html.push_str("</tr></table>\n<div class=\"charts\">\n");
        // Fan charts.
        for (m, zh) in [
            (
                "net_fiscal_flow_cum",
                l(
                    "累计财政净现金流（J曲线）",
                    "Cumulative net fiscal flow (J-curve)",
                ),
            ),
            (
                "net_position",
                l(
                    "财政资金净头寸（J曲线＋资金池＋持有股权）",
                    "Net position (J-curve + pool + holdings at marks)",
                ),
            ),
            (
                "pool_balance",
                l("循环资金池余额", "Recycling pool balance"),
            ),
        ] {
            let rows: Vec<&Vec<String>> = inp
                .yearly
                .select(&[("scenario", name), ("metric", m)])
                .collect();
            if rows.is_empty() {
                continue;
            }
            let y = &inp.yearly;
            let years: Vec<i32> = rows
                .iter()
                .map(|r| y.get(r, "year").parse().unwrap_or(0))
                .collect();
            let q: Vec<[f64; 5]> = rows
                .iter()
                .map(|r| ["p05", "p25", "p50", "p75", "p95"].map(|c| y.num(r, c)))
                .collect();
            html.push_str(&format!(
                "<figure class=\"fan\" data-chart=\"{m}\">{}</figure>\n",
                fan(zh, &years, &q, Unit::Cny, l("中位数", "median"))?
            ));
        }
        // Targets with their intervals (the joint rows left out: they are in the headline).
        let t = &inp.targets;
        let rows: Vec<&Vec<String>> = t
            .select(&[("scenario", name)])
            .filter(|r| {
                let id = t.get(r, "target");
                id != "all" && !id.starts_with("all_")
            })
            .collect();
        if !rows.is_empty() {
            let labels: Vec<String> = rows
                .iter()
                .map(|r| match lang {
                    Lang::Zh => format!("{}（{}）", t.get(r, "label"), t.get(r, "deadline")),
                    Lang::En => format!("{} ({})", t.get(r, "label"), t.get(r, "deadline")),
                })
                .collect();
            let bars: Vec<Bar> = rows
                .iter()
                .map(|r| Bar {
                    value: t.num(r, "probability"),
                    interval: Some((t.num(r, "ci_low"), t.num(r, "ci_high"))),
                })
                .collect();
            html.push_str(&format!(
                "<figure data-chart=\"targets\">{}</figure>\n",
                hbars(
                    l(
                        "目标达成概率（95%区间；虚线 50%）",
                        "P(target met), 95% intervals; dashed: 50%"
                    ),
                    &labels,
                    &[("P(met)", BLUE, bars)],
                    (0.0, 1.0),
                    &pct,
                    Some(0.5),
                )?
            ));
        }
        // Money out and back per instrument (means).
        let ids: Vec<String> = s
            .select(&[("scenario", name)])
            .filter_map(|r| {
                s.get(r, "metric")
                    .strip_prefix("fiscal_outlay.")
                    .map(String::from)
            })
            .collect();
        if !ids.is_empty() {
            let mean = |m: String| metric(&m).map_or(f64::NAN, |r| s.num(&r, "mean"));
            let out: Vec<Bar> = ids
                .iter()
                .map(|id| Bar {
                    value: mean(format!("fiscal_outlay.{id}")),
                    interval: None,
                })
                .collect();
            let back: Vec<Bar> = ids
                .iter()
                .map(|id| Bar {
                    value: mean(format!("money_back.{id}")),
                    interval: None,
                })
                .collect();
            let hi = out
                .iter()
                .chain(&back)
                .map(|b| b.value)
                .filter(|v| v.is_finite())
                .fold(1.0, f64::max);
            html.push_str(&format!(
                "<figure data-chart=\"money\">{}</figure>\n",
                hbars(
                    l(
                        "各工具财政出资与回收资金（均值）",
                        "Fiscal outlay and money recovered per instrument (means)"
                    ),
                    &ids,
                    &[
                        (l("财政出资", "fiscal outlay"), ORANGE, out),
                        (l("回收资金", "money recovered"), BLUE, back),
                    ],
                    (0.0, hi),
                    &|v| human(v, Unit::Cny),
                    None,
                )?
            ));
        }
        html.push_str("</div>\n");
        // The per-target table.
        if !rows.is_empty() {
            html.push_str(l(
                "<table class=\"targets\"><tr><th>目标</th><th>指标</th><th>门槛</th><th>期限</th><th>达成概率</th><th>95%区间</th></tr>\n",
                "<table class=\"targets\"><tr><th>target</th><th>metric</th><th>threshold</th><th>deadline</th><th>P(met)</th><th>95% interval</th></tr>\n",
            ));
            for r in &rows {
                html.push_str(&format!(
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td></tr>\n",
                    esc(&t.get(r, "label")),
                    esc(&t.get(r, "metric")),
                    esc(&threshold(inp, name, &t.get(r, "target"), t.num(r, "threshold"))),
                    esc(&t.get(r, "deadline")),
                    pct(t.num(r, "probability")),
                    pct(t.num(r, "ci_low")),
                    pct(t.num(r, "ci_high")),
                ));
            }
            html.push_str("</table>\n");
        }
        html.push_str("</section>\n");
    }
    if let Some(c) = &inp.comparison {
        html.push_str(l(
            "<section>\n<h2>情景比较 <small>comparison.csv</small></h2>\n",
            "<section>\n<h2>Scenarios compared <small>comparison.csv</small></h2>\n",
        ));
        let mut others: Vec<String> = Vec::new();
        for r in &c.rows {
            let o = c.get(r, "scenario");
            if !others.contains(&o) {
                others.push(o);
            }
        }
        for o in others {
            let rows: Vec<&Vec<String>> = c
                .select(&[("scenario", &o)])
                .filter(|r| c.get(r, "metric").starts_with("met."))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let labels: Vec<String> = rows
                .iter()
                .map(|r| c.get(r, "metric")[4..].to_string())
                .collect();
            let bars: Vec<Bar> = rows
                .iter()
                .map(|r| Bar {
                    value: c.num(r, "diff"),
                    interval: Some((c.num(r, "diff_low"), c.num(r, "diff_high"))),
                })
                .collect();
            let span = bars
                .iter()
                .flat_map(|b| {
                    [
                        b.value,
                        b.interval.map_or(0.0, |i| i.0),
                        b.interval.map_or(0.0, |i| i.1),
                    ]
                })
                .filter(|v| v.is_finite())
                .fold(0.01f64, |m, v| m.max(v.abs()));
            let base = rows.first().map(|r| c.get(r, "base")).unwrap_or_default();
            html.push_str(&format!(
                "<figure data-chart=\"comparison\">{}</figure>\n",
                hbars(
                    &match lang {
                        Lang::Zh => format!("{o} 相对 {base}：目标达成概率之差（配对，95%区间）"),
                        Lang::En => format!(
                            "{o} against {base}: difference in P(target met), paired, 95% intervals"
                        ),
                    },
                    &labels,
                    &[(l("差", "difference"), BLUE, bars)],
                    (-span, span),
                    &|v| format!("{:+.0}pt", v * 100.0),
                    Some(0.0),
                )?
            ));
        }
        html.push_str("</section>\n");
    }
    if let Some(t) = &inp.tornado {
        let labels: Vec<String> = t.rows.iter().map(|r| t.get(r, "key")).collect();
        let metric = t
            .rows
            .first()
            .map(|r| t.get(r, "metric"))
            .unwrap_or_default();
        let bars: Vec<Bar> = t
            .rows
            .iter()
            .map(|r| {
                let (v, se) = (t.num(r, "swing"), t.num(r, "swing_mcse"));
                Bar {
                    value: v,
                    interval: Some(interval_of(t, r, ("swing_low", "swing_high"), (v, se))),
                }
            })
            .collect();
        let unit = unit_of(inp, &metric);
        // The axis holds every bar and its interval's ends, with a margin for the whiskers' caps.
        let span = bars
            .iter()
            .flat_map(|b| {
                let (lo, hi) = b.interval.unwrap_or((b.value, b.value));
                [b.value, lo, hi]
            })
            .filter(|v| v.is_finite())
            .fold(0.5 * least_span(unit), |m, v| m.max(v.abs()))
            * 1.1;
        html.push_str(&format!(
            "<section>\n<h2>{} <small>tornado.csv</small></h2>\n{}<figure data-chart=\"tornado\">{}</figure>\n</section>\n",
            l("敏感性", "Sensitivity"),
            provenance(&run, inp.tornado_of.as_ref(), lang),
            hbars(
                &match lang {
                    Lang::Zh => format!("{metric}：各输入从低到高的变化（配对，95%区间）"),
                    Lang::En => format!("{metric}: swing from each input's low to its high value (paired, 95% intervals)"),
                },
                &labels,
                &[("swing", BLUE, bars)],
                (-span, span),
                &|v| tick(v, unit),
                Some(0.0),
            )?
        ));
    }
    if let Some(a) = &inp.allocation {
        let shares: Vec<usize> = (0..a.header.len())
            .filter(|&c| a.header[c].starts_with("share."))
            .collect();
        let labels: Vec<String> = a
            .rows
            .iter()
            .map(|r| {
                shares
                    .iter()
                    .map(|&c| format!("{}={}", &a.header[c][6..], r[c]))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let bars: Vec<Bar> = a
            .rows
            .iter()
            .map(|r| {
                let (v, se) = (a.num(r, "mean"), a.num(r, "mcse"));
                Bar {
                    value: v,
                    interval: Some(interval_of(a, r, ("mean_low", "mean_high"), (v, se))),
                }
            })
            .collect();
        let objective = a
            .rows
            .first()
            .map(|r| a.get(r, "objective"))
            .unwrap_or_default();
        let unit = unit_of(inp, &objective);
        let (lo, hi) = bars
            .iter()
            .flat_map(|b| {
                let (lo, hi) = b.interval.unwrap_or((b.value, b.value));
                [b.value, lo, hi]
            })
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
        let (lo, hi) = at_least(lo.min(0.0), hi.max(0.0), least_span(unit));
        html.push_str(&format!(
            "<section>\n<h2>{} <small>allocation.csv</small></h2>\n{}<figure data-chart=\"allocation\">{}</figure>\n</section>\n",
            l("预算分配", "Budget allocation"),
            provenance(&run, inp.allocation_of.as_ref(), lang),
            hbars(
                &match lang {
                    Lang::Zh => format!("各分配方案的目标值：{objective}（95%区间）"),
                    Lang::En => format!("Objective of each split: {objective} (95% intervals)"),
                },
                &labels,
                &[("objective", BLUE, bars)],
                (lo, hi),
                &|v| tick(v, unit),
                None,
            )?
        ));
    }
    html.push_str("</body>\n</html>\n");
    Ok(html)
}

const CSS: &str = r#"
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px auto; max-width: 760px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 2px solid #2E75B6; padding-bottom: 4px; }
h2 small { color: #888; font-weight: normal; font-size: 13px; }
.meta, .question { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0 16px; }
table.targets td, table.targets th { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; }
table.headline td { padding: 6px 12px; text-align: center; color: #555; vertical-align: top; }
.big { font-size: 20px; color: #1F4E79; font-weight: bold; }
figure { margin: 8px 0; page-break-inside: avoid; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
section { page-break-before: auto; }
@page { size: A4; margin: 12mm; }
@media print { body { margin: 0; max-width: none; } section { break-before: page; } section:first-of-type { break-before: auto; } }
"#;

#[cfg(test)]
mod tests {
    use super::pct;

    #[test]
    fn a_probability_is_never_rounded_to_a_certainty() {
        assert_eq!(pct(0.996), ">99%");
        assert_eq!(pct(0.004), "<1%");
        assert_eq!(pct(1.0), "100%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct(0.994), "99%");
        assert_eq!(pct(f64::NAN), "-");
        // Exactly half a per cent rounds to even in `{:.0}`: 1 of 200 paths is 0.5%.
        assert_eq!(pct(0.005), "<1%");
        for n in [200u32, 1000, 2000, 2001, 10_000] {
            for k in (1..=60).chain(n - 60..n) {
                let shown = pct(f64::from(k) / f64::from(n));
                assert!(shown != "0%" && shown != "100%", "{k}/{n}: {shown}");
            }
        }
    }
}
