//! `[instruments]`: what every instrument has (id, budget, focus, effect), the checks its kinds
//! share, and the kinds with few terms: grants, convertible grants, prize equity, direct equity,
//! guarantees and co-investment. Subsidies and sub-funds have their own files.

use super::*;

/// Most guaranteed loans a programme may make in a year (each is a position of the books).
const MAX_LOANS_PER_YEAR: i64 = 100_000;

/// What every instrument has, kind by kind: a unique id, a budget within the simulated years, the
/// industries and stages it reaches, and its effect table. Gives the instruments' ids.
pub(super) fn common(c: &mut Checker, cx: &Ctx) -> HashSet<String> {
    let f = cx.f;
    let mut instrument_ids = HashSet::new();
    let common = f.instruments.common();
    let n_instruments = common.len();
    if n_instruments > MAX_INSTRUMENTS {
        c.fail(
            KeyPath::root().key("instruments"),
            format!("{n_instruments} instruments: at most {MAX_INSTRUMENTS}"),
        );
    }
    let ip = KeyPath::root().key("instruments");
    // Position of each instrument within its kind's array, for key paths.
    let mut within: Vec<usize> = Vec::with_capacity(common.len());
    for (n, inst) in common.iter().enumerate() {
        within.push(common[..n].iter().filter(|o| o.kind == inst.kind).count());
    }
    let path_of = |n: usize| ip.key(common[n].kind).index(within[n]);
    for (n, inst) in common.iter().enumerate() {
        let p = path_of(n);
        c.ident(p.key("id"), inst.id, &mut instrument_ids, "instrument");
        budget(c, cx, p.key(inst.budget_key), inst.budget);
        focus(c, f, &p, inst.industries, inst.stages);
        if let Some(e) = inst.effect {
            effect(c, p.key("effect"), inst.kind, e);
        }
    }
    instrument_ids
}

/// One `{ per_year, from, to }` of a budget: an amount, years within the simulated years, in order.
fn budget_span(c: &mut Checker, cx: &Ctx, p: KeyPath, s: &BudgetSpan) {
    c.amount(p.key("per_year"), &s.per_year, true);
    if let Some(y) = s.from {
        c.year_in(p.key("from"), y, cx.first, cx.last);
    }
    if let Some(y) = s.to {
        c.year_in(p.key("to"), y, cx.first, cx.last);
    }
    if let (Some(a), Some(b)) = (s.from, s.to)
        && b < a
    {
        c.fail(p.key("to"), format!("to = {b} is before from = {a}"));
    }
}

