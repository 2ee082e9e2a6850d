//! Every constraint on a scenario, checked at once, each problem with its key path.
//!
//! A problem says the value seen and what is allowed. Validation never stops at the first problem:
//! a fund manager fixing a file wants the whole list.

use super::locate::KeyPath;
use super::*;
use crate::money::to_fen;
use rust_decimal::Decimal;
use std::collections::HashSet;

mod industries;
mod instruments;
mod market;
mod settings;
mod sub_fund;
mod subsidies;
mod targets;

/// A problem at a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub path: KeyPath,
    pub message: String,
}

/// Largest amount accepted anywhere (1e15 yuan): far above any fiscal budget, and its fen fit in i64.
pub const MAX_YUAN: i64 = 1_000_000_000_000_000;
/// At most this many instruments (grant eligibility is a bit set per firm).
pub const MAX_INSTRUMENTS: usize = 64;
/// Longest horizon in years.
const MAX_HORIZON: i64 = 100;

struct Checker {
    issues: Vec<Issue>,
}

/// What the checks of several sections share: the file and its simulated years.
struct Ctx<'a> {
    f: &'a ScenarioFile,
    /// The first simulated year (`start_year`).
    first: i64,
    /// The last simulated year (the horizon taken as 1 to [`MAX_HORIZON`] years).
    last: i64,
}

impl<'a> Ctx<'a> {
    fn new(f: &'a ScenarioFile) -> Self {
        let first = f.time.start_year;
        let last = (f.time.start_year)
            .saturating_add(f.time.horizon_years.clamp(1, MAX_HORIZON))
            .saturating_sub(1);
        Ctx { f, first, last }
    }
}

impl Checker {
    fn fail(&mut self, path: KeyPath, message: String) {
        self.issues.push(Issue { path, message });
    }

    fn probability(&mut self, path: KeyPath, r: &Rate) {
        if r.0 < Decimal::ZERO || r.0 > Decimal::ONE {
            self.fail(
                path,
                format!(
                    "{} is not a probability: allowed is 0 to 1 (or \"0%\" to \"100%\")",
                    r
                ),
            );
        }
    }

    fn share(&mut self, path: KeyPath, r: &Rate) {
        if r.0 < Decimal::ZERO || r.0 > Decimal::ONE {
            self.fail(
                path,
                format!(
                    "{} is not a share: allowed is 0 to 1 (or \"0%\" to \"100%\")",
                    r
                ),
            );
        }
    }

    fn share_below_one(&mut self, path: KeyPath, r: &Rate) {
        if r.0 < Decimal::ZERO || r.0 >= Decimal::ONE {
            self.fail(
                path,
                format!(
                    "{} is outside the allowed range: at least 0 and below 1 (100%)",
                    r
                ),
            );
        }
    }

    fn amount(&mut self, path: KeyPath, m: &Money, allow_zero: bool) {
        // A positive amount must be at least one fen: the books are kept in whole fen.
        let below_a_fen = to_fen(m.0).is_some_and(|f| f < 1);
        if m.0 < Decimal::ZERO || (!allow_zero && below_a_fen) {
            let allowed = if allow_zero {
                "0 or more"
            } else {
                "at least 0.01 yuan (one fen)"
            };
            self.fail(
                path,
                format!("amount {} yuan is not allowed: must be {allowed}", m),
            );
        } else if m.0 > Decimal::from(MAX_YUAN) || to_fen(m.0).is_none() {
            self.fail(
                path,
                format!("amount {} yuan is too large: at most 1e15 yuan", m),
            );
        }
    }

    fn finite(&mut self, path: KeyPath, v: f64) -> bool {
        if !v.is_finite() {
            self.fail(path, format!("{v} is not a finite number"));
            return false;
        }
        true
    }

    fn range(&mut self, path: KeyPath, v: f64, lo: f64, hi: f64, what: &str) {
        if self.finite(path.clone(), v) && (v < lo || v > hi) {
            self.fail(
                path,
                format!("{v} is outside the allowed range {lo} to {hi} ({what})"),
            );
        }
    }

