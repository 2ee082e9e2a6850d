//! `[[instruments.sub_fund]]`: each fund's commitment, terms, concession to the other investors
//! and pacing (deal by deal, or Takahashi–Alexander).

use super::*;

/// Most new sub-funds a programme may commit to in a year (each is simulated deal by deal).
const MAX_FUNDS_PER_YEAR: i64 = 1_000;

/// `[[instruments.sub_fund]]`: every fund, term by term.
pub(super) fn sub_funds(c: &mut Checker, f: &ScenarioFile) {
    let ip = KeyPath::root().key("instruments");
    for (i, fund) in f.instruments.sub_fund.iter().enumerate() {
        let p = ip.key("sub_fund").index(i);
        commitment(c, &p, fund);
        terms(c, &p, fund);
        concession(c, &p.key("concession"), &fund.concession);
        local_terms(c, &p, fund);
        pacing(c, &p, fund);
        if fund.takahashi_alexander.is_some() {
            unused_with_pacing(c, &p, fund);
        }
    }
}

/// 返投 relocation of each fund: `relocation_rate` and `branch_share`, probabilities.
pub(super) fn relocation(c: &mut Checker, f: &ScenarioFile, ip: &KeyPath) {
    for (n, fund) in f.instruments.sub_fund.iter().enumerate() {
        let p = ip.key("sub_fund").index(n);
        if let Some(r) = &fund.relocation_rate {
            c.probability(p.key("relocation_rate"), r);
        }
        if let Some(r) = &fund.branch_share {
            c.probability(p.key("branch_share"), r);
        }
    }
}

/// A fund's size and the city's commitment to it: a budget that buys at least one and at most
/// [`MAX_FUNDS_PER_YEAR`] a year, 返投 that fits, the city's share, and the odds of closing.
fn commitment(c: &mut Checker, p: &KeyPath, fund: &SubFund) {
    c.amount(p.key("fund_size"), &fund.fund_size, false);
    let commitment = fund
        .fund_size
        .0
        .checked_mul(fund.city_share.0)
        .unwrap_or(Decimal::MAX);
    instruments::below_one(
        c,
        p,
        "budget",
        &fund.budget,
        commitment,
        "the city's commitment to one fund",
    );
    instruments::at_most(
        c,
        p,
        "budget",
        &fund.budget,
        (commitment, "fund commitments (fund_size × city_share)"),
        MAX_FUNDS_PER_YEAR,
    );
    // 返投 must fit in what the fund can invest: local_multiple · share ≤ 1 − fee · years.
    let fee_years = fund.management_fee.value() * fund.investing().clamp(1, 30) as f64;
    let needed = fund.local_multiple * fund.city_share.value();
    // Only with a fee and a share that are themselves allowed: a fee of 2 (meant 2%) is reported
    // at the fee, not as a fund that "can invest only −900%".
    let fee_allowed = (0.0..=1.0).contains(&fund.management_fee.value()) && fee_years < 1.0;
    let share_allowed = fund.city_share.0 > Decimal::ZERO && fund.city_share.0 <= Decimal::ONE;
    if fund.takahashi_alexander.is_none()
        && fee_allowed
        && share_allowed
        && needed > 1.0 - fee_years
    {
        c.fail(
            p.key("local_multiple"),
            format!(
                "{} × the city's share {} asks for {:.1}% of the fund to be invested locally, but after fees it can invest only {:.1}%",
                fund.local_multiple,
                fund.city_share,
                needed * 100.0,
                (1.0 - fee_years) * 100.0
            ),
        );
    }
    if fund.city_share.0 <= Decimal::ZERO || fund.city_share.0 > Decimal::ONE {
        c.fail(
            p.key("city_share"),
            format!(
                "{} is not allowed: the city's share of the commitments, above 0 and at most 1 (national rule ≤25%, angel funds up to 60%)",
                fund.city_share
            ),
        );
    }
    c.probability(p.key("close_probability"), &fund.close_probability);
    c.probability(
        p.key("late_close_probability"),
        &fund.late_close_probability,
    );
}

