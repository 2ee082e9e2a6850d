//! The metric catalogue: every number fundsim reports, its unit and its Chinese label.
//!
//! Two families:
//! - **yearly** metrics are integers per path and year (fen or counts): flows booked in the year, or
//!   stocks at the year's end. They feed `yearly.csv` (sketches, exact means) and the targets.
//! - **scalar** metrics are one number per path (`summary.csv`, `paths.parquet`): horizon totals,
//!   ratios (TVPI, IRR) and each target's value at its deadline.
//!
//! The catalogue of a scenario depends on its instruments (per-instrument metrics are named
//! `metric.instrument_id`) and targets (`target.target_id`, `met.target_id`).

/// What a number is measured in. Money is booked in fen and reported in yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Yuan (booked as fen).
    Cny,
    Count,
    /// A dimensionless ratio such as TVPI or yuan mobilised per fiscal yuan.
    Ratio,
    /// An annual rate such as an IRR.
    Rate,
    /// 0 or 1 per path; its mean is a probability.
    Indicator,
    /// A drawn `[uncertain]` input, in the unit the scenario writes it (yuan, a fraction, a number).
    Input,
}

impl Unit {
    pub fn code(self) -> &'static str {
        match self {
            Unit::Cny => "CNY",
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Rate => "rate",
            Unit::Indicator => "probability",
            Unit::Input => "input",
        }
    }
}

/// Whether a yearly metric is booked per year (and summed to a deadline) or read at year end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Flow,
    Stock,
}

/// A yearly metric of the program (not per instrument). The order is the storage order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearlyDef {
    pub name: &'static str,
    pub unit: Unit,
    pub kind: Kind,
    pub label: &'static str,
}

macro_rules! yearly_defs {
    ($( $id:ident = ($name:literal, $unit:ident, $kind:ident, $label:literal) ),* $(,)?) => {
        /// Indices of the program-level yearly metrics.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum Y { $( $id ),* }

        pub const PROGRAM_YEARLY: &[YearlyDef] = &[
            $( YearlyDef { name: $name, unit: Unit::$unit, kind: Kind::$kind, label: $label } ),*
        ];
    };
}

yearly_defs! {
    ProjectsLanded = ("projects_landed", Count, Flow, "新落户科创项目"),
    Talents = ("talents", Count, Flow, "新引进硕博士人才"),
    Financing = ("financing", Cny, Flow, "本地企业新增融资"),
    GrantsAwarded = ("grants_awarded", Count, Flow, "资助项目数"),
    EquityDeals = ("equity_deals", Count, Flow, "股权投资项目数"),
    Conversions = ("conversions", Count, Flow, "拨投股转股项目数"),
    LoansGuaranteed = ("loans_guaranteed", Count, Flow, "担保贷款笔数"),
    SubsidyUnmet = ("subsidy_unmet", Cny, Flow, "补贴申请超出预算未兑付金额"),
    FundsClosed = ("funds_closed", Count, Flow, "新设参股基金数"),
    FundsLocalInvested = ("funds_local_invested", Cny, Flow, "参股基金投资本地企业金额(返投)"),
    FundsOutsideInvested = ("funds_outside_invested", Cny, Flow, "参股基金投资外地企业金额"),
    FirmsSupported = ("firms_supported", Count, Flow, "首次获支持企业数"),
    FundsLocalRecognised = ("funds_local_recognised", Cny, Flow, "参股基金认定返投金额"),
    FanhouShortfall = ("fanhou_shortfall", Cny, Flow, "投资期结束时返投未达标缺口"),
    Relocations = ("relocations", Count, Flow, "参股基金被投外地企业迁入数(计入新落户项目)"),
    LargeArrivals = ("large_arrivals", Count, Flow, "新引进大企业数"),
    AdditionalRounds = ("additional_rounds", Count, Flow, "政策带来的新增融资轮次"),
    AdditionalExits = ("additional_exits", Count, Flow, "政策带来的新增退出"),
    AdditionalProjects = ("additional_projects", Count, Flow, "政策带来的新增落户项目"),
    AdditionalTalents = ("additional_talents", Count, Flow, "政策带来的新增硕博士人才"),
    Exits = ("exits", Count, Flow, "退出(上市或并购)企业数"),
    Ipos = ("ipos", Count, Flow, "上市企业数"),
    Failures = ("failures", Count, Flow, "失败企业数"),
    FiscalOutlay = ("fiscal_outlay", Cny, Flow, "财政出资"),
    Deployed = ("deployed", Cny, Flow, "投放资金(含循环资金)"),
    MoneyBack = ("money_back", Cny, Flow, "回收资金"),
    ToTreasury = ("to_treasury", Cny, Flow, "上缴财政"),
    Mobilised = ("mobilised", Cny, Flow, "撬动社会资本"),
    ActiveFirms = ("active_firms", Count, Stock, "在营未退出企业数"),
    Unicorns = ("unicorns", Count, Stock, "独角兽企业数"),
    PotentialUnicorns = ("potential_unicorns", Count, Stock, "潜在独角兽企业数"),
    UnicornsInclPotential = ("unicorns_incl_potential", Count, Stock, "(潜在)独角兽企业数"),
    UnicornsInclPotentialNew = ("unicorns_incl_potential_new", Count, Stock, "新培育(潜在)独角兽企业数(不含期初已达标企业)"),
    ChainLeaders = ("chain_leaders", Count, Stock, "链主企业数"),
    ChainLeadersNew = ("chain_leaders_new", Count, Stock, "新引育链主企业数(不含期初已达标企业)"),
    AdditionalUnicorns = ("additional_unicorns", Count, Stock, "政策带来的新增(潜在)独角兽"),
    AdditionalChainLeaders = ("additional_chain_leaders", Count, Stock, "政策带来的新增链主企业"),
    Clusters = ("clusters", Count, Stock, "百亿级产业集群数"),
    LocalRevenue = ("local_revenue", Cny, Stock, "本地企业营业收入"),
    HoldingsValue = ("holdings_value", Cny, Stock, "持有股权估值"),
    PoolBalance = ("pool_balance", Cny, Stock, "资金池余额"),
    UnfundedCommitments = ("unfunded_commitments", Cny, Stock, "对参股基金已认缴未实缴出资(或有负债)"),
    GuaranteedPrincipal = ("guaranteed_principal", Cny, Stock, "在保贷款本金余额"),
    GuaranteedCityShare = ("guaranteed_city_share", Cny, Stock, "在保贷款中财政承担的风险敞口"),
    PendingConvertibles = ("pending_convertibles", Cny, Stock, "尚未转股的拨投股资金"),
    TaxRevenue = ("tax_revenue", Cny, Flow, "本地企业缴纳的市级税收"),
    AdditionalTaxRevenue = ("additional_tax_revenue", Cny, Flow, "政策带来或留住企业的市级税收"),
    NetFiscalFlowCum = ("net_fiscal_flow_cum", Cny, Stock, "累计财政净现金流(上缴财政−财政出资)"),
    NetPosition = ("net_position", Cny, Stock, "财政资金净头寸(累计上缴−累计出资+资金池余额+持有股权估值)"),
}

