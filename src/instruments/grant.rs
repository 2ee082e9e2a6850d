//! Grants (拨): a fixed amount to firms chosen at random among the eligible; nothing comes back.
//!
//! Each year the instrument can pay `⌊capacity / amount⌋` grants. Eligible are active local firms
//! (new projects included) in the chosen industries and stages, and, if `once_per_firm`, not yet
//! paid by this instrument. If there are more eligible firms than grants, recipients are a uniform
//! random subset (partial Fisher–Yates on the program stream).

use super::{Purse, Year, draw_next};
use crate::model::{GrantModel, InstrumentModel};

pub(super) fn invest(
    k: usize,
    inst: &InstrumentModel,
    grant: &GrantModel,
    purse: &mut Purse,
    year: &mut Year,
) {
    let affordable = (purse.capacity() / grant.amount) as usize;
    if affordable == 0 {
        return;
    }
    let bit = 1u64 << k;
    let mut candidates = std::mem::take(year.candidates);
    candidates.clear();
    for (i, eligible) in inst.eligible.iter().enumerate() {
        if !eligible.iter().any(|&e| e) {
            continue;
        }
        candidates.extend(year.firms.active[i].iter().copied().filter(|&f| {
            let fu = f as usize;
            eligible[year.firms.stage[fu] as usize]
                && !(grant.once_per_firm && year.firms.granted[fu] & bit != 0)
        }));
    }
    let n = affordable.min(candidates.len());
    for j in 0..n {
        let firm = draw_next(&mut candidates, j, year.rng);
        year.firms.granted[firm as usize] |= bit;
        year.support(firm);
    }
    if n > 0 {
        year.pay(k, purse, n as i64 * grant.amount);
        let i = year.ledger.at(k, year.y);
        year.ledger.deals[i] += n as i64;
    }
    *year.candidates = candidates;
}
