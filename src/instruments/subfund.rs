//! Sub-funds (参股基金): the city commits to funds as one LP; the funds invest, call capital, pay
//! fees and distribute through the waterfall with the city's concession (让利).
//!
//! **Commitments.** Each year the programme sets up `⌊budget / city commitment⌋` funds. A fund
//! reaches its close with `close_probability` (else nothing happens: guidance funds often fail to
//! reach their target size), a year late with `late_close_probability`.
//!
//! **Bottom-up funds** (fund age `a` = years since close), each year:
//! 1. holdings whose firm exited pay `stake · exit value`; failed ones are written off; at `a = term`
//!    everything left is sold at its model value less the programme's holdings haircut and the fund
//!    ends;
//! 2. during the investment period, proceeds are kept for reinvestment up to `recycling_limit`
//!    (cumulative); the rest, and after the period everything, is distributed;
//! 3. the management fee is `fee · size` during the investment period, then `fee · cost of the
//!    holdings`; it is paid from reinvested cash, then called, and once the commitment is spent taken
//!    from the year's proceeds before distribution (unpaid fees are owed and come first next year);
//! 4. during the investment period the fund invests `size · (1 − fee · investment years) /
//!    investment years` a year (plus reinvested cash), in tickets: in this year's local rounds of its
//!    industries and stages (random order, at most `max_round_share` of a round, within the room
//!    left) up to `local_preference` of the year's budget, or more when the 返投 requirement
//!    (`local_multiple × city commitment` invested locally) needs it to stay on track (what is still
//!    required over the investment years left); the rest in firms outside the city, as long as the
//!    outside total leaves room for the requirement. An outside firm enters
//!    at a random eligible industry and stage, valued at the industry's entry value times the median
//!    step-ups to that stage, and follows the same ladder from its own stream; it counts toward no
//!    local target;
//! 5. the year's call is what investments and the fee need beyond reinvested cash (never more than
//!    the uncalled commitment), and the waterfall ([`crate::waterfall`]) splits call and
//!    distribution between the city, the private LPs and the manager at the year-end NAV (holdings at
//!    model value plus the cash kept for reinvestment).
//!
//! **Takahashi–Alexander funds** take call, distribution and NAV from [`crate::pacing`] with growth
//! `G + β·x̄`, `x̄` the mean factor of the fund's industries this year.
//!
//! **The city's books.** Its share of each call is fiscal money (pooled money first if the programme
//! may spend it), an obligation not limited by the commitment budget; its distributions, and the
//! price if private LPs buy it out, are its proceeds; its holding is what it would receive if the
//! fund were liquidated at NAV (less the haircut). The private LPs' calls are money mobilised.

use super::{Purse, Year, draw_next};
use crate::firms::{CITY_INVESTED, Firms, RoundEvent, Status};
use crate::model::{BottomUpModel, InstrumentModel, Model, Pacing, SubFundModel};
use crate::money::{Fen, RateFen, fen_from_yuan_f64, yuan};
use crate::pacing::TaFund;
use crate::rng::{self, Bits, counter, exp, index_below, normal, purpose, uniform};
use crate::scenario::{OnShortfall, Recognition};
use crate::waterfall::Waterfall;

/// A fund the city committed to, in one path.
#[derive(Debug, Clone)]
pub struct Fund {
    pub instrument: usize,
    /// Year index of its close (first year of operation).
    pub start: usize,
    pub waterfall: Waterfall,
    pub state: FundState,
    /// Year index of its end (liquidation), once it has ended.
    pub end: Option<usize>,
    /// Year index in which private LPs bought the city out, if they did.
    pub city_out: Option<usize>,
    /// A fund of the book: the city's interest projected from its LP statement, whatever the
    /// programme's pacing (`None` for funds the programme commits to).
    pub inherited: Option<Inherited>,
}

