//! The distribution waterfall of one sub-fund (参股基金) in which the city is one LP beside private
//! LPs, with the city's profit concession (让利). Pure: no I/O, no randomness. The engine calls
//! [`Waterfall::step`] once per fund per simulated year; years are consecutive calls.
//!
//! **Timing.** Every flow of year `t` is dated at the end of year `t`; the year's capital call comes
//! before its distribution. Each call first accrues one year of interest on every balance below (so
//! a contribution of year `t` first earns in year `t+1`), then books the call, then splits the cash.
//! Management fees are not in this module: the caller pays them out of the calls it passes in.
//!
//! **Fund level: European (whole-fund) waterfall, cumulative.** State: `K` contributed capital not
//! yet returned, `U` preferred return accrued and unpaid. Per year, with hurdle `h`:
//! `U += round(h·(K+U))` (compounded yearly, so the LPs clear the hurdle exactly when their flows
//! earn an IRR of `h`); `K += called`. The year's distributable cash `X` then goes
//! (1) `a1 = min(X, K)` to the LPs as return of capital, (2) `a2 = min(X−a1, U)` to the LPs as
//! preferred return, and the rest `r = X−a1−a2` to tiers (3) catch-up and (4) split. With `Π` the
//! cumulative profit distributed (all pref paid plus all `r`) and `G` the carry paid so far:
//! - with a catch-up share `s` (carry `c < s ≤ 1`, typically 100%): `gp = min(s·r, c·Π_new − G)`.
//!   While `s·r` is the smaller the GP is catching up (tier 3: share `s` of the cash); once it
//!   reaches `c·Π` the GP holds `c` of all profits and each further yuan of profit adds `c` (tier 4);
//!   the one formula covers a year that crosses from tier 3 into tier 4, as
//!   `G + s·x + c·(r−x) = c·Π_new` when `x` is the catch-up amount. A new call later re-opens tiers
//!   1–2 and then a new (smaller) catch-up of `c` on the new pref;
//! - without catch-up (`None`): `gp = c·Q_new − c·Q_prev`, `Q` = cumulative `r` (carry on the
//!   profit above the hurdle only).
//!
//! `G ≤ c·Π` always, so no clawback is ever needed; the LPs get `X − gp`. (This is the whole-fund,
//! "European" model of the ILPA principles, as opposed to deal-by-deal "American" carry.)
//!
//! **LPs' part between the city and the private LPs** (`L` = the LPs' cash of the year, `σ` the
//! city's share of commitments, which also splits every call):
//! - `None`: the city gets `σ·L` (pro rata).
//! - `CappedReturn { rate }` (UK Enterprise Capital Funds: the government's return is capped at
//!   principal plus a fixed rate, the upside goes to the private investors): the city's account
//!   `A = A·(1+rate) + city's calls − city's receipts`; the city gets `min(σ·L, A)`, the private LPs
//!   the rest. This is `ExcessShare` with `share = 100%`, `above = rate`.
//! - `ExcessShare { share, above }`: same account with `above`; of the city's pro-rata cash beyond
//!   `A` the fraction `share` is ceded to the private LPs.
//! - `Junior` (first-loss / 劣后 tranche, the usual junior-equity structure): the private LPs
//!   first get up to their senior account `S = S·(1+h) + private calls − private receipts`, i.e.
//!   their capital **plus the fund's hurdle `h`**: it is the return the fund promises every LP, so
//!   the city's tranche absorbs every shortfall against the hurdle before the private LPs bear any
//!   (a separate senior rate would be one more parameter without a source). Then the city up to its
//!   capital not yet returned (no interest); the rest pro rata.
//! - `Buyout { rate, within_years }` (《科技型中小企业创业投资引导基金管理暂行办法》,
//!   财企〔2007〕128号, 阶段参股: the other investors may buy the guidance fund's stake at its
//!   original cost within 3 years, later at cost plus the 1-year loan rate; here one `rate` on net
//!   capital): price `P = max(0, A)` with the account above at `rate` (net contributed capital
//!   plus interest). At each year-end `k ≤ within_years` years after the first call, after the
//!   year's distribution, the private LPs exercise iff the city's share of a hypothetical
//!   liquidation of the fund at the year-end NAV, run through this same waterfall on the same date
//!   (no accrual), exceeds `P` strictly. The city is then paid `P` by the private
//!   LPs outside the fund's cash ([`Split::buyout_paid_to_city`]), and from then on the private LPs
//!   pay its calls and receive everything it would have received. Before exercise: pro rata.
//!
//! Accounts never go below zero: cash the city got beyond an account is not credited against later
//! calls, and a price of zero is still exercised whenever the stake is worth anything.
//!
//! **Rounding.** Amounts are integer fen ([`Fen`]), rates [`RateFen`] (round half to even). Every
//! rate-based share (city's calls, city's pro-rata cash, GP carry, ceded excess) is rounded on the
//! *cumulative* amount and the year's amount is the change of that rounded cumulative, so rounding
//! never accumulates: each cumulative is within ½ fen of exact (GP carry: once caught up, or with
//! a 100% catch-up). Interest accruals are rounded each
//! year (they compound on the rounded balance). The residual party takes the rounding fen: the LPs
//! against the GP, the private LPs against the city. Hence every year
//! `city + private + gp_carry == distributable` and `city_called + private_called == called` exactly.

