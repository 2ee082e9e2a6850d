//! `[[instruments.sub_fund]]`: a sub-fund programme's fund size and the city's commitment, its
//! waterfall terms, and how its funds invest (bottom up in simulated firms, or Takahashi–Alexander).

use super::{IndustryModel, KindModel, LogNormal, fen_of, scenario};
use crate::money::{Fen, RateFen};
use crate::waterfall::{Concession, Terms};

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

/// A sub-fund programme; `industries` give the outside firms' values, `effects_on` whether
/// outside firms relocate.
pub(super) fn sub_fund(
    fund: &scenario::SubFund,
    industries: &[IndustryModel],
    effects_on: bool,
) -> KindModel {
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
        None => Pacing::BottomUp(bottom_up(
            fund,
            fund_size,
            city_commitment,
            industries,
            effects_on,
        )),
    };
    KindModel::SubFund(Box::new(SubFundModel {
        fund_size,
        city_commitment,
        terms: terms(fund),
        close_probability: fund.close_probability.value(),
        late_close_probability: fund.late_close_probability.value(),
        pacing,
    }))
}

/// An optional rate of the concession, 0 when not given.
fn rate(r: Option<crate::money::Rate>) -> RateFen {
    RateFen::new(r.map_or(rust_decimal::Decimal::ZERO, |r| r.0))
}

/// The waterfall terms: the city's share, hurdle, carry, catch-up and concession.
fn terms(fund: &scenario::SubFund) -> Terms {
    Terms {
        city_share: RateFen::new(fund.city_share.0),
        hurdle: RateFen::new(fund.hurdle.0),
        carry: RateFen::new(fund.carry.0),
        catch_up: (!fund.catch_up.0.is_zero()).then(|| RateFen::new(fund.catch_up.0)),
        concession: concession(&fund.concession),
    }
}

fn concession(con: &scenario::ConcessionSpec) -> Concession {
    match con.kind {
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
    }
}

/// A fund that invests in simulated firms: its period, fee, tickets, 返投 and outside firms.
fn bottom_up(
    fund: &scenario::SubFund,
    fund_size: Fen,
    city_commitment: Fen,
    industries: &[IndustryModel],
    effects_on: bool,
) -> BottomUpModel {
    BottomUpModel {
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
        outside_value: outside_value(industries),
    }
}

/// Per industry, per stage: the post-money of an outside firm entering there, the entry value's
/// median times the step-ups' medians up to that stage, with the entry value's log-volatility.
fn outside_value(industries: &[IndustryModel]) -> Vec<Vec<LogNormal>> {
    industries
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
        .collect()
}
