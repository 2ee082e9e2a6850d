//! Structured fuzzing of scenario files on stable Rust: the bundled scenarios and the test
//! scenarios, mutated (extreme numbers, odd units, missing, renamed and duplicated keys, values of
//! the wrong type, deep nesting, huge arrays, `extends` and `holdings` to odd paths), then loaded,
//! validated, compiled and run for a few paths, as `fundsim run` does.
//!
//! Every case must end as the command line would with exit 0 (it runs) or 2 (bad input, a located
//! message): no panic, and no run longer than its time budget. A failing case is written to
//! `target/fuzz-failures/` with what went wrong.
//!
//! `FUNDSIM_FUZZ_CASES` sets the number of cases (default 2500, under a minute on 2 cores),
//! `FUNDSIM_FUZZ_SEED` the first seed; `docs/testing.md` records the longest run.

use fundsim::app::load_all;
use fundsim::run::{RunSettings, Silent, run};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use toml::{Table, Value};

/// Paths simulated per accepted case.
const PATHS: u64 = 3;
/// Wall time allowed for one case (load, validate, compile and run).
const BUDGET: Duration = Duration::from_secs(20);

/// SplitMix64: the same cases on every machine.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The corpus: each scenario's merged document (its `extends` chain laid out), with its name.
fn corpus() -> Vec<(String, Table)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = [
        "tests/data/tiny.toml",
        "tests/data/tiny_more.toml",
        "tests/data/poisson.toml",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    let mut bundled: Vec<PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    bundled.sort();
    files.extend(bundled);
    files
        .iter()
        .map(|f| {
            let doc = fundsim::scenario::document(f, &[]).unwrap_or_else(|e| panic!("{e}"));
            (f.file_name().unwrap().to_string_lossy().into_owned(), doc)
        })
        .collect()
}

