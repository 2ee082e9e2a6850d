//! The engine's view of a scenario: validated, with money in fen and parameters ready for the loop.
//!
//! [`compile`] is the one boundary between exact policy numbers (`rust_decimal`) and the hot loop:
//! budgets, tickets and grant amounts become integer fen ([`Fen`]); recycling shares become
//! [`RateFen`] (exact integer splits); distributions become `(mu, sigma)` on the log scale and base
//! probabilities become odds, so the loop multiplies and compares.
//!
//! [`compile`] is a sequence of one builder per section of the scenario, each in the file of the
//! types it builds: `market.rs` and `thresholds.rs`; `industry.rs` (industries, stages, the firms
//! already there, large arrivals and their incentives); `instruments.rs` (what every instrument
//! shares, and the kinds without a file of their own); `subsidy.rs` and `subfund.rs`; the
//! programme, channels, valuation and tax (here); `targets.rs`; `book.rs`.

mod book;
mod industry;
mod instruments;
mod market;
mod subfund;
mod subsidy;
mod targets;
mod thresholds;

pub use book::{BookFirmModel, BookModel, BookPositionModel};
pub use industry::{
    EstablishedModel, ExistingModel, IndustryModel, LargeModel, StageModel, odds_against,
};
pub use instruments::{
    AttractionModel, BuybackModel, ConvertibleModel, EquityModel, Family, GrantModel,
    GuaranteeModel, InstrumentModel, KindModel, PrizeModel, TalentModel, TicketRule,
};
pub use market::MarketModel;
pub use subfund::{BottomUpModel, Pacing, SubFundModel};
pub use subsidy::{BaseDraw, EventDraw, FollowUpDraw, SubsidyModel};
pub use targets::TargetModel;
pub use thresholds::{FinancingModel, ThresholdModel};

use crate::metrics::Catalogue;
use crate::money::{Fen, RateFen, to_fen};
use crate::scenario::{self, Budget, ScenarioFile};
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
    /// `valuation.staleness(s)` of a price `s = 0, 1, …` whole years old: read for every mark of
    /// a private firm, so worked out once ([`Model::staleness`] reads it).
    stale: Vec<f64>,
    /// Share of a local operating firm's revenue that reaches the city as tax.
    pub city_tax_rate: f64,
    /// The `[uncertain]` inputs, drawn per path by the run (`crate::uncertain`): set by the
    /// loader ([`crate::app::load_all_with`]), `None` from [`compile`] and for a path's own model.
    pub uncertain: Option<std::sync::Arc<crate::uncertain::Uncertain>>,
    /// The positions held at the start year (`holdings`); `None` without a book.
    pub book: Option<BookModel>,
}

/// How policy reaches outcomes beyond money.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelsModel {
    /// Whether instruments change outcomes at all (false: the money-only reading).
    pub effects: bool,
    /// Probability that an acquired local firm leaves the city.
    pub leakage: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramModel {
    pub discount_rate: f64,
    pub holdings_haircut: f64,
    pub to_pool: RateFen,
    /// Instrument indices that may spend pooled money, in priority order.
    pub recycle_into: Vec<usize>,
}

fn f64_of(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().expect("validated decimal fits f64")
}

fn fen_of(d: rust_decimal::Decimal) -> Fen {
    to_fen(d).expect("validated amount fits in fen")
}

/// A money distribution of the scenario as a log-normal draw in yuan.
fn dist(d: &scenario::MoneyDist) -> LogNormal {
    LogNormal::from_median(d.median.yuan(), d.sigma)
}

/// The simulated years, for the builders that turn calendar years into year indices.
#[derive(Debug, Clone, Copy)]
struct Years {
    start: i64,
    n: usize,
}

impl Years {
    fn of(time: &scenario::Time) -> Self {
        Years {
            start: time.start_year,
            n: time.horizon_years as usize,
        }
    }

    /// The year index of a calendar year.
    fn index(self, y: i64) -> usize {
        (y - self.start) as usize
    }

    /// A budget in fen per simulated year (years no span covers get 0).
    fn budget(self, b: &Budget) -> Vec<Fen> {
        let mut yearly = vec![0; self.n];
        // Validated: the spans do not overlap.
        for (amount, from, to) in b.spans() {
            let (from, to) = (
                from.map_or(0, |y| self.index(y)),
                to.map_or(self.n - 1, |y| self.index(y)),
            );
            for (y, v) in yearly.iter_mut().enumerate() {
                if (from..=to).contains(&y) {
                    *v = fen_of(amount.0);
                }
            }
        }
        yearly
    }
}

/// Turns a validated scenario into the engine's model. Call only on a file that passed
/// [`crate::scenario::validate::validate`] (as [`crate::scenario::load_str`] does).
pub fn compile(f: &ScenarioFile) -> Model {
    let years = Years::of(&f.time);
    let mut industries = industry::industries(&f.industries);
    let instruments = instruments::instruments(f, years, &industries);
    if f.channels.effects {
        industry::add_incentives(&mut industries, &instruments, &f.instruments.attraction);
    }
    let program = program(&f.program, &instruments);
    let targets = targets::targets(&f.targets, years, &instruments, &industries);
    let book = book::book_model(f, &instruments);
    let valuation = valuation(&f.valuation);
    Model {
        name: f.scenario.name.clone(),
        title: f.scenario.title.clone(),
        start_year: f.time.start_year as i32,
        n_years: years.n,
        market: market::market(&f.market, years),
        thresholds: thresholds::thresholds(&f.thresholds),
        program,
        industries,
        instruments,
        targets,
        channels: channels(&f.channels),
        valuation,
        stale: stale_marks(valuation),
        city_tax_rate: city_tax_rate(&f.tax),
        uncertain: None,
        book,
    }
}

