//! `[uncertain]`: the inputs drawn from a distribution.

use super::*;
use std::collections::BTreeMap;

/// At most this many `[uncertain]` inputs: the scenario is checked at every corner of their box
/// (2^n loads) before a run.
pub const MAX_UNCERTAIN: usize = 10;

/// `[uncertain]`: each distribution has the fields its shape needs, in order. Whether each key
/// names a value of the scenario, and whether the scenario is valid over the whole range, is
/// checked when the inputs are prepared (`crate::uncertain`).
pub(super) fn uncertain(c: &mut Checker, inputs: &BTreeMap<String, UncertainInput>) {
    let root = KeyPath::root().key("uncertain");
    if inputs.len() > MAX_UNCERTAIN {
        c.fail(
            root.clone(),
            format!(
                "{} uncertain inputs: at most {MAX_UNCERTAIN} (the scenario is checked at every corner of their ranges)",
                inputs.len()
            ),
        );
    }
    for (key, u) in inputs {
        let p = root.key(key);
        input_key(c, &p, key);
        distribution(c, &p, u);
    }
}

/// An uncertain input's key: dotted keys as for --set, not a target's definition, not a table that
/// fixes the run's shape.
fn input_key(c: &mut Checker, p: &KeyPath, key: &str) {
    let bare = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    };
    let first = key.split('.').next().unwrap_or("");
    if !key.split('.').all(bare) {
        c.fail(
            p.clone(),
            format!(
                "\"{key}\" is not a key: use the dotted keys of --set (ASCII letters, digits, '_' or '-'), e.g. \"channels.leakage\""
            ),
        );
    } else if key.starts_with("targets.")
        && ["deadline", "metric", "direction", "id", "label"]
            .contains(&key.rsplit('.').next().unwrap_or(""))
    {
        c.fail(
            p.clone(),
            format!(
                "\"{key}\" cannot be uncertain: a target's deadline, metric and direction define what the reports count (its threshold may be uncertain)"
            ),
        );
    } else if ["scenario", "time", "uncertain", "extends"].contains(&first) {
        c.fail(
            p.clone(),
            format!(
                "\"{key}\" cannot be uncertain: [{first}] fixes the run's shape; uncertain inputs are values of the market, thresholds, program, industries, instruments, targets, channels, valuation or tax"
            ),
        );
    }
}

/// A field the distribution `why` needs (`v`: it is given).
fn has(c: &mut Checker, p: &KeyPath, v: bool, name: &str, why: &str) {
    if !v {
        c.fail(p.key(name), format!("a {why} distribution needs {name}"));
    }
}

/// A field the distribution `why` does not take (`v`: it is given).
fn hasnt(c: &mut Checker, p: &KeyPath, v: bool, name: &str, why: &str) {
    if v {
        c.fail(p.key(name), format!("a {why} distribution has no {name}"));
    }
}

/// An uncertain input's distribution: a range (uniform, loguniform, triangular, pert) or discrete
/// values.
fn distribution(c: &mut Checker, p: &KeyPath, u: &UncertainInput) {
    let name = match u.dist {
        DistKind::Uniform => "uniform",
        DistKind::Loguniform => "loguniform",
        DistKind::Triangular => "triangular",
        DistKind::Pert => "pert",
        DistKind::Discrete => "discrete",
    };
    match u.dist {
        DistKind::Uniform | DistKind::Loguniform | DistKind::Triangular | DistKind::Pert => {
            range_distribution(c, p, u, name)
        }
        DistKind::Discrete => discrete(c, p, u, name),
    }
}

/// A distribution over a range: low below high, a mode within for triangular and pert, a positive
/// range for loguniform; no values or weights.
fn range_distribution(c: &mut Checker, p: &KeyPath, u: &UncertainInput, name: &str) {
    let three = matches!(u.dist, DistKind::Triangular | DistKind::Pert);
    has(c, p, u.low.is_some(), "low", name);
    has(c, p, u.high.is_some(), "high", name);
    if three {
        has(c, p, u.mode.is_some(), "mode", name);
    } else {
        hasnt(c, p, u.mode.is_some(), "mode", name);
    }
    hasnt(c, p, u.values.is_some(), "values", name);
    hasnt(c, p, u.weights.is_some(), "weights", name);
    if let (Some(lo), Some(hi)) = (u.low, u.high) {
        if lo.0 >= hi.0 {
            c.fail(
                p.key("high"),
                format!("high {} is not above low {}: give a range", hi.0, lo.0),
            );
        } else if let Some(m) = u.mode.filter(|_| three)
            && !(lo.0 <= m.0 && m.0 <= hi.0)
        {
            c.fail(
                p.key("mode"),
                format!("mode {} is outside [{}, {}]", m.0, lo.0, hi.0),
            );
        }
        if u.dist == DistKind::Loguniform && lo.0 <= Decimal::ZERO {
            c.fail(
                p.key("low"),
                format!("{} is not above 0: a loguniform range is positive", lo.0),
            );
        }
    }
}

/// A discrete distribution: values, with one weight each (0 or more, not all 0) if weighted; no
/// low, mode or high.
fn discrete(c: &mut Checker, p: &KeyPath, u: &UncertainInput, name: &str) {
    hasnt(c, p, u.low.is_some(), "low", name);
    hasnt(c, p, u.mode.is_some(), "mode", name);
    hasnt(c, p, u.high.is_some(), "high", name);
    match &u.values {
        None => has(c, p, false, "values", name),
        Some(v) if v.is_empty() => c.fail(p.key("values"), "no values: give at least one".into()),
        Some(v) => {
            if let Some(w) = &u.weights {
                if w.len() != v.len() {
                    c.fail(
                        p.key("weights"),
                        format!(
                            "{} weights for {} values: give one weight per value",
                            w.len(),
                            v.len()
                        ),
                    );
                } else if w.iter().any(|x| !(x.is_finite() && *x >= 0.0))
                    || w.iter().sum::<f64>() <= 0.0
                {
                    c.fail(
                        p.key("weights"),
                        "weights must be 0 or more, and not all 0".into(),
                    );
                }
            }
        }
    }
}
