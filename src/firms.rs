//! Firms of one path, bottom-up, and their year: rounds, exits, failures, arrivals, revenue; the
//! effects of policy on supported firms, and the shadows that say what the support caused.
//!
//! Reference formulation (DOMAIN.md §4). A firm of industry `i` in stage `s` sees the factor `x`.
//! Its yearly probabilities move on the logit scale,
//! `g' = logistic(logit g_s + a_g·x)`, `e' = logistic(logit e_s + a_e·x)`,
//! `f' = logistic(logit f_s − a_f·x)`, rescaled to sum to 1 if they exceed it, and one uniform draw
//! `u` picks the outcome: a round if `u < g`, an exit if `g ≤ u < g + e`, a failure if `u ≥ 1 − f`,
//! nothing in between. (Computed as `1/(1 + odds·e^{−a·x})` with the odds against the base
//! probability: three `exp` per industry-year instead of three per stage.)
//! - Round: post-money `V' = V·exp(μ + σz + b·x)` with the next stage's step-up; the round sells a
//!   fraction `d` of the firm, so earlier holders keep `(1-d)` of their stake (the firm's
//!   *retention* factor is the product of `(1-d)` over its rounds).
//! - Exit: exit value `V·exp(μ_e + σ_e z + b_e·x)`, an IPO with probability `ipo_share`, else M&A;
//!   an acquired local firm leaves the city with the scenario's `leakage` probability (and then
//!   counts toward nothing local). Exited firms that stay keep operating (they count toward chain
//!   leaders and clusters).
//! - Revenue, when modelled: `R_{t+1} = R_t·exp(γ + ηz)` with the stage's growth (the last stage's
//!   after an exit). Established firms grow likewise and their value moves with their revenue.
//!
//! **Policy effects.** An instrument's support can be *additional* for a firm (decided once per
//! firm and instrument, with the instrument's `additional_share`); then, for the effect's years,
//! the firm's yearly odds of a round, an exit and a failure are multiplied by the effect's
//! multipliers (`p' = m·p / (1 − p + m·p)`, before the rescaling) and its revenue growth is
//! shifted. Effects of several instruments multiply (odds) and add (growth); a second support by
//! the same instrument extends its window rather than stacking. Because the round band starts at 0
//! and the failure band ends at 1, the same `u` under a stronger positive effect can only move
//! from failure to survival and from nothing or an exit to a round: never from a round to a
//! failure.
//!
//! **Shadows.** When a support is additional for a firm that has no shadow yet, the firm's state
//! is copied into a shadow, which lives on under the same counter draws but without any effect
//! (or, for a firm the policy brought into the city, is absent). The difference between the firm
//! and its shadow, summed over shadows, is what the policy caused: rounds, exits, (potential)
//! unicorns, chain leaders. Only supported firms have shadows, so the cost is small.
//!
//! **Random numbers.** Every draw of a firm comes from a [`rng::Counter`] keyed by the firm's key,
//! the year and the purpose, so what one firm does never shifts another's numbers (see
//! `rng.rs`). Firms are stored as a structure of arrays, reused from path to path.

use std::iter::repeat_n;

use crate::effects::Boost;
use crate::model::{IndustryModel, LogNormal, Model};
use crate::rng::{
    self, Bits, Counter, counter, exp, int_between, normal, poisson, purpose, uniform,
};

/// No firm value or revenue exceeds 10万亿 yuan (1e13, above the largest listed companies): a
/// numerical guard for the far tails of many compounded log-normal draws, which keeps every sum of
/// fen in a path well inside `i64`.
pub const MAX_FIRM_AMOUNT: f64 = 1e13;

/// No list entry.
pub const NONE: u32 = u32::MAX;

/// A log-normal amount, capped at [`MAX_FIRM_AMOUNT`].
#[inline]
fn amount(d: LogNormal, rng: &mut Counter) -> f64 {
    exp(d.mu + d.sigma * normal(rng)).min(MAX_FIRM_AMOUNT)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Active,
    Listed,
    Acquired,
    Failed,
    Established,
}

/// [`Firms::flags`] bit: a chain leader at the start year.
pub const AT_START_LEADER: u8 = 1;
/// [`Firms::flags`] bit: a unicorn or potential unicorn at the start year.
pub const AT_START_UNICORN: u8 = 2;
/// [`Firms::flags`] bit: a large firm that arrived after the start year (grows as large arrivals
/// do).
pub const LARGE_ARRIVAL: u8 = 4;
/// [`Firms::flags`] bit: the city holds or held equity in the firm (direct equity, co-investment,
/// prize equity, a converted 拨投 grant or a deal of its sub-funds): 获得政府引导基金投资.
pub const CITY_INVESTED: u8 = 8;

/// A round raised this year by a local firm (including a new project's entry round).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundEvent {
    pub firm: u32,
    pub industry: u8,
    /// The stage the round brings the firm into.
    pub stage: u8,
    pub post_money: f64,
    pub size: f64,
}

/// One instrument's effect on one firm: acting in the years up to `until` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectNode {
    pub instrument: u16,
    pub until: u32,
    pub boost: Boost,
    /// Next node of the same firm, or [`NONE`].
    pub next: u32,
}

/// What a supported firm would have done without any policy effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shadow {
    pub firm: u32,
    /// The instrument its additional outcomes are credited to (the first whose support was
    /// additional, or that brought the firm into the city).
    pub credit: u16,
    /// False: without the policy the firm would not be in the city at all.
    pub present: bool,
    pub stage: u8,
    pub status: Status,
    pub value: f64,
    pub revenue: f64,
    pub last_round: i32,
    /// Whether the firm / its shadow was a new (potential) unicorn in some year.
    pub unicorn_ever: [bool; 2],
    /// Whether the firm / its shadow was a new chain leader in some year.
    pub leader_ever: [bool; 2],
}

/// What an instrument's support caused in a path, summed over the shadows credited to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Credit {
    pub rounds: i64,
    pub exits: i64,
    pub projects: i64,
    pub talents: i64,
    pub unicorns: i64,
    pub leaders: i64,
}

