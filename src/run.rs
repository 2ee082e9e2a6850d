//! The parallel driver: paths in fixed chunks on rayon, results merged in chunk order.
//!
//! Paths are grouped in chunks of [`CHUNK`] consecutive indices. Chunks run in parallel in
//! batches, each worker taking a piece of [`PIECE`] paths of a chunk at a time on its one reusable
//! [`PathSim`] (what a worker takes changes nothing in the results: every path's numbers come from
//! its index alone). Per-path scalars are put back in path order (so every later sum runs in path
//! order), and yearly values go into integer sums and integer-count sketches, which each worker
//! accumulates and which are then merged: integer addition is exact and order-free, so the merge
//! order rayon chooses cannot change a bit. Output is therefore identical for any thread count,
//! and a shard (a contiguous range of chunks) merges to the same result.
//!
//! Memory: [`run_streaming`] hands the per-path scalars to a sink one batch at a time, so a run
//! holds one batch of rows (8 bytes × metrics × [`BATCH`] × [`CHUNK`] paths: 16,384 paths) plus one sketch per
//! yearly metric and year, whatever the path count; yearly detail of a path is dropped once merged.
//! A batch's sketches count in `u16` ([`BatchSketch`]: pages a quarter of the size, so more of
//! them stay in cache while the batch is added up) and are added to the run's, in `u64`, when the
//! batch is done.
//! [`run`] keeps every path's scalars in memory (8 bytes × metrics × paths), for tests and small
//! runs.

use crate::firms::NONE;
use crate::metrics::Catalogue;
use crate::model::Model;
use crate::sim::{Deal, PathSim};
use crate::stats::sketch::{BatchSketch, Sketch};
use rayon::prelude::*;
use std::sync::{Mutex, PoisonError};

/// Paths per chunk: part of the determinism contract (do not make it depend on threads).
pub const CHUNK: u64 = 256;
/// Paths per piece: what a worker takes at a time ([`in_pieces`]). Not part of the contract (the
/// results do not depend on it): small enough that the workers finish a batch together (a chunk
/// of the baseline is a quarter of a second of one core's work, which the other core would wait
/// out at the end of every batch), large enough that taking a piece costs nothing that shows.
const PIECE: u64 = 32;
const _: () = assert!(CHUNK.is_multiple_of(PIECE));
/// Chunks simulated between merges: bounds the memory held by unmerged chunks, and is the number
/// of chunks in each block handed to a [`run_streaming`] sink (so also part of the determinism
/// contract: it sets the row groups of `paths.parquet`).
pub const BATCH: u64 = 64;
// A batch's sketches count in `u16` (`BatchSketch`).
const _: () = assert!(BATCH * CHUNK <= u16::MAX as u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSettings {
    /// Paths to simulate (at most, when a sink may stop the run early).
    pub paths: u64,
    pub seed: u64,
    /// Keep every position of the first `deals` paths, for `deals.csv`.
    pub deals: u64,
    /// Chunks per block handed to a [`run_streaming`] sink ([`BATCH`] by default; fewer when a
    /// sink checks a stopping rule, e.g. `--precision`).
    pub batch: u64,
    /// Only the chunks `[first, end)` of the run's grid (a shard, [`shard_chunks`]); every chunk
    /// when `None`. Each path keeps its index, so its numbers are those of the whole run.
    pub chunks: Option<(u64, u64)>,
}

impl RunSettings {
    pub fn new(paths: u64, seed: u64) -> Self {
        RunSettings {
            paths,
            seed,
            deals: 0,
            batch: BATCH,
            chunks: None,
        }
    }

    /// The chunks this run simulates: `[first, end)`.
    pub fn chunk_range(&self) -> (u64, u64) {
        let all = self.paths.div_ceil(CHUNK);
        self.chunks
            .map_or((0, all), |(a, b)| (a.min(all), b.min(all)))
    }

    /// The paths this run simulates: `[first, end)`.
    pub fn path_range(&self) -> (u64, u64) {
        let (a, b) = self.chunk_range();
        ((a * CHUNK).min(self.paths), (b * CHUNK).min(self.paths))
    }
}

/// The chunks of shard `index` of `count` (0-based) of a run of `paths` paths: the run's chunks cut
/// into `count` contiguous ranges whose sizes differ by at most one chunk.
pub fn shard_chunks(paths: u64, index: u64, count: u64) -> (u64, u64) {
    let all = paths.div_ceil(CHUNK);
    let at = |i: u64| (all as u128 * i as u128 / count.max(1) as u128) as u64;
    (at(index), at(index + 1))
}

/// Chunks per block when a sink checks a stopping rule: 16 × 256 = 4,096 paths.
pub const CHECK_BATCH: u64 = 16;

/// Told how many paths are done, from worker threads, once per piece of a chunk.
pub trait Progress: Sync {
    fn advance(&self, paths: u64);
}

/// No progress reporting.
pub struct Silent;
impl Progress for Silent {
    fn advance(&self, _: u64) {}
}

/// Yearly accumulators of one metric-year: exact integer sum and a sketch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearlyCell {
    pub sum: i128,
    pub sketch: Sketch,
}

