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
use crate::firms::{CITY_INVESTED, Status};
use crate::ledger::{Outcome, Position};
use crate::model::{BaseDraw, EventDraw, SubsidyModel};
use crate::money::{Fen, fen_from_yuan_f64};
use crate::rng::{Stream, exp, index_below, normal, poisson, uniform};
use crate::subsidy::{Claim, PendingItem, SubsidyScratch};

fn draw_base(base: BaseDraw, rng: &mut Stream) -> i64 {
    match base {
        BaseDraw::Money(d) => fen_from_yuan_f64(exp(d.mu + d.sigma * normal(rng))),
        BaseDraw::Units(mean) => poisson(rng, mean) as i64,
        BaseDraw::None => 0,
    }
}

/// A new event of rule `r` for `firm`: its claim, and its item's first follow-up scheduled.
fn new_claim(k: usize, r: usize, draw: &EventDraw, firm: u32, year: &mut Year) -> Claim {
    let rng = &mut year.rngs[k];
    let base = draw_base(draw.base, rng);
    let institution =
        (draw.institutions > 0).then(|| index_below(rng, draw.institutions as usize) as u32);
    let item = draw.items.then(|| {
        let state = &mut year.subsidy_states[k];
        let item = state.next_item;
        state.next_item += 1;
        if let Some(first) = draw.follow_ups.first() {
            state.pending.push(PendingItem {
                rule: r,
                firm,
                item,
                due: year.y + first.after,
                step: 0,
            });
        }
        item
    });
    Claim {
        rule: r,
        firm,
        institution,
        base,
        item,
    }
}

/// An item that claims only once (no follow-ups): its total is forgotten after this year's payment.
fn single_item(draw: &EventDraw, claim: &Claim) -> Option<(usize, u32, u64)> {
    (draw.follow_ups.is_empty())
        .then_some(claim.item)
        .flatten()
        .map(|item| (claim.rule, claim.firm, item))
}

