//! Instruments that act on arrivals rather than on firms already here: incentives for large firms
//! (招商引资, 重大项目/链主 incentives) and talent subsidies (人才安家/生活补贴).
//!
//! **Incentives.** The programme's budget raises the arrival rate of large firms in its industries
//! (compiled into [`crate::model::LargeModel::incentives`]: the firms it decides arrive in
//! [`crate::firms::Firms::industry_year`], credited to it). Here it pays: the year's budget is
//! shared equally by the year's large arrivals in its industries, at most `max_per_firm` each. It
//! pays the firms that would have come anyway as well as those it decided: it cannot tell them
//! apart (deadweight).
//!
//! **Talent subsidies.** Every new talent of the programme's industries this year receives
//! `amount` while the budget lasts (claims beyond it are booked as unmet). The subsidy raises the
//! inflow: on top of each industry's talents (Poisson, `arrivals × talent_per_arrival`), a further
//! Poisson number of mean `arrivals × talent_per_arrival × uplift × covered` arrive, drawn from the
//! industry-year's own counter so the base talents are the same with or without the programme;
//! `covered` is the share of the year's base talents the budget can pay (1 when it pays them all),
//! so an exhausted budget raises the inflow no more than it pays.
//! A payment is one grant position per year (no firm).

use super::{Purse, Year};
use crate::firms::NONE;
use crate::ledger::{Outcome, Position};
use crate::model::{AttractionModel, InstrumentModel, TalentModel};
use crate::rng::{self, counter, poisson, purpose};

pub(super) fn incentives(
    k: usize,
    inst: &InstrumentModel,
    a: &AttractionModel,
    purse: &mut Purse,
    year: &mut Year,
) {
    let mut firms = std::mem::take(year.candidates);
    firms.clear();
    firms.extend(
        (year.events.large_arrivals.iter().copied())
            .filter(|&f| inst.reaches(year.firms.industry[f as usize] as usize)),
    );
    if !firms.is_empty() {
        let each = a.max_per_firm.min(purse.capacity() / firms.len() as i64);
        if each > 0 {
            for &f in &firms {
                year.support(k, f);
                year.positions
                    .push(Position::paid(k, f, year.y, each, Outcome::Grant));
            }
            year.pay(k, purse, each * firms.len() as i64);
            let i = year.ledger.at(k, year.y);
            year.ledger.deals[i] += firms.len() as i64;
        }
    }
    *year.candidates = firms;
}

pub(super) fn talents(
    k: usize,
    inst: &InstrumentModel,
    t: &TalentModel,
    purse: &mut Purse,
    year: &mut Year,
) {
    let y = year.y;
    let salt = rng::year_salt(y);
    let model = year.model;
    // The talents who would come anyway, and the share of them the budget can pay: the inflow
    // responds to the subsidy a talent can count on, `amount` times that share.
    let mut talents: i64 = (0..model.industries.len())
        .filter(|&i| inst.reaches(i))
        .map(|i| year.events.talents_by_industry[i])
        .sum();
    let covered = if talents > 0 && t.amount > 0 {
        (purse.capacity() as f64 / (talents as f64 * t.amount as f64)).min(1.0)
    } else {
        1.0
    };
    for (i, ind) in model.industries.iter().enumerate() {
        if !inst.reaches(i) {
            continue;
        }
        let uplift = t.uplift[y] * covered;
        if uplift > 0.0 {
            let mean = year.events.arrivals_by_industry[i] as f64 * ind.talent_per_arrival * uplift;
            let key = year.firms.industry_keys[i];
            let extra = poisson(
                &mut counter(key, salt, purpose::TALENT_EXTRA ^ inst.hash),
                mean,
            ) as i64;
            talents += extra;
            year.events.talents_by_industry[i] += extra;
            let c = &mut year.events.counts;
            c.talents += extra;
            c.additional_talents += extra;
            year.firms.credits[k].talents += extra;
        }
    }
    if talents == 0 || t.amount <= 0 {
        return;
    }
    let paid = talents.min(purse.capacity() / t.amount);
    year.ledger.subsidy_unmet[y] += (talents - paid) * t.amount;
    if paid > 0 {
        year.pay(k, purse, paid * t.amount);
        year.positions
            .push(Position::paid(k, NONE, y, paid * t.amount, Outcome::Grant));
        let i = year.ledger.at(k, y);
        year.ledger.deals[i] += paid;
    }
}