/// A budget (or a loan volume): an amount every year, one span, or spans that do not overlap.
fn budget(c: &mut Checker, cx: &Ctx, p: KeyPath, b: &Budget) {
    let (first, last) = (cx.first, cx.last);
    match b {
        Budget::Every(m) => c.amount(p, m, true),
        Budget::Span(s) => budget_span(c, cx, p, s),
        Budget::Spans(v) => {
            if v.is_empty() {
                c.fail(
                    p.clone(),
                    "an empty array: give at least one { per_year, from, to }, or an amount".into(),
                );
            }
            for (n, s) in v.iter().enumerate() {
                budget_span(c, cx, p.index(n), s);
                let (a0, a1) = (s.from.unwrap_or(first), s.to.unwrap_or(last));
                for (m, t) in v.iter().enumerate().take(n) {
                    let (b0, b1) = (t.from.unwrap_or(first), t.to.unwrap_or(last));
                    if a0 <= b1 && b0 <= a1 {
                        c.fail(
                            p.index(n),
                            format!(
                                "years {a0}–{a1} overlap entry {m} ({b0}–{b1}): each year has one budget"
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// The `industries` and `stages` under `p`: known industries, and stages some chosen industry has.
pub(super) fn focus(
    c: &mut Checker,
    f: &ScenarioFile,
    p: &KeyPath,
    industries: &[String],
    stages: &[String],
) {
    for (k, id) in industries.iter().enumerate() {
        if !f.industries.iter().any(|ind| &ind.id == id) {
            let known: Vec<&str> = f.industries.iter().map(|i| i.id.as_str()).collect();
            c.fail(
                p.key("industries").index(k),
                format!(
                    "unknown industry \"{id}\": allowed are {}",
                    known.join(", ")
                ),
            );
        }
    }
    let chosen: Vec<&Industry> = f
        .industries
        .iter()
        .filter(|ind| industries.is_empty() || industries.contains(&ind.id))
        .collect();
    for (k, name) in stages.iter().enumerate() {
        if !chosen
            .iter()
            .any(|ind| ind.stages.iter().any(|s| &s.name == name))
        {
            let mut known: Vec<&str> = chosen
                .iter()
                .flat_map(|i| i.stages.iter().map(|s| s.name.as_str()))
                .collect();
            known.sort();
            known.dedup();
            c.fail(
                p.key("stages").index(k),
                format!(
                    "no chosen industry has a stage \"{name}\": allowed are {}",
                    known.join(", ")
                ),
            );
        }
    }
}

/// An instrument's `effect` table: multipliers, growth shift, years, additional share.
fn effect(c: &mut Checker, p: KeyPath, kind: &str, e: &EffectSpec) {
    if crate::effects::defaults(kind).is_none() {
        c.fail(
            p,
            format!(
                "a {kind} programme has no effect table: it acts on arrivals and talent inflow, not on the firms it pays"
            ),
        );
        return;
    }
    for (key, m) in [
        ("round_odds", e.round_odds),
        ("exit_odds", e.exit_odds),
        ("fail_odds", e.fail_odds),
    ] {
        if let Some(m) = m
            && c.finite(p.key(key), m)
            && !(m > 0.0 && m <= 100.0)
        {
            c.fail(
                p.key(key),
                format!(
                    "{m} is not allowed: an odds multiplier above 0 and at most 100 (1 = no effect)"
                ),
            );
        }
    }
    if let Some(g) = e.revenue_growth {
        c.range(
            p.key("revenue_growth"),
            g,
            -1.0,
            1.0,
            "a shift of yearly log revenue growth",
        );
    }
    if let Some(y) = e.years
        && !(0..=MAX_HORIZON).contains(&y)
    {
        c.fail(
            p.key("years"),
            format!("{y} is not allowed: 0 to {MAX_HORIZON} years after the support"),
        );
    }
    if let Some(r) = &e.additional_share {
        c.share(p.key("additional_share"), r);
    }
}

/// A stake's sale: `sell_after_years`, and a `sale_discount` only with it.
fn sale(c: &mut Checker, p: &KeyPath, years: Option<i64>, discount: &Option<Rate>) {
    if let Some(y) = years
        && !(1..=MAX_HORIZON).contains(&y)
    {
        c.fail(
            p.key("sell_after_years"),
            format!("{y} is not allowed: 1 to {MAX_HORIZON} years"),
        );
    }
    match (discount, years) {
        (Some(d), Some(_)) => c.share_below_one(p.key("sale_discount"), d),
        (Some(_), None) => c.fail(
            p.key("sale_discount"),
            "sale_discount applies only to a sale after sell_after_years, which is not given"
                .into(),
        ),
        _ => {}
    }
}

/// A budget that is positive but smaller than one deal would never buy anything.
pub(super) fn below_one(
    c: &mut Checker,
    p: &KeyPath,
    key: &str,
    budget: &Budget,
    unit: Decimal,
    what: &str,
) {
    let per_year = budget.min_positive_per_year();
    if per_year > Decimal::ZERO && per_year < unit {
        c.fail(
            p.key(key),
            format!(
                "{} yuan a year is less than {what} ({} yuan): nothing would ever be bought; give at least that, or 0",
                per_year.normalize(),
                unit.normalize()
            ),
        );
    }
}

/// Each fund and each loan is simulated one by one: a budget that buys millions a year would
/// validate and then run for hours. At most `most` a year.
pub(super) fn at_most(
    c: &mut Checker,
    p: &KeyPath,
    key: &str,
    budget: &Budget,
    (unit, what): (Decimal, &str),
    most: i64,
) {
    let per_year = budget.max_per_year();
    if unit > Decimal::ZERO && per_year / unit > Decimal::from(most) {
        c.fail(
            p.key(key),
            format!(
                "{} yuan a year buys {} {what} of {} yuan each a year: at most {most} a year are simulated; raise the size of one or lower {key}",
                per_year.normalize(),
                (per_year / unit).floor().normalize(),
                unit.normalize()
            ),
        );
    }
}

/// `[[instruments.grant]]`: the amount, and a budget that buys at least one.
pub(super) fn grants(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, g) in f.instruments.grant.iter().enumerate() {
        let p = ip.key("grant").index(i);
        c.per_firm_amount(p.key("amount"), &g.amount, false);
        below_one(c, &p, "budget", &g.budget, g.amount.0, "one grant");
    }
}

/// `[[instruments.convertible_grant]]`: the amount, the conversion terms and the founder buyback.
pub(super) fn convertible_grants(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, g) in f.instruments.convertible_grant.iter().enumerate() {
        let p = ip.key("convertible_grant").index(i);
        c.per_firm_amount(p.key("amount"), &g.amount, false);
        below_one(c, &p, "budget", &g.budget, g.amount.0, "one grant");
        if let Some(y) = g.conversion_window_years
            && !(1..=MAX_HORIZON).contains(&y)
        {
            c.fail(
                p.key("conversion_window_years"),
                format!("{y} is not allowed: 1 to {MAX_HORIZON} years"),
            );
        }
        if let Some(d) = &g.conversion_discount {
            c.share_below_one(p.key("conversion_discount"), d);
        }
        if let Some(b) = &g.founder_buyback {
            let q = p.key("founder_buyback");
            if !(1..=MAX_HORIZON).contains(&b.after_years) {
                c.fail(
                    q.key("after_years"),
                    format!("{} is not allowed: 1 to {MAX_HORIZON} years", b.after_years),
                );
            }
            if b.rate.0 < Decimal::ZERO || b.rate.0 > Decimal::ONE {
                c.fail(
                    q.key("rate"),
                    format!(
                        "{} is not allowed: a yearly rate from 0 to 1 (100%)",
                        b.rate
                    ),
                );
            }
            c.probability(q.key("take_up"), &b.take_up);
        }
    }
}

/// `[[instruments.prize_equity]]`: the amount, a budget that buys one, and the sale.
pub(super) fn prize_equity(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, e) in f.instruments.prize_equity.iter().enumerate() {
        let p = ip.key("prize_equity").index(i);
        c.per_firm_amount(p.key("amount"), &e.amount, false);
        below_one(c, &p, "budget", &e.budget, e.amount.0, "one prize");
        sale(c, &p, e.sell_after_years, &e.sale_discount);
    }
}

/// `[[instruments.direct_equity]]`: the ticket, the share of a round, take-up and the sale.
pub(super) fn direct_equity(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, e) in f.instruments.direct_equity.iter().enumerate() {
        let p = ip.key("direct_equity").index(i);
        c.per_firm_amount(p.key("ticket"), &e.ticket, false);
        if e.max_round_share.0 <= Decimal::ZERO || e.max_round_share.0 > Decimal::ONE {
            c.fail(
                p.key("max_round_share"),
                format!(
                    "{} is not allowed: a share of the round above 0 and at most 1",
                    e.max_round_share
                ),
            );
        }
        c.probability(p.key("take_up"), &e.take_up);
        sale(c, &p, e.sell_after_years, &e.sale_discount);
    }
}

/// `[[instruments.guarantee]]`: loan size and volume, term, the shares and rates of the loans,
/// and the risk pool.
pub(super) fn guarantees(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, g) in f.instruments.guarantee.iter().enumerate() {
        let p = ip.key("guarantee").index(i);
        c.per_firm_amount(p.key("loan_size"), &g.loan_size, false);
        below_one(c, &p, "volume", &g.volume, g.loan_size.0, "one loan");
        at_most(
            c,
            &p,
            "volume",
            &g.volume,
            (g.loan_size.0, "loans (loan_size)"),
            MAX_LOANS_PER_YEAR,
        );
        if !(1..=30).contains(&g.term_years) {
            c.fail(
                p.key("term_years"),
                format!(
                    "{} is not allowed: a loan term of 1 to 30 years",
                    g.term_years
                ),
            );
        }
        c.share(p.key("cover_share"), &g.cover_share);
        c.rate(
            p.key("fee_rate"),
            &g.fee_rate,
            "a yearly fee on the principal",
        );
        c.probability(p.key("base_default_rate"), &g.base_default_rate);
        c.share(p.key("loss_given_default"), &g.loss_given_default);
        c.rate(
            p.key("fee_subsidy"),
            &g.fee_subsidy,
            "a yearly subsidy on the principal",
        );
        c.share(p.key("bank_share"), &g.bank_share);
        if let Some(pool) = &g.risk_pool {
            c.amount(p.key("risk_pool").key("size"), &pool.size, false);
            if let Some(cap) = &pool.year_cap {
                c.amount(p.key("risk_pool").key("year_cap"), cap, false);
            }
        }
    }
}

/// `[[instruments.co_investment]]`: the ratio to the lead, the lead's share, the ticket cap,
/// take-up and the sale.
pub(super) fn co_investments(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, e) in f.instruments.co_investment.iter().enumerate() {
        let p = ip.key("co_investment").index(i);
        c.range(
            p.key("ratio"),
            e.ratio,
            0.0,
            10.0,
            "city yuan per yuan of the lead investor",
        );
        if e.ratio == 0.0 {
            c.fail(
                p.key("ratio"),
                "0 is not allowed: the city must put in something".into(),
            );
        }
        if e.lead_share.0 <= Decimal::ZERO || e.lead_share.0 > Decimal::ONE {
            c.fail(
                p.key("lead_share"),
                format!(
                    "{} is not allowed: the lead's share of the round, above 0 and at most 1",
                    e.lead_share
                ),
            );
        }
        c.per_firm_amount(p.key("max_ticket"), &e.max_ticket, false);
        c.probability(p.key("take_up"), &e.take_up);
        sale(c, &p, e.sell_after_years, &e.sale_discount);
    }
}
