//! `paths.parquet`: one row per path and scenario with every per-path result.
//!
//! Columns: `scenario`, `path` (u64), then every scalar metric of every scenario in the run
//! (the union, in order of first appearance; null where a scenario lacks the metric, e.g. another
//! scenario's instrument, or where the value is undefined on the path, e.g. an IRR). `scenario` is
//! categorical (an enum of the run's scenario names). Counts are
//! integers (i64), `met.<target>` booleans, everything else f64 (money in yuan). The file's
//! key-value metadata carries `fundsim.version`, `fundsim.seed` and `fundsim.run` (the run's
//! `run.json`: seed, paths, every scenario file with its SHA-256 and overrides). Rows arrive from the
//! run a block at a time ([`crate::run::run_streaming`]) and each block is written as it comes, so
//! memory holds one block, not the whole run; [`PathsReader`] reads a scenario's values back from
//! the finished file, one metric at a time, for the exact percentiles of `summary.csv`.

use crate::metrics::{Catalogue, Unit};
use crate::report::PathValues;
use polars::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

/// The file's bytes on their way out, buffered: Polars' batched writer writes each page header and
/// run of values with a call of its own (about 130,000 `write` calls, each a system call, for
/// 20,000 paths of the baseline) and never hands its writer back, so [`PathsWriter`] keeps a
/// second handle to the buffer to flush the last bytes and see their errors.
struct Buffered<W: Write>(Arc<Mutex<BufWriter<W>>>);

/// Bytes buffered before they are written: a few row groups' worth of pages.
const BUFFER: usize = 1 << 20;

impl<W: Write> Buffered<W> {
    fn lock(&self) -> std::sync::MutexGuard<'_, BufWriter<W>> {
        // Poisoned only if a write panicked, which ends the run anyway.
        self.0.lock().expect("the paths.parquet buffer")
    }
}

impl<W: Write> Write for Buffered<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lock().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.lock().write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.lock().flush()
    }
}

/// Writes scenarios one after another into one Parquet file.
pub struct PathsWriter<W: Write> {
    columns: Vec<(String, Unit)>,
    /// The buffer the writer writes into, for [`PathsWriter::finish`] to flush.
    buffer: Arc<Mutex<BufWriter<W>>>,
    writer: Option<polars::io::parquet::write::BatchedWriter<Buffered<W>>>,
    metadata: Vec<(String, String)>,
    /// The `scenario` column's type: an enum of the run's scenario names (a categorical with
    /// fixed categories, so its codes depend on the run, not on what else the process did).
    scenarios: DataType,
}

impl<W: Write> PathsWriter<W> {
    /// A writer of `columns` for the scenarios `names`, with file-level key-value `metadata`.
    pub fn new(
        out: W,
        names: &[&str],
        columns: Vec<(String, Unit)>,
        metadata: Vec<(String, String)>,
    ) -> PolarsResult<Self> {
        let scenarios =
            DataType::from_frozen_categories(FrozenCategories::new(names.iter().copied())?);
        Ok(PathsWriter {
            columns,
            buffer: Arc::new(Mutex::new(BufWriter::with_capacity(BUFFER, out))),
            writer: None,
            metadata,
            scenarios,
        })
    }

    /// Appends rows of one scenario: `rows` holds whole rows (row-major, the scenario's catalogue
    /// scalars in order) of consecutive paths starting at `first_path`.
    pub fn write_rows(
        &mut self,
        scenario: &str,
        catalogue: &Catalogue,
        first_path: u64,
        rows: &[f64],
    ) -> PolarsResult<()> {
        let width = catalogue.scalars.len();
        let n = rows.len().checked_div(width).unwrap_or(0);
        if n == 0 {
            return Ok(());
        }
        let value = |i: usize| rows.iter().skip(i).step_by(width).copied();
        let mut cols: Vec<Column> = Vec::with_capacity(self.columns.len() + 2);
        cols.push(
            StringChunked::full("scenario".into(), scenario, n)
                .into_series()
                .cast(&self.scenarios)?
                .into_column(),
        );
        cols.push(
            UInt64Chunked::from_vec("path".into(), (first_path..first_path + n as u64).collect())
                .into_column(),
        );
        for (name, unit) in &self.columns {
            let idx = catalogue.scalars.iter().position(|c| &c.name == name);
            let column = match (idx, unit) {
                (Some(i), Unit::Indicator) => BooleanChunked::from_iter_values(
                    name.as_str().into(),
                    value(i).map(|v| v == 1.0),
                )
                .into_column(),
                (Some(i), Unit::Count) => {
                    let ints = value(i)
                        .map(|v| {
                            // Counts are whole by construction; anything else is a bug to report,
                            // never a value to round.
                            polars_ensure!(
                                v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15,
                                ComputeError: "{name}: the count {v} is not a whole number"
                            );
                            Ok(v as i64)
                        })
                        .collect::<PolarsResult<Vec<i64>>>()?;
                    Int64Chunked::from_vec(name.as_str().into(), ints).into_column()
                }
                (Some(i), _) => Float64Chunked::from_iter_options(
                    name.as_str().into(),
                    value(i).map(|v| v.is_finite().then_some(v)),
                )
                .into_column(),
                (None, Unit::Indicator) => {
                    BooleanChunked::full_null(name.as_str().into(), n).into_column()
                }
                (None, Unit::Count) => {
                    Int64Chunked::full_null(name.as_str().into(), n).into_column()
                }
                (None, _) => Float64Chunked::full_null(name.as_str().into(), n).into_column(),
            };
            cols.push(column);
        }
        let df = DataFrame::new(n, cols)?;
        if self.writer.is_none() {
            let out = Buffered(Arc::clone(&self.buffer));
            let metadata = KeyValueMetadata::from_static(std::mem::take(&mut self.metadata));
            self.writer = Some(
                ParquetWriter::new(out)
                    .with_key_value_metadata(Some(metadata))
                    .batched(df.schema())?,
            );
        }
        self.writer.as_mut().expect("started").write_batch(&df)
    }

