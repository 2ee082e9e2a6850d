//! Scenario files: the TOML a fund manager writes, as typed data.
//!
//! These types mirror the file one to one (`deny_unknown_fields` everywhere) and keep policy numbers
//! exact ([`Money`], [`Rate`], [`Quantity`] are `rust_decimal`). They are checked by [`validate`] and
//! turned into the engine's [`crate::model::Model`] by [`crate::model::compile`], the single boundary
//! where exact amounts become fen and stochastic parameters become `f64`.
//!
//! Every field is documented in `docs/scenario-format.md`; keep the two in step.

pub mod holdings;
pub mod load;
pub mod locate;
pub mod validate;

use crate::money::{Money, Quantity, Rate};
use serde::Deserialize;
use std::collections::BTreeMap;

pub(crate) use load::plain_type_error;
pub use load::{
    LoadError, ScenarioSource, document, load_file, load_file_with, load_str, problem_at,
};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub scenario: Meta,
    pub time: Time,
    pub market: Market,
    #[serde(default)]
    pub thresholds: Thresholds,
    pub program: Program,
    pub industries: Vec<Industry>,
    #[serde(default)]
    pub instruments: Instruments,
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default)]
    pub channels: Channels,
    #[serde(default)]
    pub valuation: Valuation,
    #[serde(default)]
    pub tax: Tax,
    /// `[uncertain]`: inputs we do not know, each drawn per path from its distribution.
    #[serde(default)]
    pub uncertain: std::collections::BTreeMap<String, UncertainInput>,
    /// The book the programme starts from: a CSV of positions already held (`crate::scenario::holdings`),
    /// relative to the file that names it.
    #[serde(default)]
    pub holdings: Option<String>,
    /// The book as read (set by the loader; `None` without `holdings`).
    #[serde(skip)]
    pub book: Option<crate::scenario::holdings::Book>,
}

/// One entry of `[uncertain]`: the distribution of an input (named by its `--set` key) over the
/// range the evidence leaves. Each path draws it from its own stream (`crate::uncertain`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertainInput {
    pub dist: DistKind,
    pub low: Option<InputValue>,
    pub mode: Option<InputValue>,
    pub high: Option<InputValue>,
    /// The values of a `discrete` distribution.
    pub values: Option<Vec<InputValue>>,
    /// Their weights (equal if left out).
    pub weights: Option<Vec<f64>>,
}

/// The shape of an uncertain input's distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    /// Every value in `[low, high]` equally likely.
    Uniform,
    /// Equally likely on the log scale (`low > 0`): for multipliers and rates spanning a factor.
    Loguniform,
    /// Triangular with peak at `mode`.
    Triangular,
    /// PERT (a beta with shape `1 + 4·(mode − low)/(high − low)` and `1 + 4·(high − mode)/(high
    /// − low)`): a smoother three-point estimate than the triangle.
    Pert,
    /// One of `values`, with `weights`.
    Discrete,
}

/// A value as a scenario writes it anywhere: a number, an amount (`"200万"`, `"1.5亿"`) or a
/// percentage (`"30%"`).
pub use crate::money::InputValue;

/// `[tax]`: the taxes local operating firms pay that reach the city (defaults:
/// notebooks-data/reference/fiscal_rules.csv). City tax = revenue × (VAT burden × VAT local share
/// + CIT burden × CIT local share) × the city's share of the local part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// VAT paid as a share of revenue.
    #[serde(default = "default_vat_burden")]
    pub vat_burden: Rate,
    /// Corporate income tax paid as a share of revenue.
    #[serde(default = "default_cit_burden")]
    pub cit_burden: Rate,
    #[serde(default = "default_vat_local")]
    pub vat_local_share: Rate,
    #[serde(default = "default_cit_local")]
    pub cit_local_share: Rate,
    /// Share of the local part the city keeps after remittances to the province.
    #[serde(default = "default_city_share")]
    pub city_share: Rate,
}

impl Default for Tax {
    fn default() -> Self {
        Tax {
            vat_burden: default_vat_burden(),
            cit_burden: default_cit_burden(),
            vat_local_share: default_vat_local(),
            cit_local_share: default_cit_local(),
            city_share: default_city_share(),
        }
    }
}

// fiscal_rules.csv: default_vat_burden_hightech_mfg 3% (2–4%), default_cit_burden_hightech_mfg
// 0.5% (0–1.2%), vat_local_share 50% (国发〔2016〕26号), cit_local_share 40% (国发〔2001〕37号),
// default_city_share_of_local_tax 75% (50–100%).
fn default_vat_burden() -> Rate {
    percent(3)
}
fn default_cit_burden() -> Rate {
    Rate(rust_decimal::Decimal::new(5, 3))
}
fn default_vat_local() -> Rate {
    percent(50)
}
fn default_cit_local() -> Rate {
    percent(40)
}
fn default_city_share() -> Rate {
    percent(75)
}

