//! `[market]`: the common and industry factors and how firms respond to them.

use super::{Years, scenario};

#[derive(Debug, Clone, PartialEq)]
pub struct MarketModel {
    pub rho: f64,
    pub industry_rho: f64,
    /// `a_g`, `a_e`, `a_f`, `b`, `b_e` of the reference formulation.
    pub a_round: f64,
    pub a_exit: f64,
    pub a_fail: f64,
    pub b_value: f64,
    pub b_exit_value: f64,
    /// Shift added to the common factor in each simulated year.
    pub shift: Vec<f64>,
}

/// The market, with each regime's shift added to the years it spans.
pub(super) fn market(m: &scenario::Market, years: Years) -> MarketModel {
    let mut shift = vec![0.0; years.n];
    for r in &m.regimes {
        for s in &mut shift[years.index(r.from)..=years.index(r.to)] {
            *s += r.shift;
        }
    }
    let sens = &m.sensitivity;
    MarketModel {
        rho: m.rho,
        industry_rho: m.industry_rho,
        a_round: sens.round,
        a_exit: sens.exit,
        a_fail: sens.fail,
        b_value: sens.value,
        b_exit_value: sens.exit_value,
        shift,
    }
}
