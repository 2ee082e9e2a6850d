//! Clause logic of subsidy rules in the simulator, against closed forms: items that claim again
//! (a drug's later phases, a product's later years) under a total per item; claims by this year's
//! large arrivals (新落户的头部企业); claims only by firms the city invested in (获得政府引导基金投资).
//! Tolerances are 4 × the Monte Carlo standard error of the exact mean.

use fundsim::model::compile;
use fundsim::run::{RunSettings, Silent, run};
use fundsim::scenario::load_str;

const PATHS: u64 = 20_000;

mod common;
use common::{one_industry, stage};

/// One industry `x` of `n` seed firms that never move (no rounds, exits or failures), no new
/// projects, `large` large arrivals a year, over `horizon` years from 2024; `instruments` appended.
fn scenario(n: u32, large: f64, horizon: u32, instruments: &str) -> String {
    let stages = stage("seed", (0.0, 0.0, 0.0), n) + &stage("A", (0.0, 0.0, 0.0), 0);
    let large = format!(
        "[industries.large_arrivals]\nper_year = {large}\nvalue = {{ median = \"10亿\", sigma = 0 }}\nrevenue = {{ median = \"1亿\", sigma = 0 }}\nrevenue_growth = {{ mean = 0, vol = 0 }}\n"
    );
    one_industry(horizon, &stages, &(large + instruments))
}

/// Per-path values of the scalar `name` over `PATHS` paths of `text`.
fn per_path(text: &str, name: &str, seed: u64) -> Vec<f64> {
    let model = compile(&load_str("clauses.toml", text).expect("valid scenario"));
    let result = run(&model, RunSettings::new(PATHS, seed), &Silent);
    let i = (result.catalogue.scalars.iter())
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no scalar {name}"));
    result.scalars[i].clone()
}

fn assert_mean(values: &[f64], exact: f64, sd_exact: f64, what: &str) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let mcse = sd_exact / (values.len() as f64).sqrt();
    assert!(
        (mean - exact).abs() <= 4.0 * mcse,
        "{what}: mean {mean} vs exact {exact} (4 × MCSE = {})",
        4.0 * mcse
    );
}

#[test]
fn items_claim_again_under_their_total() {
    // 20 firms, 0.05 events per firm-year: new items ~ Poisson(λ = 1) a year, years 0–3. Each pays
    // 10万 fixed, then claims again one year later with probability ½ (10万), and again a year after
    // that with probability ½ — where only 5万 is left of its 25万 total. An item started in year t
    // pays X_t: for t = 0, 1: 10 (½), 20 (¼), 25 (¼) 万; t = 2 (one later year left): 10 or 20 (½
    // each); t = 3: 10. E = λ(16.25 + 16.25 + 15 + 10) = 57.5万. The sum is compound Poisson:
    // Var = λ Σ_t E[X_t²] = 306.25 + 306.25 + 250 + 100 = 962.5 (万)².
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = "1亿"
rationing = "pro_rata"
[[instruments.subsidy.rules]]
label = "phases"
fixed = "10万"
item_total_cap = "25万"
events_per_firm_year = 0.05
follow_ups = [{ after = 1, probability = 0.5 }, { after = 1, probability = 0.5 }]
"#;
    let v = per_path(&scenario(20, 0.0, 4, instruments), "deployed.s", 31);
    let wan = 10_000.0;
    assert_mean(&v, 57.5 * wan, 962.5f64.sqrt() * wan, "follow-ups");
    // Every path's total is a whole number of 5万 steps, and no item pays more than 25万: a path
    // with k items pays at most 25万 × k (k ≤ a few), checked through the largest path.
    assert!(v.iter().all(|x| (x / (5.0 * wan)).fract() == 0.0));
}

#[test]
fn large_arrivals_claim_once_and_venture_firms_never() {
    // 2 large arrivals a year (Poisson), each claiming with probability ½: claims ~ Poisson(1) a
    // year over 3 years, each 5% of a paid-in capital of 1亿 = 500万 (cap 2000万 not reached).
    // E = 3 × 500万 = 1500万; Var = 3 × 500² (万)². The 50 venture firms never claim: if they did
    // (one event a firm-year), the mean would be 150 × 500万.
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = "10亿"
rationing = "pro_rata"
[[instruments.subsidy.rules]]
label = "relocation"
share = "5%"
item_cap = "2000万"
firm_total_cap = "2000万"
base = { median = "1亿", sigma = 0 }
claimants = "large_arrivals"
events_per_firm_year = 0.5
"#;
    let v = per_path(&scenario(50, 2.0, 3, instruments), "deployed.s", 32);
    let wan = 10_000.0;
    assert_mean(
        &v,
        1500.0 * wan,
        3f64.sqrt() * 500.0 * wan,
        "large arrivals",
    );
}