    fn ident(&mut self, path: KeyPath, id: &str, seen: &mut HashSet<String>, what: &str) {
        let ok = !id.is_empty()
            && id.len() <= 40
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            self.fail(
                path.clone(),
                format!(
                    "\"{id}\" is not a valid {what} id: use 1 to 40 ASCII letters, digits, '_' or '-'"
                ),
            );
        }
        if !seen.insert(id.to_string()) {
            self.fail(
                path,
                format!("{what} id \"{id}\" is used twice: ids must be unique"),
            );
        }
    }

    fn money_dist(&mut self, path: KeyPath, d: &MoneyDist) {
        self.amount(path.key("median"), &d.median, false);
        self.range(path.key("sigma"), d.sigma, 0.0, 5.0, "log-scale volatility");
    }

    fn multiple(&mut self, path: KeyPath, d: &MultipleDist) {
        if self.finite(path.key("median"), d.median) && (d.median <= 0.0 || d.median > 1e4) {
            self.fail(
                path.key("median"),
                format!(
                    "{} is not allowed: a multiple must be above 0 and at most 10000",
                    d.median
                ),
            );
        }
        self.range(path.key("sigma"), d.sigma, 0.0, 5.0, "log-scale volatility");
    }

    fn growth(&mut self, path: KeyPath, g: &Growth) {
        self.range(path.key("mean"), g.mean, -2.0, 2.0, "yearly log-growth");
        self.range(path.key("vol"), g.vol, 0.0, 3.0, "yearly log-volatility");
    }

    fn ages(&mut self, path: KeyPath, age: &[i64]) {
        if age.len() != 2 {
            self.fail(
                path,
                format!(
                    "{} values: an age range is two numbers [min, max], e.g. [1, 4]",
                    age.len()
                ),
            );
            return;
        }
        if age[0] < 0 || age[1] < age[0] || age[1] > 200 {
            self.fail(
                path,
                format!(
                    "[{}, {}] is not an age range: need 0 <= min <= max <= 200",
                    age[0], age[1]
                ),
            );
        }
    }

    fn year_in(&mut self, path: KeyPath, year: i64, first: i64, last: i64) {
        if year < first || year > last {
            self.fail(
                path,
                format!("year {year} is outside the simulated years {first} to {last}"),
            );
        }
    }
}

/// Firms simulated on every path, at most: each is simulated every year of every path, so this
/// bounds the work and memory of a path (the baseline has about 2,500).
pub const MAX_FIRMS_PER_PATH: f64 = 200_000.0;
/// Expected subsidy events a year over all programmes, at most (each is a claim paid exactly).
pub const MAX_SUBSIDY_EVENTS_PER_YEAR: f64 = 1_000_000.0;
/// Deals one sub-fund may make over its life (`fund_size / ticket`): each is a firm simulated.
pub const MAX_DEALS_PER_FUND: i64 = 10_000;

/// What a path of the scenario simulates, per industry: the firms at the start (the local base
/// and the established) and those expected to arrive over the horizon (new projects and large
/// arrivals).
pub fn firms_per_path(f: &ScenarioFile) -> Vec<f64> {
    let years = f.time.horizon_years.clamp(1, MAX_HORIZON) as f64;
    (f.industries.iter())
        .map(|ind| {
            // In floating point: counts are checked elsewhere and may be anything here.
            let base: f64 = (ind.stages.iter())
                .filter_map(|s| s.existing.as_ref())
                .map(|e| e.count.max(0) as f64)
                .sum::<f64>()
                + ind
                    .established
                    .as_ref()
                    .map_or(0.0, |e| e.count.max(0) as f64);
            let arriving = (ind.arrivals_per_year.max(0.0)
                + ind
                    .large_arrivals
                    .as_ref()
                    .map_or(0.0, |l| l.per_year.max(0.0)))
                * years;
            base + if arriving.is_finite() {
                arriving
            } else {
                f64::MAX
            }
        })
        .collect()
}

