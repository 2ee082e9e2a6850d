//! Takahashi–Alexander pacing: a sub-fund's capital calls, distributions and NAV when only
//! fund-level parameters are known.
//!
//! Takahashi & Alexander, "Illiquid Alternative Asset Fund Modeling", Yale University Investments
//! Office, 2001 (Journal of Portfolio Management, 2002). In the paper's notation, for a commitment
//! `CC`, fund years `t = 1, …, L`, paid-in capital `PIC_t = C_1 + … + C_t` (`PIC_0 = 0`) and
//! `NAV_0 = 0`:
//!
//! ```text
//! C_t   = RC_t · (CC − PIC_{t−1})                 contribution (capital call)
//! RD_t  = max(Y, (t/L)^B)                         rate of distribution
//! D_t   = RD_t · [NAV_{t−1} · (1 + G_t)]          distribution
//! NAV_t = [NAV_{t−1} · (1 + G_t)] + C_t − D_t
//! ```
//!
//! `RC_t` is the rate of contribution of year `t`: the list in [`TaParams::contribution_rates`],
//! whose last entry repeats (the paper's venture example: 25%, 33.3%, then 50%). `B` is the bow,
//! `Y` the yield and `G_t` the growth rate: the constant `G` of the paper, or a per-year path
//! supplied by the caller (the engine can make `G_t = G + σ·m_t` from its market factor; this module
//! draws nothing). Domains: `0 < RC_t ≤ 1`, `L ≥ 1`, `B > 0`, `0 ≤ Y ≤ 1`; the scenario validator
//! checks them, and out-of-domain values here only clamp (nothing panics).
//!
//! Closures beyond the paper's equations, each keeping the books exact and non-negative:
//! - **Final year.** `RD_L = (L/L)^B = 1` already distributes `NAV_{L−1}·(1 + G_L)`; the final
//!   year's own call `C_L` is distributed too, `D_L = NAV_{L−1}·(1 + G_L) + C_L`, so `NAV_L = 0`:
//!   the fund is wound up at the end of its life. Commitment still uncalled then lapses.
//! - **Losses.** The growth factor is floored, `1 + G_t ≥ 0` (a fund cannot lose more than its NAV);
//!   a NaN growth rate counts as a total loss.
//!
//! Money. The commitment, calls, distributions and the unfunded commitment are integer fen
//! ([`Fen`]); the NAV is carried as `f64` and reported in yuan ([`TaYear::nav`]). Rounding rule:
//! - `C_t = clamp(round(RC_t · U_{t−1}), 0, U_{t−1})` fen, where `U_{t−1} = CC − PIC_{t−1}` is the
//!   unfunded commitment in exact fen, and `RC_t ≥ 1` calls exactly `U_{t−1}`. Hence every call is
//!   ≥ 0 and `Σ C_t = CC − U_L ≤ CC` exactly (equality as soon as some `RC_t` reaches 1).
//! - `D_t = clamp(round(RD_t · V_t), 0, floor(V_t))` fen with `V_t = NAV_{t−1}·(1 + G_t)`, and
//!   `D_L = round(V_L + C_L)` (the sub-fen remainder, at most half a fen, is written off).
//! - The NAV recursion uses the booked (rounded) `C_t` and `D_t`, so the reported NAV is exactly
//!   what the booked cash flows imply and is never negative.
//!
//! `round` is half to even, as in [`crate::money::fen_from_yuan_f64`]; powers come from
//! `libm` (see ARCHITECTURE.md, determinism). f64 holds fen exactly up to 2^53 (about 9·10^13 yuan).
//!
//! API: [`TaFund`] is a stepper (one [`TaFund::step`] per year) because the engine advances its
//! market factor year by year and sub-funds start in different years; [`project`] runs a whole
//! life at once from an optional growth path.

use crate::money::{FEN_PER_YUAN, Fen, fen_from_f64};

/// Fund-level parameters of the Takahashi–Alexander model.
#[derive(Debug, Clone, PartialEq)]
pub struct TaParams {
    /// Rates of contribution `RC_1, RC_2, …` on the unfunded commitment; the last one repeats.
    /// Each in (0, 1]; must not be empty (an empty list calls nothing).
    pub contribution_rates: Vec<f64>,
    /// Fund life `L` in years, ≥ 1.
    pub life: u32,
    /// Bow `B` > 0: higher keeps distributions low for longer.
    pub bow: f64,
    /// Yield `Y` in [0, 1]: the floor of the rate of distribution.
    pub yield_: f64,
    /// Growth rate `G` per year, used when no growth path is given (or beyond its end).
    pub growth: f64,
}