/// Everything a scenario's run produced.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    pub catalogue: Catalogue,
    pub paths: u64,
    /// `scalars[m][path]`; empty after [`run_streaming`], which hands them to its sink instead.
    pub scalars: Vec<Vec<f64>>,
    /// `yearly[m * n_years + y]`.
    pub yearly: Vec<YearlyCell>,
    pub n_years: usize,
    /// Firm-years simulated (all paths).
    pub firm_years: u64,
    /// Positions of the first `settings.deals` paths, in path order.
    pub deals: Vec<Deal>,
}

/// [`YearlyCell`] over one batch of paths, its sketch in small counts ([`BatchSketch`]).
#[derive(Debug, Clone, Default)]
struct BatchCell {
    sum: i128,
    sketch: BatchSketch,
}

/// Yearly accumulators of all metric-years over one batch of paths (at most 65,535: the counts
/// of [`BatchSketch`]).
#[derive(Debug, Clone, Default)]
struct Yearly {
    cells: Vec<BatchCell>,
    firm_years: u64,
    /// Yearly values of up to [`PENDING`] paths not yet in `cells`, path by path (`paths × cells`):
    /// a cell's sketch then takes them together, its pages warm, instead of one value per path
    /// among every other cell's. Empty between pieces ([`in_pieces`]).
    pending: Vec<i64>,
}

/// Paths whose yearly values are added to the sketches together (a few hundred kilobytes of
/// pending values for the largest scenarios, so they stay in cache).
const PENDING: usize = 32;

impl Yearly {
    fn new(n_cells: usize) -> Self {
        Yearly {
            cells: vec![BatchCell::default(); n_cells],
            firm_years: 0,
            pending: Vec::new(),
        }
    }

    /// Takes a path's yearly values (one per cell).
    fn push(&mut self, values: &[i64]) {
        debug_assert_eq!(values.len(), self.cells.len());
        self.pending.extend_from_slice(values);
        if self.pending.len() >= PENDING * self.cells.len() {
            self.flush();
        }
    }

    /// Adds the pending values to the sums and sketches: the same integers and counts as adding
    /// them path by path.
    fn flush(&mut self) {
        let n = self.cells.len();
        if self.pending.is_empty() || n == 0 {
            self.pending.clear();
            return;
        }
        for (c, cell) in self.cells.iter_mut().enumerate() {
            cell.sum += cell.sketch.add_all(&self.pending[c..], n);
        }
        self.pending.clear();
    }

    /// Exact and order-free: integer sums and counts.
    fn merge(mut self, other: Yearly) -> Yearly {
        debug_assert!(self.pending.is_empty() && other.pending.is_empty());
        for (a, b) in self.cells.iter_mut().zip(other.cells) {
            a.sum += b.sum;
            a.sketch.merge_owned(b.sketch);
        }
        self.firm_years += other.firm_years;
        self
    }

    /// Adds the batch to a run's accumulators and firm-years: the same sums and counts.
    fn add_to(self, cells: &mut [YearlyCell], firm_years: &mut u64) {
        debug_assert!(self.pending.is_empty());
        for (a, b) in cells.iter_mut().zip(self.cells) {
            a.sum += b.sum;
            a.sketch.absorb(&b.sketch);
        }
        *firm_years += self.firm_years;
    }
}

/// Runs `piece` on every piece of [`PIECE`] consecutive paths of `start..end` in parallel, and
/// returns what each returned, in path order, with the state of each worker. Every piece is a task
/// of its own (`with_max_len(1)`), so a worker that runs out of work takes the next piece rather
/// than wait for another to finish a run of them that rayon's splitting gave it. Each worker
/// keeps its state (made by `state`: a simulator, accumulators) in the slot of its thread index,
/// locked once per piece by that worker alone: `piece` must not call into rayon, or a worker could
/// take a second piece while it holds its slot.
pub(crate) fn in_pieces<S: Send, T: Send>(
    (start, end): (u64, u64),
    state: impl Fn() -> S,
    piece: impl Fn(&mut S, (u64, u64)) -> T + Sync,
) -> (Vec<T>, Vec<S>) {
    let slots: Vec<Mutex<S>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::new(state()))
        .collect();
    let out = (0..end.saturating_sub(start).div_ceil(PIECE) as usize)
        .into_par_iter()
        .with_max_len(1)
        .map(|j| {
            let first = start + j as u64 * PIECE;
            let at = rayon::current_thread_index().unwrap_or(0) % slots.len();
            // A slot is poisoned only by a piece that panicked, whose panic ends the run: the
            // worker's other pieces need not add panics of their own to its message.
            let mut slot = slots[at].lock().unwrap_or_else(PoisonError::into_inner);
            piece(&mut slot, (first, (first + PIECE).min(end)))
        })
        .collect();
    let states = (slots.into_iter())
        .map(|s| s.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect();
    (out, states)
}

