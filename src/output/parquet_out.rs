//! `paths.parquet`: one row per path and scenario with every per-path result.
//!
//! Columns: `scenario` (string), `path` (u64), then every scalar metric of every scenario in the run
//! (the union, in order of first appearance; null where a scenario lacks the metric, e.g. another
//! scenario's instrument). Money in yuan (f64), `met.<target>` as booleans. Each scenario is written
//! as its own row group(s), so memory holds one scenario's columns at a time.

use crate::metrics::{Catalogue, Unit};
use crate::run::ScenarioRun;
use polars::prelude::*;
use std::io::Write;

/// The union of the scalar columns of several scenarios, in order of first appearance.
pub fn union_columns(catalogues: &[&Catalogue]) -> Vec<(String, Unit)> {
    let mut out: Vec<(String, Unit)> = Vec::new();
    for c in catalogues {
        for col in &c.scalars {
            if !out.iter().any(|(n, _)| n == &col.name) {
                out.push((col.name.clone(), col.unit));
            }
        }
    }
    out
}

/// Writes scenarios one after another into one Parquet file.
pub struct PathsWriter<W: Write> {
    columns: Vec<(String, Unit)>,
    out: Option<W>,
    writer: Option<polars::io::parquet::write::BatchedWriter<W>>,
}

impl<W: Write> PathsWriter<W> {
    pub fn new(out: W, columns: Vec<(String, Unit)>) -> Self {
        PathsWriter {
            columns,
            out: Some(out),
            writer: None,
        }
    }

    /// Appends a scenario's paths, taking its per-path columns (they are not needed afterwards).
    pub fn write(&mut self, scenario: &str, run: &mut ScenarioRun) -> PolarsResult<()> {
        let n = run.paths as usize;
        let mut cols: Vec<Column> = Vec::with_capacity(self.columns.len() + 2);
        cols.push(StringChunked::full("scenario".into(), scenario, n).into_column());
        cols.push(UInt64Chunked::from_vec("path".into(), (0..n as u64).collect()).into_column());
        for (name, unit) in &self.columns {
            let idx = run.catalogue.scalars.iter().position(|c| &c.name == name);
            let column = match (idx, unit) {
                (Some(i), Unit::Indicator) => BooleanChunked::from_iter_values(
                    name.as_str().into(),
                    run.scalars[i].iter().map(|&v| v == 1.0),
                )
                .into_column(),
                (Some(i), _) => Float64Chunked::from_vec(
                    name.as_str().into(),
                    std::mem::take(&mut run.scalars[i]),
                )
                .into_column(),
                (None, Unit::Indicator) => {
                    BooleanChunked::full_null(name.as_str().into(), n).into_column()
                }
                (None, _) => Float64Chunked::full_null(name.as_str().into(), n).into_column(),
            };
            cols.push(column);
        }
        let df = DataFrame::new(n, cols)?;
        if self.writer.is_none() {
            let out = self.out.take().expect("writer not started");
            self.writer = Some(ParquetWriter::new(out).batched(df.schema())?);
        }
        self.writer.as_mut().expect("started").write_batch(&df)
    }

    /// Finishes the file (writes the footer).
    pub fn finish(self) -> PolarsResult<()> {
        match self.writer {
            Some(w) => w.finish().map(|_| ()),
            None => Ok(()),
        }
    }
}