/// Number of program-level yearly metrics.
pub const N_PROGRAM_YEARLY: usize = PROGRAM_YEARLY.len();

/// Per-instrument yearly metrics, stored after the program ones, instrument by instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum IY {
    FiscalOutlay,
    Deployed,
    MoneyBack,
    HoldingsValue,
    Deals,
    Mobilised,
}

pub const INSTRUMENT_YEARLY: &[YearlyDef] = &[
    YearlyDef {
        name: "fiscal_outlay",
        unit: Unit::Cny,
        kind: Kind::Flow,
        label: "财政出资",
    },
    YearlyDef {
        name: "deployed",
        unit: Unit::Cny,
        kind: Kind::Flow,
        label: "投放资金",
    },
    YearlyDef {
        name: "money_back",
        unit: Unit::Cny,
        kind: Kind::Flow,
        label: "回收资金",
    },
    YearlyDef {
        name: "holdings_value",
        unit: Unit::Cny,
        kind: Kind::Stock,
        label: "持有股权估值",
    },
    YearlyDef {
        name: "deals",
        unit: Unit::Count,
        kind: Kind::Flow,
        label: "项目数",
    },
    YearlyDef {
        name: "mobilised",
        unit: Unit::Cny,
        kind: Kind::Flow,
        label: "撬动社会资本",
    },
];

pub const N_INSTRUMENT_YEARLY: usize = INSTRUMENT_YEARLY.len();

/// Per-industry yearly metrics, stored after the instruments', industry by industry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum INY {
    ActiveFirms,
    ClusterOutput,
}

pub const INDUSTRY_YEARLY: &[YearlyDef] = &[
    YearlyDef {
        name: "active_firms",
        unit: Unit::Count,
        kind: Kind::Stock,
        label: "在营未退出企业数",
    },
    YearlyDef {
        name: "cluster_output",
        unit: Unit::Cny,
        kind: Kind::Stock,
        label: "产业集群规模(营收或估值合计)",
    },
];

pub const N_INDUSTRY_YEARLY: usize = INDUSTRY_YEARLY.len();

/// Whether less is better for a metric (its base name, before any `.id`): costs, losses, shortfalls,
/// idle money and failures. For every other metric more is better (in `comparison.csv`). A target's
/// value `target.<id>` takes its direction from the target, which this catalogue does not know:
/// `Model::lower_is_better` answers for it.
/// Metrics for which neither more nor less is better on every path: the per-path costs per
/// additional outcome (`cost_per_additional_*`). A path whose net fiscal cost is negative (the
/// policy earned money) has a negative ratio that more outcomes bring *up* towards 0, so "lower is
/// better" ranks such paths backwards. `comparison.csv` leaves their `p_better` empty, and
/// `allocate` does not take them as an objective.
pub fn directionless(name: &str) -> bool {
    let base = name.split_once('.').map_or(name, |(b, _)| b);
    base.starts_with("cost_per_additional_")
}

