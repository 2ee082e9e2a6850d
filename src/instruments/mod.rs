//! The program's instruments, behind one seam.
//!
//! Each year, after the firms have moved, the path calls, in order:
//! 1. [`settle`]: convertible grants whose firm raised a round convert; positions whose firm exited
//!    or failed this year, whose holding period ran out or whose founders buy them back are closed
//!    and their proceeds booked;
//! 2. [`invest`] for every instrument, with a [`Purse`] holding its fiscal budget for the year and, if
//!    the recycling rule lets it, the pool's balance;
//! 3. [`mark`]: open positions are valued at the year's end.
//!
//! Adding an instrument kind means a variant of [`crate::model::KindModel`] and an arm in
//! [`invest`]; the books ([`crate::ledger`]) and the positions are shared by all kinds.
//! Instruments draw only from the program stream and never change a firm's fate, so scenarios that
//! differ in instruments share their firms and markets exactly (common random numbers).

mod arrivals;
mod awards;
mod equity;
mod guarantee;
mod subfund;
mod subsidies;

use crate::firms::{CITY_INVESTED, Firms, Status, YearEvents};
use crate::ledger::{Ledger, LivePositions, Outcome, Position};
use crate::model::{KindModel, Model};
use crate::money::{Fen, RateFen, fen_from_yuan_f64, mul_div_rem, yuan};
use crate::rng::{Stream, counter, purpose, uniform};
use crate::subsidy::{Claim, SubsidyState};
pub use subfund::{DealTally, Fund, FundState, Inherited, fund_nav, fund_nav_marked};

/// Money an instrument may spend this year: its fiscal budget and, if allowed, pooled money.
/// Pooled money is spent first; unspent fiscal budget lapses (it is never drawn from the treasury).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purse {
    pub fiscal: Fen,
    pub pool: Fen,
}

impl Purse {
    pub fn capacity(&self) -> Fen {
        self.fiscal + self.pool
    }

    /// Takes `amount` (at most the capacity) and says how much came from the pool.
    fn spend(&mut self, amount: Fen) -> (Fen, Fen) {
        debug_assert!(amount <= self.capacity());
        let from_pool = amount.min(self.pool);
        self.pool -= from_pool;
        self.fiscal -= amount - from_pool;
        (amount - from_pool, from_pool)
    }
}

/// What instruments see and change in year `y` of a path.
pub struct Year<'a> {
    pub y: usize,
    pub model: &'a Model,
    pub firms: &'a mut Firms,
    /// What happened to the firms this year: rounds (`events.rounds`), arrivals, counts.
    pub events: &'a mut YearEvents,
    /// City money put into each of this year's rounds so far (parallel to `events.rounds`).
    pub round_city: &'a mut [Fen],
    /// Each instrument's own stream (keyed by its id), so that instruments do not disturb each
    /// other's choices.
    pub rngs: &'a mut [Stream],
    /// Each instrument's stream for events it does not choose (a fund failing to close).
    pub event_rngs: &'a mut [Stream],
    pub ledger: &'a mut Ledger,
    pub positions: &'a mut Vec<Position>,
    /// Which of `positions` may still be live.
    pub live: &'a mut LivePositions,
    /// Firms supported for the first time this year.
    pub newly_supported: &'a mut i64,
    /// Scratch space for candidate lists, reused across years and paths.
    pub candidates: &'a mut Vec<u32>,
    /// This year's equity tickets: `(instrument, round index, ticket)`.
    pub tickets: &'a mut Vec<(usize, u32, Fen)>,
    /// Per instrument: what subsidy caps remember across years (empty for other kinds).
    pub subsidy_states: &'a mut [SubsidyState],
    /// Scratch space for subsidy claims.
    pub claims: &'a mut Vec<Claim>,
    /// The sub-funds the city committed to in this path.
    pub funds: &'a mut Vec<Fund>,
    /// This year's factor `x` of each industry.
    pub x: &'a [f64],
}

