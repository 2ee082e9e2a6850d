//! `[[industries]]`: each industry, its ladder of stages, its local base and its established firms.

use super::*;

/// At most this many industries and stages (stored as bytes).
const MAX_INDUSTRIES: usize = 64;
const MAX_STAGES: usize = 32;
/// Largest firm counts accepted (existing base per stage, yearly arrivals).
const MAX_FIRMS: i64 = 1_000_000;

/// `[[industries]]`: at least one, at most [`MAX_INDUSTRIES`], each checked with its stages.
/// `needs_revenue`: a threshold is measured on revenue.
pub(super) fn industries(c: &mut Checker, f: &ScenarioFile, needs_revenue: bool) {
    let ind_path = KeyPath::root().key("industries");
    if f.industries.is_empty() {
        c.fail(
            ind_path.clone(),
            "no industries: define at least one [[industries]]".into(),
        );
    }
    if f.industries.len() > MAX_INDUSTRIES {
        c.fail(
            ind_path.clone(),
            format!(
                "{} industries: at most {MAX_INDUSTRIES}",
                f.industries.len()
            ),
        );
    }
    let mut industry_ids = HashSet::new();
    for (i, ind) in f.industries.iter().enumerate() {
        industry(c, &ind_path.index(i), ind, &mut industry_ids, needs_revenue);
    }
}

/// One `[[industries]]`: its id (unique among `ids`), arrivals, loadings, entry, stages and
/// established firms.
fn industry(
    c: &mut Checker,
    p: &KeyPath,
    ind: &Industry,
    ids: &mut HashSet<String>,
    needs_revenue: bool,
) {
    c.ident(p.key("id"), &ind.id, ids, "industry");
    if ind.name.trim().is_empty() {
        c.fail(p.key("name"), "the industry name is empty".into());
    }
    c.range(
        p.key("arrivals_per_year"),
        ind.arrivals_per_year,
        0.0,
        MAX_FIRMS as f64,
        "a mean count per year",
    );
    c.range(
        p.key("talent_per_arrival"),
        ind.talent_per_arrival,
        0.0,
        1e4,
        "a mean count per project",
    );
    c.range(
        p.key("beta_market"),
        ind.beta_market,
        -10.0,
        10.0,
        "a factor loading",
    );
    c.range(
        p.key("beta_industry"),
        ind.beta_industry,
        -10.0,
        10.0,
        "a factor loading",
    );
    c.money_dist(p.key("entry").key("value"), &ind.entry.value);

    // Revenue: all or nothing within an industry, and required when a threshold uses it.
    let has_revenue = ind.entry.revenue.is_some();
    if needs_revenue && !has_revenue {
        c.fail(
            p.key("entry"),
            "entry.revenue is missing: a chain-leader or cluster threshold is measured on revenue, so every industry needs revenue".into(),
        );
    }
    if let Some(r) = &ind.entry.revenue {
        c.money_dist(p.key("entry").key("revenue"), r);
    }

    let sp = p.key("stages");
    if ind.stages.len() < 2 || ind.stages.len() > MAX_STAGES {
        c.fail(
            sp.clone(),
            format!(
                "{} stages: a ladder needs 2 to {MAX_STAGES} stages (e.g. seed, A, B, C, growth)",
                ind.stages.len()
            ),
        );
    }
    let mut names = HashSet::new();
    for (j, st) in ind.stages.iter().enumerate() {
        stage(c, &sp.index(j), j, st, &mut names, has_revenue);
    }
    if let Some(est) = &ind.established {
        established(c, &p.key("established"), est, has_revenue);
    }
}

