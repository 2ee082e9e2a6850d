//! The file's one-table settings: `[scenario]`, `holdings`, `[time]`, `[program]`, `[tax]` and
//! `[valuation]`.

use super::*;

/// `[scenario]` and `holdings`: a name for the output, and a named book if any.
pub(super) fn scenario(c: &mut Checker, f: &ScenarioFile) {
    let root = KeyPath::root();
    if f.scenario.name.trim().is_empty() {
        c.fail(
            root.key("scenario").key("name"),
            "the scenario name is empty: give a short name for the output's scenario column".into(),
        );
    }

    if f.holdings.as_ref().is_some_and(|h| h.trim().is_empty()) {
        c.fail(
            root.key("holdings"),
            "empty: name the CSV file of the positions held at the start year (relative to this file)".into(),
        );
    }
}

/// `[time]`: the start year and the horizon.
pub(super) fn time(c: &mut Checker, time: &Time) {
    let t = KeyPath::root().key("time");
    if !(1900..=2200).contains(&time.start_year) {
        c.fail(
            t.key("start_year"),
            format!(
                "{} is not allowed: start_year must be between 1900 and 2200",
                time.start_year
            ),
        );
    }
    if !(1..=MAX_HORIZON).contains(&time.horizon_years) {
        c.fail(
            t.key("horizon_years"),
            format!(
                "{} is not allowed: horizon_years must be 1 to {MAX_HORIZON}",
                time.horizon_years
            ),
        );
    }
}

/// `[program]`: the discount rate, the haircut on holdings and the recycling rule, whose `into`
/// names instruments among `instrument_ids`.
pub(super) fn program(c: &mut Checker, f: &ScenarioFile, instrument_ids: &HashSet<String>) {
    let pp = KeyPath::root().key("program");
    c.rate(
        pp.key("discount_rate"),
        &f.program.discount_rate,
        "a yearly discount rate",
    );
    c.rate(
        pp.key("holdings_haircut"),
        &f.program.holdings_haircut,
        "a discount on the marks",
    );
    c.share(
        pp.key("recycling").key("to_pool"),
        &f.program.recycling.to_pool,
    );
    let mut into_seen = HashSet::new();
    for (k, id) in f.program.recycling.into.iter().enumerate() {
        let p = pp.key("recycling").key("into").index(k);
        if !instrument_ids.contains(id) {
            let mut known: Vec<&String> = instrument_ids.iter().collect();
            known.sort();
            c.fail(
                p.clone(),
                format!(
                    "unknown instrument \"{id}\": allowed are {}",
                    known
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if f.instruments.guarantee.iter().any(|g| &g.id == id) {
            c.fail(
                p.clone(),
                format!(
                    "\"{id}\" is a guarantee: it spends no money, so pooled money cannot go to it"
                ),
            );
        }
        if f.instruments.talent_subsidy.iter().any(|t| &t.id == id) {
            c.fail(
                p.clone(),
                format!(
                    "\"{id}\" is a talent subsidy: it acts after every other programme of the year, so that it pays the talents of the firms a sub-fund moved to the city, and so cannot take a place in the priority order of pooled money; fund it from its budget"
                ),
            );
        }
        if !into_seen.insert(id.clone()) {
            c.fail(p, format!("instrument \"{id}\" is listed twice"));
        }
    }
}

/// `[tax]`: burdens and local shares, each a share.
pub(super) fn tax(c: &mut Checker, tax: &Tax) {
    let tp = KeyPath::root().key("tax");
    for (key, r) in [
        ("vat_burden", &tax.vat_burden),
        ("cit_burden", &tax.cit_burden),
        ("vat_local_share", &tax.vat_local_share),
        ("cit_local_share", &tax.cit_local_share),
        ("city_share", &tax.city_share),
    ] {
        c.share(tp.key(key), r);
    }
}

/// `[valuation]`.
pub(super) fn valuation(c: &mut Checker, v: &Valuation) {
    let p = KeyPath::root().key("valuation");
    c.range(
        p.key("stale_decay"),
        v.stale_decay,
        0.0,
        5.0,
        "a yearly decay rate of the mark",
    );
    c.range(
        p.key("stale_grace_years"),
        v.stale_grace_years,
        0.0,
        50.0,
        "years",
    );
    for (key, y) in [
        ("ipo_lockup_years", v.ipo_lockup_years),
        ("ipo_sale_years", v.ipo_sale_years),
    ] {
        let lo = if key == "ipo_sale_years" { 1 } else { 0 };
        if !(lo..=10).contains(&y) {
            c.fail(p.key(key), format!("{y} is not allowed: {lo} to 10 years"));
        }
    }
    c.range(
        p.key("listed_volatility"),
        v.listed_volatility,
        0.0,
        3.0,
        "a yearly log-volatility",
    );
    c.share_below_one(p.key("state_transfer_discount"), &v.state_transfer_discount);
    c.range(
        p.key("state_transfer_delay_years"),
        v.state_transfer_delay_years,
        0.0,
        10.0,
        "years",
    );
}
