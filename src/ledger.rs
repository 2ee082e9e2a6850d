//! The books of one path: every fen out of the treasury, into firms, back, and where it went.
//!
//! Accounts, all in integer fen so every identity below is exact:
//! - the **treasury** funds instruments (`fiscal`) and receives the returned share of proceeds
//!   (`to_treasury`);
//! - the **pool** receives the recycled share of proceeds (`to_pool`) and funds instruments from the
//!   next year on (`pool_used`);
//! - **instruments** pay out `deployed = fiscal + pool_used` and collect `proceeds`.
//!
//! Conservation, checked by [`Ledger::conservation_error`] and by the property tests:
//! `Σ fiscal + Σ proceeds = Σ deployed + Σ to_treasury + pool balance`, and the pool never goes
//! negative.

use crate::money::Fen;

/// Where a position stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A plain grant: paid, nothing comes back (closed when paid).
    Grant,
    /// A convertible grant waiting for the firm's next round.
    Pending,
    /// Equity held.
    Open,
    Ipo,
    Acquired,
    /// Sold by the instrument's exit rule before the firm exited.
    Sold,
    /// Transferred to the founders at cost plus interest.
    BoughtBack,
    /// The firm failed.
    WrittenOff,
    /// A convertible grant that never converted (window closed, or the firm exited without a round).
    Lapsed,
    /// A guaranteed loan repaid at term.
    Repaid,
    /// A guaranteed loan that defaulted: the city paid its share of the loss.
    Defaulted,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Grant => "grant",
            Outcome::Pending => "pending",
            Outcome::Open => "open",
            Outcome::Ipo => "ipo",
            Outcome::Acquired => "acquired",
            Outcome::Sold => "sold",
            Outcome::BoughtBack => "bought_back",
            Outcome::WrittenOff => "written_off",
            Outcome::Lapsed => "lapsed",
            Outcome::Repaid => "repaid",
            Outcome::Defaulted => "defaulted",
        }
    }

    /// Still held at the end of the horizon.
    pub fn is_live(self) -> bool {
        matches!(self, Outcome::Pending | Outcome::Open)
    }
}

/// Money the city put into a firm, and what became of it. Every instrument's payment is a
/// position, so the books can be checked against them yuan by yuan. A guaranteed loan is a position
/// too: its cost is what the city paid on it (its fee subsidies, and the loss if it defaulted), its
/// proceeds the fees.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub instrument: usize,
    pub firm: u32,
    /// Year index the money went out (negative for positions of the book, paid before the start
    /// year).
    pub entry_year: i32,
    pub cost: Fen,
    /// Principal of a guaranteed loan (0 for other positions).
    pub principal: Fen,
    /// Share of the firm held (0 for grants and unconverted convertibles).
    pub stake: f64,
    /// The firm's retention factor when the stake was taken; the stake now is
    /// `stake · retention_now / retention_entry`.
    pub retention_entry: f64,
    /// Year a convertible grant became equity.
    pub converted_year: Option<usize>,
    /// Whether the founders have already been offered a buy-back.
    pub buyback_offered: bool,
    pub outcome: Outcome,
    pub proceeds: Fen,
    /// Year the position ended (the payment year for a grant).
    pub exit_year: Option<usize>,
    /// Year the firm listed, while the stake is being sold in tranches after the lock-up.
    pub listed_year: Option<usize>,
    /// Share of the stake held at listing already sold.
    pub sold: f64,
    /// Year in which the sale of a state-held stake through an exchange pays, once decided.
    pub transfer_due: Option<usize>,
}

impl Position {
    /// A payment of `cost` by instrument `k` to `firm` in year `y`, before any equity.
    pub fn paid(k: usize, firm: u32, y: usize, cost: Fen, outcome: Outcome) -> Self {
        Position {
            instrument: k,
            firm,
            entry_year: y as i32,
            cost,
            principal: 0,
            stake: 0.0,
            retention_entry: 1.0,
            converted_year: None,
            buyback_offered: false,
            outcome,
            proceeds: 0,
            exit_year: (outcome == Outcome::Grant).then_some(y),
            listed_year: None,
            sold: 0.0,
            transfer_due: None,
        }
    }
}

