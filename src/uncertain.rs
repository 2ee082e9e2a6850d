//! Parameter uncertainty: inputs we do not know, drawn per path.
//!
//! A scenario's `[uncertain]` table names inputs by their `--set` key (`channels.leakage`,
//! `instruments.grant.frontier.effect.round_odds`) and gives each a distribution over the range the
//! evidence leaves (uniform, loguniform, triangular, PERT, discrete). Path `i` draws every input
//! from a stream of its own, seeded by `(seed, i, key)` ([`rng::uncertain_input`]), sets the drawn
//! values into the scenario's merged document, and runs on the model compiled from it. So:
//!
//! - target probabilities and every summary mix over what we do not know about the inputs, with
//!   the Monte Carlo error of the mixture;
//! - the draws shift no other stream: a path's market and every firm keep their random numbers,
//!   and a run with uncertain inputs is on common random numbers with the same scenario without;
//! - each path's drawn values are scalars of the run (`input.<key>`), in `summary.csv` and
//!   `paths.parquet`, so rank correlations of inputs with any metric can be read (`sensitivity`).
//!
//! **Checked once, not per path.** Before a run the scenario is deserialised, validated and compiled
//! at every corner of the inputs' box (each input at its lowest or its highest value): the
//! constraints of a scenario are bounds and sums, satisfied inside a box when they are at its
//! corners, so a path's draw cannot make an invalid scenario. The one field whose allowed values
//! are not an interval and whose values between would not run, a sub-fund's `catch_up` (0, or
//! above the carry), may not range from 0; its discrete values are checked at 0 and at the
//! smallest above 0 (`gap`). A corner must also keep
//! the run's shape (the same metrics, years, industries and instruments). Per path the document is
//! only set, deserialised and compiled.
//!
//! **Values.** A draw is rounded to 12 significant digits (an amount in yuan, a fraction, a
//! multiplier), or to a whole number for an input that only takes whole numbers (a count, an age):
//! the value the path ran with is the value reported.

use crate::rng::{self, Bits};
use crate::scenario::{DistKind, ScenarioFile, UncertainInput};
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

/// A distribution of an uncertain input, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Uniform {
        low: f64,
        high: f64,
    },
    LogUniform {
        low: f64,
        high: f64,
    },
    Triangular {
        low: f64,
        mode: f64,
        high: f64,
    },
    /// A beta on `[low, high]` with shapes `alpha`, `beta`.
    Pert {
        low: f64,
        high: f64,
        alpha: f64,
        beta: f64,
    },
    /// `values` with cumulative weights `cum` (the last is the total).
    Discrete {
        values: Vec<f64>,
        cum: Vec<f64>,
    },
}

impl Dist {
    /// From a validated `[uncertain]` entry.
    pub fn from_input(u: &UncertainInput) -> Self {
        let f = |v: Option<crate::money::InputValue>| v.and_then(|v| v.0.to_f64()).unwrap_or(0.0);
        let (low, mode, high) = (f(u.low), f(u.mode), f(u.high));
        match u.dist {
            DistKind::Uniform => Dist::Uniform { low, high },
            DistKind::Loguniform => Dist::LogUniform { low, high },
            DistKind::Triangular => Dist::Triangular { low, mode, high },
            DistKind::Pert => Dist::Pert {
                low,
                high,
                alpha: 1.0 + 4.0 * (mode - low) / (high - low),
                beta: 1.0 + 4.0 * (high - mode) / (high - low),
            },
            DistKind::Discrete => {
                let values: Vec<f64> = (u.values.iter().flatten())
                    .map(|v| v.0.to_f64().unwrap_or(0.0))
                    .collect();
                let weights = u.weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
                let cum = weights
                    .iter()
                    .scan(0.0, |acc, w| {
                        *acc += w;
                        Some(*acc)
                    })
                    .collect();
                Dist::Discrete { values, cum }
            }
        }
    }