/// A fund of the book: Takahashi–Alexander at the city's level (its waterfall passes everything
/// to the city: the statement is net of fees and carry).
#[derive(Debug, Clone)]
pub struct Inherited {
    pub params: crate::pacing::TaParams,
    pub growth_beta: f64,
    /// The city's commitment (for its unfunded part).
    pub commitment: Fen,
    /// Year index of its close (negative).
    pub vintage: i32,
    /// What it distributed to the city before the start year (its statement's history).
    pub distributed: Fen,
}

impl Fund {
    /// The city's commitment to this fund.
    pub fn commitment(&self, fm: &SubFundModel) -> Fen {
        self.inherited
            .as_ref()
            .map_or(fm.city_commitment, |i| i.commitment)
    }

    /// What the city has paid in so far (a fund of the book: before the start year too).
    pub fn called(&self) -> Fen {
        match (&self.inherited, &self.state) {
            (Some(i), FundState::TakahashiAlexander(ta)) => i.commitment - ta.unfunded(),
            _ => self.waterfall.totals().city_called,
        }
    }

    /// The city's commitment not called yet.
    pub fn unfunded(&self, fm: &SubFundModel) -> Fen {
        (self.commitment(fm) - self.called()).max(0)
    }

    /// The fund of the book held by programme `k`: `called` of `commitment` paid in,
    /// `distributed` paid out to the city so far, `nav` the city's share of its reported NAV,
    /// `age` years since its close.
    pub fn inherited(
        k: usize,
        fm: &SubFundModel,
        (commitment, called, distributed, nav): (Fen, Fen, Fen, Fen),
        age: u32,
        vintage: i32,
    ) -> Fund {
        // The programme's own Takahashi–Alexander parameters if it has them; else the paper's
        // venture example over the programme's term (growth beta 0.1, as documented). A fund at or
        // past its life winds up in the first simulated year.
        let (mut params, growth_beta) = match &fm.pacing {
            Pacing::TakahashiAlexander {
                params,
                growth_beta,
            } => (params.clone(), *growth_beta),
            Pacing::BottomUp(m) => (
                crate::pacing::TaParams {
                    life: m.term,
                    ..crate::pacing::TaParams::default()
                },
                0.1,
            ),
        };
        params.life = params.life.max(age + 1);
        let pass = crate::waterfall::Terms {
            city_share: RateFen::new(rust_decimal::Decimal::ONE),
            hurdle: RateFen::new(rust_decimal::Decimal::ZERO),
            carry: RateFen::new(rust_decimal::Decimal::ZERO),
            catch_up: None,
            concession: crate::waterfall::Concession::None,
        };
        Fund {
            instrument: k,
            start: 0,
            waterfall: Waterfall::new(pass),
            state: FundState::TakahashiAlexander(TaFund::resume(age, commitment - called, nav)),
            end: None,
            city_out: None,
            inherited: Some(Inherited {
                params,
                growth_beta,
                commitment,
                vintage,
                distributed,
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub enum FundState {
    BottomUp(BottomUpFund),
    TakahashiAlexander(TaFund),
}

#[derive(Debug, Clone, Default)]
pub struct BottomUpFund {
    pub holdings: Vec<Holding>,
    /// Investment recognised toward 返投 so far (under the programme's recognition rule).
    pub recognised: Fen,
    /// Proceeds kept for reinvestment and not yet invested.
    pub cash: Fen,
    pub called: Fen,
    pub recycled: Fen,
    pub local_invested: Fen,
    pub outside_invested: Fen,
    /// Fees due but not yet paid (the commitment spent and no proceeds to take them from).
    pub fee_owed: Fen,
    /// Totals of the fund's own cash account: `called + proceeds = invested + fees_paid +
    /// distributed + cash`.
    pub proceeds: Fen,
    pub invested: Fen,
    pub fees_paid: Fen,
    pub distributed: Fen,
    /// Its closed deals.
    pub tally: DealTally,
}

/// A fund's stake in a firm (local or outside).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Holding {
    pub firm: u32,
    pub cost: Fen,
    pub stake: f64,
    pub retention_entry: f64,
    /// An outside firm that opened a branch in the city (counted for 返投 once).
    pub branch: bool,
    /// Year its firm listed, while the stake is sold in tranches after the lock-up.
    pub listed_year: Option<usize>,
    /// Share of the stake held at listing already sold.
    pub sold: f64,
    /// Proceeds so far (tranches of a listed stake).
    pub back: Fen,
}

/// How a fund's closed deals did, by count: realised multiple (proceeds over cost) below 1× and
/// at least 10× (for comparison with published deal-level return distributions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DealTally {
    pub closed: u32,
    pub below_cost: u32,
    pub ten_x: u32,
}

impl DealTally {
    fn add(&mut self, cost: Fen, back: Fen) {
        self.closed += 1;
        self.below_cost += (back < cost) as u32;
        self.ten_x += (back >= 10 * cost) as u32;
    }
}

/// New commitments of programme `k` this year (the purse's fiscal side is the commitment budget).
pub(super) fn commit(k: usize, fm: &SubFundModel, purse: &Purse, year: &mut Year) {
    if fm.city_commitment <= 0 {
        return;
    }
    let n = purse.fiscal / fm.city_commitment;
    for _ in 0..n {
        let rng = &mut year.event_rngs[k];
        let closes = uniform(rng) < fm.close_probability;
        let late = uniform(rng) < fm.late_close_probability;
        if !closes {
            continue;
        }
        let state = match &fm.pacing {
            Pacing::BottomUp(_) => FundState::BottomUp(BottomUpFund::default()),
            Pacing::TakahashiAlexander { .. } => {
                FundState::TakahashiAlexander(TaFund::new(fm.fund_size))
            }
        };
        year.funds.push(Fund {
            instrument: k,
            start: year.y + late as usize,
            waterfall: Waterfall::new(fm.terms),
            state,
            end: None,
            city_out: None,
            inherited: None,
        });
    }
}

/// One year of every live fund of programme `k`.
pub(super) fn operate(
    k: usize,
    inst: &InstrumentModel,
    fm: &SubFundModel,
    purse: &mut Purse,
    year: &mut Year,
) {
    let y = year.y;
    let mut funds = std::mem::take(year.funds);
    let mut deals = Deals::new(inst);
    for fund in funds.iter_mut() {
        if fund.instrument != k || fund.start > y || fund.end.is_some() {
            continue;
        }
        if fund.start == y && fund.inherited.is_none() {
            year.ledger.funds_closed[y] += 1;
            let i = year.ledger.at(k, y);
            year.ledger.deals[i] += 1;
        }
        let (called, distributable, nav, ended) = match (&mut fund.state, &fm.pacing) {
            (FundState::TakahashiAlexander(ta), _) if fund.inherited.is_some() => {
                let inh = fund.inherited.as_ref().expect("checked");
                let x = mean_factor(inst, year.x);
                match ta.step(&inh.params, inh.params.growth + inh.growth_beta * x) {
                    Some(t) => (
                        t.call,
                        t.distribution,
                        fen_from_yuan_f64(t.nav),
                        ta.is_finished(&inh.params),
                    ),
                    None => (0, 0, 0, true),
                }
            }
            (FundState::BottomUp(b), Pacing::BottomUp(m)) => {
                bottom_up_year(k, &mut deals, fm, m, b, y - fund.start, year)
            }
            (
                FundState::TakahashiAlexander(ta),
                Pacing::TakahashiAlexander {
                    params,
                    growth_beta,
                },
            ) => {
                let x = mean_factor(inst, year.x);
                match ta.step(params, params.growth + growth_beta * x) {
                    Some(t) => (
                        t.call,
                        t.distribution,
                        fen_from_yuan_f64(t.nav),
                        ta.is_finished(params),
                    ),
                    None => (0, 0, 0, true),
                }
            }
            _ => unreachable!("a fund's state matches its programme's pacing"),
        };
        let mut split = fund.waterfall.step(called, distributable, nav);
        // 返投 checked at the end of the investment period: the shortfall is reported, and the city
        // applies the consequence its rules set.
        if let (FundState::BottomUp(b), Pacing::BottomUp(m)) = (&fund.state, &fm.pacing)
            && y + 1 == fund.start + m.investment_years as usize
        {
            let short = (m.local_required - b.recognised).max(0);
            year.ledger.fanhou_shortfall[y] += short;
            if short > 0 {
                match m.on_shortfall {
                    OnShortfall::None => {}
                    OnShortfall::RevokeConcession => fund.waterfall.revoke_concession(),
                    OnShortfall::Exit => {
                        split.buyout_paid_to_city += fund.waterfall.exit_city(nav);
                        split.city_out = true;
                    }
                }
            }
        }
        if split.buyout_paid_to_city > 0 || (split.city_out && fund.city_out.is_none()) {
            fund.city_out.get_or_insert(y);
        }
        year.pay_call(k, purse, split.city_called);
        let i = year.ledger.at(k, y);
        year.ledger.proceeds[i] += split.city + split.buyout_paid_to_city;
        year.ledger.mobilised[i] += split.private_called;
        year.ledger.mobilised_program[y] += split.private_called;
        // The city's interest: its share of what the fund would pay out if it sold now, on the
        // terms of a final sale (private marks less the haircut; listed stakes and cash in full).
        let marked = if ended {
            0
        } else {
            fund_nav_marked(fund, year.firms, year.model, y)
        };
        year.ledger.holdings[i] += fund.waterfall.city_value(marked);
        if ended {
            fund.end = Some(y);
        }
    }
    *year.funds = funds;
}

/// A live fund's NAV at the end of year `y`: its holdings at their marks and its cash
/// (bottom-up), or its Takahashi–Alexander NAV.
pub fn fund_nav(fund: &Fund, firms: &Firms, model: &Model, y: usize) -> Fen {
    nav_kept(fund, firms, model, y, 1.0)
}

/// The NAV the city's interest in a live fund is valued from at the end of year `y`: as
/// [`fund_nav`], with `[program] holdings_haircut` taken off the marks of its private holdings
/// (as a final sale takes it), not off listed stakes or cash; off the whole of a
/// Takahashi–Alexander NAV, which has no listed part.
pub fn fund_nav_marked(fund: &Fund, firms: &Firms, model: &Model, y: usize) -> Fen {
    nav_kept(fund, firms, model, y, 1.0 - model.program.holdings_haircut)
}

/// A fund's NAV with its private marks times `keep`.
fn nav_kept(fund: &Fund, firms: &Firms, model: &Model, y: usize, keep: f64) -> Fen {
    match &fund.state {
        FundState::BottomUp(b) => holdings_nav(&b.holdings, firms, model, y, keep) + b.cash,
        FundState::TakahashiAlexander(ta) => fen_from_yuan_f64(ta.nav() * keep),
    }
}

/// Private holdings at their stale marks times `keep`, listed ones still to be sold at the
/// listed price.
fn holdings_nav(holdings: &[Holding], firms: &Firms, model: &Model, y: usize, keep: f64) -> Fen {
    holdings
        .iter()
        .map(|h| {
            let f = h.firm as usize;
            let stake = h.stake * firms.retention[f] / h.retention_entry * (1.0 - h.sold);
            let kept = if firms.status[f] == Status::Listed {
                1.0
            } else {
                keep
            };
            fen_from_yuan_f64(stake * firms.mark(model, f, y) * kept)
        })
        .sum()
}

/// Mean factor of the industries a programme reaches (all if none are named).
fn mean_factor(inst: &InstrumentModel, x: &[f64]) -> f64 {
    if inst.industries.is_empty() {
        x.iter().sum::<f64>() / x.len().max(1) as f64
    } else {
        inst.industries.iter().map(|&i| x[i]).sum::<f64>() / inst.industries.len() as f64
    }
}

/// A bottom-up fund's year at age `age`: `(called, distributable, NAV, ended)`.
fn bottom_up_year(
    k: usize,
    deals: &mut Deals,
    fm: &SubFundModel,
    m: &BottomUpModel,
    b: &mut BottomUpFund,
    age: usize,
    year: &mut Year,
) -> (Fen, Fen, Fen, bool) {
    if m.relocation_rate > 0.0 && age < m.term as usize {
        relocations(k, m, b, year);
    }
    let firms = &*year.firms;
    let model = year.model;
    let y = year.y;
    let stake_now = |h: &Holding| h.stake * firms.retention[h.firm as usize] / h.retention_entry;
    let ended = age >= m.term as usize;
    let keep = 1.0 - model.program.holdings_haircut;
    let rules = model.valuation;

    // 1. Exits (listed stakes in tranches after the lock-up), failures, and the final sale.
    let mut proceeds: Fen = 0;
    let tally = &mut b.tally;
    b.holdings.retain_mut(|h| {
        let f = h.firm as usize;
        // What the holding pays this year, and whether it is closed.
        let (paid, closed) = match firms.status[f] {
            Status::Failed => (0, true),
            Status::Listed if rules.cash_at_ipo() || ended => (
                fen_from_yuan_f64((1.0 - h.sold) * stake_now(h) * firms.value[f]),
                true,
            ),
            Status::Listed => {
                let listed = *h.listed_year.get_or_insert(y);
                let share = rules.tranche((y - listed) as u32).min(1.0 - h.sold);
                h.sold += share;
                let paid = fen_from_yuan_f64(share * stake_now(h) * firms.value[f]);
                (paid, h.sold >= 1.0 - 1e-9)
            }
            Status::Acquired => {
                let (stake, value) = (stake_now(h), firms.value[f]);
                let paid = if rules.preference {
                    let cost = yuan(h.cost);
                    crate::valuation::preferred_payout(stake, cost, value, firms.raised[f])
                } else {
                    stake * value
                };
                (fen_from_yuan_f64(paid), true)
            }
            Status::Active | Status::Established if ended => {
                let mark = firms.mark(model, f, y);
                (fen_from_yuan_f64(stake_now(h) * mark * keep), true)
            }
            Status::Active | Status::Established => (0, false),
        };
        proceeds += paid;
        h.back += paid;
        if closed {
            tally.add(h.cost, h.back);
        }
        !closed
    });

    // 2. Reinvestment during the investment period.
    let investing = age < m.investment_years as usize && !ended;
    let mut distributable = proceeds;
    if investing {
        let kept = proceeds.min((m.recycling_limit - b.recycled).max(0));
        b.cash += kept;
        b.recycled += kept;
        distributable -= kept;
    } else {
        distributable += b.cash;
        b.cash = 0;
    }

    // 3. The fee due: on commitments while investing, then on the cost of the holdings; fees left
    //    unpaid earlier come first.
    let fee_due = b.fee_owed
        + if ended {
            0
        } else if investing {
            m.fee.apply(fm.fund_size)
        } else {
            m.fee.apply(b.holdings.iter().map(|h| h.cost).sum())
        };

    // 4. Investments.
    let mut invested: Fen = 0;
    if investing {
        let investable = fm.fund_size - m.fee.apply(fm.fund_size) * m.investment_years as i64;
        let uncalled = fm.fund_size - b.called;
        let budget = (investable / m.investment_years as i64 + b.cash)
            .min(uncalled + b.cash - fee_due)
            .max(0);
        // Local deals: the fund's own preference, or more if the 返投 requirement needs it to stay
        // on track (what is still required, spread over the investment years left).
        let still_required = (m.local_required - b.recognised).max(0);
        let years_left = (m.investment_years as usize - age).max(1) as i64;
        let wanted =
            (m.local_preference.apply(budget)).max((still_required + years_left - 1) / years_left);
        // Deals come in whole tickets: round the local target up to one.
        let local_target = (wanted.div_euclid(m.ticket.max(1))
            + (wanted.rem_euclid(m.ticket.max(1)) > 0) as i64)
            .saturating_mul(m.ticket)
            .min(budget);
        invested += invest_local(k, deals, m, b, local_target, year);
        // Outside deals leave room for what the requirement still needs locally.
        let still_required = (m.local_required - b.recognised).max(0);
        let outside_room =
            (investable - b.outside_invested - b.local_invested - still_required).max(0);
        let room = (budget - invested).min(outside_room);
        invested += invest_outside(k, deals.pairs, m, b, room, year);
    }

    // 5. Paying for investments and the fee: reinvested cash first, then a call on the uncalled
    //    commitment; a fee the fund can no longer call comes out of this year's proceeds before
    //    they are distributed, and what is still unpaid is owed.
    let from_cash = (invested + fee_due).min(b.cash);
    b.cash -= from_cash;
    let mut rest = invested + fee_due - from_cash;
    let called = rest.min(fm.fund_size - b.called).max(0);
    b.called += called;
    rest -= called;
    if ended {
        distributable += b.cash;
        b.cash = 0;
    }
    let from_proceeds = rest.min(distributable);
    distributable -= from_proceeds;
    rest -= from_proceeds;
    debug_assert!(rest <= fee_due, "investments are always paid for");
    b.fee_owed = rest;
    b.fees_paid += fee_due - rest;
    b.proceeds += proceeds;
    b.invested += invested;
    b.distributed += distributable;

    // The fund is worth its holdings and the cash it keeps for reinvestment.
    let nav = if ended {
        0
    } else {
        holdings_nav(&b.holdings, year.firms, year.model, year.y, 1.0) + b.cash
    };
    (called, distributable, nav, ended)
}

/// 返投 relocation: each outside firm the fund holds moves to the city this year with probability
/// `relocation_rate` (drawn from the firm's own counter), a share `branch_share` of the moves only
/// opening a branch. Both count toward 返投 (the fund's cost, or the firm's valuation under
/// `valuation` recognition); only a true move makes the firm local.
fn relocations(k: usize, m: &BottomUpModel, b: &mut BottomUpFund, year: &mut Year) {
    let salt = rng::year_salt(year.y);
    for h in b.holdings.iter_mut() {
        let f = h.firm as usize;
        if year.firms.local[f] || year.firms.status[f] != Status::Active || h.branch {
            continue;
        }
        let u = uniform(&mut counter(year.firms.key[f], salt, purpose::RELOCATE));
        if u >= m.relocation_rate {
            continue;
        }
        let recognised = match m.recognition {
            Recognition::Valuation => fen_from_yuan_f64(year.firms.value[f]),
            Recognition::Ticket | Recognition::Round => h.cost,
        };
        b.recognised += recognised;
        year.ledger.funds_recognised[year.y] += recognised;
        if u < m.relocation_rate * m.branch_share {
            h.branch = true;
        } else {
            year.firms
                .relocate(year.model, h.firm, k, year.y, year.events);
        }
    }
}

/// What a programme's funds may invest in this year, found once for all of them: this year's
/// local rounds in the programme's (industry, stage) cells, and those cells for outside deals.
struct Deals<'m> {
    inst: &'m InstrumentModel,
    /// Indices into the year's rounds of the eligible ones, in order, for the first `scanned`.
    rounds: Vec<u32>,
    scanned: usize,
    /// Eligible (industry, stage) cells, in order.
    pairs: &'m [(usize, usize)],
}

impl<'m> Deals<'m> {
    fn new(inst: &'m InstrumentModel) -> Self {
        Deals {
            inst,
            rounds: Vec::new(),
            scanned: 0,
            pairs: &inst.cells,
        }
    }

    /// The eligible rounds among `rounds` (the year's, which only grow), in order.
    fn rounds(&mut self, rounds: &[RoundEvent]) -> &[u32] {
        let eligible = &self.inst.eligible;
        self.rounds.extend(
            (rounds.iter().enumerate().skip(self.scanned))
                .filter(|(_, r)| eligible[r.industry as usize][r.stage as usize])
                .map(|(n, _)| n as u32),
        );
        self.scanned = rounds.len();
        &self.rounds
    }
}

/// Tickets in this year's local rounds, up to `budget`; returns the amount invested.
fn invest_local(
    k: usize,
    deals: &mut Deals,
    m: &BottomUpModel,
    b: &mut BottomUpFund,
    budget: Fen,
    year: &mut Year,
) -> Fen {
    let mut candidates = std::mem::take(year.candidates);
    candidates.clear();
    candidates.extend_from_slice(deals.rounds(&year.events.rounds));
    let mut invested = 0;
    for j in 0..candidates.len() {
        // Tickets are cut to a round's room or share, but once it has invested the fund stops
        // looking when less than a full ticket is left.
        if budget - invested <= 0 || (invested > 0 && budget - invested < m.ticket) {
            break;
        }
        let n = draw_next(&mut candidates, j, &mut year.rngs[k]) as usize;
        let round = year.events.rounds[n];
        let room = (fen_from_yuan_f64(round.size) - year.round_city[n]).max(0);
        let ticket = m
            .ticket
            .min(fen_from_yuan_f64(m.max_round_share * round.size))
            .min(room);
        if ticket <= 0 || ticket > budget - invested {
            continue;
        }
        year.round_city[n] += ticket;
        year.tickets.push((k, n as u32, ticket));
        year.support(k, round.firm);
        year.firms.flags[round.firm as usize] |= CITY_INVESTED;
        b.holdings.push(Holding {
            firm: round.firm,
            cost: ticket,
            stake: yuan(ticket) / round.post_money,
            retention_entry: year.firms.retention[round.firm as usize],
            branch: false,
            listed_year: None,
            sold: 0.0,
            back: 0,
        });
        b.local_invested += ticket;
        year.ledger.invest_in(k, round.stage as usize, ticket);
        let recognised = match m.recognition {
            Recognition::Round => fen_from_yuan_f64(round.size).max(ticket),
            Recognition::Ticket | Recognition::Valuation => ticket,
        };
        b.recognised += recognised;
        year.ledger.funds_recognised[year.y] += recognised;
        year.ledger.funds_local[year.y] += ticket;
        invested += ticket;
    }
    *year.candidates = candidates;
    invested
}

/// Whole tickets in new outside firms, up to `amount`; returns the amount invested.
fn invest_outside(
    k: usize,
    pairs: &[(usize, usize)],
    m: &BottomUpModel,
    b: &mut BottomUpFund,
    amount: Fen,
    year: &mut Year,
) -> Fen {
    if m.ticket <= 0 || amount < m.ticket {
        return 0;
    }
    if pairs.is_empty() {
        return 0;
    }
    let n = amount / m.ticket;
    for _ in 0..n {
        let (i, s) = pairs[index_below(&mut year.rngs[k], pairs.len())];
        year.ledger.invest_in(k, s, m.ticket);
        let d = m.outside_value[i][s];
        let value = exp(d.mu + d.sigma * normal(&mut year.rngs[k]))
            .min(crate::firms::MAX_FIRM_AMOUNT)
            .max(yuan(m.ticket));
        let key = year.rngs[k].next_u64();
        let firm = year.firms.add_outside(i, s, value, year.y, key);
        year.firms
            .date_outside(&year.model.industries[i], firm, year.y);
        // What its rounds raised, as if priced today (as for the start year's local base).
        let stages = &year.model.industries[i].stages[..=s];
        let kept: f64 = stages.iter().map(|st| 1.0 - st.dilution).product();
        year.firms.raised[firm as usize] = value * (1.0 - kept);
        year.firms.flags[firm as usize] |= CITY_INVESTED;
        b.holdings.push(Holding {
            firm,
            cost: m.ticket,
            stake: yuan(m.ticket) / value,
            retention_entry: 1.0,
            branch: false,
            listed_year: None,
            sold: 0.0,
            back: 0,
        });
    }
    let invested = n * m.ticket;
    b.outside_invested += invested;
    year.ledger.funds_outside[year.y] += invested;
    invested
}
