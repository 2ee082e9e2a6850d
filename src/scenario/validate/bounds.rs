//! The bounds on work and on money that no one section sees: firms per path, subsidy claims a
//! year, deals per fund, and the instruments' money over the horizon.

use super::*;

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
pub(super) fn work_bounds(c: &mut Checker, f: &ScenarioFile) {
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
pub(super) fn horizon_totals(c: &mut Checker, f: &ScenarioFile) {
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