pub fn lower_is_better(name: &str) -> bool {
    let base = name.split_once('.').map_or(name, |(b, _)| b);
    matches!(
        base,
        "fiscal_outlay"
            | "net_fiscal_cost"
            | "net_fiscal_cost_pv"
            | "net_fiscal_cost_with_outstanding"
            | "net_fiscal_cost_after_tax"
            | "failures"
            | "subsidy_unmet"
            | "idle_rate"
            | "expected_guarantee_loss"
            | "unfunded_commitments"
            | "guaranteed_principal"
            | "guaranteed_city_share"
            | "pending_convertibles"
            | "fanhou_shortfall"
    )
}

/// Suffix of a flow's base name that makes a target take the smallest yearly value up to the
/// deadline ("each year at least five ..."): `grants_awarded_min_per_year`, `deals_min_per_year.bgt`.
pub const MIN_PER_YEAR: &str = "_min_per_year";

/// How a target reads a yearly series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Sum of a flow from the start year to the deadline, inclusive.
    Cumulative,
    /// A stock at the deadline's year end.
    AtYearEnd,
    /// The smallest yearly flow from the start year to the deadline.
    MinPerYear,
}

/// A target metric resolved against a scenario's yearly metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetRead {
    /// Index in the catalogue's yearly metrics (program ones first, then per instrument).
    pub index: usize,
    pub reading: Reading,
    pub unit: Unit,
}

/// Resolves a target metric name: a program metric (`projects_landed`), an instrument's
/// (`deals.bgt`) or an industry's (`cluster_output.ic`); a flow optionally with [`MIN_PER_YEAR`] on
/// its base name.
pub fn target_read(
    name: &str,
    instrument_ids: &[&str],
    industry_ids: &[&str],
) -> Option<TargetRead> {
    let (base, id) = match name.split_once('.') {
        Some((base, id)) => (base, Some(id)),
        None => (name, None),
    };
    let (base, min) = match base.strip_suffix(MIN_PER_YEAR) {
        Some(b) => (b, true),
        None => (base, false),
    };
    let find = |defs: &[YearlyDef]| defs.iter().position(|d| d.name == base);
    let (index, def) = match id {
        None => {
            let i = find(PROGRAM_YEARLY)?;
            (i, PROGRAM_YEARLY[i])
        }
        Some(id) => {
            if let (Some(k), Some(j)) = (
                instrument_ids.iter().position(|i| *i == id),
                find(INSTRUMENT_YEARLY),
            ) {
                (Catalogue::instrument_yearly(k) + j, INSTRUMENT_YEARLY[j])
            } else {
                let i = industry_ids.iter().position(|i| *i == id)?;
                let j = find(INDUSTRY_YEARLY)?;
                (
                    Catalogue::industry_yearly_at(instrument_ids.len(), i) + j,
                    INDUSTRY_YEARLY[j],
                )
            }
        }
    };
    let reading = match (def.kind, min) {
        (Kind::Flow, false) => Reading::Cumulative,
        (Kind::Flow, true) => Reading::MinPerYear,
        (Kind::Stock, false) => Reading::AtYearEnd,
        (Kind::Stock, true) => return None,
    };
    Some(TargetRead {
        index,
        reading,
        unit: def.unit,
    })
}

/// Whether yearly metric `name` (`fiscal_outlay`, `fiscal_outlay.fof`, `active_firms.ic`) is a
/// flow (booked in its year; a target sums the years) or a stock (its value at the year's end).
pub fn yearly_kind(name: &str) -> Option<Kind> {
    let find =
        |defs: &[YearlyDef], base: &str| defs.iter().find(|d| d.name == base).map(|d| d.kind);
    match name.split_once('.') {
        None => find(PROGRAM_YEARLY, name),
        Some((base, _)) => find(INSTRUMENT_YEARLY, base).or_else(|| find(INDUSTRY_YEARLY, base)),
    }
}

/// Levenshtein distance (for "did you mean").
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The names of `names` closest to a mistyped `given`, for "did you mean": those that are
/// `given` per instrument or industry (`given.<id>`), else up to three within a few edits.
pub fn closest<'a>(given: &str, names: &[&'a str]) -> Vec<&'a str> {
    let prefix = format!("{given}.");
    let per: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    if !per.is_empty() {
        return per;
    }
    let mut scored: Vec<(usize, &str)> = (names.iter())
        .map(|n| (distance(&given.to_lowercase(), n), *n))
        .filter(|(d, n)| *d <= 3.max(n.len() / 4))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// What a target's `metric` may be, in a few lines: the programme's yearly metrics, an