pub(super) fn invest(k: usize, sub: &SubsidyModel, purse: &mut Purse, year: &mut Year) {
    let y = year.y;
    let mut claims = std::mem::take(year.claims);
    claims.clear();
    // The year's working lists, empty, with the memory of earlier years. `ended`: the items that
    // claim no more after this year, whose totals are forgotten once paid.
    let SubsidyScratch {
        mut ended,
        mut paid,
        mut payout,
    } = std::mem::take(&mut year.subsidy_states[k].scratch);

    // Follow-ups due this year, in the order they were scheduled. The schedule keeps, in place and
    // in order, the items due later and the next step of each item claimed now.
    let mut pending = std::mem::take(&mut year.subsidy_states[k].pending);
    pending.retain_mut(|p| {
        if p.due != y {
            if p.due < y {
                ended.push((p.rule, p.firm, p.item)); // due in a year the programme did not run
            }
            return p.due > y;
        }
        let draw = &sub.draws[p.rule];
        let step = draw.follow_ups[p.step];
        let f = p.firm as usize;
        let alive = year.firms.local[f] && year.firms.status[f] != Status::Failed;
        if !(alive && uniform(&mut year.rngs[k]) < step.probability) {
            ended.push((p.rule, p.firm, p.item));
            return false;
        }
        let rng = &mut year.rngs[k];
        let base = draw_base(step.base, rng);
        let institution =
            (draw.institutions > 0).then(|| index_below(rng, draw.institutions as usize) as u32);
        claims.push(Claim {
            rule: p.rule,
            firm: p.firm,
            institution,
            base,
            item: Some(p.item),
        });
        match draw.follow_ups.get(p.step + 1) {
            Some(next) => {
                (p.due, p.step) = (y + next.after, p.step + 1);
                true
            }
            None => {
                ended.push((p.rule, p.firm, p.item));
                false
            }
        }
    });
    year.subsidy_states[k].pending = pending;

    let mut candidates = std::mem::take(year.candidates);
    // The rule whose eligible firms `candidates` holds: a rule with the same cells and the same
    // requirement has the same ones (nothing here changes a firm's stage or flags), and a
    // programme's rules often follow one another with the same reach.
    let mut found: Option<&crate::model::EventDraw> = None;
    for (r, draw) in sub.draws.iter().enumerate() {
        let city = draw.requires_city_investment;
        let invested = |f: usize, flags: &[u8]| !city || flags[f] & CITY_INVESTED != 0;
        if draw.large_arrivals {
            // Each of this year's large arrivals in the rule's industries claims once, with the
            // rule's probability.
            candidates.clear();
            found = None;
            let firms = &*year.firms;
            candidates.extend((year.events.large_arrivals.iter().copied()).filter(|&f| {
                let i = firms.industry[f as usize] as usize;
                draw.rates[i] > 0.0 && invested(f as usize, &firms.flags)
            }));
            for &firm in &candidates {
                let i = year.firms.industry[firm as usize] as usize;
                if uniform(&mut year.rngs[k]) < draw.rates[i] {
                    let claim = new_claim(k, r, draw, firm, year);
                    ended.extend(single_item(draw, &claim));
                    claims.push(claim);
                }
            }
            continue;
        }
        let same = found
            .is_some_and(|d| d.eligible == draw.eligible && d.requires_city_investment == city);
        if !same {
            let flags = &year.firms.flags;
            eligible_active(&mut candidates, &draw.eligible, year.firms, |f| {
                invested(f, flags)
            });
            found = Some(draw);
        }
        if candidates.is_empty() {
            continue;
        }
        if let Some(rate) = draw.uniform {
            let events = poisson(&mut year.rngs[k], rate * candidates.len() as f64);
            for _ in 0..events {
                let firm = candidates[index_below(&mut year.rngs[k], candidates.len())];
                let claim = new_claim(k, r, draw, firm, year);
                ended.extend(single_item(draw, &claim));
                claims.push(claim);
            }
            continue;
        }
        // Rates by industry: the candidates come industry by industry; each block has its own
        // Poisson count, its events spread uniformly over the block.
        let mut a = 0;
        while a < candidates.len() {
            let i = year.firms.industry[candidates[a] as usize];
            let b = a
                + (candidates[a..].iter())
                    .take_while(|&&f| year.firms.industry[f as usize] == i)
                    .count();
            let events = poisson(&mut year.rngs[k], draw.rates[i as usize] * (b - a) as f64);
            for _ in 0..events {
                let firm = candidates[a + index_below(&mut year.rngs[k], b - a)];
                let claim = new_claim(k, r, draw, firm, year);
                ended.extend(single_item(draw, &claim));
                claims.push(claim);
            }
            a = b;
        }
    }
    *year.candidates = candidates;
    // Arrival order (it matters for first-come rationing and for which item a cap cuts).
    for j in (1..claims.len()).rev() {
        claims.swap(j, index_below(&mut year.rngs[k], j + 1));
    }
    let budget = Some(purse.capacity());
    (sub.program).pay_year_into(&mut year.subsidy_states[k], &claims, budget, &mut payout);

    // One grant position per firm and year, in the order of the firms. The paid claims as
    // `firm << 32 | claim`, sorted as plain integers (cheaper than sorting pairs by a key); the
    // order within a firm's run does not matter, as integer sums do not depend on it.
    // Sized for every claim at once: a filtered collect would grow the vector step by step.
    paid.reserve(claims.len());
    paid.extend(
        (claims.iter().zip(&payout.paid).enumerate())
            .filter(|(_, (_, p))| **p > 0)
            .map(|(n, (c, _))| u64::from(c.firm) << 32 | n as u64),
    );
    let i = year.ledger.at(k, year.y);
    year.ledger.deals[i] += paid.len() as i64;
    year.ledger.subsidy_unmet[year.y] += payout.total_capped - payout.total_paid;
    paid.sort_unstable();
    for run in paid.chunk_by(|a, b| a >> 32 == b >> 32) {
        let firm = (run[0] >> 32) as u32;
        let amount: Fen = run.iter().map(|&e| payout.paid[e as u32 as usize]).sum();
        year.support(k, firm);
        year.positions
            .push(Position::paid(k, firm, year.y, amount, Outcome::Grant));
    }
    if payout.total_paid > 0 {
        year.pay(k, purse, payout.total_paid);
    }
    let state = &mut year.subsidy_states[k];
    for (rule, firm, item) in ended.drain(..) {
        state.forget_item(rule, firm, item);
    }
    paid.clear();
    payout.clear();
    state.scratch = SubsidyScratch {
        ended,
        paid,
        payout,
    };
    *year.claims = claims;
}