/// All firms of a path, as parallel arrays indexed by firm id.
#[derive(Debug, Clone, Default)]
pub struct Firms {
    pub industry: Vec<u8>,
    pub stage: Vec<u8>,
    pub status: Vec<Status>,
    /// Year index of founding (negative for firms founded before the start year).
    pub birth: Vec<i32>,
    /// Last post-money while active; exit value once exited; model value if established.
    pub value: Vec<f64>,
    pub revenue: Vec<f64>,
    /// Product of `(1 - dilution)` over the firm's rounds since it was created.
    pub retention: Vec<f64>,
    /// Money its rounds raised in all (for liquidation preferences), in yuan.
    pub raised: Vec<f64>,
    /// Year index of the firm's latest round (its entry round for new projects; −1 if none yet).
    pub last_round: Vec<i32>,
    /// Whether the firm is in the city (false for sub-funds' outside firms and firms that left).
    pub local: Vec<bool>,
    /// Whether any instrument has supported the firm.
    pub supported: Vec<bool>,
    /// Bit `k` set: grant instrument `k` has paid this firm.
    pub granted: Vec<u64>,
    /// [`AT_START_LEADER`], [`AT_START_UNICORN`], [`LARGE_ARRIVAL`], [`CITY_INVESTED`]: what the
    /// firm already was at the start year (so that "new" chain leaders and unicorns leave the
    /// initial base out), how it came, and whether the city invested in it.
    pub flags: Vec<u8>,
    /// The key of the firm's counter draws.
    pub key: Vec<u64>,
    /// First [`EffectNode`] acting on the firm, or [`NONE`].
    pub effect: Vec<u32>,
    /// The firm's [`Shadow`], or [`NONE`].
    pub shadow: Vec<u32>,
    pub effects: Vec<EffectNode>,
    pub shadows: Vec<Shadow>,
    /// Indices into `shadows` of those that may still count, in order: a shadow whose firm failed
    /// and that failed or is absent itself adds nothing to any year's metrics again (both are
    /// for good), and [`Firms::prune_shadows`] drops it from the yearly passes.
    pub(crate) live_shadows: Vec<u32>,
    /// Per instrument: what its support caused so far.
    pub credits: Vec<Credit>,
    /// Per industry: the path's key, parent of its firms' keys.
    pub industry_keys: Vec<u64>,
    /// Per industry: this year's outcome thresholds (set by [`Firms::begin_year`]).
    pub tables: Vec<YearTable>,
    /// Per industry: ids of active (unexited) firms, in creation order.
    pub active: Vec<Vec<u32>>,
    /// Per industry: ids of listed or acquired firms still in the city.
    pub exited: Vec<Vec<u32>>,
    /// Per industry: ids of established firms (the start year's and large arrivals).
    pub established: Vec<Vec<u32>>,
    /// Per industry: active firms outside the city that sub-funds invested in. They follow the same
    /// ladder (from their own draws) but count toward no local metric and take no local instrument.
    pub outside: Vec<Vec<u32>>,
    /// Listed firms, local or not: their price moves every year.
    pub listed: Vec<u32>,
    /// Id of the book's first firm (the book's firms follow in its order).
    pub book_start: u32,
}

/// What happened in the firm population in one year, over all industries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearEvents {
    pub rounds: Vec<RoundEvent>,
    pub counts: YearCounts,
    /// Large firms that arrived this year (incentive programmes pay them).
    pub large_arrivals: Vec<u32>,
    /// Per industry: projects landed this year (new projects, and firms a sub-fund moved to the
    /// city) and the talents they brought; what a talent subsidy pays and raises.
    pub arrivals_by_industry: Vec<i64>,
    pub talents_by_industry: Vec<i64>,
    /// New capital raised by this year's IPOs of local firms, in yuan (their listing value).
    pub ipo_value: f64,
}

impl YearEvents {
    pub fn clear(&mut self, n_industries: usize) {
        self.rounds.clear();
        self.counts = YearCounts::default();
        self.large_arrivals.clear();
        self.arrivals_by_industry.clear();
        self.arrivals_by_industry.resize(n_industries, 0);
        self.talents_by_industry.clear();
        self.talents_by_industry.resize(n_industries, 0);
        self.ipo_value = 0.0;
    }
}

/// Counts of what happened in one year, summed over industries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearCounts {
    pub arrivals: i64,
    /// Outside firms that moved to the city (they count as projects landed).
    pub relocations: i64,
    pub talents: i64,
    pub exits: i64,
    pub ipos: i64,
    pub failures: i64,
    pub large_arrivals: i64,
    /// What the policy caused this year: rounds and exits (firm minus shadow), projects brought
    /// into the city, talents added.
    pub additional_rounds: i64,
    pub additional_exits: i64,
    pub additional_projects: i64,
    pub additional_talents: i64,
}

/// An industry-year's outcome probabilities per stage and valuation drifts.
#[derive(Debug, Clone, Copy)]
pub struct YearTable {
    stages: [StageYear; 32],
    value_drift: f64,
    exit_drift: f64,
    /// `e^{b·x}`: how the market moves a private firm's mark this year ([`Firms::mark`]), once
    /// per industry-year rather than once per position valued.
    mark: f64,
}

impl Default for YearTable {
    fn default() -> Self {
        YearTable {
            stages: [StageYear::default(); 32],
            value_drift: 0.0,
            exit_drift: 0.0,
            mark: 1.0,
        }
    }
}

impl YearTable {
    /// Industry `i`'s table in a year whose factor is `x`, written over this one: only the
    /// industry's stages (the rest are never read), in place.
    pub fn set(&mut self, model: &Model, i: usize, x: f64) {
        let mk = &model.market;
        // e^{−s} of each logit shift, once per industry-year (failure moves against the market).
        let shifts = [
            exp(-mk.a_round * x),
            exp(-mk.a_exit * x),
            exp(mk.a_fail * x),
        ];
        for (s, st) in model.industries[i].stages.iter().enumerate() {
            self.stages[s] = StageYear::new([st.odds_round, st.odds_exit, st.odds_fail], shifts);
        }
        self.value_drift = mk.b_value * x;
        self.exit_drift = mk.b_exit_value * x;
        self.mark = exp(mk.b_value * x);
    }

    /// Round, exit and failure probabilities of stage `s` this year, under `boost`.
    #[inline]
    pub fn probabilities(&self, s: usize, boost: Option<&Boost>) -> Bands {
        let st = &self.stages[s];
        match boost {
            None => st.bands,
            Some(b) => Bands::rescaled(
                moved(st.raw[0], b.round),
                moved(st.raw[1], b.exit),
                moved(st.raw[2], b.fail),
            ),
        }
    }
}

/// A stage's probabilities in one industry-year: as the market moves them (`raw`) and rescaled.
#[derive(Debug, Clone, Copy, Default)]
struct StageYear {
    raw: [f64; 3],
    bands: Bands,
    /// `bands` as cuts on the 53 bits a uniform is made of.
    cuts: Cuts,
}

impl StageYear {
    fn new(odds: [f64; 3], shifts: [f64; 3]) -> Self {
        let raw = [
            shifted(odds[0], shifts[0]),
            shifted(odds[1], shifts[1]),
            shifted(odds[2], shifts[2]),
        ];
        let bands = Bands::rescaled(raw[0], raw[1], raw[2]);
        StageYear {
            raw,
            bands,
            cuts: Cuts::of(&bands),
        }
    }
}

/// [`Bands::outcome`] in integers. A uniform is `u = m / 2^53` for the integer `m` of its 53 bits
/// ([`uniform`]), exactly, and for a probability `t`, `u < t` exactly when `m < ⌈t·2^53⌉`
/// (`t·2^53` is exact: a power of two). So comparing `m` with these cuts picks the outcome
/// [`Bands::outcome`] picks from `u`, with no conversion to a double and no sums at every
/// firm-year. The test `cuts_pick_what_bands_pick` holds the two equal at and around every cut.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cuts {
    /// `⌈round·2^53⌉`: below it a round.
    round: u64,
    /// `⌈(round + exit)·2^53⌉`, the sum as [`Bands::outcome`] works it out: below it an exit.
    exit: u64,
    /// `⌈(1 − fail)·2^53⌉`: from it on a failure.
    fail: u64,
}