/// instrument's or an industry's as `<metric>.<id>` (with the ids), a flow's least year as
/// `<metric>_min_per_year`.
pub fn target_metrics_described(instrument_ids: &[&str], industry_ids: &[&str]) -> String {
    let names = |defs: &[YearlyDef]| defs.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
    let mut text = format!(
        "a target reads a yearly metric: the programme's ({})",
        names(PROGRAM_YEARLY)
    );
    if !instrument_ids.is_empty() {
        text.push_str(&format!(
            "; an instrument's as <metric>.<id> ({}; ids: {})",
            names(INSTRUMENT_YEARLY),
            instrument_ids.join(", ")
        ));
    }
    if !industry_ids.is_empty() {
        text.push_str(&format!(
            "; an industry's as <metric>.<id> ({}; ids: {})",
            names(INDUSTRY_YEARLY),
            industry_ids.join(", ")
        ));
    }
    text.push_str(&format!(
        "; and a flow's least year as <metric>{MIN_PER_YEAR} (<metric>{MIN_PER_YEAR}.<id>)"
    ));
    text
}

/// Every name a target may use, for error messages.
pub fn target_metric_names(instrument_ids: &[&str], industry_ids: &[&str]) -> Vec<String> {
    let with_min = |defs: &[YearlyDef], suffix: &str| -> Vec<String> {
        defs.iter()
            .flat_map(|d| {
                let mut v = vec![format!("{}{suffix}", d.name)];
                if d.kind == Kind::Flow {
                    v.push(format!("{}{MIN_PER_YEAR}{suffix}", d.name));
                }
                v
            })
            .collect()
    };
    let mut names = with_min(PROGRAM_YEARLY, "");
    for id in instrument_ids {
        names.extend(with_min(INSTRUMENT_YEARLY, &format!(".{id}")));
    }
    for id in industry_ids {
        names.extend(with_min(INDUSTRY_YEARLY, &format!(".{id}")));
    }
    names
}

/// Program-level scalar metrics (one number per path). The order is the storage order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalarDef {
    pub name: &'static str,
    pub unit: Unit,
    pub label: &'static str,
}

macro_rules! scalar_defs {
    ($( $id:ident = ($name:literal, $unit:ident, $label:literal) ),* $(,)?) => {
        /// Indices of the program-level scalar metrics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum S { $( $id ),* }

        pub const PROGRAM_SCALARS: &[ScalarDef] = &[
            $( ScalarDef { name: $name, unit: Unit::$unit, label: $label } ),*
        ];
    };
}

