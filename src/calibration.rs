//! Cohort statistics of an industry's firm model, to compare with published cohort studies.
//!
//! A cohort of firms starts in the first stage (just after its entry round) and is followed for a
//! number of years through the same ladder, with the same transition code and the scenario's
//! market factors (regime shifts left out: cohort studies average over markets). Measured, as
//! cohort studies report them:
//! - the share of the cohort that ever reached each stage within the horizon;
//! - the shares that exited by M&A or IPO, and that failed, by the horizon;
//! - the share of firms reaching the second stage that reach the third within 4 years of it
//!   (Carta's "A to B within 4 years");
//! - the median years from entry to exit, and to failure, among those that did.
//!
//! Pure: no I/O. The firms are simulated as outside firms of a private [`Firms`] so nothing local
//! is counted.

use crate::firms::{Firms, Status};
use crate::market::Market;
use crate::model::Model;
use crate::rng::{self, exp, normal};

/// What a cohort did.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub firms: usize,
    pub years: usize,
    /// `reached[s]`: share that ever reached stage `s` (1 for the first).
    pub reached: Vec<f64>,
    pub acquired: f64,
    pub ipo: f64,
    pub failed: f64,
    /// Among firms reaching the second stage, the share reaching the third within 4 years of it.
    pub second_to_third_in_4y: f64,
    pub median_years_to_exit: f64,
    pub median_years_to_failure: f64,
}

