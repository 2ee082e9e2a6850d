//! A fund's book at the start year: the positions a programme already holds (`holdings =
//! "book.csv"` in a scenario), read from a CSV as a spreadsheet exports it.
//!
//! One row per position, its columns by name (any order; a column no row needs may be left out;
//! an empty cell is "not given"; a value in a cell past the header's columns is refused):
//!
//! | column | rows | meaning |
//! |---|---|---|
//! | `instrument` | all | id of one of the scenario's instruments; its kind says what the row is |
//! | `firm` | firm rows | the firm's name (rows naming the same firm of the same industry are one firm) |
//! | `industry`, `stage` | firm rows | the firm's industry id and its current stage |
//! | `founded` | firm rows | year of founding (its age sets its hazards and the unicorn age limit) |
//! | `last_round_year`, `post_money` | firm rows | its last round: year and post-money (the mark, and its staleness) |
//! | `revenue` | firm rows | its yearly revenue, where the industry models revenue |
//! | `stake` | equity | the share of the firm the city holds (`"8%"` or `0.08`); a firm's stakes over all its equity rows and instruments add up to at most 100% |
//! | `paid`, `paid_year` | equity, 拨投, loans | what the city paid and when (for a loan: `paid_year` is the year it was made) |
//! | `principal` | loans | outstanding principal of a guaranteed loan |
//! | `commitment`, `called`, `distributed`, `nav`, `vintage` | sub-funds | the city's commitment, what the fund has called and distributed to the city so far, the city's share of its reported NAV, the year of its close |
//!
//! What a row is follows from its instrument: `direct_equity`, `co_investment` and `prize_equity`
//! rows are equity stakes; `convertible_grant` rows are grants paid and not yet converted (拨投
//! pending); `guarantee` rows are outstanding guaranteed loans; `sub_fund` rows are the city's
//! interest in a partner fund. Grants, subsidies, incentives and allowances leave no position to
//! simulate and are refused. Money is yuan and may be written with 万/亿 as in the scenario, or
//! in scientific notation as a spreadsheet exports it (`8.00E+08`, yuan); a bare amount (no unit)
//! that is not 0 must be at least 10,000 yuan, as a per-firm amount of a scenario file. A year
//! may be written `2021.0`.
//! Every cell is checked; a problem names the file, the row's line, the column, the value and what
//! is allowed.

use crate::money::{
    Bare, Money, Rate, has_unit, parse_exported_money, parse_exported_whole, parse_rate,
};
use crate::scenario::ScenarioFile;
use crate::scenario::locate::{Diagnostic, csv_record_start};
use crate::scenario::validate::small_bare_amount;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Whether a header names a column of remarks, not read: `note`, `notes`, `comment`, `备注`,
/// `说明`, or any header starting with `#` (an export's own columns can be kept so).
fn is_note(header: &str) -> bool {
    let h = header.trim();
    h.starts_with('#')
        || ["note", "notes", "comment", "comments", "备注", "说明"]
            .iter()
            .any(|n| h.eq_ignore_ascii_case(n))
}

/// At most this many rows: each is a firm or a fund simulated on every path.
pub const MAX_ROWS: usize = 100_000;

/// The book, validated against its scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    /// The file as the scenario names it (resolved), for messages and `run.json`.
    pub path: String,
    /// SHA-256 of the file's bytes, lowercase hex (`run.json`).
    pub sha256: String,
    pub firms: Vec<BookFirm>,
    pub positions: Vec<BookPosition>,
}

/// A firm the book holds something in.
#[derive(Debug, Clone, PartialEq)]
pub struct BookFirm {
    pub name: String,
    /// Index into the scenario's industries.
    pub industry: usize,
    /// Index into the industry's stages.
    pub stage: usize,
    pub founded: i64,
    pub last_round_year: i64,
    /// Yuan.
    pub post_money: Decimal,
    pub revenue: Option<Decimal>,
}

