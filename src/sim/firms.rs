//! Firms of one path, bottom-up, and their year: rounds, exits, failures, arrivals, revenue.
//!
//! Reference formulation (DOMAIN.md §4). A firm of industry `i` in stage `s` sees the factor `x`.
//! Its yearly probabilities move on the logit scale,
//! `g' = logistic(logit g_s + a_g·x)`, `e' = logistic(logit e_s + a_e·x)`,
//! `f' = logistic(logit f_s − a_f·x)`, rescaled to sum to 1 if they exceed it, and one uniform draw
//! picks round, exit, failure or nothing. (Computed as `1/(1 + odds·e^{−a·x})` with the odds
//! against the base probability: three `exp` per industry-year instead of three per stage.)
//! - Round: post-money `V' = V·exp(μ + σz + b·x)` with the next stage's step-up; the round sells a
//!   fraction `d` of the firm, so earlier holders keep `(1-d)` of their stake (the firm's
//!   *retention* factor is the product of `(1-d)` over its rounds).
//! - Exit: exit value `V·exp(μ_e + σ_e z + b_e·x)`, an IPO with probability `ipo_share`, else M&A.
//!   Exited firms stay local and keep operating (they count toward chain leaders and clusters).
//! - Revenue, when modelled: `R_{t+1} = R_t·exp(γ + ηz)` with the stage's growth (the last stage's
//!   after an exit). Established firms grow likewise and their value moves with their revenue.
//!
//! Firms are stored as a structure of arrays, reused from path to path without reallocating.
//! Each industry draws from its own stream in a fixed order, so the firms of a path do not depend
//! on the program's instruments.

use crate::model::{IndustryModel, LogNormal, Model, StageModel};
use crate::rng::{Stream, exp, int_between, normal, poisson, uniform};

/// No firm value or revenue exceeds 10万亿 yuan (1e13, above the largest listed companies): a
/// numerical guard for the far tails of many compounded log-normal draws, which keeps every sum of
/// fen in a path well inside `i64`.
pub const MAX_FIRM_AMOUNT: f64 = 1e13;

/// A log-normal amount, capped at [`MAX_FIRM_AMOUNT`].
#[inline]
fn amount(d: LogNormal, rng: &mut Stream) -> f64 {
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

/// [`Firms::at_start`] bit: a chain leader at the start year.
pub const AT_START_LEADER: u8 = 1;
/// [`Firms::at_start`] bit: a unicorn or potential unicorn at the start year.
pub const AT_START_UNICORN: u8 = 2;

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
    /// Year index of the firm's latest round (its entry round for new projects; −1 if none yet).
    pub last_round: Vec<i32>,
    /// Whether the firm is in the city (false for sub-funds' outside firms).
    pub local: Vec<bool>,
    /// Whether any instrument has supported the firm.
    pub supported: Vec<bool>,
    /// Bit `k` set: grant instrument `k` has paid this firm.
    pub granted: Vec<u64>,
    /// What the firm already was at the start year ([`AT_START_LEADER`], [`AT_START_UNICORN`]), so
    /// that "new" chain leaders and unicorns can leave the initial base out.
    pub at_start: Vec<u8>,
    /// Per industry: ids of active (unexited) firms, in creation order.
    pub active: Vec<Vec<u32>>,
    /// Per industry: ids of listed or acquired firms.
    pub exited: Vec<Vec<u32>>,
    /// Per industry: ids of established firms.
    pub established: Vec<Vec<u32>>,
    /// Per industry: active firms outside the city that sub-funds invested in. They follow the same
    /// ladder (from their own stream) but count toward no local metric and take no local instrument.
    pub outside: Vec<Vec<u32>>,
}

/// What happened in the firm population in one year, over all industries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearEvents {
    pub rounds: Vec<RoundEvent>,
    pub counts: YearCounts,
}

impl YearEvents {
    pub fn clear(&mut self) {
        self.rounds.clear();
        self.counts = YearCounts::default();
    }
}

/// Counts of what happened in one year, summed over industries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearCounts {
    pub arrivals: i64,
    pub talents: i64,
    pub exits: i64,
    pub ipos: i64,
    pub failures: i64,
}

/// An industry-year's outcome thresholds per stage and valuation drifts.
struct YearTable {
    stages: [StageYear; 32],
    value_drift: f64,
    exit_drift: f64,
}