#[test]
fn a_clause_requiring_city_investment_pays_only_the_firms_the_city_holds() {
    // 50 firms; in 2024 a prize (奖改投) takes equity in 5 of them (budget for exactly 5). From 2025
    // a clause pays 10万 per event, one event per eligible firm-year on average, only to firms the
    // city holds: 5 firms × 3 years → claims ~ Poisson(15), E = 150万, Var = 15 × 10² (万)². Without
    // the requirement all 50 firms would claim (1500万).
    let instruments = r#"
[[instruments.prize_equity]]
id = "prize"
budget = { per_year = "500万", from = 2024, to = 2024 }
amount = "100万"
[[instruments.subsidy]]
id = "s"
budget = { per_year = "1亿", from = 2025, to = 2027 }
rationing = "pro_rata"
[[instruments.subsidy.rules]]
label = "registration"
fixed = "10万"
requires = ["city_investment"]
events_per_firm_year = 1.0
"#;
    let v = per_path(&scenario(50, 0.0, 4, instruments), "deployed.s", 33);
    let wan = 10_000.0;
    assert_mean(
        &v,
        150.0 * wan,
        15f64.sqrt() * 10.0 * wan,
        "city investment",
    );
}

#[test]
fn rates_by_industry_and_an_exclusive_group_in_the_simulator() {
    // Two rules of one exclusive group, each with N ~ Poisson(1) events per firm-year (the rent's
    // rate given by industry), for 10 firms over 2 years. "larger" keeps, per firm-year, the rule
    // whose events pay more: X = 30万·N_p if 30·N_p > 10·N_r, else 10万·N_r (a tie goes to rent,
    // the rule written first). E[X] and Var[X] are summed exactly over (N_p, N_r) below; paying both
    // (no group) would give 40万 a firm-year.
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = "1亿"
rationing = "pro_rata"
exclusive = { eda = "larger" }
[[instruments.subsidy.rules]]
label = "rent"
fixed = "10万"
exclusive_group = "eda"
events_per_firm_year = { x = 1.0 }
[[instruments.subsidy.rules]]
label = "purchase"
fixed = "30万"
exclusive_group = "eda"
events_per_firm_year = 1.0
"#;
    let v = per_path(&scenario(10, 0.0, 2, instruments), "deployed.s", 34);
    let wan = 10_000.0;
    let poisson1 = |n: i32| (-1f64).exp() / (1..=n).map(f64::from).product::<f64>();
    let (mut mean, mut second) = (0.0, 0.0);
    for np in 0..30 {
        for nr in 0..30 {
            let x = if 30 * np > 10 * nr { 30 * np } else { 10 * nr };
            let p = poisson1(np) * poisson1(nr);
            mean += p * f64::from(x);
            second += p * f64::from(x * x);
        }
    }
    let var = second - mean * mean;
    assert!(mean > 30.0 && mean < 40.0, "{mean}");
    let cells = 20.0; // 10 firms × 2 years, independent
    assert_mean(
        &v,
        cells * mean * wan,
        (cells * var).sqrt() * wan,
        "exclusive",
    );
}