impl Default for TaParams {
    /// The paper's venture capital example (DOMAIN.md §6): 25% / 33.3% / 50% thereafter, `L = 12`,
    /// `B = 2.5`, `Y = 0`, `G = 13%`.
    fn default() -> Self {
        TaParams {
            contribution_rates: vec![0.25, 0.333, 0.5],
            life: 12,
            bow: 2.5,
            yield_: 0.0,
            growth: 0.13,
        }
    }
}

impl TaParams {
    /// `RC_t` for fund year `t ≥ 1` (the last listed rate repeats).
    pub fn contribution_rate(&self, t: u32) -> f64 {
        let i = (t.max(1) - 1) as usize;
        let rates = &self.contribution_rates;
        rates.get(i).or(rates.last()).copied().unwrap_or(0.0)
    }

    /// `RD_t = max(Y, (t/L)^B)`, clamped to [0, 1]; 1 from the final year on.
    pub fn distribution_rate(&self, t: u32) -> f64 {
        if t >= self.life {
            return 1.0;
        }
        let age = f64::from(t) / f64::from(self.life);
        libm::pow(age, self.bow).max(self.yield_).clamp(0.0, 1.0)
    }
}

/// One fund year, as booked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaYear {
    /// Fund year `t`, from 1.
    pub year: u32,
    /// Capital called `C_t`, fen, ≥ 0.
    pub call: Fen,
    /// Distribution `D_t`, fen, ≥ 0.
    pub distribution: Fen,
    /// `NAV_t` at the end of the year, yuan, ≥ 0 (0 after the final year).
    pub nav: f64,
    /// Unfunded commitment `CC − PIC_t` after this year's call, fen.
    pub unfunded: Fen,
}

/// The state of one sub-fund between years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaFund {
    age: u32,
    unfunded: Fen,
    /// `NAV_t` in fen, as f64.
    nav_fen: f64,
}

impl TaFund {
    /// A new fund before its first year: `PIC_0 = 0`, `NAV_0 = 0`. A negative commitment counts as 0.
    pub fn new(commitment: Fen) -> Self {
        TaFund {
            age: 0,
            unfunded: commitment.max(0),
            nav_fen: 0.0,
        }
    }

    /// A fund already `age` years into its life, with `unfunded` fen still to call and a NAV of
    /// `nav` fen (an LP statement read into the model: a fund of the book).
    pub fn resume(age: u32, unfunded: Fen, nav: Fen) -> Self {
        TaFund {
            age,
            unfunded: unfunded.max(0),
            nav_fen: nav.max(0) as f64,
        }
    }

    /// Years run so far.
    pub fn age(&self) -> u32 {
        self.age
    }

    /// Commitment not yet called, fen.
    pub fn unfunded(&self) -> Fen {
        self.unfunded
    }

    /// Current NAV, yuan.
    pub fn nav(&self) -> f64 {
        self.nav_fen / FEN_PER_YUAN as f64
    }

    /// Whether the fund has run its whole life (further steps do nothing).
    pub fn is_finished(&self, params: &TaParams) -> bool {
        self.age >= params.life
    }

    /// Runs the next fund year with growth rate `growth` (`G_t`); `None` once the life is over.
    /// Pass the same `params` every year.
    pub fn step(&mut self, params: &TaParams, growth: f64) -> Option<TaYear> {
        if self.is_finished(params) {
            return None;
        }
        let t = self.age + 1;
        let rc = params.contribution_rate(t);
        let call = if rc >= 1.0 {
            self.unfunded
        } else {
            // `as` maps NaN to 0 and saturates; the clamp keeps 0 ≤ C_t ≤ U_{t−1}.
            fen_from_f64(rc * self.unfunded as f64).clamp(0, self.unfunded)
        };
        self.unfunded -= call;
        let grown = self.nav_fen * (1.0 + growth).max(0.0);
        let distribution = if t >= params.life {
            self.nav_fen = 0.0;
            fen_from_f64(grown + call as f64).max(0)
        } else {
            let rd = params.distribution_rate(t);
            let d = fen_from_f64(rd * grown).clamp(0, fen_from_f64(grown.floor()));
            self.nav_fen = grown - d as f64 + call as f64;
            d
        };
        self.age = t;
        Some(TaYear {
            year: t,
            call,
            distribution,
            nav: self.nav(),
            unfunded: self.unfunded,
        })
    }
}

