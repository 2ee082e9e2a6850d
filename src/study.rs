//! Studies over a scenario's inputs on common random numbers: sweeps and goal seeking.
//!
//! A study runs the same scenario at several values of one or more inputs, each as a `--set`
//! override ([`crate::scenario::load_file_with`]), with the same seed: every point shares the
//! market and every firm no instrument touched, so the curve is smooth and differences between
//! points are exact up to what the inputs change.
//!
//! - **Sweep**: a grid (the product of the keys' values); one row per point in `sweep.csv` with each
//!   target's P(met) and a few metrics' means, each with its Monte Carlo standard error.
//! - **Goal seek**: the smallest value of one input in `[a, b]` for which P(target met) reaches a
//!   level, by bisection (the probability is taken to rise with the input); and, from the 95%
//!   intervals of the probabilities, the range within which the answer lies given the Monte Carlo
//!   error: from the smallest value whose interval's upper end reaches the level to the smallest
//!   whose lower end does. Every value tried is in `goal_seek.csv`.

use crate::app::{AppError, Loaded, load_all_with};
use crate::report::{self, SummaryRow, TargetRow};
use crate::run::{Progress, RunSettings, run};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::path::PathBuf;

/// One input and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub key: String,
    pub values: Vec<Decimal>,
    /// The step of `a..b:step`: goal seeking stays on `a + k·step` at or below `b` (e.g. `:1` for
    /// counts).
    pub step: Option<Decimal>,
    /// What the user typed, for messages: the flag and its argument (`--values KEY=a,b,c`), or
    /// the argument alone when parsed without one ([`parse_range`]).
    pub given: String,
    /// Each value as the user wrote it (`200%`, `5000万`); a value between the ends of
    /// `a..b:step` in the notation of the step (`30%` for `10%..50%:10%`).
    pub shown: Vec<String>,
    /// How each point writes its value into the scenario.
    pub written: Written,
}

/// How a study writes a value of a [`Range`] into the scenario (its `--set` override).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A TOML number, as typed without a unit (`5`, `0.3`).
    Plain,
    /// Typed as money (with 元, 万, 亿 or a yuan sign): in yuan with its unit (`5000元`), so that
    /// a small amount is not taken for a bare number written without one.
    Money,
    /// A TOML float (`5000.0`), as the draws of `[uncertain]` set the inputs that are not whole
    /// numbers: the ends of an uncertain range are set as its draws are, whatever the field
    /// (an amount written `"5000元"` in `[uncertain]` is then not refused as a bare 5000).
    Float,
}

impl Range {
    /// The value whose notation the range's other values are shown in: the first typed with a
    /// unit or a percent sign (`0..5000万` is in 万, not in the bare 0's plain yuan), else the
    /// first.
    pub fn notation(&self) -> &str {
        (self.shown.iter())
            .find(|v| crate::money::has_unit(v) || v.ends_with(['%', '％']))
            .or(self.shown.first())
            .map_or("", String::as_str)
    }

    /// The range as given with `flag` (`--values`, `--set-range`, `--input`): named so in messages.
    pub fn with_flag(mut self, flag: &str) -> Range {
        self.given = format!("{flag} {}", self.given);
        self
    }
}

pub use crate::money::parse_value;

/// `value` written in the notation of `like` (a value as the user typed it): as a percentage, in
/// 亿, 万 or 元, or as a plain number.
pub(crate) fn shown_like(like: &str, value: Decimal) -> String {
    let t = like.trim();
    let scaled = |by: i64, unit: &str| format!("{}{unit}", (value / Decimal::from(by)).normalize());
    if t.ends_with(['%', '％']) {
        format!("{}%", (value * Decimal::ONE_HUNDRED).normalize())
    } else if t.contains('亿') {
        scaled(100_000_000, "亿")
    } else if t.contains('万') {
        scaled(10_000, "万")
    } else if crate::money::has_unit(t) {
        // Yuan, as `5000元` or `¥5000` said.
        format!("{}元", value.normalize())
    } else {
        value.normalize().to_string()
    }
}

/// Refuses a range whose values are money on some ends and bare numbers on others
/// (`50..300万`, `200万,500`, `100万..500万:50`): written as Chinese writes a span, the unit once,
/// the bare values would be read as yuan and run at a ten-thousandth of what was meant. A bare 0
/// is 0 in any unit.
fn mixed_units(spec: &str, rest: &str) -> Result<(), String> {
    let values: Vec<&str> = match rest.split_once("..") {
        Some((a, b)) => match b.split_once(':') {
            Some((b, step)) => vec![a, b, step],
            None => vec![a, b],
        },
        None => rest.split(',').collect(),
    };
    let values: Vec<&str> = values.into_iter().map(str::trim).collect();
    let with = values.iter().find(|v| crate::money::has_unit(v));
    let bare = values.iter().find(|v| {
        !crate::money::has_unit(v)
            && !v.ends_with(['%', '％'])
            && parse_value(v).is_ok_and(|x| !x.is_zero())
    });
    if let (Some(with), Some(bare)) = (with, bare) {
        return Err(format!(
            "\"{spec}\": {bare} has no unit while {with} has one, and a number without a unit is yuan: give each value its unit (e.g. {bare}万 or {bare}元)"
        ));
    }
    Ok(())
}