#[test]
fn clause_keys_are_validated_with_located_messages() {
    let base = |rules: &str, programme: &str| {
        scenario(
            5,
            1.0,
            3,
            &format!(
                "[[instruments.subsidy]]\nid = \"s\"\nbudget = \"1亿\"\nrationing = \"pro_rata\"\n{programme}\n{rules}"
            ),
        )
    };
    let rule = |extra: &str| {
        format!(
            "[[instruments.subsidy.rules]]\nlabel = \"r\"\nfixed = \"10万\"\nevents_per_firm_year = 0.5\n{extra}\n"
        )
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            base(&rule("exclusive_group = \"eda\""), ""),
            "instruments.subsidy[0].rules[0].exclusive_group",
            "not a group of the programme's exclusive table",
        ),
        (
            base(&rule("exclusive_group = \"eda\""), "exclusive = { eda = \"larger\" }"),
            "instruments.subsidy[0].exclusive.eda",
            "has 1 rule(s)",
        ),
        (
            base(&rule("").replace("events_per_firm_year = 0.5", "events_per_firm_year = { y = 0.5 }"), ""),
            "instruments.subsidy[0].rules[0].events_per_firm_year",
            "a table by industry names every industry",
        ),
        (
            base(
                &(rule("exclusive_group = \"eda\"\nitem_total_cap = \"1万\"") + &rule("exclusive_group = \"eda\"")),
                "exclusive = { eda = \"larger\" }",
            ),
            "instruments.subsidy[0].rules[0].item_total_cap",
            "not allowed on a rule of an exclusive group",
        ),
        (
            base(&rule("claimants = \"large_arrivals\"").replace("= 0.5", "= 1.5"), ""),
            "instruments.subsidy[0].rules[0].events_per_firm_year",
            "a probability that a large arrival claims",
        ),
        (
            base(&rule("claimants = \"large_arrivals\"\nstages = [\"seed\"]"), ""),
            "instruments.subsidy[0].rules[0].stages",
            "not used with claimants",
        ),
        (
            // A large arrival claims in its arrival year and the city never holds equity in one:
            // the rule could never pay.
            base(&rule("claimants = \"large_arrivals\"\nrequires = [\"city_investment\"]"), ""),
            "instruments.subsidy[0].rules[0].requires",
            "cannot be met with claimants",
        ),
        (
            base(&rule("claimants = \"large_arrivals\""), "effect = { round_odds = 1.5 }"),
            "instruments.subsidy[0].effect",
            "every rule of this programme pays large arrivals",
        ),
        (
            base(&rule("claimants = \"large_arrivals\""), "stages = [\"seed\"]"),
            "instruments.subsidy[0].stages",
            "which have no venture stage",
        ),
        (
            base(&rule("follow_ups = [{ after = 0, probability = 0.5 }]"), ""),
            "instruments.subsidy[0].rules[0].follow_ups[0].after",
            "1 to 100 years",
        ),
        (
            base(&rule("follow_ups = [{ after = 1, probability = 0.5, base = { median = \"1万\", sigma = 0 } }]"), ""),
            "instruments.subsidy[0].rules[0].follow_ups[0].base",
            "base is not used",
        ),
        (
            base(&rule(""), "").replace(
                "budget = \"1亿\"",
                "budget = [{ per_year = \"1亿\", from = 2024, to = 2025 }, { per_year = \"2亿\", from = 2025, to = 2026 }]",
            ),
            "instruments.subsidy[0].budget[1]",
            "overlap entry 0",
        ),
    ];
    for (text, key, message) in cases {
        let err = load_str("clauses.toml", &text).map(|_| ()).expect_err(key);
        let shown = format!("{err:?}");
        assert!(
            shown.contains(key) && shown.contains(message),
            "expected `{key}`: {message}, got {shown}"
        );
    }
}

#[test]
fn a_budget_by_spans_gives_each_year_its_amount() {
    // 10万 per event, 10 events a year certain enough (budget binds): 100 firms × 1 event, budget
    // 30万 in 2024, 0 in 2025 (no span), 50万 in 2026: the programme pays exactly 80万 every path.
    let instruments = r#"
[[instruments.subsidy]]
id = "s"
budget = [{ per_year = "30万", from = 2024, to = 2024 }, { per_year = "50万", from = 2026, to = 2026 }]
rationing = "first_come"
[[instruments.subsidy.rules]]
label = "r"
fixed = "10万"
events_per_firm_year = 1.0
"#;
    let model = compile(&load_str("clauses.toml", &scenario(100, 0.0, 3, instruments)).unwrap());
    let result = run(&model, RunSettings::new(200, 35), &Silent);
    let i = (result.catalogue.scalars.iter())
        .position(|c| c.name == "deployed.s")
        .unwrap();
    // P(fewer than 5 events among 100 firm-years of rate 1) is negligible (< 1e-30).
    assert!(result.scalars[i].iter().all(|&x| x == 800_000.0));
}

/// One clause of part 二 of the policy text as the text states it: the programme and rule of
/// `nantong_baseline.toml` that encode it, the text's words, and its numbers. Amounts as the text
/// writes them ("万"); `None` where the text sets no such cap.
struct Clause {
    programme: &'static str,
    rule: usize,
    text: &'static str,
    /// `share`, `fixed` or `per_unit`, and its value.
    amount: (&'static str, &'static str),
    item: Option<&'static str>,
    firm_year: Option<&'static str>,
    institution_year: Option<&'static str>,
    firm_total: Option<&'static str>,
    item_total: Option<&'static str>,
    min_base: Option<&'static str>,
}

