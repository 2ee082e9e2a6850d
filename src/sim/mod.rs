//! One path: a possible future of the market, the firms and the program, year by year.
//!
//! A year runs in this order: market factors; each industry's firms (transitions, revenue, new
//! projects); positions that end this year are settled; each instrument spends its purse (recycling
//! instruments first, by priority, then the others in the order the scenario lists them, talent
//! subsidies last: [`acting_order`]); proceeds are split between the pool
//! (spendable from next year) and the treasury; holdings are valued; the year's metrics are recorded.
//!
//! [`PathSim`] keeps all scratch memory between paths, so a worker simulating many paths allocates
//! only when a path grows larger than any before it.

mod results;

use crate::firms::{self, Firms, Status, YearEvents};
use crate::instruments::{self, Fund, Purse, Year};
use crate::ledger::{Ledger, LivePositions, Position};
use crate::market::Market;
use crate::metrics::{Catalogue, INY, Y};
use crate::model::{Family, Model, ThresholdModel};
use crate::money::{Fen, fen_from_yuan_f64};
use crate::rng::{self, Stream};
use crate::scenario::Measure;
use crate::subsidy::{Claim, SubsidyState};

/// A position of one of the first paths (a stake, grant or loan in a firm, or a commitment to a
/// sub-fund), as `deals.csv` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    pub path: u64,
    pub instrument: usize,
    /// `None` for a sub-fund commitment.
    pub industry: Option<usize>,
    pub firm: Option<u32>,
    /// The firm's index in the book ([`crate::model::BookModel::firms`]) when it is one of the
    /// book's firms.
    pub book_firm: Option<usize>,
    pub entry_year: i32,
    /// Money the city put in (grant, ticket, loss paid, or capital called).
    pub amount: Fen,
    /// Money back (exit, sale, fees, or fund distributions and buy-out price).
    pub proceeds: Fen,
    pub exit_year: Option<usize>,
    pub outcome: &'static str,
    pub converted_year: Option<usize>,
    /// Share of the firm bought (or of the fund's commitments).
    pub stake: f64,
    /// Value at the horizon if still held (after the haircut), in fen.
    pub holding: Option<Fen>,
}

/// Reusable state for simulating paths of one model.
pub struct PathSim<'m> {
    model: &'m Model,
    pub catalogue: Catalogue,
    pub firms: Firms,
    pub ledger: Ledger,
    pub positions: Vec<Position>,
    /// Which of `positions` may still be live.
    live: LivePositions,
    market: Market,
    factor_rngs: Vec<Stream>,
    instrument_rngs: Vec<Stream>,
    event_rngs: Vec<Stream>,
    x: Vec<f64>,
    events: YearEvents,
    round_city: Vec<Fen>,
    candidates: Vec<u32>,
    tickets: Vec<(usize, u32, Fen)>,
    subsidy_states: Vec<SubsidyState>,
    claims: Vec<Claim>,
    /// The sub-funds of the current path.
    pub funds: Vec<Fund>,
    /// Instruments in acting order: recycling instruments first, by priority.
    order: Vec<usize>,
    /// `[metric * n_years + year]`, integers: fen or counts.
    pub yearly: Vec<i64>,
    /// One value per scalar metric of the catalogue.
    pub scalars: Vec<f64>,
    /// Firm-years simulated by this worker (active, exited and established firms), for benchmarks.
    pub firm_years: u64,
}