/// `[valuation]`: how stakes are marked and sold (defaults: notebooks-data/reference/
/// return_benchmarks.csv, judgement rows).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Valuation {
    /// Yearly decay of a private firm's mark once its last round is older than the grace period.
    #[serde(default = "default_stale_decay")]
    pub stale_decay: f64,
    #[serde(default = "default_stale_grace")]
    pub stale_grace_years: f64,
    /// Years after an IPO before pre-IPO holders may sell.
    #[serde(default = "default_lockup")]
    pub ipo_lockup_years: i64,
    /// Years over which a listed stake is sold in equal tranches after the lock-up.
    #[serde(default = "default_sale_years")]
    pub ipo_sale_years: i64,
    /// Yearly volatility of a listed firm's price.
    #[serde(default = "default_listed_vol")]
    pub listed_volatility: f64,
    /// Discount of a state-held stake sold through a property-rights exchange.
    #[serde(default = "default_transfer_discount")]
    pub state_transfer_discount: Rate,
    /// Mean years from the decision to sell a state-held stake to the cash.
    #[serde(default = "default_transfer_delay")]
    pub state_transfer_delay_years: f64,
    /// 1× non-participating liquidation preference in trade sales for the city's and the funds'
    /// stakes.
    #[serde(default)]
    pub liquidation_preference: bool,
}

impl Default for Valuation {
    fn default() -> Self {
        Valuation {
            stale_decay: default_stale_decay(),
            stale_grace_years: default_stale_grace(),
            ipo_lockup_years: default_lockup(),
            ipo_sale_years: default_sale_years(),
            listed_volatility: default_listed_vol(),
            state_transfer_discount: default_transfer_discount(),
            state_transfer_delay_years: default_transfer_delay(),
            liquidation_preference: false,
        }
    }
}

// return_benchmarks.csv: staleness_decay_per_year 0.20 (0.10–0.35), staleness_grace_years 2
// (1.5–3), ipo_lockup_years 1 (1–3), ipo_sale_years 2 (1–3), state_transfer_discount 10% (0–30%),
// state_transfer_delay_years 0.5 (0.25–1.5). Listed volatility 35%: assumption (A-share small caps).
fn default_stale_decay() -> f64 {
    0.2
}
fn default_stale_grace() -> f64 {
    2.0
}
fn default_lockup() -> i64 {
    1
}
fn default_sale_years() -> i64 {
    2
}
fn default_listed_vol() -> f64 {
    0.35
}
fn default_transfer_discount() -> Rate {
    percent(10)
}
fn default_transfer_delay() -> f64 {
    0.5
}

/// `[channels]`: how policy reaches outcomes beyond money.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    /// Whether instruments change what happens to firms, bring firms and talents (their `effect`
    /// tables, 返投 relocation, incentive-driven arrivals, talent inflow). `false` gives the
    /// money-only reading: every instrument moves money and nothing else.
    #[serde(default = "yes")]
    pub effects: bool,
    /// Probability that an acquired local firm leaves the city (then it counts toward nothing
    /// local).
    #[serde(default = "default_leakage")]
    pub leakage: Rate,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            effects: true,
            leakage: default_leakage(),
        }
    }
}

// notebooks-data/reference/policy_effects.csv, leakage_probability (judgement, range 10%–60%).
fn default_leakage() -> Rate {
    percent(30)
}

/// `p`% as an exact rate.
fn percent(p: i64) -> Rate {
    Rate(rust_decimal::Decimal::new(p, 2))
}

/// An instrument's effect on the firms it supports; every key is optional and defaults to the
/// instrument kind's central value ([`crate::effects`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectSpec {
    /// Multiplier on the yearly odds of raising the next round.
    #[serde(default)]
    pub round_odds: Option<f64>,
    /// Multiplier on the yearly odds of an exit.
    #[serde(default)]
    pub exit_odds: Option<f64>,
    /// Multiplier on the yearly odds of failing.
    #[serde(default)]
    pub fail_odds: Option<f64>,
    /// Added to the yearly log revenue growth.
    #[serde(default)]
    pub revenue_growth: Option<f64>,
    /// Years after the support during which the effect acts.
    #[serde(default)]
    pub years: Option<i64>,
    /// Share of supported firms on which the effect acts at all (the rest would have done the
    /// same: deadweight).
    #[serde(default)]
    pub additional_share: Option<Rate>,
}

/// `[scenario]`: names and the question the scenario answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short identifier used in the `scenario` column of every output file.
    pub name: String,
    /// A human title (Chinese welcome).
    #[serde(default)]
    pub title: String,
    /// The question this scenario answers.
    #[serde(default)]
    pub description: String,
}

/// `[time]`: the simulated years are `start_year ..= start_year + horizon_years - 1`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Time {
    pub start_year: i64,
    pub horizon_years: i64,
}

/// `[market]`: the common market factor, one factor per industry, and how firms respond to them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Year-to-year autocorrelation of the common factor `m_t`.
    pub rho: f64,
    /// Year-to-year autocorrelation of each industry factor `k_{i,t}`.
    pub industry_rho: f64,
    /// Logit-scale loadings and valuation drifts on the factor a firm sees.
    pub sensitivity: Sensitivity,
    /// Years in which the common factor is shifted (e.g. a cold exit market).
    #[serde(default)]
    pub regimes: Vec<Regime>,
}

/// How strongly outcomes move with the factor `x = β_m·m_t + β_i·k_{i,t}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    /// `a_g`: logit shift of the yearly round probability per unit of `x`.
    pub round: f64,
    /// `a_e`: logit shift of the yearly exit probability per unit of `x`.
    pub exit: f64,
    /// `a_f`: logit shift (downwards) of the yearly failure probability per unit of `x`.
    pub fail: f64,
    /// `b`: log-valuation drift of a round's step-up per unit of `x`.
    pub value: f64,
    /// `b_e`: log-valuation drift of an exit multiple per unit of `x`.
    pub exit_value: f64,
}

