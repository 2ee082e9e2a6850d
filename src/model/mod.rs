//! The engine's view of a scenario: validated, with money in fen and parameters ready for the loop.
//!
//! [`compile`] is the one boundary between exact policy numbers (`rust_decimal`) and the hot loop:
//! budgets, tickets and grant amounts become integer fen ([`Fen`]); recycling shares become
//! [`RateFen`] (exact integer splits); distributions become `(mu, sigma)` on the log scale and base
//! probabilities become odds, so the loop multiplies and compares.

use crate::metrics::{TargetRead, Unit, target_read};
use crate::money::{Fen, RateFen, to_fen};
use crate::scenario::{self, Budget, Direction, Measure, ScenarioFile};
use rust_decimal::prelude::ToPrimitive;

/// A log-normal draw `exp(mu + sigma·z)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    pub mu: f64,
    pub sigma: f64,
}

impl LogNormal {
    fn from_median(median: f64, sigma: f64) -> Self {
        LogNormal {
            mu: libm::log(median),
            sigma,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub title: String,
    pub start_year: i32,
    pub n_years: usize,
    pub market: MarketModel,
    pub thresholds: ThresholdModel,
    pub program: ProgramModel,
    pub industries: Vec<IndustryModel>,
    pub instruments: Vec<InstrumentModel>,
    pub targets: Vec<TargetModel>,
    pub channels: ChannelsModel,
    pub valuation: crate::valuation::Rules,
    /// Share of a local operating firm's revenue that reaches the city as tax.
    pub city_tax_rate: f64,
    /// The `[uncertain]` inputs, drawn per path by the run (`crate::uncertain`): set by the
    /// loader ([`crate::app::load_all_with`]), `None` from [`compile`] and for a path's own model.
    pub uncertain: Option<std::sync::Arc<crate::uncertain::Uncertain>>,
    /// The positions held at the start year (`holdings`); `None` without a book.
    pub book: Option<BookModel>,
}

/// The book at the start year in the engine's units: firms that enter as local firms at their
/// stated state, and the city's positions in them and in partner funds.
#[derive(Debug, Clone, PartialEq)]
pub struct BookModel {
    pub firms: Vec<BookFirmModel>,
    /// Per industry, per stage: how many of the book's firms are there (each takes the place of a
    /// firm of the local base).
    pub in_cell: Vec<Vec<usize>>,
    pub positions: Vec<BookPositionModel>,
    /// Per instrument: what it paid before the start year (sunk, not outlay).
    pub sunk: Vec<Fen>,
}

/// A firm of the book; years are year indices (negative before the start year).
#[derive(Debug, Clone, PartialEq)]
pub struct BookFirmModel {
    pub industry: usize,
    pub stage: usize,
    pub birth: i32,
    pub last_round: i32,
    /// Post-money of its last round, yuan.
    pub value: f64,
    pub revenue: f64,
}

/// A position of the book: `k` the instrument, `firm` an index into [`BookModel::firms`], `entry`
/// the year index it was paid (negative).
#[derive(Debug, Clone, PartialEq)]
pub enum BookPositionModel {
    Equity {
        k: usize,
        firm: usize,
        stake: f64,
        paid: Fen,
        entry: i32,
    },
    Convertible {
        k: usize,
        firm: usize,
        paid: Fen,
        entry: i32,
    },
    Loan {
        k: usize,
        firm: usize,
        principal: Fen,
        entry: i32,
    },
    /// The city's interest in a partner fund, projected at the city's level with
    /// Takahashi–Alexander from its LP statement (net of fees and carry).
    Fund {
        k: usize,
        commitment: Fen,
        called: Fen,
        distributed: Fen,
        /// The city's share of the reported NAV.
        nav: Fen,
        /// Years since its close (the fund's age at the start year).
        age: u32,
        vintage: i32,
    },
}

/// The book of `f` against its compiled instruments.
fn book_model(f: &ScenarioFile, instruments: &[InstrumentModel]) -> Option<BookModel> {
    use crate::holdings::BookPosition as P;
    // A book of zero rows is the plain scenario.
    let book = f.book.as_ref().filter(|b| !b.positions.is_empty())?;
    let start = f.time.start_year;
    let idx = |y: i64| (y - start) as i32;
    let k_of = |id: &str| {
        (instruments.iter())
            .position(|i| i.id == id)
            .expect("validated: the book names the scenario's instruments")
    };
    let f64_of =
        |d: rust_decimal::Decimal| rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(0.0);
    let firms = (book.firms.iter())
        .map(|b| BookFirmModel {
            industry: b.industry,
            stage: b.stage,
            birth: idx(b.founded),
            last_round: idx(b.last_round_year),
            value: f64_of(b.post_money),
            revenue: b.revenue.map_or(0.0, f64_of),
        })
        .collect();
    let mut in_cell: Vec<Vec<usize>> = (f.industries.iter())
        .map(|i| vec![0; i.stages.len()])
        .collect();
    for b in &book.firms {
        in_cell[b.industry][b.stage] += 1;
    }
    let mut sunk = vec![0; instruments.len()];
    let positions = (book.positions.iter())
        .map(|p| {
            let k = k_of(p.instrument());
            sunk[k] += fen_of(p.sunk());
            match p {
                P::Equity {
                    firm,
                    stake,
                    paid,
                    paid_year,
                    ..
                } => BookPositionModel::Equity {
                    k,
                    firm: *firm,
                    stake: f64_of(*stake),
                    paid: fen_of(*paid),
                    entry: idx(*paid_year),
                },
                P::Convertible {
                    firm,
                    paid,
                    paid_year,
                    ..
                } => BookPositionModel::Convertible {
                    k,
                    firm: *firm,
                    paid: fen_of(*paid),
                    entry: idx(*paid_year),
                },
                P::Loan {
                    firm,
                    principal,
                    paid_year,
                    ..
                } => BookPositionModel::Loan {
                    k,
                    firm: *firm,
                    principal: fen_of(*principal),
                    entry: idx(*paid_year),
                },
                P::Fund {
                    commitment,
                    called,
                    distributed,
                    nav,
                    vintage,
                    ..
                } => BookPositionModel::Fund {
                    k,
                    commitment: fen_of(*commitment),
                    called: fen_of(*called),
                    distributed: fen_of(*distributed),
                    nav: fen_of(*nav),
                    age: (start - vintage) as u32,
                    vintage: idx(*vintage),
                },
            }
        })
        .collect();
    Some(BookModel {
        firms,
        in_cell,
        positions,
        sunk,
    })
}

/// How policy reaches outcomes beyond money.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelsModel {
    /// Whether instruments change outcomes at all (false: the money-only reading).
    pub effects: bool,
    /// Probability that an acquired local firm leaves the city.
    pub leakage: f64,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramModel {
    pub discount_rate: f64,
    pub holdings_haircut: f64,
    pub to_pool: RateFen,
    /// Instrument indices that may spend pooled money, in priority order.
    pub recycle_into: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndustryModel {
    pub id: String,
    pub name: String,
    pub arrivals: f64,
    pub talent_per_arrival: f64,
    pub beta_market: f64,
    pub beta_industry: f64,
    pub entry_value: LogNormal,
    /// Present when the industry models revenue.
    pub entry_revenue: Option<LogNormal>,
    pub stages: Vec<StageModel>,
    pub established: Option<EstablishedModel>,
    pub large: Option<LargeModel>,
}

/// Large firms arriving in an industry: `rate` a year without incentives, and per incentive
/// programme `(instrument, extra rate per year)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeModel {
    pub rate: f64,
    pub value: LogNormal,
    pub revenue: LogNormal,
    pub growth: (f64, f64),
    pub incentives: Vec<(usize, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageModel {
    pub name: String,
    /// Share sold in the round into this stage.
    pub dilution: f64,
    /// Step-up of the round into this stage (none for the first stage).
    pub step_up: Option<LogNormal>,
    /// Base yearly probabilities as odds against, `(1 − p)/p = e^{−logit p}` (∞ for 0, 0 for 1),
    /// so that a logit shift `s` is a product: `logistic(logit p + s) = 1 / (1 + odds·e^{−s})`.
    pub odds_round: f64,
    pub odds_exit: f64,
    pub odds_fail: f64,
    pub exit_multiple: LogNormal,
    pub ipo_share: f64,
    /// Yearly log-growth of revenue `(mean, vol)`.
    pub revenue_growth: Option<(f64, f64)>,
    pub existing: Option<ExistingModel>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExistingModel {
    pub count: u32,
    pub value: LogNormal,
    pub age: (u32, u32),
    pub revenue: Option<LogNormal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstablishedModel {
    pub count: u32,
    pub value: LogNormal,
    pub revenue: LogNormal,
    pub growth: (f64, f64),
}

/// One instrument: what all kinds share, and what is particular to its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentModel {
    pub id: String,
    pub label: String,
    /// Fiscal budget per simulated year, in fen.
    pub budget: Vec<Fen>,
    /// Industries it may reach (indices); empty = all.
    pub industries: Vec<usize>,
    /// Per industry, per stage: whether a firm there is eligible.
    pub eligible: Vec<Vec<bool>>,
    pub kind: KindModel,
    /// Hash of its id, keying the draws of its effects.
    pub hash: u64,
    /// Its effect on the firms it supports (none in the money-only reading).
    pub effect: Option<crate::effects::Effect>,
}

/// What an instrument's deals are when made: cash grants (plain or convertible), equity stakes, or
/// guaranteed loans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Grant,
    Equity,
    Loan,
    /// Commitments to sub-funds.
    Fund,
}

#[derive(Debug, Clone, PartialEq)]
pub enum KindModel {
    Grant(GrantModel),
    Convertible(ConvertibleModel),
    Prize(PrizeModel),
    DirectEquity(EquityModel),
    CoInvestment(EquityModel),
    Guarantee(GuaranteeModel),
    Subsidy(SubsidyModel),
    SubFund(Box<SubFundModel>),
    Attraction(AttractionModel),
    Talent(TalentModel),
}

/// An incentive programme for large-firm arrivals: each arrival in its industries receives at most
/// `max_per_firm` from the year's budget.
#[derive(Debug, Clone, PartialEq)]
pub struct AttractionModel {
    pub max_per_firm: Fen,
}

/// A talent subsidy: `amount` per new talent; talent inflow of its industries rises by `uplift[y]`
/// (`ε·s·phase`, 0 in the money-only reading).
#[derive(Debug, Clone, PartialEq)]
pub struct TalentModel {
    pub amount: Fen,
    pub uplift: Vec<f64>,
}

impl KindModel {
    pub fn code(&self) -> &'static str {
        match self {
            KindModel::Grant(_) => "grant",
            KindModel::Convertible(_) => "convertible_grant",
            KindModel::Prize(_) => "prize_equity",
            KindModel::DirectEquity(_) => "direct_equity",
            KindModel::CoInvestment(_) => "co_investment",
            KindModel::Guarantee(_) => "guarantee",
            KindModel::Subsidy(_) => "subsidy",
            KindModel::SubFund(_) => "sub_fund",
            KindModel::Attraction(_) => "attraction",
            KindModel::Talent(_) => "talent_subsidy",
        }
    }

    /// What its deals are when made.
    pub fn family(&self) -> Family {
        match self {
            KindModel::Grant(_)
            | KindModel::Convertible(_)
            | KindModel::Subsidy(_)
            | KindModel::Attraction(_)
            | KindModel::Talent(_) => Family::Grant,
            KindModel::Prize(_) | KindModel::DirectEquity(_) | KindModel::CoInvestment(_) => {
                Family::Equity
            }
            KindModel::Guarantee(_) => Family::Loan,
            KindModel::SubFund(_) => Family::Fund,
        }
    }

    /// Whether its budget is money to spend in the year (not a loan volume or new commitments).
    pub fn spends_budget(&self) -> bool {
        !matches!(self, KindModel::Guarantee(_) | KindModel::SubFund(_))
    }

    /// The rule that sells an open equity stake before the firm exits, if any:
    /// `(years after entry, discount on the last post-money)`.
    pub fn sell_after(&self) -> Option<(u32, f64)> {
        match self {
            KindModel::Prize(p) => p.sell_after,
            KindModel::DirectEquity(e) | KindModel::CoInvestment(e) => e.sell_after,
            KindModel::Grant(_)
            | KindModel::Convertible(_)
            | KindModel::Guarantee(_)
            | KindModel::Subsidy(_)
            | KindModel::SubFund(_)
            | KindModel::Attraction(_)
            | KindModel::Talent(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GrantModel {
    pub amount: Fen,
    pub once_per_firm: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConvertibleModel {
    pub grant: GrantModel,
    /// Years after the grant within which a round converts it.
    pub window: Option<u32>,
    /// Discount on the round's price at conversion.
    pub discount: f64,
    pub buyback: Option<BuybackModel>,
}

/// Founders buy the stake `after` years after conversion, with probability `take_up`, for the grant
/// compounded yearly at `rate` from the year it was paid (to the fen each year).
#[derive(Debug, Clone, PartialEq)]
pub struct BuybackModel {
    pub after: u32,
    pub rate: RateFen,
    pub take_up: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrizeModel {
    pub grant: GrantModel,
    pub sell_after: Option<(u32, f64)>,
}

/// A guarantee programme: loans of `loan_size` for `term` years; on default the city pays
/// `lgd · cover · principal`; each year a loan is outstanding it pays `fee · principal`.
#[derive(Debug, Clone, PartialEq)]
pub struct GuaranteeModel {
    pub loan_size: Fen,
    pub term: u32,
    pub cover: RateFen,
    pub fee: RateFen,
    pub base_default: f64,
    pub lgd: RateFen,
    pub supported_only: bool,
    /// Whether the fee is the city's income (else the guarantor's).
    pub fee_to_city: bool,
    pub fee_subsidy: RateFen,
    pub bank_share: RateFen,
    /// Risk-compensation pool: `(size, yearly cap)`.
    pub pool: Option<(Fen, Option<Fen>)>,
}

/// A subsidy programme: the exact rules (caps, rates) and how the engine draws events.
#[derive(Debug, Clone)]
pub struct SubsidyModel {
    pub program: crate::subsidy::Program,
    /// Parallel to the program's rules.
    pub draws: Vec<EventDraw>,
}

impl PartialEq for SubsidyModel {
    fn eq(&self, other: &Self) -> bool {
        self.program.rules() == other.program.rules() && self.draws == other.draws
    }
}

/// How often a rule's event happens, who has it and what its base is.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraw {
    /// Per industry: mean events per eligible firm-year (for large arrivals: the probability that
    /// an arrival claims).
    pub rates: Vec<f64>,
    /// `Some(rate)` when every eligible industry has the same rate (one draw over all of them).
    pub uniform: Option<f64>,
    pub base: BaseDraw,
    /// Per industry, per stage: whether a firm there has these events.
    pub eligible: Vec<Vec<bool>>,
    /// Institutions events are spread over (0: none named).
    pub institutions: u32,
    /// Events of this year's large arrivals rather than of the venture firms.
    pub large_arrivals: bool,
    /// Only firms the city has invested in (获得政府引导基金投资).
    pub requires_city_investment: bool,
    /// Whether claims name an item (rules with an item total or follow-ups).
    pub items: bool,
    /// Later claims of the same item, in order.
    pub follow_ups: Vec<FollowUpDraw>,
}

/// A later claim of an item: `after` years after the previous one, with `probability`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowUpDraw {
    pub after: usize,
    pub probability: f64,
    pub base: BaseDraw,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BaseDraw {
    /// A log-normal amount in yuan, booked in fen.
    Money(LogNormal),
    /// A Poisson count of units.
    Units(f64),
    /// No base (a fixed amount without a floor).
    None,
}

/// A sub-fund programme (参股基金): every fund it sets up has these terms.
#[derive(Debug, Clone, PartialEq)]
pub struct SubFundModel {
    pub fund_size: Fen,
    /// The city's commitment per fund: `city_share × fund_size`.
    pub city_commitment: Fen,
    /// Waterfall terms (city share, hurdle, carry, catch-up, concession).
    pub terms: crate::waterfall::Terms,
    pub close_probability: f64,
    pub late_close_probability: f64,
    pub pacing: Pacing,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pacing {
    /// The fund invests in simulated firms: local rounds first, outside firms for the rest.
    BottomUp(BottomUpModel),
    /// Takahashi–Alexander calls, distributions and NAV; growth `G + beta · x` with `x` the mean
    /// factor of the fund's industries.
    TakahashiAlexander {
        params: crate::pacing::TaParams,
        growth_beta: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct BottomUpModel {
    pub term: u32,
    pub investment_years: u32,
    pub fee: RateFen,
    pub ticket: Fen,
    pub max_round_share: f64,
    /// Proceeds reinvestable during the investment period, in fen.
    pub recycling_limit: Fen,
    /// 返投: local investment the fund must make, in fen.
    pub local_required: Fen,
    /// Share of a year's investment the fund would make locally without a 返投 rule.
    pub local_preference: RateFen,
    /// Per industry, per stage: the post-money of an outside firm entering at that stage (median
    /// of the entry value times the median step-ups), with the entry value's log-volatility.
    pub outside_value: Vec<Vec<LogNormal>>,
    /// Yearly probability that an outside portfolio firm moves to the city (0 in the money-only
    /// reading), and the share of moves that bring only a branch.
    pub relocation_rate: f64,
    pub branch_share: f64,
    pub recognition: scenario::Recognition,
    pub on_shortfall: scenario::OnShortfall,
}

/// How big a ticket an equity instrument writes into a round of size `S`.
#[derive(Debug, Clone, PartialEq)]
pub enum TicketRule {
    /// `min(ticket, max_round_share · S)`.
    Fixed { ticket: Fen, max_round_share: f64 },
    /// Beside a lead investor holding `lead_share` of the round: `min(max_ticket, ratio · lead_share · S)`.
    BesideLead {
        ratio: f64,
        lead_share: f64,
        max_ticket: Fen,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct EquityModel {
    pub ticket: TicketRule,
    pub take_up: f64,
    /// `(years, discount)`: sell that many years after entry at the last post-money less the discount.
    pub sell_after: Option<(u32, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetModel {
    pub id: String,
    pub label: String,
    /// English label (`--lang en`), if the scenario gives one.
    pub label_en: Option<String>,
    pub metric: String,
    pub read: TargetRead,
    /// In the metric's booking unit: fen for money, a count otherwise.
    pub threshold: f64,
    /// Threshold in reporting units (yuan for money), for `targets.csv`.
    pub threshold_reported: f64,
    /// Index of the deadline year in the simulated years.
    pub deadline: usize,
    pub direction: Direction,
}

fn f64_of(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().expect("validated decimal fits f64")
}

fn fen_of(d: rust_decimal::Decimal) -> Fen {
    to_fen(d).expect("validated amount fits in fen")
}

/// Odds against: `(1 − p)/p`, ∞ for `p = 0`, 0 for `p = 1`.
pub fn odds_against(p: f64) -> f64 {
    if p <= 0.0 {
        f64::INFINITY
    } else {
        (1.0 - p) / p
    }
}

/// Turns a validated scenario into the engine's model. Call only on a file that passed
/// [`crate::scenario::validate::validate`] (as [`crate::scenario::load_str`] does).
pub fn compile(f: &ScenarioFile) -> Model {
    let start = f.time.start_year as i32;
    let n_years = f.time.horizon_years as usize;
    let year_index = |y: i64| (y - f.time.start_year) as usize;

    let mut shift = vec![0.0; n_years];
    for r in &f.market.regimes {
        for s in &mut shift[year_index(r.from)..=year_index(r.to)] {
            *s += r.shift;
        }
    }
    let sens = &f.market.sensitivity;
    let market = MarketModel {
        rho: f.market.rho,
        industry_rho: f.market.industry_rho,
        a_round: sens.round,
        a_exit: sens.exit,
        a_fail: sens.fail,
        b_value: sens.value,
        b_exit_value: sens.exit_value,
        shift,
    };

    let t = &f.thresholds;
    let thresholds = ThresholdModel {
        unicorn_value: t.unicorn.value.yuan(),
        unicorn_max_age: t.unicorn.max_age as u32,
        potential_value: t.potential_unicorn.value.yuan(),
        potential_max_age: t.potential_unicorn.max_age as u32,
        chain_leader: (t.chain_leader.measure, t.chain_leader.value.yuan()),
        cluster: (t.cluster.measure, t.cluster.value.yuan()),
        financing: FinancingModel {
            rounds: t.financing.rounds,
            guaranteed_loans: t.financing.guaranteed_loans,
            fund_investments: t.financing.fund_investments,
            ipo_float: t
                .financing
                .ipo_raises
                .then(|| t.financing.ipo_float.value()),
        },
    };
    let effects_on = f.channels.effects;

    let dist = |d: &scenario::MoneyDist| LogNormal::from_median(d.median.yuan(), d.sigma);
    let industries: Vec<IndustryModel> = f
        .industries
        .iter()
        .map(|ind| IndustryModel {
            id: ind.id.clone(),
            name: ind.name.clone(),
            arrivals: ind.arrivals_per_year,
            talent_per_arrival: ind.talent_per_arrival,
            beta_market: ind.beta_market,
            beta_industry: ind.beta_industry,
            entry_value: dist(&ind.entry.value),
            entry_revenue: ind.entry.revenue.as_ref().map(dist),
            stages: ind
                .stages
                .iter()
                .map(|s| StageModel {
                    name: s.name.clone(),
                    dilution: s.dilution.value(),
                    step_up: s
                        .step_up
                        .as_ref()
                        .map(|m| LogNormal::from_median(m.median, m.sigma)),
                    odds_round: odds_against(s.p_round.value()),
                    odds_exit: odds_against(s.p_exit.value()),
                    odds_fail: odds_against(s.p_fail.value()),
                    exit_multiple: LogNormal::from_median(
                        s.exit_multiple.median,
                        s.exit_multiple.sigma,
                    ),
                    ipo_share: s.ipo_share.value(),
                    revenue_growth: s.revenue_growth.as_ref().map(|g| (g.mean, g.vol)),
                    existing: s.existing.as_ref().map(|e| ExistingModel {
                        count: e.count as u32,
                        value: dist(&e.value),
                        age: (e.age[0] as u32, e.age[1] as u32),
                        revenue: e.revenue.as_ref().map(dist),
                    }),
                })
                .collect(),
            established: ind.established.as_ref().map(|e| EstablishedModel {
                count: e.count as u32,
                value: dist(&e.value),
                revenue: dist(&e.revenue),
                growth: (e.revenue_growth.mean, e.revenue_growth.vol),
            }),
            large: ind.large_arrivals.as_ref().map(|l| LargeModel {
                rate: l.per_year,
                value: dist(&l.value),
                revenue: dist(&l.revenue),
                growth: (l.revenue_growth.mean, l.revenue_growth.vol),
                incentives: Vec::new(),
            }),
        })
        .collect();

    let budget = |b: &Budget| -> Vec<Fen> {
        let mut yearly = vec![0; n_years];
        // Validated: the spans do not overlap.
        for (amount, from, to) in b.spans() {
            let (from, to) = (
                from.map_or(0, year_index),
                to.map_or(n_years - 1, year_index),
            );
            for (y, v) in yearly.iter_mut().enumerate() {
                if (from..=to).contains(&y) {
                    *v = fen_of(amount.0);
                }
            }
        }
        yearly
    };
    let focus = |ids: &[String], stages: &[String]| -> (Vec<usize>, Vec<Vec<bool>>) {
        let chosen: Vec<usize> = ids
            .iter()
            .map(|id| {
                f.industries
                    .iter()
                    .position(|i| &i.id == id)
                    .expect("validated")
            })
            .collect();
        let eligible = f
            .industries
            .iter()
            .enumerate()
            .map(|(k, ind)| {
                let industry_ok = chosen.is_empty() || chosen.contains(&k);
                ind.stages
                    .iter()
                    .map(|s| industry_ok && (stages.is_empty() || stages.contains(&s.name)))
                    .collect()
            })
            .collect();
        (chosen, eligible)
    };
    let label = |label: &str, id: &str| {
        if label.trim().is_empty() {
            id.to_string()
        } else {
            label.to_string()
        }
    };

    let sell_after = |years: Option<i64>, discount: &Option<crate::money::Rate>| {
        years.map(|y| (y as u32, discount.map_or(0.0, |d| d.value())))
    };
    let grant_model = |amount: &crate::money::Money, once_per_firm: bool| GrantModel {
        amount: fen_of(amount.0),
        once_per_firm,
    };
    let ins = &f.instruments;
    let kinds = ins
        .grant
        .iter()
        .map(|g| KindModel::Grant(grant_model(&g.amount, g.once_per_firm)))
        .chain(ins.convertible_grant.iter().map(|g| {
            KindModel::Convertible(ConvertibleModel {
                grant: grant_model(&g.amount, g.once_per_firm),
                window: g.conversion_window_years.map(|y| y as u32),
                discount: g.conversion_discount.map_or(0.0, |d| d.value()),
                buyback: g.founder_buyback.as_ref().map(|b| BuybackModel {
                    after: b.after_years as u32,
                    rate: RateFen::new(b.rate.0),
                    take_up: b.take_up.value(),
                }),
            })
        }))
        .chain(ins.prize_equity.iter().map(|p| {
            KindModel::Prize(PrizeModel {
                grant: grant_model(&p.amount, p.once_per_firm),
                sell_after: sell_after(p.sell_after_years, &p.sale_discount),
            })
        }))
        .chain(ins.direct_equity.iter().map(|e| {
            KindModel::DirectEquity(EquityModel {
                ticket: TicketRule::Fixed {
                    ticket: fen_of(e.ticket.0),
                    max_round_share: e.max_round_share.value(),
                },
                take_up: e.take_up.value(),
                sell_after: sell_after(e.sell_after_years, &e.sale_discount),
            })
        }))
        .chain(ins.co_investment.iter().map(|e| {
            KindModel::CoInvestment(EquityModel {
                ticket: TicketRule::BesideLead {
                    ratio: e.ratio,
                    lead_share: e.lead_share.value(),
                    max_ticket: fen_of(e.max_ticket.0),
                },
                take_up: e.take_up.value(),
                sell_after: sell_after(e.sell_after_years, &e.sale_discount),
            })
        }));
    let kinds = kinds.chain(ins.guarantee.iter().map(|g| {
        KindModel::Guarantee(GuaranteeModel {
            loan_size: fen_of(g.loan_size.0),
            term: g.term_years as u32,
            cover: RateFen::new(g.cover_share.0),
            fee: RateFen::new(g.fee_rate.0),
            base_default: g.base_default_rate.value(),
            lgd: RateFen::new(g.loss_given_default.0),
            supported_only: g.supported_only,
            fee_to_city: g.fee_to == scenario::FeeTo::City,
            fee_subsidy: RateFen::new(g.fee_subsidy.0),
            bank_share: RateFen::new(g.bank_share.0),
            pool: g
                .risk_pool
                .as_ref()
                .map(|p| (fen_of(p.size.0), p.year_cap.map(|c| fen_of(c.0)))),
        })
    }));
    let kinds = kinds.chain(ins.subsidy.iter().map(|sub| {
        use crate::subsidy::{Amount, Caps, Exclusive, Program, Rationing, Rule};
        let money = |m: &Option<crate::money::Money>| m.map(|m| fen_of(m.0));
        let group_names: Vec<&String> = sub.exclusive.keys().collect();
        let groups: Vec<Exclusive> = (sub.exclusive.values())
            .map(|w| match w {
                scenario::ExclusiveRule::Larger => Exclusive::Larger,
                scenario::ExclusiveRule::First => Exclusive::First,
            })
            .collect();
        let rules = sub
            .rules
            .iter()
            .map(|r| Rule {
                label: r.label.clone(),
                amount: match (r.share, r.per_unit, r.fixed) {
                    (Some(rate), _, _) => Amount::Share(rate.0),
                    (_, Some(per), _) => Amount::PerUnit(fen_of(per.0)),
                    (_, _, Some(fixed)) => Amount::Fixed(fen_of(fixed.0)),
                    _ => unreachable!("validated: exactly one amount"),
                },
                min_base: money(&r.min_base),
                caps: Caps {
                    item: money(&r.item_cap),
                    firm_year: money(&r.firm_year_cap),
                    institution_year: money(&r.institution_year_cap),
                    firm_total: money(&r.firm_total_cap),
                    item_total: money(&r.item_total_cap),
                },
                exclusive: (r.exclusive_group.as_ref())
                    .map(|g| group_names.iter().position(|n| *n == g).expect("validated")),
            })
            .collect();
        let rationing = match sub.rationing {
            scenario::RationingRule::ProRata => Rationing::ProRata,
            scenario::RationingRule::FirstCome => Rationing::FirstCome,
        };
        let draws = sub
            .rules
            .iter()
            .map(|r| {
                let stages = if r.stages.is_empty() {
                    &sub.stages
                } else {
                    &r.stages
                };
                let industries = if r.industries.is_empty() {
                    &sub.industries
                } else {
                    &r.industries
                };
                let eligible = focus(industries, stages).1;
                let rates: Vec<f64> = (f.industries.iter().zip(&eligible))
                    .map(|(ind, cells)| {
                        if cells.iter().any(|&e| e) {
                            r.events_per_firm_year.of(&ind.id)
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let mut used = (rates.iter().zip(&eligible))
                    .filter(|(_, cells)| cells.iter().any(|&e| e))
                    .map(|(r, _)| *r);
                let first = used.next();
                let uniform = first.filter(|&a| used.all(|b| b == a));
                let base = match (&r.base, r.units) {
                    (Some(b), _) => BaseDraw::Money(dist(b)),
                    (None, Some(u)) => BaseDraw::Units(u),
                    (None, None) => BaseDraw::None,
                };
                EventDraw {
                    rates,
                    uniform,
                    base,
                    eligible,
                    institutions: r.institutions.unwrap_or(0) as u32,
                    large_arrivals: r.claimants == scenario::Claimants::LargeArrivals,
                    requires_city_investment: (r.requires)
                        .contains(&scenario::Requirement::CityInvestment),
                    items: r.item_total_cap.is_some() || !r.follow_ups.is_empty(),
                    follow_ups: (r.follow_ups.iter())
                        .map(|u| FollowUpDraw {
                            after: u.after as usize,
                            probability: u.probability,
                            base: u.base.as_ref().map_or(base, |b| BaseDraw::Money(dist(b))),
                        })
                        .collect(),
                }
            })
            .collect();
        KindModel::Subsidy(SubsidyModel {
            // The budget is given year by year (`InstrumentModel::budget`).
            program: Program::with_groups(rules, None, rationing, groups)
                .expect("validated subsidy rules"),
            draws,
        })
    }));
    let kinds = kinds.chain(ins.sub_fund.iter().map(|fund| {
        use crate::waterfall::{Concession, Terms};
        let rate = |r: Option<crate::money::Rate>| {
            RateFen::new(r.map_or(rust_decimal::Decimal::ZERO, |r| r.0))
        };
        let con = &fund.concession;
        let concession = match con.kind {
            scenario::ConcessionKind::None => Concession::None,
            scenario::ConcessionKind::CappedReturn => Concession::CappedReturn {
                rate: rate(con.rate),
            },
            scenario::ConcessionKind::ExcessShare => Concession::ExcessShare {
                share: rate(con.share),
                above: rate(con.above),
            },
            scenario::ConcessionKind::Junior => Concession::Junior,
            scenario::ConcessionKind::Buyout => Concession::Buyout {
                rate: rate(con.rate),
                within_years: con.within_years.unwrap_or(0) as u32,
            },
        };
        let terms = Terms {
            city_share: RateFen::new(fund.city_share.0),
            hurdle: RateFen::new(fund.hurdle.0),
            carry: RateFen::new(fund.carry.0),
            catch_up: (!fund.catch_up.0.is_zero()).then(|| RateFen::new(fund.catch_up.0)),
            concession,
        };
        let fund_size = fen_of(fund.fund_size.0);
        let city_commitment = RateFen::new(fund.city_share.0).apply(fund_size);
        let pacing = match &fund.takahashi_alexander {
            Some(ta) => Pacing::TakahashiAlexander {
                params: crate::pacing::TaParams {
                    contribution_rates: ta.contribution_rates.clone(),
                    life: ta.life as u32,
                    bow: ta.bow,
                    yield_: ta.yield_floor,
                    growth: ta.growth,
                },
                growth_beta: ta.growth_beta,
            },
            None => Pacing::BottomUp(BottomUpModel {
                term: fund.term() as u32,
                investment_years: fund.investing() as u32,
                fee: RateFen::new(fund.management_fee.0),
                ticket: fen_of(
                    fund.ticket
                        .expect("validated: bottom-up funds have a ticket")
                        .0,
                ),
                max_round_share: fund.max_round_share.map_or(1.0, |r| r.value()),
                recycling_limit: RateFen::new(fund.recycling_limit.0).apply(fund_size),
                local_preference: RateFen::new(
                    fund.local_preference
                        .map_or(rust_decimal::Decimal::ONE, |r| r.0),
                ),
                local_required: crate::money::fen_from_yuan_f64(
                    fund.local_multiple * crate::money::yuan(city_commitment),
                ),
                relocation_rate: if effects_on {
                    fund.relocation_rate
                        .map_or(crate::effects::RELOCATION_RATE, |r| r.value())
                } else {
                    0.0
                },
                branch_share: fund
                    .branch_share
                    .map_or(crate::effects::BRANCH_SHARE, |r| r.value()),
                recognition: fund.local_recognition,
                on_shortfall: fund.on_shortfall,
                outside_value: industries
                    .iter()
                    .map(|ind| {
                        let mut mu = ind.entry_value.mu;
                        ind.stages
                            .iter()
                            .map(|st| {
                                if let Some(step) = st.step_up {
                                    mu += step.mu;
                                }
                                LogNormal {
                                    mu,
                                    sigma: ind.entry_value.sigma,
                                }
                            })
                            .collect()
                    })
                    .collect(),
            }),
        };
        KindModel::SubFund(Box::new(SubFundModel {
            fund_size,
            city_commitment,
            terms,
            close_probability: fund.close_probability.value(),
            late_close_probability: fund.late_close_probability.value(),
            pacing,
        }))
    }));
    let kinds = kinds.chain(ins.attraction.iter().map(|a| {
        KindModel::Attraction(AttractionModel {
            max_per_firm: fen_of(a.max_per_firm.0),
        })
    }));
    let kinds = kinds.chain(ins.talent_subsidy.iter().map(|t| {
        let amount = fen_of(t.amount.0);
        let share = t.amount.yuan() / t.reference_pay.yuan();
        let elasticity = t.elasticity.unwrap_or(crate::effects::TALENT_ELASTICITY);
        let phase_in = t
            .phase_in_years
            .map_or(crate::effects::TALENT_PHASE_IN_YEARS, |y| y as u32)
            .max(1);
        let funded = budget(&t.budget);
        let first = funded.iter().position(|&b| b > 0);
        let uplift = (0..n_years)
            .map(|y| match first {
                Some(y0) if effects_on && y >= y0 => {
                    let phase = ((y - y0 + 1) as f64 / phase_in as f64).min(1.0);
                    elasticity * share * phase
                }
                _ => 0.0,
            })
            .collect();
        KindModel::Talent(TalentModel { amount, uplift })
    }));
    // `common()` lists the instruments in the same order as `kinds`.
    let instruments: Vec<InstrumentModel> = ins
        .common()
        .into_iter()
        .zip(kinds)
        .map(|(c, kind)| {
            let (industries, eligible) = focus(c.industries, c.stages);
            let effect = if effects_on {
                crate::effects::resolve(c.kind, c.effect)
            } else {
                None
            };
            InstrumentModel {
                id: c.id.to_string(),
                label: label(c.label, c.id),
                budget: budget(c.budget),
                industries,
                eligible,
                kind,
                hash: crate::rng::instrument(c.id),
                effect,
            }
        })
        .collect();
    // Incentive programmes raise the arrival rate of large firms in their industries: they decide
    // a share `c = max_share·B/(B + half_budget)` of the arrivals, so `λ·c/(1 − c)` more arrive.
    let mut industries = industries;
    if effects_on {
        for (k, inst) in instruments.iter().enumerate() {
            let KindModel::Attraction(_) = inst.kind else {
                continue;
            };
            let spec = ins
                .attraction
                .iter()
                .find(|a| a.id == inst.id)
                .expect("compiled from it");
            let max_share = spec.max_share.value();
            let half = crate::money::yuan(fen_of(spec.half_budget.0));
            for (i, ind) in industries.iter_mut().enumerate() {
                let reached = inst.industries.is_empty() || inst.industries.contains(&i);
                let Some(large) = ind.large.as_mut().filter(|_| reached) else {
                    continue;
                };
                let rates = (inst.budget.iter())
                    .map(|&b| {
                        let b = crate::money::yuan(b);
                        let c = if b > 0.0 {
                            max_share * b / (b + half)
                        } else {
                            0.0
                        };
                        large.rate * c / (1.0 - c)
                    })
                    .collect();
                large.incentives.push((k, rates));
            }
        }
    }

    let program = ProgramModel {
        discount_rate: f.program.discount_rate.value(),
        holdings_haircut: f.program.holdings_haircut.value(),
        to_pool: RateFen::new(f.program.recycling.to_pool.0),
        recycle_into: f
            .program
            .recycling
            .into
            .iter()
            .map(|id| {
                instruments
                    .iter()
                    .position(|i| &i.id == id)
                    .expect("validated")
            })
            .collect(),
    };

    let instrument_ids: Vec<&str> = instruments.iter().map(|i| i.id.as_str()).collect();
    let industry_ids: Vec<&str> = industries.iter().map(|i| i.id.as_str()).collect();
    let targets = f
        .targets
        .iter()
        .map(|t| {
            let read = target_read(&t.metric, &instrument_ids, &industry_ids).expect("validated");
            let threshold = if read.unit == Unit::Cny {
                fen_of(t.threshold.0) as f64
            } else {
                f64_of(t.threshold.0)
            };
            TargetModel {
                id: t.id.clone(),
                label: t.label.clone(),
                label_en: t.label_en.clone(),
                metric: t.metric.clone(),
                read,
                threshold,
                threshold_reported: f64_of(t.threshold.0),
                deadline: year_index(t.deadline),
                direction: t.direction,
            }
        })
        .collect();

    let book = book_model(f, &instruments);
    Model {
        name: f.scenario.name.clone(),
        title: f.scenario.title.clone(),
        start_year: start,
        n_years,
        market,
        thresholds,
        program,
        industries,
        instruments,
        targets,
        channels: ChannelsModel {
            effects: effects_on,
            leakage: f.channels.leakage.value(),
        },
        valuation: crate::valuation::Rules {
            decay: f.valuation.stale_decay,
            grace: f.valuation.stale_grace_years,
            lockup: f.valuation.ipo_lockup_years as u32,
            sale_years: f.valuation.ipo_sale_years as u32,
            listed_vol: f.valuation.listed_volatility,
            transfer_discount: f.valuation.state_transfer_discount.value(),
            transfer_delay: f.valuation.state_transfer_delay_years,
            preference: f.valuation.liquidation_preference,
        },
        city_tax_rate: {
            let t = &f.tax;
            (t.vat_burden.value() * t.vat_local_share.value()
                + t.cit_burden.value() * t.cit_local_share.value())
                * t.city_share.value()
        },
        uncertain: None,
        book,
    }
}

impl Model {
    /// The same model read as money only (`[channels] effects = false`): no instrument changes a
    /// firm, brings a firm or adds talent.
    pub fn money_only(&self) -> Model {
        let mut m = self.clone();
        m.channels.effects = false;
        for inst in &mut m.instruments {
            inst.effect = None;
            match &mut inst.kind {
                KindModel::Talent(t) => t.uplift.iter_mut().for_each(|u| *u = 0.0),
                KindModel::SubFund(f) => {
                    if let Pacing::BottomUp(b) = &mut f.pacing {
                        b.relocation_rate = 0.0;
                    }
                }
                _ => {}
            }
        }
        for ind in &mut m.industries {
            if let Some(l) = &mut ind.large {
                l.incentives.clear();
            }
        }
        m
    }

    /// The first `years` years only, without targets (for studies of what happens early on).
    pub fn truncated(&self, years: usize) -> Model {
        let mut m = self.clone();
        m.n_years = years.min(self.n_years);
        m.targets.clear();
        m
    }

    /// Whether any industry models revenue.
    pub fn has_revenue(&self) -> bool {
        self.industries.iter().any(|i| i.entry_revenue.is_some())
    }

    /// The calendar year of a year index.
    pub fn year(&self, index: usize) -> i32 {
        self.start_year + index as i32
    }
}