use crate::money::{Fen, RateFen};

/// The city's profit concession (让利), one per fund. See the module header for the formulas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concession {
    /// Pro rata to contributions.
    None,
    /// The city gets at most its capital plus `rate` compounded yearly; the rest goes to private LPs.
    CappedReturn { rate: RateFen },
    /// Of the city's pro-rata cash beyond its capital plus `above` compounded, `share` is ceded.
    ExcessShare { share: RateFen, above: RateFen },
    /// The city is the first-loss tranche (private LPs senior for capital plus the hurdle).
    Junior,
    /// Private LPs may buy the city out at net capital plus `rate` within `within_years` year-ends
    /// of the first call.
    Buyout { rate: RateFen, within_years: u32 },
}

/// A fund's economic terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// The city's share of commitments: splits every call, and the LPs' cash absent a concession.
    pub city_share: RateFen,
    /// Preferred return `h`, compounded yearly.
    pub hurdle: RateFen,
    /// Carried interest `c`.
    pub carry: RateFen,
    /// The GP's share of cash in the catch-up tier (`c < s ≤ 1`), or `None` for no catch-up.
    pub catch_up: Option<RateFen>,
    pub concession: Concession,
}

/// A rate in parts per 10^12, exactly (`RateFen` keeps 12 decimals).
fn ppt(rate: RateFen) -> Fen {
    rate.apply(1_000_000_000_000)
}

impl Terms {
    /// What a scenario validator must enforce; [`Waterfall::new`] panics on the same conditions.
    pub fn check(&self) -> Result<(), &'static str> {
        let one = ppt(RateFen::new(rust_decimal::Decimal::ONE));
        let unit = |r: RateFen| (0..=one).contains(&ppt(r));
        if !unit(self.city_share) {
            return Err("the city's share must be between 0 and 100%");
        }
        if !unit(self.carry) {
            return Err("the carry must be between 0 and 100%");
        }
        if let Some(s) = self.catch_up
            && (ppt(s) <= ppt(self.carry) || ppt(s) > one)
        {
            return Err("the catch-up share must exceed the carry and be at most 100%");
        }
        let rate = match self.concession {
            Concession::CappedReturn { rate } | Concession::Buyout { rate, .. } => rate,
            Concession::ExcessShare { share, above } if unit(share) => above,
            Concession::ExcessShare { .. } => return Err("the ceded share must be 0–100%"),
            Concession::None | Concession::Junior => self.hurdle,
        };
        if ppt(self.hurdle) < 0 || ppt(rate) < 0 {
            return Err("rates must not be negative");
        }
        Ok(())
    }
}