/// A shift of the common factor over a span of years.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub from: i64,
    pub to: i64,
    /// Added to `m_t` in every year of the span (negative is a cold market).
    pub shift: f64,
    #[serde(default)]
    pub label: String,
}

/// `[thresholds]`: how firms are classified for the policy targets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    #[serde(default = "default_unicorn")]
    pub unicorn: AgedValue,
    #[serde(default = "default_potential_unicorn")]
    pub potential_unicorn: AgedValue,
    #[serde(default = "default_chain_leader")]
    pub chain_leader: Measured,
    #[serde(default = "default_cluster")]
    pub cluster: Measured,
    /// What the financing metric (新增投融资规模) counts.
    #[serde(default)]
    pub financing: FinancingDef,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            unicorn: default_unicorn(),
            potential_unicorn: default_potential_unicorn(),
            chain_leader: default_chain_leader(),
            cluster: default_cluster(),
            financing: FinancingDef::default(),
        }
    }
}

/// The parts of new investment and financing (新增投融资规模) that the `financing` metric sums.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinancingDef {
    /// Equity rounds of local firms (new projects' entry rounds included).
    #[serde(default = "yes")]
    pub rounds: bool,
    /// Principal of the loans the city's guarantee programmes guarantee.
    #[serde(default)]
    pub guaranteed_loans: bool,
    /// The partner sub-funds' own investments, in local and outside firms (the reading of
    /// 新增投融资规模 as what the 合作基金 invest; with `rounds` too, their local tickets count twice).
    #[serde(default)]
    pub fund_investments: bool,
    /// New shares sold when a local firm lists: `ipo_float` × its listing value.
    #[serde(default)]
    pub ipo_raises: bool,
    #[serde(default = "default_ipo_float")]
    pub ipo_float: Rate,
}

impl Default for FinancingDef {
    fn default() -> Self {
        FinancingDef {
            rounds: true,
            guaranteed_loans: false,
            fund_investments: false,
            ipo_raises: false,
            ipo_float: default_ipo_float(),
        }
    }
}

// 《上海证券交易所股票上市规则》3.1.1 / 深交所同条: public shares at least 25% of the total (10% above
// 4亿 shares); the smallest float of a typical STAR/ChiNext listing.
fn default_ipo_float() -> Rate {
    percent(25)
}

/// An unlisted firm of age at most `max_age` valued at least `value`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgedValue {
    pub value: Money,
    pub max_age: i64,
}

/// A threshold on a firm's (or an industry's summed) revenue or valuation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub measure: Measure,
    pub value: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Revenue,
    Value,
}

// US$1bn at 7.2 CNY/USD; US$100M likewise; ages from the usual unicorn definitions (assumption).
fn default_unicorn() -> AgedValue {
    AgedValue {
        value: Money::of(rust_decimal::Decimal::from(7_200_000_000i64)),
        max_age: 10,
    }
}
fn default_potential_unicorn() -> AgedValue {
    AgedValue {
        value: Money::of(rust_decimal::Decimal::from(720_000_000i64)),
        max_age: 5,
    }
}
fn default_chain_leader() -> Measured {
    Measured {
        measure: Measure::Revenue,
        value: Money::of(rust_decimal::Decimal::from(500_000_000i64)),
    }
}
fn default_cluster() -> Measured {
    Measured {
        measure: Measure::Revenue,
        value: Money::of(rust_decimal::Decimal::from(10_000_000_000i64)),
    }
}

/// `[program]`: the pool that all instruments draw from and the recycling rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Rate at which net fiscal cost is discounted to the start year.
    pub discount_rate: Rate,
    /// Haircut applied to the model value of holdings still open at the horizon.
    #[serde(default)]
    pub holdings_haircut: Rate,
    pub recycling: Recycling,
}

/// What happens to money that comes back from positions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recycling {
    /// Share of proceeds that goes back into the pool; the rest goes to the treasury.
    pub to_pool: Rate,
    /// Instruments (by id, in priority order) that may spend pooled money, from the next year on.
    #[serde(default)]
    pub into: Vec<String>,
}

/// `[[industries]]`: one future industry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    /// Identifier used by instruments and outputs (ASCII, e.g. `ic`).
    pub id: String,
    /// Display name (Chinese), e.g. `主控类与车规级IC`.
    pub name: String,
    /// Mean number of new local projects landing per year (Poisson).
    pub arrivals_per_year: f64,
    /// Mean number of master/PhD talents each new project brings (Poisson).
    #[serde(default)]
    pub talent_per_arrival: f64,
    /// `β_m`: loading on the common market factor.
    pub beta_market: f64,
    /// `β_i`: loading on the industry's own factor.
    pub beta_industry: f64,
    /// How new projects enter the first stage.
    pub entry: Entry,
    /// The stage ladder, from the first round to the last (at least two stages).
    pub stages: Vec<Stage>,
    /// Mature local firms outside the venture ladder (listed or large private firms): they count
    /// toward chain leaders and cluster output but take no rounds and no fiscal money.
    #[serde(default)]
    pub established: Option<Established>,
    /// Large firms (plants, regional headquarters, 链主 candidates) arriving each year without any
    /// incentive; `attraction` programmes add to them.
    #[serde(default)]
    pub large_arrivals: Option<LargeArrivals>,
}

/// Large firms arriving in an industry: a Poisson number a year, as established firms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LargeArrivals {
    pub per_year: f64,
    pub value: MoneyDist,
    pub revenue: MoneyDist,
    pub revenue_growth: Growth,
}