/// `KEY=a..b:step` (the step may be left out for goal seeking: `KEY=a..b`) or `KEY=a,b,c`.
pub fn parse_range(spec: &str, need_step: bool) -> Result<Range, String> {
    let (key, rest) = spec
        .split_once('=')
        .ok_or_else(|| format!("\"{spec}\" is not KEY=a..b:step or KEY=a,b,c"))?;
    let key = key.trim().to_string();
    mixed_units(spec, rest)?;
    let (values, step, shown) = if let Some((a, b)) = rest.split_once("..") {
        let (b, step) = match b.split_once(':') {
            Some((b, s)) => (b, Some(s)),
            None => (b, None),
        };
        let (lo, hi) = (parse_value(a)?, parse_value(b)?);
        if hi < lo {
            return Err(format!("\"{spec}\": the range's end is below its start"));
        }
        match (step, need_step) {
            (Some(s), true) => {
                let step = parse_value(s)?;
                if step <= Decimal::ZERO {
                    return Err(format!("\"{spec}\": the step must be above 0"));
                }
                let n = ((hi - lo) / step).floor().to_u64().unwrap_or(u64::MAX);
                if n >= 1000 {
                    return Err(format!(
                        "\"{spec}\" has more than 1000 points: take a larger step"
                    ));
                }
                let values: Vec<Decimal> = (0..=n).map(|i| lo + step * Decimal::from(i)).collect();
                let shown = (values.iter().enumerate())
                    .map(|(i, &v)| match i {
                        0 => a.trim().to_string(),
                        _ if v == hi => b.trim().to_string(),
                        _ => shown_like(s, v),
                    })
                    .collect();
                (values, Some(step), shown)
            }
            (Some(s), false) => {
                let step = parse_value(s)?;
                if step <= Decimal::ZERO {
                    return Err(format!("\"{spec}\": the step must be above 0"));
                }
                // Goal seeking bisects the grid's indices: their number must be a Decimal.
                if (hi - lo).checked_div(step).is_none() {
                    return Err(format!("\"{spec}\": too many steps: take a larger step"));
                }
                (vec![lo, hi], Some(step), ends(a, b))
            }
            (None, true) => return Err(format!("\"{spec}\" needs a step: KEY=a..b:step")),
            (None, false) => (vec![lo, hi], None, ends(a, b)),
        }
    } else {
        let values = rest
            .split(',')
            .map(parse_value)
            .collect::<Result<Vec<_>, _>>()?;
        let shown = rest.split(',').map(|v| v.trim().to_string()).collect();
        (values, None, shown)
    };
    if values.is_empty() {
        return Err(format!("\"{spec}\" gives no value"));
    }
    Ok(Range {
        key,
        values,
        step,
        given: spec.to_string(),
        shown,
        written: if crate::money::has_unit(rest) {
            Written::Money
        } else {
            Written::Plain
        },
    })
}

/// The texts of the bounds `a..b`.
fn ends(a: &str, b: &str) -> Vec<String> {
    vec![a.trim().to_string(), b.trim().to_string()]
}

/// The override text of `key` at `value`, written as [`Written`] says (`5000元` for money: a
/// bare 5000 for a grant's amount would be refused as a slip).
pub(crate) fn set(key: &str, value: Decimal, written: Written) -> String {
    let v = value.normalize();
    match written {
        Written::Plain => format!("{key}={v}"),
        Written::Money => format!("{key}={v}元"),
        Written::Float if v.scale() == 0 => format!("{key}={v}.0"),
        Written::Float => format!("{key}={v}"),
    }
}

/// A scenario run at one point: its summary and target rows.
pub struct Point {
    pub values: Vec<Decimal>,
    pub summary: Vec<SummaryRow>,
    pub targets: Vec<TargetRow>,
}

/// `file` with `base` overrides and `point` (`(key, value)` pairs) laid over it.
fn load_point(
    file: &PathBuf,
    base: &[String],
    point: &[(&str, Decimal, Written)],
) -> Result<Loaded, AppError> {
    let mut sets = base.to_vec();
    sets.extend(point.iter().map(|&(k, v, money)| set(k, v, money)));
    Ok(load_all_with(std::slice::from_ref(file), &sets)?
        .pop()
        .expect("one file"))
}

/// Runs a point's scenario.
fn run_loaded(
    loaded: &Loaded,
    values: Vec<Decimal>,
    settings: RunSettings,
    progress: &dyn Progress,
) -> Point {
    Point::of(loaded, values, &run(&loaded.model, settings, progress))
}

impl Point {
    /// The point at input values `values` whose scenario `loaded` ran as `result`.
    fn of(loaded: &Loaded, values: Vec<Decimal>, result: &crate::run::ScenarioRun) -> Self {
        Point {
            values,
            summary: report::summary_rows(&loaded.model, result),
            targets: report::target_rows(&loaded.model, result),
        }
    }
}

/// Runs `file` with `base` overrides and `point` (`(key, value)` pairs) laid over it.
fn run_point(
    file: &PathBuf,
    base: &[String],
    point: &[(&str, Decimal, Written)],
    settings: RunSettings,
    progress: &dyn Progress,
) -> Result<(Loaded, Point), AppError> {
    let loaded = load_point(file, base, point)?;
    let values = point.iter().map(|&(_, v, _)| v).collect();
    let point = run_loaded(&loaded, values, settings, progress);
    Ok((loaded, point))
}

