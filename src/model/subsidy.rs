//! `[[instruments.subsidy]]`: a subsidy programme's exact rules ([`crate::subsidy::Program`]) and
//! how the engine draws the events its rules pay for.

use super::industry::focus;
use super::{KindModel, LogNormal, dist, fen_of, scenario};
use crate::subsidy::{Amount, Caps, Exclusive, Program, Rationing, Rule};

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

/// A subsidy programme; `industries` are the scenario's, for the rules' reach and rates.
pub(super) fn subsidy(sub: &scenario::Subsidy, industries: &[scenario::Industry]) -> KindModel {
    let group_names: Vec<&String> = sub.exclusive.keys().collect();
    let groups: Vec<Exclusive> = (sub.exclusive.values())
        .map(|w| match w {
            scenario::ExclusiveRule::Larger => Exclusive::Larger,
            scenario::ExclusiveRule::First => Exclusive::First,
        })
        .collect();
    let rules = sub.rules.iter().map(|r| rule(r, &group_names)).collect();
    let rationing = match sub.rationing {
        scenario::RationingRule::ProRata => Rationing::ProRata,
        scenario::RationingRule::FirstCome => Rationing::FirstCome,
    };
    let draws = (sub.rules.iter())
        .map(|r| event_draw(r, sub, industries))
        .collect();
    KindModel::Subsidy(SubsidyModel {
        // The budget is given year by year (`InstrumentModel::budget`).
        program: Program::with_groups(rules, None, rationing, groups)
            .expect("validated subsidy rules"),
        draws,
    })
}

/// A rule's amount, floor, caps and exclusive group (an index into `group_names`).
fn rule(r: &scenario::SubsidyRule, group_names: &[&String]) -> Rule {
    let money = |m: &Option<crate::money::Money>| m.map(|m| fen_of(m.0));
    Rule {
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
    }
}

/// How a rule's events are drawn: its reach (the programme's where the rule names none), its
/// rate per industry, its base and its follow-ups.
fn event_draw(
    r: &scenario::SubsidyRule,
    sub: &scenario::Subsidy,
    industries: &[scenario::Industry],
) -> EventDraw {
    let stages = if r.stages.is_empty() {
        &sub.stages
    } else {
        &r.stages
    };
    let named = if r.industries.is_empty() {
        &sub.industries
    } else {
        &r.industries
    };
    let eligible = focus(industries, named, stages).1;
    let rates: Vec<f64> = (industries.iter().zip(&eligible))
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
        requires_city_investment: (r.requires).contains(&scenario::Requirement::CityInvestment),
        items: r.item_total_cap.is_some() || !r.follow_ups.is_empty(),
        follow_ups: (r.follow_ups.iter())
            .map(|u| FollowUpDraw {
                after: u.after as usize,
                probability: u.probability,
                base: u.base.as_ref().map_or(base, |b| BaseDraw::Money(dist(b))),
            })
            .collect(),
    }
}
