//! Awards to firms chosen among the eligible: grants (拨), convertible grants (拨-投-股) and prizes
//! paid as equity (奖改投).
//!
//! Each year the instrument can make `⌊capacity / amount⌋` awards. Eligible are active local firms
//! (new projects included) in the chosen industries and stages, and, if `once_per_firm`, not yet
//! paid by this instrument. If there are more eligible firms than awards, recipients are a uniform
//! random subset (partial Fisher–Yates on the program stream): the model has no signal of quality
//! for a jury to use. What the award becomes:
//! - a grant: a closed position, nothing comes back;
//! - a convertible grant: a pending position that [`super::settle`] converts at the firm's next
//!   round (or writes off);
//! - a prize as equity: a stake of `amount / last post-money` from today, diluted by later rounds.

use super::{Purse, Year, draw_next, eligible_active};
use crate::firms::CITY_INVESTED;
use crate::ledger::{Outcome, Position};
use crate::model::{GrantModel, InstrumentModel};
use crate::money::yuan;

pub(super) fn invest(
    k: usize,
    inst: &InstrumentModel,
    award: &GrantModel,
    becomes: Outcome,
    purse: &mut Purse,
    year: &mut Year,
) {
    let affordable = (purse.capacity() / award.amount) as usize;
    if affordable == 0 {
        return;
    }
    let bit = 1u64 << k;
    let mut candidates = std::mem::take(year.candidates);
    let firms = &*year.firms;
    eligible_active(&mut candidates, &inst.eligible, firms, |f| {
        !(award.once_per_firm && firms.granted[f] & bit != 0)
    });
    let n = affordable.min(candidates.len());
    for j in 0..n {
        let firm = draw_next(&mut candidates, j, &mut year.rngs[k]);
        let f = firm as usize;
        year.firms.granted[f] |= bit;
        year.support(k, firm);
        let mut position = Position::paid(k, firm, year.y, award.amount, becomes);
        if becomes != Outcome::Grant {
            let stage = year.firms.stage[f] as usize;
            year.ledger.invest_in(k, stage, award.amount);
        }
        if becomes == Outcome::Open {
            year.firms.flags[f] |= CITY_INVESTED;
            position.stake = (yuan(award.amount) / year.firms.value[f]).min(1.0);
            position.retention_entry = year.firms.retention[f];
        }
        year.positions.push(position);
    }
    if n > 0 {
        year.pay(k, purse, n as i64 * award.amount);
        let i = year.ledger.at(k, year.y);
        year.ledger.deals[i] += n as i64;
    }
    *year.candidates = candidates;
}