scalar_defs! {
    FiscalOutlay = ("fiscal_outlay", Cny, "财政出资合计"),
    Deployed = ("deployed", Cny, "投放资金合计(含循环)"),
    MoneyBack = ("money_back", Cny, "回收资金合计"),
    ToTreasury = ("to_treasury", Cny, "上缴财政合计"),
    HoldingsValue = ("holdings_value", Cny, "期末持有股权估值"),
    PoolBalance = ("pool_balance", Cny, "期末资金池余额"),
    NetFiscalCost = ("net_fiscal_cost", Cny, "财政净成本"),
    NetFiscalCostPv = ("net_fiscal_cost_pv", Cny, "财政净成本(折现)"),
    FiscalIrr = ("fiscal_irr", Rate, "财政资金内部收益率(仅先投后收、收益率唯一时有定义)"),
    FiscalIrrDefined = ("fiscal_irr_defined", Indicator, "财政资金内部收益率有定义"),
    FiscalMirr = ("fiscal_mirr", Rate, "财政资金修正内部收益率(MIRR，按折现率融资与再投资)"),
    Tvpi = ("tvpi", Ratio, "总价值倍数TVPI(上缴财政+资金池余额+期末持有估值)÷财政出资"),
    Dpi = ("dpi", Ratio, "已分配倍数DPI(上缴财政÷财政出资，收益全部循环时为0)"),
    Mobilised = ("mobilised", Cny, "撬动社会资本合计"),
    MobilisedPerFiscalYuan = ("mobilised_per_fiscal_yuan", Ratio, "每元财政撬动社会资本"),
    ProjectsLanded = ("projects_landed", Count, "新落户科创项目合计"),
    Talents = ("talents", Count, "新引进硕博士合计"),
    Financing = ("financing", Cny, "本地企业新增融资合计"),
    FirmsSupported = ("firms_supported", Count, "获支持企业数"),
    GrantsAwarded = ("grants_awarded", Count, "资助项目数合计"),
    EquityDeals = ("equity_deals", Count, "股权投资项目数合计"),
    Conversions = ("conversions", Count, "拨投股转股项目数合计"),
    Exits = ("exits", Count, "退出企业数合计"),
    Unicorns = ("unicorns", Count, "期末独角兽企业数"),
    PotentialUnicorns = ("potential_unicorns", Count, "期末潜在独角兽企业数"),
    ChainLeaders = ("chain_leaders", Count, "期末链主企业数"),
    ChainLeadersNew = ("chain_leaders_new", Count, "期末新引育链主企业数"),
    Clusters = ("clusters", Count, "期末百亿级集群数"),
    LocalRevenue = ("local_revenue", Cny, "期末本地企业营业收入"),
    UnfundedCommitments = ("unfunded_commitments", Cny, "期末对参股基金已认缴未实缴出资"),
    GuaranteedPrincipal = ("guaranteed_principal", Cny, "期末在保贷款本金余额"),
    GuaranteedCityShare = ("guaranteed_city_share", Cny, "期末在保贷款财政风险敞口"),
    PendingConvertibles = ("pending_convertibles", Cny, "期末尚未转股的拨投股资金"),
    ExpectedGuaranteeLoss = ("expected_guarantee_loss", Cny, "期末在保贷款的预期财政损失"),
    NetFiscalCostWithOutstanding = ("net_fiscal_cost_with_outstanding", Cny, "财政净成本(含在保贷款预期损失)"),
    TaxRevenue = ("tax_revenue", Cny, "本地企业缴纳的市级税收合计"),
    AdditionalTaxRevenue = ("additional_tax_revenue", Cny, "政策带来或留住企业的市级税收合计"),
    NetFiscalCostAfterTax = ("net_fiscal_cost_after_tax", Cny, "财政净成本(扣除政策带来的税收)"),
    FiscalIrrWithTax = ("fiscal_irr_with_tax", Rate, "财政资金内部收益率(计入政策带来的税收)"),
    FiscalIrrWithTaxDefined = ("fiscal_irr_with_tax_defined", Indicator, "财政资金内部收益率(计入税收)有定义"),
    Leverage = ("leverage", Ratio, "财政资金放大倍数"),
    PrincipalRecovery = ("principal_recovery", Ratio, "本金回收率"),
    IdleRate = ("idle_rate", Ratio, "资金闲置率"),
    EarlyStageShare = ("early_stage_share", Ratio, "投早投小比例(种子、A轮)"),
    FanhouMultiple = ("fanhou_multiple", Ratio, "返投倍数(认定返投÷市级认缴)"),
    PaidInRate = ("paid_in_rate", Ratio, "出资到位率(实缴÷认缴)"),
    LargeArrivals = ("large_arrivals", Count, "新引进大企业数合计"),
    Relocations = ("relocations", Count, "返投迁入企业数合计"),
    AdditionalRounds = ("additional_rounds", Count, "政策带来的新增融资轮次合计"),
    AdditionalExits = ("additional_exits", Count, "政策带来的新增退出合计"),
    AdditionalUnicorns = ("additional_unicorns", Count, "期内政策带来的新增(潜在)独角兽"),
    AdditionalChainLeaders = ("additional_chain_leaders", Count, "期内政策带来的新增链主企业"),
    AdditionalProjects = ("additional_projects", Count, "政策带来的新增落户项目合计"),
    AdditionalTalents = ("additional_talents", Count, "政策带来的新增硕博士人才合计"),
    CostPerAdditionalUnicorn = ("cost_per_additional_unicorn", Cny, "每个新增(潜在)独角兽的财政净成本"),
    CostPerAdditionalChainLeader = ("cost_per_additional_chain_leader", Cny, "每个新增链主企业的财政净成本"),
    CostPerAdditionalProject = ("cost_per_additional_project", Cny, "每个新增落户项目的财政净成本"),
}

pub const N_PROGRAM_SCALARS: usize = PROGRAM_SCALARS.len();

/// Per-instrument scalar metrics, stored after the program ones, instrument by instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum IS {
    FiscalOutlay,
    Deployed,
    MoneyBack,
    HoldingsValue,
    Tvpi,
    Dpi,
    Irr,
    IrrDefined,
    Mirr,
    Mobilised,
    Deals,
    NetFiscalCost,
    AdditionalRounds,
    AdditionalExits,
    AdditionalUnicorns,
    AdditionalChainLeaders,
    AdditionalProjects,
    AdditionalTalents,
    CostPerAdditionalUnicorn,
    CostPerAdditionalChainLeader,
    CostPerAdditionalProject,
    Leverage,
    PrincipalRecovery,
    IdleRate,
    EarlyStageShare,
    FanhouMultiple,
    PaidInRate,
}