/// Per instrument and year, plus the program's pool and treasury flows.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub n_years: usize,
    pub n_instruments: usize,
    /// `[k * n_years + y]`: fiscal money drawn by instrument `k` in year `y`.
    pub fiscal: Vec<Fen>,
    /// Pooled (recycled) money spent by instrument `k` in year `y`.
    pub pool_used: Vec<Fen>,
    /// Proceeds collected by instrument `k` in year `y`.
    pub proceeds: Vec<Fen>,
    /// Private money in the rounds instrument `k` joined in year `y`.
    pub mobilised: Vec<Fen>,
    /// Deals (grants or investments) made by instrument `k` in year `y`.
    pub deals: Vec<i64>,
    /// Value of instrument `k`'s open positions at the end of year `y` (after the haircut).
    pub holdings: Vec<Fen>,
    /// `[y]`: recycled share of the year's proceeds.
    pub to_pool: Vec<Fen>,
    /// Returned share of the year's proceeds.
    pub to_treasury: Vec<Fen>,
    /// Pool balance at the end of year `y`.
    pub pool_balance: Vec<Fen>,
    /// Private money in all rounds the city joined in year `y`, each round counted once, plus the
    /// bank loans it guaranteed.
    pub mobilised_program: Vec<Fen>,
    /// Convertible grants that became equity in year `y`.
    pub conversions: Vec<i64>,
    /// Subsidy claims (after caps) that the budgets could not pay in year `y`.
    pub subsidy_unmet: Vec<Fen>,
    /// Sub-funds that reached their close in year `y`.
    pub funds_closed: Vec<i64>,
    /// Sub-funds' investments in local firms in year `y` (返投).
    pub funds_local: Vec<Fen>,
    /// Sub-funds' investments in firms outside the city in year `y`.
    pub funds_outside: Vec<Fen>,
    /// Sub-funds' investment recognised toward 返投 in year `y` (under their recognition rule).
    pub funds_recognised: Vec<Fen>,
    /// Principal of the loans guaranteed in year `y`.
    pub loans_made: Vec<Fen>,
    /// 返投 still missing at the end of funds' investment periods in year `y`.
    pub fanhou_shortfall: Vec<Fen>,
    /// Per instrument: the balance of its risk-compensation pool (guarantees with one).
    pub risk_pool: Vec<Fen>,
    /// Per instrument: whether its pool has been funded.
    pub risk_pool_funded: Vec<bool>,
    /// `[k * n_years + y]`: what instrument `k`'s pool paid in year `y`.
    pub risk_pool_paid: Vec<Fen>,
    /// Per instrument: money invested in firms (equity, convertible grants, prizes, funds' deals),
    /// and the part invested in firms in their first two stages.
    pub invested: Vec<Fen>,
    pub invested_early: Vec<Fen>,
}

impl Ledger {
    pub fn reset(&mut self, n_instruments: usize, n_years: usize) {
        self.n_years = n_years;
        self.n_instruments = n_instruments;
        let per = n_instruments * n_years;
        for v in [
            &mut self.fiscal,
            &mut self.pool_used,
            &mut self.proceeds,
            &mut self.mobilised,
            &mut self.deals,
            &mut self.holdings,
            &mut self.risk_pool_paid,
        ] {
            v.clear();
            v.resize(per, 0);
        }
        for v in [
            &mut self.to_pool,
            &mut self.to_treasury,
            &mut self.pool_balance,
            &mut self.mobilised_program,
            &mut self.conversions,
            &mut self.subsidy_unmet,
            &mut self.funds_closed,
            &mut self.funds_local,
            &mut self.funds_outside,
            &mut self.funds_recognised,
            &mut self.loans_made,
            &mut self.fanhou_shortfall,
        ] {
            v.clear();
            v.resize(n_years, 0);
        }
        self.reset_accounts(n_instruments);
    }

