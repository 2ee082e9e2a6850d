//! `holdings`: the book at the start year, its firms and the city's positions, in the engine's
//! units and against the compiled instruments.

use super::{InstrumentModel, ScenarioFile, fen_of};
use crate::money::Fen;
use crate::scenario::holdings::{BookFirm, BookPosition as P};
use rust_decimal::Decimal;

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
    /// Its name in the book (`deals.csv`'s `book_firm`).
    pub name: String,
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
pub(super) fn book_model(f: &ScenarioFile, instruments: &[InstrumentModel]) -> Option<BookModel> {
    // A book of zero rows is the plain scenario.
    let book = f.book.as_ref().filter(|b| !b.positions.is_empty())?;
    let start = f.time.start_year;
    let k_of = |id: &str| {
        (instruments.iter())
            .position(|i| i.id == id)
            .expect("validated: the book names the scenario's instruments")
    };
    let firms = book.firms.iter().map(|b| firm(b, start)).collect();
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
            position(p, k, start)
        })
        .collect();
    Some(BookModel {
        firms,
        in_cell,
        positions,
        sunk,
    })
}

/// A decimal of the book as f64, 0 if it does not fit.
fn f64_of(d: Decimal) -> f64 {
    rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(0.0)
}

/// The year index of a calendar year of the book (negative before the start year).
fn idx(y: i64, start: i64) -> i32 {
    (y - start) as i32
}

fn firm(b: &BookFirm, start: i64) -> BookFirmModel {
    BookFirmModel {
        name: b.name.clone(),
        industry: b.industry,
        stage: b.stage,
        birth: idx(b.founded, start),
        last_round: idx(b.last_round_year, start),
        value: f64_of(b.post_money),
        revenue: b.revenue.map_or(0.0, f64_of),
    }
}

/// A position of the book held by instrument `k`.
fn position(p: &P, k: usize, start: i64) -> BookPositionModel {
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
            entry: idx(*paid_year, start),
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
            entry: idx(*paid_year, start),
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
            entry: idx(*paid_year, start),
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
            vintage: idx(*vintage, start),
        },
    }
}