/// The whole life of a fund committed `commitment` fen: one [`TaYear`] per year `1..=L`. Year `t`
/// grows at `growth_path[t−1]` when the path has it, else at `params.growth`.
pub fn project(params: &TaParams, commitment: Fen, growth_path: Option<&[f64]>) -> Vec<TaYear> {
    let mut fund = TaFund::new(commitment);
    (0..params.life as usize)
        .map_while(|i| {
            let g = growth_path
                .and_then(|p| p.get(i).copied())
                .unwrap_or(params.growth);
            fund.step(params, g)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1亿 yuan in fen.
    const YI: Fen = 100_000_000 * FEN_PER_YUAN;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    /// Takahashi–Alexander pacing reproduces the model's own equations for a worked example.
    /// Default (venture) parameters, CC = 1亿 = 100,000,000 yuan; amounts in yuan, ¥x.yz = fen:
    /// - t=1: C_1 = 0.25·1亿 = 25,000,000; NAV_0 = 0 so D_1 = 0; NAV_1 = 25,000,000; U_1 = 75,000,000.
    /// - t=2: C_2 = 0.333·75,000,000 = 24,975,000; RD_2 = (2/12)^2.5 = 0.0113402302906629;
    ///   V_2 = 25,000,000·1.13 = 28,250,000; D_2 = 0.01134023…·28,250,000 = 320,361.5057 → 320,361.51;
    ///   NAV_2 = 28,250,000 + 24,975,000 − 320,361.51 = 52,904,638.49; U_2 = 50,025,000.
    /// - t=3: C_3 = 0.5·50,025,000 = 25,012,500; RD_3 = (3/12)^2.5 = 1/32 = 0.03125;
    ///   V_3 = 52,904,638.49·1.13 = 59,782,241.4937; D_3 = V_3/32 = 1,868,195.0467 → 1,868,195.05;
    ///   NAV_3 = 59,782,241.4937 + 25,012,500 − 1,868,195.05 = 82,926,546.4437; U_3 = 25,012,500.
    /// - t=4: C_4 = 0.5·25,012,500 = 12,506,250; RD_4 = (4/12)^2.5 = 0.0641500299099584;
    ///   V_4 = 82,926,546.4437·1.13 = 93,706,997.481381; D_4 = 6,011,306.6893 → 6,011,306.69;
    ///   NAV_4 = 93,706,997.481381 + 12,506,250 − 6,011,306.69 = 100,201,940.791381.
    #[test]
    fn worked_example_first_four_years() {
        let p = TaParams::default();
        assert!(close(p.distribution_rate(2), 0.011_340_230_290_662_9));
        assert_eq!(p.distribution_rate(3), 0.031_25);
        assert!(close(p.distribution_rate(4), 0.064_150_029_909_958_4));
        let ys = project(&p, YI, None);
        assert_eq!(ys.len(), 12);
        let calls: Vec<Fen> = ys[..4].iter().map(|y| y.call).collect();
        let dists: Vec<Fen> = ys[..4].iter().map(|y| y.distribution).collect();
        let unfunded: Vec<Fen> = ys[..4].iter().map(|y| y.unfunded).collect();
        assert_eq!(
            calls,
            [2_500_000_000, 2_497_500_000, 2_501_250_000, 1_250_625_000]
        );
        assert_eq!(dists, [0, 32_036_151, 186_819_505, 601_130_669]);
        assert_eq!(
            unfunded,
            [7_500_000_000, 5_002_500_000, 2_501_250_000, 1_250_625_000]
        );
        let navs = [
            25_000_000.0,
            52_904_638.49,
            82_926_546.443_7,
            100_201_940.791381,
        ];
        for (y, nav) in ys.iter().zip(navs) {
            assert!(close(y.nav, nav), "year {}: {} vs {nav}", y.year, y.nav);
        }
    }

    /// Rates 25%, 33.3%, 50%, then 100%: year 4 calls the whole rest (25,012,500 yuan) and the calls
    /// total exactly 1亿; nothing is called after.
    #[test]
    fn calls_total_the_commitment_when_a_rate_reaches_one() {
        let p = TaParams {
            contribution_rates: vec![0.25, 0.333, 0.5, 1.0],
            ..TaParams::default()
        };
        let ys = project(&p, YI, None);
        assert_eq!(ys[3].call, 2_501_250_000);
        assert_eq!(ys.iter().map(|y| y.call).sum::<Fen>(), YI);
        assert!(ys[4..].iter().all(|y| y.call == 0 && y.unfunded == 0));
    }

    /// With 50% forever the calls only approach the commitment: U halves each year from
    /// U_2 = 50,025,000 yuan, rounding half-fen calls up (t=8: 0.5·156,328,125 fen → 78,164,063), so
    /// U_12 = 4,885,253 fen (48,852.53 yuan, about 50,025,000/2^10) lapses and Σ C = 9,995,114,747.
    #[test]
    fn calls_approach_the_commitment_and_never_exceed_it() {
        let ys = project(&TaParams::default(), YI, None);
        let total: Fen = ys.iter().map(|y| y.call).sum();
        assert_eq!(ys[11].unfunded, 4_885_253);
        assert_eq!(total, 9_995_114_747);
        assert_eq!(total + ys[11].unfunded, YI);
        // Awkward commitments and rates: every amount ≥ 0 and Σ calls + unfunded = CC exactly.
        for cc in [0, 1, 3, 7, 12_345_679, YI + 1, 987_654_321_987] {
            for rates in [vec![0.333], vec![0.999_999, 0.5], vec![0.25, 0.333, 0.5]] {
                let p = TaParams {
                    contribution_rates: rates,
                    ..TaParams::default()
                };
                let ys = project(&p, cc, None);
                assert!(
                    ys.iter()
                        .all(|y| y.call >= 0 && y.distribution >= 0 && y.nav >= 0.0)
                );
                let total: Fen = ys.iter().map(|y| y.call).sum();
                assert_eq!(total + ys.last().unwrap().unfunded, cc);
            }
        }
    }

    /// RD_12 = 1 and the final call is paid out too: NAV_12 = 0. From the default run, D_12 =
    /// round(NAV_11·1.13 + C_12) = round(3,544,872.6266·1.13 + 48,852.54) = 4,054,558.61 yuan.
    #[test]
    fn final_year_empties_the_nav() {
        let ys = project(&TaParams::default(), YI, None);
        let last = ys[11];
        assert_eq!(
            (last.year, last.call, last.distribution),
            (12, 4_885_254, 405_455_861)
        );
        assert!(close(ys[10].nav, 3_544_872.626_602_504));
        assert_eq!(last.nav, 0.0);
        // A one-year fund calls 25% and hands it straight back.
        let p = TaParams {
            life: 1,
            ..TaParams::default()
        };
        let ys = project(&p, YI, None);
        assert_eq!(
            (ys.len(), ys[0].call, ys[0].distribution),
            (1, 2_500_000_000, 2_500_000_000)
        );
    }

    /// Y = 5% exceeds (t/12)^2.5 for t ≤ 3 (0.0005, 0.0113, 0.03125) but not at t = 4 (0.06415).
    /// D_2 = 0.05·28,250,000 = 1,412,500; NAV_2 = 28,250,000 + 24,975,000 − 1,412,500 = 51,812,500;
    /// D_3 = 0.05·(51,812,500·1.13 = 58,548,125) = 2,927,406.25; NAV_3 = 80,633,218.75;
    /// D_4 = 0.06415…·(80,633,218.75·1.13 = 91,115,537.1875) = 5,845,064.4401 → 5,845,064.44.
    #[test]
    fn yield_floors_the_early_distribution_rate() {
        let p = TaParams {
            yield_: 0.05,
            ..TaParams::default()
        };
        assert_eq!(p.distribution_rate(3), 0.05);
        assert!(p.distribution_rate(4) > 0.05);
        let ys = project(&p, YI, None);
        let dists: Vec<Fen> = ys[..4].iter().map(|y| y.distribution).collect();
        assert_eq!(dists, [0, 141_250_000, 292_740_625, 584_506_444]);
        assert!(close(ys[1].nav, 51_812_500.0));
        assert!(close(ys[2].nav, 80_633_218.75));
    }

    /// A growth path equal to the constant G reproduces the deterministic run bit for bit; a short
    /// path falls back to G; the stepper and `project` agree on a varying path.
    #[test]
    fn growth_path_equal_to_g_matches_the_deterministic_run() {
        let p = TaParams::default();
        let base = project(&p, YI, None);
        assert_eq!(project(&p, YI, Some(&[0.13; 12])), base);
        assert_eq!(project(&p, YI, Some(&[0.13; 5])), base);
        let path: Vec<f64> = (0..12)
            .map(|i| 0.13 + 0.4 * ((i % 3) as f64 - 1.0))
            .collect();
        let mut fund = TaFund::new(YI);
        let stepped: Vec<TaYear> = path.iter().map_while(|&g| fund.step(&p, g)).collect();
        assert_eq!(stepped, project(&p, YI, Some(&path)));
        assert!(fund.is_finished(&p) && fund.step(&p, 0.13).is_none());
    }

    /// G_t < −100% wipes the NAV out but never makes an amount negative: year 2 at G = −250%
    /// distributes nothing and leaves NAV_2 = C_2 = 24,975,000 yuan.
    #[test]
    fn losses_beyond_the_nav_floor_at_zero() {
        let p = TaParams::default();
        let mut path = [0.13; 12];
        path[1] = -2.5;
        let ys = project(&p, YI, Some(&path));
        assert_eq!(ys[1].distribution, 0);
        assert!(close(ys[1].nav, 24_975_000.0));
        assert!(ys.iter().all(|y| y.distribution >= 0 && y.nav >= 0.0));
    }
}