impl YearTable {
    fn new(model: &Model, i: usize, x: f64) -> Self {
        let mk = &model.market;
        // e^{−s} of each logit shift, once per industry-year (failure moves against the market).
        let shifts = [
            exp(-mk.a_round * x),
            exp(-mk.a_exit * x),
            exp(mk.a_fail * x),
        ];
        let mut stages = [StageYear::default(); 32];
        for (s, st) in model.industries[i].stages.iter().enumerate() {
            stages[s] = stage_year(st, shifts);
        }
        YearTable {
            stages,
            value_drift: mk.b_value * x,
            exit_drift: mk.b_exit_value * x,
        }
    }
}

/// Per-stage thresholds of the single uniform draw, and the valuation drifts, for one industry-year.
#[derive(Debug, Clone, Copy, Default)]
struct StageYear {
    c_round: f64,
    c_exit: f64,
    c_fail: f64,
}

impl Firms {
    pub fn clear(&mut self, n_industries: usize) {
        self.industry.clear();
        self.stage.clear();
        self.status.clear();
        self.birth.clear();
        self.value.clear();
        self.revenue.clear();
        self.retention.clear();
        self.last_round.clear();
        self.local.clear();
        self.supported.clear();
        self.granted.clear();
        self.at_start.clear();
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

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        industry: usize,
        stage: usize,
        status: Status,
        birth: i32,
        value: f64,
        revenue: f64,
        retention: f64,
    ) -> u32 {
        let id = self.status.len() as u32;
        self.industry.push(industry as u8);
        self.stage.push(stage as u8);
        self.status.push(status);
        self.birth.push(birth);
        self.value.push(value);
        self.revenue.push(revenue);
        self.retention.push(retention);
        self.last_round.push(-1);
        self.local.push(true);
        self.supported.push(false);
        self.granted.push(0);
        self.at_start.push(0);
        match status {
            Status::Established => self.established[industry].push(id),
            _ => self.active[industry].push(id),
        }
        id
    }

    /// A firm outside the city entering at `stage` with post-money `value` in year `year` (the round
    /// a sub-fund joins). Returns its id.
    pub fn add_outside(&mut self, industry: usize, stage: usize, value: f64, year: usize) -> u32 {
        let id = self.push(
            industry,
            stage,
            Status::Active,
            year as i32,
            value,
            0.0,
            1.0,
        );
        self.active[industry].pop();
        self.outside[industry].push(id);
        self.local[id as usize] = false;
        self.last_round[id as usize] = year as i32;
        id
    }

    /// Age in whole years during year index `year`.
    #[inline]
    pub fn age(&self, firm: usize, year: usize) -> i64 {
        year as i64 - self.birth[firm] as i64
    }

    /// The local base at the start year: existing firms by stage, and established firms.
    pub fn populate(&mut self, model: &Model, rngs: &mut [Stream]) {
        self.clear(model.industries.len());
        for (i, ind) in model.industries.iter().enumerate() {
            let rng = &mut rngs[i];
            for (s, st) in ind.stages.iter().enumerate() {
                let Some(ex) = &st.existing else { continue };
                for _ in 0..ex.count {
                    let value = amount(ex.value, rng);
                    let age = int_between(rng, ex.age.0, ex.age.1);
                    let revenue = ex.revenue.map_or(0.0, |r| amount(r, rng));
                    self.push(i, s, Status::Active, -(age as i32), value, revenue, 1.0);
                }
            }
            if let Some(est) = &ind.established {
                for _ in 0..est.count {
                    let value = amount(est.value, rng);
                    let revenue = amount(est.revenue, rng);
                    // Established firms take no rounds and meet no age-based threshold: their
                    // stage and founding year are never read.
                    let last = ind.stages.len() - 1;
                    self.push(i, last, Status::Established, 0, value, revenue, 1.0);
                }
            }
        }
    }