pub const INSTRUMENT_SCALARS: &[ScalarDef] = &[
    ScalarDef {
        name: "fiscal_outlay",
        unit: Unit::Cny,
        label: "财政出资",
    },
    ScalarDef {
        name: "deployed",
        unit: Unit::Cny,
        label: "投放资金",
    },
    ScalarDef {
        name: "money_back",
        unit: Unit::Cny,
        label: "回收资金",
    },
    ScalarDef {
        name: "holdings_value",
        unit: Unit::Cny,
        label: "期末持有估值",
    },
    ScalarDef {
        name: "tvpi",
        unit: Unit::Ratio,
        label: "TVPI(回收资金+期末持有估值)÷投放资金",
    },
    ScalarDef {
        name: "dpi",
        unit: Unit::Ratio,
        label: "DPI(回收资金÷投放资金)",
    },
    ScalarDef {
        name: "irr",
        unit: Unit::Rate,
        label: "内部收益率(仅先投后收、收益率唯一时有定义)",
    },
    ScalarDef {
        name: "irr_defined",
        unit: Unit::Indicator,
        label: "内部收益率有定义",
    },
    ScalarDef {
        name: "mirr",
        unit: Unit::Rate,
        label: "修正内部收益率(MIRR，按折现率)",
    },
    ScalarDef {
        name: "mobilised",
        unit: Unit::Cny,
        label: "撬动社会资本",
    },
    ScalarDef {
        name: "deals",
        unit: Unit::Count,
        label: "项目数",
    },
    ScalarDef {
        name: "net_fiscal_cost",
        unit: Unit::Cny,
        label: "财政净成本(出资−回收−期末估值)",
    },
    ScalarDef {
        name: "additional_rounds",
        unit: Unit::Count,
        label: "带来的新增融资轮次",
    },
    ScalarDef {
        name: "additional_exits",
        unit: Unit::Count,
        label: "带来的新增退出",
    },
    ScalarDef {
        name: "additional_unicorns",
        unit: Unit::Count,
        label: "带来的新增(潜在)独角兽",
    },
    ScalarDef {
        name: "additional_chain_leaders",
        unit: Unit::Count,
        label: "带来的新增链主企业",
    },
    ScalarDef {
        name: "additional_projects",
        unit: Unit::Count,
        label: "带来的新增落户项目",
    },
    ScalarDef {
        name: "additional_talents",
        unit: Unit::Count,
        label: "带来的新增硕博士人才",
    },
    ScalarDef {
        name: "cost_per_additional_unicorn",
        unit: Unit::Cny,
        label: "每个新增(潜在)独角兽的财政净成本(逐路径之比，仅计有新增的路径；政策净回收时为负)",
    },
    ScalarDef {
        name: "cost_per_additional_chain_leader",
        unit: Unit::Cny,
        label: "每个新增链主企业的财政净成本(逐路径之比，仅计有新增的路径；政策净回收时为负)",
    },
    ScalarDef {
        name: "cost_per_additional_project",
        unit: Unit::Cny,
        label: "每个新增落户项目的财政净成本(逐路径之比，仅计有新增的路径；政策净回收时为负)",
    },
    ScalarDef {
        name: "leverage",
        unit: Unit::Ratio,
        label: "财政资金放大倍数",
    },
    ScalarDef {
        name: "principal_recovery",
        unit: Unit::Ratio,
        label: "本金回收率",
    },
    ScalarDef {
        name: "idle_rate",
        unit: Unit::Ratio,
        label: "资金闲置率",
    },
    ScalarDef {
        name: "early_stage_share",
        unit: Unit::Ratio,
        label: "投早投小比例(种子、A轮)",
    },
    ScalarDef {
        name: "fanhou_multiple",
        unit: Unit::Ratio,
        label: "返投倍数(认定返投÷市级认缴)",
    },
    ScalarDef {
        name: "paid_in_rate",
        unit: Unit::Ratio,
        label: "出资到位率(实缴÷认缴)",
    },
];

/// The indicators of the national guidance on government investment funds (国办发〔2025〕1号; the
/// NDRC's evaluation rules; `notebooks-data/reference/fiscal_rules.csv`), each a scalar metric of
/// the programme and of every instrument, and the rule it follows (for `indicators.csv`).
pub const INDICATORS: &[(&str, &str)] = &[
    (
        "leverage",
        "(财政资金 + 撬动的社会资本) ÷ 财政资金: (fiscal money paid in + private money mobilised) / fiscal money paid in; per instrument its money deployed (fiscal and recycled) and the private money in the rounds, funds and loans it joined (Quanzhou's rule: a fund's total paid-in over the government's paid-in)",
    ),
    (
        "principal_recovery",
        "收回资金中的本金 ÷ 投放资金: min(money back, money deployed) / money deployed, by the horizon",
    ),
    (
        "idle_rate",
        "未使用的预算和未实缴的认缴 ÷ (预算 + 认缴): appropriations not spent plus sub-fund commitments not called at the horizon, over appropriations plus commitments (for sub-funds, uncalled over committed; guarantees excluded: their volume is not spent money)",
    ),
    (
        "early_stage_share",
        "投向种子、A轮企业的资金 ÷ 投向企业的资金: money invested (equity tickets, convertible grants, prizes as equity, sub-funds' deals local and outside) in firms in their first two stages, over all money invested in firms (grants and subsidies are not investments)",
    ),
    (
        "fanhou_multiple",
        "认定返投金额 ÷ 市级认缴出资: investment recognised toward 返投 under each programme's rule, over the city's commitments to its sub-funds",
    ),
    (
        "paid_in_rate",
        "市级实缴 ÷ 市级认缴: the city's capital called by its sub-funds, over its commitments",
    ),
];

pub const N_INSTRUMENT_SCALARS: usize = INSTRUMENT_SCALARS.len();