/// The bounds on work: firms per path, subsidy events per year, deals per fund.
fn work_bounds(c: &mut Checker, f: &ScenarioFile) {
    let firms = firms_per_path(f);
    let total: f64 = firms.iter().sum();
    if total > MAX_FIRMS_PER_PATH {
        let (i, most) = (firms.iter().enumerate())
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, n)| (i, *n))
            .unwrap_or((0, 0.0));
        c.fail(
            KeyPath::root().key("industries").index(i),
            format!(
                "the industries bring about {total:.0} firms per path (this one {most:.0}: its local base and established firms, and arrivals over {} years): at most {MAX_FIRMS_PER_PATH:.0} are simulated, since every firm is simulated every year of every path; lower the counts or arrivals (or model a sample of the firms and scale the results)",
                f.time.horizon_years
            ),
        );
    }
    let ind_firms = |ids: &[String]| -> f64 {
        (f.industries.iter().zip(&firms))
            .filter(|(ind, _)| ids.is_empty() || ids.contains(&ind.id))
            .map(|(_, n)| *n)
            .sum()
    };
    let mut events = 0.0;
    for sub in &f.instruments.subsidy {
        for r in &sub.rules {
            let ids = if r.industries.is_empty() {
                &sub.industries
            } else {
                &r.industries
            };
            let rate = match &r.events_per_firm_year {
                crate::scenario::EventRate::All(x) => *x,
                crate::scenario::EventRate::ByIndustry(m) => {
                    m.values().copied().fold(0.0, f64::max)
                }
            };
            let rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
            events += rate * ind_firms(ids) * (1 + r.follow_ups.len()) as f64;
        }
    }
    if events > MAX_SUBSIDY_EVENTS_PER_YEAR {
        c.fail(
            KeyPath::root().key("instruments").key("subsidy"),
            format!(
                "the subsidy rules expect up to {events:.0} claims a year (events_per_firm_year × the firms that may claim, with follow-ups): at most {MAX_SUBSIDY_EVENTS_PER_YEAR:.0} a year are paid claim by claim; lower the rates"
            ),
        );
    }
    for (i, fund) in f.instruments.sub_fund.iter().enumerate() {
        if let Some(t) = &fund.ticket
            && t.0 > Decimal::ZERO
            && fund.fund_size.0 / t.0 > Decimal::from(MAX_DEALS_PER_FUND)
        {
            c.fail(
                KeyPath::root().key("instruments").key("sub_fund").index(i).key("ticket"),
                format!(
                    "a fund of {} yuan in tickets of {} yuan makes more than {MAX_DEALS_PER_FUND} deals, each a firm simulated on every path: raise the ticket",
                    fund.fund_size, t
                ),
            );
        }
    }
}

/// The programme's money over the whole horizon: appropriations, loan volumes and the fund sizes
/// its commitments bring (each commitment is `city_share` of a fund) must together stay within
/// [`MAX_YUAN`], so that no sum of the books can overflow (every amount is booked in fen, in i64).
fn horizon_totals(c: &mut Checker, f: &ScenarioFile) {
    let years = f.time.horizon_years.clamp(1, MAX_HORIZON);
    let per_year = |b: &Budget| -> Decimal {
        let mut total = Decimal::ZERO;
        for (amount, from, to) in b.spans() {
            // Saturating: years are checked elsewhere and may be anything here.
            let from = from.unwrap_or(f.time.start_year);
            let to = to.unwrap_or(f.time.start_year.saturating_add(years - 1));
            let span = to.saturating_sub(from).saturating_add(1).clamp(0, years);
            let t = amount.0 * Decimal::from(span);
            total = total.checked_add(t).unwrap_or(Decimal::MAX);
        }
        total
    };
    let mut total = Decimal::ZERO;
    for inst in f.instruments.common() {
        let mut t = per_year(inst.budget);
        if inst.kind == "sub_fund"
            && let Some(fund) = f.instruments.sub_fund.iter().find(|s| s.id == inst.id)
            && fund.city_share.0 > Decimal::ZERO
        {
            t = t.checked_div(fund.city_share.0).unwrap_or(Decimal::MAX);
        }
        total = total.checked_add(t).unwrap_or(Decimal::MAX);
    }
    if total > Decimal::from(MAX_YUAN) {
        c.fail(
            KeyPath::root().key("instruments"),
            format!(
                "the instruments' money over the horizon adds up to {} yuan (budgets, loan volumes and the fund sizes behind the commitments): at most 1e15 yuan, so that the books (in fen) cannot overflow",
                total.round_dp(0)
            ),
        );
    }
}

