//! Every constraint on a scenario, checked at once, each problem with its key path.
//!
//! A problem says the value seen and what is allowed. Validation never stops at the first problem:
//! a fund manager fixing a file wants the whole list.

use super::locate::KeyPath;
use super::*;
use crate::money::to_fen;
use rust_decimal::Decimal;
use std::collections::HashSet;

mod bounds;
mod channels;
mod industries;
mod instruments;
mod market;
mod settings;
mod sub_fund;
mod subsidies;
mod targets;
mod uncertain;

pub use bounds::{
    MAX_DEALS_PER_FUND, MAX_FIRMS_PER_PATH, MAX_SUBSIDY_EVENTS_PER_YEAR, firms_per_path,
};
pub use uncertain::MAX_UNCERTAIN;

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

/// For a rate above 1 that may be a percentage written without `%` (`hurdle = 8`), the value that
/// may have been meant. The value alone does not say how it was written (`8` and `"800%"` are
/// both 8), so the hint says which case it is for.
pub(crate) fn percent_slip(r: &Rate) -> String {
    let hundred = Decimal::from(100);
    if r.0 > Decimal::ONE && r.0 <= hundred {
        let fraction = (r.0 / hundred).normalize();
        format!("; if you meant {r}%, write \"{r}%\" or {fraction}")
    } else {
        String::new()
    }
}

/// A per-firm amount written as a bare number (no 元, 万 or 亿) must be at least this many yuan.
/// So must every amount of a book (`holdings`) and of an `actuals` ledger.
pub const BARE_YUAN_MIN: i64 = 10_000;

/// For an amount written as a bare number below [`BARE_YUAN_MIN`], what was probably meant, as
/// [`percent_slip`] says for a percentage written without `%`: `meant` are the units the hint
/// offers, the likelier first (万 for a grant or a ticket; 亿 too for a valuation or a year's
/// fiscal outlay).
fn bare_slip(m: &Money, meant: &[&str]) -> String {
    let as_meant: Vec<String> = meant.iter().map(|u| format!("{m}{u}")).collect();
    let written: Vec<String> = as_meant.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "a bare number is yuan, and below {BARE_YUAN_MIN} yuan it must carry its unit; if you meant {}, write {} (or \"{m}元\" for {m} yuan)",
        as_meant.join(" or "),
        written.join(" or ")
    )
}

/// The problem with amount `m` where a bare number below [`BARE_YUAN_MIN`] is a likely slip for
/// 万 or 亿 (an amount paid per firm, per item or per deal; a cell of a book or of a ledger), if
/// it has one: written bare (no 元, 万, 亿 or yuan sign), not 0, and below the floor in
/// magnitude. `meant` as [`bare_slip`]. The one rule and wording of scenario files, `--set`,
/// books and ledgers.
pub fn small_bare_amount(m: &Money, meant: &[&str]) -> Option<String> {
    let small = !m.0.is_zero() && m.0.abs() < Decimal::from(BARE_YUAN_MIN);
    (m.1.0 && small).then(|| {
        format!(
            "amount {m} yuan is not allowed as a bare number: {}",
            bare_slip(m, meant)
        )
    })
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
    /// The context of `f`: the file and its first and last simulated years.
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
                    "{r} is not a probability: allowed is 0 to 1 (or \"0%\" to \"100%\"){}",
                    percent_slip(r)
                ),
            );
        }
    }

    /// A rate that is not a probability (a fee, a preferred return, a manager's share): `what`
    /// it is, allowed from 0 to 1. Whether it was.
    fn rate(&mut self, path: KeyPath, r: &Rate, what: &str) -> bool {
        if r.0 < Decimal::ZERO || r.0 > Decimal::ONE {
            self.fail(
                path,
                format!(
                    "{r} is not allowed: {what}, a rate from 0 to 1 (\"0%\" to \"100%\"){}",
                    percent_slip(r)
                ),
            );
            return false;
        }
        true
    }

    fn share(&mut self, path: KeyPath, r: &Rate) {
        if r.0 < Decimal::ZERO || r.0 > Decimal::ONE {
            self.fail(
                path,
                format!(
                    "{r} is not a share: allowed is 0 to 1 (or \"0%\" to \"100%\"){}",
                    percent_slip(r)
                ),
            );
        }
    }

    fn share_below_one(&mut self, path: KeyPath, r: &Rate) {
        if r.0 < Decimal::ZERO || r.0 >= Decimal::ONE {
            self.fail(
                path,
                format!(
                    "{} is outside the allowed range: at least 0 and below 1 (100%){}",
                    r,
                    percent_slip(r)
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

    /// An amount paid per firm, per item or per deal (a grant, a ticket, a loan, a cap): as
    /// [`Checker::amount`], and a bare number below [`BARE_YUAN_MIN`] is refused as a likely slip
    /// for 万 (`amount = 200` meant as 200万). Written with its unit (`"200元"`) it is accepted.
    fn per_firm_amount(&mut self, path: KeyPath, m: &Money, allow_zero: bool) {
        let before = self.issues.len();
        self.amount(path.clone(), m, allow_zero);
        if self.issues.len() == before
            && let Some(problem) = small_bare_amount(m, &["万"])
        {
            self.fail(path, problem);
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

/// Checks every constraint of a scenario file. An empty list means it is valid.
///
/// The problems come in the order of the calls below (the command line shows the first ones), so
/// the order is part of the output: a new check goes where its section is checked.
pub fn validate(f: &ScenarioFile) -> Vec<Issue> {
    let mut c = Checker { issues: Vec::new() };
    settings::scenario(&mut c, f);
    settings::time(&mut c, &f.time);
    let cx = Ctx::new(f);
    market::market(&mut c, &cx, &f.market);
    let needs_revenue = market::thresholds(&mut c, &f.thresholds);
    industries::industries(&mut c, f, needs_revenue);
    let instrument_ids = instruments::common(&mut c, &cx);
    channels::policy_channels(&mut c, f);
    settings::valuation(&mut c, &f.valuation);
    bounds::horizon_totals(&mut c, f);
    bounds::work_bounds(&mut c, f);
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
    uncertain::uncertain(&mut c, &f.uncertain);
    c.issues
}