impl Year<'_> {
    /// Books a payment of `amount` by instrument `k` out of `purse`.
    fn pay(&mut self, k: usize, purse: &mut Purse, amount: Fen) {
        let (fiscal, pool) = purse.spend(amount);
        let i = self.ledger.at(k, self.y);
        self.ledger.fiscal[i] += fiscal;
        self.ledger.pool_used[i] += pool;
    }

    /// Books an obligation of instrument `k` (a capital call): pooled money first if its purse holds
    /// any, the rest fiscal, whatever the budget.
    fn pay_call(&mut self, k: usize, purse: &mut Purse, amount: Fen) {
        let from_pool = amount.min(purse.pool);
        purse.pool -= from_pool;
        let i = self.ledger.at(k, self.y);
        self.ledger.pool_used[i] += from_pool;
        self.ledger.fiscal[i] += amount - from_pool;
    }

    /// Instrument `k` supports `firm`: counted once per firm, and its effect (if any) may start
    /// acting on the firm from next year.
    fn support(&mut self, k: usize, firm: u32) {
        let f = firm as usize;
        if !self.firms.supported[f] {
            self.firms.supported[f] = true;
            *self.newly_supported += 1;
        }
        let inst = &self.model.instruments[k];
        if let Some(e) = &inst.effect {
            (self.firms).apply_effect(k, inst.hash, (e.boost, e.years, e.additional), firm, self.y);
        }
    }
}

/// Lets instrument `k` spend from `purse` this year (and runs its sub-funds, which call capital
/// whatever the budget).
pub fn invest(k: usize, purse: &mut Purse, year: &mut Year) {
    let inst = &year.model.instruments[k];
    if let KindModel::SubFund(fm) = &inst.kind {
        subfund::commit(k, fm, purse, year);
        subfund::operate(k, inst, fm, purse, year);
        return;
    }
    if purse.capacity() <= 0 {
        return;
    }
    match &inst.kind {
        KindModel::Grant(g) => awards::invest(k, inst, g, Outcome::Grant, purse, year),
        KindModel::Convertible(c) => {
            awards::invest(k, inst, &c.grant, Outcome::Pending, purse, year)
        }
        KindModel::Prize(p) => awards::invest(k, inst, &p.grant, Outcome::Open, purse, year),
        KindModel::DirectEquity(e) | KindModel::CoInvestment(e) => {
            equity::invest(k, inst, e, purse, year)
        }
        KindModel::Guarantee(g) => guarantee::invest(k, inst, g, purse, year),
        KindModel::Subsidy(sub) => subsidies::invest(k, sub, purse, year),
        KindModel::Attraction(a) => arrivals::incentives(k, inst, a, purse, year),
        KindModel::Talent(t) => arrivals::talents(k, inst, t, purse, year),
        KindModel::SubFund(_) => unreachable!("handled above"),
    }
}

/// Converts, closes and books the positions whose fate is decided this year, and drops the
/// closed ones from the live list.
pub fn settle(year: &mut Year) {
    let (y, model) = (year.y, year.model);
    for &i in year.live.update(year.positions) {
        let p = &mut year.positions[i as usize];
        settle_one(p, (y, model), year.firms, year.ledger, year.rngs);
    }
    year.live.retain_live(year.positions);
}