/// Every place in a document: the path of keys and indices to a value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn places(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                here.push(Step::Key(k.clone()));
                out.push(here.clone());
                places(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Step::Index(i));
                out.push(here.clone());
                places(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

const NUMBERS: [f64; 16] = [
    0.0, -1.0, 1.0, 0.5, 2.0, 1e-300, 1e-9, 1e6, 1e9, 1e15, 1e18, 1e300, -1e300, 100.0, 1e5, 64.0,
];
const INTEGERS: [i64; 12] = [
    0,
    -1,
    1,
    2,
    100,
    1000,
    100_000,
    1_000_000,
    10_000_000,
    i64::MAX,
    i64::MIN,
    2024,
];
const STRINGS: [&str; 22] = [
    "",
    "0",
    "-0",
    "1e9亿",
    "999999999999999999999999亿",
    "5万万",
    "30%%",
    "1,,000万",
    "NaN",
    "inf",
    "∞",
    "0.0000000000001",
    "100%",
    "-5%",
    "200%",
    "1.5亿",
    "1000000000000000元",
    "seed",
    "ic",
    "first_come",
    "larger",
    "large_arrivals",
];
const ODD_PATHS: [&str; 8] = [
    "",
    "/",
    ".",
    "missing.toml",
    "../../../../../../etc/passwd",
    "case.toml",
    "/dev/zero",
    "nul\u{0}byte",
];

/// Applies one random mutation to `doc`; says what it did.
fn mutate(doc: &mut Value, g: &mut Gen) -> String {
    let mut all = Vec::new();
    places(doc, &mut Vec::new(), &mut all);
    let path = if all.is_empty() {
        Vec::new()
    } else {
        g.pick(&all).clone()
    };
    let shown = format!("{path:?}");
    let kind = g.below(12);
    let Some(slot) = at(doc, &path) else {
        return "nothing".into();
    };
    match kind {
        // A number of the same kind, extreme or odd.
        0..=2 => match slot {
            Value::Integer(_) => {
                let v = *g.pick(&INTEGERS);
                *slot = Value::Integer(v);
                format!("{shown} = {v}")
            }
            Value::Float(_) => {
                let v = *g.pick(&NUMBERS);
                *slot = Value::Float(v);
                format!("{shown} = {v}")
            }
            Value::String(_) => {
                let v = g.pick(&STRINGS).to_string();
                *slot = Value::String(v.clone());
                format!("{shown} = {v:?}")
            }
            _ => {
                let v = *g.pick(&NUMBERS);
                *slot = Value::Float(v);
                format!("{shown} = {v} (was a table or array)")
            }
        },
        // A value of another type.
        3 => {
            let v = match g.below(5) {
                0 => Value::Boolean(true),
                1 => Value::Array(vec![]),
                2 => Value::Table(Table::new()),
                3 => Value::Integer(*g.pick(&INTEGERS)),
                _ => Value::String(g.pick(&STRINGS).to_string()),
            };
            *slot = v.clone();
            format!("{shown} = {v} (another type)")
        }
        // An element of an array repeated: a duplicate id, or a huge array.
        4 | 5 => {
            let parent = &path[..path.len().saturating_sub(1)];
            let Some(Value::Array(a)) = at(doc, parent) else {
                return format!("{shown}: not in an array");
            };
            let Some(first) = a.first().cloned() else {
                return "empty array".into();
            };
            let copies = *g.pick(&[1usize, 2, 50, 2000]);
            a.extend(std::iter::repeat_n(first, copies));
            format!("{parent:?}: {copies} more copies of its first element")
        }
        // A key removed or renamed.
        6 | 7 => {
            let (parent, last) = path.split_at(path.len().saturating_sub(1));
            let (Some(Value::Table(t)), [Step::Key(k)]) = (at(doc, parent), last) else {
                return format!("{shown}: not a key");
            };
            let v = t.remove(k);
            if kind == 7
                && let Some(v) = v
            {
                t.insert(format!("{k}_x"), v);
                return format!("{shown} renamed");
            }
            format!("{shown} removed")
        }
        // Deep nesting.
        8 => {
            let mut v = Value::Integer(1);
            for _ in 0..g.pick(&[10usize, 200, 2000]).to_owned() {
                let mut t = Table::new();
                t.insert("a".into(), v);
                v = Value::Table(t);
            }
            *slot = v;
            format!("{shown} = deeply nested tables")
        }
        // `extends` or `holdings` to an odd place.
        9 => {
            let Value::Table(t) = doc else { unreachable!() };
            let key = *g.pick(&["extends", "holdings"]);
            let p = g.pick(&ODD_PATHS).to_string();
            t.insert(key.into(), Value::String(p.clone()));
            format!("{key} = {p:?}")
        }
        // A number scaled by a large or tiny factor (keeps the type).
        _ => match slot {
            Value::Integer(i) => {
                let v = i.saturating_mul(*g.pick(&[10i64, 1000, 1_000_000]));
                *slot = Value::Integer(v);
                format!("{shown} = {v} (scaled)")
            }
            Value::Float(f) => {
                let v = *f * *g.pick(&[1e3, 1e-3, 1e6, -1.0]);
                *slot = Value::Float(v);
                format!("{shown} = {v} (scaled)")
            }
            _ => format!("{shown}: not a number"),
        },
    }
}

/// What one case did.
enum Outcome {
    Ran,
    Refused,
}

fn one_case(path: &Path) -> Outcome {
    match load_all(&[path.to_path_buf()]) {
        Err(_) => Outcome::Refused,
        Ok(loaded) => {
            for l in &loaded {
                let r = run(&l.model, RunSettings::new(PATHS, 1), &Silent);
                assert_eq!(
                    r.scalars.first().map_or(PATHS as usize, Vec::len),
                    PATHS as usize
                );
            }
            Outcome::Ran
        }
    }
}

/// What a worker found: cases run, refused, problems, and its slowest case.
struct Tally {
    ran: u64,
    refused: u64,
    problems: Vec<String>,
    slowest: (Duration, u64),
}

/// Runs cases `first + w, first + w + workers, …` below `end`; `slot` holds the case running and
/// when it started (ms since `epoch`), for the watchdog.
fn worker(
    (w, workers): (u64, u64),
    (first, end): (u64, u64),
    corpus: &[(String, Table)],
    dir: &Path,
    failures: &Path,
    slot: &(AtomicU64, AtomicU64),
    epoch: Instant,
) -> Tally {
    let mut t = Tally {
        ran: 0,
        refused: 0,
        problems: Vec::new(),
        slowest: (Duration::ZERO, 0),
    };
    let dir = dir.join(format!("w{w}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut case = first + w;
    while case < end {
        let mut g = Gen(case.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let (name, base) = g.pick(corpus).clone();
        let mut doc = Value::Table(base);
        let mut did = Vec::new();
        for _ in 0..1 + g.below(3) {
            did.push(mutate(&mut doc, &mut g));
        }
        let this = case;
        case += workers;
        let Ok(text) = toml::to_string(&doc) else {
            continue; // not writable as TOML; nothing to read
        };
        let path = dir.join("case.toml");
        std::fs::write(&path, &text).unwrap();
        std::fs::write(failures.join(format!("current-{w}.toml")), &text).unwrap();
        slot.1
            .store(epoch.elapsed().as_millis() as u64, Ordering::SeqCst);
        slot.0.store(this, Ordering::SeqCst);
        let t0 = Instant::now();
        let result = std::panic::catch_unwind(|| one_case(&path));
        let took = t0.elapsed();
        slot.0.store(u64::MAX, Ordering::SeqCst);
        if took > t.slowest.0 {
            t.slowest = (took, this);
        }
        if took > BUDGET / 10 {
            // Not a failure, but worth a look: kept beside the failures.
            let note = format!("# took {took:?}\n# from {name}: {}\n{text}", did.join("; "));
            std::fs::write(failures.join(format!("slow-{this}.toml")), note).unwrap();
        }
        let problem = match result {
            Ok(Outcome::Ran) if took <= BUDGET => {
                t.ran += 1;
                None
            }
            Ok(Outcome::Refused) if took <= BUDGET => {
                t.refused += 1;
                None
            }
            Ok(_) => Some(format!("took {took:?}, over the budget of {BUDGET:?}")),
            Err(e) => Some(format!(
                "panicked: {}",
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
        };
        if let Some(p) = problem {
            let file = failures.join(format!("case-{this}.toml"));
            let body = format!("# {p}\n# from {name}: {}\n{text}", did.join("; "));
            std::fs::write(&file, body).unwrap();
            t.problems.push(format!(
                "case {this} (from {name}: {}): {p} → {}",
                did.join("; "),
                file.display()
            ));
        }
    }
    let _ = std::fs::remove_file(failures.join(format!("current-{w}.toml")));
    t
}

#[test]
fn mutated_scenarios_run_or_are_refused_never_panic_or_hang() {
    let env = |key: &str, default: u64| -> u64 {
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cases = env("FUNDSIM_FUZZ_CASES", 2500);
    let first = env("FUNDSIM_FUZZ_SEED", 1);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get() as u64)
        .min(8);
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let failures = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    std::fs::create_dir_all(&failures).unwrap();
    let epoch = Instant::now();
    let slots: Vec<(AtomicU64, AtomicU64)> = (0..workers)
        .map(|_| (AtomicU64::new(u64::MAX), AtomicU64::new(0)))
        .collect();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let done = AtomicU64::new(0);
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        // A watchdog: a case that hangs stops the test with its file on disk, not the CI job.
        let watchdog = scope.spawn(|| {
            while done.load(Ordering::SeqCst) == 0 {
                std::thread::sleep(Duration::from_millis(200));
                for (w, (case, started)) in slots.iter().enumerate() {
                    let c = case.load(Ordering::SeqCst);
                    let since = epoch.elapsed().as_millis() as u64;
                    let t = started.load(Ordering::SeqCst);
                    if c != u64::MAX && since.saturating_sub(t) > 4 * BUDGET.as_millis() as u64 {
                        eprintln!(
                            "fuzz case {c} hangs (over {:?}): {}",
                            4 * BUDGET,
                            failures.join(format!("current-{w}.toml")).display()
                        );
                        std::process::exit(3);
                    }
                }
            }
        });
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (corpus, dir, failures, slot) =
                    (&corpus, dir.path(), &failures, &slots[w as usize]);
                scope.spawn(move || {
                    worker(
                        (w, workers),
                        (first, first + cases),
                        corpus,
                        dir,
                        failures,
                        slot,
                        epoch,
                    )
                })
            })
            .collect();
        let tallies = handles.into_iter().map(|h| h.join().unwrap()).collect();
        done.store(1, Ordering::SeqCst);
        watchdog.join().unwrap();
        tallies
    });
    std::panic::set_hook(previous);
    let ran: u64 = tallies.iter().map(|t| t.ran).sum();
    let refused: u64 = tallies.iter().map(|t| t.refused).sum();
    let slowest = tallies.iter().map(|t| t.slowest).max().unwrap_or_default();
    let problems: Vec<&String> = tallies.iter().flat_map(|t| &t.problems).collect();
    eprintln!(
        "fuzz: {cases} cases from seed {first} on {workers} threads in {:?}: {ran} ran, {refused} refused; slowest {:?} (case {})",
        epoch.elapsed(),
        slowest.0,
        slowest.1
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The cases reach both ends: some run, some are refused.
    assert!(
        ran > cases / 20 && refused > cases / 20,
        "{ran} ran, {refused} refused"
    );
}