impl Cuts {
    fn of(b: &Bands) -> Self {
        Cuts {
            round: cut(b.round),
            exit: cut(b.round + b.exit),
            fail: cut(1.0 - b.fail),
        }
    }

    #[inline]
    fn outcome(&self, m: u64) -> Outcome {
        if m < self.round {
            Outcome::Round
        } else if m < self.exit {
            Outcome::Exit
        } else if m >= self.fail {
            Outcome::Fail
        } else {
            Outcome::Stay
        }
    }
}

/// `⌈t·2^53⌉` for `t ≥ 0` (0 for a negative `t`, which no uniform is below). A NaN is no
/// probability: nothing is below it and nothing at or above it, which no integer cut can say.
fn cut(t: f64) -> u64 {
    assert!(!t.is_nan(), "a probability is NaN");
    let y = t * (1u64 << 53) as f64;
    let whole = y as u64; // toward zero; from 2^52 on every double is whole
    if (whole as f64) < y { whole + 1 } else { whole }
}

/// Yearly round, exit and failure probabilities, summing to at most 1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bands {
    pub round: f64,
    pub exit: f64,
    pub fail: f64,
}

impl Bands {
    /// Divided by their sum if it exceeds 1.
    #[inline]
    pub fn rescaled(g: f64, e: f64, f: f64) -> Self {
        let sum = g + e + f;
        let k = if sum > 1.0 { 1.0 / sum } else { 1.0 };
        Bands {
            round: g * k,
            exit: e * k,
            fail: f * k,
        }
    }

    /// The outcome of uniform `u`: round in `[0, g)`, exit in `[g, g + e)`, failure in
    /// `[1 − f, 1)`.
    #[inline]
    pub fn outcome(&self, u: f64) -> Outcome {
        if u < self.round {
            Outcome::Round
        } else if u < self.round + self.exit {
            Outcome::Exit
        } else if u >= 1.0 - self.fail {
            Outcome::Fail
        } else {
            Outcome::Stay
        }
    }
}

/// What a uniform picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Fail,
    Stay,
    Exit,
    Round,
}

/// `p` with its odds multiplied by `m > 0`: `m·p / (1 − p + m·p)`.
#[inline]
pub fn moved(p: f64, m: f64) -> f64 {
    if m == 1.0 || p <= 0.0 || p >= 1.0 {
        p
    } else {
        m * p / (1.0 - p + m * p)
    }
}

/// A firm-year's transition, as drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Round { next: u8, post: f64 },
    Exit { value: f64, ipo: bool, leaves: bool },
    Fail,
    Stay,
}

/// The outcome of a firm-year in stage `s` under `boost`: the first draw of its counter `c`.
#[inline(always)]
fn decide(table: &YearTable, s: usize, boost: Option<&Boost>, c: &mut Counter) -> Outcome {
    let m = c.next_u64() >> 11; // the 53 bits of `uniform(c)`
    match boost {
        None => table.stages[s].cuts.outcome(m),
        Some(_) => (table.probabilities(s, boost)).outcome(m as f64 * (1.0 / (1u64 << 53) as f64)),
    }
}

/// What `outcome` of a firm of industry `ind` in stage `s` comes to, for a firm valued `value` at
/// a price `since` years old (aged by `rules` only if it exits: most firm-years need no `exp`),
/// from its counter `c` after the outcome's draw (the round's or exit's draws). Only a round or an
/// exit reads the value and its age, so a firm-year that stays or fails reads neither.
#[inline(always)]
fn step(
    ind: &IndustryModel,
    table: &YearTable,
    (outcome, s): (Outcome, usize),
    value_since: impl FnOnce() -> (f64, f64),
    rules: &crate::valuation::Rules,
    c: &mut Counter,
    leakage: f64,
) -> Step {
    match outcome {
        Outcome::Round => {
            let next = (s + 1).min(ind.stages.len() - 1);
            let step = ind.stages[next]
                .step_up
                .expect("validated: stages after the first have a step-up");
            let z = normal(c);
            let (value, _) = value_since();
            let post =
                (value * exp(step.mu + step.sigma * z + table.value_drift)).min(MAX_FIRM_AMOUNT);
            Step::Round {
                next: next as u8,
                post,
            }
        }
        Outcome::Exit => {
            // A firm that exits long after its last round is worth its stale mark times the
            // multiple.
            let st = &ind.stages[s];
            let z = normal(c);
            let (value, since) = value_since();
            let value = (value
                * rules.staleness(since)
                * exp(st.exit_multiple.mu + st.exit_multiple.sigma * z + table.exit_drift))
            .min(MAX_FIRM_AMOUNT);
            let ipo = uniform(c) < st.ipo_share;
            let leaves = !ipo && leakage > 0.0 && uniform(c) < leakage;
            Step::Exit { value, ipo, leaves }
        }
        Outcome::Fail => Step::Fail,
        Outcome::Stay => Step::Stay,
    }
}

/// A year's revenue growth factor `exp(γ + shift + ηz)` (no draw without a growth model).
#[inline(always)]
fn growth(g: Option<(f64, f64)>, shift: f64, key: u64, salt: u64) -> f64 {
    match g {
        Some((mean, vol)) => {
            let mut c = counter(key, salt, purpose::REVENUE);
            exp(mean + shift + vol * normal(&mut c))
        }
        None if shift != 0.0 => exp(shift),
        None => 1.0,
    }
}

/// Revenue growth of a firm of `ind` in stage `stage` with `status` (the last stage's after an
/// exit; none once failed).
#[inline]
fn revenue_model(ind: &IndustryModel, stage: usize, status: Status) -> Option<(f64, f64)> {
    match status {
        Status::Active => ind.stages[stage].revenue_growth,
        Status::Listed | Status::Acquired => ind.stages[ind.stages.len() - 1].revenue_growth,
        Status::Failed | Status::Established => None,
    }
}

/// What is drawn or known of a firm when it comes into being: [`Firms::push_drawn`] records it,
/// [`Firms::push`] also its fresh state and retention.
#[derive(Debug, Clone, Copy)]
struct NewFirm {
    industry: usize,
    stage: usize,
    status: Status,
    /// Year index of founding.
    birth: i32,
    value: f64,
    revenue: f64,
    key: u64,
}

