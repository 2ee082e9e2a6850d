//! Policy effects: what support does to a firm, by instrument kind, with the evidence behind each
//! default.
//!
//! An effect acts on a supported firm for `years` years after the support, on a share
//! `additional_share` of the firms an instrument supports (the rest would have done the same:
//! deadweight). While it acts, the firm's yearly odds of a round, an exit and a failure are
//! multiplied (`p' = m·p / (1 − p + m·p)`) and its yearly log revenue growth is shifted.
//!
//! The defaults are the central values of `notebooks-data/reference/policy_effects.csv`, where each
//! has its sources, the reading that turns a study's estimate into a yearly odds multiplier, and a
//! plausible range. The studies' estimates average over deadweight recipients, so a multiplier that
//! acts only on additional firms is larger than the average effect (e.g. grants: ×1.5 on half the
//! recipients moves a seed firm's 3-year chance of a next round from 0.43 to 0.49, as ×1.23 on all
//! of them would). Chinese evidence is weaker than US/EU evidence (Wang, Li & Furman 2017 find no
//! effect of Innofund grants), so the defaults sit at the cautious end.
//!
//! | kind | round odds | exit odds | fail odds | growth | years | additional |
//! |---|---|---|---|---|---|---|
//! | grant, convertible_grant, prize_equity | 1.5 | 1.0 | 0.8 | 0 | 3 | 0.5 |
//! | direct_equity (city-led) | 1.0 | 0.9 | 1.0 | 0 | 3 | 0.5 |
//! | co_investment (minority stake beside a lead) | 1.1 | 1.0 | 1.0 | 0 | 3 | 0.3 |
//! | sub_fund (local investments) | 1.1 | 1.0 | 1.0 | 0 | 3 | 0.3 |
//! | guarantee | 1.0 | 1.0 | 0.95 | +0.04 | 3 | 0.5 |
//! | subsidy | 1.1 | 1.0 | 0.95 | 0 | 1 | 0.3 |
//!
//! Incentive programmes (`attraction`) and talent subsidies act on arrivals and talent inflow, not
//! on supported firms, and have no effect table.

/// The combined effect acting on a firm in a year: odds multipliers and a growth shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boost {
    pub round: f64,
    pub exit: f64,
    pub fail: f64,
    pub growth: f64,
}

impl Boost {
    pub const NONE: Boost = Boost {
        round: 1.0,
        exit: 1.0,
        fail: 1.0,
        growth: 0.0,
    };
}

/// An effect ready for the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    pub boost: Boost,
    pub years: u32,
    pub additional: f64,
}

/// The central values of an instrument kind, if it supports firms.
pub fn defaults(kind: &str) -> Option<Effect> {
    let e = |round: f64, exit: f64, fail: f64, growth: f64, years: u32, additional: f64| Effect {
        boost: Boost {
            round,
            exit,
            fail,
            growth,
        },
        years,
        additional,
    };
    Some(match kind {
        // Howell 2017 (AER), Zhao & Ziedonis 2020 (RP), Santoleri et al. 2024 (REStat); Wang, Li &
        // Furman 2017 (RP) for the cautious end. 拨投股 and 奖改投 take the grant values: no causal
        // study of either was found, and their terms act on money back, not on the firm's odds.
        "grant" | "convertible_grant" | "prize_equity" => e(1.5, 1.0, 0.8, 0.0, 3, 0.5),
        // Government-led investment does worse (Brander, Du & Hellmann 2015; Cumming, Grilli &
        // Murtinu 2017): no round effect, exit odds ×0.9.
        "direct_equity" => e(1.0, 0.9, 1.0, 0.0, 3, 0.5),
        // Minority government stakes in private syndicates raise more money (Brander et al. 2015).
        "co_investment" | "sub_fund" => e(1.1, 1.0, 1.0, 0.0, 3, 0.3),
        // Bertoni, Colombo & Quas (2018/2019), Brault & Signore (2019): sales +6–35%, defaults a
        // little lower; Lelarge, Sraer & Thesmar (2010): more defaults, hence a small fail effect.
        "guarantee" => e(1.0, 1.0, 0.95, 0.04, 3, 0.5),
        // Dimos & Pugh 2016 (RP meta-analysis): modest additionality; Boeing 2016 (RP): Chinese
        // R&D subsidies partly displace firms' own R&D.
        "subsidy" => e(1.1, 1.0, 0.95, 0.0, 1, 0.3),
        _ => return None,
    })
}

/// Talent subsidies: elasticity `ε` of talent inflow to `s` = subsidy ÷ five years of net pay
/// (Kleven et al. 2014 and Moretti & Wilson 2017 find 1.5–2 for top earners and star scientists;
/// second-tier Chinese cities' talent policies showed no effect on top graduates: the central
/// value is cautious), phased in over 3 years.
pub const TALENT_ELASTICITY: f64 = 0.5;
pub const TALENT_PHASE_IN_YEARS: u32 = 3;

/// 返投 relocation: yearly probability that a sub-fund's outside portfolio firm moves to the city
/// (Bryan & Guzman: ~1.4% of US startups move state a year without a 返投 rule), and the share of
/// moves that bring only a branch (industry reporting on how 返投 is met).
pub const RELOCATION_RATE: f64 = 0.02;
pub const BRANCH_SHARE: f64 = 0.8;