    /// One draw.
    pub fn sample(&self, s: &mut impl Bits) -> f64 {
        match *self {
            Dist::Uniform { low, high } => low + rng::uniform(s) * (high - low),
            Dist::LogUniform { low, high } => {
                let (a, b) = (libm::log(low), libm::log(high));
                crate::exp::exp(a + rng::uniform(s) * (b - a))
            }
            Dist::Triangular { low, mode, high } => {
                // Inverse of the triangular CDF.
                let u = rng::uniform(s);
                let split = (mode - low) / (high - low);
                if u < split {
                    low + (u * (high - low) * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - u) * (high - low) * (high - mode)).sqrt()
                }
            }
            Dist::Pert {
                low,
                high,
                alpha,
                beta,
            } => {
                let x = rng::gamma(s, alpha);
                let y = rng::gamma(s, beta);
                low + (high - low) * x / (x + y)
            }
            Dist::Discrete {
                ref values,
                ref cum,
            } => {
                let total = *cum.last().expect("at least one value");
                let u = rng::uniform(s) * total;
                let i = cum.iter().position(|&c| u < c).unwrap_or(values.len() - 1);
                values[i]
            }
        }
    }

    /// The smallest and largest values a draw can take.
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            Dist::Uniform { low, high }
            | Dist::LogUniform { low, high }
            | Dist::Triangular { low, high, .. }
            | Dist::Pert { low, high, .. } => (*low, *high),
            Dist::Discrete { values, .. } => (
                values.iter().copied().fold(f64::INFINITY, f64::min),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
        }
    }

    /// The mean of the distribution (before rounding).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Uniform { low, high } => 0.5 * (low + high),
            Dist::LogUniform { low, high } => (high - low) / libm::log(high / low),
            Dist::Triangular { low, mode, high } => (low + mode + high) / 3.0,
            Dist::Pert {
                low,
                high,
                alpha,
                beta,
            } => low + (high - low) * alpha / (alpha + beta),
            Dist::Discrete {
                ref values,
                ref cum,
            } => {
                let mut prev = 0.0;
                let mut sum = 0.0;
                for (v, c) in values.iter().zip(cum) {
                    sum += v * (c - prev);
                    prev = *c;
                }
                sum / prev
            }
        }
    }
}

/// One uncertain input.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The `--set` key, as written.
    pub key: String,
    pub dist: Dist,
    /// Whether the value is a whole number (the scenario's field takes only integers).
    pub integer: bool,
    /// Whether the field allows 0 or values above some bound, not the values between ([`gap`]).
    gap: bool,
    purpose: u64,
}

impl Input {
    /// The values the box is checked at (before [`Input::value`]): the distribution's ends, except
    /// that for a field with a [`gap`] the low end is the smallest value above 0 (0 itself is
    /// checked alone, [`Input::draws_zero`]).
    fn ends(&self) -> (f64, f64) {
        let (lo, hi) = self.dist.bounds();
        match &self.dist {
            Dist::Discrete { values, .. } if self.gap => {
                let above = values.iter().copied().filter(|v| *v > 0.0);
                (above.fold(f64::INFINITY, f64::min).min(hi), hi)
            }
            _ => (lo, hi),
        }
    }

    /// Whether a field with a [`gap`] can draw 0 (a discrete value 0).
    fn draws_zero(&self) -> bool {
        self.gap && matches!(&self.dist, Dist::Discrete { values, .. } if values.contains(&0.0))
    }

    /// The value the scenario gets for a raw draw.
    fn value(&self, raw: f64) -> f64 {
        if self.integer {
            let (lo, hi) = self.dist.bounds();
            raw.round().clamp(lo.ceil(), hi.floor())
        } else {
            round_significant(raw)
        }
    }

    /// One draw. A whole-number input draws its continuous distribution over the range widened by
    /// half a unit at each end and rounds, so a uniform over 5..7 gives 5, 6 and 7 each a third.
    fn draw(&self, s: &mut impl Bits) -> f64 {
        let raw = match (&self.dist, self.integer) {
            (Dist::Uniform { low, high }, true) => Dist::Uniform {
                low: low - 0.5,
                high: high + 0.5,
            }
            .sample(s),
            (Dist::Triangular { low, mode, high }, true) => Dist::Triangular {
                low: low - 0.5,
                mode: *mode,
                high: high + 0.5,
            }
            .sample(s),
            (Dist::Pert { low, high, .. }, true) => {
                // The same shape on the widened range.
                let (a, b) = (low - 0.5, high + 0.5);
                let x = self.dist.sample(s);
                a + (x - low) / (high - low) * (b - a)
            }
            _ => self.dist.sample(s),
        };
        self.value(raw)
    }

    fn toml(&self, value: f64) -> toml::Value {
        if self.integer {
            toml::Value::Integer(value as i64)
        } else {
            toml::Value::Float(value)
        }
    }
}

/// `v` to 12 significant digits (exactly representable as a decimal literal of a scenario file).
fn round_significant(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    format!("{v:.11e}").parse().unwrap_or(v)
}

/// A scenario's uncertain inputs and the document they are set into, path by path.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertain {
    pub inputs: Vec<Input>,
    /// The merged document without `[uncertain]`.
    base: toml::Table,
    /// The scenario's book (read once; a document cannot carry it).
    book: Option<crate::scenario::holdings::Book>,
}

