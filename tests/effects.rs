//! Policy channels against truth: an effect moves a supported firm's probabilities by the closed
//! form of its odds multiplier; a zero effect is byte for byte the money-only reading; a stronger
//! effect never turns a survival into a failure on the same draws; relocation, incentive-driven
//! arrivals, talent inflow and leakage happen at their stated rates. Tolerances are 4 Monte Carlo
//! standard errors, each derived beside its test.

use fundsim::app::{load_all, run_to_dir};
use fundsim::firms::{Bands, Outcome, Status, moved};
use fundsim::model::compile;
use fundsim::run::{RunSettings, Silent};
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;
use proptest::prelude::*;
use std::fs;

/// One industry, two stages, no market sensitivity (so every probability is its base value),
/// `seed_firms` seed-stage firms at the start, no arrivals; `instruments` and anything else after.
fn ladder(p_seed: (f64, f64, f64), seed_firms: u32, horizon: u32, rest: &str) -> String {
    let (g, e, f) = p_seed;
    format!(
        r#"
[scenario]
name = "effects"

[time]
start_year = 2024
horizon_years = {horizon}

[market]
rho = 0.5
industry_rho = 0.3
sensitivity = {{ round = 0.0, exit = 0.0, fail = 0.0, value = 0.0, exit_value = 0.0 }}

[thresholds]
chain_leader = {{ measure = "value", value = "50亿" }}
cluster = {{ measure = "value", value = "500亿" }}

[program]
discount_rate = "3%"
recycling = {{ to_pool = "0%" }}

[[industries]]
id = "ic"
name = "IC"
arrivals_per_year = 0
beta_market = 1.0
beta_industry = 0.5
entry = {{ value = {{ median = "3000万", sigma = 0.5 }} }}

[[industries.stages]]
name = "seed"
dilution = "20%"
p_round = {g}
p_exit = {e}
p_fail = {f}
exit_multiple = {{ median = 1.0, sigma = 0.5 }}
ipo_share = "0%"
existing = {{ count = {seed_firms}, value = {{ median = "4000万", sigma = 0.5 }}, age = [1, 3] }}

[[industries.stages]]
name = "A"
dilution = "20%"
step_up = {{ median = 2.0, sigma = 0.3 }}
p_round = 0.1
p_exit = 0.05
p_fail = 0.1
exit_multiple = {{ median = 1.5, sigma = 0.5 }}
ipo_share = "10%"
{rest}"#
    )
}

/// 100 grants of 100万 to seed firms in 2024 only, with `effect`.
fn grants(effect: &str) -> String {
    format!(
        "\n[[instruments.grant]]\nid = \"g\"\nbudget = {{ per_year = \"1亿\", from = 2024, to = 2024 }}\n\
         amount = \"100万\"\nstages = [\"seed\"]\neffect = {effect}\n"
    )
}

/// Over `paths` paths: supported firms, those of them that raised a round in 2025 (year index 1),
/// and the mean of `additional_rounds` per path.
fn second_year_rounds(text: &str, paths: u64) -> (u64, u64, f64) {
    let model = compile(&load_str("effects.toml", text).expect("valid"));
    let mut sim = PathSim::new(&model);
    let (mut n, mut k, mut extra) = (0, 0, 0.0);
    for path in 0..paths {
        sim.run(17, path);
        for p in &sim.positions {
            // Grants go to firms still in seed after 2024; a round in 2025 is their last round.
            n += 1;
            k += (sim.firms.last_round[p.firm as usize] == 1) as u64;
        }
        extra += sim.scalar_of("additional_rounds").expect("metric");
    }
    (n, k, extra / paths as f64)
}

