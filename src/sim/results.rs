//! A path's scalar results from its books and yearly series.
//!
//! Treasury view (the program as a fund whose only investor is the treasury):
//! - paid in = fiscal outlay `F = Σ_t F_t`; distributions `D = Σ_t D_t` (the returned share of
//!   proceeds); residual value at the horizon `R = holdings + pool balance`;
//! - `TVPI = (D + R) / F`, `DPI = D / F`, net fiscal cost `F − D − R`;
//! - present value `Σ_t (F_t − D_t)(1+ρ)^{-t} − R (1+ρ)^{-(T−1)}`, `t` counted from the start year;
//! - fiscal IRR from the dated flows `D_t − F_t`, with `R` added in the last year (never an average of
//!   deal IRRs), defined only when those flows start with money out and have provably one rate
//!   (one sign change, Norström's test of the cumulative flows, or else a count of the roots:
//!   [`crate::irr`]); the modified IRR at the discount rate reads every path.
//!
//! Per instrument the same with `deployed` (fiscal and pooled money) as paid in and all its proceeds
//! as distributions; its net cost is `deployed − proceeds − holdings`. Ratios are `NaN` where
//! nothing was paid in.
//!
//! What the policy caused (`additional_*`): rounds and exits of supported firms minus those of
//! their shadows, projects and talents brought into the city, and the firms that were new
//! (potential) unicorns or chain leaders in some year minus their shadows that were; per
//! instrument, credited to the instrument of each firm's first additional support. Cost per
//! additional outcome is the net cost over the additional outcomes, on paths with at least one
//! (`NaN` elsewhere, so its summary is conditional on success: the ratio of the two means, from
//! `summary.csv`, is the unconditional reading).

use super::PathSim;
use crate::irr::{irr, mirr};
use crate::ledger::Ledger;
use crate::metrics::{Catalogue, IS, Reading, S, TargetRead, Y};
use crate::money::yuan;
use crate::scenario::Direction;

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { f64::NAN }
}

/// Cost per additional outcome: defined on paths with at least one.
fn per(cost: f64, outcomes: i64) -> f64 {
    if outcomes > 0 {
        cost / outcomes as f64
    } else {
        f64::NAN
    }
}