/// [`settle`] for one live position.
fn settle_one(
    p: &mut Position,
    (y, model): (usize, &Model),
    firms: &mut Firms,
    ledger: &mut Ledger,
    rngs: &mut [Stream],
) {
    let f = p.firm as usize;
    let status = firms.status[f];
    if p.outcome == Outcome::Pending {
        let KindModel::Convertible(c) = &model.instruments[p.instrument].kind else {
            unreachable!("only convertible grants are pending")
        };
        match status {
            Status::Failed => close(p, Outcome::WrittenOff, 0, y, ledger),
            Status::Listed | Status::Acquired => close(p, Outcome::Lapsed, 0, y, ledger),
            _ if firms.last_round[f] == y as i32 && y as i32 > p.entry_year => {
                // Converts at this year's round price, less the discount.
                let price = firms.value[f] * (1.0 - c.discount);
                p.stake = (yuan(p.cost) / price).min(1.0);
                p.retention_entry = firms.retention[f];
                p.converted_year = Some(y);
                p.outcome = Outcome::Open;
                firms.flags[f] |= CITY_INVESTED;
                ledger.conversions[y] += 1;
            }
            _ if c
                .window
                .is_some_and(|w| y as i32 >= p.entry_year + w as i32) =>
            {
                close(p, Outcome::Lapsed, 0, y, ledger)
            }
            _ => {}
        }
        return;
    }
    if p.outcome != Outcome::Open {
        return;
    }
    if let KindModel::Guarantee(g) = &model.instruments[p.instrument].kind {
        let rng = &mut rngs[p.instrument];
        guarantee::settle_loan(p, g, y, firms, ledger, rng);
        return;
    }
    let stake = p.stake * firms.retention[f] / p.retention_entry;
    let value = firms.value[f];
    let rules = model.valuation;
    match status {
        Status::Failed => close(p, Outcome::WrittenOff, 0, y, ledger),
        Status::Listed if rules.cash_at_ipo() => {
            close(p, Outcome::Ipo, fen_from_yuan_f64(stake * value), y, ledger)
        }
        Status::Listed => {
            // Sold in tranches after the lock-up, at each year's listed price.
            let listed = *p.listed_year.get_or_insert(y);
            let share = rules.tranche((y - listed) as u32).min(1.0 - p.sold);
            let amount = fen_from_yuan_f64(share * stake * value);
            p.sold += share;
            if p.sold >= 1.0 - 1e-9 {
                close(p, Outcome::Ipo, amount, y, ledger);
            } else if amount > 0 {
                p.proceeds += amount;
                let i = ledger.at(p.instrument, y);
                ledger.proceeds[i] += amount;
            }
        }
        Status::Acquired => {
            let paid = if rules.preference {
                let raised = firms.raised[f];
                crate::valuation::preferred_payout(stake, yuan(p.cost), value, raised)
            } else {
                stake * value
            };
            close(p, Outcome::Acquired, fen_from_yuan_f64(paid), y, ledger)
        }
        Status::Active | Status::Established => {
            let kind = &model.instruments[p.instrument].kind;
            if let KindModel::Convertible(c) = kind
                && let Some(b) = &c.buyback
                && !p.buyback_offered
                && p.converted_year
                    .is_some_and(|cy| y >= cy + b.after as usize)
            {
                p.buyback_offered = true;
                if uniform(&mut rngs[p.instrument]) < b.take_up {
                    // Cost plus interest from the day the money went out (the grant).
                    let price = compound(p.cost, &b.rate, (y as i32 - p.entry_year) as u32);
                    close(p, Outcome::BoughtBack, price, y, ledger);
                }
            } else if let Some((years, discount)) = kind.sell_after()
                && y as i32 >= p.entry_year + years as i32
            {
                // A state-held stake is sold through a property-rights exchange: decided now,
                // paid when the transfer completes, at that year's mark less the sale and
                // transfer discounts.
                let due = *p.transfer_due.get_or_insert_with(|| {
                    let hash = model.instruments[p.instrument].hash;
                    let key = firms.key[f];
                    let u = uniform(&mut counter(key, hash, purpose::TRANSFER));
                    y + rules.transfer_years(u)
                });
                if y >= due {
                    let mark = firms.mark(model, f, y);
                    let keep = (1.0 - discount) * (1.0 - rules.transfer_discount);
                    let price = fen_from_yuan_f64(stake * mark * keep);
                    close(p, Outcome::Sold, price, y, ledger);
                }
            }
        }
    }
}

fn close(p: &mut Position, outcome: Outcome, proceeds: Fen, y: usize, ledger: &mut Ledger) {
    p.outcome = outcome;
    p.proceeds += proceeds;
    p.exit_year = Some(y);
    let i = ledger.at(p.instrument, y);
    ledger.proceeds[i] += proceeds;
}

/// `amount` compounded yearly at `rate` for `years`, rounded to the fen each year.
fn compound(amount: Fen, rate: &RateFen, years: u32) -> Fen {
    (0..years).fold(amount, |a, _| a + rate.apply(a))
}

/// Books the private money in the rounds the city joined this year: per round `size − city money`
/// to the program (which also counts guaranteed bank loans, booked when made), and to each instrument in the round in proportion to its ticket (rounded down to
/// the fen, so the instruments' shares never add up to more than the program's figure).
pub fn book_mobilised(year: &mut Year) {
    let rounds = &year.events.rounds;
    let private = |n: usize, city: Fen| fen_from_yuan_f64(rounds[n].size) - city;
    let mut program = 0;
    for (n, &city) in year.round_city.iter().enumerate() {
        if city > 0 {
            program += private(n, city);
        }
    }
    // Each ticket once (integer sums: the order they are added in changes nothing). A ticket's
    // round has city money: the ticket itself.
    for &(k, n, ticket) in year.tickets.iter() {
        let city = year.round_city[n as usize];
        debug_assert!(city >= ticket && ticket > 0);
        let (share, _) = mul_div_rem(private(n as usize, city), ticket, i128::from(city));
        let i = year.ledger.at(k, year.y);
        year.ledger.mobilised[i] += share;
    }
    year.ledger.mobilised_program[year.y] += program;
}