/// What the row holds; `instrument` is the instrument's id, `firm` an index into [`Book::firms`],
/// amounts in yuan, years calendar years.
#[derive(Debug, Clone, PartialEq)]
pub enum BookPosition {
    Equity {
        instrument: String,
        firm: usize,
        stake: Decimal,
        paid: Decimal,
        paid_year: i64,
    },
    Convertible {
        instrument: String,
        firm: usize,
        paid: Decimal,
        paid_year: i64,
    },
    Loan {
        instrument: String,
        firm: usize,
        principal: Decimal,
        paid_year: i64,
    },
    Fund {
        instrument: String,
        commitment: Decimal,
        called: Decimal,
        distributed: Decimal,
        nav: Decimal,
        vintage: i64,
    },
}

impl BookPosition {
    pub fn instrument(&self) -> &str {
        match self {
            BookPosition::Equity { instrument, .. }
            | BookPosition::Convertible { instrument, .. }
            | BookPosition::Loan { instrument, .. }
            | BookPosition::Fund { instrument, .. } => instrument,
        }
    }

    /// Money the city paid before the start year for this position (sunk): the equity or grant
    /// paid, the fund's calls; a guaranteed loan's principal was the bank's, so nothing.
    pub fn sunk(&self) -> Decimal {
        match self {
            BookPosition::Equity { paid, .. } | BookPosition::Convertible { paid, .. } => *paid,
            BookPosition::Loan { .. } => Decimal::ZERO,
            BookPosition::Fund { called, .. } => *called,
        }
    }
}

const COLUMNS: [&str; 17] = [
    "instrument",
    "firm",
    "industry",
    "stage",
    "founded",
    "last_round_year",
    "post_money",
    "revenue",
    "stake",
    "paid",
    "paid_year",
    "principal",
    "commitment",
    "called",
    "distributed",
    "nav",
    "vintage",
];
const FIRM_COLUMNS: [&str; 7] = [
    "firm",
    "industry",
    "stage",
    "founded",
    "last_round_year",
    "post_money",
    "revenue",
];

#[derive(Clone, Copy, PartialEq)]
enum RowKind {
    Equity,
    Convertible,
    Loan,
    Fund,
}

impl RowKind {
    fn of(kind: &str) -> Option<RowKind> {
        match kind {
            "direct_equity" | "co_investment" | "prize_equity" => Some(RowKind::Equity),
            "convertible_grant" => Some(RowKind::Convertible),
            "guarantee" => Some(RowKind::Loan),
            "sub_fund" => Some(RowKind::Fund),
            _ => None,
        }
    }

    /// The columns a row of this kind reads besides `instrument`; required unless optional.
    fn columns(self) -> &'static [&'static str] {
        match self {
            RowKind::Equity => &[
                "firm",
                "industry",
                "stage",
                "founded",
                "last_round_year",
                "post_money",
                "revenue",
                "stake",
                "paid",
                "paid_year",
            ],
            RowKind::Convertible => &[
                "firm",
                "industry",
                "stage",
                "founded",
                "last_round_year",
                "post_money",
                "revenue",
                "paid",
                "paid_year",
            ],
            RowKind::Loan => &[
                "firm",
                "industry",
                "stage",
                "founded",
                "last_round_year",
                "post_money",
                "revenue",
                "principal",
                "paid_year",
            ],
            RowKind::Fund => &["commitment", "called", "distributed", "nav", "vintage"],
        }
    }

    fn name(self) -> &'static str {
        match self {
            RowKind::Equity => "an equity stake",
            RowKind::Convertible => "a convertible grant (拨投) not yet converted",
            RowKind::Loan => "a guaranteed loan",
            RowKind::Fund => "a sub-fund interest",
        }
    }
}

/// Why the book cannot be used (bad input, exit 2).
#[derive(Debug)]
pub enum BookError {
    Io(String),
    Invalid(Vec<Diagnostic>),
}

/// One record's text and where its fields start, for located messages.
struct Located<'a> {
    file: &'a str,
    text: &'a str,
    /// Byte offset of the record in `text`.
    start: usize,
    /// Byte offsets of each field within the record (unquoted records; else all at 0).
    fields: Vec<usize>,
    end: usize,
}