impl<'m> PathSim<'m> {
    pub fn new(model: &'m Model) -> Self {
        let catalogue = model.catalogue();
        let mut order = Vec::new();
        acting_order(model, &mut order);
        let n_yearly = catalogue.yearly.len() * model.n_years;
        let n_scalars = catalogue.scalars.len();
        PathSim {
            model,
            catalogue,
            firms: Firms::default(),
            ledger: Ledger::default(),
            positions: Vec::new(),
            live: LivePositions::default(),
            market: Market::default(),
            factor_rngs: Vec::new(),
            instrument_rngs: Vec::new(),
            event_rngs: Vec::new(),
            x: Vec::new(),
            events: YearEvents::default(),
            round_city: Vec::new(),
            candidates: Vec::new(),
            tickets: Vec::new(),
            subsidy_states: Vec::new(),
            claims: Vec::new(),
            funds: Vec::new(),
            order,
            yearly: vec![0; n_yearly],
            scalars: vec![0.0; n_scalars],
            firm_years: 0,
        }
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    /// Runs the next paths on `model`, a model of the same shape (the same metrics and instruments:
    /// a draw of the scenario's `[uncertain]` inputs), keeping the buffers already grown.
    pub fn rebind(&mut self, model: &'m Model) {
        debug_assert_eq!(model.catalogue(), self.catalogue);
        acting_order(model, &mut self.order);
        self.model = model;
    }

    /// The last simulated year's factor of each industry.
    pub fn market_factors(&self) -> &[f64] {
        &self.x
    }

    /// The value at the horizon of a position of the last path, if still held as equity (after the
    /// holdings haircut), in fen. Guaranteed loans have none.
    pub fn holding_value(&self, p: &Position) -> Option<Fen> {
        (p.outcome == crate::ledger::Outcome::Open && p.principal == 0).then(|| {
            let last = self.model.n_years - 1;
            instruments::position_value(self.model, &self.firms, p, last)
        })
    }

    /// The positions of the book, held from the start year: stakes, 拨投 grants not yet
    /// converted and guaranteed loans in the book's firms, and the city's interests in partner
    /// funds. What they cost was paid before the start year (sunk): nothing is booked as outlay.
    fn open_book(&mut self, book: &crate::model::BookModel) {
        use crate::ledger::{Outcome, Position};
        use crate::model::BookPositionModel as P;
        let base = self.firms.book_start;
        for p in &book.positions {
            match *p {
                P::Equity {
                    k,
                    firm,
                    stake,
                    paid,
                    entry,
                } => {
                    let f = base + firm as u32;
                    let mut pos = Position::paid(k, f, 0, paid, Outcome::Open);
                    pos.entry_year = entry;
                    pos.stake = stake;
                    pos.retention_entry = self.firms.retention[f as usize];
                    self.firms.flags[f as usize] |= firms::CITY_INVESTED;
                    if let crate::model::KindModel::Prize(_) = self.model.instruments[k].kind {
                        // A prize is once per firm: this one was awarded.
                        self.firms.granted[f as usize] |= 1u64 << k;
                    }
                    self.positions.push(pos);
                }
                P::Convertible {
                    k,
                    firm,
                    paid,
                    entry,
                } => {
                    let f = base + firm as u32;
                    let mut pos = Position::paid(k, f, 0, paid, Outcome::Pending);
                    pos.entry_year = entry;
                    // Grants of the programme are once per firm: this one was paid.
                    self.firms.granted[f as usize] |= 1u64 << k;
                    self.positions.push(pos);
                }
                P::Loan {
                    k,
                    firm,
                    principal,
                    entry,
                } => {
                    let f = base + firm as u32;
                    let mut pos = Position::paid(k, f, 0, 0, Outcome::Open);
                    pos.entry_year = entry;
                    pos.principal = principal;
                    self.firms.granted[f as usize] |= 1u64 << k;
                    self.positions.push(pos);
                }
                P::Fund {
                    k,
                    commitment,
                    called,
                    distributed,
                    nav,
                    age,
                    vintage,
                } => {
                    let crate::model::KindModel::SubFund(fm) = &self.model.instruments[k].kind
                    else {
                        unreachable!("validated: fund rows name sub-fund programmes")
                    };
                    let amounts = (commitment, called, distributed, nav);
                    (self.funds).push(Fund::inherited(k, fm, amounts, age, vintage));
                }
            }
        }
    }

    /// The index in the book of firm `f`, if it is one of the book's firms (they follow the local
    /// base, from [`Firms::book_start`]).
    pub fn book_firm(&self, f: u32) -> Option<usize> {
        let n = self.model.book.as_ref()?.firms.len() as u32;
        let start = self.firms.book_start;
        (f >= start && f < start + n).then(|| (f - start) as usize)
    }

    /// The `deals.csv` row of a sub-fund commitment of the last path.
    pub fn fund_deal(&self, path: u64, fund: &Fund) -> Deal {
        let crate::model::KindModel::SubFund(fm) = &self.model.instruments[fund.instrument].kind
        else {
            unreachable!("funds belong to sub-fund programmes")
        };
        let totals = fund.waterfall.totals();
        let outcome = if fund.waterfall.city_out() {
            "bought_out"
        } else if fund.end.is_some() {
            "liquidated"
        } else {
            "open"
        };
        let holding = (fund.end.is_none() && fund.city_out.is_none()).then(|| {
            let last = self.model.n_years - 1;
            let nav = instruments::fund_nav_marked(fund, &self.firms, self.model, last);
            fund.waterfall.city_value(nav)
        });
        Deal {
            path,
            instrument: fund.instrument,
            industry: None,
            firm: None,
            book_firm: None,
            // A fund of the book: its close, everything the city paid in (sunk calls too), and
            // no share of the fund's size (its statement gives the city's amounts only).
            entry_year: fund
                .inherited
                .as_ref()
                .map_or(fund.start as i32, |i| i.vintage),
            amount: fund.called(),
            proceeds: totals.city
                + totals.buyout_paid_to_city
                + fund.inherited.as_ref().map_or(0, |i| i.distributed),
            exit_year: fund.city_out.or(fund.end),
            outcome,
            converted_year: None,
            stake: if fund.inherited.is_some() {
                0.0
            } else {
                fm.city_commitment as f64 / fm.fund_size as f64
            },
            holding,
        }
    }

    /// The last path's yearly series of the metric called `name` (fen or counts), if it exists.
    pub fn yearly_of(&self, name: &str) -> Option<&[i64]> {
        let n = self.model.n_years;
        let i = self.catalogue.yearly.iter().position(|c| c.name == name)?;
        Some(&self.yearly[i * n..(i + 1) * n])
    }

    /// The last path's value of the scalar metric called `name`, if it exists.
    pub fn scalar_of(&self, name: &str) -> Option<f64> {
        let i = self.catalogue.scalars.iter().position(|c| c.name == name)?;
        Some(self.scalars[i])
    }

    /// Simulates path `path` of a run seeded with `seed`, leaving its results in `yearly`,
    /// `scalars`, `ledger` and `positions`.
    pub fn run(&mut self, seed: u64, path: u64) {
        let model = self.model;
        let n_years = model.n_years;
        let n_ind = model.industries.len();
        let mut market_rng = rng::stream(seed, path, rng::MARKET);
        self.factor_rngs.clear();
        self.factor_rngs.extend(
            (model.industries.iter())
                .map(|ind| rng::stream(seed, path, rng::industry_factor(&ind.id))),
        );
        for (streams, purpose) in [
            (
                &mut self.instrument_rngs,
                rng::instrument as fn(&str) -> u64,
            ),
            (&mut self.event_rngs, rng::instrument_events),
        ] {
            streams.clear();
            streams.extend(
                (model.instruments.iter()).map(|inst| rng::stream(seed, path, purpose(&inst.id))),
            );
        }

        self.firms.populate(model, seed, path);
        self.mark_start();
        self.market.start(&mut market_rng, &mut self.factor_rngs);
        self.ledger.reset(model.instruments.len(), n_years);
        self.positions.clear();
        self.live.clear();
        self.yearly.fill(0);
        self.funds.clear();
        self.subsidy_states
            .resize_with(model.instruments.len(), SubsidyState::default);
        self.subsidy_states.iter_mut().for_each(SubsidyState::reset);
        if let Some(book) = &model.book {
            self.open_book(book);
        }

        let mut pool: Fen = 0;
        for y in 0..n_years {
            self.market.step(
                model,
                y,
                (&mut market_rng, &mut self.factor_rngs),
                &mut self.x,
            );
            self.events.clear(n_ind);
            self.firms.begin_year(model, &self.x);
            // Prices of firms listed in earlier years move before this year's exits list others.
            self.firms.listed_year(model, y, &self.x);
            for i in 0..n_ind {
                self.firm_years += (self.firms.active[i].len()
                    + self.firms.exited[i].len()
                    + self.firms.established[i].len()) as u64;
                self.firms.industry_year(model, (i, y), &mut self.events);
            }
            self.firms.shadows_year(model, y, &mut self.events);

            for i in 0..n_ind {
                self.firm_years += self.firms.outside[i].len() as u64;
                self.firms.outside_year(model, (i, y));
            }

            self.round_city.clear();
            self.round_city.resize(self.events.rounds.len(), 0);
            let mut newly_supported = 0i64;
            self.tickets.clear();
            let mut year = Year {
                y,
                model,
                firms: &mut self.firms,
                round_city: &mut self.round_city,
                rngs: &mut self.instrument_rngs,
                event_rngs: &mut self.event_rngs,
                ledger: &mut self.ledger,
                positions: &mut self.positions,
                live: &mut self.live,
                newly_supported: &mut newly_supported,
                candidates: &mut self.candidates,
                tickets: &mut self.tickets,
                subsidy_states: &mut self.subsidy_states,
                claims: &mut self.claims,
                funds: &mut self.funds,
                x: &self.x,
                events: &mut self.events,
            };
            instruments::settle(&mut year);
            for &k in &self.order {
                let recycles = model.program.recycle_into.contains(&k);
                let mut purse = Purse {
                    fiscal: model.instruments[k].budget[y],
                    pool: if recycles { pool } else { 0 },
                };
                instruments::invest(k, &mut purse, &mut year);
                if recycles {
                    pool = purse.pool;
                }
            }
            instruments::book_mobilised(&mut year);
            instruments::mark(&mut year);

            let proceeds = self.ledger.year_total(&self.ledger.proceeds, y);
            let to_pool = model.program.to_pool.apply(proceeds);
            self.ledger.to_pool[y] = to_pool;
            self.ledger.to_treasury[y] = proceeds - to_pool;
            pool += to_pool;
            self.ledger.pool_balance[y] = pool;
            self.record_year(y, newly_supported);
        }
        results::finish(self);
    }

    /// Flags the firms that already are chain leaders or (potential) unicorns at the start year.
    fn mark_start(&mut self) {
        let th = &self.model.thresholds;
        let firms = &mut self.firms;
        for f in 0..firms.len() {
            let mut bits = 0;
            if measure(firms, f, th.chain_leader.0) >= th.chain_leader.1 {
                bits |= firms::AT_START_LEADER;
            }
            if firms.status[f] == Status::Active && unicorn_class(firms, f, 0, th) != Class::None {
                bits |= firms::AT_START_UNICORN;
            }
            firms.flags[f] = bits;
        }
    }

    /// Writes year `y`'s program and instrument metrics into `yearly`.
    fn record_year(&mut self, y: usize, newly_supported: i64) {
        let (additional_unicorns, additional_leaders, additional_revenue) =
            self.shadows_year_end(y);
        let model = self.model;
        let n = model.n_years;
        let l = &self.ledger;
        let firms = &self.firms;
        let th = &model.thresholds;

        let counts = self.events.counts;
        // 新增投融资规模 as the scenario defines it. Each round rounded to the fen, as the mobilised
        // money of the same rounds is.
        let def = &th.financing;
        let mut financing: Fen = 0;
        if def.rounds {
            financing += (self.events.rounds.iter())
                .map(|r| fen_from_yuan_f64(r.size))
                .sum::<Fen>();
        }
        if def.guaranteed_loans {
            financing += l.loans_made[y];
        }
        if def.fund_investments {
            financing += l.funds_local[y] + l.funds_outside[y];
        }
        if let Some(float) = def.ipo_float {
            financing += fen_from_yuan_f64(self.events.ipo_value * float);
        }
        let (mut active, mut unicorns, mut potential, mut unicorns_new) = (0, 0, 0, 0);
        let (mut leaders, mut leaders_new, mut clusters) = (0, 0, 0);
        let mut revenue_total = 0.0;
        // The columns read per firm, cut to one length, so that one bounds check per firm
        // covers them all; the sizes the thresholds measure chosen once.
        let n_firms = firms.len();
        let (value, revenue) = (&firms.value[..n_firms], &firms.revenue[..n_firms]);
        let (flags, birth) = (&firms.flags[..n_firms], &firms.birth[..n_firms]);
        let sizes = |m: Measure| match m {
            Measure::Revenue => revenue,
            Measure::Value => value,
        };
        let (leader_size, leader_at) = (sizes(th.chain_leader.0), th.chain_leader.1);
        let cluster_size = sizes(th.cluster.0);
        // A firm valued below this is in neither class, whatever its age (`class_of`).
        let class_floor = th.unicorn_value.min(th.potential_value);
        for i in 0..model.industries.len() {
            let mut cluster_sum = 0.0;
            // Every operating firm: a chain leader by its size, its part of the industry's
            // cluster, its revenue; an active one also its unicorn class.
            let mut operating = |f: usize| {
                debug_assert!(firms.status[f] != Status::Failed);
                assert!(f < n_firms);
                if leader_size[f] >= leader_at {
                    leaders += 1;
                    if flags[f] & firms::AT_START_LEADER == 0 {
                        leaders_new += 1;
                    }
                }
                cluster_sum += cluster_size[f];
                revenue_total += revenue[f];
            };
            for &f in &firms.active[i] {
                let f = f as usize;
                operating(f);
                // Most active firms are valued below both classes' floors: one compare, and
                // their birth year is not read.
                if value[f] < class_floor {
                    continue;
                }
                let class = class_of(value[f], y as i64 - birth[f] as i64, th);
                match class {
                    Class::Unicorn => unicorns += 1,
                    Class::Potential => potential += 1,
                    Class::None => {}
                }
                if class != Class::None && flags[f] & firms::AT_START_UNICORN == 0 {
                    unicorns_new += 1;
                }
            }
            for list in [&firms.exited[i], &firms.established[i]] {
                for &f in list {
                    operating(f as usize);
                }
            }
            active += firms.active[i].len() as i64;
            if cluster_sum >= th.cluster.1 {
                clusters += 1;
            }
            let base = self.catalogue.industry_yearly(i);
            self.yearly[(base + INY::ActiveFirms as usize) * n + y] = firms.active[i].len() as i64;
            self.yearly[(base + INY::ClusterOutput as usize) * n + y] =
                fen_from_yuan_f64(cluster_sum);
        }

        let mut set = |m: Y, v: i64| self.yearly[m as usize * n + y] = v;
        set(Y::ProjectsLanded, counts.arrivals + counts.relocations);
        set(Y::Relocations, counts.relocations);
        set(Y::LargeArrivals, counts.large_arrivals);
        set(Y::AdditionalRounds, counts.additional_rounds);
        set(Y::AdditionalExits, counts.additional_exits);
        set(Y::AdditionalProjects, counts.additional_projects);
        set(Y::AdditionalTalents, counts.additional_talents);
        set(Y::AdditionalUnicorns, additional_unicorns);
        set(Y::AdditionalChainLeaders, additional_leaders);
        set(Y::Talents, counts.talents);
        set(Y::Financing, financing);
        set(Y::FirmsSupported, newly_supported);
        set(Y::Exits, counts.exits);
        set(Y::Ipos, counts.ipos);
        set(Y::Failures, counts.failures);
        set(Y::ActiveFirms, active);
        set(Y::Unicorns, unicorns);
        set(Y::PotentialUnicorns, potential);
        set(Y::UnicornsInclPotential, unicorns + potential);
        set(Y::UnicornsInclPotentialNew, unicorns_new);
        set(Y::ChainLeaders, leaders);
        set(Y::ChainLeadersNew, leaders_new);
        set(Y::Clusters, clusters);
        set(Y::LocalRevenue, fen_from_yuan_f64(revenue_total));
        set(
            Y::TaxRevenue,
            fen_from_yuan_f64(revenue_total * model.city_tax_rate),
        );
        set(
            Y::AdditionalTaxRevenue,
            fen_from_yuan_f64(additional_revenue * model.city_tax_rate),
        );
        set(Y::ToTreasury, l.to_treasury[y]);
        set(Y::PoolBalance, l.pool_balance[y]);
        set(Y::Mobilised, l.mobilised_program[y]);

        let (mut grants, mut deals, mut loans) = (0, 0, 0);
        let (mut fiscal, mut deployed, mut back, mut holdings) = (0, 0, 0, 0);
        for (k, inst) in model.instruments.iter().enumerate() {
            let i = l.at(k, y);
            match inst.kind.family() {
                Family::Grant => grants += l.deals[i],
                Family::Equity => deals += l.deals[i],
                Family::Loan => loans += l.deals[i],
                Family::Fund | Family::Arrival => {}
            }
            fiscal += l.fiscal[i];
            deployed += l.deployed(k, y);
            back += l.proceeds[i];
            holdings += l.holdings[i];
            let base = Catalogue::instrument_yearly(k);
            use crate::metrics::IY;
            self.yearly[(base + IY::FiscalOutlay as usize) * n + y] = l.fiscal[i];
            self.yearly[(base + IY::Deployed as usize) * n + y] = l.deployed(k, y);
            self.yearly[(base + IY::MoneyBack as usize) * n + y] = l.proceeds[i];
            self.yearly[(base + IY::HoldingsValue as usize) * n + y] = l.holdings[i];
            self.yearly[(base + IY::Deals as usize) * n + y] = l.deals[i];
            self.yearly[(base + IY::Mobilised as usize) * n + y] = l.mobilised[i];
        }
        // The J-curve: money returned to the treasury less fiscal money paid, summed to this year.
        let before = match y {
            0 => 0,
            _ => self.yearly[Y::NetFiscalFlowCum as usize * n + y - 1],
        };
        let mut set = |m: Y, v: i64| self.yearly[m as usize * n + y] = v;
        let cum = before + l.to_treasury[y] - fiscal;
        set(Y::NetFiscalFlowCum, cum);
        set(Y::GrantsAwarded, grants);
        set(Y::EquityDeals, deals);
        set(Y::Conversions, l.conversions[y]);
        set(Y::LoansGuaranteed, loans);
        set(Y::SubsidyUnmet, l.subsidy_unmet[y]);
        set(Y::FundsClosed, l.funds_closed[y]);
        set(Y::FundsLocalInvested, l.funds_local[y]);
        set(Y::FundsOutsideInvested, l.funds_outside[y]);
        set(Y::FundsLocalRecognised, l.funds_recognised[y]);
        set(Y::FanhouShortfall, l.fanhou_shortfall[y]);
        set(Y::FiscalOutlay, fiscal);
        set(Y::Deployed, deployed);
        set(Y::MoneyBack, back);
        set(Y::HoldingsValue, holdings);
        // What the city has made or lost so far, counting what it still holds: the J-curve plus the
        // recycling pool (money back, kept to invest again) and its stakes at their marks. At the
        // horizon it is minus the net fiscal cost.
        set(Y::NetPosition, cum + l.pool_balance[y] + holdings);

        // The treasury's outstanding position at the year's end.
        let (mut principal, mut city_share, mut pending) = (0, 0, 0);
        for &i in self.live.update(&self.positions) {
            let p = &self.positions[i as usize];
            match p.outcome {
                crate::ledger::Outcome::Pending => pending += p.cost,
                crate::ledger::Outcome::Open if p.principal > 0 => {
                    let crate::model::KindModel::Guarantee(g) =
                        &model.instruments[p.instrument].kind
                    else {
                        unreachable!("only guarantees have principal")
                    };
                    principal += p.principal;
                    city_share += g.cover.apply(p.principal);
                }
                _ => {}
            }
        }
        let unfunded: Fen = (self.funds.iter())
            .filter(|f| f.end.is_none() && f.city_out.is_none())
            .map(|f| {
                let crate::model::KindModel::SubFund(fm) = &model.instruments[f.instrument].kind
                else {
                    unreachable!("funds belong to sub-fund programmes")
                };
                f.unfunded(fm)
            })
            .sum();
        let mut set = |m: Y, v: i64| self.yearly[m as usize * n + y] = v;
        set(Y::UnfundedCommitments, unfunded);
        set(Y::GuaranteedPrincipal, principal);
        set(Y::GuaranteedCityShare, city_share);
        set(Y::PendingConvertibles, pending);
    }
}

impl PathSim<'_> {
    /// At the end of year `y`: how many more new (potential) unicorns and new chain leaders the
    /// supported firms are than their shadows, and which of them ever were.
    /// ... and how much more revenue they have (what the policy added or kept, in yuan).
    fn shadows_year_end(&mut self, y: usize) -> (i64, i64, f64) {
        let th = &self.model.thresholds;
        let mut shadows = std::mem::take(&mut self.firms.shadows);
        let live = std::mem::take(&mut self.firms.live_shadows);
        let firms = &self.firms;
        let (mut unicorns, mut leaders, mut revenue) = (0, 0, 0.0);
        // A pruned shadow would add nothing here: its firm and itself neither operate nor are
        // active, so the sums below are the same over the live ones.
        for &n in &live {
            let sh = &mut shadows[n as usize];
            let f = sh.firm as usize;
            let (was_unicorn, was_leader) = (
                firms.flags[f] & firms::AT_START_UNICORN != 0,
                firms.flags[f] & firms::AT_START_LEADER != 0,
            );
            let age = firms.age(f, y);
            let here = firms.local[f];
            let real_unicorn = here
                && !was_unicorn
                && firms.status[f] == Status::Active
                && class_of(firms.value[f], age, th) != Class::None;
            let shadow_unicorn = sh.present
                && !was_unicorn
                && sh.status == Status::Active
                && class_of(sh.value, age, th) != Class::None;
            let size = |revenue: f64, value: f64| match th.chain_leader.0 {
                Measure::Revenue => revenue,
                Measure::Value => value,
            };
            let real_leader = here
                && !was_leader
                && firms.status[f] != Status::Failed
                && size(firms.revenue[f], firms.value[f]) >= th.chain_leader.1;
            let shadow_leader = sh.present
                && !was_leader
                && sh.status != Status::Failed
                && size(sh.revenue, sh.value) >= th.chain_leader.1;
            let operating = |here: bool, status: Status| here && status != Status::Failed;
            if operating(here, firms.status[f]) {
                revenue += firms.revenue[f];
            }
            if operating(sh.present, sh.status) {
                revenue -= sh.revenue;
            }
            unicorns += real_unicorn as i64 - shadow_unicorn as i64;
            leaders += real_leader as i64 - shadow_leader as i64;
            sh.unicorn_ever[0] |= real_unicorn;
            sh.unicorn_ever[1] |= shadow_unicorn;
            sh.leader_ever[0] |= real_leader;
            sh.leader_ever[1] |= shadow_leader;
        }
        self.firms.shadows = shadows;
        self.firms.live_shadows = live;
        self.firms.prune_shadows();
        (unicorns, leaders, revenue)
    }
}