const NO_CAPS: Clause = Clause {
    programme: "",
    rule: 0,
    text: "",
    amount: ("", ""),
    item: None,
    firm_year: None,
    institution_year: None,
    firm_total: None,
    item_total: None,
    min_base: None,
};

/// The 27 subsidy clauses, transcribed from the policy text (《关于加快培育发展未来产业的实施意见
/// （征求意见稿）》, part 二), each with its words. Where the text leaves a reading open, the reading
/// is scenarios/README.md's (its row number in brackets): "最高 X" for a case-by-case amount is a
/// 100% share of the approved amount capped at X; "一次性" is a cap on the firm's total; a cap on a
/// product's yearly procurement or a drug's phases is a cap per item over the years.
#[rustfmt::skip]
const CLAUSES: [Clause; 27] = [
    Clause { programme: "sub_ic", rule: 0, text: "按照单款产品首轮流片费用的30%给予最高不超过200万元的补助，单个企业每年最高500万元",
             amount: ("share", "30%"), item: Some("200万"), firm_year: Some("500万"), ..NO_CAPS },
    // [2] the rent is a yearly fee: its cap of 100万 is the firm's for the year
    Clause { programme: "sub_ic", rule: 1, text: "按照不超过当年实际发生租用费的50%、最高不超过100万元",
             amount: ("share", "50%"), item: Some("100万"), firm_year: Some("100万"), ..NO_CAPS },
    Clause { programme: "sub_ic", rule: 2, text: "或购买费用的30%、最高不超过300万元",
             amount: ("share", "30%"), item: Some("300万"), ..NO_CAPS },
    Clause { programme: "sub_ic", rule: 3, text: "按照每款产品认证费用10%给予一次性补助，单个企业累计补助不超过100万元",
             amount: ("share", "10%"), firm_total: Some("100万"), ..NO_CAPS },
    // [5] the cap read per firm (研发投入 is the firm's)
    Clause { programme: "sub_wbg", rule: 0, text: "给予研发投入的20%、最高1000万元的补助",
             amount: ("share", "20%"), firm_total: Some("1000万"), ..NO_CAPS },
    Clause { programme: "sub_wbg", rule: 1, text: "按照试用装备实际销售额的10%给予试用企业一次性补助，最高不超过100万元奖励",
             amount: ("share", "10%"), item: Some("100万"), firm_total: Some("100万"), ..NO_CAPS },
    Clause { programme: "sub_cgt", rule: 0, text: "按照每人5万元标准择优给予医疗机构资助，每个项目资助总额不超过50万元，每个医疗机构每年累计资助不超过500万元",
             amount: ("per_unit", "5万"), item: Some("50万"), institution_year: Some("500万"), ..NO_CAPS },
    Clause { programme: "sub_cgt", rule: 1, text: "分别按不同临床试验阶段给予最高不超过1000万元资助",
             amount: ("share", "100%"), item_total: Some("1000万"), ..NO_CAPS },
    Clause { programme: "sub_cgt", rule: 2, text: "在本地产业化并获得政府引导基金投资的企业，再给予最高不超过1000万元资助",
             amount: ("share", "100%"), item: Some("1000万"), ..NO_CAPS },
    Clause { programme: "sub_cgt", rule: 3, text: "最高按该品种实际委托合同金额的10%给予委托方补贴，每个品种最高100万元，单个企业每年最高给予200万元补贴",
             amount: ("share", "10%"), item: Some("100万"), firm_year: Some("200万"), ..NO_CAPS },
    Clause { programme: "sub_cgt", rule: 4, text: "按该品种实际委托合同金额的10%给予受托方补贴，每个品种最高100万元，单个企业每年最高给予200万元补贴",
             amount: ("share", "10%"), item: Some("100万"), firm_year: Some("200万"), ..NO_CAPS },
    Clause { programme: "sub_synbio", rule: 0, text: "按国家、省实际到账资助经费的25%给予资助，资助金额最高300万元",
             amount: ("share", "25%"), item: Some("300万"), ..NO_CAPS },
    Clause { programme: "sub_synbio", rule: 1, text: "给予其不超过技术合同金额10%的补助，单个平台每年度补助金额最高200万元",
             amount: ("share", "10%"), firm_year: Some("200万"), ..NO_CAPS },
    Clause { programme: "sub_synbio", rule: 2, text: "登记号状态由“I”（未激活）变为“A”（激活）的产品给予最高10万元资助",
             amount: ("fixed", "10万"), ..NO_CAPS },
    Clause { programme: "sub_synbio", rule: 3, text: "每个产品给予最高30万元资助，单个企业每年累计资助金额最高不超过200万元",
             amount: ("fixed", "30万"), firm_year: Some("200万"), ..NO_CAPS },
    Clause { programme: "sub_synbio", rule: 4, text: "给予每个产品100万元奖励",
             amount: ("fixed", "100万"), ..NO_CAPS },
    Clause { programme: "sub_implant", rule: 0, text: "按经核定的临床试验实际支出费用给予不超过30%的补贴，单个企业每年补贴最高500万元",
             amount: ("share", "30%"), firm_year: Some("500万"), ..NO_CAPS },
    Clause { programme: "sub_implant", rule: 1, text: "对进入国家创新医疗器械特别审查程序的高端植介入器械，每个产品给予300万元资助",
             amount: ("fixed", "300万"), ..NO_CAPS },
    Clause { programme: "sub_implant", rule: 2, text: "新取得第三类医疗器械产品注册证并在本地产业化的高端植介入器械，每个产品给予最高300万元资助",
             amount: ("fixed", "300万"), ..NO_CAPS },
    // [20] 单个产品 over its procurement years
    Clause { programme: "sub_implant", rule: 3, text: "按当年采购总金额的2%予以资助，单个产品资助最高200万元，单个企业每年资助最高300万元",
             amount: ("share", "2%"), firm_year: Some("300万"), item_total: Some("200万"), ..NO_CAPS },
    Clause { programme: "sub_ai", rule: 0, text: "按照“一事一议”方式给予建设成本补贴，总额最高不超过3000万元",
             amount: ("share", "100%"), item: Some("3000万"), ..NO_CAPS },
    Clause { programme: "sub_ai", rule: 1, text: "给予不超过实际支付费用30%的补助，每年每家企业和单位获得补助最高不超过200万元",
             amount: ("share", "30%"), firm_year: Some("200万"), ..NO_CAPS },
    Clause { programme: "sub_ai", rule: 2, text: "提供高质量数据集或打造专业化数据空间的，经综合评价，最高可给予500万元的补贴支持",
             amount: ("share", "100%"), item: Some("500万"), ..NO_CAPS },
    Clause { programme: "sub_ai", rule: 3, text: "最高可按照项目总投入的30%给予补贴支持，单个项目最高不超过300万元",
             amount: ("share", "30%"), item: Some("300万"), ..NO_CAPS },
    // [25] a relocation award is paid once: the firm's total is its cap too
    Clause { programme: "sub_lowalt", rule: 0, text: "按实缴注册资本的5%给予不超过2000万元的落户奖励",
             amount: ("share", "5%"), item: Some("2000万"), firm_total: Some("2000万"), ..NO_CAPS },
    Clause { programme: "sub_lowalt", rule: 1, text: "按照每个目录产品10万元，单个企业每年最高100万元奖励",
             amount: ("fixed", "10万"), firm_year: Some("100万"), ..NO_CAPS },
    Clause { programme: "sub_lowalt", rule: 2, text: "年度服务收入达到100万元的，按服务收入的20%给予资金补贴，单个主体每年最高500万元",
             amount: ("share", "20%"), firm_year: Some("500万"), min_base: Some("100万"), ..NO_CAPS },
];