pub(super) fn finish(sim: &mut PathSim) {
    let model = sim.model;
    let n = model.n_years;
    let last = n - 1;
    let l = &sim.ledger;
    let yearly = &sim.yearly;
    let series = |m: Y| &yearly[m as usize * n..(m as usize + 1) * n];
    let total = |m: Y| series(m).iter().sum::<i64>();
    let at_end = |m: Y| series(m)[last];

    let fiscal = total(Y::FiscalOutlay);
    let to_treasury = total(Y::ToTreasury);
    let holdings = at_end(Y::HoldingsValue);
    let pool = l.final_pool();
    let residual = holdings + pool;
    let discount = 1.0 / (1.0 + model.program.discount_rate);

    let mut flows: Vec<f64> = (0..n)
        .map(|y| yuan(series(Y::ToTreasury)[y] - series(Y::FiscalOutlay)[y]))
        .collect();
    flows[last] += yuan(residual);
    let pv = -crate::irr::npv(&flows, 1.0 / discount - 1.0);

    let expected_loss = expected_guarantee_loss(sim);
    let funds = fund_books(sim);
    let s = &mut sim.scalars;
    let mut put = |m: S, v: f64| s[m as usize] = v;
    put(S::FiscalOutlay, yuan(fiscal));
    put(S::Deployed, yuan(total(Y::Deployed)));
    put(S::MoneyBack, yuan(total(Y::MoneyBack)));
    put(S::ToTreasury, yuan(to_treasury));
    put(S::HoldingsValue, yuan(holdings));
    put(S::PoolBalance, yuan(pool));
    put(S::NetFiscalCost, yuan(fiscal - to_treasury - residual));
    put(S::NetFiscalCostPv, pv);
    let fiscal_irr = irr(&flows);
    put(S::FiscalIrr, fiscal_irr);
    put(S::FiscalIrrDefined, fiscal_irr.is_finite() as u8 as f64);
    put(S::FiscalMirr, mirr(&flows, model.program.discount_rate));
    put(S::Tvpi, ratio(yuan(to_treasury + residual), yuan(fiscal)));
    put(S::Dpi, ratio(yuan(to_treasury), yuan(fiscal)));
    put(S::Mobilised, yuan(total(Y::Mobilised)));
    put(
        S::MobilisedPerFiscalYuan,
        ratio(yuan(total(Y::Mobilised)), yuan(fiscal)),
    );
    put(S::ProjectsLanded, total(Y::ProjectsLanded) as f64);
    put(S::Talents, total(Y::Talents) as f64);
    put(S::Financing, yuan(total(Y::Financing)));
    put(S::FirmsSupported, total(Y::FirmsSupported) as f64);
    put(S::GrantsAwarded, total(Y::GrantsAwarded) as f64);
    put(S::EquityDeals, total(Y::EquityDeals) as f64);
    put(S::Conversions, total(Y::Conversions) as f64);
    put(S::Exits, total(Y::Exits) as f64);
    put(S::Unicorns, at_end(Y::Unicorns) as f64);
    put(S::PotentialUnicorns, at_end(Y::PotentialUnicorns) as f64);
    put(S::ChainLeaders, at_end(Y::ChainLeaders) as f64);
    put(S::ChainLeadersNew, at_end(Y::ChainLeadersNew) as f64);
    put(S::Clusters, at_end(Y::Clusters) as f64);
    put(S::LocalRevenue, yuan(at_end(Y::LocalRevenue)));
    put(S::UnfundedCommitments, yuan(at_end(Y::UnfundedCommitments)));
    put(S::GuaranteedPrincipal, yuan(at_end(Y::GuaranteedPrincipal)));
    put(S::GuaranteedCityShare, yuan(at_end(Y::GuaranteedCityShare)));
    put(S::PendingConvertibles, yuan(at_end(Y::PendingConvertibles)));
    put(S::ExpectedGuaranteeLoss, expected_loss);
    put(
        S::NetFiscalCostWithOutstanding,
        yuan(fiscal - to_treasury - residual) + expected_loss,
    );
    // The tax the policy added or kept, as a return to the treasury.
    let additional_tax = series(Y::AdditionalTaxRevenue);
    let with_tax: Vec<f64> = (flows.iter().zip(additional_tax))
        .map(|(f, &t)| f + yuan(t))
        .collect();
    put(S::TaxRevenue, yuan(total(Y::TaxRevenue)));
    put(
        S::AdditionalTaxRevenue,
        yuan(total(Y::AdditionalTaxRevenue)),
    );
    put(
        S::NetFiscalCostAfterTax,
        yuan(fiscal - to_treasury - residual - total(Y::AdditionalTaxRevenue)),
    );
    let irr_with_tax = irr(&with_tax);
    put(S::FiscalIrrWithTax, irr_with_tax);
    put(
        S::FiscalIrrWithTaxDefined,
        irr_with_tax.is_finite() as u8 as f64,
    );
    // The national indicators (国办发〔2025〕1号), for the programme (`metrics::INDICATORS`).
    let mut approps = 0;
    let mut unspent = 0;
    for (k, inst) in model.instruments.iter().enumerate() {
        if inst.kind.spends_budget() {
            let budget: i64 = inst.budget.iter().sum();
            approps += budget;
            unspent += (budget - Ledger::total(&l.fiscal, k, n)).max(0);
        }
    }
    let committed: i64 = funds.iter().map(|f| f.committed).sum();
    let unfunded: i64 = funds.iter().map(|f| f.unfunded).sum();
    let deployed_all: i64 = (0..model.instruments.len())
        .map(|k| (0..n).map(|y| l.deployed(k, y)).sum::<i64>())
        .sum();
    let back_all: i64 = l.proceeds.iter().sum();
    put(
        S::Leverage,
        ratio(yuan(fiscal + total(Y::Mobilised)), yuan(fiscal)),
    );
    put(
        S::PrincipalRecovery,
        ratio(yuan(back_all.min(deployed_all)), yuan(deployed_all)),
    );
    put(
        S::IdleRate,
        ratio(yuan(unspent + unfunded), yuan(approps + committed)),
    );
    put(
        S::EarlyStageShare,
        ratio(
            yuan(l.invested_early.iter().sum()),
            yuan(l.invested.iter().sum()),
        ),
    );
    put(
        S::FanhouMultiple,
        ratio(
            yuan(funds.iter().map(|f| f.recognised).sum()),
            yuan(funds.iter().map(|f| f.committed_new).sum()),
        ),
    );
    put(
        S::PaidInRate,
        ratio(yuan(funds.iter().map(|f| f.called).sum()), yuan(committed)),
    );
    put(S::LargeArrivals, total(Y::LargeArrivals) as f64);
    put(S::Relocations, total(Y::Relocations) as f64);

    // What the policy caused: flows summed over the horizon; (potential) unicorns and chain
    // leaders counted once per firm that ever was one (firm minus shadow), credited per instrument.
    let mut credits = sim.firms.credits.clone();
    for sh in &sim.firms.shadows {
        let c = &mut credits[sh.credit as usize];
        c.unicorns += sh.unicorn_ever[0] as i64 - sh.unicorn_ever[1] as i64;
        c.leaders += sh.leader_ever[0] as i64 - sh.leader_ever[1] as i64;
    }
    let unicorns: i64 = credits.iter().map(|c| c.unicorns).sum();
    let leaders: i64 = credits.iter().map(|c| c.leaders).sum();
    let net_cost = yuan(fiscal - to_treasury - residual);
    put(S::AdditionalRounds, total(Y::AdditionalRounds) as f64);
    put(S::AdditionalExits, total(Y::AdditionalExits) as f64);
    put(S::AdditionalUnicorns, unicorns as f64);
    put(S::AdditionalChainLeaders, leaders as f64);
    put(S::AdditionalProjects, total(Y::AdditionalProjects) as f64);
    put(S::AdditionalTalents, total(Y::AdditionalTalents) as f64);
    put(S::CostPerAdditionalUnicorn, per(net_cost, unicorns));
    put(S::CostPerAdditionalChainLeader, per(net_cost, leaders));
    put(
        S::CostPerAdditionalProject,
        per(net_cost, total(Y::AdditionalProjects)),
    );

    for (k, c) in credits.iter().enumerate() {
        let deployed: i64 = (0..n).map(|y| l.deployed(k, y)).sum();
        let back = Ledger::total(&l.proceeds, k, n);
        let held = l.holdings[l.at(k, last)];
        let mut flows: Vec<f64> = (0..n)
            .map(|y| yuan(l.proceeds[l.at(k, y)] - l.deployed(k, y)))
            .collect();
        flows[last] += yuan(held);
        let base = Catalogue::instrument_scalar(k);
        let mut put = |m: IS, v: f64| s[base + m as usize] = v;
        put(IS::FiscalOutlay, yuan(Ledger::total(&l.fiscal, k, n)));
        put(IS::Deployed, yuan(deployed));
        put(IS::MoneyBack, yuan(back));
        put(IS::HoldingsValue, yuan(held));
        put(IS::Tvpi, ratio(yuan(back + held), yuan(deployed)));
        put(IS::Dpi, ratio(yuan(back), yuan(deployed)));
        let rate = irr(&flows);
        put(IS::Irr, rate);
        put(IS::IrrDefined, rate.is_finite() as u8 as f64);
        put(IS::Mirr, mirr(&flows, model.program.discount_rate));
        put(IS::Mobilised, yuan(Ledger::total(&l.mobilised, k, n)));
        put(IS::Deals, Ledger::total(&l.deals, k, n) as f64);
        let net_cost = yuan(deployed - back - held);
        put(IS::NetFiscalCost, net_cost);
        put(IS::AdditionalRounds, c.rounds as f64);
        put(IS::AdditionalExits, c.exits as f64);
        put(IS::AdditionalUnicorns, c.unicorns as f64);
        put(IS::AdditionalChainLeaders, c.leaders as f64);
        put(IS::AdditionalProjects, c.projects as f64);
        put(IS::AdditionalTalents, c.talents as f64);
        put(IS::CostPerAdditionalUnicorn, per(net_cost, c.unicorns));
        put(IS::CostPerAdditionalChainLeader, per(net_cost, c.leaders));
        put(IS::CostPerAdditionalProject, per(net_cost, c.projects));
        let fb = funds[k];
        put(
            IS::Leverage,
            ratio(
                yuan(deployed + Ledger::total(&l.mobilised, k, n)),
                yuan(deployed),
            ),
        );
        put(
            IS::PrincipalRecovery,
            ratio(yuan(back.min(deployed)), yuan(deployed)),
        );
        let inst = &model.instruments[k];
        let idle = if inst.kind.spends_budget() {
            let budget: i64 = inst.budget.iter().sum();
            let spent = Ledger::total(&l.fiscal, k, n);
            ratio(yuan((budget - spent).max(0)), yuan(budget))
        } else {
            ratio(yuan(fb.unfunded), yuan(fb.committed))
        };
        put(IS::IdleRate, idle);
        put(
            IS::EarlyStageShare,
            ratio(yuan(l.invested_early[k]), yuan(l.invested[k])),
        );
        put(
            IS::FanhouMultiple,
            ratio(yuan(fb.recognised), yuan(fb.committed_new)),
        );
        put(IS::PaidInRate, ratio(yuan(fb.called), yuan(fb.committed)));
    }

    for (j, t) in model.targets.iter().enumerate() {
        let value = target_value(yearly, n, t.read, t.deadline);
        let met = match t.direction {
            Direction::AtLeast => value >= t.threshold,
            Direction::AtMost => value <= t.threshold,
        };
        let unit_value = match t.read.unit {
            crate::metrics::Unit::Cny => value / 100.0,
            _ => value,
        };
        s[sim.catalogue.target_value(j)] = unit_value;
        s[sim.catalogue.target_met(j)] = if met { 1.0 } else { 0.0 };
    }
    if let (Some(i), Some(book)) = (sim.catalogue.sunk_cost(), &model.book) {
        s[i] = yuan(book.sunk.iter().sum());
    }
}