impl Firms {
    pub fn clear(&mut self, n_industries: usize, n_instruments: usize) {
        self.industry.clear();
        self.stage.clear();
        self.status.clear();
        self.birth.clear();
        self.value.clear();
        self.revenue.clear();
        self.retention.clear();
        self.raised.clear();
        self.listed.clear();
        self.last_round.clear();
        self.local.clear();
        self.supported.clear();
        self.granted.clear();
        self.flags.clear();
        self.key.clear();
        self.effect.clear();
        self.shadow.clear();
        self.effects.clear();
        self.shadows.clear();
        self.live_shadows.clear();
        self.credits.clear();
        self.credits.resize(n_instruments, Credit::default());
        self.industry_keys.clear();
        self.tables.resize_with(n_industries, YearTable::default);
        for lists in [
            &mut self.active,
            &mut self.exited,
            &mut self.established,
            &mut self.outside,
        ] {
            lists.resize_with(n_industries, Vec::new);
            lists.truncate(n_industries);
            for l in lists.iter_mut() {
                l.clear();
            }
        }
    }

    pub fn len(&self) -> usize {
        self.status.len()
    }

    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }

    /// Adds firm `new` with a retention of `retention`; returns its id.
    fn push(&mut self, new: NewFirm, retention: f64) -> u32 {
        let id = self.push_drawn(new);
        self.fill_fresh();
        self.retention[id as usize] = retention;
        // What the firm's rounds raised, as if at today's price: an estimate for firms whose
        // history the model does not know (the existing base, outside firms), exact from then on.
        self.raised[id as usize] = new.value * (1.0 - retention);
        id
    }

    /// A new firm's drawn state and its place in its industry's list; the rest of its state is
    /// [`Firms::push`]'s (one firm) or [`Firms::fill_fresh`]'s (all the firms of the local base).
    #[inline(always)]
    fn push_drawn(&mut self, new: NewFirm) -> u32 {
        let NewFirm {
            industry,
            stage,
            status,
            birth,
            value,
            revenue,
            key,
        } = new;
        let id = self.status.len() as u32;
        self.industry.push(industry as u8);
        self.stage.push(stage as u8);
        self.status.push(status);
        self.birth.push(birth);
        self.value.push(value);
        self.revenue.push(revenue);
        self.key.push(key);
        match status {
            Status::Established => self.established[industry].push(id),
            _ => self.active[industry].push(id),
        }
        id
    }

    /// `m` firms of industry `i` in stage `stage` with `status`, the `j`-th keyed `key(j)`, added
    /// column by column (each column grows once; the columns they all share filled): each draws
    /// its value, revenue and founding year from its own counter with `draw`. The bulk form of
    /// [`Firms::push_drawn`]; returns the new ids.
    fn add_drawn(
        &mut self,
        (i, stage, status): (usize, usize, Status),
        (m, key): (usize, impl Fn(u64) -> u64),
        draw: impl Fn(&mut Counter) -> (f64, f64, i32),
    ) -> std::ops::Range<u32> {
        let first = self.status.len();
        self.key.extend((0..m as u64).map(key));
        self.value.reserve(m);
        self.revenue.reserve(m);
        self.birth.reserve(m);
        for &key in &self.key[first..] {
            let (value, revenue, birth) = draw(&mut counter(key, 0, purpose::CREATE));
            self.value.push(value);
            self.revenue.push(revenue);
            self.birth.push(birth);
        }
        self.industry.extend(repeat_n(i as u8, m));
        self.stage.extend(repeat_n(stage as u8, m));
        self.status.extend(repeat_n(status, m));
        let ids = first as u32..(first + m) as u32;
        match status {
            Status::Established => self.established[i].extend(ids.clone()),
            _ => self.active[i].extend(ids.clone()),
        }
        ids
    }

    /// The state of a new firm with a retention of 1 (no rounds known: nothing raised), for every
    /// firm added since the last fill: one firm for [`Firms::push`], a year's new projects for
    /// [`Firms::arrive`], the whole local base for [`Firms::populate`].
    #[inline(always)]
    fn fill_fresh(&mut self) {
        let added = self.status.len() - self.retention.len();
        // One firm (most calls: an outside firm, a large arrival) by a push each; several by
        // an extension each, the column growing once.
        macro_rules! fresh {
            ($($field:ident: $value:expr),+) => {
                if added == 1 {
                    $(self.$field.push($value);)+
                } else {
                    $(self.$field.extend(repeat_n($value, added));)+
                }
            };
        }
        fresh!(
            retention: 1.0,
            raised: 0.0,
            last_round: -1,
            local: true,
            supported: false,
            granted: 0,
            flags: 0,
            effect: NONE,
            shadow: NONE
        );
    }

    /// A firm outside the city entering at `stage` with post-money `value` in year `year` (the round
    /// a sub-fund joins), drawing from `key`. Returns its id.
    pub fn add_outside(
        &mut self,
        industry: usize,
        stage: usize,
        value: f64,
        year: usize,
        key: u64,
    ) -> u32 {
        let id = self.push(
            NewFirm {
                industry,
                stage,
                status: Status::Active,
                birth: year as i32,
                value,
                revenue: 0.0,
                key,
            },
            1.0,
        );
        self.active[industry].pop();
        self.outside[industry].push(id);
        self.local[id as usize] = false;
        self.last_round[id as usize] = year as i32;
        id
    }

    /// Outside firm `firm`'s founding year, for one that entered at its stage in year `year`:
    /// `year` less an age drawn from the existing base (`existing.age`, the ages of the local
    /// firms there) of its stage, or of the nearest earlier stage that has one (a firm is at least
    /// as old as the firms a stage below), from the firm's own counter; `year` itself when no
    /// stage up to its own has an existing base. A firm bought at a later stage is then no younger
    /// than the city's own firms, so once it moves it meets the (potential) unicorn age limits as
    /// they do.
    pub fn date_outside(&mut self, ind: &IndustryModel, firm: u32, year: usize) {
        let f = firm as usize;
        let stage = self.stage[f] as usize;
        let Some(ex) = ind.stages[..=stage]
            .iter()
            .rev()
            .find_map(|s| s.existing.as_ref())
        else {
            return;
        };
        let age = int_between(
            &mut counter(self.key[f], 0, purpose::CREATE),
            ex.age.0,
            ex.age.1,
        );
        self.birth[f] = year as i32 - age as i32;
    }

    /// Age in whole years during year index `year`.
    #[inline]
    pub fn age(&self, firm: usize, year: usize) -> i64 {
        year as i64 - self.birth[firm] as i64
    }

    /// The local base at the start year of path `path` of a run seeded with `seed`: existing
    /// firms by stage, and established firms.
    pub fn populate(&mut self, model: &Model, seed: u64, path: u64) {
        self.clear(model.industries.len(), model.instruments.len());
        self.industry_keys.extend(
            (model.industries.iter()).map(|ind| rng::key(seed, path, rng::industry_firms(&ind.id))),
        );
        for (i, ind) in model.industries.iter().enumerate() {
            let parent = self.industry_keys[i];
            for (s, st) in ind.stages.iter().enumerate() {
                let Some(ex) = &st.existing else { continue };
                // The book's firms are part of the local base: each takes the place of one firm of
                // its industry and stage (the last ones), so the base keeps its size.
                let in_book = model.book.as_ref().map_or(0, |b| b.in_cell[i][s]);
                let m = (ex.count as usize).saturating_sub(in_book);
                let keys = (m, |j| rng::child(parent, purpose::EXISTING, s as u64, j));
                self.add_drawn((i, s, Status::Active), keys, |c| {
                    let value = amount(ex.value, c);
                    let age = int_between(c, ex.age.0, ex.age.1);
                    let revenue = ex.revenue.map_or(0.0, |r| amount(r, c));
                    (value, revenue, -(age as i32))
                });
            }
            if let Some(est) = &ind.established {
                let keys = (est.count as usize, |j| {
                    rng::child(parent, purpose::ESTABLISHED, 0, j)
                });
                // Established firms take no rounds and meet no age-based threshold: their stage
                // and founding year are never read.
                let last = ind.stages.len() - 1;
                self.add_drawn((i, last, Status::Established), keys, |c| {
                    (amount(est.value, c), amount(est.revenue, c), 0)
                });
            }
        }
        // A value times (1 − 1) is 0: what `push` would have recorded as raised.
        self.fill_fresh();
        // The book's firms, at their stated state: stage, founding year, last round and its
        // post-money (their age and the time since that round set their hazards and the
        // staleness of their marks). Each draws from its own key, so the rest of the path is the
        // same with or without the book.
        self.book_start = self.status.len() as u32;
        if let Some(book) = &model.book {
            for (j, b) in book.firms.iter().enumerate() {
                let key = rng::child(self.industry_keys[b.industry], purpose::BOOK, 0, j as u64);
                let new = NewFirm {
                    industry: b.industry,
                    stage: b.stage,
                    status: Status::Active,
                    birth: b.birth,
                    value: b.value,
                    revenue: b.revenue,
                    key,
                };
                let id = self.push(new, 1.0);
                self.last_round[id as usize] = b.last_round;
                self.supported[id as usize] = true;
            }
        }
    }

    /// Sets this year's outcome thresholds of every industry from its factor `x[i]`.
    pub fn begin_year(&mut self, model: &Model, x: &[f64]) {
        for (i, t) in self.tables.iter_mut().enumerate() {
            t.set(model, i, x[i]);
        }
    }

    /// The effect acting on firm `f` in year `y`, if any.
    #[inline]
    pub fn boost_of(&self, f: usize, y: usize) -> Option<Boost> {
        let mut n = self.effect[f];
        let mut any = None;
        while n != NONE {
            let node = &self.effects[n as usize];
            if node.until as usize >= y {
                let b = any.get_or_insert(Boost::NONE);
                b.round *= node.boost.round;
                b.exit *= node.boost.exit;
                b.fail *= node.boost.fail;
                b.growth += node.boost.growth;
            }
            n = node.next;
        }
        any
    }

    /// Instrument `k` supported firm `f` in year `y` with an effect of `boost` for `years` years,
    /// additional for a share `additional` of the firms it supports (decided once per firm and
    /// instrument from the firm's draws keyed by `hash`, the instrument's). Returns whether it
    /// acts: never on an established firm.
    pub fn apply_effect(
        &mut self,
        k: usize,
        hash: u64,
        (boost, years, additional): (Boost, u32, f64),
        f: u32,
        y: usize,
    ) -> bool {
        let fu = f as usize;
        // An established firm (of the local base, or a large arrival) has no transition, and its
        // growth is its model's: no effect would reach it. It gets none, and so no shadow, which
        // would stand still while the firm grew and credit the policy with the growth.
        if self.status[fu] == Status::Established {
            return false;
        }
        if uniform(&mut counter(self.key[fu], hash, purpose::ADDITIONAL)) >= additional {
            return false;
        }
        let until = (y + years as usize) as u32;
        let mut n = self.effect[fu];
        while n != NONE {
            let node = &mut self.effects[n as usize];
            if node.instrument as usize == k {
                node.until = node.until.max(until);
                return true;
            }
            n = node.next;
        }
        self.effects.push(EffectNode {
            instrument: k as u16,
            until,
            boost,
            next: self.effect[fu],
        });
        self.effect[fu] = (self.effects.len() - 1) as u32;
        if self.shadow[fu] == NONE {
            self.add_shadow(f, k, true);
        }
        true
    }

    /// Drops from the yearly passes the shadows that can no longer count: the firm failed, and the
    /// shadow failed or is absent (each is for good, so neither moves, grows or counts again).
    pub fn prune_shadows(&mut self) {
        let (shadows, status) = (&self.shadows, &self.status);
        self.live_shadows.retain(|&n| {
            let sh = &shadows[n as usize];
            let gone = |present: bool, status: Status| !present || status == Status::Failed;
            !(status[sh.firm as usize] == Status::Failed && gone(sh.present, sh.status))
        });
    }

    /// A shadow of firm `f` credited to instrument `k`: its present state, or absent.
    pub fn add_shadow(&mut self, f: u32, k: usize, present: bool) {
        let fu = f as usize;
        self.shadow[fu] = self.shadows.len() as u32;
        self.live_shadows.push(self.shadows.len() as u32);
        self.shadows.push(Shadow {
            firm: f,
            credit: k as u16,
            present,
            stage: self.stage[fu],
            status: self.status[fu],
            value: self.value[fu],
            revenue: self.revenue[fu],
            last_round: self.last_round[fu],
            unicorn_ever: [false; 2],
            leader_ever: [false; 2],
        });
    }

    /// Runs one year of industry `i`: transitions of the firms already there, revenue growth, then
    /// this year's new projects and large firms. Rounds and counts are added to `events`.
    pub fn industry_year(
        &mut self,
        model: &Model,
        (i, year): (usize, usize),
        events: &mut YearEvents,
    ) {
        let ind = &model.industries[i];
        let salt = rng::year_salt(year);
        let parent = self.industry_keys[i];

        let arrivals = poisson(&mut counter(parent, salt, purpose::ARRIVALS), ind.arrivals);
        let talents = poisson(
            &mut counter(parent, salt, purpose::TALENTS),
            arrivals as f64 * ind.talent_per_arrival,
        );
        events.counts.arrivals += arrivals as i64;
        events.counts.talents += talents as i64;
        events.arrivals_by_industry[i] += arrivals as i64;
        events.talents_by_industry[i] += talents as i64;

        // Transitions of the firms active at the start of the year.
        let mut active = std::mem::take(&mut self.active[i]);
        self.transitions::<true>(model, (i, year), &mut active, events);

        // Revenue growth of every operating firm founded before this year: the survivors grew in
        // their transition (above), the exited firms (this year's exits included) and the
        // established ones grow here.
        if ind.entry_revenue.is_some() {
            let exited = std::mem::take(&mut self.exited[i]);
            for &f in &exited {
                let boost = self.boost_of(f as usize, year);
                self.grow_revenue(ind, f as usize, boost.as_ref(), salt);
            }
            self.exited[i] = exited;
            for &f in &self.established[i] {
                let fu = f as usize;
                let g = if self.flags[fu] & LARGE_ARRIVAL != 0 {
                    ind.large.as_ref().map(|l| l.growth)
                } else {
                    ind.established.as_ref().map(|e| e.growth)
                };
                let factor = growth(g, 0.0, self.key[fu], salt);
                let (r, v) = (self.revenue[fu], self.value[fu]);
                self.revenue[fu] = (r * factor).min(MAX_FIRM_AMOUNT);
                self.value[fu] = (v * factor).min(MAX_FIRM_AMOUNT);
            }
        }
        self.active[i] = active;

        self.arrive(ind, (i, year), arrivals, &mut events.rounds);
        self.large_arrivals(model, (i, year), events);
    }

    /// A year of industry `i`'s outside firms: transitions only.
    pub fn outside_year(&mut self, model: &Model, (i, year): (usize, usize)) {
        if self.outside[i].is_empty() {
            return;
        }
        let mut outside = std::mem::take(&mut self.outside[i]);
        self.transitions::<false>(model, (i, year), &mut outside, &mut YearEvents::default());
        self.outside[i] = outside;
    }

    /// Moves every firm of `list` through one year, keeping those still active (in their order).
    /// Local firms (`LOCAL`) feel their effects, book their rounds and counts in `events`, and
    /// join the exited list when they exit (unless they leave the city); outside firms touch
    /// nothing but themselves.
    ///
    /// The hot loop of a run: most firm-years stay where they are, and such a firm-year reads
    /// its key, stage and effect, hashes one counter, draws 53 random bits and compares them with
    /// its stage's integer cuts; its value and price age are read only for a round or an exit.
    fn transitions<const LOCAL: bool>(
        &mut self,
        model: &Model,
        (i, year): (usize, usize),
        list: &mut Vec<u32>,
        events: &mut YearEvents,
    ) {
        let ind = &model.industries[i];
        // The tables are lent out for the pass (a move of the vector, not a copy of the table),
        // as the loop borrows `self` mutably.
        let tables = std::mem::take(&mut self.tables);
        let table = &tables[i];
        let salt = rng::year_salt(year);
        let rules = model.valuation;
        let leakage = if LOCAL { model.channels.leakage } else { 0.0 };
        // Local firms that stay active grow their revenue here, in the same pass (their growth
        // comes from a counter of its own, so the order of the draws changes nothing).
        let revenue = LOCAL && ind.entry_revenue.is_some();
        let mut kept = 0;
        for r in 0..list.len() {
            let f = list[r];
            let fu = f as usize;
            let boost = if LOCAL && self.effect[fu] != NONE {
                self.boost_of(fu, year)
            } else {
                None
            };
            let mut c = counter(self.key[fu], salt, purpose::TRANSITION);
            let s = self.stage[fu] as usize;
            let outcome = decide(table, s, boost.as_ref(), &mut c);
            let keep = match outcome {
                Outcome::Stay => {
                    if revenue {
                        self.grow_active_revenue(ind, fu, boost.as_ref(), salt);
                    }
                    true
                }
                Outcome::Fail => {
                    self.status[fu] = Status::Failed;
                    self.revenue[fu] = 0.0;
                    if LOCAL {
                        events.counts.failures += 1;
                    }
                    false
                }
                Outcome::Round | Outcome::Exit => {
                    let value_since = || {
                        let since = (year as i32 - self.last_round[fu]) as f64;
                        (self.value[fu], since)
                    };
                    let step = step(
                        ind,
                        table,
                        (outcome, s),
                        value_since,
                        &rules,
                        &mut c,
                        leakage,
                    );
                    self.event::<LOCAL>(ind, (i, year), f, step, events);
                    if revenue && matches!(step, Step::Round { .. }) {
                        self.grow_active_revenue(ind, fu, boost.as_ref(), salt);
                    }
                    outcome == Outcome::Round
                }
            };
            if keep {
                list[kept] = f;
                kept += 1;
            }
        }
        list.truncate(kept);
        self.tables = tables;
    }

    /// Books firm `f`'s round or exit of year `year` in industry `i`.
    #[inline]
    fn event<const LOCAL: bool>(
        &mut self,
        ind: &IndustryModel,
        (i, year): (usize, usize),
        f: u32,
        step: Step,
        events: &mut YearEvents,
    ) {
        let fu = f as usize;
        let shadowed = self.shadow[fu] != NONE;
        match step {
            Step::Round { next, post } => {
                let d = ind.stages[next as usize].dilution;
                self.value[fu] = post;
                self.raised[fu] += d * post;
                self.retention[fu] *= 1.0 - d;
                self.stage[fu] = next;
                self.last_round[fu] = year as i32;
                if LOCAL {
                    events.rounds.push(RoundEvent {
                        firm: f,
                        industry: i as u8,
                        stage: next,
                        post_money: post,
                        size: d * post,
                    });
                    if shadowed {
                        let k = self.shadows[self.shadow[fu] as usize].credit as usize;
                        self.credits[k].rounds += 1;
                        events.counts.additional_rounds += 1;
                    }
                }
            }
            Step::Exit { value, ipo, leaves } => {
                self.value[fu] = value;
                self.status[fu] = if ipo {
                    self.listed.push(f);
                    Status::Listed
                } else {
                    Status::Acquired
                };
                if LOCAL {
                    events.counts.exits += 1;
                    events.counts.ipos += ipo as i64;
                    if ipo {
                        events.ipo_value += value;
                    }
                    if shadowed {
                        let k = self.shadows[self.shadow[fu] as usize].credit as usize;
                        self.credits[k].exits += 1;
                        events.counts.additional_exits += 1;
                    }
                    if leaves {
                        self.local[fu] = false;
                    } else {
                        self.exited[i].push(f);
                    }
                }
            }
            Step::Fail | Step::Stay => unreachable!("only rounds and exits are events"),
        }
    }

    /// A year's revenue growth of operating local firm `fu` under its effect `boost`.
    #[inline(always)]
    fn grow_revenue(&mut self, ind: &IndustryModel, fu: usize, boost: Option<&Boost>, salt: u64) {
        let g = revenue_model(ind, self.stage[fu] as usize, self.status[fu]);
        self.grow_revenue_by(g, fu, boost, salt);
    }

    /// [`Firms::grow_revenue`] of a firm still active after its transition (it stayed or raised a
    /// round): its stage's growth, without looking at its status.
    #[inline(always)]
    fn grow_active_revenue(
        &mut self,
        ind: &IndustryModel,
        fu: usize,
        boost: Option<&Boost>,
        salt: u64,
    ) {
        debug_assert_eq!(self.status[fu], Status::Active);
        let g = ind.stages[self.stage[fu] as usize].revenue_growth;
        self.grow_revenue_by(g, fu, boost, salt);
    }

    /// Firm `fu`'s revenue times its growth `g` this year, shifted by its effect `boost`.
    #[inline(always)]
    fn grow_revenue_by(
        &mut self,
        g: Option<(f64, f64)>,
        fu: usize,
        boost: Option<&Boost>,
        salt: u64,
    ) {
        let shift = boost.map_or(0.0, |b| b.growth);
        let r = &mut self.revenue[fu];
        *r = (*r * growth(g, shift, self.key[fu], salt)).min(MAX_FIRM_AMOUNT);
    }

    /// One year of the shadows (after every industry's year): the same draws as their firms,
    /// without effects; their rounds and exits are taken off what the policy caused.
    pub fn shadows_year(&mut self, model: &Model, year: usize, events: &mut YearEvents) {
        let salt = rng::year_salt(year);
        let leakage = model.channels.leakage;
        for &n in &self.live_shadows {
            let sh = &mut self.shadows[n as usize];
            if !sh.present {
                continue;
            }
            let i = self.industry[sh.firm as usize] as usize;
            let (ind, table) = (&model.industries[i], &self.tables[i]);
            let key = self.key[sh.firm as usize];
            if sh.status == Status::Active {
                let mut c = counter(key, salt, purpose::TRANSITION);
                let k = sh.credit as usize;
                let s = sh.stage as usize;
                let outcome = decide(table, s, None, &mut c);
                let value_since = || (sh.value, (year as i32 - sh.last_round) as f64);
                let rules = &model.valuation;
                match step(
                    ind,
                    table,
                    (outcome, s),
                    value_since,
                    rules,
                    &mut c,
                    leakage,
                ) {
                    Step::Round { next, post } => {
                        sh.stage = next;
                        sh.value = post;
                        sh.last_round = year as i32;
                        self.credits[k].rounds -= 1;
                        events.counts.additional_rounds -= 1;
                    }
                    Step::Exit { value, ipo, leaves } => {
                        sh.value = value;
                        sh.status = if ipo {
                            Status::Listed
                        } else {
                            Status::Acquired
                        };
                        self.credits[k].exits -= 1;
                        events.counts.additional_exits -= 1;
                        if leaves {
                            sh.present = false;
                        }
                    }
                    Step::Fail => {
                        sh.status = Status::Failed;
                        sh.revenue = 0.0;
                    }
                    Step::Stay => {}
                }
            }
            if ind.entry_revenue.is_some() && sh.present {
                let g = revenue_model(ind, sh.stage as usize, sh.status);
                sh.revenue = (sh.revenue * growth(g, 0.0, key, salt)).min(MAX_FIRM_AMOUNT);
            }
        }
    }

    /// New projects land in the first stage, having just raised their entry round.
    fn arrive(
        &mut self,
        ind: &IndustryModel,
        (i, year): (usize, usize),
        n: u64,
        rounds: &mut Vec<RoundEvent>,
    ) {
        let dilution = ind.stages[0].dilution;
        let retention = 1.0 - dilution;
        let parent = self.industry_keys[i];
        // Column by column, not firm by firm (`push`): the same state as `n` calls of `push`, as
        // each firm draws from its own counter.
        let keys = (n as usize, |j| {
            rng::child(parent, purpose::ARRIVAL, year as u64, j)
        });
        let ids = self.add_drawn((i, 0, Status::Active), keys, |c| {
            let value = amount(ind.entry_value, c);
            let revenue = ind.entry_revenue.map_or(0.0, |r| amount(r, c));
            (value, revenue, year as i32)
        });
        let first = ids.start as usize;
        self.fill_fresh();
        // Their entry round, as `push` records a firm's: the retention after its dilution, what
        // the round raised (the value times 1 − retention), and its year.
        self.retention[first..].fill(retention);
        for (raised, v) in self.raised[first..].iter_mut().zip(&self.value[first..]) {
            *raised = v * (1.0 - retention);
        }
        self.last_round[first..].fill(year as i32);
        rounds.extend(ids.map(|id| {
            let value = self.value[id as usize];
            RoundEvent {
                firm: id,
                industry: i as u8,
                stage: 0,
                post_money: value,
                size: dilution * value,
            }
        }));
    }

    /// Large firms arriving in industry `i` this year: those that would come anyway (the
    /// industry's base rate), then those each incentive programme adds (credited to it, with an
    /// absent shadow).
    fn large_arrivals(
        &mut self,
        model: &Model,
        (i, year): (usize, usize),
        events: &mut YearEvents,
    ) {
        let ind = &model.industries[i];
        let Some(large) = &ind.large else { return };
        let salt = rng::year_salt(year);
        let parent = self.industry_keys[i];
        let base = poisson(&mut counter(parent, salt, purpose::LARGE), large.rate);
        let mut add = |firms: &mut Self, key: u64, credit: Option<usize>| {
            let mut c = counter(key, 0, purpose::CREATE);
            let value = amount(large.value, &mut c);
            let revenue = amount(large.revenue, &mut c);
            let last = ind.stages.len() - 1;
            let new = NewFirm {
                industry: i,
                stage: last,
                status: Status::Established,
                birth: year as i32,
                value,
                revenue,
                key,
            };
            let id = firms.push(new, 1.0);
            firms.flags[id as usize] |= LARGE_ARRIVAL;
            events.counts.large_arrivals += 1;
            events.large_arrivals.push(id);
            if let Some(k) = credit {
                firms.add_shadow(id, k, false);
            }
        };
        for j in 0..base {
            add(
                self,
                rng::child(parent, purpose::LARGE_FIRM, year as u64, j),
                None,
            );
        }
        for &(k, ref rates) in &large.incentives {
            let hash = model.instruments[k].hash;
            let extra = poisson(
                &mut counter(parent, salt, purpose::LARGE_EXTRA ^ hash),
                rates[year],
            );
            for j in 0..extra {
                add(
                    self,
                    rng::child(parent, purpose::LARGE_EXTRA ^ hash, year as u64, j),
                    Some(k),
                );
            }
        }
    }

    /// A year of listed prices: each listed firm's value moves by `exp(σ_L z − σ_L²/2 + b·x)`, `x`
    /// its industry's factor, from the firm's own counter.
    pub fn listed_year(&mut self, model: &Model, year: usize, x: &[f64]) {
        let rules = model.valuation;
        if rules.listed_vol == 0.0 && model.market.b_value == 0.0 {
            return;
        }
        let salt = rng::year_salt(year);
        let sigma = rules.listed_vol;
        let factor = |key: u64, industry: u8| {
            let z = normal(&mut counter(key, salt, purpose::LISTED));
            exp(sigma * z - 0.5 * sigma * sigma + model.market.b_value * x[industry as usize])
        };
        for &f in &self.listed {
            let fu = f as usize;
            let v = &mut self.value[fu];
            *v = (*v * factor(self.key[fu], self.industry[fu])).min(MAX_FIRM_AMOUNT);
        }
        // Shadows that listed move with the same draws, so they stay their firm's twin.
        for &n in &self.live_shadows {
            let sh = &mut self.shadows[n as usize];
            if sh.present && sh.status == Status::Listed {
                let fu = sh.firm as usize;
                sh.value =
                    (sh.value * factor(self.key[fu], self.industry[fu])).min(MAX_FIRM_AMOUNT);
            }
        }
    }

    /// What firm `f` is worth per unit of stake at the end of year `y` under this year's factor
    /// of its industry (set by [`Firms::begin_year`]): a private firm its stale mark (last price,
    /// aged, moved with the market), a listed or established firm its value.
    #[inline]
    pub fn mark(&self, model: &Model, f: usize, y: usize) -> f64 {
        match self.status[f] {
            Status::Active => {
                let stale = model.staleness(y as i32 - self.last_round[f]);
                self.value[f] * stale * self.tables[self.industry[f] as usize].mark
            }
            _ => self.value[f],
        }
        .min(MAX_FIRM_AMOUNT)
    }

    /// Outside firm `f` moves to the city this year (brought by instrument `k`'s fund): it becomes a
    /// local firm with its history and a revenue drawn for its stage, counts as a project landed,
    /// and brings talents like a new project of its industry. Its shadow is absent.
    pub fn relocate(
        &mut self,
        model: &Model,
        f: u32,
        k: usize,
        year: usize,
        events: &mut YearEvents,
    ) {
        let fu = f as usize;
        let i = self.industry[fu] as usize;
        debug_assert!(!self.local[fu] && self.status[fu] == Status::Active);
        self.outside[i].retain(|&g| g != f);
        self.active[i].push(f);
        self.local[fu] = true;
        self.add_shadow(f, k, false);
        let salt = rng::year_salt(year);
        // Its revenue from now on, which nothing outside the city tracks: a local firm's of its
        // stage (the stage's existing base, else a new project's), from its own counter.
        let ind = &model.industries[i];
        if ind.entry_revenue.is_some() {
            let st = &ind.stages[self.stage[fu] as usize];
            let d = (st.existing.as_ref())
                .and_then(|e| e.revenue)
                .or(ind.entry_revenue)
                .expect("entry revenue given");
            self.revenue[fu] = amount(d, &mut counter(self.key[fu], salt, purpose::CREATE));
        }
        let talents = poisson(
            &mut counter(self.key[fu], salt, purpose::TALENTS),
            ind.talent_per_arrival,
        ) as i64;
        // A project landed, with its talents, like a new one: a talent subsidy pays them and raises
        // their number (it acts after the sub-funds: `sim::acting_order`).
        events.arrivals_by_industry[i] += 1;
        events.talents_by_industry[i] += talents;
        let c = &mut events.counts;
        c.relocations += 1;
        c.additional_projects += 1;
        c.talents += talents;
        c.additional_talents += talents;
        self.credits[k].projects += 1;
        self.credits[k].talents += talents;
    }
}

