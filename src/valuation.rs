//! What a stake is worth before it is sold, and what selling it brings: stale marks, IPO lock-ups,
//! state-owned transfers and liquidation preferences. Pure functions of one concept each; the
//! defaults are the judgement rows of `notebooks-data/reference/return_benchmarks.csv`.
//!
//! - **Stale marks.** A private firm's last round price ages: its mark is
//!   `V · exp(−δ · max(0, s − g) + b·x)`, `s` the years since its last priced round, `g` a grace
//!   period (about the median gap between rounds, 2 years in Carta's data), `δ` a yearly decay
//!   (0.2: late-stage secondary trades sat 50–63% below the last round in 2023, Forge) and `b·x` the
//!   valuation drift of the year's market factor. Open stakes, sales under a sale rule and a fund's
//!   NAV use the mark; so does an exit: a firm that exits after years without a round is worth its
//!   mark, not its last price, times the exit multiple.
//! - **IPO lock-up.** Pre-IPO holders may sell only after `lockup` years (12 months for minority
//!   holders on the A-share market), and sales are capped per 90 days, so a listed stake is sold in
//!   equal tranches over `sale_years` at the listed price of each year, which moves as a random walk
//!   with the market (`σ_L`, the drift `b·x`).
//! - **State-owned transfer.** A state-held stake sold outside an IPO or a trade sale goes through a
//!   property-rights exchange (企业国有资产交易监督管理办法): at least 20 working days of listing, a
//!   re-appraisal after failed listings; the price is the mark less `transfer_discount`, and the cash
//!   arrives `transfer_delay` years after the decision on average (the whole years, plus one more
//!   with the fraction's probability).
//! - **Liquidation preference** (when the scenario says so): in a trade sale, preferred holders get
//!   back what they paid before common stock, 1× non-participating: if the exit value covers the
//!   money raised, each preferred holder takes the larger of its pro-rata share and its cost; if
//!   not, the exit value is shared in proportion to what each paid.

/// The valuation rules of a scenario, ready for the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub decay: f64,
    pub grace: f64,
    pub lockup: u32,
    pub sale_years: u32,
    pub listed_vol: f64,
    pub transfer_discount: f64,
    pub transfer_delay: f64,
    pub preference: bool,
}

impl Rules {
    /// No staleness, cash at the IPO, no transfer friction, no preference: the marks and exits of
    /// the earlier releases.
    pub const NONE: Rules = Rules {
        decay: 0.0,
        grace: 0.0,
        lockup: 0,
        sale_years: 1,
        listed_vol: 0.0,
        transfer_discount: 0.0,
        transfer_delay: 0.0,
        preference: false,
    };

    /// The factor `exp(−δ·max(0, s − g))` of a price `s` years old.
    #[inline]
    pub fn staleness(&self, years_since_round: f64) -> f64 {
        let over = years_since_round - self.grace;
        if self.decay == 0.0 || over <= 0.0 {
            1.0
        } else {
            crate::exp::exp(-self.decay * over)
        }
    }

    /// The share of the stake held at listing that is sold in year `years_since_ipo` after it: 0
    /// during the lock-up, then `1 / sale_years` a year.
    #[inline]
    pub fn tranche(&self, years_since_ipo: u32) -> f64 {
        let n = self.sale_years.max(1);
        if years_since_ipo >= self.lockup && years_since_ipo < self.lockup + n {
            1.0 / n as f64
        } else {
            0.0
        }
    }

    /// Whether a listed stake is sold at once, at the listing value (no lock-up, one tranche).
    pub fn cash_at_ipo(&self) -> bool {
        self.lockup == 0 && self.sale_years <= 1
    }

    /// Years after the decision to sell when the cash of a state transfer arrives, given a uniform
    /// `u`: the whole years of the delay, plus one with the probability of its fraction.
    pub fn transfer_years(&self, u: f64) -> usize {
        let whole = self.transfer_delay.floor();
        whole as usize + (u < self.transfer_delay - whole) as usize
    }
}

/// What a holder of `stake` that paid `cost` receives in a trade sale at `exit_value` of a firm
/// that raised `raised` in all, under 1× non-participating preferences (all in yuan).
pub fn preferred_payout(stake: f64, cost: f64, exit_value: f64, raised: f64) -> f64 {
    let pro_rata = stake * exit_value;
    if raised <= 0.0 || cost <= 0.0 {
        return pro_rata;
    }
    if exit_value >= raised {
        pro_rata.max(cost)
    } else {
        exit_value * (cost / raised).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            decay: 0.2,
            grace: 2.0,
            lockup: 1,
            sale_years: 2,
            listed_vol: 0.3,
            transfer_discount: 0.1,
            transfer_delay: 0.5,
            preference: true,
        }
    }

    #[test]
    fn marks_age_after_the_grace_period() {
        let r = rules();
        assert_eq!(r.staleness(1.0), 1.0);
        assert_eq!(r.staleness(2.0), 1.0);
        // Two years past grace: e^{−0.4} = 0.670320; four: e^{−0.8} = 0.449329.
        assert!((r.staleness(4.0) - 0.670_320_046_035_639).abs() < 1e-12);
        assert!((r.staleness(6.0) - 0.449_328_964_117_221_6).abs() < 1e-12);
        assert_eq!(Rules::NONE.staleness(30.0), 1.0);
    }

    #[test]
    fn listed_stakes_sell_in_tranches_after_the_lock_up() {
        let r = rules();
        let sold: Vec<f64> = (0..5).map(|t| r.tranche(t)).collect();
        assert_eq!(sold, vec![0.0, 0.5, 0.5, 0.0, 0.0]);
        assert!(!r.cash_at_ipo());
        assert!(Rules::NONE.cash_at_ipo());
        assert_eq!(Rules::NONE.tranche(0), 1.0);
    }

    #[test]
    fn transfers_take_their_expected_delay() {
        let r = rules();
        assert_eq!(r.transfer_years(0.3), 1);
        assert_eq!(r.transfer_years(0.7), 0);
        let late = Rules {
            transfer_delay: 1.25,
            ..r
        };
        assert_eq!(late.transfer_years(0.2), 2);
        assert_eq!(late.transfer_years(0.9), 1);
    }

    #[test]
    fn preferences_protect_cost_when_the_exit_covers_the_money_raised() {
        // Paid 100 for 10% of a firm that raised 400 in all. A sale at 600: pro rata 60 < 100, and
        // the exit covers the 400 raised, so the preference returns the 100. At 2000: pro rata 200.
        assert_eq!(preferred_payout(0.1, 100.0, 600.0, 400.0), 100.0);
        assert_eq!(preferred_payout(0.1, 100.0, 2000.0, 400.0), 200.0);
        // At 200, below the 400 raised: a quarter of the proceeds, 50 (common gets nothing).
        assert_eq!(preferred_payout(0.1, 100.0, 200.0, 400.0), 50.0);
    }
}