/// One year's flows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// The call, split: the city's part (0 once bought out) and the private LPs' part.
    pub city_called: Fen,
    pub private_called: Fen,
    /// The distributable cash, split: `city + private + gp_carry == distributable`.
    pub city: Fen,
    pub private: Fen,
    pub gp_carry: Fen,
    /// The LPs' cash (`city + private`) by tier: (1) capital, (2) preferred return, (3–4) the rest.
    pub lp_capital: Fen,
    pub lp_pref: Fen,
    pub lp_profit: Fen,
    /// The buy-out price the private LPs paid the city this year, outside the fund's cash.
    pub buyout_paid_to_city: Fen,
    /// The city has been bought out (this year or earlier).
    pub city_out: bool,
}

/// Cumulative flows since the first call (the fields of [`Split`], summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub called: Fen,
    pub city_called: Fen,
    pub private_called: Fen,
    pub distributed: Fen,
    pub city: Fen,
    pub private: Fen,
    pub gp_carry: Fen,
    pub lp_capital: Fen,
    pub lp_pref: Fen,
    pub lp_profit: Fen,
    pub buyout_paid_to_city: Fen,
}

impl Totals {
    /// Cumulative profit distributed, `Π` = pref + everything above it (GP's and LPs').
    pub fn profit(&self) -> Fen {
        self.lp_pref + self.lp_profit + self.gp_carry
    }
}

/// The waterfall state of one fund.
#[derive(Debug, Clone)]
pub struct Waterfall {
    terms: Terms,
    /// Calls made so far (the index of the next year).
    year: u32,
    first_call: Option<u32>,
    /// `K`: contributed capital not yet returned.
    capital: Fen,
    /// `U`: preferred return accrued, not yet paid.
    pref: Fen,
    /// The city's concession account `A` (Junior: its capital not yet returned).
    city_acct: Fen,
    /// Junior: the private LPs' capital plus hurdle not yet returned (`S`).
    senior_acct: Fen,
    /// Cumulative LP cash split pro rata, and cumulative city cash beyond `A` (ExcessShare).
    pro_rata_base: Fen,
    excess: Fen,
    city_out: bool,
    totals: Totals,
}

impl Waterfall {
    /// A fund before its first call. Panics if `terms` fail [`Terms::check`].
    pub fn new(terms: Terms) -> Self {
        if let Err(e) = terms.check() {
            panic!("invalid waterfall terms: {e}");
        }
        Waterfall {
            terms,
            year: 0,
            first_call: None,
            capital: 0,
            pref: 0,
            city_acct: 0,
            senior_acct: 0,
            pro_rata_base: 0,
            excess: 0,
            city_out: false,
            totals: Totals::default(),
        }
    }

