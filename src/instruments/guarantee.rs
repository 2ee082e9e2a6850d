//! Financing guarantees (融资担保): the city covers a share of bank loans to eligible firms.
//!
//! Each year the programme guarantees `⌊volume / loan_size⌋` new loans to eligible active firms
//! without a loan of this programme outstanding (if `supported_only`, only firms another instrument
//! already supported), chosen at random like grant recipients. A loan runs `term` years. In each year
//! it is outstanding (the year it is made included) the firm pays the city `fee · principal`. In each
//! later year, before the fee, it defaults if the firm failed that year or, for a surviving firm,
//! with probability `base_default`; the city then pays `lgd · cover · principal` (fiscal money: a
//! loss is an obligation, not a choice, so it is not limited by any budget) and the loan ends. A
//! loan that survives its term is repaid. The loans' principal is bank money mobilised by the city.
//! (Risk split reference: 国家融资担保基金 20%, banks at least 20%; fees 0.3–0.5%.)

use super::{Purse, Year, draw_next, eligible_active};
use crate::ledger::{Ledger, Outcome, Position};
use crate::model::{GuaranteeModel, InstrumentModel};
use crate::rng::{Stream, uniform};
use crate::sim::firms::{Firms, Status};

pub(super) fn invest(
    k: usize,
    inst: &InstrumentModel,
    g: &GuaranteeModel,
    purse: &Purse,
    year: &mut Year,
) {
    // The purse's fiscal side is the year's loan volume; no cash goes out now.
    let affordable = (purse.fiscal / g.loan_size) as usize;
    if affordable == 0 {
        return;
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
        loan.proceeds = g.fee.apply(g.loan_size);
        year.ledger.proceeds[i] += loan.proceeds;
        year.ledger.mobilised[i] += g.loan_size;
        year.ledger.mobilised_program[year.y] += g.loan_size;
        year.ledger.loans_made[year.y] += g.loan_size;
        year.ledger.deals[i] += 1;
        year.positions.push(loan);
    }
    *year.candidates = candidates;
}

/// Year `y` of an outstanding loan made before it: default, repayment or the year's fee.
pub(super) fn settle_loan(
    p: &mut Position,
    g: &GuaranteeModel,
    y: usize,
    firms: &mut Firms,
    ledger: &mut Ledger,
    rng: &mut Stream,
) {
    if y == p.entry_year {
        return;
    }
    let f = p.firm as usize;
    let i = ledger.at(p.instrument, y);
    let bit = 1u64 << p.instrument;
    let defaults = firms.status[f] == Status::Failed || uniform(rng) < g.base_default;
    if defaults {
        let loss = g.lgd.apply(g.cover.apply(p.principal));
        p.cost += loss;
        p.outcome = Outcome::Defaulted;
        p.exit_year = Some(y);
        ledger.fiscal[i] += loss;
        firms.granted[f] &= !bit;
    } else if y >= p.entry_year + g.term as usize {
        p.outcome = Outcome::Repaid;
        p.exit_year = Some(y);
        firms.granted[f] &= !bit;
    } else {
        let fee = g.fee.apply(p.principal);
        p.proceeds += fee;
        ledger.proceeds[i] += fee;
    }
}
