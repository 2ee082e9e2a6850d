//! A run streams its per-path rows into `paths.parquet` a batch at a time and reads them back for
//! the exact summaries. Over several batches and two scenarios (so the second scenario's rows start
//! part-way into the file), `summary.csv` and `targets.csv` must be byte for byte what the same
//! runs give when every path's values are kept in memory, and `paths.parquet` must hold every path
//! once, in order.

use fundsim::app::{load_all, run_to_dir};
use fundsim::output::csv_out::{write_summary, write_targets};
use fundsim::report::{summary_rows, target_rows};
use fundsim::run::{BATCH, CHUNK, RunSettings, Silent, run};
use polars::prelude::*;
use std::fs;
use std::path::Path;

#[test]
fn streamed_summaries_equal_in_memory_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let tiny = root.join("tests/data/tiny.toml");
    // A second scenario with its own name and one changed number, so its rows differ.
    let variant = dir.path().join("variant.toml");
    fs::write(
        &variant,
        format!(
            "extends = {:?}\n[scenario]\nname = \"variant\"\n[time]\nhorizon_years = 9\n",
            tiny.to_str().expect("utf-8 path")
        ),
    )
    .expect("write variant");
    let loaded = load_all(&[tiny, variant]).expect("valid scenarios");

    // A full batch and part of a second.
    let paths = BATCH * CHUNK + 1_000;
    let settings = RunSettings::new(paths, 11);
    // Read back a metric at a time (one thread) and three side by side (three threads: the last
    // group of metrics and of targets is a short one).
    let outs: Vec<_> = [1, 3]
        .into_iter()
        .map(|threads| {
            let out = dir.path().join(format!("out{threads}"));
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| run_to_dir(&loaded, settings, &out, &Silent))
                .expect("run");
            out
        })
        .collect();

    let (mut summary, mut targets) = (Vec::new(), Vec::new());
    for s in &loaded {
        let result = run(&s.model, settings, &Silent);
        summary.extend(summary_rows(&s.model, &result));
        targets.extend(target_rows(&s.model, &result));
    }
    let (mut expected_summary, mut expected_targets) = (Vec::new(), Vec::new());
    write_summary(&mut expected_summary, &summary).expect("csv");
    write_targets(&mut expected_targets, &targets).expect("csv");
    for out in &outs {
        assert!(
            fs::read(out.join("summary.csv")).expect("summary.csv") == expected_summary,
            "{}: summary.csv differs from the in-memory summaries",
            out.display()
        );
        assert!(
            fs::read(out.join("targets.csv")).expect("targets.csv") == expected_targets,
            "{}: targets.csv differs from the in-memory targets",
            out.display()
        );
    }
    let out = &outs[1];

    let df = ParquetReader::new(fs::File::open(out.join("paths.parquet")).expect("parquet"))
        .with_columns(Some(vec!["scenario".into(), "path".into()]))
        .finish()
        .expect("read paths.parquet");
    assert_eq!(df.height() as u64, 2 * paths);
    let path = df.column("path").expect("path").u64().expect("u64");
    // `scenario` is categorical: an enum of the run's scenario names.
    let scenario = df.column("scenario").expect("scenario");
    assert!(
        matches!(scenario.dtype(), DataType::Enum(..)),
        "{:?}",
        scenario.dtype()
    );
    let scenario = scenario.cast(&DataType::String).expect("cast");
    let scenario = scenario.str().expect("str");
    for (row, (p, s)) in path.iter().zip(scenario.iter()).enumerate() {
        let row = row as u64;
        let (want_s, want_p) = if row < paths {
            ("tiny", row)
        } else {
            ("variant", row - paths)
        };
        assert_eq!((s, p), (Some(want_s), Some(want_p)), "row {row}");
    }
}

/// Batch boundaries move nothing: the same run cut into batches of 1, 3, 16 and 64 chunks, on 1, 2,
/// 3 and 7 threads, writes the same bytes in every file but `paths.parquet`, whose row groups are
/// the batches (its rows, every column, are equal).
#[test]
fn batch_size_and_threads_change_no_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = load_all(&[root.join("tests/data/tiny.toml")]).expect("valid scenario");
    // 20 chunks, the last one partial.
    let paths = 19 * CHUNK + 100;
    let run_with = |batch: u64, threads: usize| {
        let mut settings = RunSettings::new(paths, 5);
        settings.batch = batch;
        let out = dir.path().join(format!("b{batch}t{threads}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        pool.install(|| run_to_dir(&loaded, settings, &out, &Silent))
            .expect("run");
        out
    };
    let reference = run_with(BATCH, 1);
    let names: Vec<String> = fs::read_dir(&reference)
        .expect("output")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    assert!(names.len() >= 6, "{names:?}");
    let frame = |out: &Path| {
        ParquetReader::new(fs::File::open(out.join("paths.parquet")).expect("parquet"))
            .finish()
            .expect("read paths.parquet")
    };
    let rows = frame(&reference);
    assert_eq!(rows.height() as u64, paths);
    for (batch, threads) in [(1, 2), (3, 3), (16, 7)] {
        let other = run_with(batch, threads);
        for name in names.iter().filter(|n| *n != "paths.parquet") {
            assert!(
                fs::read(reference.join(name)).expect("file")
                    == fs::read(other.join(name)).expect("file"),
                "{name} differs with batches of {batch} chunks on {threads} threads"
            );
        }
        assert!(
            rows.equals_missing(&frame(&other)),
            "paths.parquet rows differ with batches of {batch} chunks on {threads} threads"
        );
    }
}