/// A sub-fund programme's commitments over the path: what the city committed to its funds that
/// closed, what they called, what is still uncalled in live funds at the horizon, and what was
/// recognised toward 返投 (zeros for other instruments).
#[derive(Debug, Clone, Copy, Default)]
struct FundBook {
    committed: i64,
    /// Commitments to funds of this run (a book's funds carry no 返投 account).
    committed_new: i64,
    called: i64,
    unfunded: i64,
    recognised: i64,
}

fn fund_books(sim: &PathSim) -> Vec<FundBook> {
    use crate::instruments::FundState;
    let model = sim.model;
    let mut books = vec![FundBook::default(); model.instruments.len()];
    for fund in &sim.funds {
        let crate::model::KindModel::SubFund(fm) = &model.instruments[fund.instrument].kind else {
            continue;
        };
        let b = &mut books[fund.instrument];
        b.committed += fund.commitment(fm);
        if fund.inherited.is_none() {
            b.committed_new += fund.commitment(fm);
        }
        b.called += fund.called();
        if fund.end.is_none() && fund.city_out.is_none() {
            b.unfunded += fund.unfunded(fm);
        }
        if let FundState::BottomUp(bu) = &fund.state {
            b.recognised += bu.recognised;
        }
    }
    books
}

/// The expected cost to the city of the guaranteed loans still outstanding at the horizon, in
/// yuan: for each, `lgd · cover · principal` times the chance it defaults over the years left of
/// its term, at a yearly rate of the base default rate plus its firm's base failure probability
/// (no market), capped by what the programme's risk-compensation pool still holds.
fn expected_guarantee_loss(sim: &PathSim) -> f64 {
    let model = sim.model;
    let last = model.n_years - 1;
    let mut by_instrument = vec![0.0; model.instruments.len()];
    for p in &sim.positions {
        if p.outcome != crate::ledger::Outcome::Open || p.principal == 0 {
            continue;
        }
        let crate::model::KindModel::Guarantee(g) = &model.instruments[p.instrument].kind else {
            continue;
        };
        let f = p.firm as usize;
        let left = (p.entry_year + g.term as i32 - last as i32).max(0);
        let fail = match sim.firms.status[f] {
            crate::firms::Status::Active => {
                let st = &model.industries[sim.firms.industry[f] as usize].stages
                    [sim.firms.stage[f] as usize];
                1.0 / (1.0 + st.odds_fail)
            }
            _ => 0.0,
        };
        let pd = (g.base_default + fail).min(1.0);
        let default = 1.0 - (1.0 - pd).powi(left);
        by_instrument[p.instrument] += yuan(g.lgd.apply(g.cover.apply(p.principal))) * default;
    }
    (by_instrument.iter().enumerate())
        .map(|(k, &loss)| match &model.instruments[k].kind {
            crate::model::KindModel::Guarantee(g) if g.pool.is_some() => {
                loss.min(yuan(sim.ledger.risk_pool[k]))
            }
            _ => loss,
        })
        .sum()
}

/// A target metric's value at the deadline, in booking units (fen or count).
pub fn target_value(yearly: &[i64], n_years: usize, read: TargetRead, deadline: usize) -> f64 {
    let series = &yearly[read.index * n_years..(read.index + 1) * n_years];
    let upto = &series[..=deadline];
    match read.reading {
        Reading::Cumulative => upto.iter().sum::<i64>() as f64,
        Reading::AtYearEnd => series[deadline] as f64,
        Reading::MinPerYear => upto.iter().copied().min().unwrap_or(0) as f64,
    }
}