    /// Finishes the file (writes the footer) and flushes it to the writer given to
    /// [`PathsWriter::new`].
    pub fn finish(self) -> PolarsResult<()> {
        if let Some(w) = self.writer {
            w.finish()?;
        }
        Buffered(self.buffer).flush()?;
        Ok(())
    }
}

/// One scenario's rows of a finished `paths.parquet`, read back one metric at a time.
pub struct PathsReader<'a> {
    file: PathBuf,
    /// Row of the scenario's first path in the file.
    offset: usize,
    paths: usize,
    catalogue: &'a Catalogue,
    /// The file's footer, parsed at the first column read and reused: a run of a million paths
    /// has dozens of row groups of hundreds of columns, and parsing that for every column took
    /// longer than reading the columns.
    metadata: Option<polars::io::parquet::metadata::FileMetadataRef>,
}

impl<'a> PathsReader<'a> {
    /// Reads the `paths` rows from `offset` of `file`, whose columns `catalogue` names.
    pub fn new(file: PathBuf, offset: usize, paths: usize, catalogue: &'a Catalogue) -> Self {
        PathsReader {
            file,
            offset,
            paths,
            catalogue,
            metadata: None,
        }
    }
}

impl PathsReader<'_> {
    /// Parses the file's footer, if not yet done.
    fn metadata(&mut self) -> PolarsResult<polars::io::parquet::metadata::FileMetadataRef> {
        if let Some(m) = &self.metadata {
            return Ok(m.clone());
        }
        let m = ParquetReader::new(File::open(&self.file)?)
            .get_metadata()?
            .clone();
        self.metadata = Some(m.clone());
        Ok(m)
    }
}

impl PathValues for PathsReader<'_> {
    type Error = PolarsError;

    fn column(&mut self, i: usize) -> PolarsResult<Vec<f64>> {
        Ok(self
            .columns(&[i])?
            .pop()
            .expect("one column asked, one read"))
    }

    /// The columns read by one reader of the file (which decodes the file's schema once for them
    /// all), then turned into numbers side by side.
    fn columns(&mut self, which: &[usize]) -> PolarsResult<Vec<Vec<f64>>> {
        use rayon::prelude::*;
        let metadata = self.metadata()?;
        let scalars = &self.catalogue.scalars;
        let mut names: Vec<String> = which.iter().map(|&i| scalars[i].name.clone()).collect();
        names.sort_unstable();
        names.dedup();
        let mut reader = ParquetReader::new(File::open(&self.file)?);
        reader.set_metadata(metadata);
        let df = reader
            .with_columns(Some(names))
            .with_slice(Some((self.offset, self.paths)))
            .finish()?;
        which
            .par_iter()
            .map(|&i| {
                let col = &scalars[i];
                let values = values_of(df.column(&col.name)?.as_materialized_series(), col.unit)?;
                polars_ensure!(
                    values.len() == self.paths,
                    ComputeError: "paths.parquet: {} rows of {} read back, {} expected", values.len(), col.name, self.paths
                );
                Ok(values)
            })
            .collect()
    }

    /// As many metrics as [`crate::report::SUMMARY_GROUP_BYTES`] holds, and at least as many as
    /// are summarised side by side.
    fn group(&self) -> usize {
        let per_metric = crate::report::SUMMARY_BYTES_PER_VALUE * self.paths.max(1) as u64;
        let side_by_side = crate::report::side_by_side(self.paths as u64) as u64;
        (crate::report::SUMMARY_GROUP_BYTES / per_metric).max(side_by_side) as usize
    }
}

/// A column of `paths.parquet` as the run had it: undefined (null) as NaN, indicators as 0 or 1,
/// counts and money as numbers.
fn values_of(column: &Series, unit: Unit) -> PolarsResult<Vec<f64>> {
    Ok(match unit {
        Unit::Indicator => column
            .bool()?
            .iter()
            .map(|v| v.map_or(f64::NAN, |m| if m { 1.0 } else { 0.0 }))
            .collect(),
        Unit::Count => column
            .i64()?
            .iter()
            .map(|v| v.map_or(f64::NAN, |c| c as f64))
            .collect(),
        _ => column
            .f64()?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect(),
    })
}

/// The rows of `df` (read from a `paths.parquet` of the same run) as [`PathsWriter::write_rows`]
/// takes them: row-major, the catalogue's scalars in order. Written again, they give the same
/// bytes as the run's own rows (every value the writer stores comes back as the same `f64`, and
/// undefined values stay undefined).
pub fn rows_of(df: &DataFrame, catalogue: &Catalogue) -> PolarsResult<Vec<f64>> {
    let width = catalogue.scalars.len();
    let mut rows = vec![0.0; df.height() * width];
    for (i, col) in catalogue.scalars.iter().enumerate() {
        let values = values_of(df.column(&col.name)?.as_materialized_series(), col.unit)?;
        for (r, v) in values.into_iter().enumerate() {
            rows[r * width + i] = v;
        }
    }
    Ok(rows)
}
