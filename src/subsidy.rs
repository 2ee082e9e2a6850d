//! Subsidy rules as data: one year's claims in, exact payments in fen out.
//!
//! The policy (关于加快培育发展未来产业的实施意见, part 二) pays each subsidy as one of
//! - a share of a base: 按单款产品首轮流片费用的30% → [`Amount::Share`] of the cost, applied by
//!   [`RateFen`] (round half to even to the fen); "不超过30%" is read as the ceiling rate;
//! - an amount per unit: 按照每人5万元标准 → [`Amount::PerUnit`] times the enrolled persons;
//! - a fixed amount: 给予每个产品100万元奖励 → [`Amount::Fixed`];
//!
//! optionally only from a floor on the base up (年度服务收入达到100万元的 → `min_base`), and capped
//! per item (单款产品, 每个项目, 每个品种), per firm per year (单个企业每年), per institution per year
//! (每个医疗机构每年) or per firm over all years (单个企业累计; 一次性). "Up to X, case by case" clauses
//! (一事一议, 最高不超过) are a 100% share of an approved amount the engine draws, capped at X. Other
//! conditions (R&D intensity >10%, "with sales", local production) decide whether the engine draws a
//! claim at all. Caps are per rule, as each clause of the policy caps only itself, with two
//! exceptions the text needs:
//! - **items across years** (集采…单个产品最高200万; 按不同临床试验阶段…最高1000万 per drug): a claim may
//!   name its item (a product, a drug), and [`Caps::item_total`] caps the item over all its claims and
//!   years;
//! - **exclusive clauses** (租用费的50%…或购买费用的30%): rules of one [`Exclusive`] group pay a firm
//!   under one of them per year, the larger claim or the first, as the programme says.
//!
//! A [`Program`] is a set of rules sharing one yearly budget. [`Program::pay_year`] pays one year:
//! 0. **Exclusive groups**: for each firm and group, only the claims of the winning rule go on; the
//!    others get 0. The winner is the rule whose claims would pay the firm the most on their own
//!    (`min(Σ item amounts, firm-year cap, the firm's cumulative headroom)`, ties to the earlier
//!    rule), or the rule of the firm's first claim in claim order.
//! 1. **Item**: `a = min(item cap, rate·base | per_unit·units | fixed)`, or 0 below the floor.
//! 2. **Caps across items**, claim by claim in the order given: a claim gets
//!    `min(a, firm-year headroom, institution-year headroom, cumulative headroom, the item's
//!    headroom over its years)` and uses up that much of each. A min commutes, so the order of the caps (item → firm-year → institution-year →
//!    cumulative) never changes a claim's amount; the *claim* order decides which of a firm's items a
//!    binding cap cuts: earlier claims are served first, as an office processes applications. Taking
//!    each claim against all headrooms at once, rather than one cap stage over all claims and then the
//!    next, never reserves headroom for a claim that a later cap cuts anyway, so no allowed fen is lost.
//! 3. **Budget**: when the capped claims exceed the yearly budget, [`Rationing`] shares it out; the
//!    total paid is then exactly the budget. Budget comes last because it is the only rule that looks
//!    at every firm's claims together; scaling before the caps would let a cap undo the sharing.
//! 4. **State**: the cumulative cap counts money *paid*, so a claim shortened by the budget leaves its
//!    firm the headroom for later years. Yearly counters start from zero on every call (one call per
//!    simulated year); only (rule, firm) pairs of rules with a cumulative cap and (rule, firm, item)
//!    triples of rules with an item total are kept across years.
//!
//! Everything is integer fen (budget shares in `i128` when they do not fit in `i64`), and no map
//! is iterated: the year's tallies and what cumulative caps remember are hash maps, only looked
//! up and added to, so results never depend on hashing or iteration order.

use crate::money::{Fen, RateFen, mul_div_rem};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

fn map_with_capacity<K, V>(n: usize) -> FxHashMap<K, V> {
    FxHashMap::with_capacity_and_hasher(n, Default::default())
}

/// How a rule turns a claim's base into an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// `rate × base`, the base in fen (a cost, rent, contract, sales or revenue); `0 ≤ rate ≤ 1`.
    Share(Decimal),
    /// `per_unit × base`, the base a count (enrolled persons).
    PerUnit(Fen),
    /// The same amount for every claim (per product); the base only has to meet the floor.
    Fixed(Fen),
}

/// Caps of one rule, in fen; `None` is no cap. Firm and institution counters are per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    /// Per claim (per product, per project, per contract).
    pub item: Option<Fen>,
    /// Per firm per year.
    pub firm_year: Option<Fen>,
    /// Per institution per year; claims of such a rule must name their institution.
    pub institution_year: Option<Fen>,
    /// Per firm over all years (cumulative; a one-off subsidy is this cap).
    pub firm_total: Option<Fen>,
    /// Per item over all its claims and years (a product's yearly procurement, a drug's phases);
    /// claims of such a rule must name their item.
    pub item_total: Option<Fen>,
}

impl Caps {
    /// Whether a claim's caps read what the firm's earlier claims under the rule were capped to
    /// this year (the firm-year cap and the cumulative one do).
    fn read_firm_year(&self) -> bool {
        self.firm_year.is_some() || self.firm_total.is_some()
    }
}

/// Which rule of an exclusive group pays a firm in a year (租用…或购买: one or the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusive {
    /// The rule whose claims would pay the firm the most on their own (ties to the earlier rule).
    Larger,
    /// The rule of the firm's first claim in claim order (applications processed as they come).
    First,
}

/// One subsidy clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// For reports and error messages.
    pub label: String,
    pub amount: Amount,
    /// The claim pays nothing when `base < min_base` (in the base's unit: fen, or units).
    pub min_base: Option<i64>,
    pub caps: Caps,
    /// The exclusive group the rule belongs to: an index into [`Program::new`]'s `groups`.
    pub exclusive: Option<usize>,
}

/// What happens when the capped claims of a year exceed the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rationing {
    /// Every capped claim `c` is paid `floor(c · budget / total)`; the fen left over (fewer than the
    /// number of claims) go one each to the claims with the largest remainders
    /// `c · budget mod total`, ties to the earlier claim (largest-remainder method). No claim gets
    /// more than its capped amount, and the total paid is exactly the budget.
    ProRata,
    /// Claims are paid in the order given until the budget runs out. The claim that crosses the line
    /// is paid the rest of the budget (partly), so the total paid is exactly the budget; later claims
    /// get nothing.
    FirstCome,
}

/// A rule, program or budget that cannot be paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubsidyError {
    #[error("subsidy rule `{rule}`: {what} is {value} fen, but must be zero or more")]
    Negative {
        rule: String,
        what: &'static str,
        value: i64,
    },
    #[error("subsidy rule `{rule}`: the rate {rate} must be between 0 and 1 (0% to 100%)")]
    Rate { rule: String, rate: Decimal },
    #[error("the yearly subsidy budget is {0} fen, but must be zero or more")]
    Budget(Fen),
    #[error("subsidy rule `{rule}`: exclusive group {group} does not exist ({groups} groups)")]
    Group {
        rule: String,
        group: usize,
        groups: usize,
    },
}

