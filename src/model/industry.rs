//! `[[industries]]`: industries and their stages, the firms already there (existing and
//! established), large-firm arrivals and the incentives that raise them.

use super::{InstrumentModel, KindModel, LogNormal, dist, fen_of, scenario};

#[derive(Debug, Clone, PartialEq)]
pub struct IndustryModel {
    pub id: String,
    pub name: String,
    pub arrivals: f64,
    pub talent_per_arrival: f64,
    pub beta_market: f64,
    pub beta_industry: f64,
    pub entry_value: LogNormal,
    /// Present when the industry models revenue.
    pub entry_revenue: Option<LogNormal>,
    pub stages: Vec<StageModel>,
    pub established: Option<EstablishedModel>,
    pub large: Option<LargeModel>,
}

/// Large firms arriving in an industry: `rate` a year without incentives, and per incentive
/// programme `(instrument, extra rate per year)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeModel {
    pub rate: f64,
    pub value: LogNormal,
    pub revenue: LogNormal,
    pub growth: (f64, f64),
    pub incentives: Vec<(usize, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageModel {
    pub name: String,
    /// Share sold in the round into this stage.
    pub dilution: f64,
    /// Step-up of the round into this stage (none for the first stage).
    pub step_up: Option<LogNormal>,
    /// Base yearly probabilities as odds against, `(1 − p)/p = e^{−logit p}` (∞ for 0, 0 for 1),
    /// so that a logit shift `s` is a product: `logistic(logit p + s) = 1 / (1 + odds·e^{−s})`.
    pub odds_round: f64,
    pub odds_exit: f64,
    pub odds_fail: f64,
    pub exit_multiple: LogNormal,
    pub ipo_share: f64,
    /// Yearly log-growth of revenue `(mean, vol)`.
    pub revenue_growth: Option<(f64, f64)>,
    pub existing: Option<ExistingModel>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExistingModel {
    pub count: u32,
    pub value: LogNormal,
    pub age: (u32, u32),
    pub revenue: Option<LogNormal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstablishedModel {
    pub count: u32,
    pub value: LogNormal,
    pub revenue: LogNormal,
    pub growth: (f64, f64),
}

/// Odds against: `(1 − p)/p`, ∞ for `p = 0`, 0 for `p = 1`.
pub fn odds_against(p: f64) -> f64 {
    if p <= 0.0 {
        f64::INFINITY
    } else {
        (1.0 - p) / p
    }
}

pub(super) fn industries(industries: &[scenario::Industry]) -> Vec<IndustryModel> {
    industries.iter().map(industry).collect()
}

/// An industry without incentives for its large arrivals (see [`add_incentives`]).
fn industry(ind: &scenario::Industry) -> IndustryModel {
    IndustryModel {
        id: ind.id.clone(),
        name: ind.name.clone(),
        arrivals: ind.arrivals_per_year,
        talent_per_arrival: ind.talent_per_arrival,
        beta_market: ind.beta_market,
        beta_industry: ind.beta_industry,
        entry_value: dist(&ind.entry.value),
        entry_revenue: ind.entry.revenue.as_ref().map(dist),
        stages: ind.stages.iter().map(stage).collect(),
        established: ind.established.as_ref().map(established),
        large: ind.large_arrivals.as_ref().map(large),
    }
}

/// A stage: its base probabilities become odds against.
fn stage(s: &scenario::Stage) -> StageModel {
    StageModel {
        name: s.name.clone(),
        dilution: s.dilution.value(),
        step_up: s
            .step_up
            .as_ref()
            .map(|m| LogNormal::from_median(m.median, m.sigma)),
        odds_round: odds_against(s.p_round.value()),
        odds_exit: odds_against(s.p_exit.value()),
        odds_fail: odds_against(s.p_fail.value()),
        exit_multiple: LogNormal::from_median(s.exit_multiple.median, s.exit_multiple.sigma),
        ipo_share: s.ipo_share.value(),
        revenue_growth: s.revenue_growth.as_ref().map(|g| (g.mean, g.vol)),
        existing: s.existing.as_ref().map(existing),
    }
}

fn existing(e: &scenario::Existing) -> ExistingModel {
    ExistingModel {
        count: e.count as u32,
        value: dist(&e.value),
        age: (e.age[0] as u32, e.age[1] as u32),
        revenue: e.revenue.as_ref().map(dist),
    }
}

fn established(e: &scenario::Established) -> EstablishedModel {
    EstablishedModel {
        count: e.count as u32,
        value: dist(&e.value),
        revenue: dist(&e.revenue),
        growth: (e.revenue_growth.mean, e.revenue_growth.vol),
    }
}

fn large(l: &scenario::LargeArrivals) -> LargeModel {
    LargeModel {
        rate: l.per_year,
        value: dist(&l.value),
        revenue: dist(&l.revenue),
        growth: (l.revenue_growth.mean, l.revenue_growth.vol),
        incentives: Vec::new(),
    }
}

/// Incentive programmes raise the arrival rate of large firms in their industries: they decide a
/// share `c = max_share·B/(B + half_budget)` of the arrivals, so `λ·c/(1 − c)` more arrive.
/// Only when effects are on.
pub(super) fn add_incentives(
    industries: &mut [IndustryModel],
    instruments: &[InstrumentModel],
    specs: &[scenario::Attraction],
) {
    for (k, inst) in instruments.iter().enumerate() {
        let KindModel::Attraction(_) = inst.kind else {
            continue;
        };
        let spec = specs
            .iter()
            .find(|a| a.id == inst.id)
            .expect("compiled from it");
        let max_share = spec.max_share.value();
        let half = crate::money::yuan(fen_of(spec.half_budget.0));
        let per_firm = crate::money::yuan(fen_of(spec.max_per_firm.0));
        // The large arrivals a year in its industries without incentives.
        let anyway: f64 = (industries.iter().enumerate())
            .filter(|(i, _)| inst.reaches(*i))
            .filter_map(|(_, ind)| ind.large.as_ref().map(|l| l.rate))
            .sum();
        let shares: Vec<f64> = (inst.budget.iter())
            .map(|&b| decided_share(crate::money::yuan(b), max_share, half, per_firm, anyway))
            .collect();
        for (i, ind) in industries.iter_mut().enumerate() {
            let Some(large) = ind.large.as_mut().filter(|_| inst.reaches(i)) else {
                continue;
            };
            let rates = shares.iter().map(|&c| large.rate * c / (1.0 - c)).collect();
            large.incentives.push((k, rates));
        }
    }
}

/// The share of large arrivals an incentive budget `b` a year decides, `c = max_share · B / (B +
/// half)`, where `B` is what it can spend: `b`, or less when `per_firm` times the arrivals it can
/// expect, `anyway / (1 − c)`, is less (the rest of the budget lapses unspent, and unspent money
/// decides no location). Then `c` is the fixed point of `c = max_share · x / (x + half)` with
/// `x = per_firm · anyway / (1 − c)`, found by bisection: the right side rises with `c` and stays
/// below `max_share < 1`, and at `c(b)` it is at most `c(b)`.
fn decided_share(b: f64, max_share: f64, half: f64, per_firm: f64, anyway: f64) -> f64 {
    let share = |x: f64| {
        if x > 0.0 {
            max_share * x / (x + half)
        } else {
            0.0
        }
    };
    let c = share(b);
    let payable = |c: f64| per_firm * anyway / (1.0 - c);
    if b <= payable(c) {
        return c;
    }
    // g(c) = share(payable(c)) − c: g(0) ≥ 0, g(c(b)) < 0 (payable(c(b)) < b).
    let (mut lo, mut hi) = (0.0, c);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if share(payable(mid)) >= mid {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The industries an instrument or a rule names (indices; none named = all), and per industry,
/// per stage, whether a firm there is eligible (named industries, and named stages or all).
pub(super) fn focus(
    industries: &[scenario::Industry],
    ids: &[String],
    stages: &[String],
) -> (Vec<usize>, Vec<Vec<bool>>) {
    let chosen: Vec<usize> = ids
        .iter()
        .map(|id| {
            industries
                .iter()
                .position(|i| &i.id == id)
                .expect("validated")
        })
        .collect();
    let eligible = industries
        .iter()
        .enumerate()
        .map(|(k, ind)| {
            let industry_ok = chosen.is_empty() || chosen.contains(&k);
            ind.stages
                .iter()
                .map(|s| industry_ok && (stages.is_empty() || stages.contains(&s.name)))
                .collect()
        })
        .collect();
    (chosen, eligible)
}
