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
    let out = dir.path().join("out");
    run_to_dir(&loaded, settings, &out, &Silent).expect("run");

    let (mut summary, mut targets) = (Vec::new(), Vec::new());
    for s in &loaded {
        let result = run(&s.model, settings, &Silent);
        summary.extend(summary_rows(&s.model, &result));
        targets.extend(target_rows(&s.model, &result));
    }
    let mut expected = Vec::new();
    write_summary(&mut expected, &summary).expect("csv");
    assert!(
        fs::read(out.join("summary.csv")).expect("summary.csv") == expected,
        "summary.csv differs from the in-memory summaries"
    );
    expected.clear();
    write_targets(&mut expected, &targets).expect("csv");
    assert!(
        fs::read(out.join("targets.csv")).expect("targets.csv") == expected,
        "targets.csv differs from the in-memory targets"
    );

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