/// Values open positions at the year's end: private stakes at their mark after the program's
/// haircut, listed stakes still to be sold at the listed price. Unconverted convertible grants
/// count for nothing: they are grants until a round converts them.
pub fn mark(year: &mut Year) {
    for &i in year.live.update(year.positions) {
        let p = &year.positions[i as usize];
        if p.outcome != Outcome::Open || p.principal > 0 {
            continue;
        }
        let value = position_value(year.model, year.firms, p, year.y);
        let i = year.ledger.at(p.instrument, year.y);
        year.ledger.holdings[i] += value;
    }
    // A guarantee programme's risk-compensation pool is the city's money until it pays losses.
    for k in 0..year.model.instruments.len() {
        let i = year.ledger.at(k, year.y);
        year.ledger.holdings[i] += year.ledger.risk_pool[k];
    }
}

/// What an open equity position is worth at the end of year `y` (see [`mark`]), in fen.
pub fn position_value(model: &Model, firms: &Firms, p: &Position, y: usize) -> Fen {
    let f = p.firm as usize;
    let stake = p.stake * firms.retention[f] / p.retention_entry;
    let held = if p.listed_year.is_some() || firms.status[f] == Status::Listed {
        (1.0 - p.sold) * stake * firms.value[f]
    } else {
        let keep = 1.0 - model.program.holdings_haircut;
        stake * firms.mark(model, f, y) * keep
    };
    fen_from_yuan_f64(held)
}

/// Fills `candidates` with the active local firms in the cells (industry, stage) that `eligible`
/// marks and that pass `keep`, in industry order then creation order.
fn eligible_active(
    candidates: &mut Vec<u32>,
    eligible: &[Vec<bool>],
    firms: &Firms,
    keep: impl Fn(usize) -> bool,
) {
    candidates.clear();
    for (i, cells) in eligible.iter().enumerate() {
        if !cells.iter().any(|&e| e) {
            continue;
        }
        let active = &firms.active[i];
        if cells.iter().all(|&e| e) {
            // Every stage: only `keep` decides.
            extend_where(candidates, active, |f| keep(f as usize));
        } else if cells.len() <= 64 {
            // The stages as bits, so that a firm's test is a shift, not a load from `cells`
            // (a firm of the industry is in one of its stages: the shift is below 64).
            let mask = (cells.iter().enumerate()).fold(0u64, |m, (s, &e)| m | (e as u64) << s);
            let stage = &firms.stage;
            extend_where(candidates, active, |f| {
                ((mask >> stage[f as usize]) & 1 != 0) & keep(f as usize)
            });
        } else {
            extend_where(candidates, active, |f| {
                cells[firms.stage[f as usize] as usize] & keep(f as usize)
            });
        }
    }
}

/// Appends to `out` the elements of `from` that pass `keep`, in order, without a branch on the
/// test: each element is written to the next free place, which advances only if it passes.
/// Whether a firm is eligible follows no pattern a branch predictor could learn, and a filter's
/// mispredicted branches cost more than these writes.
#[inline(always)]
fn extend_where(out: &mut Vec<u32>, from: &[u32], keep: impl Fn(u32) -> bool) {
    let start = out.len();
    out.resize(start + from.len(), 0);
    let free = &mut out[start..];
    let mut n = 0;
    for (&f, i) in from.iter().zip(0..free.len()) {
        free[n.min(i)] = f;
        n += keep(f) as usize;
    }
    out.truncate(start + n);
}

/// Appends to `out` the indices below `len` that pass `keep`, in order, without a branch on the
/// test, as [`extend_where`] does (a round's eligibility follows no pattern either).
#[inline(always)]
fn extend_where_index(out: &mut Vec<u32>, len: usize, keep: impl Fn(usize) -> bool) {
    let start = out.len();
    out.resize(start + len, 0);
    let free = &mut out[start..];
    let mut n = 0;
    for i in 0..free.len() {
        free[n.min(i)] = i as u32;
        n += keep(i) as usize;
    }
    out.truncate(start + n);
}

/// Partial Fisher–Yates: moves a uniformly chosen remaining element to position `j` and returns it.
#[inline]
fn draw_next<T: Copy>(items: &mut [T], j: usize, rng: &mut Stream) -> T {
    let r = j + crate::rng::index_below(rng, items.len() - j);
    items.swap(j, r);
    items[j]
}
