//! Subsidy programmes: the policy's capped subsidies (流片, 临床试验, 算力券, ...) paid from a yearly
//! budget.
//!
//! Each year, for each rule, eligible active firms (the programme's industries and the rule's
//! stages) have events at a Poisson rate per firm-year: the year's total is drawn as one Poisson of
//! mean `rate × eligible firms` and each event goes to a uniformly chosen eligible firm, which is the
//! same law as one Poisson per firm and costs one draw per event instead of one per firm. An event
//! has a base (a log-normal cost or revenue, or a Poisson count of units) and, for rules with an
//! institution cap, an institution drawn uniformly. The claims arrive in random order and are paid
//! by [`crate::subsidy::Program`], exactly: rates, floors, caps per item, firm-year, institution-year
//! and firm in total, then the budget's rationing rule. Payments to a firm in a year are one grant
//! position; capped claims the budget could not pay are booked as unmet demand.

use super::{Purse, Year, eligible_active};
use crate::ledger::{Outcome, Position};
use crate::model::{BaseDraw, SubsidyModel};
use crate::money::{Fen, fen_from_yuan_f64};
use crate::rng::{exp, index_below, normal, poisson};
use crate::subsidy::Claim;

pub(super) fn invest(k: usize, sub: &SubsidyModel, purse: &mut Purse, year: &mut Year) {
    let mut claims = std::mem::take(year.claims);
    claims.clear();
    let mut candidates = std::mem::take(year.candidates);
    for (r, draw) in sub.draws.iter().enumerate() {
        eligible_active(&mut candidates, &draw.eligible, year.firms, |_| true);
        if candidates.is_empty() {
            continue;
        }
        let events = poisson(&mut year.rngs[k], draw.rate * candidates.len() as f64);
        for _ in 0..events {
            let firm = candidates[index_below(&mut year.rngs[k], candidates.len())];
            let base = match draw.base {
                BaseDraw::Money(d) => {
                    fen_from_yuan_f64(exp(d.mu + d.sigma * normal(&mut year.rngs[k])))
                }
                BaseDraw::Units(mean) => poisson(&mut year.rngs[k], mean) as i64,
                BaseDraw::None => 0,
            };
            let institution = (draw.institutions > 0)
                .then(|| index_below(&mut year.rngs[k], draw.institutions as usize) as u32);
            claims.push(Claim {
                rule: r,
                firm,
                institution,
                base,
            });
        }
    }
    *year.candidates = candidates;
    // Arrival order (it matters for first-come rationing and for which item a cap cuts).
    for j in (1..claims.len()).rev() {
        claims.swap(j, index_below(&mut year.rngs[k], j + 1));
    }
    let payout =
        sub.program
            .pay_year_within(&mut year.subsidy_states[k], &claims, Some(purse.capacity()));

    // One grant position per firm and year.
    let mut paid: Vec<(u32, Fen)> = (claims.iter().zip(&payout.paid))
        .filter(|(_, p)| **p > 0)
        .map(|(c, p)| (c.firm, *p))
        .collect();
    let i = year.ledger.at(k, year.y);
    year.ledger.deals[i] += paid.len() as i64;
    year.ledger.subsidy_unmet[year.y] += payout.total_capped - payout.total_paid;
    paid.sort_unstable_by_key(|(firm, _)| *firm);
    for run in paid.chunk_by(|a, b| a.0 == b.0) {
        let firm = run[0].0;
        let amount: Fen = run.iter().map(|(_, p)| p).sum();
        year.support(k, firm);
        year.positions
            .push(Position::paid(k, firm, year.y, amount, Outcome::Grant));
    }
    if payout.total_paid > 0 {
        year.pay(k, purse, payout.total_paid);
    }
    *year.claims = claims;
}