    /// Clears the per-instrument accounts that are not yearly.
    fn reset_accounts(&mut self, n_instruments: usize) {
        self.risk_pool.clear();
        self.risk_pool.resize(n_instruments, 0);
        self.risk_pool_funded.clear();
        self.risk_pool_funded.resize(n_instruments, false);
        for v in [&mut self.invested, &mut self.invested_early] {
            v.clear();
            v.resize(n_instruments, 0);
        }
    }

    /// Instrument `k` invested `amount` in a firm in stage `stage`.
    pub fn invest_in(&mut self, k: usize, stage: usize, amount: Fen) {
        self.invested[k] += amount;
        if stage <= 1 {
            self.invested_early[k] += amount;
        }
    }

    #[inline]
    pub fn at(&self, k: usize, y: usize) -> usize {
        k * self.n_years + y
    }

    /// Total over years of an instrument's series.
    pub fn total(series: &[Fen], k: usize, n_years: usize) -> Fen {
        series[k * n_years..(k + 1) * n_years].iter().sum()
    }

    /// Program total of a per-instrument series in year `y`.
    pub fn year_total(&self, series: &[Fen], y: usize) -> Fen {
        (0..self.n_instruments).map(|k| series[self.at(k, y)]).sum()
    }

    pub fn deployed(&self, k: usize, y: usize) -> Fen {
        let i = self.at(k, y);
        self.fiscal[i] + self.pool_used[i]
    }

    /// The pool balance after the last year.
    pub fn final_pool(&self) -> Fen {
        self.pool_balance.last().copied().unwrap_or(0)
    }

    /// How far the books are from balancing (0 when cash is conserved), and the first year in which
    /// the pool went negative, if any.
    pub fn conservation_error(&self) -> (Fen, Option<usize>) {
        let fiscal: Fen = self.fiscal.iter().sum();
        let proceeds: Fen = self.proceeds.iter().sum();
        let deployed: Fen = self.fiscal.iter().sum::<Fen>() + self.pool_used.iter().sum::<Fen>();
        let to_treasury: Fen = self.to_treasury.iter().sum();
        let error = fiscal + proceeds - deployed - to_treasury - self.final_pool();
        let mut balance = 0;
        let mut negative = None;
        for y in 0..self.n_years {
            balance += self.to_pool[y] - self.year_total(&self.pool_used, y);
            if balance < 0 && negative.is_none() {
                negative = Some(y);
            }
            if balance != self.pool_balance[y] && negative.is_none() {
                // A pool balance that disagrees with its flows is as bad as a negative one.
                negative = Some(y);
            }
        }
        (error, negative)
    }
}

/// The indices of a path's positions that may still be live ([`Outcome::is_live`]), in position
/// order. Most positions close in the year they open (a grant, a subsidy paid) or some years later,
/// and the yearly passes over open ones (settling, marking, the treasury's outstanding money) visit
/// these instead of every position ever taken: the same positions in the same order. Only
/// [`crate::instruments::settle`] closes positions, and it drops them from the list when done.
#[derive(Debug, Clone, Default)]
pub struct LivePositions {
    ids: Vec<u32>,
    /// Positions examined so far: those after it were added since the last [`LivePositions::update`].
    seen: usize,
}

impl LivePositions {
    pub fn clear(&mut self) {
        self.ids.clear();
        self.seen = 0;
    }

    /// Takes in the live positions added since the last call (positions are only ever appended)
    /// and lists them all.
    pub fn update(&mut self, positions: &[Position]) -> &[u32] {
        let new = positions.get(self.seen..).unwrap_or_default();
        for (i, p) in (self.seen..).zip(new) {
            if p.outcome.is_live() {
                self.ids.push(i as u32);
            }
        }
        self.seen = positions.len();
        &self.ids
    }

    /// Drops the positions no longer live: once a year, after settling closes some.
    pub fn retain_live(&mut self, positions: &[Position]) {
        self.ids
            .retain(|&i| positions[i as usize].outcome.is_live());
    }
}
