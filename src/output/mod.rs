//! Everything that leaves fundsim as files: the output directory, CSV, Parquet and `run.json`.
//!
//! [`Staging`] owns the output directory: each file is written under a hidden temporary name and
//! renamed into place only when every file is complete, so a failed run leaves no half-written file
//! (and no directory, if it made one). Tables come from [`crate::report`]; this module only turns them
//! into bytes.
//!
//! CSV files start with a UTF-8 byte-order mark so that Excel and WPS show Chinese labels when the
//! file is double-clicked (pandas and polars skip the mark). Numbers are plain, without thousands
//! separators: money in yuan to the fen, other values to 6 decimals, undefined values empty.

pub mod csv_out;
pub mod html_out;
pub mod parquet_out;
pub mod xlsx_out;

use crate::scenario::{ScenarioFile, ScenarioSource};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Files being written into an output directory.
pub struct Staging {
    dir: PathBuf,
    created_dir: bool,
    pending: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl Staging {
    /// Prepares `dir` (creating it if needed) for new files.
    pub fn new(dir: &Path) -> io::Result<Self> {
        let created_dir = !dir.exists();
        fs::create_dir_all(dir)?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            created_dir,
            pending: Vec::new(),
            committed: false,
        })
    }

    /// Opens a temporary file that becomes `name` on [`Staging::commit`].
    pub fn create(&mut self, name: &str) -> io::Result<File> {
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp)?;
        self.pending.push((tmp, self.dir.join(name)));
        Ok(file)
    }

    /// Where a file opened with [`Staging::create`] is being written, until the commit.
    pub fn temporary_path(&self, name: &str) -> Option<&Path> {
        let target = self.dir.join(name);
        self.pending
            .iter()
            .find(|(_, t)| *t == target)
            .map(|(tmp, _)| tmp.as_path())
    }

    /// Writes a whole file at once.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.create(name)?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    /// Renames every file into place.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let mut done = Vec::new();
        for (tmp, target) in &self.pending {
            fs::rename(tmp, target)?;
            done.push(target.clone());
        }
        self.committed = true;
        Ok(done)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (tmp, _) in &self.pending {
            let _ = fs::remove_file(tmp);
        }
        if self.created_dir {
            // Only succeeds if empty: never removes anything we did not make.
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

/// `run.json`: what produced the run: version, seed, paths, and for each scenario its file, hash,
/// title, question and market regimes. Deliberately without thread count or time, so that the same
/// seed gives the same bytes.
pub fn run_json(seed: u64, paths: u64, scenarios: &[(&ScenarioSource, &ScenarioFile)]) -> String {
    let value = serde_json::json!({
        "tool": "fundsim",
        "version": env!("CARGO_PKG_VERSION"),
        "seed": seed,
        "paths": paths,
        "chunk_paths": crate::run::CHUNK,
        "scenarios": scenarios
            .iter()
            .map(|(source, file)| {
                let mut v = serde_json::json!({
                "name": file.scenario.name,
                "file": source.path,
                "sha256": source.sha256,
                "extends": source.bases.iter().map(|(file, sha)| serde_json::json!({
                    "file": file, "sha256": sha,
                })).collect::<Vec<_>>(),
                "overrides": source.overrides,
                "title": file.scenario.title,
                "description": file.scenario.description,
                "regimes": file.market.regimes.iter().map(|r| serde_json::json!({
                    "from": r.from, "to": r.to, "shift": r.shift, "label": r.label,
                })).collect::<Vec<_>>(),
                });
                if let Some(book) = &file.book {
                    v["holdings"] = serde_json::json!({
                        "file": book.path,
                        "sha256": book.sha256,
                        "firms": book.firms.len(),
                        "positions": book.positions.len(),
                    });
                }
                v
            })
            .collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&value).expect("json");
    s.push('\n');
    s
}
