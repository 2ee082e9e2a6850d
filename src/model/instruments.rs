//! `[instruments]`: what every instrument shares (budget, reach, effect) and the kinds without a
//! module of their own: grants, convertible grants, prizes as equity, direct equity,
//! co-investment, guarantees, attraction incentives and talent subsidies. Subsidies and sub-funds
//! are built in [`super::subsidy`] and [`super::subfund`].

use super::industry::focus;
use super::{
    IndustryModel, ScenarioFile, SubFundModel, SubsidyModel, Years, fen_of, scenario, subfund,
    subsidy,
};
use crate::effects::Effect;
use crate::money::{Fen, RateFen};
use crate::scenario::EffectSpec;
use rust_decimal::prelude::ToPrimitive;

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
    /// The eligible (industry, stage) cells of `eligible`, in order (where a sub-fund's outside
    /// deals are drawn from).
    pub cells: Vec<(usize, usize)>,
    pub kind: KindModel,
    /// Hash of its id, keying the draws of its effects.
    pub hash: u64,
    /// Its effect on the firms it supports (none in the money-only reading).
    pub effect: Option<crate::effects::Effect>,
}

impl InstrumentModel {
    /// Whether it reaches industry `i` (it names none, or names `i`).
    pub fn reaches(&self, i: usize) -> bool {
        self.industries.is_empty() || self.industries.contains(&i)
    }
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
    /// Payments to arrivals: 招商 incentives to large firms and talent subsidies to people, none
    /// of them a funded project (`grants_awarded`).
    Arrival,
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
            KindModel::Grant(_) | KindModel::Convertible(_) | KindModel::Subsidy(_) => {
                Family::Grant
            }
            KindModel::Attraction(_) | KindModel::Talent(_) => Family::Arrival,
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

/// Every instrument, numbered as [`scenario::Instruments::common`] lists them: kinds in a fixed
/// order, tables in file order within a kind. `industries` are the compiled industries, without
/// incentives (sub-funds read their entry values).
pub(super) fn instruments(
    f: &ScenarioFile,
    years: Years,
    industries: &[IndustryModel],
) -> Vec<InstrumentModel> {
    let ins = &f.instruments;
    let effects_on = f.channels.effects;
    let kinds = (ins.grant.iter().map(grant))
        .chain(ins.convertible_grant.iter().map(convertible))
        .chain(ins.prize_equity.iter().map(prize))
        .chain(ins.direct_equity.iter().map(direct_equity))
        .chain(ins.co_investment.iter().map(co_investment))
        .chain(ins.guarantee.iter().map(guarantee))
        .chain(
            ins.subsidy
                .iter()
                .map(|s| subsidy::subsidy(s, &f.industries)),
        )
        .chain(
            ins.sub_fund
                .iter()
                .map(|s| subfund::sub_fund(s, industries, effects_on)),
        )
        .chain(ins.attraction.iter().map(attraction))
        .chain(
            ins.talent_subsidy
                .iter()
                .map(|t| talent(t, years, effects_on)),
        );
    // `common()` lists the instruments in the same order as `kinds`.
    ins.common()
        .into_iter()
        .zip(kinds)
        .map(|(c, kind)| instrument(&c, kind, &f.industries, years, effects_on))
        .collect()
}

/// What every kind shares: label, yearly budget, reach, the hash keying its draws and its effect.
fn instrument(
    c: &scenario::Common,
    kind: KindModel,
    industries: &[scenario::Industry],
    years: Years,
    effects_on: bool,
) -> InstrumentModel {
    let (reached, eligible) = focus(industries, c.industries, c.stages);
    let cells = (eligible.iter().enumerate())
        .flat_map(|(i, stages)| {
            (stages.iter().enumerate())
                .filter(|(_, e)| **e)
                .map(move |(s, _)| (i, s))
        })
        .collect();
    let effect = if effects_on {
        resolve_effect(c.kind, c.effect)
    } else {
        None
    };
    InstrumentModel {
        id: c.id.to_string(),
        label: label(c.label, c.id),
        budget: years.budget(c.budget),
        industries: reached,
        eligible,
        cells,
        kind,
        hash: crate::rng::instrument(c.id),
        effect,
    }
}

/// The label as written, or the id when none is given.
fn label(label: &str, id: &str) -> String {
    if label.trim().is_empty() {
        id.to_string()
    } else {
        label.to_string()
    }
}

fn grant_model(amount: &crate::money::Money, once_per_firm: bool) -> GrantModel {
    GrantModel {
        amount: fen_of(amount.0),
        once_per_firm,
    }
}

/// The sale rule of an equity stake: `(years after entry, discount)`, no discount if none given.
fn sell_after(years: Option<i64>, discount: &Option<crate::money::Rate>) -> Option<(u32, f64)> {
    years.map(|y| (y as u32, discount.map_or(0.0, |d| d.value())))
}

fn grant(g: &scenario::Grant) -> KindModel {
    KindModel::Grant(grant_model(&g.amount, g.once_per_firm))
}

fn convertible(g: &scenario::ConvertibleGrant) -> KindModel {
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
}

fn prize(p: &scenario::PrizeEquity) -> KindModel {
    KindModel::Prize(PrizeModel {
        grant: grant_model(&p.amount, p.once_per_firm),
        sell_after: sell_after(p.sell_after_years, &p.sale_discount),
    })
}

fn direct_equity(e: &scenario::DirectEquity) -> KindModel {
    KindModel::DirectEquity(EquityModel {
        ticket: TicketRule::Fixed {
            ticket: fen_of(e.ticket.0),
            max_round_share: e.max_round_share.value(),
        },
        take_up: e.take_up.value(),
        sell_after: sell_after(e.sell_after_years, &e.sale_discount),
    })
}

fn co_investment(e: &scenario::CoInvestment) -> KindModel {
    KindModel::CoInvestment(EquityModel {
        ticket: TicketRule::BesideLead {
            ratio: e.ratio,
            lead_share: e.lead_share.value(),
            max_ticket: fen_of(e.max_ticket.0),
        },
        take_up: e.take_up.value(),
        sell_after: sell_after(e.sell_after_years, &e.sale_discount),
    })
}

fn guarantee(g: &scenario::Guarantee) -> KindModel {
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
}

/// An attraction programme; the arrivals it brings are added to the industries by
/// [`super::industry::add_incentives`].
fn attraction(a: &scenario::Attraction) -> KindModel {
    KindModel::Attraction(AttractionModel {
        max_per_firm: fen_of(a.max_per_firm.0),
    })
}

/// A talent subsidy: the uplift phases in linearly from the first funded year (0 without effects).
fn talent(t: &scenario::TalentSubsidy, years: Years, effects_on: bool) -> KindModel {
    let amount = fen_of(t.amount.0);
    let share = t.amount.yuan() / t.reference_pay.yuan();
    let elasticity = t.elasticity.unwrap_or(crate::effects::TALENT_ELASTICITY);
    let phase_in = t
        .phase_in_years
        .map_or(crate::effects::TALENT_PHASE_IN_YEARS, |y| y as u32)
        .max(1);
    let funded = years.budget(&t.budget);
    let first = funded.iter().position(|&b| b > 0);
    let uplift = (0..years.n)
        .map(|y| match first {
            Some(y0) if effects_on && y >= y0 => {
                let phase = ((y - y0 + 1) as f64 / phase_in as f64).min(1.0);
                elasticity * share * phase
            }
            _ => 0.0,
        })
        .collect();
    KindModel::Talent(TalentModel { amount, uplift })
}

fn rate(r: crate::money::Rate) -> f64 {
    r.0.to_f64().expect("a validated rate fits f64")
}

/// The effect of an instrument of `kind` written as `spec` (missing keys from the defaults), or
/// `None` if the kind has no effect or the effect changes nothing.
pub fn resolve_effect(kind: &str, spec: Option<&EffectSpec>) -> Option<Effect> {
    let mut e = crate::effects::defaults(kind)?;
    if let Some(s) = spec {
        e.boost.round = s.round_odds.unwrap_or(e.boost.round);
        e.boost.exit = s.exit_odds.unwrap_or(e.boost.exit);
        e.boost.fail = s.fail_odds.unwrap_or(e.boost.fail);
        e.boost.growth = s.revenue_growth.unwrap_or(e.boost.growth);
        e.years = s.years.map_or(e.years, |y| y as u32);
        e.additional = s.additional_share.map_or(e.additional, rate);
    }
    let inert = e.boost == crate::effects::Boost::NONE || e.years == 0 || e.additional <= 0.0;
    (!inert).then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_overrides_only_what_it_names() {
        let spec = crate::scenario::EffectSpec {
            round_odds: Some(2.0),
            years: Some(5),
            ..crate::scenario::EffectSpec::default()
        };
        let e = resolve_effect("grant", Some(&spec)).expect("acts");
        assert_eq!(e.boost.round, 2.0);
        assert_eq!(e.boost.fail, 0.8);
        assert_eq!(e.years, 5);
        assert_eq!(e.additional, 0.5);
    }

    #[test]
    fn neutral_effects_are_none() {
        let zero = crate::scenario::EffectSpec {
            additional_share: Some(crate::money::Rate(rust_decimal::Decimal::ZERO)),
            ..crate::scenario::EffectSpec::default()
        };
        assert_eq!(resolve_effect("grant", Some(&zero)), None);
        let neutral = crate::scenario::EffectSpec {
            round_odds: Some(1.0),
            exit_odds: Some(1.0),
            fail_odds: Some(1.0),
            revenue_growth: Some(0.0),
            ..crate::scenario::EffectSpec::default()
        };
        assert_eq!(resolve_effect("guarantee", Some(&neutral)), None);
        assert_eq!(resolve_effect("attraction", None), None);
        assert!(resolve_effect("sub_fund", None).is_some());
    }
}