/// The programme: discounting, the holdings haircut and the recycling pool, whose `into` names
/// become instrument indices.
fn program(p: &scenario::Program, instruments: &[InstrumentModel]) -> ProgramModel {
    ProgramModel {
        discount_rate: p.discount_rate.value(),
        holdings_haircut: p.holdings_haircut.value(),
        to_pool: RateFen::new(p.recycling.to_pool.0),
        recycle_into: p
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
    }
}

fn channels(c: &scenario::Channels) -> ChannelsModel {
    ChannelsModel {
        effects: c.effects,
        leakage: c.leakage.value(),
    }
}

/// Prices up to this many whole years old have their staleness in [`Model::stale`]; older ones
/// (a firm of the start year's base whose last round was long before it) work it out.
const STALE_YEARS: usize = 64;

fn stale_marks(rules: crate::valuation::Rules) -> Vec<f64> {
    (0..STALE_YEARS)
        .map(|s| rules.staleness(s as f64))
        .collect()
}

fn valuation(v: &scenario::Valuation) -> crate::valuation::Rules {
    crate::valuation::Rules {
        decay: v.stale_decay,
        grace: v.stale_grace_years,
        lockup: v.ipo_lockup_years as u32,
        sale_years: v.ipo_sale_years as u32,
        listed_vol: v.listed_volatility,
        transfer_discount: v.state_transfer_discount.value(),
        transfer_delay: v.state_transfer_delay_years,
        preference: v.liquidation_preference,
    }
}

/// The share of a local operating firm's revenue that reaches the city as tax.
fn city_tax_rate(t: &scenario::Tax) -> f64 {
    (t.vat_burden.value() * t.vat_local_share.value()
        + t.cit_burden.value() * t.cit_local_share.value())
        * t.city_share.value()
}

impl Model {
    /// The staleness factor of a price `years` whole years old: `valuation.staleness(years)`.
    #[inline]
    pub fn staleness(&self, years: i32) -> f64 {
        match self.stale.get(years as usize) {
            Some(&s) if years >= 0 => s,
            _ => self.valuation.staleness(years as f64),
        }
    }

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

    /// The metrics of this model: per instrument, per industry, per target, and the book's sunk
    /// cost.
    pub fn catalogue(&self) -> Catalogue {
        let instruments: Vec<(&str, &str)> = (self.instruments.iter())
            .map(|i| (i.id.as_str(), i.label.as_str()))
            .collect();
        let industries: Vec<(&str, &str)> = (self.industries.iter())
            .map(|i| (i.id.as_str(), i.name.as_str()))
            .collect();
        let targets: Vec<(&str, &str, crate::metrics::Unit)> = (self.targets.iter())
            .map(|t| (t.id.as_str(), t.label.as_str(), t.read.unit))
            .collect();
        Catalogue::new(&instruments, &industries, &targets, self.book.is_some())
    }

    /// What a run's layout depends on: its metrics, years, industries and stages. An `[uncertain]`
    /// input must keep it at every corner of its box ([`crate::uncertain::Uncertain::new`]).
    pub fn shape(&self) -> impl PartialEq + use<> {
        (
            self.catalogue(),
            self.n_years,
            self.start_year,
            (self.industries.iter())
                .map(|i| i.stages.len())
                .collect::<Vec<_>>(),
        )
    }

    /// The model of a path whose `[uncertain]` inputs are `values` (a draw of
    /// [`crate::uncertain::Uncertain::draw`]).
    pub fn at_draw(&self, values: &[f64]) -> Model {
        let u = (self.uncertain.as_ref()).expect("a draw of a model with uncertain inputs");
        // Every corner of the box read, validated and kept its shape (`Uncertain::new`), and the
        // draws lie in the box, so this cannot fail for a draw.
        let file = (u.file_at(values))
            .unwrap_or_else(|e| panic!("an uncertain draw inside the checked box: {e}"));
        compile(&file)
    }

    /// Whether less is better for scalar metric `name` of this model: for a target's value
    /// `target.<id>`, when the target is `at_most` (its direction says which way is better, whatever
    /// the metric it reads); for every other metric, [`crate::metrics::lower_is_better`]. A target's
    /// `met.<id>` is 1 when met: more is better.
    pub fn lower_is_better(&self, name: &str) -> bool {
        match name.strip_prefix("target.") {
            Some(id) => (self.targets.iter())
                .find(|t| t.id == id)
                .is_some_and(|t| t.direction == scenario::Direction::AtMost),
            None => crate::metrics::lower_is_better(name),
        }
    }

    /// The metrics of a run of this model: [`Model::catalogue`] and, after them, one scalar
    /// `input.<key>` per `[uncertain]` input, the value the path drew.
    pub fn catalogue_for_run(&self) -> Catalogue {
        let keys = (self.uncertain.iter())
            .flat_map(|u| &u.inputs)
            .map(|i| i.key.as_str());
        self.catalogue().with_inputs(keys)
    }
}