/// A problem with one uncertain input: its key and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Uncertain {
    /// The uncertain inputs of `file` (validated), to be set into `doc`, its merged document
    /// ([`crate::scenario::document`]). Checks that each key names a value of the scenario and that
    /// the scenario is valid, with the same `shape`, at every corner of the inputs' box. The shape
    /// is what a run's layout depends on (its metrics, years, industries and stages):
    /// [`crate::model::Model::shape`] of the compiled scenario.
    pub fn new<S: PartialEq>(
        mut doc: toml::Table,
        file: &ScenarioFile,
        shape: impl Fn(&ScenarioFile) -> S,
    ) -> Result<Self, Problem> {
        doc.remove("uncertain");
        let mut inputs = Vec::new();
        for (key, u) in &file.uncertain {
            let input = Input {
                key: key.clone(),
                dist: Dist::from_input(u),
                integer: false,
                gap: false,
                purpose: rng::uncertain_input(key),
            };
            let problem = |message: String| Problem {
                key: key.clone(),
                message,
            };
            let gap = gap(key);
            if let Some(why) = gap
                && !matches!(input.dist, Dist::Discrete { .. })
                && input.dist.bounds().0 <= 0.0
            {
                let (lo, hi) = input.dist.bounds();
                return Err(problem(format!(
                    "a range from {lo} to {hi} is refused: {why}"
                )));
            }
            let input = Input {
                gap: gap.is_some(),
                ..input
            };
            // Whether the key names a place, and what the field takes: a number, else a whole one.
            let low = input.dist.bounds().0;
            let mut probe = doc.clone();
            set(&mut probe, key, input.toml(input.value(low))).map_err(problem)?;
            let integer = match deserialize(probe) {
                Ok(_) => false,
                Err(as_float) => {
                    let (lo, hi) = input.dist.bounds();
                    if lo.ceil() > hi.floor() {
                        return Err(problem(format!(
                            "{as_float}; as a whole number it has none between {lo} and {hi}"
                        )));
                    }
                    let whole = Input {
                        integer: true,
                        ..input.clone()
                    };
                    let mut probe = doc.clone();
                    set(&mut probe, key, whole.toml(whole.value(low))).map_err(problem)?;
                    deserialize(probe).map_err(|_| problem(as_float))?;
                    true
                }
            };
            inputs.push(Input { integer, ..input });
        }
        let this = Uncertain {
            inputs,
            base: doc,
            book: file.book.clone(),
        };
        this.check_corners(file, shape)?;
        Ok(this)
    }

    /// Validates and compiles the scenario at each input's ends alone (so a problem is blamed on
    /// its input), then at every corner of the box; each must keep the shape.
    fn check_corners<S: PartialEq>(
        &self,
        file: &ScenarioFile,
        shape: impl Fn(&ScenarioFile) -> S,
    ) -> Result<(), Problem> {
        let mut base_file = file.clone();
        base_file.uncertain.clear();
        let base_shape = shape(&base_file);
        let end = |input: &Input, high: bool| {
            let (lo, hi) = input.ends();
            input.value(if high { hi } else { lo })
        };
        // (the inputs set, their values) → a problem, if the scenario is not valid there.
        let check = |set: &[(usize, f64)]| -> Option<String> {
            let at = set
                .iter()
                .map(|&(i, v)| format!("{} = {v}", self.inputs[i].key))
                .collect::<Vec<_>>()
                .join(", ");
            let f = match self.file_with(set) {
                Ok(f) => f,
                Err(e) => return Some(format!("with {at}, the scenario does not read: {e}")),
            };
            if let Some(issue) = crate::scenario::validate::validate(&f).first() {
                return Some(format!(
                    "with {at}, the scenario is invalid: {}: {}",
                    issue.path, issue.message
                ));
            }
            (shape(&f) != base_shape).then(|| {
                format!(
                    "with {at}, the run changes shape (its metrics, years, industries or stages): an uncertain input must be a value, not a structure"
                )
            })
        };
        for (i, input) in self.inputs.iter().enumerate() {
            let zero = input.draws_zero().then_some(0.0);
            let values = [Some(end(input, false)), Some(end(input, true)), zero];
            for v in values.into_iter().flatten() {
                if let Some(message) = check(&[(i, v)]) {
                    return Err(Problem {
                        key: input.key.clone(),
                        message,
                    });
                }
            }
        }
        let n = self.inputs.len();
        for corner in 0..1u32 << n {
            let set: Vec<(usize, f64)> = (self.inputs.iter().enumerate())
                .map(|(i, input)| (i, end(input, corner >> i & 1 == 1)))
                .collect();
            if let Some(message) = check(&set) {
                // Together the inputs break a constraint none breaks alone: blamed on the first.
                return Err(Problem {
                    key: self.inputs[0].key.clone(),
                    message: format!("{message} (a combination of the uncertain inputs' ends)"),
                });
            }
        }
        Ok(())
    }

    /// The inputs' values on `path` of a run seeded with `seed`, each from its own stream.
    pub fn draw(&self, seed: u64, path: u64) -> Vec<f64> {
        self.inputs
            .iter()
            .map(|input| {
                let mut s = rng::stream(seed, path, input.purpose);
                input.draw(&mut s)
            })
            .collect()
    }

    /// The scenario with the inputs at `values`.
    pub fn file_at(&self, values: &[f64]) -> Result<ScenarioFile, String> {
        let set: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
        self.file_with(&set)
    }

    /// The scenario with the inputs `(index, value)` set and the others at the file's values.
    fn file_with(&self, values: &[(usize, f64)]) -> Result<ScenarioFile, String> {
        let mut doc = self.base.clone();
        for &(i, v) in values {
            let input = &self.inputs[i];
            set(&mut doc, &input.key, input.toml(v))?;
        }
        deserialize(doc).map(|mut f| {
            f.book = self.book.clone();
            f
        })
    }
}