/// A fund's term, investment period, fee, hurdle, carry and catch-up.
fn terms(c: &mut Checker, p: &KeyPath, fund: &SubFund) {
    let (term, investing) = (fund.term(), fund.investing());
    if !(1..=30).contains(&term) {
        c.fail(
            p.key("term_years"),
            format!("{term} is not allowed: 1 to 30 years"),
        );
    }
    if !(1..=term.max(1)).contains(&investing) {
        c.fail(
            p.key("investment_years"),
            format!("{investing} is not allowed: 1 to term_years ({term})"),
        );
    }
    let fee = &fund.management_fee;
    if c.rate(
        p.key("management_fee"),
        fee,
        "a yearly fee on the commitments",
    ) && fee.0 * Decimal::from(investing.clamp(1, 30)) >= Decimal::ONE
    {
        c.fail(
            p.key("management_fee"),
            format!(
                "{} a year over {investing} investment years would eat the whole fund",
                fund.management_fee
            ),
        );
    }
    c.rate(p.key("hurdle"), &fund.hurdle, "a yearly preferred return");
    let carry = c.rate(
        p.key("carry"),
        &fund.carry,
        "the manager's share of the profits",
    );
    let catch_up = c.rate(
        p.key("catch_up"),
        &fund.catch_up,
        "the manager's share of the catch-up tier",
    );
    // (Against a carry out of range the comparison would only repeat its problem.)
    if carry && catch_up && fund.catch_up.0 > Decimal::ZERO && fund.catch_up.0 <= fund.carry.0 {
        c.fail(
            p.key("catch_up"),
            format!(
                "{} is not allowed: a catch-up share must exceed the carry ({}), or be 0 for none",
                fund.catch_up, fund.carry
            ),
        );
    }
}

/// A fund's `concession`: the keys its kind takes, and their values.
fn concession(c: &mut Checker, cp: &KeyPath, con: &ConcessionSpec) {
    let wants = match con.kind {
        ConcessionKind::None | ConcessionKind::Junior => [false, false, false, false],
        ConcessionKind::CappedReturn => [true, false, false, false],
        ConcessionKind::ExcessShare => [false, true, true, false],
        ConcessionKind::Buyout => [true, false, false, true],
    };
    for ((key, given), wanted) in [
        ("rate", con.rate.is_some()),
        ("share", con.share.is_some()),
        ("above", con.above.is_some()),
        ("within_years", con.within_years.is_some()),
    ]
    .into_iter()
    .zip(wants)
    {
        let allowed = match con.kind {
            ConcessionKind::None | ConcessionKind::Junior => "no other key",
            ConcessionKind::CappedReturn => "rate",
            ConcessionKind::ExcessShare => "share and above",
            ConcessionKind::Buyout => "rate and within_years",
        };
        let kind = match con.kind {
            ConcessionKind::None => "none",
            ConcessionKind::CappedReturn => "capped_return",
            ConcessionKind::ExcessShare => "excess_share",
            ConcessionKind::Junior => "junior",
            ConcessionKind::Buyout => "buyout",
        };
        if given && !wanted {
            c.fail(
                cp.key(key),
                format!("{key} is not used by kind = \"{kind}\", which takes {allowed}"),
            );
        } else if wanted && !given {
            c.fail(
                cp.clone(),
                format!("{key} is missing: kind = \"{kind}\" takes {allowed}"),
            );
        }
    }
    for (key, rate, what) in [
        ("rate", &con.rate, "a yearly return"),
        ("share", &con.share, "the share of the excess ceded"),
        ("above", &con.above, "a yearly return"),
    ] {
        if let Some(r) = rate {
            c.rate(cp.key(key), r, what);
        }
    }
    if let Some(y) = con.within_years
        && !(1..=30).contains(&y)
    {
        c.fail(
            cp.key("within_years"),
            format!("{y} is not allowed: 1 to 30 years"),
        );
    }
}