/// A named column of a scenario's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub unit: Unit,
    pub label: String,
}

/// The metrics of one scenario, in storage order.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// Program yearly metrics, then per instrument, then per industry.
    pub yearly: Vec<Column>,
    /// Program scalars, then per instrument, then `target.<id>` values, then `met.<id>`, then
    /// `sunk_cost` when the scenario starts from a book.
    pub scalars: Vec<Column>,
    pub n_instruments: usize,
    pub n_targets: usize,
    /// Whether the scenario starts from a book (`holdings`).
    pub book: bool,
}

impl Catalogue {
    /// The metrics of a scenario from its names: its instruments and industries as `(id, label)`
    /// and its targets as `(id, label, unit)`, in the engine's order, and whether it starts from a
    /// book, as a compiled scenario gives them.
    pub fn new(
        instruments: &[(&str, &str)],
        industries: &[(&str, &str)],
        targets: &[(&str, &str, Unit)],
        book: bool,
    ) -> Self {
        let mut yearly: Vec<Column> = PROGRAM_YEARLY
            .iter()
            .map(|d| Column {
                name: d.name.to_string(),
                unit: d.unit,
                label: d.label.to_string(),
            })
            .collect();
        let mut scalars: Vec<Column> = PROGRAM_SCALARS
            .iter()
            .map(|d| Column {
                name: d.name.to_string(),
                unit: d.unit,
                label: d.label.to_string(),
            })
            .collect();
        for (id, label) in instruments {
            yearly.extend(INSTRUMENT_YEARLY.iter().map(|d| Column {
                name: format!("{}.{}", d.name, id),
                unit: d.unit,
                label: format!("{}({})", d.label, label),
            }));
            scalars.extend(INSTRUMENT_SCALARS.iter().map(|d| Column {
                name: format!("{}.{}", d.name, id),
                unit: d.unit,
                label: format!("{}({})", d.label, label),
            }));
        }
        for (id, name) in industries {
            yearly.extend(INDUSTRY_YEARLY.iter().map(|d| Column {
                name: format!("{}.{}", d.name, id),
                unit: d.unit,
                label: format!("{}({})", d.label, name),
            }));
        }
        for (id, label, unit) in targets {
            scalars.push(Column {
                name: format!("target.{}", id),
                unit: *unit,
                label: label.to_string(),
            });
        }
        for (id, label, _) in targets {
            scalars.push(Column {
                name: format!("met.{}", id),
                unit: Unit::Indicator,
                label: format!("{}达标", label),
            });
        }
        if book {
            scalars.push(Column {
                name: "sunk_cost".into(),
                unit: Unit::Cny,
                label: "账面已投入（起始年前已付，不计入财政支出）".into(),
            });
        }
        Catalogue {
            yearly,
            scalars,
            n_instruments: instruments.len(),
            n_targets: targets.len(),
            book,
        }
    }

