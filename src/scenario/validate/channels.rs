//! `[channels]` and the programmes that act through them rather than on the firms they pay:
//! incentives for large arrivals and talent subsidies (with the large arrivals themselves and
//! 返投 relocation, checked beside their types).

use super::*;

/// `[channels]`, large-firm arrivals, incentive and talent programmes, and 返投 relocation.
pub(super) fn policy_channels(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    c.probability(
        KeyPath::root().key("channels").key("leakage"),
        &f.channels.leakage,
    );
    let fin = KeyPath::root().key("thresholds").key("financing");
    c.share(fin.key("ipo_float"), &f.thresholds.financing.ipo_float);
    industries::large_arrivals(c, f);
    attraction(c, f, &ip);
    talent_subsidies(c, f, &ip);
    sub_fund::relocation(c, f, &ip);
}

/// `[[instruments.attraction]]`: incentives for large firms, which need large arrivals to act on.
fn attraction(c: &mut Checker, f: &ScenarioFile, ip: &KeyPath) {
    for (n, a) in f.instruments.attraction.iter().enumerate() {
        let p = ip.key("attraction").index(n);
        c.per_firm_amount(p.key("max_per_firm"), &a.max_per_firm, false);
        c.amount(p.key("half_budget"), &a.half_budget, false);
        c.share_below_one(p.key("max_share"), &a.max_share);
        let reached: Vec<&Industry> = (f.industries.iter())
            .filter(|i| a.industries.is_empty() || a.industries.contains(&i.id))
            .collect();
        if reached.iter().all(|i| i.large_arrivals.is_none()) {
            c.fail(
                p.key("industries"),
                "no industry it reaches has large_arrivals: incentives raise the arrival rate of large firms, so give [industries.large_arrivals] for its industries".into(),
            );
        }
        if !a.stages.is_empty() {
            c.fail(
                p.key("stages"),
                "stages are not used: large firms arrive as established firms".into(),
            );
        }
        // Two programmes on one industry's large arrivals would each pay every arrival and each
        // decide its own share of their locations, as if the other did not exist: the model does
        // not combine them, so it refuses them rather than count both in full.
        let shared = |b: &Attraction| {
            reached.iter().find(|i| {
                i.large_arrivals.is_some()
                    && (b.industries.is_empty() || b.industries.contains(&i.id))
            })
        };
        if let Some((other, i)) =
            (f.instruments.attraction[..n].iter()).find_map(|b| shared(b).map(|i| (b, i)))
        {
            c.fail(
                p.key("industries"),
                format!(
                    "reaches industry \"{}\", as attraction programme \"{}\" does: two incentive programmes on one industry's large arrivals would each pay every arrival and each decide its own share of their locations, which the model does not combine; merge them into one programme with their combined budget, or give each its own industries",
                    i.id, other.id
                ),
            );
        }
    }
}

/// `[[instruments.talent_subsidy]]`: the subsidy, the reference pay, the elasticity and phase-in.
fn talent_subsidies(c: &mut Checker, f: &ScenarioFile, ip: &KeyPath) {
    for (n, t) in f.instruments.talent_subsidy.iter().enumerate() {
        let p = ip.key("talent_subsidy").index(n);
        c.per_firm_amount(p.key("amount"), &t.amount, false);
        c.per_firm_amount(p.key("reference_pay"), &t.reference_pay, false);
        if let Some(e) = t.elasticity {
            c.range(
                p.key("elasticity"),
                e,
                0.0,
                10.0,
                "elasticity of talent inflow",
            );
        }
        if let Some(y) = t.phase_in_years
            && !(1..=30).contains(&y)
        {
            c.fail(
                p.key("phase_in_years"),
                format!("{y} is not allowed: 1 to 30 years"),
            );
        }
        if !t.stages.is_empty() {
            c.fail(
                p.key("stages"),
                "stages are not used: talents arrive with new projects".into(),
            );
        }
    }
}