/// The order in which `model`'s instruments act each year, into `order`: the instruments that may
/// spend recycled money first, in their priority order (`recycling.into`); then the others in the
/// order the scenario lists them, talent subsidies last, so that they pay every talent the year
/// brings, those of firms a sub-fund moved to the city included (a talent subsidy cannot spend
/// recycled money: validation refuses one in `recycling.into`).
fn acting_order(model: &Model, order: &mut Vec<usize>) {
    let recycling = &model.program.recycle_into;
    let talent = |k: usize| {
        matches!(
            model.instruments[k].kind,
            crate::model::KindModel::Talent(_)
        )
    };
    let others = (0..model.instruments.len()).filter(|k| !recycling.contains(k));
    order.clear();
    order.extend_from_slice(recycling);
    order.extend(others.clone().filter(|&k| !talent(k)));
    order.extend(others.filter(|&k| talent(k)));
}

/// A firm's size as a threshold measures it.
#[inline]
fn measure(firms: &Firms, f: usize, m: Measure) -> f64 {
    match m {
        Measure::Revenue => firms.revenue[f],
        Measure::Value => firms.value[f],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Unicorn,
    Potential,
    None,
}

/// Unicorn class of an active (unlisted) firm in year `y`: a unicorn if valued at the unicorn
/// threshold within its age limit, else a potential unicorn if valued at the lower threshold within
/// its (smaller) age limit.
#[inline]
fn unicorn_class(firms: &Firms, f: usize, y: usize, th: &ThresholdModel) -> Class {
    class_of(firms.value[f], firms.age(f, y), th)
}

/// Unicorn class of an unlisted firm valued `v` at age `age`.
#[inline]
fn class_of(v: f64, age: i64, th: &ThresholdModel) -> Class {
    if v >= th.unicorn_value && age <= th.unicorn_max_age as i64 {
        Class::Unicorn
    } else if v >= th.potential_value && age <= th.potential_max_age as i64 {
        Class::Potential
    } else {
        Class::None
    }
}