    /// The metrics of a run: these and, after them, one scalar `input.<key>` per `[uncertain]`
    /// input, the value the path drew.
    pub fn with_inputs<'a>(mut self, keys: impl IntoIterator<Item = &'a str>) -> Self {
        for key in keys {
            self.scalars.push(Column {
                name: format!("input.{}", key),
                unit: Unit::Input,
                label: format!("不确定输入 {}", key),
            });
        }
        self
    }

    /// Index of the first per-instrument yearly metric of instrument `k`.
    pub fn instrument_yearly(k: usize) -> usize {
        N_PROGRAM_YEARLY + k * N_INSTRUMENT_YEARLY
    }

    /// Index of the first per-industry yearly metric of industry `i` in a scenario with
    /// `n_instruments` instruments.
    pub fn industry_yearly_at(n_instruments: usize, i: usize) -> usize {
        N_PROGRAM_YEARLY + n_instruments * N_INSTRUMENT_YEARLY + i * N_INDUSTRY_YEARLY
    }

    /// Index of the first per-industry yearly metric of industry `i`.
    pub fn industry_yearly(&self, i: usize) -> usize {
        Self::industry_yearly_at(self.n_instruments, i)
    }

    /// Index of the first per-instrument scalar of instrument `k`.
    pub fn instrument_scalar(k: usize) -> usize {
        N_PROGRAM_SCALARS + k * N_INSTRUMENT_SCALARS
    }

    /// Index of `target.<id>` for target `j`.
    pub fn target_value(&self, j: usize) -> usize {
        N_PROGRAM_SCALARS + self.n_instruments * N_INSTRUMENT_SCALARS + j
    }

    /// Index of `met.<id>` for target `j`.
    pub fn target_met(&self, j: usize) -> usize {
        self.target_value(j) + self.n_targets
    }

    /// Index of `sunk_cost`, when the scenario starts from a book.
    pub fn sunk_cost(&self) -> Option<usize> {
        self.book.then(|| self.target_value(0) + 2 * self.n_targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The identifiers written in backticks in `text` (`projects_landed`, not `[thresholds] x`,
    /// `deals.<id>` or `_min_per_year`).
    fn names_in(text: &str) -> Vec<&str> {
        (text.split('`').skip(1).step_by(2))
            .filter(|t| {
                t.starts_with(|c: char| c.is_ascii_lowercase())
                    && t.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            .collect()
    }

    fn sorted<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        let mut v: Vec<&str> = names.into_iter().collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn the_format_lists_exactly_the_target_metrics_accepted() {
        // docs/scenario-format.md, `[[targets]]`: one bullet per family of target metrics.
        let doc = include_str!("../docs/scenario-format.md");
        let start = doc
            .find("Target metrics are read at the deadline:")
            .expect("section");
        let end = start + doc[start..].find("`targets.csv` has one row").expect("end");
        let bullets: Vec<&str> = doc[start..end].split("\n- ").skip(1).collect();
        let bullet = |opening: &str| {
            *(bullets.iter().find(|b| b.starts_with(opening)))
                .unwrap_or_else(|| panic!("no bullet {opening:?}"))
        };
        let of = |defs: &[YearlyDef], kind: Kind| {
            sorted(defs.iter().filter(|d| d.kind == kind).map(|d| d.name))
        };
        assert_eq!(
            sorted(names_in(bullet("flows, summed"))),
            of(PROGRAM_YEARLY, Kind::Flow)
        );
        assert_eq!(
            sorted(names_in(bullet("stocks at the deadline"))),
            of(PROGRAM_YEARLY, Kind::Stock)
        );
        assert_eq!(
            sorted(names_in(bullet("one industry's stocks"))),
            of(INDUSTRY_YEARLY, Kind::Stock)
        );
        assert!(INDUSTRY_YEARLY.iter().all(|d| d.kind == Kind::Stock));
        let (flows, stocks) = (bullet("one instrument's metrics"))
            .split_once("and the stock")
            .expect("flows, then the stock");
        let flows: Vec<&str> = names_in(flows)
            .into_iter()
            .filter(|n| !n.contains(MIN_PER_YEAR))
            .collect();
        assert_eq!(sorted(flows), of(INSTRUMENT_YEARLY, Kind::Flow));
        assert_eq!(sorted(names_in(stocks)), of(INSTRUMENT_YEARLY, Kind::Stock));
    }

    #[test]
    fn enum_order_matches_tables() {
        assert_eq!(PROGRAM_YEARLY[Y::PoolBalance as usize].name, "pool_balance");
        assert_eq!(PROGRAM_YEARLY[Y::Financing as usize].name, "financing");
        assert_eq!(
            PROGRAM_SCALARS[S::LocalRevenue as usize].name,
            "local_revenue"
        );
        assert_eq!(PROGRAM_SCALARS[S::FiscalIrr as usize].name, "fiscal_irr");
        assert_eq!(INSTRUMENT_SCALARS[IS::Deals as usize].name, "deals");
        assert_eq!(
            INSTRUMENT_YEARLY[IY::HoldingsValue as usize].name,
            "holdings_value"
        );
    }

    #[test]
    fn target_names_resolve() {
        let ids = ["frontier", "bgt"];
        let industries = ["ic", "ai"];
        let read =
            |n: &str| target_read(n, &ids, &industries).map(|t| (t.index, t.reading, t.unit));
        assert_eq!(
            read("projects_landed"),
            Some((Y::ProjectsLanded as usize, Reading::Cumulative, Unit::Count))
        );
        assert_eq!(
            read("unicorns_incl_potential"),
            Some((
                Y::UnicornsInclPotential as usize,
                Reading::AtYearEnd,
                Unit::Count
            ))
        );
        assert_eq!(
            read("grants_awarded_min_per_year"),
            Some((Y::GrantsAwarded as usize, Reading::MinPerYear, Unit::Count))
        );
        let bgt_deals = Catalogue::instrument_yearly(1) + IY::Deals as usize;
        assert_eq!(
            read("deals.bgt"),
            Some((bgt_deals, Reading::Cumulative, Unit::Count))
        );
        assert_eq!(
            read("deals_min_per_year.bgt"),
            Some((bgt_deals, Reading::MinPerYear, Unit::Count))
        );
        assert_eq!(read("unicorns_min_per_year"), None);
        assert_eq!(read("holdings_value_min_per_year.bgt"), None);
        assert_eq!(read("deals.nope"), None);
        assert_eq!(read("nope"), None);
        let ai_output = Catalogue::industry_yearly_at(2, 1) + INY::ClusterOutput as usize;
        assert_eq!(
            read("cluster_output.ai"),
            Some((ai_output, Reading::AtYearEnd, Unit::Cny))
        );
        assert_eq!(read("deals.ai"), None);
        let names = target_metric_names(&ids, &industries);
        assert!(names.contains(&"deals_min_per_year.frontier".to_string()));
        assert!(
            names.iter().all(|n| read(n).is_some()),
            "every listed name resolves"
        );
    }
}