/// A new project's first round.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Post-money valuation of the first round.
    pub value: MoneyDist,
    /// Revenue in the landing year (needed when any threshold is measured on revenue).
    #[serde(default)]
    pub revenue: Option<MoneyDist>,
}

/// A log-normal amount: `median · exp(sigma · z)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyDist {
    pub median: Money,
    pub sigma: f64,
}

/// A log-normal multiple: `median · exp(sigma · z)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultipleDist {
    pub median: f64,
    pub sigma: f64,
}

/// Yearly log-growth `mean + vol · z`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Growth {
    pub mean: f64,
    pub vol: f64,
}

/// One rung of the ladder: a firm "in" a stage has raised that stage's round.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    /// Share of the firm sold in the round that brings a firm into this stage.
    pub dilution: Rate,
    /// Post-money step-up of the round into this stage over the previous post-money.
    /// Not allowed on the first stage (its round is the entry round).
    #[serde(default)]
    pub step_up: Option<MultipleDist>,
    /// Yearly probability, while in this stage, of raising the next round (in the last stage: a
    /// further round of the same stage, priced with this stage's step-up and dilution).
    pub p_round: Rate,
    /// Yearly probability of an exit (IPO or M&A).
    pub p_exit: Rate,
    /// Yearly probability of failure.
    pub p_fail: Rate,
    /// Exit value as a multiple of the last post-money.
    pub exit_multiple: MultipleDist,
    /// Share of exits that are IPOs (the rest are M&A).
    pub ipo_share: Rate,
    /// Yearly revenue growth while in this stage (and, for the last stage, after exit).
    #[serde(default)]
    pub revenue_growth: Option<Growth>,
    /// Local firms already in this stage at the start year.
    #[serde(default)]
    pub existing: Option<Existing>,
}

/// The local base of firms in a stage at the start year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Existing {
    pub count: i64,
    pub value: MoneyDist,
    /// Ages in whole years at the start year, drawn uniformly from `[min, max]`.
    /// `[min, max]` years (a list, so that a list of another length is reported, not cut).
    pub age: Vec<i64>,
    #[serde(default)]
    pub revenue: Option<MoneyDist>,
}

/// Mature local firms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Established {
    pub count: i64,
    pub value: MoneyDist,
    pub revenue: MoneyDist,
    /// Yearly revenue growth; valuations move in proportion to revenue.
    pub revenue_growth: Growth,
}

/// `[instruments]`: each kind is an array of tables (`[[instruments.grant]]`, ...).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instruments {
    #[serde(default)]
    pub grant: Vec<Grant>,
    #[serde(default)]
    pub convertible_grant: Vec<ConvertibleGrant>,
    #[serde(default)]
    pub prize_equity: Vec<PrizeEquity>,
    #[serde(default)]
    pub direct_equity: Vec<DirectEquity>,
    #[serde(default)]
    pub co_investment: Vec<CoInvestment>,
    #[serde(default)]
    pub guarantee: Vec<Guarantee>,
    #[serde(default)]
    pub subsidy: Vec<Subsidy>,
    #[serde(default)]
    pub sub_fund: Vec<SubFund>,
    #[serde(default)]
    pub attraction: Vec<Attraction>,
    #[serde(default)]
    pub talent_subsidy: Vec<TalentSubsidy>,
}

/// What every instrument table has, for validation and compilation.
pub struct Common<'a> {
    /// Key of the array of tables (`grant`, `direct_equity`, ...).
    pub kind: &'static str,
    pub id: &'a str,
    pub label: &'a str,
    /// The yearly capacity: fiscal budget, or for guarantees the new loan volume.
    pub budget: &'a Budget,
    /// The key that holds it (`budget`, or `volume` for guarantees).
    pub budget_key: &'static str,
    pub industries: &'a [String],
    pub stages: &'a [String],
    /// Its effect on the firms it supports, as written (kinds that support no firm have none).
    pub effect: Option<&'a EffectSpec>,
}

impl Instruments {
    /// Every instrument's common fields, in the order the engine numbers them: kinds in the order
    /// of this struct, tables in file order within a kind.
    pub fn common(&self) -> Vec<Common<'_>> {
        macro_rules! common {
            ($v:expr, $kind:literal) => {
                common!($v, $kind, budget)
            };
            ($v:expr, $kind:literal, $budget:ident) => {
                $v.iter().map(|i| Common {
                    kind: $kind,
                    id: &i.id,
                    label: &i.label,
                    budget: &i.$budget,
                    budget_key: stringify!($budget),
                    industries: &i.industries,
                    stages: &i.stages,
                    effect: i.effect.as_ref(),
                })
            };
        }
        common!(self.grant, "grant")
            .chain(common!(self.convertible_grant, "convertible_grant"))
            .chain(common!(self.prize_equity, "prize_equity"))
            .chain(common!(self.direct_equity, "direct_equity"))
            .chain(common!(self.co_investment, "co_investment"))
            .chain(common!(self.guarantee, "guarantee", volume))
            .chain(common!(self.subsidy, "subsidy"))
            .chain(common!(self.sub_fund, "sub_fund"))
            .chain(common!(self.attraction, "attraction"))
            .chain(common!(self.talent_subsidy, "talent_subsidy"))
            .collect()
    }
}

