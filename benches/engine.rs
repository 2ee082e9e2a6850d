//! Engine throughput, in firm-years per second.
//!
//! A firm-year is one firm (active, exited or established) simulated through one year; it is what
//! [`PathSim::firm_years`] and [`fundsim::run::ScenarioRun::firm_years`] count, so every group
//! below reports `Throughput::Elements(firm_years)` and the numbers compare directly.
//!
//! - `path/<scenario>`: one thread, one reused [`PathSim`] simulating the same fixed range of paths
//!   each iteration, enough for about [`PATH_FIRM_YEARS`] firm-years (the firm-year count of a
//!   fixed seed and path range is deterministic, so it is measured once beforehand). The scenario
//!   is `scenarios/nantong_baseline.toml` when it exists and loads, else `tests/data/tiny.toml`;
//!   both are read at run time from `CARGO_MANIFEST_DIR`.
//! - `draws/per_firm_year`: only the random draws the model makes per firm-year, with the same
//!   counter-based generator and functions ([`fundsim::rng`]): a transition counter keyed by the
//!   firm and year and its `uniform`, a revenue counter with a `normal` + `exp` on the share of
//!   firm-years that grow revenue, and a `normal` + `exp` on the share of firm-years with a round
//!   or an exit. Both shares are measured from the scenario by
//!   replaying its firm population without its instruments (see [`DrawMix::measure`]: the
//!   instruments add firms and change outcomes, so the shares are close to the engine's, not
//!   equal; the bench prints both firm-year counts). This is the **ceiling**: a path must
//!   make at least these draws, in this number, for each firm-year, and does everything else
//!   (transition tables, bookkeeping, instruments, metrics) on top, so `path` can approach but not
//!   exceed it. The ratio `path / draws` is the share of a path's time these draws alone would
//!   take; the rest is the engine's own work. (Left out, so the ceiling is slightly generous: the
//!   IPO-or-M&A uniform of an exit, the entry draws of new projects and existing firms, which are
//!   per firm rather than per firm-year, and the market and arrival draws, per industry-year.)
//! - `run/parallel`: [`fundsim::run::run`] over [`run_paths`] paths on rayon's global pool (all
//!   threads), chunking, yearly sketches and merging included. Compare it with `path` times the
//!   number of threads.
//! - `ladder/parallel` and `ladder/ceiling`: the same for the one-industry ladder of
//!   `benches/ladder.toml` (issue 11's kernel), beside the draws of its own mix on one thread (no
//!   revenue draws: the ladder has no revenue), whose rate times the number of threads is the
//!   parallel run's ceiling.

use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};
use fundsim::firms::{Firms, YearEvents};
use fundsim::market::Market;
use fundsim::model::{Model, compile};
use fundsim::rng::{self, counter, exp, normal, purpose, uniform};
use fundsim::run::{CHUNK, RunSettings, Silent, run};
use fundsim::scenario::load_str;
use fundsim::sim::PathSim;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const SEED: u64 = 20_240_601;
/// Firm-years aimed at per iteration of `path/<scenario>` (a few milliseconds).
const PATH_FIRM_YEARS: u64 = 32_768;
/// Most paths per iteration of `path/<scenario>`.
const PATH_BATCH_MAX: u64 = 64;
/// Least paths of one `run/parallel` iteration; see [`run_paths`].
const RUN_PATHS: u64 = 512;
/// Firm-years of draws per iteration of `draws/per_firm_year`.
const DRAW_BATCH: u64 = 100_000;
/// Paths per iteration of `ladder/parallel`.
const LADDER_PATHS: u64 = 4_096;

/// Scenario files tried in order, relative to the crate root.
const SCENARIOS: [&str; 2] = ["scenarios/nantong_baseline.toml", "tests/data/tiny.toml"];

/// Paths of one `run/parallel` iteration: [`RUN_PATHS`], or one chunk per rayon thread if that is
/// more (a chunk of [`CHUNK`] paths is the unit of parallel work, so fewer chunks than threads
/// would leave threads idle).
fn run_paths() -> u64 {
    RUN_PATHS.max(CHUNK * rayon::current_num_threads() as u64)
}

/// Paths per iteration of `path/<scenario>` (paths `0..n` on one `PathSim`): about
/// [`PATH_FIRM_YEARS`] firm-years, judged from the first paths.
fn path_batch(model: &Model) -> u64 {
    const PROBE: u64 = 4;
    let mut sim = PathSim::new(model);
    for path in 0..PROBE {
        sim.run(SEED, path);
    }
    let per_path = (sim.firm_years / PROBE).max(1);
    (PATH_FIRM_YEARS / per_path).clamp(1, PATH_BATCH_MAX)
}

/// The first scenario of [`SCENARIOS`] that exists and loads, compiled.
fn load_model() -> Model {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in SCENARIOS {
        let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
            continue;
        };
        match load_str(rel, &text) {
            Ok(file) => return compile(&file),
            Err(e) => eprintln!("engine bench: skipping {rel}, it does not load:\n{e}"),
        }
    }
    panic!("engine bench: none of {SCENARIOS:?} exists and loads");
}

