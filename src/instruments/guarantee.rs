//! Financing guarantees (融资担保) as 政府性融资担保 practises them.
//!
//! Each year the programme guarantees `⌊volume / loan_size⌋` new loans to eligible active firms
//! without a loan of this programme outstanding (if `supported_only`, only firms another instrument
//! already supported), chosen at random like grant recipients. A loan runs `term` years. In each
//! year it is outstanding (the year it is made included) the firm pays `fee · principal` to the
//! guarantor, or to the city if the scenario says so, and the city pays its fee subsidy
//! `fee_subsidy · principal` (担保费补贴; Jiangsu pays guarantors 1% a year on small-firm loans). In
//! each later year, before the fee, the loan defaults if the firm failed that year or, for a
//! surviving firm, with probability `base_default`; the city then bears `lgd · cover · principal`
//! and the loan ends. A loan that survives its term is repaid.
//!
//! **Where the city's losses come from.** Without a risk-compensation pool they are fiscal money
//! when they happen (an obligation, not limited by any budget). With one (风险补偿资金池) the city pays
//! the pool's size up front, in the programme's first year with loan volume; losses are paid from
//! the pool, at most `year_cap` a year; what the pool cannot pay falls on the bank and the
//! guarantor, and no new loans are made once it is empty. Its balance is the programme's holding
//! (the city's money) until the horizon.
//!
//! **Money mobilised** is the bank's own money at risk, `bank_share · principal` (banks bear at
//! least 20% under the national risk split), not the whole loan. (References:
//! `notebooks-data/reference/fiscal_rules.csv`.)

use super::{Purse, Year, draw_next, eligible_active};
use crate::firms::{Firms, Status};
use crate::ledger::{Ledger, Outcome, Position};
use crate::model::{GuaranteeModel, InstrumentModel};
use crate::money::Fen;
use crate::rng::{Stream, uniform};

pub(super) fn invest(
    k: usize,
    inst: &InstrumentModel,
    g: &GuaranteeModel,
    purse: &Purse,
    year: &mut Year,
) {
    // The purse's fiscal side is the year's loan volume; no cash goes out for the loans.
    let mut affordable = (purse.fiscal / g.loan_size) as usize;
    if affordable == 0 {
        return;
    }
    if let Some((size, _)) = g.pool {
        if !year.ledger.risk_pool_funded[k] {
            // The pool is paid in once, up front.
            year.ledger.risk_pool_funded[k] = true;
            year.ledger.risk_pool[k] = size;
            let i = year.ledger.at(k, year.y);
            year.ledger.fiscal[i] += size;
        }
        if year.ledger.risk_pool[k] <= 0 {
            affordable = 0;
        }
    }
    let bit = 1u64 << k;
    let mut candidates = std::mem::take(year.candidates);
    let firms = &*year.firms;
    eligible_active(&mut candidates, &inst.eligible, firms, |f| {
        firms.granted[f] & bit == 0 && (!g.supported_only || firms.supported[f])
    });
    let n = affordable.min(candidates.len());
    let i = year.ledger.at(k, year.y);
    for j in 0..n {
        let firm = draw_next(&mut candidates, j, &mut year.rngs[k]);
        // The bit marks an outstanding loan of this programme; it is cleared when the loan ends.
        year.firms.granted[firm as usize] |= bit;
        year.support(k, firm);
        let mut loan = Position::paid(k, firm, year.y, 0, Outcome::Open);
        loan.principal = g.loan_size;
        year_of_loan(&mut loan, g, year.ledger, year.y);
        let mobilised = g.bank_share.apply(g.loan_size);
        year.ledger.mobilised[i] += mobilised;
        year.ledger.mobilised_program[year.y] += mobilised;
        year.ledger.loans_made[year.y] += g.loan_size;
        year.ledger.deals[i] += 1;
        year.positions.push(loan);
    }
    *year.candidates = candidates;
}

/// A year a loan is outstanding: the fee (the city's income only if it keeps the fees) and the
/// city's fee subsidy (an obligation, like losses).
fn year_of_loan(p: &mut Position, g: &GuaranteeModel, ledger: &mut Ledger, y: usize) {
    let i = ledger.at(p.instrument, y);
    if g.fee_to_city {
        let fee = g.fee.apply(p.principal);
        p.proceeds += fee;
        ledger.proceeds[i] += fee;
    }
    let subsidy = g.fee_subsidy.apply(p.principal);
    p.cost += subsidy;
    ledger.fiscal[i] += subsidy;
}

/// Year `y` of an outstanding loan made before it: default, repayment or another year.
pub(super) fn settle_loan(
    p: &mut Position,
    g: &GuaranteeModel,
    y: usize,
    firms: &mut Firms,
    ledger: &mut Ledger,
    rng: &mut Stream,
) {
    if y as i32 == p.entry_year {
        return;
    }
    let f = p.firm as usize;
    let k = p.instrument;
    let i = ledger.at(k, y);
    let bit = 1u64 << k;
    let defaults = firms.status[f] == Status::Failed || uniform(rng) < g.base_default;
    if defaults {
        let loss = g.lgd.apply(g.cover.apply(p.principal));
        let paid = match g.pool {
            None => {
                ledger.fiscal[i] += loss;
                loss
            }
            Some((_, cap)) => {
                // From the pool, within its balance and the year's cap; the rest is not the city's.
                let room = cap.map_or(Fen::MAX, |c| c - ledger.risk_pool_paid[i]);
                let paid = loss.min(ledger.risk_pool[k]).min(room.max(0));
                ledger.risk_pool[k] -= paid;
                ledger.risk_pool_paid[i] += paid;
                paid
            }
        };
        p.cost += paid;
        p.outcome = Outcome::Defaulted;
        p.exit_year = Some(y);
        firms.granted[f] &= !bit;
    } else if y as i32 >= p.entry_year + g.term as i32 {
        p.outcome = Outcome::Repaid;
        p.exit_year = Some(y);
        firms.granted[f] &= !bit;
    } else {
        year_of_loan(p, g, ledger, y);
    }
}