/// Every point of the grid of `ranges` (the first key varies slowest), loaded and validated, with
/// its values; nothing is simulated. A point the scenario does not accept is refused with the
/// values as the user wrote them (`200%`, not the `2` it was read as).
pub fn sweep_points(
    file: &PathBuf,
    base: &[String],
    ranges: &[Range],
) -> Result<Vec<(Loaded, Vec<Decimal>)>, AppError> {
    // Each point as the indices of its values, the first key varying slowest.
    let mut grid: Vec<Vec<usize>> = vec![Vec::new()];
    for r in ranges {
        grid = grid
            .into_iter()
            .flat_map(|p| {
                (0..r.values.len()).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    let mut points = Vec::with_capacity(grid.len());
    for (n, at) in grid.iter().enumerate() {
        let values: Vec<Decimal> = ranges.iter().zip(at).map(|(r, &i)| r.values[i]).collect();
        let point: Vec<(&str, Decimal, Written)> = (ranges.iter().zip(&values))
            .map(|(r, &v)| (r.key.as_str(), v, r.written))
            .collect();
        match load_point(file, base, &point) {
            Ok(loaded) => points.push((loaded, values)),
            Err(AppError::BadInput(mut message)) => {
                let mut typed = Vec::new();
                let mut from = Vec::new();
                for ((r, &i), v) in ranges.iter().zip(at).zip(&values) {
                    let shown = r.shown.get(i).cloned().unwrap_or_else(|| v.to_string());
                    // The loader names the override it read, `--set KEY=<value as a number>`:
                    // name it as typed.
                    let flag = r.given.split_whitespace().next().unwrap_or_default();
                    message = message.replace(
                        &format!("--set {}", set(&r.key, *v, r.written)),
                        &format!("{flag} {}={shown}", r.key),
                    );
                    typed.push(format!("{}={shown}", r.key));
                    from.push(r.given.clone());
                }
                return Err(AppError::BadInput(format!(
                    "error: sweep point {n}, {} (of {}), is refused; nothing was run:\n{message}",
                    typed.join(", "),
                    from.join(" ")
                )));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(points)
}

/// A sweep point's paired difference from the first point (on common random numbers) in one
/// measure: a target's P(met) (`p.<id>`, `p.all`, `p.all_<year>`) or a metric of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The point's index (from 1).
    pub point: usize,
    pub measure: String,
    pub unit: crate::metrics::Unit,
    /// The difference (this point minus the first), its MCSE and 95% interval (Tango's for a
    /// probability).
    pub diff: (f64, f64),
    pub interval: (f64, f64),
}

/// Runs every point of [`sweep_points`]: the scenarios, a row per point, and each later point's
/// paired differences from the first in every target's P(met) and in `metrics` (only the first
/// point's per-path values are kept while the others run).
pub fn sweep(
    points: Vec<(Loaded, Vec<Decimal>)>,
    metrics: &[String],
    settings: RunSettings,
    progress: &dyn Progress,
) -> (Vec<Loaded>, Vec<Point>, Vec<Step>) {
    let (mut scenarios, mut rows, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    // Per measure of the first point: its name and its per-path values.
    let mut first: Vec<(String, Vec<f64>)> = Vec::new();
    for (n, (loaded, values)) in points.into_iter().enumerate() {
        let result = run(&loaded.model, settings, progress);
        let point = Point::of(&loaded, values, &result);
        let measures = (point.targets.iter())
            .map(|t| (format!("p.{}", t.target), crate::metrics::Unit::Indicator))
            .chain(metrics.iter().filter_map(|m| {
                let row = point.summary.iter().find(|r| r.metric == *m)?;
                Some((m.clone(), row.unit))
            }));
        for (name, unit) in measures {
            let Some(paths) = metric_paths(&loaded, &result, &name) else {
                continue;
            };
            if n == 0 {
                first.push((name, paths));
            } else if let Some((_, base)) = first.iter().find(|f| f.0 == name) {
                let bits = unit == crate::metrics::Unit::Indicator;
                let d = crate::compare::paired(base, &paths, false, bits);
                steps.push(Step {
                    point: n,
                    measure: name,
                    unit,
                    diff: (d.mean, d.mcse),
                    interval: (d.low, d.high),
                });
            }
        }
        scenarios.push(loaded);
        rows.push(point);
    }
    (scenarios, rows, steps)
}

/// The probability that target `target` (an id, `all` or `all_<year>`) is met at a point, with
/// its 95% interval.
pub fn probability(point: &Point, target: &str) -> Option<(f64, f64, f64)> {
    let t = point.targets.iter().find(|t| t.target == target)?;
    Some((t.estimate.p, t.estimate.low, t.estimate.high))
}

/// What goal seeking found.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalSeek {
    /// Every value tried, in order, with its P(met) and 95% interval.
    pub tried: Vec<(Decimal, f64, f64, f64)>,
    /// The smallest value reaching the level, if any in the range.
    pub answer: Option<Decimal>,
    /// The largest value searched: `b`, or with a step the last point of the grid at or below `b`.
    pub upper: Decimal,
    /// The range of the answer given the Monte Carlo error: `(smallest value whose interval's upper
    /// end reaches the level, smallest whose lower end does)`; the second is `None` if no value in
    /// the range is surely enough.
    pub interval: (Option<Decimal>, Option<Decimal>),
    /// The level sought.
    pub level: f64,
    /// When P(met) at the largest value searched is below that at the smallest (point estimates):
    /// `((a, P(a)), (b, P(b)))`. Bisection takes P to rise with the input; an input that lowers it
    /// (a larger grant from a fixed budget reaches fewer firms) has no smallest value to find.
    pub falls: Option<((Decimal, f64), (Decimal, f64))>,
}

/// Goal seeking on `range` (its first and last values are the bounds) for P(`target`) ≥ `level`.
///
/// With a step (`a..b:step`) every value tried, and so the answer, is on the grid `a + k·step`,
/// `k = 0, 1, ...`, up to the last point at or below `b` (the values a sweep of the same range tries;
/// `b` itself only when it is on the grid); without, bisection stops within `(b − a)/1000`.
pub fn goal_seek(
    file: &PathBuf,
    base: &[String],
    range: &Range,
    (target, level): (&str, f64),
    settings: RunSettings,
    progress: &dyn Progress,
) -> Result<GoalSeek, AppError> {
    let (lo, mut hi) = (range.values[0], *range.values.last().expect("bounds"));
    // The number of steps from a to the last grid point at or below b.
    let steps = range.step.map(|step| ((hi - lo) / step).floor());
    if let (Some(step), Some(k)) = (range.step, steps) {
        hi = lo + k * step;
    }
    let mut tried: Vec<(Decimal, f64, f64, f64)> = Vec::new();
    let eval = |x: Decimal, tried: &mut Vec<(Decimal, f64, f64, f64)>| {
        if let Some(t) = tried.iter().find(|t| t.0 == x) {
            return Ok((t.1, t.2, t.3));
        }
        let (_, p) = run_point(
            file,
            base,
            &[(&range.key, x, range.written)],
            settings,
            progress,
        )?;
        let (pm, low, high) = probability(&p, target).ok_or_else(|| {
            let ids: Vec<&str> = p.targets.iter().map(|t| t.target.as_str()).collect();
            AppError::BadInput(format!(
                "error: --target {target}: no such target; allowed are {}",
                ids.join(", ")
            ))
        })?;
        tried.push((x, pm, low, high));
        Ok::<_, AppError>((pm, low, high))
    };
    // The smallest x in [lo, hi] with `pick(P) ≥ level`, if any (bisection; P rises with x).
    let smallest = |pick: fn((f64, f64, f64)) -> f64,
                    tried: &mut Vec<(Decimal, f64, f64, f64)>|
     -> Result<Option<Decimal>, AppError> {
        if pick(eval(lo, tried)?) >= level {
            return Ok(Some(lo));
        }
        if pick(eval(hi, tried)?) < level {
            return Ok(None);
        }
        if let (Some(step), Some(k)) = (range.step, steps) {
            // On the grid: bisect the indices (a whole number of steps below `hi`), so every
            // midpoint is `lo + k·step`; `ka` falls short of the level, `kb` reaches it.
            let (mut ka, mut kb) = (Decimal::ZERO, k);
            while kb - ka > Decimal::ONE {
                let mid = ((ka + kb) / Decimal::TWO).floor();
                if pick(eval(lo + mid * step, tried)?) >= level {
                    kb = mid;
                } else {
                    ka = mid;
                }
            }
            return Ok(Some(lo + kb * step));
        }
        let (mut a, mut b) = (lo, hi);
        let resolution = (hi - lo) / Decimal::from(1000);
        for _ in 0..60 {
            if b - a <= resolution {
                break;
            }
            let mid = (a + b) / Decimal::TWO;
            if pick(eval(mid, tried)?) >= level {
                b = mid;
            } else {
                a = mid;
            }
        }
        Ok(Some(b))
    };
    let answer = smallest(|p| p.0, &mut tried)?;
    let early = smallest(|p| p.2, &mut tried)?;
    let late = smallest(|p| p.1, &mut tried)?;
    // Both ends, to say whether the probability rises over the range at all.
    let at_lo = eval(lo, &mut tried)?.0;
    let at_hi = eval(hi, &mut tried)?.0;
    Ok(GoalSeek {
        tried,
        answer,
        upper: hi,
        interval: (early, late),
        level,
        falls: (at_hi < at_lo).then_some(((lo, at_lo), (hi, at_hi))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_values() {
        let r = parse_range("a.b=1亿..2亿:5000万", true).expect("range");
        assert_eq!(r.values.len(), 3);
        assert_eq!(r.values[1], Decimal::from(150_000_000));
        assert_eq!(r.step, Some(Decimal::from(50_000_000)));
        let r = parse_range("x=10%..30%:10%", true).expect("range");
        assert_eq!(
            r.values,
            vec![Decimal::new(1, 1), Decimal::new(2, 1), Decimal::new(3, 1)]
        );
        assert_eq!(
            parse_range("n=1..5:1", false).expect("bounds").values.len(),
            2
        );
        let r = parse_range("n=1,2,5", false).expect("list");
        assert_eq!(r.values.len(), 3);
        // Values as written: the ends and list items as typed, the rest in the step's notation.
        let r = parse_range("n=0.1..50%:10%", true).expect("range");
        assert_eq!(r.shown, ["0.1", "20%", "30%", "40%", "50%"]);
        // A full-width ％ is a percent sign: the values between are shown as percentages too.
        let r = parse_range("n=10％..40％:10％", true).expect("range");
        assert_eq!(r.shown, ["10％", "20%", "30%", "40％"]);
        assert_eq!(r.notation(), "10％");
        let r = parse_range("n=0..2亿:5000万", true).expect("range");
        assert_eq!(r.shown, ["0", "5000万", "10000万", "15000万", "2亿"]);
        let r = parse_range("n= 5000万, 1.5亿", false).expect("list");
        assert_eq!(r.shown, ["5000万", "1.5亿"]);
        assert!(parse_range("n=5..1:1", true).is_err());
        assert!(parse_range("n=1..5", true).is_err());
        assert!(parse_range("n=1..5000:1", true).is_err());
        // 10^40 steps: more than a Decimal holds, so goal seeking could not index them.
        let e = parse_range("n=0..100000000000000000000:0.00000000000000000001", false)
            .expect_err("too many steps");
        assert!(e.contains("too many steps"), "{e}");
        assert_eq!(
            parse_range("n=1..5", false).expect("bounds").values.len(),
            2
        );
    }
}

/// One input of a tornado: the metric at the input's low and high value.
#[derive(Debug, Clone, PartialEq)]
pub struct Swing {
    pub key: String,
    pub low: Decimal,
    pub high: Decimal,
    /// `(mean, MCSE)` of the metric at the low and the high value.
    pub at_low: (f64, f64),
    pub at_high: (f64, f64),
    /// The paired difference high − low over the common paths, with its MCSE.
    pub swing: (f64, f64),
    /// Its 95% interval: ± 1.96 MCSE, or Tango's for a 0/1 metric ([`crate::compare::tango`]).
    pub swing_interval: (f64, f64),
    /// For an `[uncertain]` input: Spearman's rank correlation of its per-path draw with the
    /// metric in a run where every uncertain input is drawn, with a 95% interval.
    pub rank_correlation: Option<RankCorrelation>,
}

/// Spearman's ρ with its 95% interval `(ρ, low, high)`.
pub type RankCorrelation = (f64, f64, f64);

/// The mean of `metric` over a run's paths, with its MCSE: a scalar metric of `summary.csv`, or
/// `p.<target>` for a target's P(met).
fn metric_value(point: &Point, metric: &str) -> Option<(f64, f64)> {
    if weighted(metric) {
        return None;
    }
    if let Some(t) = metric.strip_prefix("p.") {
        let r = point.targets.iter().find(|r| r.target == t)?;
        return Some((r.estimate.p, r.estimate.mcse));
    }
    let r = point.summary.iter().find(|r| r.metric == metric)?;
    Some((r.summary.mean, r.summary.mcse))
}

/// Whether `metric` is a weighted sum (`0.6*p.unicorns_2030+0.4*p.projects_2030`).
fn weighted(metric: &str) -> bool {
    metric.contains('*') || metric.contains('+')
}

/// The per-path values of `metric` of a run: a scalar, `p.<target>` as 0/1, or a weighted sum of
/// those, `w1*m1+w2*m2+...` (a weight may be negative, `+-1e-9*net_fiscal_cost`, and left out for
/// 1), whose mean is the same sum of the means (of the probabilities, for `p.` terms).
fn metric_paths(
    loaded: &Loaded,
    result: &crate::run::ScenarioRun,
    metric: &str,
) -> Option<Vec<f64>> {
    if !weighted(metric) {
        return single_paths(loaded, result, metric);
    }
    let mut total = vec![0.0; result.paths as usize];
    for term in metric.split('+') {
        let (weight, name) = match term.split_once('*') {
            Some((w, name)) => (w.trim().parse::<f64>().ok()?, name.trim()),
            None => (1.0, term.trim()),
        };
        if !weight.is_finite() {
            return None;
        }
        let values = single_paths(loaded, result, name)?;
        for (t, v) in total.iter_mut().zip(values) {
            *t += weight * v;
        }
    }
    Some(total)
}

/// For a metric written with a minus between terms (`p.all_2030-2e-10*net_fiscal_cost`): how a
/// negative weight is written. Empty otherwise.
fn minus_hint(metric: &str) -> String {
    // A minus that is not an exponent's (`2e-10`) nor a weight's own sign after `+`.
    let b = metric.as_bytes();
    let subtracts = (1..b.len()).find(|&i| {
        let exponent = matches!(b[i - 1], b'e' | b'E') && i >= 2 && b[i - 2].is_ascii_digit();
        b[i] == b'-' && b[i - 1] != b'+' && !exponent
    });
    match subtracts {
        Some(i) => format!(
            "; a term is subtracted with a negative weight after +: {}+{}",
            &metric[..i],
            &metric[i..]
        ),
        None => String::new(),
    }
}

/// Whether `metric` of `model` is 0 or 1 on every path: a target met (`p.<target>`), or a scalar
/// whose unit is `probability` (`met.<target>`, an IRR's `*_defined`); not a weighted sum.
fn binary(model: &crate::model::Model, metric: &str) -> bool {
    !weighted(metric)
        && (metric.starts_with("p.")
            || (model.catalogue_for_run().scalars.iter())
                .any(|c| c.name == metric && c.unit == crate::metrics::Unit::Indicator))
}

/// The per-path values of one metric (a scalar, or `p.<target>` as 0/1) of a run.
fn single_paths(
    loaded: &Loaded,
    result: &crate::run::ScenarioRun,
    metric: &str,
) -> Option<Vec<f64>> {
    let c = &result.catalogue;
    let model = &loaded.model;
    let i = match metric.strip_prefix("p.") {
        // Every target (`all`) or every target of a deadline (`all_<year>`) met on the path.
        Some(t) if t == report::ALL_TARGETS || t.starts_with("all_") => {
            let year: Option<i32> = t
                .strip_prefix("all_")
                .map(|y| y.parse().ok())
                .unwrap_or(None);
            if t != report::ALL_TARGETS && year.is_none() {
                return None;
            }
            let members: Vec<usize> = (0..model.targets.len())
                .filter(|&j| year.is_none_or(|y| model.year(model.targets[j].deadline) == y))
                .collect();
            if members.is_empty() {
                return None;
            }
            let mut all = vec![1.0; result.paths as usize];
            for j in members {
                for (a, &m) in all.iter_mut().zip(&result.scalars[c.target_met(j)]) {
                    if m != 1.0 {
                        *a = 0.0;
                    }
                }
            }
            return Some(all);
        }
        Some(t) => {
            let j = model.targets.iter().position(|x| x.id == t)?;
            c.target_met(j)
        }
        None => c.scalars.iter().position(|x| x.name == metric)?,
    };
    Some(result.scalars[i].clone())
}

/// A tornado: each input (`KEY=low..high`) at its two values, everything else as in the file, on
/// common random numbers; sorted by the size of the swing of `metric`.
///
/// Without `inputs`, the scenario's `[uncertain]` inputs are taken, each between the ends of its
/// distribution. An input at a value is fixed there (`--set`); every other uncertain input is still
/// drawn per path, so a swing is that of the metric's mean over what else is unknown. With uncertain
/// inputs, one more run draws them all and gives each its rank correlation with the metric.
pub fn tornado(
    file: &PathBuf,
    base: &[String],
    inputs: &[Range],
    metric: &str,
    settings: RunSettings,
    progress: &dyn Progress,
) -> Result<Vec<Swing>, AppError> {
    let first = load_all_with(std::slice::from_ref(file), base)?
        .pop()
        .expect("one file");
    let uncertain: Vec<Range> = first
        .file
        .uncertain
        .iter()
        .filter_map(|(key, u)| {
            // Only the inputs the scenario draws; each end set as its draws are.
            let input = (first.model.uncertain.as_ref())?
                .inputs
                .iter()
                .find(|i| &i.key == key)?;
            let ends: Vec<Decimal> = match &u.values {
                Some(v) => v.iter().map(|x| x.0).collect(),
                None => u.low.iter().chain(&u.high).map(|x| x.0).collect(),
            };
            let lo = ends.iter().copied().min().unwrap_or_default();
            let hi = ends.iter().copied().max().unwrap_or_default();
            Some(Range {
                key: key.clone(),
                values: vec![lo, hi],
                step: None,
                given: format!("[uncertain] {key}"),
                shown: vec![lo.normalize().to_string(), hi.normalize().to_string()],
                written: if input.integer {
                    Written::Plain
                } else {
                    Written::Float
                },
            })
        })
        .collect();
    let inputs = if inputs.is_empty() {
        if uncertain.is_empty() {
            return Err(AppError::BadInput(format!(
                "error: {}: nothing to vary: give --input KEY=low..high, or mark inputs uncertain in the scenario's [uncertain] table",
                file.display()
            )));
        }
        &uncertain[..]
    } else {
        inputs
    };
    // Rank correlations of the drawn inputs with the metric, from one run that draws them all.
    let mut correlations: Vec<(String, Option<RankCorrelation>)> = Vec::new();
    if let Some(u) = &first.model.uncertain {
        let result = run(&first.model, settings, progress);
        let values = metric_paths(&first, &result, metric).ok_or_else(|| {
            AppError::BadInput(format!(
                "error: --metric {metric}: no such metric (a scalar of summary.csv, p.<target>, or a weighted sum of them such as 0.6*p.unicorns_2030+0.4*p.projects_2030){}", minus_hint(metric)
            ))
        })?;
        for input in &u.inputs {
            let name = format!("input.{}", input.key);
            let column = result.catalogue.scalars.iter().position(|c| c.name == name);
            let rho = column.and_then(|i| crate::stats::spearman(&result.scalars[i], &values));
            correlations.push((input.key.clone(), rho));
        }
    }
    let bits = binary(&first.model, metric);
    let mut swings = Vec::new();
    for r in inputs {
        let (low, high) = (r.values[0], *r.values.last().expect("bounds"));
        let at = |v: Decimal| -> Result<(Point, Vec<f64>), AppError> {
            let mut sets = base.to_vec();
            sets.push(set(&r.key, v, r.written));
            let loaded = load_all_with(std::slice::from_ref(file), &sets)?
                .pop()
                .expect("one file");
            let result = run(&loaded.model, settings, progress);
            let values = metric_paths(&loaded, &result, metric).ok_or_else(|| {
                AppError::BadInput(format!(
                    "error: --metric {metric}: no such metric (a scalar of summary.csv, p.<target>, or a weighted sum of them such as 0.6*p.unicorns_2030+0.4*p.projects_2030){}", minus_hint(metric)
                ))
            })?;
            let point = Point::of(&loaded, vec![v], &result);
            Ok((point, values))
        };
        let (lo_point, lo_paths) = at(low)?;
        let (hi_point, hi_paths) = at(high)?;
        let d = crate::compare::paired(&lo_paths, &hi_paths, false, bits);
        swings.push(Swing {
            key: r.key.clone(),
            low,
            high,
            at_low: (metric_value(&lo_point, metric))
                .unwrap_or_else(|| crate::stats::mean_and_mcse(&lo_paths, bits).0),
            at_high: (metric_value(&hi_point, metric))
                .unwrap_or_else(|| crate::stats::mean_and_mcse(&hi_paths, bits).0),
            swing: (d.mean, d.mcse),
            swing_interval: (d.low, d.high),
            rank_correlation: correlations
                .iter()
                .find(|(k, _)| *k == r.key)
                .and_then(|(_, rho)| *rho),
        });
    }
    // Largest swing first; an undefined swing (the metric is defined on no common path of the two
    // runs: NaN) last, in the order given, since `total_cmp` alone ranks NaN above every number.
    swings.sort_by(|a, b| {
        let (x, y) = (a.swing.0.abs(), b.swing.0.abs());
        x.is_nan().cmp(&y.is_nan()).then(y.total_cmp(&x))
    });
    Ok(swings)
}

/// One split of a budget tried by [`allocate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Each instrument's share of the budget.
    pub shares: Vec<Decimal>,
    /// The objective's mean and MCSE.
    pub objective: (f64, f64),
    /// The paired difference from the best split, with its MCSE (0 for the best).
    pub from_best: (f64, f64),
    /// Its 95% interval: ± 1.96 MCSE, or Tango's for a 0/1 objective (`(0, 0)` for the best).
    pub from_best_interval: (f64, f64),
    /// The objective's 95% interval: ± 1.96 MCSE, or Wilson's for a probability.
    pub objective_interval: (f64, f64),
    /// Whether it is one step from the best (a share moved from one instrument to another).
    pub neighbour: bool,
}

/// The best split of [`allocate`] run again on paths of its own. The best of many splits scored on
/// the same paths is the one whose paths happened to favour it most, so its score there is biased
/// in its favour in expectation (too high when maximising, too low when minimising: the winner's
/// curse, larger the more splits are near the best); on fresh paths its score is an unbiased
/// estimate for that split. The choice of the split is still made on the study's paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// The seed of the fresh paths: [`holdout_seed`] of the study's.
    pub seed: u64,
    /// The overrides that make the scenario the best split (the study's `--set` ones, then each
    /// instrument's budget), as `run --set` takes them.
    pub sets: Vec<String>,
    /// The objective's mean and MCSE there, and its 95% interval (Wilson's for a probability); NaN
    /// if it is undefined on every fresh path.
    pub objective: (f64, f64),
    pub interval: (f64, f64),
}

/// The seed of [`Holdout`]'s paths for a study seeded `seed`: another seed, fixed, so that the
/// study's output stays a function of its seed. The constant is below 2^52, so a seed below 2^52
/// gives one below 2^53 that JSON readers (JavaScript, jq, spreadsheets) keep exactly.
pub fn holdout_seed(seed: u64) -> u64 {
    seed ^ 0x000F_4C44_4F55_5421 // "HOLDOU!" in its low bytes
}

/// Every split of `budget` a year across `ids` in shares that are multiples of `step` (summing to
/// 1), on common random numbers; the objective (`p.<target>` to maximise a target's P(met), or a
/// scalar metric, maximised, or minimised when less is better) for each, and each split's paired
/// difference from the best. Each instrument's yearly budget is replaced (its `per_year` if it has
/// years). With more than one split, the best is run again on fresh paths ([`Holdout`]).
pub fn allocate(
    file: &PathBuf,
    base: &[String],
    (ids, budget, step): (&[String], Decimal, Decimal),
    objective: &str,
    settings: RunSettings,
    progress: &dyn Progress,
) -> Result<(Vec<Split>, usize, Option<Holdout>), AppError> {
    let bad = |m: String| AppError::BadInput(format!("error: {m}"));
    if step <= Decimal::ZERO || step > Decimal::ONE || !(Decimal::ONE / step).fract().is_zero() {
        return Err(bad(format!(
            "--step {step}: a share step that divides 1, e.g. 0.1 or 0.25"
        )));
    }
    let first = load_all_with(std::slice::from_ref(file), base)?
        .pop()
        .expect("one file");
    let common = first.file.instruments.common();
    let mut keys = Vec::new();
    for id in ids {
        let Some(c) = common.iter().find(|c| c.id == id) else {
            let known: Vec<&str> = common.iter().map(|c| c.id).collect();
            return Err(bad(format!(
                "--instruments: no instrument \"{id}\": allowed are {}",
                known.join(", ")
            )));
        };
        let key = match c.budget {
            crate::scenario::Budget::Span(_) => {
                format!("instruments.{}.{id}.{}.per_year", c.kind, c.budget_key)
            }
            crate::scenario::Budget::Every(_) => {
                format!("instruments.{}.{id}.{}", c.kind, c.budget_key)
            }
            crate::scenario::Budget::Spans(_) => {
                return Err(bad(format!(
                    "--instruments: \"{id}\" has a budget given year by year (an array); allocate shares a single yearly amount: give {id} one amount or one {{ per_year, from, to }}"
                )));
            }
        };
        keys.push(key);
    }
    // A --set of an instrument's budget (or of a key inside it) would be replaced at every split.
    let mut given = crate::app::Given::sets(base);
    given.extend(ids.iter().zip(&keys).map(|(id, key)| crate::app::Given {
        key: key.clone(),
        from: format!("--instruments {id} (which sets {key})"),
    }));
    crate::app::distinct_keys(&given)?;
    // Shares in steps: all compositions of 1/step units into ids.len() parts.
    let units = (Decimal::ONE / step).to_u32().unwrap_or(0);
    if ids.is_empty() || units == 0 {
        return Err(bad("--instruments: name at least one instrument".into()));
    }
    let mut compositions: Vec<Vec<u32>> = vec![vec![]];
    for k in 0..ids.len() {
        let last = k + 1 == ids.len();
        compositions = compositions
            .into_iter()
            .flat_map(|c| {
                let used: u32 = c.iter().sum();
                let range: Vec<u32> = if last {
                    vec![units - used]
                } else {
                    (0..=units - used).collect()
                };
                range.into_iter().map(move |u| {
                    let mut d = c.clone();
                    d.push(u);
                    d
                })
            })
            .collect();
    }
    if compositions.len() > 500 {
        return Err(bad(format!(
            "{} splits to try: at most 500 (take a larger --step or fewer instruments)",
            compositions.len()
        )));
    }
    // Per split: its shares, the objective's (mean, MCSE) and 95% interval, and its per-path
    // values.
    type Tried = (Vec<Decimal>, ((f64, f64), (f64, f64)), Vec<f64>);
    let mut runs: Vec<Tried> = Vec::new();
    // The scenario with the budgets of `shares`.
    let sets_of = |shares: &[Decimal]| -> Vec<String> {
        let mut sets = base.to_vec();
        for (key, share) in keys.iter().zip(shares) {
            sets.push(set(key, (budget * share).round_dp(2), Written::Money));
        }
        sets
    };
    let with_shares = |shares: &[Decimal]| -> Result<Loaded, AppError> {
        Ok(load_all_with(std::slice::from_ref(file), &sets_of(shares))?
            .pop()
            .expect("one file"))
    };
    // A weighted objective is maximised (a cost enters it with a negative weight); a target's value
    // `target.<id>` is minimised for an at-most target.
    if !weighted(objective) && crate::metrics::directionless(objective) {
        return Err(bad(format!(
            "--objective {objective}: each path's cost per additional outcome is negative where the policy earned money, and more outcomes then raise it towards 0, so neither its highest nor its lowest mean is the best split: weigh the outcomes against the cost instead, e.g. --objective \"additional_unicorns+-1e-9*net_fiscal_cost\" (one more unicorn worth 10亿 of net cost)"
        )));
    }
    let bits = binary(&first.model, objective);
    let lower = !objective.starts_with("p.")
        && !weighted(objective)
        && first.model.lower_is_better(objective);
    for c in &compositions {
        let shares: Vec<Decimal> = c.iter().map(|&u| Decimal::from(u) * step).collect();
        let loaded = with_shares(&shares)?;
        let result = run(&loaded.model, settings, progress);
        let values = metric_paths(&loaded, &result, objective).ok_or_else(|| {
            bad(format!(
                "--objective {objective}: no such metric (a scalar of summary.csv, p.<target>, or a weighted sum of them such as 0.6*p.unicorns_2030+0.4*p.projects_2030){}", minus_hint(objective)
            ))
        })?;
        runs.push((shares, crate::stats::mean_and_mcse(&values, bits), values));
    }
    // A split whose objective is undefined (defined on none of its paths, e.g. `tvpi.b` with
    // nothing in b: a NaN mean) cannot be the best; `total_cmp` alone would rank NaN above every
    // number.
    let best = (0..runs.len())
        .filter(|&i| !runs[i].1.0.0.is_nan())
        .max_by(|&a, &b| {
            let (x, y) = (runs[a].1.0.0, runs[b].1.0.0);
            if lower {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            }
        })
        .ok_or_else(|| {
            bad(format!(
                "--objective {objective}: undefined on every path of every split (a ratio or an IRR with nothing to divide by, e.g. tvpi.<id> of an instrument that invests nothing): there is no best split; choose an objective defined for these instruments"
            ))
        })?;
    // Every split scoring the same (a flat objective) has no winner to check.
    let mut means = runs.iter().map(|r| r.1.0.0).filter(|v| !v.is_nan());
    let flat = means.next().is_none_or(|first| means.all(|v| v == first));
    let holdout = if !flat {
        let loaded = with_shares(&runs[best].0)?;
        let fresh = RunSettings {
            seed: holdout_seed(settings.seed),
            ..settings
        };
        let result = run(&loaded.model, fresh, progress);
        let values = metric_paths(&loaded, &result, objective).expect("read at every split");
        let (objective, interval) = crate::stats::mean_and_mcse(&values, bits);
        Some(Holdout {
            seed: fresh.seed,
            sets: sets_of(&runs[best].0),
            objective,
            interval,
        })
    } else {
        None
    };
    let best_units = &compositions[best];
    let splits = runs
        .iter()
        .zip(&compositions)
        .enumerate()
        .map(|(i, ((shares, objective, values), c))| {
            // The best against itself is 0, exactly.
            let d = crate::compare::paired(&runs[best].2, values, false, bits && i != best);
            let moved: u32 = c.iter().zip(best_units).map(|(a, b)| a.abs_diff(*b)).sum();
            Split {
                shares: shares.clone(),
                objective: objective.0,
                from_best: (d.mean, d.mcse),
                from_best_interval: (d.low, d.high),
                objective_interval: objective.1,
                neighbour: moved == 2,
            }
        })
        .collect();
    Ok((splits, best, holdout))
}