/// A worker's simulator and yearly accumulators for one batch.
struct Worker<'m> {
    yearly: Yearly,
    sim: Option<PathSim<'m>>,
}

/// What a piece hands back besides its yearly values: scalars row by row (`n_paths × n_scalars`)
/// and the positions of paths below the deals limit.
struct Block {
    scalars: Vec<f64>,
    deals: Vec<Deal>,
}

/// Simulates paths `first..last` (a piece of a chunk), adding their yearly values to `yearly`.
/// `sim` is the worker's reusable simulator (created here at its first piece); with uncertain
/// inputs each path runs on its own model (its draw set into the scenario), on a simulator of the
/// piece's own, and its row ends with the values drawn.
fn simulate_piece<'m>(
    model: &'m Model,
    settings: RunSettings,
    (first, last): (u64, u64),
    sim: &mut Option<PathSim<'m>>,
    yearly: &mut Yearly,
) -> Block {
    let mut block = Block {
        scalars: Vec::new(),
        deals: Vec::new(),
    };
    match &model.uncertain {
        None => {
            let sim = sim.get_or_insert_with(|| PathSim::new(model));
            for path in first..last {
                sim.run(settings.seed, path);
                record(sim, (settings, first, last), path, &[], &mut block, yearly);
            }
            yearly.firm_years += std::mem::take(&mut sim.firm_years);
        }
        Some(u) => {
            let drawn: Vec<Vec<f64>> = (first..last).map(|p| u.draw(settings.seed, p)).collect();
            let models: Vec<Model> = drawn.iter().map(|v| model.at_draw(v)).collect();
            let mut sim = PathSim::new(&models[0]);
            for ((path, values), own) in (first..last).zip(&drawn).zip(&models) {
                sim.rebind(own);
                sim.run(settings.seed, path);
                record(
                    &sim,
                    (settings, first, last),
                    path,
                    values,
                    &mut block,
                    yearly,
                );
            }
            yearly.firm_years += sim.firm_years;
        }
    }
    yearly.flush();
    block
}

/// Adds a simulated path of the piece of paths `first..last` to the piece's block and yearly
/// accumulators.
fn record(
    sim: &PathSim,
    (settings, first, last): (RunSettings, u64, u64),
    path: u64,
    inputs: &[f64],
    block: &mut Block,
    yearly: &mut Yearly,
) {
    if path == first {
        // Every row of a piece has the same length: the piece's rows reserved at once, not grown
        // (and copied) step by step.
        let row = sim.scalars.len() + inputs.len();
        block.scalars.reserve_exact(row * (last - first) as usize);
    }
    block.scalars.extend_from_slice(&sim.scalars);
    block.scalars.extend_from_slice(inputs);
    if path < settings.deals {
        block.deals.extend(sim.positions.iter().map(|p| Deal {
            path,
            instrument: p.instrument,
            industry: (p.firm != NONE).then(|| sim.firms.industry[p.firm as usize] as usize),
            firm: (p.firm != NONE).then_some(p.firm),
            book_firm: (p.firm != NONE).then(|| sim.book_firm(p.firm)).flatten(),
            entry_year: p.entry_year,
            amount: p.cost,
            proceeds: p.proceeds,
            exit_year: p.exit_year,
            outcome: p.outcome.code(),
            converted_year: p.converted_year,
            stake: p.stake,
            holding: sim.holding_value(p),
        }));
        block
            .deals
            .extend(sim.funds.iter().map(|fund| sim.fund_deal(path, fund)));
    }
    yearly.push(&sim.yearly);
}

/// Simulates `settings.paths` paths of `model`, keeping every path's scalars in
/// [`ScenarioRun::scalars`].
pub fn run(model: &Model, settings: RunSettings, progress: &dyn Progress) -> ScenarioRun {
    let n_scalars = model.catalogue_for_run().scalars.len();
    let mut columns: Vec<Vec<f64>> = (0..n_scalars)
        .map(|_| Vec::with_capacity(settings.paths as usize))
        .collect();
    let mut result = run_streaming(model, settings, progress, &mut |rows: &[f64]| {
        for row in rows.chunks_exact(n_scalars) {
            for (col, &v) in columns.iter_mut().zip(row) {
                col.push(v);
            }
        }
        false
    });
    result.scalars = columns;
    result
}