/// A yearly fiscal budget: a plain amount (every simulated year), a table
/// `{ per_year = "5000万", from = 2024, to = 2028 }`, or an array of such tables for budgets that
/// change from year to year (`[{ per_year = "1.6亿", from = 2024, to = 2024 }, { per_year =
/// "1.2亿", from = 2025, to = 2026 }]`; years no table covers get 0).
#[derive(Debug, Clone)]
pub enum Budget {
    Every(Money),
    Span(BudgetSpan),
    Spans(Vec<BudgetSpan>),
}

impl Budget {
    /// The budget as spans `(per year, from, to)`; `None` ends are the horizon's.
    pub fn spans(&self) -> Vec<(Money, Option<i64>, Option<i64>)> {
        match self {
            Budget::Every(m) => vec![(*m, None, None)],
            Budget::Span(s) => vec![(s.per_year, s.from, s.to)],
            Budget::Spans(v) => v.iter().map(|s| (s.per_year, s.from, s.to)).collect(),
        }
    }

    /// The largest yearly amount of any span.
    pub fn max_per_year(&self) -> rust_decimal::Decimal {
        (self.spans().iter().map(|s| s.0.0))
            .max()
            .unwrap_or_default()
    }

    /// The smallest positive yearly amount of any span (0 if none is positive).
    pub fn min_positive_per_year(&self) -> rust_decimal::Decimal {
        (self.spans().iter().map(|s| s.0.0))
            .filter(|a| *a > rust_decimal::Decimal::ZERO)
            .min()
            .unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for Budget {
    // Hand-written rather than `#[serde(untagged)]`, which would swallow the inner error
    // ("unknown field `per_yr`") into "data did not match any variant".
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Budget;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "an amount such as \"5000万\", a table { per_year, from, to }, or an array of such tables",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Budget, E> {
                Money::deserialize(serde::de::value::I64Deserializer::new(v)).map(Budget::Every)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Budget, E> {
                Money::deserialize(serde::de::value::U64Deserializer::new(v)).map(Budget::Every)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Budget, E> {
                Money::deserialize(serde::de::value::F64Deserializer::new(v)).map(Budget::Every)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Budget, E> {
                Money::deserialize(serde::de::value::StrDeserializer::new(v)).map(Budget::Every)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Budget, A::Error> {
                BudgetSpan::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Budget::Span)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Budget, A::Error> {
                Vec::<BudgetSpan>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Budget::Spans)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpan {
    pub per_year: Money,
    #[serde(default)]
    pub from: Option<i64>,
    #[serde(default)]
    pub to: Option<i64>,
}

/// `[[instruments.grant]]` (拨): cash to firms, nothing comes back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Amount of each grant.
    pub amount: Money,
    /// Industry ids; empty means all.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Stage names a recipient may be in; empty means all.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Whether a firm can receive this grant only once.
    #[serde(default = "yes")]
    pub once_per_firm: bool,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// `[[instruments.direct_equity]]` (拨改投): equity bought in firms' rounds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectEquity {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Amount invested per deal.
    pub ticket: Money,
    /// Largest share of a round the city takes (the ticket is cut to it).
    #[serde(default = "one_rate")]
    pub max_round_share: Rate,
    /// Probability that an eligible round is offered to and taken by the city.
    #[serde(default = "one_rate")]
    pub take_up: Rate,
    #[serde(default)]
    pub industries: Vec<String>,
    /// Stages whose round the city joins (the round into that stage); empty means all.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Sell the stake this many years after entry if the firm has not exited by then
    /// (at the last post-money less `sale_discount`); absent: hold until the firm exits or fails.
    #[serde(default)]
    pub sell_after_years: Option<i64>,
    #[serde(default)]
    pub sale_discount: Option<Rate>,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// `[[instruments.convertible_grant]]` (拨-投-股): a grant that converts into equity at the price of
/// the firm's first market round after it; written off if the firm fails (or exits) first or the
/// window closes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertibleGrant {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Amount of each grant.
    pub amount: Money,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default = "yes")]
    pub once_per_firm: bool,
    /// Years after the grant within which a round converts it; absent: no limit.
    #[serde(default)]
    pub conversion_window_years: Option<i64>,
    /// Discount on the round's price at conversion (the grant buys `amount / (price · (1 − d))`).
    #[serde(default)]
    pub conversion_discount: Option<Rate>,
    /// Founders buy the stake back at cost plus interest; absent: the stake is sold at the firm's exit.
    #[serde(default)]
    pub founder_buyback: Option<FounderBuyback>,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// Transfer of a converted stake to the founders (拨投股 exit): `after_years` after conversion the
/// founders take it up with probability `take_up`, paying the grant amount compounded yearly at
/// `rate` from the year of the grant; if they decline, the stake is held to the firm's exit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FounderBuyback {
    pub after_years: i64,
    pub rate: Rate,
    pub take_up: Rate,
}

/// `[[instruments.prize_equity]]` (奖改投): competition winners, drawn among eligible firms, receive
/// their prize as equity at the firm's last round price instead of cash.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrizeEquity {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Amount of each prize.
    pub amount: Money,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default = "yes")]
    pub once_per_firm: bool,
    #[serde(default)]
    pub sell_after_years: Option<i64>,
    #[serde(default)]
    pub sale_discount: Option<Rate>,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// `[[instruments.co_investment]]` (联合投资 / 跟投): the city invests beside the round's lead
/// investor, `ratio` yuan per yuan of the lead, on the same terms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoInvestment {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// City yuan per yuan the lead investor puts in.
    pub ratio: f64,
    /// The lead investor's share of the round.
    pub lead_share: Rate,
    /// Largest city ticket.
    pub max_ticket: Money,
    #[serde(default = "one_rate")]
    pub take_up: Rate,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default)]
    pub sell_after_years: Option<i64>,
    #[serde(default)]
    pub sale_discount: Option<Rate>,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// `[[instruments.guarantee]]` (融资担保): the city guarantees a share of bank loans to eligible