/// One event of one year: a firm's tape-out, trial, certification, voucher spend, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Index into the program's rules.
    pub rule: usize,
    pub firm: u32,
    /// The institution the item is booked to (the hospital running a trial); opaque id.
    pub institution: Option<u32>,
    /// Fen for [`Amount::Share`] and [`Amount::Fixed`], a count for [`Amount::PerUnit`]. Negative
    /// bases count as zero.
    pub base: i64,
    /// The item (product, drug) the claim is for, unique within its rule and firm; needed by rules
    /// with an item total.
    pub item: Option<u64>,
}

/// A set of rules sharing one yearly budget, validated once so that paying cannot fail.
#[derive(Debug, Clone)]
pub struct Program {
    rules: Vec<Rule>,
    /// `Some` for [`Amount::Share`] rules: the rate compiled for exact fen arithmetic.
    rates: Vec<Option<RateFen>>,
    yearly_budget: Option<Fen>,
    rationing: Rationing,
    groups: Vec<Exclusive>,
}

/// What a program carries from year to year: money paid per (rule, firm) under cumulative caps and
/// per (rule, firm, item) under item totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubsidyState {
    // Looked up and added to, never iterated: hash maps.
    received: FxHashMap<(usize, u32), Fen>,
    item_received: FxHashMap<(usize, u32, u64), Fen>,
    /// The year's tallies, empty between calls: kept here so that their tables are allocated once
    /// per path, not once per year.
    year: YearTallies,
    /// The simulator's schedule of items that claim again (kept here, with the caps they meet).
    pub pending: Vec<PendingItem>,
    /// The next item id to hand out (ids are unique within the program).
    pub next_item: u64,
    /// The simulator's working lists for one year (empty between years), kept here so that
    /// their memory is allocated once per run, not once per programme-year.
    pub scratch: SubsidyScratch,
}

/// See [`SubsidyState::scratch`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubsidyScratch {
    /// Items that claim no more after this year: (rule, firm, item).
    pub ended: Vec<(usize, u32, u64)>,
    /// Paid claims as `firm << 32 | claim`.
    pub paid: Vec<u64>,
    /// The year's payout ([`Program::pay_year_into`]); its contents mean nothing between years.
    pub payout: Payout,
}

/// Capped fen this year per (rule, firm), per (rule, institution) and per (rule, firm, item).
/// Looked up and added to, never iterated: hash maps (their order cannot matter). Empty outside
/// [`Program::pay_year_within`], so that two states compare equal whatever their past years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearTallies {
    firm_year: FxHashMap<(usize, u32), Fen>,
    institution_year: FxHashMap<(usize, u32), Fen>,
    item_year: FxHashMap<(usize, u32, u64), Fen>,
}

/// An item that will claim again: in year index `due`, its follow-up number `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingItem {
    pub rule: usize,
    pub firm: u32,
    pub item: u64,
    pub due: usize,
    pub step: usize,
}

/// One year's result; vectors are in claim order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payout {
    /// Paid per claim.
    pub paid: Vec<Fen>,
    /// Per claim after all caps, before the budget.
    pub capped: Vec<Fen>,
    pub total_capped: Fen,
    pub total_paid: Fen,
}

impl Payout {
    /// Empty, with the vectors' memory kept.
    pub fn clear(&mut self) {
        self.paid.clear();
        self.capped.clear();
        self.total_capped = 0;
        self.total_paid = 0;
    }
}

impl SubsidyState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fen paid so far to `firm` under `rule`, counted only for rules with a cumulative cap.
    pub fn received(&self, rule: usize, firm: u32) -> Fen {
        self.received.get(&(rule, firm)).copied().unwrap_or(0)
    }

    /// Fen paid so far for `item` of `firm` under `rule`, counted only for rules with an item total.
    pub fn item_received(&self, rule: usize, firm: u32, item: u64) -> Fen {
        (self.item_received.get(&(rule, firm, item)).copied()).unwrap_or(0)
    }

    /// Forgets an item that will claim no more (keeps the state small over long horizons).
    pub fn forget_item(&mut self, rule: usize, firm: u32, item: u64) {
        self.item_received.remove(&(rule, firm, item));
    }

    /// The state of a new path: equal to [`SubsidyState::new`], with the tables' memory kept
    /// (a path's maps are grown again from empty otherwise, at every path).
    pub fn reset(&mut self) {
        self.received.clear();
        self.item_received.clear();
        debug_assert!(
            self.year == YearTallies::default(),
            "emptied after each year"
        );
        self.pending.clear();
        self.next_item = 0;
        debug_assert!(
            self.scratch == SubsidyScratch::default(),
            "emptied after each year"
        );
    }
}

impl Program {
    pub fn new(
        rules: Vec<Rule>,
        yearly_budget: Option<Fen>,
        rationing: Rationing,
    ) -> Result<Self, SubsidyError> {
        Self::with_groups(rules, yearly_budget, rationing, Vec::new())
    }