/// `[[industries.stages]]`, the `j`-th of its ladder: name (unique among `names`), round terms,
/// yearly outcomes, exits, revenue growth and the existing firms at the stage.
fn stage(
    c: &mut Checker,
    q: &KeyPath,
    j: usize,
    st: &Stage,
    names: &mut HashSet<String>,
    has_revenue: bool,
) {
    if st.name.trim().is_empty() {
        c.fail(q.key("name"), "the stage name is empty".into());
    } else if !names.insert(st.name.clone()) {
        c.fail(
            q.key("name"),
            format!("stage name \"{}\" is used twice in this industry", st.name),
        );
    }
    c.share_below_one(q.key("dilution"), &st.dilution);
    match (&st.step_up, j) {
        (Some(_), 0) => c.fail(
            q.key("step_up"),
            "step_up is not allowed on the first stage: its round is the entry round, priced by entry.value".into(),
        ),
        (Some(su), _) => c.multiple(q.key("step_up"), su),
        (None, 0) => {}
        (None, _) => c.fail(
            q.clone(),
            format!("stage \"{}\" has no step_up: every stage after the first needs step_up = {{ median, sigma }}", st.name),
        ),
    }
    c.probability(q.key("p_round"), &st.p_round);
    c.probability(q.key("p_exit"), &st.p_exit);
    c.probability(q.key("p_fail"), &st.p_fail);
    let total = st
        .p_round
        .0
        .checked_add(st.p_exit.0)
        .and_then(|t| t.checked_add(st.p_fail.0))
        .unwrap_or(Decimal::MAX);
    if total > Decimal::ONE {
        c.fail(
            q.key("p_fail"),
            format!(
                "p_round + p_exit + p_fail = {} exceeds 1: the three are exclusive outcomes of one year",
                total.normalize()
            ),
        );
    }
    c.multiple(q.key("exit_multiple"), &st.exit_multiple);
    c.probability(q.key("ipo_share"), &st.ipo_share);
    match (&st.revenue_growth, has_revenue) {
        (Some(g), true) => c.growth(q.key("revenue_growth"), g),
        (Some(_), false) => c.fail(
            q.key("revenue_growth"),
            "revenue_growth is given but entry.revenue is not: give revenue for the whole industry or none of it".into(),
        ),
        (None, true) => c.fail(
            q.clone(),
            format!("stage \"{}\" has no revenue_growth but the industry models revenue (entry.revenue)", st.name),
        ),
        (None, false) => {}
    }
    if let Some(ex) = &st.existing {
        existing(c, &q.key("existing"), ex, has_revenue);
    }
}

/// A stage's `existing` firms: count, value, ages and (when the industry models it) revenue.
fn existing(c: &mut Checker, e: &KeyPath, ex: &Existing, has_revenue: bool) {
    if !(0..=MAX_FIRMS).contains(&ex.count) {
        c.fail(
            e.key("count"),
            format!("{} firms is not allowed: 0 to {MAX_FIRMS}", ex.count),
        );
    }
    c.money_dist(e.key("value"), &ex.value);
    c.ages(e.key("age"), &ex.age);
    match (&ex.revenue, has_revenue) {
        (Some(r), true) => c.money_dist(e.key("revenue"), r),
        (Some(_), false) => c.fail(
            e.key("revenue"),
            "existing.revenue is given but entry.revenue is not: give revenue for the whole industry or none of it".into(),
        ),
        (None, true) => c.fail(
            e.clone(),
            "existing firms need revenue = { median, sigma }: the industry models revenue".into(),
        ),
        (None, false) => {}
    }
}

/// An industry's `established` firms: they need revenue; count, value, revenue and its growth.
fn established(c: &mut Checker, e: &KeyPath, est: &Established, has_revenue: bool) {
    if !has_revenue {
        c.fail(
            e.clone(),
            "established firms need the industry to model revenue (their value moves with it): give entry.revenue and every stage's revenue_growth too".into(),
        );
    }
    if !(0..=MAX_FIRMS).contains(&est.count) {
        c.fail(
            e.key("count"),
            format!("{} firms is not allowed: 0 to {MAX_FIRMS}", est.count),
        );
    }
    c.money_dist(e.key("value"), &est.value);
    c.money_dist(e.key("revenue"), &est.revenue);
    c.growth(e.key("revenue_growth"), &est.revenue_growth);
}

/// `[industries.large_arrivals]`: how many a year, their value, revenue and its growth; the
/// industry must model revenue.
pub(super) fn large_arrivals(c: &mut Checker, f: &ScenarioFile) {
    for (i, ind) in f.industries.iter().enumerate() {
        let Some(l) = &ind.large_arrivals else {
            continue;
        };
        let p = KeyPath::root()
            .key("industries")
            .index(i)
            .key("large_arrivals");
        c.range(
            p.key("per_year"),
            l.per_year,
            0.0,
            1000.0,
            "large firms a year",
        );
        c.money_dist(p.key("value"), &l.value);
        c.money_dist(p.key("revenue"), &l.revenue);
        c.growth(p.key("revenue_growth"), &l.revenue_growth);
        if ind.entry.revenue.is_none() {
            c.fail(
                p,
                "large arrivals need the industry to model revenue (their value moves with it): give entry.revenue and every stage's revenue_growth too".into(),
            );
        }
    }
}