/// firms for a fee, and pays that share of the loss when a loan defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guarantee {
    pub id: String,
    #[serde(default)]
    pub label: String,
    /// New loan principal guaranteed per year (a plain amount or `{ per_year, from, to }`).
    pub volume: Budget,
    /// Principal of each loan.
    pub loan_size: Money,
    pub term_years: i64,
    /// Share of a loss the city bears (the rest falls on the bank and other guarantors).
    pub cover_share: Rate,
    /// Yearly fee on the outstanding principal, paid to the city.
    pub fee_rate: Rate,
    /// Yearly probability that a loan to a surviving firm defaults anyway.
    pub base_default_rate: Rate,
    /// Share of the principal lost when a loan defaults.
    pub loss_given_default: Rate,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    /// Lend only to firms another instrument has already supported.
    #[serde(default)]
    pub supported_only: bool,
    /// Who keeps the fee: the guarantor (政府性融资担保机构, the usual case) or the city.
    #[serde(default)]
    pub fee_to: FeeTo,
    /// Yearly fee subsidy the city pays on the outstanding principal (担保费补贴).
    #[serde(default)]
    pub fee_subsidy: Rate,
    /// The bank's share of each loss: its own money at risk, counted as money mobilised.
    #[serde(default = "default_bank_share")]
    pub bank_share: Rate,
    /// A risk-compensation pool (风险补偿资金池) funded up front that pays the city's share of losses.
    #[serde(default)]
    pub risk_pool: Option<RiskPool>,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeTo {
    #[default]
    Guarantor,
    City,
}

// fiscal_rules.csv: banks bear at least 20% (国家融资担保基金 risk split).
fn default_bank_share() -> Rate {
    percent(20)
}

/// 风险补偿资金池: `size` paid in the programme's first funded year; each default's city share is
/// paid from it, at most `year_cap` a year; new loans stop once it is empty, and losses it cannot
/// pay fall on the bank and the guarantor. What is left at the horizon is the city's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskPool {
    pub size: Money,
    #[serde(default)]
    pub year_cap: Option<Money>,
}

/// `[[instruments.subsidy]]`: a subsidy programme of the policy's tables (流片, 临床试验, 算力券,
/// ...): rules as data sharing one yearly budget.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subsidy {
    pub id: String,
    #[serde(default)]
    pub label: String,
    /// The yearly subsidy budget.
    pub budget: Budget,
    /// What happens when the year's capped claims exceed the budget.
    pub rationing: RationingRule,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    /// Exclusive groups by name: `{ eda = "larger" }`. Rules naming a group in `exclusive_group`
    /// pay a firm under one of them per year (租用…或购买).
    #[serde(default)]
    pub exclusive: BTreeMap<String, ExclusiveRule>,
    pub rules: Vec<SubsidyRule>,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// Which rule of an exclusive group pays a firm in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusiveRule {
    /// The rule whose claims pay the firm the most (ties to the rule written first).
    Larger,
    /// The rule of the firm's first claim (claims arrive in random order).
    First,
}

/// Who has a rule's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claimants {
    /// Active local venture firms of the rule's industries and stages (the default).
    #[default]
    Firms,
    /// Large firms arriving this year in the rule's industries (新落户的头部企业, 新引进的企业); each
    /// claims with probability `events_per_firm_year`, once.
    LargeArrivals,
}

/// A condition on the claimant the model can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// 获得政府引导基金投资: the city holds or held equity in the firm (direct equity, co-investment,
    /// prize equity, a converted 拨投 grant, or a deal of one of its sub-funds).
    CityInvestment,
}

/// A later claim of the same item (a product's next year of procurement, a drug's next trial
/// phase): `after` years after the previous claim, with `probability` (given the previous claim and
/// the firm still local and not failed), with its own base if given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub after: i64,
    pub probability: f64,
    #[serde(default)]
    pub base: Option<MoneyDist>,
}

/// Mean events per eligible firm and year: one number, or one per industry
/// (`{ ai = 0.6, ic = 0.1 }`, every industry of the rule named).
#[derive(Debug, Clone)]
pub enum EventRate {
    All(f64),
    ByIndustry(BTreeMap<String, f64>),
}

impl EventRate {
    /// The rate for industry `id` (0 when a table does not name it).
    pub fn of(&self, id: &str) -> f64 {
        match self {
            EventRate::All(r) => *r,
            EventRate::ByIndustry(m) => m.get(id).copied().unwrap_or(0.0),
        }
    }
}