/// For a field whose allowed values are 0 or a range above some bound — not one interval, so a
/// scenario valid at the ends of a distribution over it need not be valid between them — what is
/// allowed and what to give instead of a range from 0. Such a field may be uncertain over a
/// range above 0 (the range is then checked at its ends, like any other) or over discrete values,
/// 0 among them (checked at 0 and at the smallest value above it). A sub-fund's `catch_up` is the
/// one such field whose values between would not run (`waterfall::Terms::check`). A budget's
/// "0, or at least one grant (fund, loan, prize)" is not: a drawn budget below one unit buys
/// nothing that year.
fn gap(key: &str) -> Option<&'static str> {
    match key.split('.').collect::<Vec<_>>()[..] {
        ["instruments", "sub_fund", _, "catch_up"] => Some(
            "a catch-up share is 0 (no catch-up) or above the fund's carry (at most 1), not every value between, so a draw between 0 and the carry would be invalid though both ends are valid; give low above the carry, or discrete values (checked at 0 and at the smallest above 0), e.g. { dist = \"discrete\", values = [0, 0.5, 1] }",
        ),
        _ => None,
    }
}

fn deserialize(doc: toml::Table) -> Result<ScenarioFile, String> {
    ScenarioFile::deserialize(toml::Value::Table(doc))
        .map_err(|e| crate::scenario::plain_type_error(e.message().trim()))
}

/// Sets `key` (a dotted path; in an array of tables with ids, a segment is an id) to `value`,
/// creating the tables of defaults the document does not write.
fn set(doc: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let segments: Vec<&str> = key.split('.').collect();
    set_in(doc, &segments, value, key)
}

fn id_of(v: &toml::Value) -> Option<&str> {
    v.as_table()?.get("id")?.as_str()
}

