//! `[[instruments.subsidy]]`: each programme's rules (clauses), their amounts, caps, claimants and
//! later claims, and its exclusive groups.

use super::*;
use crate::scenario::{Claimants, EventRate};

/// `[[instruments.subsidy]]`: at least one rule each, every rule checked.
pub(super) fn subsidies(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, sub) in f.instruments.subsidy.iter().enumerate() {
        let p = ip.key("subsidy").index(i);
        if sub.rules.is_empty() {
            c.fail(
                p.clone(),
                "no rules: give at least one [[instruments.subsidy.rules]]".into(),
            );
        }
        for (j, r) in sub.rules.iter().enumerate() {
            rule(c, f, sub, r, &p.key("rules").index(j));
        }
        arrivals_only(c, sub, &p);
    }
}

/// A programme whose every rule pays large arrivals reaches no venture firm: its `effect` would
/// act on nothing (large arrivals move through no stages and take no effect) and its `stages`
/// would choose nothing, so giving either is an error rather than a silent no-op.
fn arrivals_only(c: &mut Checker, sub: &Subsidy, p: &KeyPath) {
    let only = !sub.rules.is_empty()
        && (sub.rules.iter()).all(|r| r.claimants == Claimants::LargeArrivals);
    if !only {
        return;
    }
    if sub.effect.is_some() {
        c.fail(
            p.key("effect"),
            "effect is not used: every rule of this programme pays large arrivals (claimants = \"large_arrivals\"), which move through no stages and take no effect; remove the table, or add a rule for firms".into(),
        );
    }
    if !sub.stages.is_empty() {
        c.fail(
            p.key("stages"),
            "stages is not used: every rule of this programme pays large arrivals (claimants = \"large_arrivals\"), which have no venture stage".into(),
        );
    }
}

/// `[[instruments.subsidy.rules]]`: one clause of programme `sub`, at `q`.
fn rule(c: &mut Checker, f: &ScenarioFile, sub: &Subsidy, r: &SubsidyRule, q: &KeyPath) {
    rule_amount(c, r, q);
    subsidy_clause_logic(c, f, sub, r, q);
    rule_caps(c, r, q);
    rule_focus(c, f, sub, r, q);
}

/// A rule's label and amount: exactly one of share, per_unit or fixed, with the base, units and
/// floor that kind reads.
fn rule_amount(c: &mut Checker, r: &SubsidyRule, q: &KeyPath) {
    if r.label.trim().is_empty() {
        c.fail(q.key("label"), "the label is empty: name the clause".into());
    }
    let kinds = [r.share.is_some(), r.per_unit.is_some(), r.fixed.is_some()];
    if kinds.iter().filter(|k| **k).count() != 1 {
        c.fail(
            q.clone(),
            "give exactly one of share (rate × base), per_unit (amount × units) or fixed".into(),
        );
    }
    if let Some(rate) = &r.share {
        c.share(q.key("share"), rate);
    }
    if let Some(m) = &r.per_unit {
        c.amount(q.key("per_unit"), m, false);
    }
    if let Some(m) = &r.fixed {
        c.per_firm_amount(q.key("fixed"), m, false);
    }
    // The base is drawn for a share, and for a fixed amount with a floor; units for per_unit.
    let needs_base = r.share.is_some() || (r.fixed.is_some() && r.min_base.is_some());
    match (&r.base, needs_base) {
        (Some(b), true) => c.money_dist(q.key("base"), b),
        (None, true) => c.fail(
            q.clone(),
            "base = { median, sigma } is missing: a share (or a floor) needs the event's base amount".into(),
        ),
        (Some(_), false) => c.fail(
            q.key("base"),
            "base is not used: only a share, or a fixed amount with min_base, reads it".into(),
        ),
        (None, false) => {}
    }
    match (r.units, r.per_unit.is_some()) {
        (Some(u), true) => c.range(q.key("units"), u, 0.0, 1e6, "a mean number of units"),
        (None, true) => c.fail(
            q.clone(),
            "units (a mean count per event) is missing for per_unit".into(),
        ),
        (Some(_), false) => c.fail(q.key("units"), "units is used only with per_unit".into()),
        (None, false) => {}
    }
    if r.min_base.is_some() && r.per_unit.is_some() {
        c.fail(
            q.key("min_base"),
            "min_base is not used with per_unit (the base is a count of units)".into(),
        );
    }
    if let Some(m) = &r.min_base {
        c.amount(q.key("min_base"), m, true);
    }
}