/// A fund's local terms: the 返投 multiple, local preference, share of a round and recycling.
fn local_terms(c: &mut Checker, p: &KeyPath, fund: &SubFund) {
    c.range(
        p.key("local_multiple"),
        fund.local_multiple,
        0.0,
        10.0,
        "a multiple of the city's commitment",
    );
    if let Some(r) = &fund.local_preference {
        c.share(p.key("local_preference"), r);
    }
    if let Some(r) = &fund.max_round_share
        && (r.0 <= Decimal::ZERO || r.0 > Decimal::ONE)
    {
        c.fail(
            p.key("max_round_share"),
            format!("{r} is not allowed: a share of the round above 0 and at most 1"),
        );
    }
    c.rate(
        p.key("recycling_limit"),
        &fund.recycling_limit,
        "a share of the fund's size",
    );
}

/// A fund's pacing: a ticket for deal-by-deal investing, or `takahashi_alexander`, not both.
fn pacing(c: &mut Checker, p: &KeyPath, fund: &SubFund) {
    match (&fund.takahashi_alexander, &fund.ticket) {
        (None, Some(t)) => c.per_firm_amount(p.key("ticket"), t, false),
        (None, None) => c.fail(p.clone(), "ticket is missing: a fund investing in firms needs its deal size (or give takahashi_alexander pacing)".into()),
        (Some(_), Some(_)) => c.fail(p.key("ticket"), "ticket is not used with takahashi_alexander pacing".into()),
        (Some(ta), None) => takahashi_alexander(c, &p.key("takahashi_alexander"), ta),
    }
}

/// `takahashi_alexander` pacing: contribution rates, life, bow, yield and growth.
fn takahashi_alexander(c: &mut Checker, q: &KeyPath, ta: &TakahashiAlexander) {
    if ta.contribution_rates.is_empty() {
        c.fail(
            q.key("contribution_rates"),
            "give at least one contribution rate".into(),
        );
    }
    for (j, r) in ta.contribution_rates.iter().enumerate() {
        let path = q.key("contribution_rates").index(j);
        if c.finite(path.clone(), *r) && (*r <= 0.0 || *r > 1.0) {
            c.fail(
                path,
                format!(
                    "{r} is not allowed: a share of the uncalled commitment above 0 and at most 1"
                ),
            );
        }
    }
    if !(1..=30).contains(&ta.life) {
        c.fail(
            q.key("life"),
            format!("{} is not allowed: 1 to 30 years", ta.life),
        );
    }
    c.range(q.key("bow"), ta.bow, 0.01, 20.0, "the bow B of (t/L)^B");
    c.range(
        q.key("yield"),
        ta.yield_floor,
        0.0,
        1.0,
        "a yearly distribution rate",
    );
    c.range(
        q.key("growth"),
        ta.growth,
        -0.9,
        2.0,
        "a yearly growth rate",
    );
    c.range(
        q.key("growth_beta"),
        ta.growth_beta,
        -2.0,
        2.0,
        "growth per unit of the market factor",
    );
}

/// With `takahashi_alexander` pacing, the firm-level terms a fund may not set.
fn unused_with_pacing(c: &mut Checker, p: &KeyPath, fund: &SubFund) {
    // Fund-level pacing has no firms: these firm-level terms would be ignored.
    for (key, used) in [
        ("local_multiple", fund.local_multiple != 0.0),
        ("management_fee", fund.management_fee.0 != Decimal::ZERO),
        ("recycling_limit", fund.recycling_limit.0 != Decimal::ZERO),
        ("stages", !fund.stages.is_empty()),
        ("local_preference", fund.local_preference.is_some()),
        ("term_years", fund.term_years.is_some()),
        ("max_round_share", fund.max_round_share.is_some()),
        ("investment_years", fund.investment_years.is_some()),
        ("relocation_rate", fund.relocation_rate.is_some()),
        ("branch_share", fund.branch_share.is_some()),
        (
            "local_recognition",
            fund.local_recognition != Recognition::Ticket,
        ),
        ("on_shortfall", fund.on_shortfall != OnShortfall::None),
    ] {
        if used {
            c.fail(
                p.key(key),
                format!("{key} is not used with takahashi_alexander pacing (its life is `life`, its calls include fees, it has no firms)"),
            );
        }
    }
}