/// How often the model's optional draws happen, per firm-year.
#[derive(Debug, Clone, Copy)]
struct DrawMix {
    /// Share of firm-years with a revenue-growth draw (`normal` + `exp`).
    revenue: f64,
    /// Share of firm-years with a round or an exit (`normal` + `exp`).
    round_or_exit: f64,
    /// Firm-years replayed. `PathSim` counts more over the same paths: its instruments add
    /// firms (sub-funds' outside holdings, relocations, additional projects and large arrivals).
    firm_years: u64,
}

impl DrawMix {
    /// Replays the firms and markets of paths `0..paths` with the streams `PathSim::run` uses, but
    /// the firm model only: no instrument supports a firm (its effects would move the outcome
    /// odds and revenue growth) or adds one. Counts, per firm-year as `PathSim` counts them, the
    /// revenue draws and the rounds and exits of existing firms (entry rounds of new projects are
    /// not transitions and are excluded). The shares are therefore those of a city without the
    /// policy: close to the engine's, not equal.
    fn measure(model: &Model, paths: u64) -> Self {
        let mut firms = Firms::default();
        let mut market = Market::default();
        let mut events = YearEvents::default();
        let mut x = Vec::new();
        let (mut firm_years, mut revenue, mut round_or_exit) = (0u64, 0u64, 0u64);
        for path in 0..paths {
            let mut market_rng = rng::stream(SEED, path, rng::MARKET);
            let mut factor_rngs: Vec<_> = (model.industries.iter())
                .map(|ind| rng::stream(SEED, path, rng::industry_factor(&ind.id)))
                .collect();
            firms.populate(model, SEED, path);
            market.start(&mut market_rng, &mut factor_rngs);
            for y in 0..model.n_years {
                market.step(model, y, (&mut market_rng, &mut factor_rngs), &mut x);
                events.clear(model.industries.len());
                firms.begin_year(model, &x);
                for (i, ind) in model.industries.iter().enumerate() {
                    firm_years += (firms.active[i].len()
                        + firms.exited[i].len()
                        + firms.established[i].len()) as u64;
                    let before = (
                        events.rounds.len(),
                        events.counts.arrivals,
                        events.counts.exits,
                    );
                    firms.industry_year(model, (i, y), &mut events);
                    let arrivals = (events.counts.arrivals - before.1) as u64;
                    let rounds = (events.rounds.len() - before.0) as u64 - arrivals;
                    let exits = (events.counts.exits - before.2) as u64;
                    round_or_exit += rounds + exits;
                    if ind.entry_revenue.is_some() {
                        // Survivors that were there at the start of the year (new projects are
                        // appended last), exited firms (this year's exits included) and established
                        // firms grow revenue, where their stage has a growth law.
                        let grows = |s: usize| ind.stages[s].revenue_growth.is_some() as u64;
                        let active = &firms.active[i];
                        let survivors = &active[..active.len() - arrivals as usize];
                        revenue += survivors
                            .iter()
                            .map(|&f| grows(firms.stage[f as usize] as usize))
                            .sum::<u64>();
                        revenue += firms.exited[i].len() as u64 * grows(ind.stages.len() - 1);
                        revenue += firms.established[i].len() as u64;
                    }
                }
            }
        }
        let per = |n: u64| n as f64 / firm_years.max(1) as f64;
        DrawMix {
            revenue: per(revenue),
            round_or_exit: per(round_or_exit),
            firm_years,
        }
    }
}

/// The draws of `n` firm-years in the given mix, interleaved as in the firm loop (firm `j`'s key
/// is a hash of `j`). Fractional shares are spread evenly with an error-diffusion counter, so every
/// iteration makes the same draws.
fn draws(n: u64, mix: DrawMix) -> f64 {
    let mut acc = 0.0;
    let (mut rev, mut event) = (0.0, 0.0);
    let salt = rng::year_salt(3);
    for j in 0..n {
        let key = rng::splitmix64(j);
        let mut c = counter(key, salt, purpose::TRANSITION);
        acc += uniform(&mut c);
        rev += mix.revenue;
        if rev >= 1.0 {
            rev -= 1.0;
            let mut r = counter(key, salt, purpose::REVENUE);
            acc += exp(0.1 + 0.5 * normal(&mut r));
        }
        event += mix.round_or_exit;
        if event >= 1.0 {
            event -= 1.0;
            acc += exp(0.3 + 0.8 * normal(&mut c));
        }
    }
    acc
}