fn set_in(
    table: &mut toml::Table,
    segments: &[&str],
    value: toml::Value,
    key: &str,
) -> Result<(), String> {
    let (first, rest) = segments.split_first().expect("a key");
    if rest.is_empty() {
        if table
            .get(*first)
            .is_some_and(|v| v.is_table() || v.is_array())
        {
            return Err(format!(
                "\"{key}\" names a table or an array: give one of its values"
            ));
        }
        table.insert(first.to_string(), value);
        return Ok(());
    }
    // The arrays of elements with ids (`industries`, `targets`, `instruments.<kind>`) are not
    // tables of defaults: one the scenario does not write has no element to set.
    let above: Vec<&str> = key
        .split('.')
        .take(key.split('.').count() - segments.len())
        .collect();
    let of_ids = match above.as_slice() {
        [] => ["industries", "targets"].contains(first),
        ["instruments"] => true,
        _ => false,
    };
    if of_ids && !table.contains_key(*first) {
        let path = above
            .iter()
            .chain([first])
            .copied()
            .collect::<Vec<_>>()
            .join(".");
        return Err(format!(
            "the scenario has no {path}, so no element with id \"{}\"",
            rest[0]
        ));
    }
    let slot = table
        .entry(first.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match slot {
        toml::Value::Table(t) => set_in(t, rest, value, key),
        toml::Value::Array(items)
            if !items.is_empty() && items.iter().all(|x| id_of(x).is_some()) =>
        {
            let (id, rest) = rest.split_first().expect("checked above");
            let ids: Vec<String> = items.iter().filter_map(id_of).map(str::to_string).collect();
            let Some(item) = items.iter_mut().find(|x| id_of(x) == Some(*id)) else {
                return Err(format!(
                    "no element with id \"{id}\" in {first}: allowed are {}",
                    ids.join(", ")
                ));
            };
            if rest.is_empty() {
                return Err(format!(
                    "\"{key}\" names a whole element: give one of its keys"
                ));
            }
            set_in(
                item.as_table_mut().expect("a table with an id"),
                rest,
                value,
                key,
            )
        }
        toml::Value::Array(_) => Err(format!(
            "\"{first}\" in \"{key}\" is an array without ids: it cannot be uncertain element by element"
        )),
        _ => Err(format!(
            "\"{first}\" in \"{key}\" is a value, not a table: the key goes past it"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    /// The sample mean of `n` draws and its MCSE.
    fn mean_of(d: &Dist, n: u64) -> (f64, f64) {
        let xs: Vec<f64> = (0..n).map(|i| d.sample(&mut stream(7, i, 1))).collect();
        let s = crate::stats::summarize(&xs);
        (s.mean, s.mcse)
    }

    #[test]
    fn each_distribution_has_its_closed_form_mean_and_stays_in_range() {
        // Means: uniform (a+b)/2 = 2; loguniform (b−a)/ln(b/a) = 9/ln 10 = 3.9087; triangular
        // (a+m+b)/3 = 3; PERT (a+4m+b)/6 = (0+4+6)/6 = 1.6667 (alpha 1+4·1/6, beta 1+4·5/6);
        // discrete Σ w·v / Σ w = (1·1 + 3·5)/4 = 4.
        let cases = [
            Dist::Uniform {
                low: 1.0,
                high: 3.0,
            },
            Dist::LogUniform {
                low: 1.0,
                high: 10.0,
            },
            Dist::Triangular {
                low: 0.0,
                mode: 4.0,
                high: 5.0,
            },
            Dist::Pert {
                low: 0.0,
                high: 6.0,
                alpha: 1.0 + 4.0 / 6.0,
                beta: 1.0 + 20.0 / 6.0,
            },
            Dist::Discrete {
                values: vec![1.0, 5.0],
                cum: vec![1.0, 4.0],
            },
        ];
        let exact = [2.0, 9.0 / 10f64.ln(), 3.0, 10.0 / 6.0, 4.0];
        for (d, want) in cases.iter().zip(exact) {
            assert!((d.mean() - want).abs() < 1e-12, "{d:?}");
            let (m, se) = mean_of(d, 40_000);
            assert!((m - want).abs() < 4.0 * se, "{d:?}: {m} ± {se} vs {want}");
            let (lo, hi) = d.bounds();
            for i in 0..2000 {
                let x = d.sample(&mut stream(9, i, 2));
                assert!((lo..=hi).contains(&x), "{d:?}: {x}");
            }
        }
    }

    #[test]
    fn the_triangle_puts_its_mode_share_below_the_mode() {
        // P(X < mode) = (mode − low)/(high − low) = 0.8 for (0, 4, 5).
        let d = Dist::Triangular {
            low: 0.0,
            mode: 4.0,
            high: 5.0,
        };
        let n = 40_000;
        let below = (0..n)
            .filter(|&i| d.sample(&mut stream(3, i, 4)) < 4.0)
            .count() as f64
            / n as f64;
        let se = (0.8f64 * 0.2 / n as f64).sqrt();
        assert!((below - 0.8).abs() < 4.0 * se, "{below}");
    }

    #[test]
    fn a_whole_number_input_gives_each_value_its_share() {
        // Uniform over 5..7 for a whole-number field: 5, 6 and 7 each with probability 1/3.
        let input = Input {
            key: "x".into(),
            dist: Dist::Uniform {
                low: 5.0,
                high: 7.0,
            },
            integer: true,
            gap: false,
            purpose: 1,
        };
        let n = 30_000u64;
        let mut counts = [0u64; 3];
        for i in 0..n {
            let v = input.draw(&mut stream(5, i, 9));
            counts[(v - 5.0) as usize] += 1;
        }
        let se = (1.0 / 3.0 * 2.0 / 3.0 / n as f64).sqrt();
        for c in counts {
            let p = c as f64 / n as f64;
            assert!((p - 1.0 / 3.0).abs() < 4.0 * se, "{counts:?}");
        }
    }

    #[test]
    fn values_are_rounded_to_what_a_file_could_write() {
        assert_eq!(
            round_significant(0.123_456_789_012_345_6),
            0.123_456_789_012
        );
        assert_eq!(round_significant(123_456_789.123_456), 123_456_789.123);
    }
}