/// Follows `firms` new firms of industry `industry` for `years` years (seeded by `seed`).
pub fn cohort(model: &Model, industry: usize, firms: usize, years: usize, seed: u64) -> Cohort {
    let mut quiet = model.clone();
    quiet.market.shift.iter_mut().for_each(|s| *s = 0.0);
    let ind = &quiet.industries[industry];
    let n_stages = ind.stages.len();
    let n_ind = quiet.industries.len();

    let mut market = Market::default();
    let mut market_rng = rng::stream(seed, 0, rng::MARKET);
    let mut factor_rngs: Vec<_> = (quiet.industries.iter())
        .map(|i| rng::stream(seed, 0, rng::industry_factor(&i.id)))
        .collect();
    let parent = rng::key(seed, 0, rng::industry_firms(&ind.id));
    market.start(&mut market_rng, &mut factor_rngs);

    let mut pop = Firms::default();
    pop.clear(n_ind, 0);
    let ids: Vec<u32> = (0..firms)
        .map(|j| {
            // Keyed like the new projects of a path, so each firm has draws of its own.
            let key = rng::child(parent, rng::purpose::ARRIVAL, 0, j as u64);
            let mut c = rng::counter(key, 0, rng::purpose::CREATE);
            let value = exp(ind.entry_value.mu + ind.entry_value.sigma * normal(&mut c));
            pop.add_outside(industry, 0, value, 0, key)
        })
        .collect();
    // Year each firm first reached each stage (the entry round is year 0 in the first stage).
    let mut reached_at: Vec<Vec<Option<usize>>> = vec![vec![None; n_stages]; firms];
    for r in &mut reached_at {
        r[0] = Some(0);
    }
    let mut ended_at: Vec<Option<(usize, Status)>> = vec![None; firms];
    let horizon = years.min(quiet.n_years);
    let mut x = Vec::new();
    for y in 0..horizon {
        market.step(&quiet, y, (&mut market_rng, &mut factor_rngs), &mut x);
        pop.begin_year(&quiet, &x);
        pop.outside_year(&quiet, (industry, y));
        for (k, &f) in ids.iter().enumerate() {
            let f = f as usize;
            let stage = pop.stage[f] as usize;
            if reached_at[k][stage].is_none() {
                reached_at[k][stage] = Some(y + 1);
            }
            if ended_at[k].is_none() && pop.status[f] != Status::Active {
                ended_at[k] = Some((y + 1, pop.status[f]));
            }
        }
    }

    let share = |count: usize| count as f64 / firms.max(1) as f64;
    let reached = (0..n_stages)
        .map(|s| share(reached_at.iter().filter(|r| r[s].is_some()).count()))
        .collect();
    let ended = |status: Status| {
        (ended_at.iter())
            .filter(|e| e.is_some_and(|(_, s)| s == status))
            .count()
    };
    let (mut second, mut third_in_4) = (0usize, 0usize);
    if n_stages > 2 {
        for r in &reached_at {
            if let Some(a) = r[1] {
                second += 1;
                if r[2].is_some_and(|b| b <= a + 4) {
                    third_in_4 += 1;
                }
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(f64::total_cmp);
        crate::stats::quantile_sorted(&v, 0.5)
    };
    let exits: Vec<f64> = (ended_at.iter().flatten())
        .filter(|(_, s)| matches!(s, Status::Listed | Status::Acquired))
        .map(|(y, _)| *y as f64)
        .collect();
    let failures: Vec<f64> = (ended_at.iter().flatten())
        .filter(|(_, s)| *s == Status::Failed)
        .map(|(y, _)| *y as f64)
        .collect();
    Cohort {
        firms,
        years: horizon,
        reached,
        acquired: share(ended(Status::Acquired)),
        ipo: share(ended(Status::Listed)),
        failed: share(ended(Status::Failed)),
        second_to_third_in_4y: if second > 0 {
            third_in_4 as f64 / second as f64
        } else {
            f64::NAN
        },
        median_years_to_exit: median(exits),
        median_years_to_failure: median(failures),
    }
}

/// What support did for the firms that instruments of some kinds supported in the first year,
/// over the next `years` years: with the policy channels, and in the money-only reading on the
/// same draws (year-0 recipients are the same in both, since nothing differs before the support).
#[derive(Debug, Clone, PartialEq)]
pub struct SupportUplift {
    /// Supported firms followed (over all paths).
    pub firms: usize,
    /// Share that raised a round in years `1..=years`: with effects, money only.
    pub round: (f64, f64),
    /// Share still alive (not failed) at the end of year `years`: with effects, money only.
    pub alive: (f64, f64),
}

/// [`SupportUplift`] of the year-0 recipients of instruments whose kind is in `kinds`, over
/// `paths` paths seeded with `seed`.
pub fn support_uplift(
    model: &Model,
    kinds: &[&str],
    years: usize,
    paths: u64,
    seed: u64,
) -> SupportUplift {
    use crate::sim::PathSim;
    use std::collections::HashMap;
    let with = model.truncated(years + 1);
    let without = with.money_only();
    let (mut a, mut b) = (PathSim::new(&with), PathSim::new(&without));
    let (mut n, mut round, mut alive) = (0usize, [0usize; 2], [0usize; 2]);
    for path in 0..paths {
        a.run(seed, path);
        b.run(seed, path);
        let index: HashMap<u64, usize> = (0..b.firms.len()).map(|i| (b.firms.key[i], i)).collect();
        let mut seen = std::collections::HashSet::new();
        for p in &a.positions {
            let code = with.instruments[p.instrument].kind.code();
            if p.entry_year != 0 || !kinds.contains(&code) || !seen.insert(p.firm) {
                continue;
            }
            let f = p.firm as usize;
            let g = index[&a.firms.key[f]];
            n += 1;
            for (k, (firms, i)) in [(&a.firms, f), (&b.firms, g)].into_iter().enumerate() {
                round[k] += (firms.last_round[i] >= 1) as usize;
                alive[k] += (firms.status[i] != Status::Failed) as usize;
            }
        }
    }
    let share = |k: usize| k as f64 / n.max(1) as f64;
    SupportUplift {
        firms: n,
        round: (share(round[0]), share(round[1])),
        alive: (share(alive[0]), share(alive[1])),
    }
}

/// How the bottom-up sub-funds of a scenario did, over `paths` paths: each fund's age at the
/// horizon (years since its close), DPI (distributions over called capital, whole fund) and TVPI
/// (distributions plus NAV, over called), and whether it has ended; and the realised multiples of
/// their closed deals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FundOutcomes {
    /// `(age, dpi, tvpi, ended)` per fund with capital called.
    pub funds: Vec<(usize, f64, f64, bool)>,
    pub deals: crate::instruments::DealTally,
}

pub fn fund_outcomes(model: &Model, paths: u64, seed: u64) -> FundOutcomes {
    use crate::instruments::{FundState, fund_nav};
    use crate::sim::PathSim;
    let mut sim = PathSim::new(model);
    let mut out = FundOutcomes::default();
    let last = model.n_years - 1;
    for path in 0..paths {
        sim.run(seed, path);
        for fund in &sim.funds {
            let FundState::BottomUp(b) = &fund.state else {
                continue;
            };
            if b.called <= 0 {
                continue;
            }
            let nav = if fund.end.is_some() {
                0
            } else {
                fund_nav(fund, &sim.firms, model, last)
            };
            let called = b.called as f64;
            out.funds.push((
                last - fund.start,
                b.distributed as f64 / called,
                (b.distributed + nav) as f64 / called,
                fund.end.is_some(),
            ));
            out.deals.closed += b.tally.closed;
            out.deals.below_cost += b.tally.below_cost;
            out.deals.ten_x += b.tally.ten_x;
        }
    }
    out
}