fn engine(c: &mut Criterion) {
    let model = load_model();
    let name = model.name.clone();

    // Firm-years of one `path` iteration: deterministic for the fixed seed and path range.
    let batch = path_batch(&model);
    let mut sim = PathSim::new(&model);
    for path in 0..batch {
        sim.run(SEED, path);
    }
    let path_firm_years = sim.firm_years;

    let mix = DrawMix::measure(&model, batch);
    eprintln!(
        "engine bench: the draw mix replayed {} firm-years without the instruments, PathSim \
         simulated {} with them",
        mix.firm_years, path_firm_years
    );
    let run_settings = RunSettings::new(run_paths(), SEED);
    let run_firm_years = run(&model, run_settings, &Silent).firm_years;
    eprintln!(
        "engine bench: scenario {name}: {:.0} firm-years per path, {batch} paths per path/ \
         iteration; per firm-year {:.3} revenue draws and {:.3} rounds or exits; run/parallel: {} \
         paths on {} rayon threads",
        path_firm_years as f64 / batch as f64,
        mix.revenue,
        mix.round_or_exit,
        run_settings.paths,
        rayon::current_num_threads(),
    );

    let mut g = c.benchmark_group("path");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(path_firm_years));
    g.bench_function(BenchmarkId::from_parameter(&name), |b| {
        let mut sim = PathSim::new(&model);
        b.iter(|| {
            for path in 0..batch {
                sim.run(black_box(SEED), path);
                black_box(&sim.scalars);
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("draws");
    draws_group(&mut g);
    g.bench_function("per_firm_year", |b| {
        b.iter(|| black_box(draws(DRAW_BATCH, black_box(mix))))
    });
    g.finish();

    // An iteration takes 20 ms (tiny) to 300 ms (nantong_baseline): linear sampling would need 210
    // of them for 20 samples, so sample flat, 10 samples.
    let mut g = whole_runs(c, "run", run_firm_years);
    g.bench_function("parallel", |b| {
        b.iter(|| {
            let settings = RunSettings {
                seed: black_box(SEED),
                ..run_settings
            };
            black_box(run(&model, settings, &Silent).firm_years)
        })
    });
    g.finish();
}

/// Settings of a group of [`draws`] of [`DRAW_BATCH`] firm-years an iteration.
fn draws_group(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(DRAW_BATCH));
}

/// A group of whole runs of `firm_years` each: flat sampling, 10 samples (an iteration takes
/// tenths of a second, too long for criterion's linear sampling).
fn whole_runs<'a>(
    c: &'a mut Criterion,
    name: &str,
    firm_years: u64,
) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(firm_years));
    g
}

/// The one-industry ladder of `benches/ladder.toml` (five stages, about 600 firms over 15 years,
/// one equity instrument) run in parallel on all threads: the firm-year kernel's throughput, which
/// issue 11 asks to be at least 250M firm-year slots per second on 2 threads.
fn ladder(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("benches/ladder.toml")).expect("benches/ladder.toml");
    let model = compile(&load_str("ladder.toml", &text).expect("the ladder loads"));
    let settings = RunSettings::new(LADDER_PATHS, SEED);
    let firm_years = run(&model, settings, &Silent).firm_years;
    let mix = DrawMix::measure(&model, 64);
    eprintln!(
        "ladder: {LADDER_PATHS} paths, {:.0} firm-years per path, {} threads; per firm-year \
         {:.3} revenue draws and {:.3} rounds or exits (replayed without the instrument)",
        firm_years as f64 / LADDER_PATHS as f64,
        rayon::current_num_threads(),
        mix.revenue,
        mix.round_or_exit,
    );
    let mut g = whole_runs(c, "ladder", firm_years);
    g.bench_function("parallel", |b| {
        b.iter(|| black_box(run(&model, black_box(settings), &Silent).firm_years))
    });
    g.finish();
    // Its ceiling: the same draws per firm-year, in the ladder's mix, on one thread.
    let mut g = c.benchmark_group("ladder");
    draws_group(&mut g);
    g.bench_function("ceiling", |b| {
        b.iter(|| black_box(draws(DRAW_BATCH, black_box(mix))))
    });
    g.finish();
}

/// `e^x`: ours ([`fundsim::exp::exp`]) against `libm::exp`, which it replaced, over 1,024
/// arguments in `[-1.5, 1.5)` (where the model's log-normal draws are). `throughput`: independent
/// calls, as a loop over firms can overlap them; `latency`: each argument waits on the previous
/// result (a firm's revenue waits on its growth draw's `exp`).
fn exp_fn(c: &mut Criterion) {
    const N: u64 = 4_096;
    let xs: Vec<f64> = (0..1024).map(|i| (i as f64 / 1024.0 - 0.5) * 3.0).collect();
    let mut g = c.benchmark_group("exp");
    g.throughput(Throughput::Elements(N));
    type Exp = fn(f64) -> f64;
    let fns: [(&str, Exp); 2] = [("ours", fundsim::exp::exp), ("libm", libm::exp)];
    for (name, f) in fns {
        g.bench_function(BenchmarkId::new("throughput", name), |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for i in 0..N as usize {
                    acc += f(black_box(xs[i & 1023]));
                }
                acc
            })
        });
        g.bench_function(BenchmarkId::new("latency", name), |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for i in 0..N as usize {
                    // `acc · 1e-300` is zero to the last bit here but the processor cannot know.
                    acc += f(black_box(xs[i & 1023]) + acc * 1e-300);
                }
                acc
            })
        });
    }
    g.finish();
}

criterion_group!(benches, engine, ladder, exp_fn);
criterion_main!(benches);
