//! The parallel driver: paths in fixed chunks on rayon, results merged in chunk order.
//!
//! Paths are grouped in chunks of [`CHUNK`] consecutive indices; a chunk is simulated by one worker
//! with one reusable [`PathSim`]. Chunks run in parallel in batches and are merged in index order:
//! per-path scalars are concatenated (so every later sum runs in path order), yearly sketches and
//! integer sums are merged exactly. Output is therefore identical for any thread count, and a shard
//! (a contiguous range of chunks) merges to the same result.
//!
//! Memory: per-path scalars (8 bytes × metrics × paths) plus one sketch per yearly metric and year;
//! yearly detail of a path is dropped once merged.

use crate::metrics::Catalogue;
use crate::model::Model;
use crate::sim::PathSim;
use crate::stats::sketch::Sketch;
use rayon::prelude::*;

/// Paths per chunk: part of the determinism contract (do not make it depend on threads).
pub const CHUNK: u64 = 256;
/// Chunks simulated between merges: bounds the memory held by unmerged chunks.
const BATCH: u64 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSettings {
    pub paths: u64,
    pub seed: u64,
}

/// Told how many paths are done, from worker threads, once per chunk.
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
    /// `scalars[m][path]`.
    pub scalars: Vec<Vec<f64>>,
    /// `yearly[m * n_years + y]`.
    pub yearly: Vec<YearlyCell>,
    pub n_years: usize,
    /// Firm-years simulated (all paths).
    pub firm_years: u64,
}

struct ChunkOut {
    /// Row-major: `n_paths × n_scalars`.
    scalars: Vec<f64>,
    yearly: Vec<YearlyCell>,
    firm_years: u64,
}

fn simulate_chunk(model: &Model, seed: u64, first: u64, last: u64) -> ChunkOut {
    let mut sim = PathSim::new(model);
    let n_scalars = sim.catalogue.scalars.len();
    let n_cells = sim.yearly.len();
    let mut out = ChunkOut {
        scalars: Vec::with_capacity((last - first) as usize * n_scalars),
        yearly: vec![YearlyCell::default(); n_cells],
        firm_years: 0,
    };
    for path in first..last {
        sim.run(seed, path);
        out.scalars.extend_from_slice(&sim.scalars);
        for (cell, &v) in out.yearly.iter_mut().zip(&sim.yearly) {
            cell.sum += v as i128;
            cell.sketch.add(v);
        }
    }
    out.firm_years = sim.firm_years;
    out
}

/// Simulates `settings.paths` paths of `model`.
pub fn run(model: &Model, settings: RunSettings, progress: &dyn Progress) -> ScenarioRun {
    let catalogue = Catalogue::for_model(model);
    let n_scalars = catalogue.scalars.len();
    let n_cells = catalogue.yearly.len() * model.n_years;
    let mut result = ScenarioRun {
        catalogue,
        paths: settings.paths,
        scalars: (0..n_scalars)
            .map(|_| Vec::with_capacity(settings.paths as usize))
            .collect(),
        yearly: vec![YearlyCell::default(); n_cells],
        n_years: model.n_years,
        firm_years: 0,
    };
    let n_chunks = settings.paths.div_ceil(CHUNK);
    let mut next = 0;
    while next < n_chunks {
        let end = (next + BATCH).min(n_chunks);
        let outs: Vec<ChunkOut> = (next..end)
            .into_par_iter()
            .map(|c| {
                let first = c * CHUNK;
                let last = (first + CHUNK).min(settings.paths);
                let out = simulate_chunk(model, settings.seed, first, last);
                progress.advance(last - first);
                out
            })
            .collect();
        for out in outs {
            for row in out.scalars.chunks_exact(n_scalars) {
                for (col, &v) in result.scalars.iter_mut().zip(row) {
                    col.push(v);
                }
            }
            for (acc, cell) in result.yearly.iter_mut().zip(&out.yearly) {
                acc.sum += cell.sum;
                acc.sketch.merge(&cell.sketch);
            }
            result.firm_years += out.firm_years;
        }
        next = end;
    }
    result
}