    /// [`Program::new`] with exclusive groups: rule `r` with `exclusive = Some(g)` is in group `g`,
    /// whose winner is chosen by `groups[g]`.
    pub fn with_groups(
        rules: Vec<Rule>,
        yearly_budget: Option<Fen>,
        rationing: Rationing,
        groups: Vec<Exclusive>,
    ) -> Result<Self, SubsidyError> {
        if let Some(b) = yearly_budget.filter(|b| *b < 0) {
            return Err(SubsidyError::Budget(b));
        }
        let mut rates = Vec::with_capacity(rules.len());
        for rule in &rules {
            let negative = |what: &'static str, value: Option<i64>| match value {
                Some(v) if v < 0 => Err(SubsidyError::Negative {
                    rule: rule.label.clone(),
                    what,
                    value: v,
                }),
                _ => Ok(()),
            };
            let c = rule.caps;
            negative("the item cap", c.item)?;
            negative("the per-firm yearly cap", c.firm_year)?;
            negative("the per-institution yearly cap", c.institution_year)?;
            negative("the per-firm cumulative cap", c.firm_total)?;
            negative("the per-item total cap", c.item_total)?;
            if let Some(group) = rule.exclusive.filter(|&g| g >= groups.len()) {
                return Err(SubsidyError::Group {
                    rule: rule.label.clone(),
                    group,
                    groups: groups.len(),
                });
            }
            rates.push(match rule.amount {
                Amount::Share(rate) if rate < Decimal::ZERO || rate > Decimal::ONE => {
                    return Err(SubsidyError::Rate {
                        rule: rule.label.clone(),
                        rate,
                    });
                }
                Amount::Share(rate) => Some(RateFen::new(rate)),
                Amount::PerUnit(v) => negative("the amount per unit", Some(v)).map(|_| None)?,
                Amount::Fixed(v) => negative("the fixed amount", Some(v)).map(|_| None)?,
            });
        }
        Ok(Program {
            rules,
            rates,
            yearly_budget,
            rationing,
            groups,
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn yearly_budget(&self) -> Option<Fen> {
        self.yearly_budget
    }

    pub fn rationing(&self) -> Rationing {
        self.rationing
    }

    /// The claim's amount after the floor and the item cap (stage 1 of the module header).
    pub fn item_amount(&self, claim: &Claim) -> Fen {
        let rule = &self.rules[claim.rule];
        let base = claim.base.max(0);
        if rule.min_base.is_some_and(|floor| base < floor) {
            return 0;
        }
        let raw = match (rule.amount, self.rates[claim.rule]) {
            (Amount::Share(_), Some(rate)) => rate.apply(base),
            (Amount::PerUnit(per_unit), _) => per_unit.saturating_mul(base),
            (Amount::Fixed(amount), _) => amount,
            (Amount::Share(_), None) => unreachable!("Program::new compiles every share"),
        };
        rule.caps.item.map_or(raw, |cap| raw.min(cap))
    }

    /// Pays one year's claims (see the module header for the order of caps and the budget) and
    /// books the payments under cumulative caps into `state`.
    ///
    /// # Panics
    /// If a claim names a rule the program does not have, or omits the institution of a rule with
    /// a per-institution cap: both are bugs of the caller, not of the data.
    pub fn pay_year(&self, state: &mut SubsidyState, claims: &[Claim]) -> Payout {
        self.pay_year_within(state, claims, self.yearly_budget)
    }

    /// [`Program::pay_year`] with this year's budget given by the caller (budgets may change from
    /// year to year); `None` is no budget limit.
    pub fn pay_year_within(
        &self,
        state: &mut SubsidyState,
        claims: &[Claim],
        budget: Option<Fen>,
    ) -> Payout {
        let mut out = Payout::default();
        self.pay_year_into(state, claims, budget, &mut out);
        out
    }

    /// [`Program::pay_year_within`] into `out` (its vectors' memory reused): for a caller that pays
    /// a year after another.
    pub fn pay_year_into(
        &self,
        state: &mut SubsidyState,
        claims: &[Claim],
        budget: Option<Fen>,
        out: &mut Payout,
    ) {
        let excluded = self.excluded(state, claims);
        let mut tallies = std::mem::take(&mut state.year);
        let YearTallies {
            firm_year,
            institution_year,
            item_year,
        } = &mut tallies;
        let capped = &mut out.capped;
        capped.clear();
        capped.reserve(claims.len());
        for (n, claim) in claims.iter().enumerate() {
            let caps = &self.rules[claim.rule].caps;
            // What this year's earlier claims of the firm under the rule were capped to, and the
            // tally to add this claim's amount to: kept only for a rule with a cap that reads it.
            let firm_tally = (caps.read_firm_year())
                .then(|| firm_year.entry((claim.rule, claim.firm)).or_insert(0));
            let used = firm_tally.as_deref().copied().unwrap_or(0);
            let mut x = if excluded.get(n).copied().unwrap_or(false) {
                0
            } else {
                self.item_amount(claim)
            };
            if let Some(cap) = caps.firm_year {
                x = x.min(cap - used);
            }
            let institution_tally = caps.institution_year.map(|cap| {
                let id = claim.institution.unwrap_or_else(|| {
                    panic!(
                        "a claim under `{}` must name its institution",
                        self.rules[claim.rule].label
                    )
                });
                let tally = institution_year.entry((claim.rule, id)).or_insert(0);
                x = x.min(cap - *tally);
                tally
            });
            if let Some(cap) = caps.firm_total {
                x = x.min(cap - state.received(claim.rule, claim.firm) - used);
            }
            let item_tally = caps.item_total.map(|cap| {
                let item = claim.item.unwrap_or_else(|| {
                    panic!(
                        "a claim under `{}` must name its item",
                        self.rules[claim.rule].label
                    )
                });
                let tally = item_year.entry((claim.rule, claim.firm, item)).or_insert(0);
                let before = state.item_received(claim.rule, claim.firm, item);
                x = x.min(cap - before - *tally);
                tally
            });
            let x = x.max(0);
            for tally in [firm_tally, institution_tally, item_tally]
                .into_iter()
                .flatten()
            {
                *tally += x;
            }
            capped.push(x);
        }
        firm_year.clear();
        institution_year.clear();
        item_year.clear();
        state.year = tallies;

        let total: i128 = capped.iter().map(|&c| i128::from(c)).sum();
        let paid = &mut out.paid;
        paid.clear();
        match budget {
            Some(budget) if total > i128::from(budget) => match self.rationing {
                Rationing::ProRata => pro_rata(capped, budget, total, paid),
                Rationing::FirstCome => first_come(capped, budget, paid),
            },
            _ => paid.extend_from_slice(capped),
        }

        for (claim, &p) in claims.iter().zip(paid.iter()) {
            let caps = &self.rules[claim.rule].caps;
            if caps.firm_total.is_some() && p > 0 {
                *state.received.entry((claim.rule, claim.firm)).or_insert(0) += p;
            }
            if let Some(item) = claim.item.filter(|_| caps.item_total.is_some() && p > 0) {
                let key = (claim.rule, claim.firm, item);
                *state.item_received.entry(key).or_insert(0) += p;
            }
        }
        out.total_paid = paid.iter().sum();
        out.total_capped = Fen::try_from(total).unwrap_or(Fen::MAX);
    }
}

impl Program {
    /// Stage 0 of the module header: per claim, whether an exclusive group's other rule won the
    /// firm this year. Empty when the program has no groups.
    fn excluded(&self, state: &SubsidyState, claims: &[Claim]) -> Vec<bool> {
        if self.groups.is_empty() {
            return Vec::new();
        }
        // Per (group, firm, rule): the claims' item amounts and the first claim's position, in
        // ascending key order. A stable sort keeps each key's claims in claim order, so the first
        // of a run is the first claim and the sums add up in claim order.
        let mut entries: Vec<((usize, u32, usize), Fen, usize)> = Vec::with_capacity(claims.len());
        entries.extend((claims.iter().enumerate()).filter_map(|(n, claim)| {
            let g = self.rules[claim.rule].exclusive?;
            Some(((g, claim.firm, claim.rule), self.item_amount(claim), n))
        }));
        entries.sort_by_key(|e| e.0);
        let tally = entries.chunk_by(|a, b| a.0 == b.0).map(|run| {
            let sum = (run.iter()).fold(0 as Fen, |s, e| s.saturating_add(e.1));
            (run[0].0, sum, run[0].2)
        });
        // Per (group, firm): the winning rule and its score (larger wins; ties to the earlier rule,
        // which the ascending key order visits first). Only looked up: a hash map.
        let mut winner: FxHashMap<(usize, u32), (usize, Fen)> = map_with_capacity(entries.len());
        for ((g, firm, rule), sum, first) in tally {
            let caps = self.rules[rule].caps;
            let score = match self.groups[g] {
                Exclusive::Larger => {
                    let mut v = sum;
                    if let Some(cap) = caps.firm_year {
                        v = v.min(cap);
                    }
                    if let Some(cap) = caps.firm_total {
                        v = v.min(cap - state.received(rule, firm));
                    }
                    v.max(0)
                }
                // The smaller position wins: score by its negation.
                Exclusive::First => -(first as Fen),
            };
            let best = winner.entry((g, firm)).or_insert((rule, score));
            if score > best.1 {
                *best = (rule, score);
            }
        }
        claims
            .iter()
            .map(|c| {
                self.rules[c.rule]
                    .exclusive
                    .is_some_and(|g| winner[&(g, c.firm)].0 != c.rule)
            })
            .collect()
    }
}

/// [`Rationing::ProRata`] for `total > budget ≥ 0`, into the empty `paid`.
fn pro_rata(capped: &[Fen], budget: Fen, total: i128, paid: &mut Vec<Fen>) {
    debug_assert!(paid.is_empty());
    paid.reserve(capped.len());
    let mut remainders = Vec::with_capacity(capped.len());
    for (i, &c) in capped.iter().enumerate() {
        let (q, r) = mul_div_rem(c, budget, total); // the floor ≤ c, so it fits
        paid.push(q);
        remainders.push((r, i));
    }
    let budget = i128::from(budget);
    // Σ c·budget/total = budget exactly, so the floors fall short by the sum of the fractional
    // parts: an integer smaller than the number of claims with a nonzero remainder. Each of those
    // claims has floor + 1 ≤ c (its exact share c·budget/total is below c and not whole).
    let left = budget - paid.iter().map(|&p| i128::from(p)).sum::<i128>();
    // The `left` largest remainders (ties to the earlier claim) get a fen each: a selection, not
    // a sort, as only which claims are among them matters (the order is total, so the set is
    // the one a sort would give).
    let left = (left as usize).min(remainders.len());
    if left > 0 {
        remainders.select_nth_unstable_by(left - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in &remainders[..left] {
            paid[i] += 1;
        }
    }
}

/// [`Rationing::FirstCome`]: in claim order, the crossing claim paid partly; into the empty `paid`.
fn first_come(capped: &[Fen], budget: Fen, paid: &mut Vec<Fen>) {
    let mut left = budget;
    paid.extend(capped.iter().map(|&c| {
        let p = c.min(left);
        left -= p;
        p
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// 万 yuan in fen: 1万 = 10,000 yuan = 1,000,000 fen.
    const fn wan(x: i64) -> Fen {
        x * 1_000_000
    }

    fn share(rate: &str) -> Amount {
        Amount::Share(rate.parse().unwrap())
    }

    /// Caps in 万 for the table below; 0 means "no cap" (no clause of the policy caps at zero).
    fn caps(item: i64, firm_year: i64, institution_year: i64, firm_total: i64) -> Caps {
        let cap = |x: i64| (x > 0).then(|| wan(x));
        Caps {
            item: cap(item),
            firm_year: cap(firm_year),
            institution_year: cap(institution_year),
            firm_total: cap(firm_total),
            item_total: None,
        }
    }

    fn rule(label: &str, amount: Amount, caps: Caps) -> Rule {
        let (label, min_base) = (label.to_string(), None);
        Rule {
            label,
            amount,
            min_base,
            caps,
            exclusive: None,
        }
    }

    const TAPE_OUT: usize = 0;
    const EDA_RENT: usize = 1;
    const AEC_Q100: usize = 3;
    const CGT_TRIAL: usize = 6;
    const MAH_CLIENT: usize = 9;
    const SB_FDA: usize = 15;
    const DEV_VBP: usize = 19;
    const AI_VOUCHER: usize = 21;
    const LA_CATALOGUE: usize = 25;
    const LA_PLATFORM: usize = 26;

    /// A fixture for the payout logic, modelled on the 27 subsidy clauses of the seed policy
    /// (DOMAIN.md §3); caps in 万 as [item, firm-year, institution-year, firm-cumulative]. "Up to
    /// X" per product is paid at X; case-by-case amounts are a 100% share of the approved amount,
    /// capped. It has no cap per item over the years and reads five clauses more simply than the
    /// bundled scenario does (EDA rent, equipment R&D, a drug's phases, volume procurement, the
    /// relocation award): the scenario's rules are held to the text in tests/clauses.rs.
    #[rustfmt::skip]
    fn policy() -> Vec<Rule> {
        let (fixed, per_unit) = (|x| Amount::Fixed(wan(x)), |x| Amount::PerUnit(wan(x)));
        let mut rules = vec![
            rule("IC first tape-out",        share("0.3"),  caps(200, 500, 0, 0)),
            rule("IC EDA rent",              share("0.5"),  caps(100, 0, 0, 0)),
            rule("IC EDA purchase",          share("0.3"),  caps(300, 0, 0, 0)),
            rule("IC AEC-Q100",              share("0.1"),  caps(0, 0, 0, 100)),
            rule("WBG equipment R&D",        share("0.2"),  caps(1000, 0, 0, 0)),
            rule("WBG in-chain trial",       share("0.1"),  caps(100, 0, 0, 100)),
            rule("CGT trial",                per_unit(5),   caps(50, 0, 500, 0)),
            rule("CGT translation phase",    share("1"),    caps(1000, 0, 0, 0)),
            rule("CGT registration",         share("1"),    caps(1000, 0, 0, 0)),
            rule("CGT MAH client",           share("0.1"),  caps(100, 200, 0, 0)),
            rule("CGT MAH maker",            share("0.1"),  caps(100, 200, 0, 0)),
            rule("SB outside team",          share("0.25"), caps(300, 0, 0, 0)),
            rule("SB service platform",      share("0.1"),  caps(0, 200, 0, 0)),
            rule("SB CDE I to A",            fixed(10),     caps(0, 0, 0, 0)),
            rule("SB DMF/CEP/MF",            fixed(30),     caps(0, 200, 0, 0)),
            rule("SB FDA/EMA",               fixed(100),    caps(0, 0, 0, 0)),
            rule("DEV clinical trial",       share("0.3"),  caps(0, 500, 0, 0)),
            rule("DEV innovative review",    fixed(300),    caps(0, 0, 0, 0)),
            rule("DEV class III",            fixed(300),    caps(0, 0, 0, 0)),
            rule("DEV volume procurement",   share("0.02"), caps(200, 300, 0, 0)),
            rule("AI city compute",          share("1"),    caps(3000, 0, 0, 0)),
            rule("AI compute voucher",       share("0.3"),  caps(0, 200, 0, 0)),
            rule("AI dataset",               share("1"),    caps(500, 0, 0, 0)),
            rule("AI lead application",      share("0.3"),  caps(300, 0, 0, 0)),
            rule("LA head-firm relocation",  share("0.05"), caps(2000, 0, 0, 0)),
            rule("LA catalogued product",    fixed(10),     caps(0, 100, 0, 0)),
            rule("LA test platform",         share("0.2"),  caps(0, 500, 0, 0)),
        ];
        rules[LA_PLATFORM].min_base = Some(wan(100)); // 年度服务收入达到100万元的
        rules
    }

    fn program(budget: Option<Fen>, rationing: Rationing) -> Program {
        Program::new(policy(), budget, rationing).unwrap()
    }

    fn claim(rule: usize, firm: u32, base: i64) -> Claim {
        let institution = None;
        Claim {
            rule,
            firm,
            institution,
            base,
            item: None,
        }
    }

    /// A clinical-trial claim of `firm`'s project at `hospital` with `persons` enrolled.
    fn trial(firm: u32, hospital: u32, persons: i64) -> Claim {
        let institution = Some(hospital);
        Claim {
            institution,
            ..claim(CGT_TRIAL, firm, persons)
        }
    }

    #[test]
    fn a_firm_with_many_tape_outs_gets_exactly_the_firm_year_cap() {
        let p = program(None, Rationing::ProRata);
        let mut state = SubsidyState::new();
        // 4 tape-outs of 800万: 30% = 240万 each, item cap → 200万 each = 800万; the firm-year cap of
        // 500万 pays them in claim order 200 + 200 + 100 + 0. Firm 2's one tape-out of 100万 → 30万.
        let mut claims = vec![claim(TAPE_OUT, 1, wan(800)); 4];
        claims.push(claim(TAPE_OUT, 2, wan(100)));
        let out = p.pay_year(&mut state, &claims);
        assert_eq!(out.paid, [wan(200), wan(200), wan(100), 0, wan(30)]);
        assert_eq!(out.total_paid, wan(530));
        // The next year starts a new firm-year: 200 + 200, then 30% of 3,333,333.37 yuan =
        // 1,000,000.011 yuan → 100,000,001 fen, cut by the 500万 firm-year cap to 100,000,000 fen.
        let claims = [
            claim(TAPE_OUT, 1, wan(800)),
            claim(TAPE_OUT, 1, wan(900)),
            claim(TAPE_OUT, 1, 333_333_337),
        ];
        let out = p.pay_year(&mut state, &claims);
        assert_eq!(out.capped, [wan(200), wan(200), wan(100)]);
        assert_eq!(p.item_amount(&claims[2]), wan(100) + 1);
        // Round half to even: 30% of 5 fen = 1.5 → 2; of 15 fen = 4.5 → 4.
        let out = p.pay_year(&mut state, &[claim(TAPE_OUT, 3, 5), claim(TAPE_OUT, 3, 15)]);
        assert_eq!(out.paid, [2, 4]);
    }

    #[test]
    fn the_cumulative_cap_holds_across_years() {
        let p = program(None, Rationing::ProRata);
        let mut state = SubsidyState::new();
        let aec = |firm, cost_wan| claim(AEC_Q100, firm, wan(cost_wan));
        // AEC-Q100, 10% of cost, ≤100万 per firm in all. Year 1: 400万 → 40万, 300万 → 30万 (70).
        let y1 = p.pay_year(&mut state, &[aec(7, 400), aec(7, 300)]);
        assert_eq!(y1.paid, [wan(40), wan(30)]);
        // Year 2: 500万 → 50万, only 30万 of headroom left; firm 8 is unaffected (20万).
        let y2 = p.pay_year(&mut state, &[aec(7, 500), aec(8, 200)]);
        assert_eq!(y2.paid, [wan(30), wan(20)]);
        // Year 3: 200万 → 20万, nothing left: 0. Firm 7 received 40 + 30 + 30 = 100万 in all.
        assert_eq!(p.pay_year(&mut state, &[aec(7, 200)]).paid, [0]);
        assert_eq!(state.received(AEC_Q100, 7), wan(100));
        assert_eq!(state.received(AEC_Q100, 8), wan(20));
        assert_eq!(state.received(TAPE_OUT, 7), 0); // no cumulative cap: not stored
    }

    #[test]
    fn a_reset_state_is_a_new_one() {
        // A path's state reused for the next path (`PathSim` keeps its tables' memory): after
        // reset it equals a new state, and the same claims are paid the same.
        let p = program(None, Rationing::ProRata);
        let aec = |firm, cost_wan| claim(AEC_Q100, firm, wan(cost_wan));
        let years = [
            vec![aec(7, 400), aec(7, 300)],
            vec![aec(7, 500), aec(8, 200)],
        ];
        let mut used = SubsidyState::new();
        for claims in &years {
            p.pay_year(&mut used, claims);
        }
        used.pending.push(PendingItem {
            rule: 0,
            firm: 1,
            item: 2,
            due: 3,
            step: 0,
        });
        used.next_item = 9;
        assert_ne!(used, SubsidyState::new());
        used.reset();
        assert_eq!(used, SubsidyState::new());
        let mut fresh = SubsidyState::new();
        for claims in &years {
            assert_eq!(
                p.pay_year(&mut used, claims),
                p.pay_year(&mut fresh, claims)
            );
        }
        assert_eq!(used, fresh);
    }

    #[test]
    fn the_cumulative_cap_counts_money_paid_not_claimed() {
        // Budget 30万, first come. Year 1: firm 7 claims 80万 (800万 × 10%) and is paid 30万.
        let p = program(Some(wan(30)), Rationing::FirstCome);
        let mut state = SubsidyState::new();
        let claims = [claim(AEC_Q100, 7, wan(800))];
        assert_eq!(p.pay_year(&mut state, &claims).paid, [wan(30)]);
        // Year 2: the same claim is capped at 100 − 30 = 70万, and paid the budget, 30万.
        let out = p.pay_year(&mut state, &claims);
        assert_eq!((out.capped[0], out.paid[0]), (wan(70), wan(30)));
        assert_eq!(state.received(AEC_Q100, 7), wan(60));
    }

    #[test]
    fn the_institution_cap_binds_across_projects_at_one_hospital() {
        let p = program(None, Rationing::ProRata);
        let mut state = SubsidyState::new();
        // Hospital 1: 9 projects of 12 persons (60万 each, project cap → 50万) = 450万; a project of
        // 6 persons → 30万 (480); one of 10 persons → 50万, only 20万 left under 500万; one more → 0.
        // Hospital 2: 3 persons → 15万, untouched by hospital 1's cap. The firms do not matter.
        let mut claims: Vec<Claim> = (0..9).map(|f| trial(f, 1, 12)).collect();
        claims.extend([
            trial(20, 1, 6),
            trial(21, 1, 10),
            trial(22, 1, 1),
            trial(0, 2, 3),
        ]);
        let out = p.pay_year(&mut state, &claims);
        assert_eq!(out.paid[..9], [wan(50); 9]);
        assert_eq!(out.paid[9..], [wan(30), wan(20), 0, wan(15)]);
        assert_eq!(out.total_paid, wan(515));
        // A new year: the hospital's counter starts again.
        assert_eq!(p.pay_year(&mut state, &[trial(0, 1, 10)]).paid, [wan(50)]);
    }

    #[test]
    fn a_budget_shortfall_is_shared_by_the_stated_rule() {
        // Compute vouchers, 30% of spend: 10万 → 3万 = 3,000,000 fen; 20万 → 6,000,000 fen;
        // 3,333,337 fen → 1,000,001.1 → 1,000,001 fen. Total T = 10,000,001 fen; budget B = 5万.
        let claims = [
            claim(AI_VOUCHER, 1, wan(10)),
            claim(AI_VOUCHER, 2, wan(20)),
            claim(AI_VOUCHER, 3, 3_333_337),
        ];
        let mut state = SubsidyState::new();
        let out = program(Some(wan(5)), Rationing::ProRata).pay_year(&mut state, &claims);
        assert_eq!(out.capped, [3_000_000, 6_000_000, 1_000_001]);
        // c·B/T: 15e12/T = 1,499,999 rem 8,500,001; 30e12/T = 2,999,999 rem 7,000,001;
        // 5,000,005e6/T = 500,000 rem 4,500,000. Floors sum to 4,999,998: the 2 fen left go to the
        // two largest remainders (claims 1 and 2).
        assert_eq!(out.paid, [1_500_000, 3_000_000, 500_000]);
        assert_eq!(out.total_paid, wan(5));
        // Equal remainders: three claims of 3万 share 5万: 1,666,666 each rem 6,000,000; the 2 fen
        // left go to the earlier claims.
        let equal: Vec<Claim> = (1..=3).map(|f| claim(AI_VOUCHER, f, wan(10))).collect();
        let out = program(Some(wan(5)), Rationing::ProRata).pay_year(&mut state, &equal);
        assert_eq!(out.paid, [1_666_667, 1_666_667, 1_666_666]);
        // First come, budget 5万: claim 1 gets 3万, claim 2 the remaining 2万 (partly), claim 3 none.
        let out = program(Some(wan(5)), Rationing::FirstCome).pay_year(&mut state, &claims);
        assert_eq!(out.paid, [wan(3), wan(2), 0]);
        // A budget that covers the claims (11万 ≥ T) pays them in full; a zero budget pays nothing.
        let out = program(Some(wan(11)), Rationing::FirstCome).pay_year(&mut state, &claims);
        assert_eq!(out.paid, out.capped);
        let out = program(Some(0), Rationing::ProRata).pay_year(&mut state, &claims);
        assert_eq!(out.paid, [0, 0, 0]);
    }

    #[test]
    fn a_platform_below_the_revenue_floor_gets_nothing() {
        let p = program(None, Rationing::ProRata);
        let mut state = SubsidyState::new();
        // 999,999.99 yuan of revenue → 0; exactly 100万 → 20万; 2000万 (another platform) → 400万;
        // 3000万 → 600万, capped at 500万 a year.
        let claims = [
            claim(LA_PLATFORM, 1, wan(100) - 1),
            claim(LA_PLATFORM, 2, wan(100)),
            claim(LA_PLATFORM, 3, wan(2000)),
            claim(LA_PLATFORM, 4, wan(3000)),
        ];
        let out = p.pay_year(&mut state, &claims);
        assert_eq!(out.paid, [0, wan(20), wan(400), wan(500)]);
    }

    #[test]
    fn fixed_and_per_unit_amounts() {
        let p = program(None, Rationing::ProRata);
        let mut state = SubsidyState::new();
        // FDA/EMA: 100万 per product whatever the base; three products of one firm → 300万.
        let fda = [0, wan(5), 1].map(|base| claim(SB_FDA, 1, base));
        assert_eq!(p.pay_year(&mut state, &fda).total_paid, wan(300));
        // Catalogued products: 10万 each, ≤100万 a firm-year: 12 products → 10 paid, 100万.
        let out = p.pay_year(&mut state, &vec![claim(LA_CATALOGUE, 1, 0); 12]);
        assert_eq!(out.total_paid, wan(100));
        assert_eq!(out.paid[9..], [wan(10), 0, 0]);
        // Trials: 5万 per person: 7 persons → 35万; 12 → 60万, capped at 50万 a project.
        let out = p.pay_year(&mut state, &[trial(1, 1, 7), trial(1, 1, 12)]);
        assert_eq!(out.paid, [wan(35), wan(50)]);
    }

    #[test]
    fn other_clauses_of_the_table() {
        let p = program(None, Rationing::ProRata);
        let mut state = SubsidyState::new();
        // EDA rent 300万 → 150万 → 100万. MAH: 10% of 1500万 → 150 → 100万 per product; two products
        // → 200万 firm-year cap, a third → 0. Procurement: 2% of 1.2亿 → 240 → 200万, 2% of 5000万 →
        // 100万, but only 100万 left under 300万 a year; 2% of 1000万 → 20万 → 0.
        let claims = [
            claim(EDA_RENT, 1, wan(300)),
            claim(MAH_CLIENT, 1, wan(1500)),
            claim(MAH_CLIENT, 1, wan(1500)),
            claim(MAH_CLIENT, 1, wan(1500)),
            claim(DEV_VBP, 1, wan(12000)),
            claim(DEV_VBP, 1, wan(5000)),
            claim(DEV_VBP, 1, wan(1000)),
        ];
        let paid = p.pay_year(&mut state, &claims).paid;
        assert_eq!(
            paid,
            [wan(100), wan(100), wan(100), 0, wan(200), wan(100), 0]
        );
    }

    #[test]
    fn invalid_rules_are_rejected() {
        let mut rules = policy();
        rules[0].caps.item = Some(-1);
        assert!(matches!(
            Program::new(rules, None, Rationing::ProRata),
            Err(SubsidyError::Negative {
                what: "the item cap",
                ..
            })
        ));
        let mut rules = policy();
        rules[0].amount = share("1.5");
        assert!(Program::new(rules, None, Rationing::ProRata).is_err());
        assert!(Program::new(policy(), Some(-1), Rationing::ProRata).is_err());
    }

    /// The two EDA clauses of one sentence (按照不超过当年实际发生租用费的50%、最高不超过100万元或购买费用的
    /// 30%、最高不超过300万元): rent 50% ≤100万 (per year), purchase 30% ≤300万, in one exclusive group.
    fn eda(winner: Exclusive) -> Program {
        let mut rent = rule("EDA rent", share("0.5"), caps(100, 100, 0, 0));
        let mut purchase = rule("EDA purchase", share("0.3"), caps(300, 0, 0, 0));
        rent.exclusive = Some(0);
        purchase.exclusive = Some(0);
        Program::with_groups(vec![rent, purchase], None, Rationing::ProRata, vec![winner]).unwrap()
    }

    #[test]
    fn rent_or_purchase_pays_one_of_the_two() {
        let (rent, purchase) = (0, 1);
        let p = eda(Exclusive::Larger);
        let mut state = SubsidyState::new();
        let claims = [
            // Firm 1: rent 120万 → 60万; purchase 500万 → 150万. The purchase is larger: 0 + 150万.
            claim(rent, 1, wan(120)),
            claim(purchase, 1, wan(500)),
            // Firm 2: rent 400万 → 200万, item cap 100万; purchase 200万 → 60万. Rent: 100万 + 0.
            claim(purchase, 2, wan(200)),
            claim(rent, 2, wan(400)),
            // Firm 3: two rents of 150万 → 75万 each, 150万 within the year's 100万 cap → 100万;
            // purchase 1/0.3 × 100万 = 3,333,333.33 yuan → 100万 exactly. A tie: the rule written
            // first (rent) wins, paid 75万 + 25万 (the firm-year cap), the purchase 0.
            claim(rent, 3, wan(150)),
            claim(purchase, 3, 333_333_333),
            claim(rent, 3, wan(150)),
        ];
        let out = p.pay_year(&mut state, &claims);
        assert_eq!(p.item_amount(&claims[5]), wan(100));
        assert_eq!(out.paid, [0, wan(150), 0, wan(100), wan(75), 0, wan(25)]);
        // The same claims with "the first wins": firm 1's rent came first (60万), firm 2's purchase
        // (60万), firm 3's rent (75万 + 25万).
        let out = eda(Exclusive::First).pay_year(&mut SubsidyState::new(), &claims);
        assert_eq!(out.paid, [wan(60), 0, wan(60), 0, wan(75), 0, wan(25)]);
        // A new year chooses again: firm 1 rents only → 60万.
        let out = p.pay_year(&mut state, &[claim(rent, 1, wan(120))]);
        assert_eq!(out.paid, [wan(60)]);
        // A rule naming a group that does not exist is refused.
        let mut bad = rule("x", share("0.1"), caps(0, 0, 0, 0));
        bad.exclusive = Some(1);
        let groups = vec![Exclusive::Larger];
        let err = Program::with_groups(vec![bad], None, Rationing::ProRata, groups);
        assert!(matches!(err, Err(SubsidyError::Group { group: 1, .. })));
    }

    fn item_claim(rule: usize, firm: u32, item: u64, base: i64) -> Claim {
        Claim {
            item: Some(item),
            ..claim(rule, firm, base)
        }
    }

    #[test]
    fn a_products_total_binds_across_years_beside_the_firm_year_cap() {
        // 集采: 按当年采购总金额的2%, 单个产品资助最高200万 (per product, over the years), 单个企业每年
        // 最高300万.
        let mut vbp = rule("DEV volume procurement", share("0.02"), caps(0, 300, 0, 0));
        vbp.caps.item_total = Some(wan(200));
        let p = Program::new(vec![vbp], None, Rationing::ProRata).unwrap();
        let mut state = SubsidyState::new();
        let (a, b, c, d) = (1, 2, 3, 4);
        // Year 1: product A 6000万 → 120万; B 4000万 → 80万; 200万 ≤ 300万 for the firm.
        let y1 = p.pay_year(
            &mut state,
            &[
                item_claim(0, 7, a, wan(6000)),
                item_claim(0, 7, b, wan(4000)),
            ],
        );
        assert_eq!(y1.paid, [wan(120), wan(80)]);
        // Year 2: A 5000万 → 100万, 80万 left of its 200万; B 9000万 → 180万, 120万 left.
        let y2 = p.pay_year(
            &mut state,
            &[
                item_claim(0, 7, a, wan(5000)),
                item_claim(0, 7, b, wan(9000)),
            ],
        );
        assert_eq!(y2.paid, [wan(80), wan(120)]);
        assert_eq!(state.item_received(0, 7, a), wan(200));
        // Year 3: A 3000万 → 60万, nothing left: 0. C 2亿 → 400万, its total 200万; D 1亿 → 200万,
        // but only 100万 left under the firm's 300万 this year; D keeps 100万 for later years.
        let y3 = p.pay_year(
            &mut state,
            &[
                item_claim(0, 7, a, wan(3000)),
                item_claim(0, 7, c, wan(20000)),
                item_claim(0, 7, d, wan(10000)),
            ],
        );
        assert_eq!(y3.paid, [0, wan(200), wan(100)]);
        // Year 4: D 1亿 → 200万, 100万 left → 100万. Another firm's item 1 is its own: 2% of 1亿.
        let y4 = p.pay_year(
            &mut state,
            &[
                item_claim(0, 7, d, wan(10000)),
                item_claim(0, 8, a, wan(10000)),
            ],
        );
        assert_eq!(y4.paid, [wan(100), wan(200)]);
        // Forgetting an item that claims no more clears its count.
        state.forget_item(0, 7, a);
        assert_eq!(state.item_received(0, 7, a), 0);
    }

    #[test]
    fn a_drugs_phases_share_one_total_and_count_money_paid() {
        // 本地转化: 按不同临床试验阶段给予最高不超过1000万元资助 — per drug over its phases. The approved
        // award of each phase is the base (100%).
        let mut phases = rule("CGT translation", share("1"), caps(0, 0, 0, 0));
        phases.caps.item_total = Some(wan(1000));
        let p = Program::new(vec![phases], None, Rationing::ProRata).unwrap();
        let mut state = SubsidyState::new();
        let (x, y) = (10, 11);
        // Drug X: phase I 300万 → 300万; phase II 500万 → 500万; phase III 1000万 → the 200万 left.
        // Drug Y of the same firm, phase I 300万 → 300万 (its own total).
        assert_eq!(
            p.pay_year(&mut state, &[item_claim(0, 1, x, wan(300))])
                .paid,
            [wan(300)]
        );
        assert_eq!(
            p.pay_year(&mut state, &[item_claim(0, 1, x, wan(500))])
                .paid,
            [wan(500)]
        );
        let out = p.pay_year(
            &mut state,
            &[
                item_claim(0, 1, x, wan(1000)),
                item_claim(0, 1, y, wan(300)),
            ],
        );
        assert_eq!(out.paid, [wan(200), wan(300)]);
        // Budget short: a phase paid half (pro rata 250万 of 500万) leaves 750万 for later phases.
        let short = Program::new(p.rules().to_vec(), Some(wan(250)), Rationing::ProRata).unwrap();
        let mut state = SubsidyState::new();
        let z = 12;
        assert_eq!(
            short
                .pay_year(&mut state, &[item_claim(0, 2, z, wan(500))])
                .paid,
            [wan(250)]
        );
        let out = p.pay_year(&mut state, &[item_claim(0, 2, z, wan(1000))]);
        assert_eq!((out.capped[0], out.paid[0]), (wan(750), wan(750)));
    }

    #[test]
    fn equipment_rd_is_capped_per_firm_not_per_award() {
        // 第三代半导体: 给予研发投入的20%、最高1000万元 — per firm over all its awards.
        let wbg = rule("WBG equipment R&D", share("0.2"), caps(0, 0, 0, 1000));
        let p = Program::new(vec![wbg.clone()], None, Rationing::ProRata).unwrap();
        let mut state = SubsidyState::new();
        // R&D 3000万 a year → 600万; year 2 only 400万 left; year 3 nothing. Per award (the old
        // reading, item cap 1000万) it would have paid 600万 every year.
        let pay = |state: &mut SubsidyState| p.pay_year(state, &[claim(0, 5, wan(3000))]).paid[0];
        assert_eq!(
            [pay(&mut state), pay(&mut state), pay(&mut state)],
            [wan(600), wan(400), 0]
        );
        assert_eq!(state.received(0, 5), wan(1000));
    }

    #[test]
    fn items_and_exclusive_groups_hold_on_random_years() {
        // Three rules: two in an exclusive group (rent-like with a firm-year cap, purchase-like),
        // one with an item total. Over random years: per firm and year at most one rule of the
        // group pays; per item the money paid never exceeds its total; the budget is kept.
        let mut r0 = rule("rent", share("0.5"), caps(100, 100, 0, 0));
        let mut r1 = rule("purchase", share("0.3"), caps(300, 0, 0, 0));
        let mut r2 = rule("procurement", share("0.02"), caps(0, 300, 0, 0));
        (r0.exclusive, r1.exclusive) = (Some(0), Some(0));
        r2.caps.item_total = Some(wan(200));
        let rules = vec![r0, r1, r2];
        let mut s = 7;
        let (mut cut_by_item, mut both_claimed) = (0, 0);
        for case in 0..200 {
            let winner = [Exclusive::Larger, Exclusive::First][case % 2];
            let budget = (case % 3 == 0).then(|| (next(&mut s) % wan(500) as u64) as Fen);
            let p = Program::with_groups(rules.clone(), budget, Rationing::ProRata, vec![winner])
                .unwrap();
            let mut state = SubsidyState::new();
            let mut per_item: BTreeMap<(u32, u64), Fen> = BTreeMap::new();
            for _year in 0..4 {
                let n = next(&mut s) % 20;
                let claims: Vec<Claim> = (0..n)
                    .map(|_| {
                        let r = (next(&mut s) % 3) as usize;
                        let firm = (next(&mut s) % 3) as u32;
                        let base = (next(&mut s) % wan(20000) as u64) as i64;
                        Claim {
                            item: Some(next(&mut s) % 3),
                            ..claim(r, firm, base)
                        }
                    })
                    .collect();
                let out = p.pay_year(&mut state, &claims);
                assert_eq!(
                    out.total_paid,
                    out.total_capped.min(budget.unwrap_or(Fen::MAX))
                );
                let mut paid_rules: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
                let mut claimed_rules: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
                for (c, (&paid, &capped)) in claims.iter().zip(out.paid.iter().zip(&out.capped)) {
                    if c.rule < 2 {
                        claimed_rules.entry(c.firm).or_default().push(c.rule);
                        if capped > 0 {
                            paid_rules.entry(c.firm).or_default().push(c.rule);
                        }
                    } else {
                        *per_item.entry((c.firm, c.item.unwrap())).or_insert(0) += paid;
                        cut_by_item += usize::from(capped < p.item_amount(c).min(wan(300)));
                    }
                    assert!(paid <= capped);
                }
                for rules in paid_rules.values() {
                    assert!(rules.iter().all(|&r| r == rules[0]), "{rules:?}");
                }
                both_claimed += (claimed_rules.values())
                    .filter(|r| r.contains(&0) && r.contains(&1))
                    .count();
            }
            for (&(firm, item), &sum) in &per_item {
                assert!(sum <= wan(200));
                assert_eq!(state.item_received(2, firm, item), sum);
            }
        }
        assert!(
            cut_by_item > 50 && both_claimed > 50,
            "{cut_by_item} {both_claimed}"
        );
    }

    /// SplitMix64: a fixed stream of random-ish numbers, the same on every machine.
    fn next(s: &mut u64) -> u64 {
        *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[test]
    fn invariants_hold_on_random_years() {
        let rules = policy();
        let (mut s, mut shortfalls, mut cut_by_caps) = (42, 0, 0);
        for case in 0..300 {
            let rationing = [Rationing::ProRata, Rationing::FirstCome][case % 2];
            let budget = (case % 3 != 0).then(|| (next(&mut s) % wan(3000) as u64) as Fen);
            let p = Program::new(rules.clone(), budget, rationing).unwrap();
            let mut state = SubsidyState::new();
            let mut total_by_firm: BTreeMap<(usize, u32), Fen> = BTreeMap::new();
            for _year in 0..3 {
                let n = next(&mut s) % 30;
                let claims: Vec<Claim> = (0..n)
                    .map(|_| {
                        let r = (next(&mut s) % rules.len() as u64) as usize;
                        let base = match rules[r].amount {
                            Amount::PerUnit(_) => (next(&mut s) % 20) as i64,
                            _ => (next(&mut s) % wan(5000) as u64) as i64,
                        };
                        let institution = Some((next(&mut s) % 3) as u32);
                        Claim {
                            institution,
                            ..claim(r, (next(&mut s) % 4) as u32, base)
                        }
                    })
                    .collect();
                let out = p.pay_year(&mut state, &claims);
                let mut firm_year: BTreeMap<(usize, u32), Fen> = BTreeMap::new();
                let mut institution_year: BTreeMap<(usize, u32), Fen> = BTreeMap::new();
                for ((c, &paid), &capped) in claims.iter().zip(&out.paid).zip(&out.capped) {
                    assert!(0 <= paid && paid <= capped && capped <= p.item_amount(c));
                    cut_by_caps += usize::from(capped < p.item_amount(c));
                    let short = budget.filter(|&b| b < out.total_capped);
                    if let Some(b) = short.filter(|_| rationing == Rationing::ProRata) {
                        // Within one fen of the exact share: |paid·T − c·B| < T.
                        let t = i128::from(out.total_capped);
                        let exact = i128::from(capped) * i128::from(b);
                        assert!((i128::from(paid) * t - exact).abs() < t);
                    }
                    *firm_year.entry((c.rule, c.firm)).or_insert(0) += paid;
                    *institution_year
                        .entry((c.rule, c.institution.unwrap()))
                        .or_insert(0) += paid;
                    *total_by_firm.entry((c.rule, c.firm)).or_insert(0) += paid;
                }
                assert_eq!(out.total_paid, out.paid.iter().sum::<Fen>());
                shortfalls += usize::from(out.total_paid < out.total_capped);
                let budget_or_all = budget.unwrap_or(Fen::MAX);
                assert_eq!(out.total_paid, out.total_capped.min(budget_or_all));
                for (&(r, _), &sum) in &firm_year {
                    assert!(sum <= rules[r].caps.firm_year.unwrap_or(Fen::MAX));
                }
                for (&(r, _), &sum) in &institution_year {
                    assert!(sum <= rules[r].caps.institution_year.unwrap_or(Fen::MAX));
                }
            }
            for (&(r, firm), &sum) in &total_by_firm {
                if let Some(cap) = rules[r].caps.firm_total {
                    assert!(sum <= cap);
                    assert_eq!(state.received(r, firm), sum);
                }
            }
        }
        // The cases do exercise the budget and the caps across items.
        assert!(
            shortfalls > 100 && cut_by_caps > 100,
            "{shortfalls} {cut_by_caps}"
        );
    }

    /// Pro-rata shares as they were first written: every division in `i128`, every remainder
    /// sorted. The reference [`pro_rata`] (i64 when it fits, a selection) must equal.
    fn pro_rata_by_sort(capped: &[Fen], budget: Fen, total: i128) -> Vec<Fen> {
        let budget = i128::from(budget);
        let mut paid: Vec<Fen> = capped
            .iter()
            .map(|&c| (i128::from(c) * budget / total) as Fen)
            .collect();
        let mut remainders: Vec<(i128, usize)> = (capped.iter().enumerate())
            .map(|(i, &c)| (i128::from(c) * budget % total, i))
            .collect();
        let left = budget - paid.iter().map(|&p| i128::from(p)).sum::<i128>();
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in remainders.iter().take(left as usize) {
            paid[i] += 1;
        }
        paid
    }

    #[test]
    fn pro_rata_equals_the_sorted_i128_reference() {
        let mut s = 7;
        let mut wide = 0;
        for case in 0..2_000 {
            let n = 1 + (next(&mut s) % 40) as usize;
            // Small amounts (ties among remainders are common), fen-sized ones, and amounts near
            // i64::MAX / 4 whose products overflow i64 (the i128 path).
            let scale: u64 = [7, wan(5000) as u64, (i64::MAX / 4) as u64][case % 3];
            let capped: Vec<Fen> = (0..n).map(|_| (next(&mut s) % scale) as Fen).collect();
            let total: i128 = capped.iter().map(|&c| i128::from(c)).sum();
            if total == 0 {
                continue;
            }
            let budget = (next(&mut s) as i128 % total.min(i128::from(Fen::MAX))) as Fen;
            wide += (capped.iter().any(|&c| c.checked_mul(budget).is_none())) as u32;
            let mut paid = Vec::new();
            pro_rata(&capped, budget, total, &mut paid);
            assert_eq!(
                paid,
                pro_rata_by_sort(&capped, budget, total),
                "case {case}"
            );
            assert_eq!(
                paid.iter().map(|&p| i128::from(p)).sum::<i128>(),
                i128::from(budget)
            );
        }
        assert!(wide > 100, "only {wide} cases took the i128 path");
    }
}