    /// Runs one year of industry `i` under factor `x`: transitions of the firms already there,
    /// revenue growth, then this year's new projects. Rounds and counts are added to `events`.
    pub fn industry_year(
        &mut self,
        model: &Model,
        (i, year): (usize, usize),
        x: f64,
        rng: &mut Stream,
        events: &mut YearEvents,
    ) {
        let ind = &model.industries[i];
        let table = YearTable::new(model, i, x);
        let last = ind.stages.len() - 1;

        let arrivals = poisson(rng, ind.arrivals);
        let talents = poisson(rng, arrivals as f64 * ind.talent_per_arrival);
        events.counts.arrivals += arrivals as i64;
        events.counts.talents += talents as i64;

        // Transitions of the firms active at the start of the year.
        let mut active = std::mem::take(&mut self.active[i]);
        self.transitions(ind, (i, year), &table, &mut active, rng, Some(events));

        // Revenue growth of every operating firm founded before this year.
        if ind.entry_revenue.is_some() {
            for &f in &active {
                let fu = f as usize;
                let g = ind.stages[self.stage[fu] as usize].revenue_growth;
                self.revenue[fu] = (self.revenue[fu] * growth(g, rng)).min(MAX_FIRM_AMOUNT);
            }
            let after_exit = ind.stages[last].revenue_growth;
            for &f in &self.exited[i] {
                let r = &mut self.revenue[f as usize];
                *r = (*r * growth(after_exit, rng)).min(MAX_FIRM_AMOUNT);
            }
            if let Some(est) = &ind.established {
                for &f in &self.established[i] {
                    let factor = growth(Some(est.growth), rng);
                    let (r, v) = (self.revenue[f as usize], self.value[f as usize]);
                    self.revenue[f as usize] = (r * factor).min(MAX_FIRM_AMOUNT);
                    self.value[f as usize] = (v * factor).min(MAX_FIRM_AMOUNT);
                }
            }
        }
        self.active[i] = active;

        self.arrive(ind, i, year, arrivals, rng, &mut events.rounds);
    }

    /// A year of industry `i`'s outside firms (from `rng`, their own stream): transitions only.
    pub fn outside_year(
        &mut self,
        model: &Model,
        (i, year): (usize, usize),
        x: f64,
        rng: &mut Stream,
    ) {
        if self.outside[i].is_empty() {
            return;
        }
        let table = YearTable::new(model, i, x);
        let mut outside = std::mem::take(&mut self.outside[i]);
        self.transitions(
            &model.industries[i],
            (i, year),
            &table,
            &mut outside,
            rng,
            None,
        );
        self.outside[i] = outside;
    }

    /// Moves every firm of `list` through one year, keeping those still active. Local firms
    /// (`events` given) book their rounds and counts and join the exited list when they exit.
    fn transitions(
        &mut self,
        ind: &IndustryModel,
        (i, year): (usize, usize),
        table: &YearTable,
        list: &mut Vec<u32>,
        rng: &mut Stream,
        mut events: Option<&mut YearEvents>,
    ) {
        let last = ind.stages.len() - 1;
        list.retain(|&f| {
            let fu = f as usize;
            let s = self.stage[fu] as usize;
            let t = table.stages[s];
            let u = uniform(rng);
            if u < t.c_round {
                let next = (s + 1).min(last);
                let st = &ind.stages[next];
                let step = st
                    .step_up
                    .expect("validated: stages after the first have a step-up");
                let z = normal(rng);
                let post = (self.value[fu] * exp(step.mu + step.sigma * z + table.value_drift))
                    .min(MAX_FIRM_AMOUNT);
                self.value[fu] = post;
                self.retention[fu] *= 1.0 - st.dilution;
                self.stage[fu] = next as u8;
                self.last_round[fu] = year as i32;
                if let Some(ev) = events.as_deref_mut() {
                    ev.rounds.push(RoundEvent {
                        firm: f,
                        industry: i as u8,
                        stage: next as u8,
                        post_money: post,
                        size: st.dilution * post,
                    });
                }
                true
            } else if u < t.c_exit {
                let st = &ind.stages[s];
                let z = normal(rng);
                self.value[fu] = (self.value[fu]
                    * exp(st.exit_multiple.mu + st.exit_multiple.sigma * z + table.exit_drift))
                .min(MAX_FIRM_AMOUNT);
                let ipo = uniform(rng) < st.ipo_share;
                self.status[fu] = if ipo {
                    Status::Listed
                } else {
                    Status::Acquired
                };
                if let Some(ev) = events.as_deref_mut() {
                    ev.counts.exits += 1;
                    ev.counts.ipos += ipo as i64;
                    self.exited[i].push(f);
                }
                false
            } else if u < t.c_fail {
                self.status[fu] = Status::Failed;
                self.revenue[fu] = 0.0;
                if let Some(ev) = events.as_deref_mut() {
                    ev.counts.failures += 1;
                }
                false
            } else {
                true
            }
        });
    }