/// Simulates `settings.paths` paths of `model`, handing the per-path scalars to `sink` in path
/// order, whole rows at a time: each call gets the rows of consecutive paths (row-major,
/// `catalogue.scalars.len()` values per path), the paths of `settings.batch` chunks (fewer in the
/// last call). When `sink` returns true the run stops after that block: the block boundaries are
/// fixed by the chunk grid, so where it stops depends on the seed, never on threads. The returned
/// run has no `scalars`; its `paths` are the paths simulated.
pub fn run_streaming(
    model: &Model,
    settings: RunSettings,
    progress: &dyn Progress,
    sink: &mut (dyn FnMut(&[f64]) -> bool + Send),
) -> ScenarioRun {
    let catalogue = model.catalogue_for_run();
    let n_cells = catalogue.yearly.len() * model.n_years;
    let mut result = ScenarioRun {
        catalogue,
        paths: settings.paths,
        scalars: Vec::new(),
        yearly: Vec::new(),
        n_years: model.n_years,
        firm_years: 0,
        deals: Vec::new(),
    };
    let (next, n_chunks) = settings.chunk_range();
    let (first_path, end_path) = settings.path_range();
    result.paths = end_path - first_path;
    // The chunks `[from, to)` simulated in parallel, a piece at a time ([`in_pieces`]): each
    // piece's block, in path order, and the batch's yearly accumulators, each worker's own.
    let simulate = |(from, to): (u64, u64)| {
        let paths = (
            (from * CHUNK).min(settings.paths),
            (to * CHUNK).min(settings.paths),
        );
        let (blocks, workers) = in_pieces(
            paths,
            || Worker {
                yearly: Yearly::new(n_cells),
                sim: None,
            },
            |Worker { yearly, sim }, (first, last)| {
                let block = simulate_piece(model, settings, (first, last), sim, yearly);
                progress.advance(last - first);
                block
            },
        );
        let batch_yearly = (workers.into_iter())
            .map(|w| w.yearly)
            .reduce(Yearly::merge)
            .expect("at least one worker");
        (blocks, batch_yearly)
    };
    let batch = settings.batch.max(1);
    assert!(
        batch * CHUNK <= u16::MAX as u64,
        "a batch of {batch} chunks is more paths than the counts of a batch's sketches hold"
    );
    let mut yearly = vec![YearlyCell::default(); n_cells];
    let mut firm_years = 0;
    let mut rows: Vec<f64> = Vec::new();
    let mut current = (next < n_chunks).then(|| {
        let end = (next + batch).min(n_chunks);
        (end, simulate((next, end)))
    });
    // While the sink writes a batch, the next one is simulated (the sink runs on this thread, the
    // simulation on the others and then on this one too): the output never waits for a whole
    // batch and no thread idles while it is written. A batch simulated after the sink asked to
    // stop is dropped, so what a run contains depends on the seed only.
    while let Some((end, (blocks, batch_yearly))) = current.take() {
        let following = (end < n_chunks).then(|| (end, (end + batch).min(n_chunks)));
        // The batch's rows gathered, written and its yearly values merged on this thread while the
        // next batch is simulated: the other threads start on it at once.
        let (stop, simulated) = rayon::join(
            || {
                rows.clear();
                for block in blocks {
                    result.deals.extend(block.deals);
                    rows.extend_from_slice(&block.scalars);
                }
                let stop = sink(&rows);
                batch_yearly.add_to(&mut yearly, &mut firm_years);
                stop
            },
            || following.map(|(from, to)| (to, simulate((from, to)))),
        );
        if stop {
            result.paths = (end * CHUNK).min(settings.paths) - first_path;
            break;
        }
        current = simulated;
    }
    result.yearly = yearly;
    result.firm_years = firm_years;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of the range in exactly one piece, the pieces' results in path order, whatever
    /// the threads; each worker's state sees only its own pieces, and together they see them all.
    #[test]
    fn pieces_cover_the_range_in_order() {
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for (start, end) in [(0, 0), (0, 1), (5, 5), (0, PIECE), (7, 7 + 3 * PIECE + 5)] {
                let (pieces, states) = pool.install(|| {
                    in_pieces(
                        (start, end),
                        Vec::new,
                        |seen: &mut Vec<u64>, (first, last)| {
                            assert!(first < last && last - first <= PIECE);
                            seen.extend(first..last);
                            (first..last).collect::<Vec<u64>>()
                        },
                    )
                });
                let paths: Vec<u64> = pieces.concat();
                assert_eq!(paths, (start..end).collect::<Vec<_>>(), "{start}..{end}");
                assert_eq!(states.len(), threads);
                let mut seen: Vec<u64> = states.concat();
                seen.sort_unstable();
                assert_eq!(seen, paths);
            }
        }
    }
}