/// `logistic(logit p + s)` from the odds against `p` and `e^{−s}`: `1 / (1 + odds·e^{−s})`, exactly
/// 0 or 1 when `p` is.
#[inline]
fn shifted(odds: f64, exp_minus_shift: f64) -> f64 {
    if odds == 0.0 {
        1.0
    } else if odds.is_infinite() {
        0.0
    } else {
        1.0 / (1.0 + odds * exp_minus_shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_pick_what_bands_pick() {
        let scale = (1u64 << 53) as f64;
        let by_bands = |b: &Bands, m: u64| b.outcome(m as f64 / scale);
        let mut s = 3u64;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut cases: Vec<Bands> = vec![
            Bands::rescaled(0.0, 0.0, 0.0),
            Bands::rescaled(1.0, 0.0, 0.0),
            Bands::rescaled(0.0, 0.0, 1.0),
            Bands::rescaled(0.5, 0.25, 0.25),
            Bands::rescaled(0.7, 0.7, 0.7),
            // Probabilities on the uniform's grid, where `u < t` and `u ≤ t` differ.
            Bands::rescaled(3.0 / scale, 5.0 / scale, 7.0 / scale),
        ];
        for _ in 0..20_000 {
            let mut p = || (next() >> 11) as f64 / scale;
            let (g, e, f) = (p(), p() * 0.5, p() * 0.5);
            cases.push(Bands::rescaled(g, e, f));
        }
        for b in &cases {
            let c = Cuts::of(b);
            for &at in &[c.round, c.exit, c.fail, 0, 1 << 52, (1 << 53) - 1] {
                for m in at.saturating_sub(2)..at.saturating_add(3).min(1 << 53) {
                    assert_eq!(c.outcome(m), by_bands(b, m), "{b:?} at {m}");
                }
            }
            let m = next() >> 11;
            assert_eq!(c.outcome(m), by_bands(b, m), "{b:?} at {m}");
        }
    }
    use crate::model::odds_against;

    /// `e^{−s}` for a factor `x` and loadings of 1 (failure moves against the market).
    fn shifts(x: f64) -> [f64; 3] {
        [(-x).exp(), (-x).exp(), x.exp()]
    }

    fn stage(p: [f64; 3], x: f64) -> Bands {
        StageYear::new(p.map(odds_against), shifts(x)).bands
    }

    #[test]
    fn neutral_market_keeps_base_probabilities() {
        let t = stage([0.3, 0.05, 0.15], 0.0);
        assert!((t.round - 0.3).abs() < 1e-12);
        assert!((t.exit - 0.05).abs() < 1e-12);
        assert!((t.fail - 0.15).abs() < 1e-12);
        assert_eq!(t.outcome(0.29), Outcome::Round);
        assert_eq!(t.outcome(0.34), Outcome::Exit);
        assert_eq!(t.outcome(0.5), Outcome::Stay);
        assert_eq!(t.outcome(0.86), Outcome::Fail);
    }

    #[test]
    fn zero_and_one_stay_put_in_any_market() {
        let t = stage([1.0, 0.0, 0.0], 2.5);
        assert_eq!((t.round, t.exit, t.fail), (1.0, 0.0, 0.0));
        let t = stage([0.0, 0.0, 0.0], -3.0);
        assert_eq!((t.round, t.exit, t.fail), (0.0, 0.0, 0.0));
        assert_eq!(t.outcome(0.999), Outcome::Stay);
    }

    #[test]
    fn hot_market_moves_the_logits_and_rescales() {
        // logit(0.5) + 1·2 = 2 → logistic(2) = 0.880797; e: logit(0.4)+2 → 0.831; f: logit(0.1)-2
        // → 0.014810. They sum past 1, so each is divided by the sum.
        let t = stage([0.5, 0.4, 0.1], 2.0);
        let g = 1.0 / (1.0 + (-2.0f64).exp());
        let e = 1.0 / (1.0 + (-(0.4f64 / 0.6).ln() - 2.0).exp());
        let f = 1.0 / (1.0 + (-(0.1f64 / 0.9).ln() + 2.0).exp());
        let s = g + e + f;
        assert!((t.round - g / s).abs() < 1e-12);
        assert!((t.round + t.exit + t.fail - 1.0).abs() < 1e-12);
    }

    #[test]
    fn odds_multiplier_moves_a_probability_by_its_closed_form() {
        // p = 0.2, odds 0.25; ×2 → odds 0.5 → p = 1/3. ×0.5 → odds 0.125 → p = 1/9.
        assert!((moved(0.2, 2.0) - 1.0 / 3.0).abs() < 1e-15);
        assert!((moved(0.2, 0.5) - 1.0 / 9.0).abs() < 1e-15);
        assert_eq!(moved(0.0, 3.0), 0.0);
        assert_eq!(moved(1.0, 0.5), 1.0);
    }
}