/// A subsidy rule's clause logic: how often and for whom it has events (by industry, for large
/// arrivals, for firms the city invested in), its exclusive group and its items' later claims.
fn subsidy_clause_logic(
    c: &mut Checker,
    f: &ScenarioFile,
    sub: &Subsidy,
    r: &SubsidyRule,
    q: &KeyPath,
) {
    let arrivals = r.claimants == Claimants::LargeArrivals;
    events_per_firm_year(c, f, sub, r, q);
    if arrivals && !r.stages.is_empty() {
        c.fail(
            q.key("stages"),
            "stages is not used with claimants = \"large_arrivals\" (large arrivals have no venture stage)".into(),
        );
    }
    if arrivals && !r.requires.is_empty() {
        // A large arrival claims in its arrival year, as an established firm: no instrument has
        // invested in it (equity joins rounds, awards go to venture firms), so the rule would
        // never pay.
        c.fail(
            q.key("requires"),
            "requires = [\"city_investment\"] cannot be met with claimants = \"large_arrivals\" (a large arrival claims in its arrival year, and the city never holds equity in one): remove requires, or use claimants = \"firms\"".into(),
        );
    }
    if r.exclusive_group.is_some() {
        // The larger claim is judged on the rule's own caps per firm; caps that look across firms
        // or years per item would need the whole year's walk to judge fairly.
        for (key, set) in [
            ("item_total_cap", r.item_total_cap.is_some()),
            ("institution_year_cap", r.institution_year_cap.is_some()),
        ] {
            if set {
                c.fail(
                    q.key(key),
                    format!("{key} is not allowed on a rule of an exclusive group (the winner is judged per firm on item, firm-year and cumulative caps)"),
                );
            }
        }
    }
    if let Some(g) = &r.exclusive_group
        && !sub.exclusive.contains_key(g)
    {
        let known: Vec<&str> = sub.exclusive.keys().map(|k| k.as_str()).collect();
        c.fail(
            q.key("exclusive_group"),
            format!(
                "\"{g}\" is not a group of the programme's exclusive table ({}): declare it there as \"larger\" or \"first\"",
                if known.is_empty() { "none declared".to_string() } else { known.join(", ") }
            ),
        );
    }
    follow_ups(c, r, q);
}

/// A rule's `events_per_firm_year`: a rate (a probability for large arrivals), or a table naming
/// every industry of the rule and no other.
fn events_per_firm_year(
    c: &mut Checker,
    f: &ScenarioFile,
    sub: &Subsidy,
    r: &SubsidyRule,
    q: &KeyPath,
) {
    let arrivals = r.claimants == Claimants::LargeArrivals;
    let (hi, what) = if arrivals {
        (1.0, "a probability that a large arrival claims")
    } else {
        (100.0, "a mean count per firm and year")
    };
    let key = q.key("events_per_firm_year");
    match &r.events_per_firm_year {
        EventRate::All(v) => c.range(key, *v, 0.0, hi, what),
        EventRate::ByIndustry(by) => {
            let own = if r.industries.is_empty() {
                &sub.industries
            } else {
                &r.industries
            };
            let all: Vec<&String> = if own.is_empty() {
                f.industries.iter().map(|i| &i.id).collect()
            } else {
                own.iter().collect()
            };
            for (id, v) in by {
                if all.contains(&id) {
                    c.range(key.key(id), *v, 0.0, hi, what);
                } else {
                    let names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
                    c.fail(
                        key.key(id),
                        format!(
                            "\"{id}\" is not an industry of this rule: allowed are {}",
                            names.join(", ")
                        ),
                    );
                }
            }
            for id in all.iter().filter(|id| !by.contains_key(id.as_str())) {
                c.fail(
                    key.clone(),
                    format!(
                        "no rate for industry \"{id}\": a table by industry names every industry of the rule (0 for none)"
                    ),
                );
            }
        }
    }
}