    pub fn terms(&self) -> &Terms {
        &self.terms
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    pub fn city_out(&self) -> bool {
        self.city_out
    }

    /// LPs' capital plus preferred return still owed before any carry (`K + U`).
    /// What the city would receive if the fund were liquidated now at `nav` (its share of a
    /// hypothetical final distribution through this waterfall, on the same date; nothing once
    /// bought out). Used to value the city's commitment.
    pub fn city_value(&self, nav: Fen) -> Fen {
        if self.city_out {
            0
        } else {
            self.clone().distribute(nav.max(0)).city
        }
    }

    /// The city takes back its concession: from now on its cash is pro rata to its share (a
    /// buy-out option lapses).
    pub fn revoke_concession(&mut self) {
        self.terms.concession = Concession::None;
    }

    /// The city leaves the fund now, selling its stake to the private LPs at its share of a
    /// liquidation at `nav` (the appraised value), paid outside the fund's cash; it pays no later
    /// call and receives nothing more. Returns the price.
    pub fn exit_city(&mut self, nav: Fen) -> Fen {
        if self.city_out {
            return 0;
        }
        let price = self.city_value(nav);
        self.city_out = true;
        self.city_acct = 0;
        self.totals.buyout_paid_to_city += price;
        price
    }

    pub fn hurdle_balance(&self) -> Fen {
        self.capital + self.pref
    }

    /// One year: accrue, book the `called` capital (everything the LPs pay in, fees included), split
    /// the `distributable` cash, then (Buyout only) test exercise against the year-end `nav` (after
    /// the distribution). All three are non-negative.
    pub fn step(&mut self, called: Fen, distributable: Fen, nav: Fen) -> Split {
        assert!(
            called >= 0 && distributable >= 0 && nav >= 0,
            "negative fund flow"
        );
        let t = self.terms;
        // 1. A year of interest on every account (zero balances stay zero).
        self.pref += t.hurdle.apply(self.capital + self.pref);
        self.senior_acct += t.hurdle.apply(self.senior_acct);
        match t.concession {
            Concession::CappedReturn { rate: r }
            | Concession::ExcessShare { above: r, .. }
            | Concession::Buyout { rate: r, .. } => self.city_acct += r.apply(self.city_acct),
            Concession::None | Concession::Junior => {}
        }
        // 2. The call, split by commitments on the cumulative amount.
        let city_called = if self.city_out {
            0
        } else {
            let before = self.totals.called;
            t.city_share.apply(before + called) - t.city_share.apply(before)
        };
        let private_called = called - city_called;
        self.capital += called;
        self.city_acct += city_called;
        self.senior_acct += private_called;
        if self.first_call.is_none() && called > 0 {
            self.first_call = Some(self.year);
        }
        let tot = &mut self.totals;
        tot.called += called;
        tot.city_called += city_called;
        tot.private_called += private_called;
        // 3. The cash.
        let mut split = self.distribute(distributable);
        split.city_called = city_called;
        split.private_called = private_called;
        // 4. The buy-out option, at this year-end.
        if let Concession::Buyout { within_years, .. } = t.concession
            && !self.city_out
            && self
                .first_call
                .is_some_and(|f| self.year - f <= within_years)
        {
            let price = self.city_acct.max(0);
            if self.clone().distribute(nav).city > price {
                self.city_out = true;
                self.city_acct = 0;
                split.buyout_paid_to_city = price;
                self.totals.buyout_paid_to_city += price;
            }
        }
        split.city_out = self.city_out;
        self.year += 1;
        split
    }

    /// Splits `x` through tiers 1–4 and the concession, updating the state (not the year).
    fn distribute(&mut self, x: Fen) -> Split {
        let t = self.terms;
        let lp_capital = x.min(self.capital);
        self.capital -= lp_capital;
        let lp_pref = (x - lp_capital).min(self.pref);
        self.pref -= lp_pref;
        let r = x - lp_capital - lp_pref;
        let tot = self.totals;
        let gp_carry = match t.catch_up {
            Some(s) => s
                .apply(r)
                .min(t.carry.apply(tot.profit() + lp_pref + r) - tot.gp_carry),
            None => {
                let q = tot.lp_profit + tot.gp_carry;
                t.carry.apply(q + r) - t.carry.apply(q)
            }
        }
        .clamp(0, r);
        let lp = x - gp_carry;
        let city = self.city_part(lp);
        let private = lp - city;
        let tot = &mut self.totals;
        tot.distributed += x;
        tot.city += city;
        tot.private += private;
        tot.gp_carry += gp_carry;
        tot.lp_capital += lp_capital;
        tot.lp_pref += lp_pref;
        tot.lp_profit += r - gp_carry;
        Split {
            city,
            private,
            gp_carry,
            lp_capital,
            lp_pref,
            lp_profit: r - gp_carry,
            ..Split::default()
        }
    }

    /// The city's part of the LPs' cash `lp` under the concession; the private LPs get the rest.
    fn city_part(&mut self, lp: Fen) -> Fen {
        if self.city_out {
            return 0;
        }
        let acct = self.city_acct.max(0);
        let city = match self.terms.concession {
            Concession::None | Concession::Buyout { .. } => self.pro_rata(lp),
            Concession::CappedReturn { .. } => self.pro_rata(lp).min(acct),
            Concession::ExcessShare { share, .. } => {
                let pi = self.pro_rata(lp);
                let before = self.excess;
                self.excess += pi - pi.min(acct);
                pi - (share.apply(self.excess) - share.apply(before)).clamp(0, pi)
            }
            Concession::Junior => {
                let senior = lp.min(self.senior_acct.max(0));
                let junior = (lp - senior).min(acct);
                junior + self.pro_rata(lp - senior - junior)
            }
        };
        self.city_acct = (self.city_acct - city).max(0);
        self.senior_acct = (self.senior_acct - (lp - city)).max(0);
        city
    }

    /// The city's pro-rata part of `base`, rounded on the cumulative base.
    fn pro_rata(&mut self, base: Fen) -> Fen {
        let share = self.terms.city_share;
        let before = self.pro_rata_base;
        self.pro_rata_base += base;
        (share.apply(self.pro_rata_base) - share.apply(before)).clamp(0, base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn rate(s: &str) -> RateFen {
        RateFen::new(Decimal::from_str(s).unwrap())
    }

    /// An amount in 万 (1万 yuan = 1,000,000 fen, so 万 with 6 decimals is exact to the fen).
    fn w(s: &str) -> Fen {
        crate::money::to_fen(Decimal::from_str(s).unwrap() * Decimal::from(10_000)).unwrap()
    }

    /// 25% city, hurdle 8%, carry 20%, 100% catch-up.
    fn terms(concession: Concession) -> Terms {
        Terms {
            city_share: rate("0.25"),
            hurdle: rate("0.08"),
            carry: rate("0.2"),
            catch_up: Some(rate("1")),
            concession,
        }
    }

    /// Runs years 0.. with (called, distributable, nav) in 万, checking conservation every year.
    fn run(terms: Terms, flows: &[(&str, &str, &str)]) -> (Vec<Split>, Waterfall) {
        let mut wf = Waterfall::new(terms);
        let splits = flows
            .iter()
            .map(|(c, d, n)| {
                let s = wf.step(w(c), w(d), w(n));
                assert_eq!(s.city + s.private + s.gp_carry, w(d));
                assert_eq!(s.lp_capital + s.lp_pref + s.lp_profit, s.city + s.private);
                assert_eq!(s.city_called + s.private_called, w(c));
                s
            })
            .collect();
        (splits, wf)
    }

    /// 1亿 in year 0; 0.3亿 out in year 3, 1.5亿 in year 5; NAVs after each year's distribution.
    fn flows(navs: [&'static str; 6]) -> Vec<(&'static str, &'static str, &'static str)> {
        let dist = ["0", "0", "0", "3000", "0", "15000"];
        let call = ["10000", "0", "0", "0", "0", "0"];
        (0..6).map(|i| (call[i], dist[i], navs[i])).collect()
    }

    const NAV0: [&str; 6] = ["0"; 6];

    // Hurdle account (万), 8%/yr on K+U: y0 K=10000. y1 U=800. y2 U=800+864=1664.
    // y3 U=1664+0.08·11664=2597.12; X=3000 → tier 1 (capital) 3000, K=7000.
    // y4 U=2597.12+0.08·9597.12=3364.8896. y5 U=3364.8896+0.08·10364.8896=4194.080768.
    // y5 X=15000: tier 1 7000, tier 2 4194.080768, r=3805.919232. Π=4194.080768+3805.919232=8000,
    // c·Π=1600 < s·r → GP 1600: tier 3 x=0.2·4194.080768/0.8=1048.520192 all to GP, tier 4
    // 2757.39904 split 551.479808 GP / 2205.919232 LP. LPs 13400 = 7000+4194.080768+2205.919232.
    // None: city 25%: y3 750, y5 3350 (cum 4100 = 25% of 16400); private 2250, 10050.
    #[test]
    fn european_tiers_pro_rata() {
        let (s, wf) = run(terms(Concession::None), &flows(NAV0));
        assert_eq!((s[3].lp_capital, s[3].gp_carry), (w("3000"), 0));
        assert_eq!((s[3].city, s[3].private), (w("750"), w("2250")));
        assert_eq!(s[5].lp_capital, w("7000"));
        assert_eq!(s[5].lp_pref, w("4194.080768"));
        assert_eq!(s[5].gp_carry, w("1600"));
        assert_eq!(s[5].lp_profit, w("2205.919232"));
        assert_eq!((s[5].city, s[5].private), (w("3350"), w("10050")));
        let t = wf.totals();
        assert_eq!(
            (t.city, t.private, t.gp_carry),
            (w("4100"), w("12300"), w("1600"))
        );
        assert_eq!(t.gp_carry, rate("0.2").apply(t.profit()));
    }

    // No catch-up: GP = 20% of r = 0.2·3805.919232万 = 761,183,846.4 fen → 761,183,846 (the 0.4 fen
    // stays with the LPs). LPs 15000 − 761.183846 = 14238.816154; city = 25% of the cumulative
    // 17238.816154 = 4,309,704,038.5 fen → 4,309,704,038 (half to even) − 750万 = 3559.704038万.
    #[test]
    fn no_catch_up() {
        let t = Terms {
            catch_up: None,
            ..terms(Concession::None)
        };
        let (s, _) = run(t, &flows(NAV0));
        assert_eq!(s[5].gp_carry, 761_183_846);
        assert_eq!(s[5].city, w("3559.704038"));
    }

    // City account at 3% (fen): 2,500,000,000 → 2,575,000,000 → 2,652,250,000 → y3 2,731,817,500,
    // −750万 received → 1,981,817,500 → y4 2,041,272,025 → y5 +61,238,160.75 (→ …161, half-even)
    // = 2,102,510,186 = 2102.510186万 < pro rata 3350 → city gets the cap, private 13400 − it.
    #[test]
    fn capped_return() {
        let (s, wf) = run(
            terms(Concession::CappedReturn { rate: rate("0.03") }),
            &flows(NAV0),
        );
        assert_eq!(s[3].city, w("750"));
        assert_eq!(
            (s[5].city, s[5].private),
            (w("2102.510186"), w("11297.489814"))
        );
        assert_eq!(wf.totals().city, w("2852.510186"));
    }

    // Threshold at 8%: 2500 → 2700 → 2916 → 3149.28 − 750 = 2399.28 → 2591.2224 → 2798.520192.
    // y5 pro rata 3350: excess 551.479808, half ceded = 275.739904 → city 3074.260096,
    // private 10050 + 275.739904 = 10325.739904.
    #[test]
    fn excess_share() {
        let c = Concession::ExcessShare {
            share: rate("0.5"),
            above: rate("0.08"),
        };
        let (s, _) = run(terms(c), &flows(NAV0));
        assert_eq!(s[3].city, w("750"));
        assert_eq!(
            (s[5].city, s[5].private),
            (w("3074.260096"), w("10325.739904"))
        );
    }

    // Senior (private) account at 8%: 7500 → 8100 → 8748 → 9447.84; y3 all 3000 to private → 6447.84
    // → 6963.6672 → 7520.760576. y5 LPs 13400: private 7520.760576, city capital 2500, rest
    // 3379.239424 pro rata: city 844.809856, private 2534.429568. City 3344.809856, private
    // 10055.190144.
    #[test]
    fn junior() {
        let (s, _) = run(terms(Concession::Junior), &flows(NAV0));
        assert_eq!((s[3].city, s[3].private), (0, w("3000")));
        assert_eq!(
            (s[5].city, s[5].private),
            (w("3344.809856"), w("10055.190144"))
        );
    }

    fn buyout(within_years: u32) -> Terms {
        terms(Concession::Buyout {
            rate: rate("0.04"),
            within_years,
        })
    }

    // Price at 4%: y0 2500, y1 2600, y2 2704. Liquidation at NAV: y0 10000 → city 2500, not > 2500;
    // y1 9000 all capital → 2250 < 2600; y2 16000: capital 10000, pref 1664, r 4336, GP 20%·6000
    // = 1200, LPs 14800 → city 3700 > 2704: exercised, city paid 2704 and out. Then private gets
    // all LP cash: 3000 in y3, 13400 in y5.
    #[test]
    fn buyout_exercised() {
        let navs = ["10000", "9000", "16000", "14000", "14000", "0"];
        let (s, wf) = run(buyout(3), &flows(navs));
        assert!(!s[1].city_out && s[2].city_out && s[5].city_out);
        assert_eq!(s[2].buyout_paid_to_city, w("2704"));
        assert_eq!((s[3].city, s[3].private), (0, w("3000")));
        assert_eq!(
            (s[5].city, s[5].private, s[5].gp_carry),
            (0, w("13400"), w("1600"))
        );
        assert_eq!(wf.totals().buyout_paid_to_city, w("2704"));
    }

    // y3 price 2704·1.04 − 750 = 2062.16; NAV 8000 → capital 7000 + pref 1000 → city 2000 < 2062.16.
    // y4 price 2144.6464 (fen exact); NAV 8500 → city 2125 < it. y5 price 0, NAV 0 → 0, not > 0.
    // Never exercised: same as pro rata (750, 3350).
    #[test]
    fn buyout_not_in_the_money() {
        let navs = ["10000", "9000", "9500", "8000", "8500", "0"];
        let (s, wf) = run(buyout(10), &flows(navs));
        assert!(!s[5].city_out);
        assert_eq!((s[3].city, s[5].city), (w("750"), w("3350")));
        assert_eq!(wf.totals().buyout_paid_to_city, 0);
    }

    // y4 NAV 14000: capital 7000, pref 3364.8896, r 3635.1104, GP 20%·7000 = 1400, LPs 12600, city
    // 3150 > price 2144.6464. Window of 3 years (year-ends 0..=3): closed, no exercise. Window of 4:
    // exercised in y4 at 2144.6464; y5 all 13400 LP cash to private.
    #[test]
    fn buyout_window_closes_first() {
        let navs = ["10000", "9000", "9500", "8000", "14000", "0"];
        let (s, _) = run(buyout(3), &flows(navs));
        assert!(!s[5].city_out);
        assert_eq!(s[5].city, w("3350"));
        let (s, wf) = run(buyout(4), &flows(navs));
        assert!(!s[3].city_out && s[4].city_out);
        assert_eq!(s[4].buyout_paid_to_city, w("2144.6464"));
        assert_eq!((s[5].city, s[5].private), (0, w("13400")));
        assert_eq!(wf.totals().city, w("750"));
        // After exercise the private LPs pay the city's calls.
        let mut wf = wf;
        let s = wf.step(w("100"), 0, 0);
        assert_eq!((s.city_called, s.private_called), (0, w("100")));
    }

    // Loss: 1亿 in, 0.3亿 (y3) + 0.5亿 (y5) out, all return of capital, no pref, no carry.
    // Pro rata: city 750 + 1250 = 2000, private 6000. Capped (cap 2102.510186 ≥ 1250), ExcessShare
    // and Buyout (y3 NAV 5000 → city 1250 < 2062.16) change nothing. Junior: the senior account
    // (9447.84 at y3, 7520.760576 at y5) exceeds each payment → private 3000 + 5000, city 0: the
    // whole 2000 loss (and more: its 2500) falls on the city.
    #[test]
    fn loss_case() {
        let navs = ["10000", "9000", "8000", "5000", "5000", "0"];
        let mut f = flows(navs);
        f[5].1 = "5000";
        let pro_rata = [
            Concession::None,
            Concession::CappedReturn { rate: rate("0.03") },
            Concession::ExcessShare {
                share: rate("0.5"),
                above: rate("0.08"),
            },
            Concession::Buyout {
                rate: rate("0.04"),
                within_years: 3,
            },
        ];
        for c in pro_rata {
            let (s, wf) = run(terms(c), &f);
            assert_eq!((s[3].city, s[5].city), (w("750"), w("1250")), "{c:?}");
            assert_eq!((wf.totals().private, wf.totals().gp_carry), (w("6000"), 0));
        }
        let (s, wf) = run(terms(Concession::Junior), &f);
        assert_eq!((s[3].city, s[5].city), (0, 0));
        assert_eq!(wf.totals().private, w("8000"));
    }

    // Share 1/3 (0.333333333333), 100 fen a year, no hurdle or carry: cumulative 33.33 → 33,
    // 66.67 → 67, 99.99999999990 → 100, so the city gets 33, 34, 33 and the private LPs 67, 66, 67.
    #[test]
    fn rounding_fen_does_not_accumulate() {
        let t = Terms {
            city_share: rate("0.333333333333"),
            hurdle: rate("0"),
            carry: rate("0"),
            catch_up: None,
            concession: Concession::None,
        };
        let mut wf = Waterfall::new(t);
        wf.step(300, 0, 0);
        let got: Vec<_> = (0..3).map(|_| wf.step(0, 100, 0)).collect();
        let city: Vec<_> = got.iter().map(|s| s.city).collect();
        assert_eq!(city, [33, 34, 33]);
        assert_eq!(wf.totals().private, 200);
    }

    #[test]
    fn invalid_terms_are_rejected() {
        let mut t = terms(Concession::None);
        t.catch_up = Some(rate("0.1"));
        assert!(t.check().is_err());
        t.catch_up = None;
        t.city_share = rate("1.2");
        assert!(t.check().is_err());
    }

    /// Fixed-seed random funds: the invariants of the brief, every year.
    #[test]
    fn random_invariants() {
        let mut seed = 0x5eed_u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        };
        let pick = |xs: &[&str], i: u64| rate(xs[i as usize % xs.len()]);
        for _ in 0..400 {
            let carry = pick(&["0", "0.2", "0.3"], next(3));
            let catch_up = [None, Some(rate("1")), Some(rate("0.5"))][next(3) as usize];
            let r = pick(&["0", "0.03", "0.08"], next(3));
            let concession = match next(5) {
                0 => Concession::None,
                1 => Concession::CappedReturn { rate: r },
                2 => Concession::ExcessShare {
                    share: pick(&["0.3", "1"], next(2)),
                    above: r,
                },
                3 => Concession::Junior,
                _ => Concession::Buyout {
                    rate: r,
                    within_years: next(8) as u32,
                },
            };
            let t = Terms {
                city_share: pick(&["0.2", "0.25", "0.333333333333", "0.6"], next(4)),
                hurdle: pick(&["0", "0.06", "0.08"], next(3)),
                carry,
                catch_up,
                concession,
            };
            let mut wf = Waterfall::new(t);
            let mut was_out = false;
            for y in 0..14 {
                let called = Fen::from(y < 6 && next(2) == 0) * next(10_000_000_001) as Fen;
                let dist = Fen::from(next(3) == 0) * next(30_000_000_001) as Fen;
                let s = wf.step(called, dist, next(30_000_000_001) as Fen);
                let tot = *wf.totals();
                assert_eq!(s.city + s.private + s.gp_carry, dist);
                assert_eq!(s.city_called + s.private_called, called);
                let parts = [s.city, s.private, s.gp_carry, s.lp_capital, s.lp_pref];
                assert!(parts.iter().chain([&s.lp_profit]).all(|v| *v >= 0), "{s:?}");
                assert!(tot.gp_carry <= t.carry.apply(tot.profit()));
                if catch_up == Some(rate("1")) && s.lp_profit > 0 {
                    assert_eq!(tot.gp_carry, t.carry.apply(tot.profit()));
                }
                if ppt(carry) == 0 && concession == Concession::None {
                    assert_eq!(tot.city, t.city_share.apply(tot.distributed));
                }
                if was_out {
                    assert_eq!((s.city, s.city_called, s.buyout_paid_to_city), (0, 0, 0));
                }
                was_out = s.city_out;
                assert_eq!(tot.city + tot.private + tot.gp_carry, tot.distributed);
            }
        }
    }
}
