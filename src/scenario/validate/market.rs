//! `[market]` and `[thresholds]`.

use super::*;

/// `[market]`: autocorrelations, the sensitivities to the market factor, and regimes within the
/// simulated years.
pub(super) fn market(c: &mut Checker, cx: &Ctx, market: &Market) {
    let m = KeyPath::root().key("market");
    c.range(m.key("rho"), market.rho, -1.0, 1.0, "an autocorrelation");
    c.range(
        m.key("industry_rho"),
        market.industry_rho,
        -1.0,
        1.0,
        "an autocorrelation",
    );
    let s = m.key("sensitivity");
    let sens = &market.sensitivity;
    for (k, v) in [
        ("round", sens.round),
        ("exit", sens.exit),
        ("fail", sens.fail),
        ("value", sens.value),
        ("exit_value", sens.exit_value),
    ] {
        c.range(
            s.key(k),
            v,
            -10.0,
            10.0,
            "a loading per unit of the market factor",
        );
    }
    for (i, r) in market.regimes.iter().enumerate() {
        let p = m.key("regimes").index(i);
        c.year_in(p.key("from"), r.from, cx.first, cx.last);
        c.year_in(p.key("to"), r.to, cx.first, cx.last);
        if r.to < r.from {
            c.fail(
                p.key("to"),
                format!("to = {} is before from = {}", r.to, r.from),
            );
        }
        c.range(
            p.key("shift"),
            r.shift,
            -10.0,
            10.0,
            "standard deviations of the factor",
        );
    }
}

/// `[thresholds]`: unicorn, potential unicorn, chain leader and cluster. Says whether a threshold
/// is measured on revenue (then every industry needs revenue).
pub(super) fn thresholds(c: &mut Checker, thr: &Thresholds) -> bool {
    let th = KeyPath::root().key("thresholds");
    for (k, a) in [
        ("unicorn", &thr.unicorn),
        ("potential_unicorn", &thr.potential_unicorn),
    ] {
        c.amount(th.key(k).key("value"), &a.value, false);
        if !(0..=200).contains(&a.max_age) {
            c.fail(
                th.key(k).key("max_age"),
                format!(
                    "{} is not allowed: max_age must be 0 to 200 years",
                    a.max_age
                ),
            );
        }
    }
    if thr.potential_unicorn.value.0 >= thr.unicorn.value.0 {
        c.fail(
            th.key("potential_unicorn").key("value"),
            format!(
                "{} yuan is not below the unicorn threshold {} yuan: a potential unicorn must be valued lower",
                thr.potential_unicorn.value, thr.unicorn.value
            ),
        );
    }
    if thr.potential_unicorn.max_age > thr.unicorn.max_age {
        c.fail(
            th.key("potential_unicorn").key("max_age"),
            format!(
                "{} is above the unicorn max_age {}: a potential unicorn is a younger firm, so its age limit must not exceed the unicorn's",
                thr.potential_unicorn.max_age, thr.unicorn.max_age
            ),
        );
    }
    c.amount(
        th.key("chain_leader").key("value"),
        &thr.chain_leader.value,
        false,
    );
    c.amount(th.key("cluster").key("value"), &thr.cluster.value, false);
    thr.chain_leader.measure == Measure::Revenue || thr.cluster.measure == Measure::Revenue
}