/// `[channels]`, large-firm arrivals, incentive and talent programmes, and 返投 relocation.
fn policy_channels(c: &mut Checker, f: &ScenarioFile, ip: &KeyPath) {
    c.probability(
        KeyPath::root().key("channels").key("leakage"),
        &f.channels.leakage,
    );
    let fin = KeyPath::root().key("thresholds").key("financing");
    c.share(fin.key("ipo_float"), &f.thresholds.financing.ipo_float);
    for (i, ind) in f.industries.iter().enumerate() {
        let Some(l) = &ind.large_arrivals else {
            continue;
        };
        let p = KeyPath::root()
            .key("industries")
            .index(i)
            .key("large_arrivals");
        c.range(
            p.key("per_year"),
            l.per_year,
            0.0,
            1000.0,
            "large firms a year",
        );
        c.money_dist(p.key("value"), &l.value);
        c.money_dist(p.key("revenue"), &l.revenue);
        c.growth(p.key("revenue_growth"), &l.revenue_growth);
        if ind.entry.revenue.is_none() {
            c.fail(
                p,
                "large arrivals need the industry to model revenue (their value moves with it): give entry.revenue and every stage's revenue_growth too".into(),
            );
        }
    }
    for (n, a) in f.instruments.attraction.iter().enumerate() {
        let p = ip.key("attraction").index(n);
        c.amount(p.key("max_per_firm"), &a.max_per_firm, false);
        c.amount(p.key("half_budget"), &a.half_budget, false);
        c.share_below_one(p.key("max_share"), &a.max_share);
        let reached: Vec<&Industry> = (f.industries.iter())
            .filter(|i| a.industries.is_empty() || a.industries.contains(&i.id))
            .collect();
        if reached.iter().all(|i| i.large_arrivals.is_none()) {
            c.fail(
                p.key("industries"),
                "no industry it reaches has large_arrivals: incentives raise the arrival rate of large firms, so give [industries.large_arrivals] for its industries".into(),
            );
        }
        if !a.stages.is_empty() {
            c.fail(
                p.key("stages"),
                "stages are not used: large firms arrive as established firms".into(),
            );
        }
    }
    for (n, t) in f.instruments.talent_subsidy.iter().enumerate() {
        let p = ip.key("talent_subsidy").index(n);
        c.amount(p.key("amount"), &t.amount, false);
        c.amount(p.key("reference_pay"), &t.reference_pay, false);
        if let Some(e) = t.elasticity {
            c.range(
                p.key("elasticity"),
                e,
                0.0,
                10.0,
                "elasticity of talent inflow",
            );
        }
        if let Some(y) = t.phase_in_years
            && !(1..=30).contains(&y)
        {
            c.fail(
                p.key("phase_in_years"),
                format!("{y} is not allowed: 1 to 30 years"),
            );
        }
        if !t.stages.is_empty() {
            c.fail(
                p.key("stages"),
                "stages are not used: talents arrive with new projects".into(),
            );
        }
    }
    for (n, fund) in f.instruments.sub_fund.iter().enumerate() {
        let p = ip.key("sub_fund").index(n);
        if let Some(r) = &fund.relocation_rate {
            c.probability(p.key("relocation_rate"), r);
        }
        if let Some(r) = &fund.branch_share {
            c.probability(p.key("branch_share"), r);
        }
    }
}