    /// New projects land in the first stage, having just raised their entry round.
    fn arrive(
        &mut self,
        ind: &IndustryModel,
        i: usize,
        year: usize,
        n: u64,
        rng: &mut Stream,
        rounds: &mut Vec<RoundEvent>,
    ) {
        let dilution = ind.stages[0].dilution;
        for _ in 0..n {
            let value = amount(ind.entry_value, rng);
            let revenue = ind.entry_revenue.map_or(0.0, |r| amount(r, rng));
            let id = self.push(
                i,
                0,
                Status::Active,
                year as i32,
                value,
                revenue,
                1.0 - dilution,
            );
            self.last_round[id as usize] = year as i32;
            rounds.push(RoundEvent {
                firm: id,
                industry: i as u8,
                stage: 0,
                post_money: value,
                size: dilution * value,
            });
        }
    }
}

#[inline]
fn growth(g: Option<(f64, f64)>, rng: &mut Stream) -> f64 {
    match g {
        Some((mean, vol)) => exp(mean + vol * normal(rng)),
        None => 1.0,
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

/// Yearly outcome thresholds of a stage, given `e^{−s}` of the round, exit and failure shifts.
fn stage_year(st: &StageModel, shifts: [f64; 3]) -> StageYear {
    let mut g = shifted(st.odds_round, shifts[0]);
    let mut e = shifted(st.odds_exit, shifts[1]);
    let mut f = shifted(st.odds_fail, shifts[2]);
    let sum = g + e + f;
    if sum > 1.0 {
        g /= sum;
        e /= sum;
        f /= sum;
    }
    StageYear {
        c_round: g,
        c_exit: g + e,
        c_fail: g + e + f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LogNormal;

    /// `e^{−s}` for a factor `x` and loadings of 1 (failure moves against the market).
    fn shifts(x: f64) -> [f64; 3] {
        [(-x).exp(), (-x).exp(), x.exp()]
    }

    fn stage(p_round: f64, p_exit: f64, p_fail: f64) -> StageModel {
        use crate::model::odds_against;
        StageModel {
            name: "s".into(),
            dilution: 0.2,
            step_up: None,
            odds_round: odds_against(p_round),
            odds_exit: odds_against(p_exit),
            odds_fail: odds_against(p_fail),
            exit_multiple: LogNormal {
                mu: 0.0,
                sigma: 0.0,
            },
            ipo_share: 0.0,
            revenue_growth: None,
            existing: None,
        }
    }

    #[test]
    fn neutral_market_keeps_base_probabilities() {
        let t = stage_year(&stage(0.3, 0.05, 0.15), shifts(0.0));
        assert!((t.c_round - 0.3).abs() < 1e-12);
        assert!((t.c_exit - 0.35).abs() < 1e-12);
        assert!((t.c_fail - 0.5).abs() < 1e-12);
    }

    #[test]
    fn zero_and_one_stay_put_in_any_market() {
        let t = stage_year(&stage(1.0, 0.0, 0.0), shifts(2.5));
        assert_eq!((t.c_round, t.c_exit, t.c_fail), (1.0, 1.0, 1.0));
        let t = stage_year(&stage(0.0, 0.0, 0.0), shifts(-3.0));
        assert_eq!((t.c_round, t.c_exit, t.c_fail), (0.0, 0.0, 0.0));
    }

    #[test]
    fn hot_market_moves_the_logits_and_rescales() {
        // logit(0.5) + 1·2 = 2 → logistic(2) = 0.880797; e: logit(0.4)+2 → 0.831; f: logit(0.1)-2
        // → 0.014810. They sum past 1, so each is divided by the sum.
        let t = stage_year(&stage(0.5, 0.4, 0.1), shifts(2.0));
        let g = 1.0 / (1.0 + (-2.0f64).exp());
        let e = 1.0 / (1.0 + (-(0.4f64 / 0.6).ln() - 2.0).exp());
        let f = 1.0 / (1.0 + (-(0.1f64 / 0.9).ln() + 2.0).exp());
        let s = g + e + f;
        assert!((t.c_round - g / s).abs() < 1e-12);
        assert!((t.c_fail - 1.0).abs() < 1e-12);
    }
}