/// A rule's `follow_ups`: at most 20 later claims, each after 1 to [`MAX_HORIZON`] years, with a
/// probability, and a base only when the rule reads one.
fn follow_ups(c: &mut Checker, r: &SubsidyRule, q: &KeyPath) {
    if r.follow_ups.len() > 20 {
        c.fail(
            q.key("follow_ups"),
            format!(
                "{} follow-ups are too many: at most 20 later claims per item",
                r.follow_ups.len()
            ),
        );
    }
    let money_base = r.share.is_some() || (r.fixed.is_some() && r.min_base.is_some());
    for (n, u) in r.follow_ups.iter().enumerate() {
        let p = q.key("follow_ups").index(n);
        if !(1..=MAX_HORIZON).contains(&u.after) {
            c.fail(
                p.key("after"),
                format!(
                    "{} is not allowed: 1 to {MAX_HORIZON} years after the previous claim",
                    u.after
                ),
            );
        }
        c.range(
            p.key("probability"),
            u.probability,
            0.0,
            1.0,
            "a probability that the item claims again",
        );
        if let Some(b) = &u.base {
            if money_base {
                c.money_dist(p.key("base"), b);
            } else {
                c.fail(
                    p.key("base"),
                    "base is not used: only a share, or a fixed amount with min_base, reads a base amount".into(),
                );
            }
        }
    }
}

/// A rule's caps (amounts, 0 or more) and the institutions an institution_year_cap spreads over.
fn rule_caps(c: &mut Checker, r: &SubsidyRule, q: &KeyPath) {
    for (key, cap) in [
        ("item_cap", &r.item_cap),
        ("firm_year_cap", &r.firm_year_cap),
        ("institution_year_cap", &r.institution_year_cap),
        ("firm_total_cap", &r.firm_total_cap),
        ("item_total_cap", &r.item_total_cap),
    ] {
        if let Some(m) = cap {
            c.per_firm_amount(q.key(key), m, true);
        }
    }
    match (r.institutions, r.institution_year_cap.is_some()) {
        (Some(n), true) if !(1..=100_000).contains(&n) => c.fail(
            q.key("institutions"),
            format!("{n} is not allowed: 1 to 100000 institutions"),
        ),
        (None, true) => c.fail(
            q.clone(),
            "institutions is missing: an institution_year_cap needs the number of institutions the events are spread over".into(),
        ),
        (Some(_), false) => c.fail(
            q.key("institutions"),
            "institutions is used only with institution_year_cap".into(),
        ),
        _ => {}
    }
}

/// A rule's industries and stages: within the programme's (a rule only narrows them), and known.
fn rule_focus(c: &mut Checker, f: &ScenarioFile, sub: &Subsidy, r: &SubsidyRule, q: &KeyPath) {
    // A rule narrows the programme's industries and stages; it cannot widen them.
    for (key, own, programme) in [
        ("industries", &r.industries, &sub.industries),
        ("stages", &r.stages, &sub.stages),
    ] {
        if programme.is_empty() {
            continue;
        }
        for (n, name) in own.iter().enumerate() {
            if !programme.contains(name) {
                c.fail(
                    q.key(key).index(n),
                    format!(
                        "\"{name}\" is not among the programme's {key} ({}): a rule can only narrow them",
                        programme.join(", ")
                    ),
                );
            }
        }
    }
    let industries = if r.industries.is_empty() {
        &sub.industries
    } else {
        &r.industries
    };
    let valid: Vec<String> = (industries.iter())
        .filter(|id| f.industries.iter().any(|i| &i.id == *id))
        .cloned()
        .collect();
    if !r.industries.is_empty() {
        instruments::focus(c, f, q, &r.industries, &[]);
    }
    instruments::focus(c, f, q, &valid, &r.stages);
}

/// A programme's `exclusive` groups: each named by at least two of its rules.
pub(super) fn exclusive_groups(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, sub) in f.instruments.subsidy.iter().enumerate() {
        for name in sub.exclusive.keys() {
            let members = (sub.rules.iter())
                .filter(|r| r.exclusive_group.as_ref() == Some(name))
                .count();
            if members < 2 {
                c.fail(
                    ip.key("subsidy").index(i).key("exclusive").key(name),
                    format!(
                        "exclusive group \"{name}\" has {members} rule(s): name it in the exclusive_group of at least two rules, or remove it (a file that extends this one and replaces the rules writes the groups they form beside them, or exclusive = {{}} for none)"
                    ),
                );
            }
        }
    }
}