/// Checks every constraint of a scenario file. An empty list means it is valid.
pub fn validate(f: &ScenarioFile) -> Vec<Issue> {
    let mut c = Checker { issues: Vec::new() };
    let root = KeyPath::root();

    settings::scenario(&mut c, f);
    settings::time(&mut c, &f.time);
    let cx = Ctx::new(f);

    market::market(&mut c, &cx, &f.market);
    let needs_revenue = market::thresholds(&mut c, &f.thresholds);

    industries::industries(&mut c, f, needs_revenue);

    let instrument_ids = instruments::common(&mut c, &cx);
    let ip = root.key("instruments");
    policy_channels(&mut c, f, &ip);
    settings::valuation(&mut c, &f.valuation);
    horizon_totals(&mut c, f);
    work_bounds(&mut c, f);
    settings::tax(&mut c, &f.tax);
    instruments::grants(&mut c, f);
    instruments::convertible_grants(&mut c, f);
    instruments::prize_equity(&mut c, f);
    instruments::direct_equity(&mut c, f);
    subsidies::subsidies(&mut c, f);
    subsidies::exclusive_groups(&mut c, f);
    sub_fund::sub_funds(&mut c, f);
    instruments::guarantees(&mut c, f);
    instruments::co_investments(&mut c, f);

    settings::program(&mut c, f, &instrument_ids);

    targets::targets(&mut c, &cx);
    uncertain(&mut c, &f.uncertain);
    c.issues
}

/// At most this many `[uncertain]` inputs: the scenario is checked at every corner of their box
/// (2^n loads) before a run.
pub const MAX_UNCERTAIN: usize = 10;

/// `[uncertain]`: each distribution has the fields its shape needs, in order. Whether each key
/// names a value of the scenario, and whether the scenario is valid over the whole range, is
/// checked when the inputs are prepared (`crate::uncertain`).
fn uncertain(c: &mut Checker, inputs: &std::collections::BTreeMap<String, UncertainInput>) {
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
        let has = |v: bool, name: &str, c: &mut Checker, why: &str| {
            if !v {
                c.fail(p.key(name), format!("a {why} distribution needs {name}"));
            }
        };
        let hasnt = |v: bool, name: &str, c: &mut Checker, why: &str| {
            if v {
                c.fail(p.key(name), format!("a {why} distribution has no {name}"));
            }
        };
        let name = match u.dist {
            DistKind::Uniform => "uniform",
            DistKind::Loguniform => "loguniform",
            DistKind::Triangular => "triangular",
            DistKind::Pert => "pert",
            DistKind::Discrete => "discrete",
        };
        match u.dist {
            DistKind::Uniform | DistKind::Loguniform | DistKind::Triangular | DistKind::Pert => {
                let three = matches!(u.dist, DistKind::Triangular | DistKind::Pert);
                has(u.low.is_some(), "low", c, name);
                has(u.high.is_some(), "high", c, name);
                if three {
                    has(u.mode.is_some(), "mode", c, name);
                } else {
                    hasnt(u.mode.is_some(), "mode", c, name);
                }
                hasnt(u.values.is_some(), "values", c, name);
                hasnt(u.weights.is_some(), "weights", c, name);
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
            DistKind::Discrete => {
                hasnt(u.low.is_some(), "low", c, name);
                hasnt(u.mode.is_some(), "mode", c, name);
                hasnt(u.high.is_some(), "high", c, name);
                match &u.values {
                    None => has(false, "values", c, name),
                    Some(v) if v.is_empty() => {
                        c.fail(p.key("values"), "no values: give at least one".into())
                    }
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
        }
    }
}