#[test]
fn round_probability_of_supported_firms_is_the_odds_closed_form() {
    // Seed firms: round 0.2, exit 0, failure 0.1 a year. Grants in 2024 with round odds ×2 and
    // failure odds ×0.5 for one year: in 2025 a supported firm raises a round with probability
    // 2·0.2 / (1 − 0.2 + 2·0.2) = 1/3 (failure 0.05/0.95 = 0.0526, sum below 1: no rescaling).
    // With additional_share = 0.5 half the supported firms feel it: 0.5·1/3 + 0.5·0.2 = 0.26667;
    // with 0, all keep 0.2. Each additional firm adds a round when 0.2 ≤ u < 1/3, so additional
    // rounds per path are Binomial(100, share·0.13333).
    for share in [1.0, 0.5, 0.0] {
        let p = share / 3.0 + (1.0 - share) * 0.2;
        let effect = format!(
            "{{ round_odds = 2.0, fail_odds = 0.5, exit_odds = 1.0, years = 1, additional_share = {share} }}"
        );
        let text = ladder((0.2, 0.0, 0.1), 300, 2, &grants(&effect));
        let paths = 400;
        let (n, k, mean_extra) = second_year_rounds(&text, paths);
        assert_eq!(n, 100 * paths, "every path makes 100 grants");
        let share_round = k as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (share_round - p).abs() < 4.0 * se,
            "share {share}: supported firms raise a round in {share_round}, closed form {p} (4 SE = {})",
            4.0 * se
        );
        let q = share * (1.0 / 3.0 - 0.2);
        let se_extra = (100.0 * q * (1.0 - q) / paths as f64).sqrt();
        assert!(
            (mean_extra - 100.0 * q).abs() <= 4.0 * se_extra,
            "share {share}: additional rounds {mean_extra} per path, closed form {}",
            100.0 * q
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// On one firm-year's uniform, a stronger positive effect (round and exit odds at least as
    /// high, failure odds at most as high) never turns a survival into a failure, and with the
    /// same exit odds never turns a round into anything else; whatever the base probabilities
    /// (rescaled when they sum past 1).
    #[test]
    fn stronger_effects_are_monotone_on_the_same_draw(
        raw in (0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64),
        a in (0.2..3.0f64, 0.2..3.0f64, 0.2..3.0f64),
        up in (1.0..4.0f64, 1.0..4.0f64, 0.1..1.0f64),
        same_exit in any::<bool>(),
        u in 0.0..1.0f64,
    ) {
        let bands = |m: (f64, f64, f64)| {
            Bands::rescaled(moved(raw.0, m.0), moved(raw.1, m.1), moved(raw.2, m.2))
        };
        let b = (a.0 * up.0, if same_exit { a.1 } else { a.1 * up.1 }, a.2 * up.2);
        let (weak, strong) = (bands(a).outcome(u), bands(b).outcome(u));
        if weak != Outcome::Fail {
            prop_assert_ne!(strong, Outcome::Fail, "{:?} → {:?}", weak, strong);
        }
        if same_exit && weak == Outcome::Round {
            prop_assert_eq!(strong, Outcome::Round);
        }
    }
}

/// A seed ladder with random probabilities, market loadings and a grant effect `effect` in 2024.
fn random_two_years(p: (f64, f64, f64), sens: (f64, f64, f64), effect: (f64, f64, f64)) -> String {
    let round4 = |x: f64| (x * 1e4).round() / 1e4;
    let p = (round4(p.0), round4(p.1), round4(p.2));
    let text = ladder(
        p,
        200,
        2,
        &grants(&format!(
            "{{ round_odds = {:.4}, exit_odds = {:.4}, fail_odds = {:.4}, years = 1, additional_share = 1 }}",
            effect.0, effect.1, effect.2
        )),
    );
    text.replace(
        "sensitivity = { round = 0.0, exit = 0.0, fail = 0.0, value = 0.0, exit_value = 0.0 }",
        &format!(
            "sensitivity = {{ round = {:.4}, exit = {:.4}, fail = {:.4}, value = 0.1, exit_value = 0.1 }}",
            sens.0, sens.1, sens.2
        ),
    )
}

/// What each supported firm did in 2025: its grant year is 2024 and it was then still in seed.
fn fates(text: &str, seed: u64, path: u64) -> Vec<(u64, Outcome)> {
    let model = compile(&load_str("effects.toml", text).expect("valid"));
    let mut sim = PathSim::new(&model);
    sim.run(seed, path);
    let f = &sim.firms;
    let mut v: Vec<(u64, Outcome)> = (sim.positions.iter())
        .map(|p| {
            let i = p.firm as usize;
            let outcome = match f.status[i] {
                Status::Failed => Outcome::Fail,
                Status::Listed | Status::Acquired => Outcome::Exit,
                _ if f.last_round[i] == 1 => Outcome::Round,
                _ => Outcome::Stay,
            };
            (f.key[i], outcome)
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// On whole paths with random ladders and markets: the same firms are supported in 2024 under
    /// a weak and a stronger effect (same state, same choices), and in 2025, on the same draws, a
    /// firm under the stronger effect never fails where the weaker one survived, and (same exit
    /// odds) keeps every round.
    #[test]
    fn stronger_effects_are_monotone_on_a_path(
        g in 0.02..0.5f64, e in 0.0..0.2f64, f in 0.0..0.3f64,
        sens in (-1.0..1.0f64, -1.0..1.0f64, -1.0..1.0f64),
        a in (0.5..2.0f64, 0.5..2.0f64, 0.5..1.5f64),
        up in (1.0..3.0f64, 0.2..1.0f64),
        seed in any::<u64>(),
    ) {
        let weak = random_two_years((g, e, f), sens, a);
        let strong = random_two_years((g, e, f), sens, (a.0 * up.0, a.1, a.2 * up.1));
        for path in 0..3 {
            let (w, s) = (fates(&weak, seed, path), fates(&strong, seed, path));
            prop_assert_eq!(w.len(), s.len());
            for ((kw, ow), (ks, os)) in w.iter().zip(&s) {
                prop_assert_eq!(kw, ks, "the same firms are supported");
                if *ow != Outcome::Fail {
                    prop_assert_ne!(*os, Outcome::Fail);
                }
                if *ow == Outcome::Round {
                    prop_assert_eq!(*os, Outcome::Round);
                }
            }
        }
    }
}

const TINY: &str = include_str!("data/tiny.toml");

/// Runs `texts` (each a scenario file's contents, all named "tiny") and returns the output files'
/// bytes; `paths.parquet` as its data (its metadata names the scenario files, which differ).
fn outputs(texts: &[String]) -> (Vec<Vec<u8>>, polars::prelude::DataFrame) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<_> = (texts.iter().enumerate())
        .map(|(i, t)| {
            let p = dir.path().join(format!("s{i}.toml"));
            fs::write(&p, t).expect("write");
            p
        })
        .collect();
    let loaded = load_all(&files).expect("valid");
    let out = dir.path().join("out");
    run_to_dir(&loaded, RunSettings::new(600, 3), &out, &Silent).expect("run");
    let files = ["summary.csv", "targets.csv", "yearly.csv", "metrics.csv"]
        .iter()
        .map(|f| fs::read(out.join(f)).expect("output"))
        .collect();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(
        fs::File::open(out.join("paths.parquet")).expect("parquet"),
    )
    .finish()
    .expect("read paths.parquet");
    (files, df)
}

#[test]
fn zero_effects_are_the_money_only_reading_byte_for_byte() {
    // TINY's grant and equity programmes plus a sub-fund and a guarantee. With every effect's
    // additional_share at 0 and no relocation, nothing may differ from `effects = false`; with
    // the default effects, results must differ (the test compares something real).
    let fund = "\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = \"1亿\"\nfund_size = \"5亿\"\n\
                city_share = \"20%\"\nticket = \"2000万\"\nlocal_multiple = 1.0\n\
                local_preference = \"30%\"\nmanagement_fee = \"2%\"\n";
    let guarantee = "\n[[instruments.guarantee]]\nid = \"gu\"\nvolume = \"5000万\"\n\
                     loan_size = \"500万\"\nterm_years = 2\ncover_share = \"40%\"\n\
                     fee_rate = \"0.5%\"\nbase_default_rate = \"3%\"\nloss_given_default = \"50%\"\n";
    let base = format!("{TINY}{fund}{guarantee}");
    let zero = "effect = { additional_share = 0 }\n";
    let zeroed = base
        .replace(
            "stages = [\"seed\"]\n",
            &format!("stages = [\"seed\"]\n{zero}"),
        )
        .replace(
            "sale_discount = \"10%\"\n",
            &format!("sale_discount = \"10%\"\n{zero}"),
        )
        .replace(
            "management_fee = \"2%\"\n",
            &format!("management_fee = \"2%\"\nrelocation_rate = 0\n{zero}"),
        )
        .replace(
            "loss_given_default = \"50%\"\n",
            &format!("loss_given_default = \"50%\"\n{zero}"),
        );
    assert_eq!(
        zeroed.matches(zero).count(),
        4,
        "every instrument has a zero effect"
    );
    let money_only = format!("{base}\n[channels]\neffects = false\n");
    let (a, a_paths) = outputs(&[money_only]);
    let (b, b_paths) = outputs(&[zeroed]);
    let (c, _) = outputs(&[base]);
    for (i, name) in ["summary", "targets", "yearly", "metrics"]
        .iter()
        .enumerate()
    {
        assert!(
            a[i] == b[i],
            "{name} differs between zero effects and the money-only reading"
        );
    }
    assert!(
        a_paths.equals_missing(&b_paths),
        "paths.parquet's data differs between zero effects and the money-only reading"
    );
    assert!(a[0] != c[0], "the default effects change the results");
}

/// Means over `paths` paths of the named scalar metrics.
fn means(text: &str, names: &[&str], paths: u64) -> Vec<f64> {
    let model = compile(&load_str("channels.toml", text).expect("valid"));
    let mut sim = PathSim::new(&model);
    let mut sums = vec![0.0; names.len()];
    for path in 0..paths {
        sim.run(29, path);
        for (s, n) in sums.iter_mut().zip(names) {
            *s += sim.scalar_of(n).unwrap_or_else(|| panic!("no metric {n}"));
        }
    }
    sums.iter().map(|s| s / paths as f64).collect()
}

/// The ladder of 10 seed firms over 10 years with revenue (100万 at entry, its log growing by a
/// mean of 0.2 a year in both stages, σ 0.3) and 2 large arrivals a year (valued at a median 100亿,
/// revenue 5亿, its log growing by a mean of 0.05 a year, σ 0.1).
fn large_arrivals_ladder() -> String {
    let large = "\n[industries.large_arrivals]\nper_year = 2\nvalue = { median = \"100亿\", sigma = 0.5 }\n\
                 revenue = { median = \"5亿\", sigma = 0.5 }\nrevenue_growth = { mean = 0.05, vol = 0.1 }\n";
    ladder((0.2, 0.0, 0.1), 10, 10, "")
        .replace("entry = { value = { median = \"3000万\", sigma = 0.5 } }", "entry = { value = { median = \"3000万\", sigma = 0.5 }, revenue = { median = \"100万\", sigma = 0.5 } }")
        .replace("ipo_share = \"0%\"\n", "ipo_share = \"0%\"\nrevenue_growth = { mean = 0.2, vol = 0.3 }\n")
        .replace("existing = { count = 10, value = { median = \"4000万\", sigma = 0.5 }, age = [1, 3] }", "existing = { count = 10, value = { median = \"4000万\", sigma = 0.5 }, age = [1, 3], revenue = { median = \"100万\", sigma = 0.5 } }")
        .replace("ipo_share = \"10%\"\n", "ipo_share = \"10%\"\nrevenue_growth = { mean = 0.2, vol = 0.3 }\n")
        + large
}

#[test]
fn incentives_add_large_firms_at_the_stated_rate() {
    // λ = 2 large firms a year arrive anyway. An incentive budget B = half_budget decides
    // c = 0.25·B/(B + B) = 0.125 of arrivals, so λ·c/(1−c) = 2/7 more arrive a year, credited to
    // it. Over 10 years: 20 + 20/7 = 22.857 arrivals (Poisson: SE √(22.857/n)), 2.857 additional
    // (SE √(2.857/n)). At most 1亿 a firm, the expected arrivals could take 1亿·2/0.875 = 2.3亿
    // a year: the whole budget can be spent, so all of it counts.
    let text = large_arrivals_ladder()
        + "\n[[instruments.attraction]]\nid = \"zs\"\nbudget = \"1亿\"\nmax_per_firm = \"1亿\"\nhalf_budget = \"1亿\"\n";
    let n = 3000;
    let m = means(
        &text,
        &[
            "large_arrivals",
            "additional_chain_leaders",
            "fiscal_outlay.zs",
        ],
        n,
    );
    let (total, extra) = (20.0 + 20.0 / 7.0, 20.0 / 7.0);
    assert!(
        (m[0] - total).abs() < 4.0 * (total / n as f64).sqrt(),
        "arrivals {}",
        m[0]
    );
    // Chain leaders are measured here on value (≥ 50亿); an arrival valued at a median 100亿
    // (σ 0.5) is one with probability Φ(ln 2 / 0.5) = 0.917 on arrival and grows 5% a year, so
    // between 0.9 and 1 of the additional arrivals are additional chain leaders.
    let se = (extra / n as f64).sqrt();
    assert!(
        m[1] > 0.9 * extra - 4.0 * se && m[1] <= extra + 4.0 * se,
        "leaders {}",
        m[1]
    );
    // Each arrival receives min(1亿, 1亿 / arrivals that year) from the budget.
    assert!(m[2] > 0.0 && m[2] <= 10.0 * 1e8);
}

#[test]
fn two_incentive_programmes_on_one_industry_are_refused() {
    // Each would pay every large arrival and decide its own share of their locations as if the
    // other did not exist: the model does not combine them, so the second is refused, named with
    // the industry and the first. On distinct industries (here: one reaching an industry without
    // large arrivals, which has nothing to share) they are accepted.
    let zs = |id: &str, industries: &str| {
        format!(
            "\n[[instruments.attraction]]\nid = \"{id}\"\nbudget = \"1亿\"\nmax_per_firm = \"1亿\"\n\
             half_budget = \"1亿\"\n{industries}"
        )
    };
    let text =
        large_arrivals_ladder() + &zs("city", "") + &zs("district", "industries = [\"ic\"]\n");
    let err = load_str("two.toml", &text)
        .expect_err("invalid")
        .to_string();
    assert!(
        err.contains("instruments.attraction[1].industries"),
        "{err}"
    );
    assert!(
        err.contains("\"ic\", as attraction programme \"city\""),
        "{err}"
    );
    // A second industry with large arrivals of its own, each programme reaching one industry.
    let ai = "\n[[industries]]\nid = \"ai\"\nname = \"AI\"\narrivals_per_year = 0\nbeta_market = 1.0\n\
              beta_industry = 0.5\nentry = { value = { median = \"3000万\", sigma = 0.5 }, \
              revenue = { median = \"100万\", sigma = 0.5 } }\n\n[[industries.stages]]\nname = \"seed\"\n\
              dilution = \"20%\"\np_round = 0.1\np_exit = 0.05\np_fail = 0.1\n\
              exit_multiple = { median = 1.0, sigma = 0.5 }\nipo_share = \"0%\"\n\
              revenue_growth = { mean = 0.2, vol = 0.3 }\n\n[[industries.stages]]\nname = \"A\"\n\
              dilution = \"20%\"\nstep_up = { median = 2.0, sigma = 0.3 }\np_round = 0.1\n\
              p_exit = 0.05\np_fail = 0.1\nexit_multiple = { median = 1.5, sigma = 0.5 }\n\
              ipo_share = \"10%\"\nrevenue_growth = { mean = 0.2, vol = 0.3 }\n\n\
              [industries.large_arrivals]\nper_year = 1\n\
              value = { median = \"100亿\", sigma = 0.5 }\nrevenue = { median = \"5亿\", sigma = 0.5 }\n\
              revenue_growth = { mean = 0.05, vol = 0.1 }\n";
    let apart = large_arrivals_ladder()
        + ai
        + &zs("city", "industries = [\"ic\"]\n")
        + &zs("district", "industries = [\"ai\"]\n");
    load_str("apart.toml", &apart).expect("one programme an industry is valid");
    let both = apart.replace("industries = [\"ai\"]", "industries = [\"ai\", \"ic\"]");
    let err = load_str("both.toml", &both)
        .expect_err("invalid")
        .to_string();
    assert!(
        err.contains("\"ic\", as attraction programme \"city\""),
        "{err}"
    );
}

#[test]
fn incentives_count_only_the_budget_they_can_pay() {
    // The test above with at most 2000万 a firm: the arrivals it can expect, 2/(1 − c), take at
    // most 4000万/(1 − c) a year, well under the 1亿 budget, and the rest lapses unspent. Only
    // what can be paid decides locations: c = 0.25·x/(x + 1亿) with x = 4000万/(1 − c), the fixed
    // point found here by iterating from c = 0.125 (it converges: the map's slope is about 0.02),
    // c = 0.0755, so 2c/(1 − c) = 0.163 more arrive a year, 1.63 over 10 years (Poisson: SE
    // √(21.63/n) on all arrivals). Counting the whole budget (before only payable money counted)
    // gave 2.857.
    let text = large_arrivals_ladder()
        + "\n[[instruments.attraction]]\nid = \"zs\"\nbudget = \"1亿\"\nmax_per_firm = \"2000万\"\nhalf_budget = \"1亿\"\n";
    let mut c: f64 = 0.125;
    for _ in 0..200 {
        let x = 4e7 / (1.0 - c);
        c = 0.25 * x / (x + 1e8);
    }
    assert!((c - 0.0755).abs() < 0.0005, "{c}");
    let extra = 10.0 * 2.0 * c / (1.0 - c);
    let n = 3000;
    let m = means(&text, &["large_arrivals", "fiscal_outlay.zs"], n);
    let total = 20.0 + extra;
    assert!(
        (m[0] - total).abs() < 4.0 * (total / n as f64).sqrt(),
        "arrivals {} against {total}",
        m[0]
    );
    // Every arrival is paid the 2000万 cap (1亿 covers five a year; more is rare and then each
    // gets 1亿 / arrivals): the outlay is at most 2000万 an arrival.
    assert!(m[1] > 0.0 && m[1] <= 2e7 * m[0] + 1.0, "outlay {}", m[1]);
}

#[test]
fn talent_subsidies_raise_inflow_by_the_elasticity() {
    // 20 projects a year with 3 talents each (Poisson 60 a year). A subsidy of 30万 against a
    // five-year pay of 150万 is s = 0.2; ε = 0.5 and a 2-year phase-in give uplift 0.05 in 2024
    // and 0.1 from 2025: extra talents 60·(0.05 + 0.1·4) = 27 over 5 years (Poisson: SE √(27/n)).
    let text = ladder((0.2, 0.0, 0.1), 10, 5, "").replace(
        "arrivals_per_year = 0",
        "arrivals_per_year = 20\ntalent_per_arrival = 3",
    ) + "\n[[instruments.talent_subsidy]]\nid = \"rc\"\nbudget = \"1亿\"\namount = \"30万\"\n\
           reference_pay = \"150万\"\nelasticity = 0.5\nphase_in_years = 2\n";
    let n = 4000;
    let m = means(
        &text,
        &["additional_talents", "talents", "fiscal_outlay.rc"],
        n,
    );
    assert!(
        (m[0] - 27.0).abs() < 4.0 * (27.0 / n as f64).sqrt(),
        "extra talents {}",
        m[0]
    );
    // Every talent is paid 30万 (the budget covers them): outlay = 30万 × all talents.
    assert!(
        (m[2] - 300_000.0 * m[1]).abs() < 1.0,
        "outlay {} for {} talents",
        m[2],
        m[1]
    );
}

#[test]
fn a_talent_subsidy_raises_inflow_only_as_far_as_its_budget_pays() {
    // The test above with a budget of 30万 a year: it pays one talent a year, of the T ≈ 60 who
    // come anyway, so a talent can count on 1/T of the subsidy and the uplift is scaled by 1/T.
    // Extra talents in a year: Poisson of mean 3A·u/T (A projects, T ~ Poisson(3A) base talents,
    // u = 0.05 in 2024 and 0.1 after): E[3A/T] = 1 + E[1/(3A)] + O(A⁻²) ≈ 1 + (1/60)(1 + 1/20)
    // for A ~ Poisson(20), so over 5 years 0.45 × 1.0175 = 0.458 (the O(A⁻²) rest is below
    // 0.001; Poisson: SE √(0.458/n)). With the whole uplift (before the budget limited it) it
    // was 27. The outlay is one talent a year: 5 × 30万.
    let text = ladder((0.2, 0.0, 0.1), 10, 5, "").replace(
        "arrivals_per_year = 0",
        "arrivals_per_year = 20\ntalent_per_arrival = 3",
    ) + "\n[[instruments.talent_subsidy]]\nid = \"rc\"\nbudget = \"30万\"\namount = \"30万\"\n\
           reference_pay = \"150万\"\nelasticity = 0.5\nphase_in_years = 2\n";
    let n = 4000;
    let m = means(&text, &["additional_talents", "fiscal_outlay.rc"], n);
    let expected = 0.45 * (1.0 + (1.0 / 60.0) * 1.05);
    assert!(
        (m[0] - expected).abs() < 4.0 * (expected / n as f64).sqrt() + 0.001,
        "extra talents {} against {expected}",
        m[0]
    );
    assert!((m[1] - 1_500_000.0).abs() < 1.0, "outlay {}", m[1]);
}

#[test]
fn support_for_established_firms_credits_the_policy_with_nothing() {
    // A subsidy pays every large arrival (an established firm: no stages to move through, its
    // revenue and value growing by the large-arrival model) in its arrival year, with an effect
    // that would act on every firm it supports (additional share 1, odds and a growth shift).
    // Nothing in the model lets an effect move an established firm, so every firm's future is the
    // money-only reading's (checked path by path on the city's tax, revenue and new chain
    // leaders) and everything the policy is credited with is exactly 0 on every path: no
    // additional chain leaders (value ≥ 50亿; an arrival's median is 100亿), unicorns, rounds or
    // exits, and no additional tax revenue (the default tax shares). The arrivals' log revenue and value grow
    // by 0.05 a year, so a shadow that stood still while its firm grew would credit the policy
    // with the growth: the tax and chain-leader checks are the ones that failed before
    // established firms were kept from effects (1.5亿 of tax and 0.6 chain leaders a path).
    // The programme's second rule, for venture firms, has no events: it is there because a
    // programme that pays only large arrivals may not have an effect table (validation refuses
    // one that could act on nothing), and this test is of the engine, not of validation.
    let subsidy = r#"
[[instruments.subsidy]]
id = "s"
budget = "10亿"
rationing = "pro_rata"
effect = { round_odds = 1.5, fail_odds = 0.8, exit_odds = 1.2, revenue_growth = 0.1, years = 3, additional_share = 1.0 }
[[instruments.subsidy.rules]]
label = "relocation"
share = "5%"
item_cap = "2000万"
base = { median = "1亿", sigma = 0 }
claimants = "large_arrivals"
events_per_firm_year = 1.0
[[instruments.subsidy.rules]]
label = "venture firms, none this run"
fixed = "10万"
events_per_firm_year = 0.0
"#;
    let text = large_arrivals_ladder() + subsidy;
    let model = compile(&load_str("established.toml", &text).expect("valid"));
    let money_only = model.money_only();
    let (mut sim, mut reference) = (PathSim::new(&model), PathSim::new(&money_only));
    let mut paid = 0.0;
    for path in 0..200 {
        sim.run(41, path);
        reference.run(41, path);
        paid += sim.scalar_of("deployed.s").expect("metric");
        for name in ["tax_revenue", "chain_leaders_new", "local_revenue"] {
            let (a, b) = (sim.scalar_of(name), reference.scalar_of(name));
            assert!(a.is_some(), "no metric {name}");
            assert_eq!(a, b, "{name} on path {path}: with effects and money only");
        }
        for name in [
            "additional_chain_leaders",
            "additional_unicorns",
            "additional_rounds",
            "additional_exits",
            "additional_tax_revenue",
        ] {
            let v = sim.scalar_of(name).expect("metric");
            assert_eq!(v, 0.0, "{name} on path {path}");
        }
    }
    // The subsidy did pay (about 2 arrivals a year × 10 years × 500万 on a path).
    assert!(paid > 0.0);
}

#[test]
fn acquired_firms_leave_at_the_leakage_rate() {
    // Seed firms exit by M&A only (IPO share 0). With leakage 40%, each acquisition leaves the
    // city with probability 0.4: binomial, SE √(0.24/acquisitions).
    let text = ladder(
        (0.05, 0.2, 0.05),
        400,
        6,
        "\n[channels]\nleakage = \"40%\"\n",
    );
    let model = compile(&load_str("leak.toml", &text).expect("valid"));
    let mut sim = PathSim::new(&model);
    let (mut acquired, mut left) = (0u64, 0u64);
    for path in 0..60 {
        sim.run(31, path);
        let f = &sim.firms;
        for i in 0..f.len() {
            if f.status[i] == Status::Acquired {
                acquired += 1;
                left += !f.local[i] as u64;
            }
        }
    }
    let share = left as f64 / acquired as f64;
    let se = (0.24 / acquired as f64).sqrt();
    assert!(
        acquired > 5000 && (share - 0.4).abs() < 4.0 * se,
        "{left} of {acquired} left"
    );
}

#[test]
fn outside_firms_relocate_at_the_stated_rate() {
    // A fund that invests only outside the city (no local firms, no 返投) in firms that never
    // move (all probabilities 0). Each outside holding bought in year t draws in every later
    // year up to fund age 9 (term 10) and the horizon: a move with probability r = 0.1, of which
    // a share b = 0.25 only opens a branch (and draws no more). So a holding with n draws has
    // truly relocated by the end with probability (1 − b)(1 − (1 − r)^n).
    let text = ladder((0.0, 0.0, 0.0), 0, 8, "").replace(
        "p_round = 0.1\np_exit = 0.05\np_fail = 0.1",
        "p_round = 0\np_exit = 0\np_fail = 0",
    ) + "\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = { per_year = \"1亿\", from = 2024, to = 2024 }\n\
           fund_size = \"5亿\"\ncity_share = \"20%\"\nticket = \"2000万\"\nlocal_preference = \"0%\"\n\
           relocation_rate = \"10%\"\nbranch_share = \"25%\"\n";
    let model = compile(&load_str("relocate.toml", &text).expect("valid"));
    let mut sim = PathSim::new(&model);
    let (mut moved_in, mut expected, mut variance, mut counted) = (0.0, 0.0, 0.0, 0.0);
    for path in 0..400 {
        sim.run(37, path);
        let f = &sim.firms;
        for i in 0..f.len() {
            // Draws in the years after the fund's round (the firm's last: it takes no other)
            // up to 7 (the horizon ends first).
            let n = 7 - f.last_round[i];
            let p = 0.75 * (1.0 - 0.9f64.powi(n));
            expected += p;
            variance += p * (1.0 - p);
            moved_in += f.local[i] as u64 as f64;
        }
        counted += sim.scalar_of("relocations").expect("metric");
    }
    assert!(expected > 1000.0, "{expected} expected moves");
    assert!(
        (moved_in - expected).abs() < 4.0 * variance.sqrt(),
        "{moved_in} firms moved in, {expected} expected"
    );
    assert_eq!(
        counted, moved_in,
        "the relocations metric counts each move once"
    );
}

#[test]
fn a_talent_subsidy_pays_and_raises_the_talents_moved_firms_bring() {
    // The set-up of the test above (a fund buys outside firms in 2024 that never move on; no
    // local base, no new projects), each moved firm bringing a Poisson 3 talents, and a talent
    // subsidy listed before the fund (it still acts after it). Its budget pays every talent, so
    // path by path its outlay is 30万 × the talents. With s = 30万 / 150万 = 0.2, ε = 0.5 and a
    // one-year phase-in, the uplift is 0.1 from the first year: given R moves, the talents are
    // Poisson(3R) plus Poisson(0.3R) extra, so E[talents − 3.3R] = 0 with variance E[3.3R]: the
    // mean over n paths has SE √(3.3·E[R]/n). Before a moved firm's talents were the industry's,
    // the subsidy paid none of them (outlay 0) and raised none.
    let text = ladder((0.0, 0.0, 0.0), 0, 8, "")
        .replace(
            "p_round = 0.1\np_exit = 0.05\np_fail = 0.1",
            "p_round = 0\np_exit = 0\np_fail = 0",
        )
        .replace(
            "arrivals_per_year = 0",
            "arrivals_per_year = 0\ntalent_per_arrival = 3",
        )
        + "\n[[instruments.talent_subsidy]]\nid = \"rc\"\nbudget = \"1亿\"\namount = \"30万\"\n\
           reference_pay = \"150万\"\nelasticity = 0.5\nphase_in_years = 1\n\
           \n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = { per_year = \"1亿\", from = 2024, to = 2024 }\n\
           fund_size = \"5亿\"\ncity_share = \"20%\"\nticket = \"2000万\"\nlocal_preference = \"0%\"\n\
           relocation_rate = \"10%\"\nbranch_share = \"0%\"\n";
    // A talent subsidy spending pooled money would act in the pool's priority order, before the
    // funds: refused.
    let pooled = text.replace(
        "recycling = { to_pool = \"0%\" }",
        "recycling = { to_pool = \"0%\", into = [\"rc\"] }",
    );
    assert_ne!(pooled, text);
    let err = load_str("pooled.toml", &pooled)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("program.recycling.into[0]") && err.contains("\"rc\" is a talent subsidy"),
        "{err}"
    );
    let model = compile(&load_str("talents.toml", &text).expect("valid"));
    let mut sim = PathSim::new(&model);
    let n = 600;
    let (mut gap, mut moves) = (0.0, 0.0);
    for path in 0..n {
        sim.run(47, path);
        let talents = sim.scalar_of("talents").expect("metric");
        let outlay = sim.scalar_of("fiscal_outlay.rc").expect("metric");
        assert_eq!(
            outlay,
            300_000.0 * talents,
            "path {path}: {talents} talents"
        );
        let r = sim.scalar_of("relocations").expect("metric");
        gap += talents - 3.3 * r;
        moves += r;
    }
    let (gap, moves) = (gap / n as f64, moves / n as f64);
    assert!(moves > 5.0, "{moves} moves a path");
    let se = (3.3 * moves / n as f64).sqrt();
    assert!(
        gap.abs() < 4.0 * se,
        "talents − 3.3 × moves: {gap} (SE {se})"
    );
}

#[test]
fn moved_firms_bring_their_stage_s_revenue_and_age() {
    // The set-up of the test above (a fund buys firms outside the city in 2024, here at the seed
    // stage only; no
    // firm ever takes a round, exits or fails), with revenue modelled and no revenue growth, and
    // every move a true one (no branches). A moved firm's revenue is then its stage's existing
    // base's, 500万 exactly (σ = 0), every year from its move; its founding year is its round's
    // year less an age of 2, 3 or 4 (the base's `age`), each a third of the time. The local base
    // is empty and no project arrives, so every local firm was moved in: the city's whole tax
    // is what the policy brought (additional tax = tax, path by path), and with 500万 of revenue
    // each it is tax rate × 500万 × (local firm-years). Before moved firms were given revenue
    // (and an age) the tax was 0 and every firm's founding year was its round's.
    let text = ladder((0.0, 0.0, 0.0), 0, 8, "")
        .replace(
            "p_round = 0.1\np_exit = 0.05\np_fail = 0.1",
            "p_round = 0\np_exit = 0\np_fail = 0\nrevenue_growth = { mean = 0, vol = 0 }",
        )
        .replace(
            "entry = { value = { median = \"3000万\", sigma = 0.5 } }",
            "entry = { value = { median = \"3000万\", sigma = 0.5 }, revenue = { median = \"100万\", sigma = 0.5 } }",
        )
        .replace(
            "age = [1, 3] }",
            "age = [2, 4], revenue = { median = \"500万\", sigma = 0 } }\nrevenue_growth = { mean = 0, vol = 0 }",
        )
        + "\n[[instruments.sub_fund]]\nid = \"fof\"\nbudget = { per_year = \"1亿\", from = 2024, to = 2024 }\n\
           fund_size = \"5亿\"\ncity_share = \"20%\"\nticket = \"2000万\"\nlocal_preference = \"0%\"\n\
           relocation_rate = \"20%\"\nbranch_share = \"0%\"\nstages = [\"seed\"]\n";
    let model = compile(&load_str("moved.toml", &text).expect("valid"));
    let rate = model.city_tax_rate;
    let mut sim = PathSim::new(&model);
    let (mut moved, mut ages) = (0u64, [0u64; 3]);
    for path in 0..300 {
        sim.run(43, path);
        let f = &sim.firms;
        for i in 0..f.len() {
            let age = f.last_round[i] - f.birth[i];
            assert!((2..=4).contains(&age), "firm {i}: age {age} at its round");
            ages[age as usize - 2] += 1;
            if f.local[i] {
                moved += 1;
                // exp(ln 500万) is 500万 to the last bits of a double.
                let r = f.revenue[i];
                assert!(
                    (r / 5_000_000.0 - 1.0).abs() < 1e-12,
                    "moved firm {i} on path {path}: revenue {r}"
                );
            }
        }
        let tax = sim.scalar_of("tax_revenue").expect("metric");
        let extra = sim.scalar_of("additional_tax_revenue").expect("metric");
        assert_eq!(tax, extra, "path {path}: every local firm was moved in");
        // Local firm-years: each moved firm counts every year from its move's to the last
        // (the yearly tax column, summed, is the scalar); at least its own year.
        let firm_years = tax / (rate * 5_000_000.0);
        let local_now = f.local.iter().filter(|&&l| l).count() as f64;
        assert!(
            firm_years >= local_now - 1e-6 && (firm_years - firm_years.round()).abs() < 1e-6,
            "path {path}: tax {tax} is not 500万 × rate × whole firm-years ({firm_years}, {local_now} moved)"
        );
    }
    assert!(moved > 1000, "{moved} moves");
    // Bought at the A stage, which has no existing base, a firm takes the seed base's ages (the
    // nearest stage below with one): 2 to 4 at its round, never 0.
    let model = compile(
        &load_str(
            "moved_a.toml",
            &text.replace("stages = [\"seed\"]", "stages = [\"A\"]"),
        )
        .expect("valid"),
    );
    let mut sim = PathSim::new(&model);
    for path in 0..50 {
        sim.run(43, path);
        let f = &sim.firms;
        assert!(!f.is_empty());
        for i in 0..f.len() {
            let age = f.last_round[i] - f.birth[i];
            assert!((2..=4).contains(&age), "an A-stage firm {i}: age {age}");
        }
    }
    // Each age with probability 1/3: a count's SE is √(n·(1/3)(2/3)).
    let n: u64 = ages.iter().sum();
    let se = (n as f64 * 2.0 / 9.0).sqrt();
    for (j, &a) in ages.iter().enumerate() {
        assert!(
            (a as f64 - n as f64 / 3.0).abs() < 4.0 * se,
            "age {}: {a} of {n}",
            j + 2
        );
    }
}

#[test]
fn money_only_is_the_scenario_with_effects_off() {
    // `Model::money_only` (used by studies that compare a run with its money-only twin) must be
    // exactly what `[channels] effects = false` compiles to, on a scenario with every channel.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(root.join("scenarios/nantong_baseline.toml")).expect("baseline");
    let on = compile(&load_str("on.toml", &text).expect("valid"));
    let off = compile(
        &load_str(
            "off.toml",
            &format!("{text}\n[channels]\neffects = false\n"),
        )
        .expect("valid"),
    );
    assert!(on != off, "the channels are on in the baseline");
    assert!(on.money_only() == off);
}

#[test]
fn financing_counts_what_the_scenario_says() {
    // Guaranteed loans only: the financing metric is the principal of the loans made. IPO raises
    // only: 25% of the listing value of every local firm that listed (an exited firm keeps its
    // exit value), to the fen each year. Rounds only (the default) is what TINY's target reads.
    let guarantee = "\n[[instruments.guarantee]]\nid = \"gu\"\nvolume = \"5000万\"\n\
                     loan_size = \"500万\"\nterm_years = 2\ncover_share = \"40%\"\n\
                     fee_rate = \"0.5%\"\nbase_default_rate = \"3%\"\nloss_given_default = \"50%\"\n";
    // Listed prices do not move here (no volatility, no market drift on values), so a listed
    // firm's value at the end is its listing value.
    let with = |def: &str| {
        format!("{TINY}{guarantee}\n[valuation]\nlisted_volatility = 0\n")
            .replace("value = 0.2, exit_value", "value = 0.0, exit_value")
            .replace(
                "[program]",
                &format!("[thresholds]\nfinancing = {{ {def} }}\n\n[program]"),
            )
    };
    let loans = compile(
        &load_str(
            "loans.toml",
            &with("rounds = false, guaranteed_loans = true"),
        )
        .expect("valid"),
    );
    let ipos =
        compile(&load_str("ipos.toml", &with("rounds = false, ipo_raises = true")).expect("valid"));
    let (mut a, mut b) = (PathSim::new(&loans), PathSim::new(&ipos));
    let mut listed_total = 0.0;
    for path in 0..40 {
        a.run(3, path);
        let loans_count: f64 = a.yearly_of("loans_guaranteed").unwrap().iter().sum::<i64>() as f64;
        assert_eq!(
            a.scalar_of("financing").unwrap(),
            loans_count * 5_000_000.0,
            "path {path}"
        );
        b.run(3, path);
        let f = &b.firms;
        let listed: f64 = (0..f.len())
            .filter(|&i| f.status[i] == Status::Listed && f.local[i])
            .map(|i| 0.25 * f.value[i])
            .sum();
        let years = b.model().n_years as f64;
        assert!(
            (b.scalar_of("financing").unwrap() - listed).abs() <= 0.01 * years,
            "path {path}: {} vs {listed}",
            b.scalar_of("financing").unwrap()
        );
        listed_total += listed;
    }
    assert!(listed_total > 0.0, "some firms listed");
}

#[test]
fn bad_channel_input_is_located() {
    // An effect on an incentive programme, an odds multiplier of 0, a share above 1 and an
    // unknown effect key: each named with its key.
    let attraction = format!(
        "{}\n[[instruments.attraction]]\nid = \"zs\"\nbudget = \"1亿\"\nmax_per_firm = \"2000万\"\n\
         half_budget = \"1亿\"\neffect = {{ round_odds = 2.0 }}\n",
        ladder((0.2, 0.0, 0.1), 10, 5, "")
    );
    let err = load_str("bad.toml", &attraction)
        .expect_err("invalid")
        .to_string();
    assert!(err.contains("instruments.attraction[0].effect"), "{err}");
    assert!(err.contains("large_arrivals"), "{err}");
    let zero = ladder(
        (0.2, 0.0, 0.1),
        10,
        5,
        &grants("{ round_odds = 0, additional_share = 1.5 }"),
    );
    let err = load_str("bad.toml", &zero)
        .expect_err("invalid")
        .to_string();
    assert!(
        err.contains("instruments.grant[0].effect.round_odds"),
        "{err}"
    );
    assert!(
        err.contains("instruments.grant[0].effect.additional_share"),
        "{err}"
    );
    let unknown = ladder((0.2, 0.0, 0.1), 10, 5, &grants("{ round_odd = 2 }"));
    let err = load_str("bad.toml", &unknown)
        .expect_err("invalid")
        .to_string();
    assert!(
        err.contains("round_odd") && err.contains("round_odds"),
        "{err}"
    );
}