impl Located<'_> {
    fn diag(&self, field: Option<usize>, key: &str, message: String) -> Diagnostic {
        let at = field.and_then(|i| self.fields.get(i).copied()).unwrap_or(0);
        let from = (self.start + at).min(self.end);
        // To the end of the field (the next field's comma), else of the line.
        let to = field
            .and_then(|i| self.fields.get(i + 1))
            .map_or(self.end, |&next| {
                (self.start + next).saturating_sub(1).min(self.end)
            });
        let to = if to > from { to } else { self.end.max(from) };
        Diagnostic::new(self.file, self.text, from..to, key.to_string(), message)
    }
}

/// Reads and validates the book at `path` (named `shown` in messages) against `file`.
pub fn read(path: &std::path::Path, shown: &str, file: &ScenarioFile) -> Result<Book, BookError> {
    // 100,000 rows of a few hundred bytes each at most.
    let bytes = crate::scenario::load::read_limited(path, 64 << 20).map_err(|e| {
        BookError::Io(format!(
            "error: {shown}: cannot read the holdings file: {e}"
        ))
    })?;
    let sha256: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        BookError::Io(format!(
            "error: {shown}: the holdings file is not UTF-8 (byte {}): save it as CSV UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(shown, &text, file).map(|b| Book { sha256, ..b })
}

/// [`read`] on text already in memory.
pub fn parse(shown: &str, text: &str, file: &ScenarioFile) -> Result<Book, BookError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(r) => records.push(r),
            Err(e) => {
                let at = e.position().map_or(0, |p| p.byte() as usize) + bom;
                let (at, _) = csv_record_start(text, at);
                let located = Located {
                    file: shown,
                    text,
                    start: at,
                    fields: vec![],
                    end: line_end(text, at),
                };
                diags.push(located.diag(None, "", format!("not a CSV row: {e}")));
                return Err(BookError::Invalid(diags));
            }
        }
    }
    // A record's text and line (the reader's own position lags behind CRLF and blank lines).
    let locate = |r: &csv::StringRecord| -> (Located<'_>, usize) {
        let (start, line) =
            csv_record_start(text, r.position().map_or(0, |p| p.byte() as usize) + bom);
        let end = line_end(text, start);
        let raw = &text[start..end];
        // Field offsets for unquoted rows (the common export); quoted rows point at their start.
        let fields = if raw.contains('"') {
            vec![0; r.len()]
        } else {
            let mut at = 0;
            raw.split(',')
                .map(|f| {
                    let o = at;
                    at += f.len() + 1;
                    o
                })
                .collect()
        };
        let located = Located {
            file: shown,
            text,
            start,
            fields,
            end,
        };
        (located, line)
    };
    let Some(header) = records.first() else {
        // An empty file is an empty book.
        return Ok(Book {
            path: shown.to_string(),
            ..Book::default()
        });
    };
    let (h, _) = locate(header);
    let mut column: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        if is_note(name) {
            // The fund's own remarks (a fund's name, a deal's reference): kept in the file, read
            // by no one here.
            continue;
        }
        if !COLUMNS.contains(&name) {
            diags.push(h.diag(
                Some(i),
                name,
                format!(
                    "unknown column \"{name}\": allowed are {}, and notes (a column headed note, 备注 or starting with #, which is not read)",
                    COLUMNS.join(", ")
                ),
            ));
        } else if column
            .insert(COLUMNS[COLUMNS.iter().position(|c| *c == name).unwrap()], i)
            .is_some()
        {
            diags.push(h.diag(Some(i), name, format!("column \"{name}\" appears twice")));
        }
    }
    if !column.contains_key("instrument") {
        diags.push(h.diag(
            None,
            "instrument",
            "the header has no instrument column: every row names the instrument that holds the position".into(),
        ));
    }
    if !diags.is_empty() {
        return Err(BookError::Invalid(diags));
    }
    if records.len() - 1 > MAX_ROWS {
        return Err(BookError::Invalid(vec![h.diag(
            None,
            "",
            format!(
                "{} rows: at most {MAX_ROWS} positions (each is simulated on every path)",
                records.len() - 1
            ),
        )]));
    }

    let start = file.time.start_year;
    let kinds: HashMap<&str, &str> = (file.instruments.common().into_iter())
        .map(|c| (c.id, c.kind))
        .collect();
    let mut book = Book {
        path: shown.to_string(),
        ..Book::default()
    };
    // (industry, name) → (firm index, the line and the record of the row that first described it).
    let mut firm_ids: HashMap<(usize, String), (usize, usize, usize)> = HashMap::new();
    // Per firm, its equity stakes over all instruments: (stake, line, record), in row order.
    let mut stakes: std::collections::BTreeMap<usize, Vec<(Decimal, usize, usize)>> =
        std::collections::BTreeMap::new();
    let issues = std::cell::RefCell::new(diags);
    for (r, record) in records.iter().enumerate().skip(1) {
        let (at, line) = locate(record);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue; // a blank line of a spreadsheet export
        }
        // A value past the header's last column has no name: it would be dropped unread. (Empty
        // cells there, the trailing commas of some exports, carry nothing.)
        let extra = (header.len()..record.len()).filter(|&i| !record[i].trim().is_empty());
        for i in extra {
            issues.borrow_mut().push(at.diag(
                Some(i),
                &format!("column {}", i + 1),
                format!(
                    "\"{}\" is in column {}, past the header's {} columns: name the column in the header, or leave the cell empty",
                    record[i].trim(),
                    i + 1,
                    header.len()
                ),
            ));
        }
        let cell = |name: &str| -> Option<(usize, &str)> {
            let i = *column.get(name)?;
            let v = record.get(i)?.trim();
            (!v.is_empty()).then_some((i, v))
        };
        let bad = |name: &str, message: String| {
            let i = column.get(name).copied();
            issues.borrow_mut().push(at.diag(i, name, message));
        };
        let Some((_, id)) = cell("instrument") else {
            bad(
                "instrument",
                "empty: name the instrument that holds the position".into(),
            );
            continue;
        };
        let Some(kind) = kinds.get(id).copied() else {
            let mut known: Vec<&str> = kinds.keys().copied().collect();
            known.sort_unstable();
            bad(
                "instrument",
                format!(
                    "\"{id}\" is not an instrument of the scenario: allowed are {}",
                    known.join(", ")
                ),
            );
            continue;
        };
        if kind == "guarantee"
            && (file.instruments.guarantee.iter()).any(|g| g.id == id && g.risk_pool.is_some())
        {
            bad(
                "instrument",
                format!(
                    "\"{id}\" has a risk-compensation pool: the book cannot carry its loans yet (the pool's balance at the start year is not in the book); hold them under a guarantee programme without a pool"
                ),
            );
            continue;
        }
        let Some(row) = RowKind::of(kind) else {
            bad(
                "instrument",
                format!(
                    "\"{id}\" is a {kind}: money it paid leaves no position to simulate; leave the row out (equity, 拨投 grants not yet converted, guaranteed loans and sub-fund interests are held)"
                ),
            );
            continue;
        };
        for name in COLUMNS.iter().skip(1) {
            if !row.columns().contains(name)
                && let Some((_, v)) = cell(name)
            {
                bad(
                    name,
                    format!(
                        "\"{v}\" is not used for {} (instrument {id}): leave it empty (a name or remark can go in a note column, headed note or 备注)",
                        row.name()
                    ),
                );
            }
        }
        let money = |name: &str, positive: bool| -> Option<Decimal> {
            let Some((_, v)) = cell(name) else {
                bad(name, format!("missing: {} needs {name}", row.name()));
                return None;
            };
            match parse_exported_money(v) {
                Ok(m) if m > Decimal::ZERO || (!positive && m == Decimal::ZERO) => {
                    // A firm's valuation or a fund's amounts written 8 are as likely 8亿 as 8万;
                    // a stake's payment, a loan or a revenue is 万 far more often.
                    let meant: &[&str] = match name {
                        "paid" | "principal" | "revenue" => &["万"],
                        _ => &["亿", "万"],
                    };
                    let written = Money(m, Bare(!has_unit(v)));
                    if m > Decimal::from(crate::scenario::validate::MAX_YUAN) {
                        bad(name, format!("amount {v} is too large: at most 1e15 yuan"));
                        None
                    } else if let Some(problem) = small_bare_amount(&written, meant) {
                        bad(name, problem);
                        None
                    } else {
                        Some(m)
                    }
                }
                Ok(_) => {
                    let allowed = if positive { "more than 0" } else { "0 or more" };
                    bad(
                        name,
                        format!("amount {v} is not allowed: must be {allowed}"),
                    );
                    None
                }
                Err(_) => {
                    bad(
                        name,
                        format!(
                            "\"{v}\" is not an amount: write yuan, or with 万/亿 (\"200万\", \"1.5亿\")"
                        ),
                    );
                    None
                }
            }
        };
        let year = |name: &str, lo: i64, hi: i64, what: &str| -> Option<i64> {
            let Some((_, v)) = cell(name) else {
                bad(name, format!("missing: {} needs {name}", row.name()));
                return None;
            };
            match parse_exported_whole(v) {
                Some(y) if (lo..=hi).contains(&y) => Some(y),
                _ => {
                    bad(
                        name,
                        format!("\"{v}\" is not allowed: a year from {lo} to {hi} ({what})"),
                    );
                    None
                }
            }
        };
        match row {
            RowKind::Fund => {
                let commitment = money("commitment", true);
                let called = money("called", false);
                let distributed = money("distributed", false);
                let nav = money("nav", false);
                let vintage = year(
                    "vintage",
                    start - 50,
                    start - 1,
                    "the fund closed before the start year",
                );
                if let (Some(c), Some(k)) = (commitment, called)
                    && k > c
                {
                    let shown = |n: &str| cell(n).map_or("", |(_, v)| v).to_string();
                    bad(
                        "called",
                        format!(
                            "{} called is more than the commitment of {}: a fund calls at most what was committed",
                            shown("called"),
                            shown("commitment")
                        ),
                    );
                    continue;
                }
                if let (
                    Some(commitment),
                    Some(called),
                    Some(distributed),
                    Some(nav),
                    Some(vintage),
                ) = (commitment, called, distributed, nav, vintage)
                {
                    book.positions.push(BookPosition::Fund {
                        instrument: id.to_string(),
                        commitment,
                        called,
                        distributed,
                        nav,
                        vintage,
                    });
                }
            }
            _ => {
                // The firm.
                let name = cell("firm").map(|(_, v)| v.to_string());
                if name.is_none() {
                    bad(
                        "firm",
                        format!("missing: {} needs the firm's name", row.name()),
                    );
                }
                // A name among `options`, or a located message that lists them.
                let choose = |column: &str, unknown: &str, options: &[&str]| -> Option<usize> {
                    let Some((_, v)) = cell(column) else {
                        bad(
                            column,
                            format!("missing: {} needs the firm's {column}", row.name()),
                        );
                        return None;
                    };
                    let found = options.iter().position(|o| *o == v);
                    if found.is_none() {
                        bad(
                            column,
                            format!(
                                "unknown {unknown} \"{v}\": allowed are {}",
                                options.join(", ")
                            ),
                        );
                    }
                    found
                };
                let ids: Vec<&str> = file.industries.iter().map(|i| i.id.as_str()).collect();
                let industry = choose("industry", "industry", &ids);
                let stage = industry.and_then(|i| {
                    let ind = &file.industries[i];
                    let names: Vec<&str> = ind.stages.iter().map(|s| s.name.as_str()).collect();
                    choose("stage", &format!("stage of industry {}", ind.id), &names)
                });
                let founded = year(
                    "founded",
                    start - 100,
                    start - 1,
                    "founded before the start year (its last round came before it)",
                );
                let last = year(
                    "last_round_year",
                    founded.unwrap_or(start - 100),
                    start - 1,
                    "the last round before the start year, not before the firm was founded",
                );
                let post_money = money("post_money", true);
                let models_revenue =
                    industry.is_some_and(|i| file.industries[i].entry.revenue.is_some());
                let revenue = match (cell("revenue").is_some(), models_revenue) {
                    (true, _) => money("revenue", false),
                    (false, true) => {
                        bad(
                            "revenue",
                            format!(
                                "missing: industry {} models revenue, so its firms need revenue",
                                file.industries[industry.unwrap()].id
                            ),
                        );
                        None
                    }
                    (false, false) => None,
                };
                let firm = match (name, industry, stage, founded, last, post_money) {
                    (
                        Some(name),
                        Some(industry),
                        Some(stage),
                        Some(founded),
                        Some(last),
                        Some(post_money),
                    ) if revenue.is_some() || !models_revenue => {
                        let f = BookFirm {
                            name: name.clone(),
                            industry,
                            stage,
                            founded,
                            last_round_year: last,
                            post_money,
                            revenue,
                        };
                        match firm_ids.get(&(industry, name.clone())) {
                            Some(&(j, first, r0)) if book.firms[j] != f => {
                                // The first column that differs, with the cell of each row.
                                let differs = first_difference(&book.firms[j], &f);
                                let there = (column.get(differs))
                                    .and_then(|&i| records[r0].get(i))
                                    .map_or("", str::trim);
                                let here = cell(differs).map_or("", |(_, v)| v);
                                let shown = |v: &str| {
                                    if v.is_empty() {
                                        "empty".to_string()
                                    } else {
                                        format!("\"{v}\"")
                                    }
                                };
                                bad(
                                    differs,
                                    format!(
                                        "firm \"{name}\" is described differently on line {first}: {differs} is {} here and {} there; rows naming one firm of one industry must agree on {}",
                                        shown(here),
                                        shown(there),
                                        FIRM_COLUMNS[2..].join(", ")
                                    ),
                                );
                                None
                            }
                            Some(&(j, _, _)) => Some(j),
                            None => {
                                book.firms.push(f);
                                let j = book.firms.len() - 1;
                                firm_ids.insert((industry, name), (j, line, r));
                                Some(j)
                            }
                        }
                    }
                    _ => None,
                };
                let paid_year = year(
                    "paid_year",
                    founded.unwrap_or(start - 100),
                    start - 1,
                    "paid before the start year, not before the firm was founded",
                );
                let position = match row {
                    RowKind::Equity => {
                        let stake = match cell("stake") {
                            None => {
                                bad(
                                    "stake",
                                    "missing: an equity stake needs the share of the firm held"
                                        .into(),
                                );
                                None
                            }
                            Some((_, v)) => match parse_rate(v) {
                                Ok(s) if s > Decimal::ZERO && s <= Decimal::ONE => Some(s),
                                _ => {
                                    bad(
                                        "stake",
                                        format!(
                                            "\"{v}\" is not a share of the firm: allowed is more than 0 and at most 1 (or \"0.5%\" to \"100%\"){}",
                                            parse_rate(v).map_or(String::new(), |r| {
                                                super::validate::percent_slip(&Rate(r))
                                            })
                                        ),
                                    );
                                    None
                                }
                            },
                        };
                        if let (Some(firm), Some(stake)) = (firm, stake) {
                            stakes.entry(firm).or_default().push((stake, line, r));
                        }
                        let paid = money("paid", false);
                        match (firm, stake, paid, paid_year) {
                            (Some(firm), Some(stake), Some(paid), Some(paid_year)) => {
                                Some(BookPosition::Equity {
                                    instrument: id.to_string(),
                                    firm,
                                    stake,
                                    paid,
                                    paid_year,
                                })
                            }
                            _ => None,
                        }
                    }
                    RowKind::Convertible => match (firm, money("paid", true), paid_year) {
                        // A window that ends in the start year is still open: the grant converts at
                        // a round that year and lapses only without one (`instruments::settle`).
                        (Some(_), Some(_), Some(y))
                            if window_of(file, id).is_some_and(|w| y.saturating_add(w) < start) =>
                        {
                            bad(
                                "paid_year",
                                format!(
                                    "{y}: the grant's conversion window of {} years ended before {start}; a grant that lapsed leaves nothing to hold, leave the row out",
                                    window_of(file, id).unwrap_or(0)
                                ),
                            );
                            None
                        }
                        (Some(firm), Some(paid), Some(paid_year)) => {
                            Some(BookPosition::Convertible {
                                instrument: id.to_string(),
                                firm,
                                paid,
                                paid_year,
                            })
                        }
                        _ => None,
                    },
                    RowKind::Loan => match (firm, money("principal", true), paid_year) {
                        // A loan due in the start year is still outstanding: it may default that year,
                        // else it is repaid (`guarantee::settle_loan`).
                        (Some(_), Some(_), Some(y))
                            if y.saturating_add(loan_term(file, id)) < start =>
                        {
                            bad(
                                "paid_year",
                                format!(
                                    "{y}: the programme's loans run {} years, so this one was repaid before {start}; leave the row out",
                                    loan_term(file, id)
                                ),
                            );
                            None
                        }
                        (Some(firm), Some(principal), Some(paid_year)) => {
                            Some(BookPosition::Loan {
                                instrument: id.to_string(),
                                firm,
                                principal,
                                paid_year,
                            })
                        }
                        _ => None,
                    },
                    RowKind::Fund => unreachable!("handled above"),
                };
                book.positions.extend(position);
            }
        }
    }
    let mut diags = issues.into_inner();
    // The city cannot hold more than the whole firm, however its stakes are split over rows and
    // instruments (a row repeated by mistake would pay out again). Located at the row that takes
    // the total past 100%.
    for (firm, rows) in &stakes {
        let total: Decimal = rows.iter().map(|(s, _, _)| *s).sum();
        if total <= Decimal::ONE {
            continue;
        }
        let mut running = Decimal::ZERO;
        let &(_, _, over) = (rows.iter())
            .find(|(s, _, _)| {
                running += *s;
                running > Decimal::ONE
            })
            .expect("the total is over 100%");
        let each: Vec<String> = (rows.iter())
            .map(|(s, line, _)| format!("{} on line {line}", percent(*s)))
            .collect();
        let f = &book.firms[*firm];
        let (at, _) = locate(&records[over]);
        diags.push(at.diag(
            column.get("stake").copied(),
            "stake",
            format!(
                "firm \"{}\" (industry {}) is held in stakes that add up to {} ({}): allowed is at most 100% of a firm in all, over every equity row and instrument; list each stake once",
                f.name,
                file.industries[f.industry].id,
                percent(total),
                each.join(", ")
            ),
        ));
    }
    if diags.is_empty() {
        Ok(book)
    } else {
        Err(BookError::Invalid(diags))
    }
}