impl<'de> Deserialize<'de> for EventRate {
    // Hand-written, as for `Budget`, so that a bad entry keeps its own message.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = EventRate;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a mean count such as 0.3, or a table by industry { ai = 0.6, ic = 0.1 }",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<EventRate, E> {
                Ok(EventRate::All(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<EventRate, E> {
                Ok(EventRate::All(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<EventRate, E> {
                Ok(EventRate::All(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<EventRate, A::Error> {
                BTreeMap::<String, f64>::deserialize(serde::de::value::MapAccessDeserializer::new(
                    map,
                ))
                .map(EventRate::ByIndustry)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RationingRule {
    /// Every claim cut in the same proportion.
    ProRata,
    /// Claims paid in the order they arrive (random) until the budget runs out.
    FirstCome,
}

/// One clause: how an event is paid, how often eligible firms have one, and its caps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyRule {
    pub label: String,
    /// `share × base` (exactly one of `share`, `per_unit`, `fixed`).
    #[serde(default)]
    pub share: Option<Rate>,
    /// `per_unit × units`.
    #[serde(default)]
    pub per_unit: Option<Money>,
    /// A fixed amount per event.
    #[serde(default)]
    pub fixed: Option<Money>,
    /// The base amount of an event (cost, rent, sales, revenue), log-normal.
    #[serde(default)]
    pub base: Option<MoneyDist>,
    /// Mean number of units of an event (enrolled persons), Poisson.
    #[serde(default)]
    pub units: Option<f64>,
    /// No payment when the base is below this.
    #[serde(default)]
    pub min_base: Option<Money>,
    /// Mean number of events per eligible firm per year (Poisson), or per industry; for
    /// `claimants = "large_arrivals"` the probability that an arrival claims.
    pub events_per_firm_year: EventRate,
    /// Who has these events (default: the local venture firms).
    #[serde(default)]
    pub claimants: Claimants,
    /// Conditions a claimant must meet.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// The exclusive group (a key of the programme's `exclusive`) the rule belongs to.
    #[serde(default)]
    pub exclusive_group: Option<String>,
    /// Industries whose firms have these events (among the programme's); absent: the programme's.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Stages whose firms have these events (among the programme's); absent: the programme's.
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default)]
    pub item_cap: Option<Money>,
    #[serde(default)]
    pub firm_year_cap: Option<Money>,
    #[serde(default)]
    pub institution_year_cap: Option<Money>,
    #[serde(default)]
    pub firm_total_cap: Option<Money>,
    /// Per item (product, drug) over all its claims: the event and its `follow_ups`.
    #[serde(default)]
    pub item_total_cap: Option<Money>,
    /// Later claims of the same item.
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
    /// Number of institutions (hospitals, platforms) the events are spread over, uniformly; needed
    /// with `institution_year_cap`.
    #[serde(default)]
    pub institutions: Option<i64>,
}

/// `[[instruments.sub_fund]]` (参股基金): the city commits to professionally managed funds as one LP
/// beside private LPs. `budget` is the city's new commitments per year: each year
/// `⌊budget / (fund_size × city_share)⌋` funds are set up; the cash goes out later, as the funds
/// call it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubFund {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Total commitments of each fund.
    pub fund_size: Money,
    /// The city's share of the commitments.
    pub city_share: Rate,
    /// Chance that a fund reaches its first close at all (else nothing is committed).
    #[serde(default = "one_rate")]
    pub close_probability: Rate,
    /// Chance that a fund that closes does so a year late.
    #[serde(default)]
    pub late_close_probability: Rate,
    /// Years from close to liquidation (default 10; not with Takahashi–Alexander pacing).
    #[serde(default)]
    pub term_years: Option<i64>,
    /// Years from close during which the fund makes new investments (default 5).
    #[serde(default)]
    pub investment_years: Option<i64>,
    /// Yearly management fee: on commitments during the investment period, then on the cost of the
    /// investments still held (default 0: no fee).
    #[serde(default)]
    pub management_fee: Rate,
    /// Preferred return to the LPs before carried interest (default 0).
    #[serde(default)]
    pub hurdle: Rate,
    /// Carried interest of the manager (default 0: no carry).
    #[serde(default)]
    pub carry: Rate,
    /// Share of distributions the manager takes in the catch-up tier (0: no catch-up).
    #[serde(default = "one_rate")]
    pub catch_up: Rate,
    /// The city's profit concession (让利).
    #[serde(default)]
    pub concession: ConcessionSpec,
    /// 返投: the fund must invest at least this multiple of the city's commitment in local firms.
    #[serde(default)]
    pub local_multiple: f64,
    /// Share of each year's investment the fund would make locally without a 返投 rule (default
    /// 100%: local rounds first).
    #[serde(default)]
    pub local_preference: Option<Rate>,
    /// Investment per deal (bottom-up pacing).
    #[serde(default)]
    pub ticket: Option<Money>,
    /// Largest share of a local round the fund takes (default 100%).
    #[serde(default)]
    pub max_round_share: Option<Rate>,
    /// Proceeds the fund may reinvest during its investment period, as a share of its size.
    #[serde(default)]
    pub recycling_limit: Rate,
    /// Industry ids it invests in (local and outside firms); empty means all.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Stages of the rounds it joins; empty means all.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Fund-level pacing instead of investing in simulated firms.
    #[serde(default)]
    pub takahashi_alexander: Option<TakahashiAlexander>,
    /// Yearly probability that an outside portfolio firm moves to the city (返投 relocation;
    /// default from notebooks-data/reference/policy_effects.csv).
    #[serde(default)]
    pub relocation_rate: Option<Rate>,
    /// Share of those moves that bring only a branch: it counts for 返投, not as a local firm.
    #[serde(default)]
    pub branch_share: Option<Rate>,
    /// What counts toward 返投.
    #[serde(default)]
    pub local_recognition: Recognition,
    /// What the city does when a fund ends its investment period short of its 返投 requirement.
    #[serde(default)]
    pub on_shortfall: OnShortfall,
    /// Effect on the firms it supports (defaults: the kind's central values).
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// The consequence of a 返投 shortfall at the end of a fund's investment period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnShortfall {
    /// Nothing (the shortfall is reported).
    #[default]
    None,
    /// The city takes back its 让利: its cash is pro rata from then on.
    RevokeConcession,
    /// The city withholds its later calls and leaves, selling its stake to the private LPs at its
    /// share of a liquidation at NAV (财预〔2015〕210号: exit when a fund does not invest as agreed).
    Exit,
}

/// How a fund's local investment is recognised toward its 返投 requirement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recognition {
    /// The fund's own tickets in local firms, and its cost in firms that relocate (or open a
    /// branch) in the city.
    #[default]
    Ticket,
    /// The whole round the fund joins in a local firm; relocations and branches at the fund's cost.
    Round,
    /// The fund's tickets in local firms; relocations and branches at the firm's valuation.
    Valuation,
}

/// `[[instruments.attraction]]` (招商引资, 重大项目/链主 incentives): a yearly incentive budget shared by
/// the large firms arriving in its industries. It decides a share `c = max_share · B / (B +
/// half_budget)` of the arrivals, `B` the year's budget: on top of the `λ` firms a year that come
/// anyway, `λ·c/(1 − c)` more arrive, credited to the programme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attraction {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Largest incentive one arriving firm receives.
    pub max_per_firm: Money,
    /// Share of arrivals the incentives decide when the budget is very large.
    #[serde(default = "default_attraction_max_share")]
    pub max_share: Rate,
    /// Yearly budget at which half of `max_share` is reached (diminishing returns).
    pub half_budget: Money,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    /// Not allowed: incentives act on arrivals, not on supported firms.
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

// Bartik (2018): incentives decide 2–25% of location choices; the high end as the ceiling
// (policy_effects.csv, attraction_policy_share).
fn default_attraction_max_share() -> Rate {
    percent(25)
}

/// `[[instruments.talent_subsidy]]` (人才安家/生活补贴): `amount` to every new master/PhD talent of its
/// industries while the budget lasts. Talent inflow responds: `× (1 + ε·s·phase)` with `s =
/// amount / reference_pay` and `phase` rising linearly to 1 over `phase_in_years` from the
/// programme's first funded year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalentSubsidy {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub budget: Budget,
    /// Paid per talent.
    pub amount: Money,
    /// Five years of a talent's net pay in the city (the subsidy's weight in the decision).
    pub reference_pay: Money,
    /// `ε`: elasticity of talent inflow to the subsidy's share of five-year pay.
    #[serde(default)]
    pub elasticity: Option<f64>,
    #[serde(default)]
    pub phase_in_years: Option<i64>,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub stages: Vec<String>,
    /// Not allowed: the subsidy acts on talent inflow, not on supported firms.
    #[serde(default)]
    pub effect: Option<EffectSpec>,
}

/// 让利: how the city gives part of its upside to the private LPs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcessionSpec {
    pub kind: ConcessionKind,
    /// Capped return or buy-out interest rate.
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Share of the city's excess profit ceded.
    #[serde(default)]
    pub share: Option<Rate>,
    /// Return above which the city's profit is "excess".
    #[serde(default)]
    pub above: Option<Rate>,
    /// Years after the first call within which private LPs may buy the city out.
    #[serde(default)]
    pub within_years: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcessionKind {
    #[default]
    None,
    /// The city gets at most principal plus `rate` a year; the rest goes to the private LPs.
    CappedReturn,
    /// `share` of the city's profit above `above` a year goes to the private LPs.
    ExcessShare,
    /// The city is the first-loss (junior) tranche.
    Junior,
    /// Private LPs may buy the city's stake at cost plus `rate` within `within_years`.
    Buyout,
}

/// Takahashi–Alexander (2001) pacing for funds known only at fund level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakahashiAlexander {
    /// Share of the uncalled commitment called in fund years 1, 2, …; the last repeats.
    pub contribution_rates: Vec<f64>,
    /// Fund life `L` in years.
    pub life: i64,
    /// Bow `B` of the distribution rate `(t/L)^B`.
    pub bow: f64,
    /// Yield floor `Y` of the distribution rate.
    #[serde(default, rename = "yield")]
    pub yield_floor: f64,
    /// Yearly growth `G` of the fund's NAV.
    pub growth: f64,
    /// Added to `G` per unit of the market factor the fund's industries see.
    #[serde(default)]
    pub growth_beta: f64,
}

impl SubFund {
    pub fn term(&self) -> i64 {
        self.term_years.unwrap_or(10)
    }
    pub fn investing(&self) -> i64 {
        self.investment_years.unwrap_or(5)
    }
}

fn yes() -> bool {
    true
}
fn one_rate() -> Rate {
    Rate(rust_decimal::Decimal::ONE)
}

/// `[[targets]]`: a policy target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    /// Chinese label for spreadsheets, e.g. `新落户科创项目`.
    pub label: String,
    /// English label (`--lang en`); the id if left out.
    #[serde(default)]
    pub label_en: Option<String>,
    /// A target metric (see `docs/scenario-format.md`).
    pub metric: String,
    pub threshold: Quantity,
    pub deadline: i64,
    /// `at_least` (default) or `at_most`.
    #[serde(default)]
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    AtLeast,
    AtMost,
}
