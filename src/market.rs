//! The market factors of one path.
//!
//! Common factor: `m_t = ρ·m_{t-1} + √(1-ρ²)·ε_t` with `m_{-1} ~ N(0,1)`, so `m_t ~ N(0,1)` in every
//! year; a regime adds its shift to what firms see (`m_t + shift_t`) without entering the
//! recursion, so a cold spell ends when the regime does. Each industry has its own factor `k_{i,t}`
//! with autocorrelation `ρ_i`. A firm of industry `i` sees `x = β_m·(m_t + shift_t) + β_i·k_{i,t}`.

use crate::model::Model;
use crate::rng::{Stream, normal};

#[derive(Debug, Clone, Default)]
pub struct Market {
    common: f64,
    industry: Vec<f64>,
}

impl Market {
    /// Draws the pre-sample state from the stationary law: the common factor from `common`, each
    /// industry's from its own stream in `industries`.
    pub fn start(&mut self, common: &mut Stream, industries: &mut [Stream]) {
        self.common = normal(common);
        self.industry.clear();
        self.industry.extend(industries.iter_mut().map(normal));
    }

    /// Advances one year and writes each industry's factor `x_i` into `x`.
    pub fn step(
        &mut self,
        model: &Model,
        year: usize,
        (common, industries): (&mut Stream, &mut [Stream]),
        x: &mut Vec<f64>,
    ) {
        let m = &model.market;
        self.common = ar1(self.common, m.rho, normal(common));
        for (k, rng) in self.industry.iter_mut().zip(industries.iter_mut()) {
            *k = ar1(*k, m.industry_rho, normal(rng));
        }
        let seen = self.common + m.shift[year];
        x.clear();
        x.extend(
            model
                .industries
                .iter()
                .zip(&self.industry)
                .map(|(ind, k)| ind.beta_market * seen + ind.beta_industry * k),
        );
    }
}

#[inline]
fn ar1(prev: f64, rho: f64, eps: f64) -> f64 {
    rho * prev + (1.0 - rho * rho).max(0.0).sqrt() * eps
}