/// A share as a percentage, as a spreadsheet shows it (`0.085` → `8.5%`).
fn percent(share: Decimal) -> String {
    format!("{}%", (share * Decimal::ONE_HUNDRED).normalize())
}

/// The first column of [`FIRM_COLUMNS`] in which two descriptions of one firm (same name and
/// industry) differ.
fn first_difference(a: &BookFirm, b: &BookFirm) -> &'static str {
    if a.stage != b.stage {
        "stage"
    } else if a.founded != b.founded {
        "founded"
    } else if a.last_round_year != b.last_round_year {
        "last_round_year"
    } else if a.post_money != b.post_money {
        "post_money"
    } else {
        debug_assert!(a.revenue != b.revenue, "called on firms that differ");
        "revenue"
    }
}

/// The byte offset of the end of the line starting at `at` (without its line break).
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].find(['\n', '\r']).map_or(text.len(), |n| at + n)
}

/// The conversion window of convertible-grant programme `id`, in years, if it has one.
fn window_of(file: &ScenarioFile, id: &str) -> Option<i64> {
    (file.instruments.convertible_grant.iter())
        .find(|c| c.id == id)
        .and_then(|c| c.conversion_window_years)
}

/// The loan term of guarantee programme `id`, in years.
fn loan_term(file: &ScenarioFile, id: &str) -> i64 {
    (file.instruments.guarantee.iter())
        .find(|g| g.id == id)
        .map_or(0, |g| g.term_years)
}