/// The baseline's subsidy rules say what the policy text says, clause by clause: each of the 27
/// clauses above is the rule its programme and index name, with the text's rate or amount and
/// exactly the text's caps and floor (no cap added, none left out), and each programme has no rule
/// the list does not name. Who may claim (新落户的头部企业, 获得政府引导基金投资, 或) is checked beside.
/// A change to a rule's numbers in the scenario fails here unless the transcription is changed too.
#[test]
fn the_baseline_encodes_each_subsidy_clause_as_the_policy_text_states_it() {
    use fundsim::money::{parse_money, parse_rate};
    use fundsim::scenario::{Claimants, Requirement};
    let file = load_str(
        "nantong_baseline.toml",
        include_str!("../scenarios/nantong_baseline.toml"),
    )
    .expect("the baseline loads");
    let programmes = &file.instruments.subsidy;
    let money = |m: Option<&fundsim::money::Money>| m.map(|m| m.0);
    let wan = |text: Option<&str>| text.map(|t| parse_money(t).expect("an amount"));
    for clause in &CLAUSES {
        let what = format!("{}[{}] ({})", clause.programme, clause.rule, clause.text);
        let programme = programmes
            .iter()
            .find(|p| p.id == clause.programme)
            .unwrap_or_else(|| panic!("no programme for {what}"));
        let rule = programme
            .rules
            .get(clause.rule)
            .unwrap_or_else(|| panic!("no rule for {what}"));
        let amount = match clause.amount.0 {
            "share" => (
                rule.share.map(|r| r.0),
                rule.fixed.is_none() && rule.per_unit.is_none(),
            ),
            "fixed" => (
                money(rule.fixed.as_ref()),
                rule.share.is_none() && rule.per_unit.is_none(),
            ),
            _ => (
                money(rule.per_unit.as_ref()),
                rule.share.is_none() && rule.fixed.is_none(),
            ),
        };
        let expected = if clause.amount.0 == "share" {
            parse_rate(clause.amount.1).expect("a rate")
        } else {
            parse_money(clause.amount.1).expect("an amount")
        };
        assert_eq!(
            amount,
            (Some(expected), true),
            "{what}: {}",
            clause.amount.0
        );
        let caps = [
            ("item_cap", money(rule.item_cap.as_ref()), wan(clause.item)),
            (
                "firm_year_cap",
                money(rule.firm_year_cap.as_ref()),
                wan(clause.firm_year),
            ),
            (
                "institution_year_cap",
                money(rule.institution_year_cap.as_ref()),
                wan(clause.institution_year),
            ),
            (
                "firm_total_cap",
                money(rule.firm_total_cap.as_ref()),
                wan(clause.firm_total),
            ),
            (
                "item_total_cap",
                money(rule.item_total_cap.as_ref()),
                wan(clause.item_total),
            ),
            (
                "min_base",
                money(rule.min_base.as_ref()),
                wan(clause.min_base),
            ),
        ];
        for (key, got, want) in caps {
            assert_eq!(got, want, "{what}: {key}");
        }
        // Who may claim: the head firms that move in (25), firms the city invested in (9).
        let large = matches!(rule.claimants, Claimants::LargeArrivals);
        assert_eq!(
            large,
            (clause.programme, clause.rule) == ("sub_lowalt", 0),
            "{what}"
        );
        let invested = rule.requires.contains(&Requirement::CityInvestment);
        assert_eq!(
            invested,
            (clause.programme, clause.rule) == ("sub_cgt", 2),
            "{what}"
        );
        // EDA rent 或 purchase: one of the two a year.
        let eda = clause.programme == "sub_ic" && (1..=2).contains(&clause.rule);
        assert_eq!(
            rule.exclusive_group.as_deref() == Some("eda"),
            eda,
            "{what}"
        );
    }
    // Every rule of the seven programmes is one of the clauses: 4 + 2 + 5 + 5 + 4 + 4 + 3 = 27.
    for programme in programmes
        .iter()
        .filter(|p| CLAUSES.iter().any(|c| c.programme == p.id))
    {
        let listed = CLAUSES
            .iter()
            .filter(|c| c.programme == programme.id)
            .count();
        assert_eq!(programme.rules.len(), listed, "{}", programme.id);
    }
    // And the seven programmes share the envelope of 2亿 a year evenly, 740万 a clause (the budget
    // the policy does not name; scenarios/README.md): the yearly budgets add up to 27 × 740万.
    let total: rust_decimal::Decimal = programmes
        .iter()
        .filter(|p| CLAUSES.iter().any(|c| c.programme == p.id))
        .map(|p| {
            let listed = CLAUSES.iter().filter(|c| c.programme == p.id).count();
            let per_year = budget_per_year(&p.budget);
            assert_eq!(
                per_year,
                parse_money("740万").unwrap() * rust_decimal::Decimal::from(listed),
                "{}: 740万 a clause",
                p.id
            );
            per_year
        })
        .sum();
    assert_eq!(total, parse_money("19980万").unwrap());
}

/// A programme's one yearly amount (the baseline's programmes each have one span).
fn budget_per_year(budget: &fundsim::scenario::Budget) -> rust_decimal::Decimal {
    let spans = budget.spans();
    assert_eq!(spans.len(), 1, "one budget span");
    spans[0].0.0
}
