//! `[thresholds]`: how firms are classified for the targets, and what the `financing` metric counts.

use super::scenario::{self, Measure};

/// What the `financing` metric counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FinancingModel {
    pub rounds: bool,
    pub guaranteed_loans: bool,
    /// The sub-funds' investments (local and outside).
    pub fund_investments: bool,
    /// Share of a listing's value sold as new shares, if IPO raises count.
    pub ipo_float: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdModel {
    pub unicorn_value: f64,
    pub unicorn_max_age: u32,
    pub potential_value: f64,
    pub potential_max_age: u32,
    pub chain_leader: (Measure, f64),
    pub cluster: (Measure, f64),
    pub financing: FinancingModel,
}

pub(super) fn thresholds(t: &scenario::Thresholds) -> ThresholdModel {
    ThresholdModel {
        unicorn_value: t.unicorn.value.yuan(),
        unicorn_max_age: t.unicorn.max_age as u32,
        potential_value: t.potential_unicorn.value.yuan(),
        potential_max_age: t.potential_unicorn.max_age as u32,
        chain_leader: (t.chain_leader.measure, t.chain_leader.value.yuan()),
        cluster: (t.cluster.measure, t.cluster.value.yuan()),
        financing: financing(&t.financing),
    }
}

fn financing(d: &scenario::FinancingDef) -> FinancingModel {
    FinancingModel {
        rounds: d.rounds,
        guaranteed_loans: d.guaranteed_loans,
        fund_investments: d.fund_investments,
        ipo_float: d.ipo_raises.then(|| d.ipo_float.value()),
    }
}
