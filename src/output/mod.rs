//! Everything that leaves fundsim as files: the output directory, CSV, Parquet and `run.json`.
//!
//! [`Staging`] owns the output directory: each file is written under a hidden temporary name and
//! renamed into place only when every file is complete, so a failed run leaves no half-written file
//! (and no directory, if it made one). The renames are all or nothing: the files they replace are
//! moved aside first and put back if any rename fails, so the directory never holds some files of
//! one run and some of another. Tables come from [`crate::report`]; this module only turns them
//! into bytes.
//!
//! CSV files start with a UTF-8 byte-order mark so that Excel and WPS show Chinese labels when the
//! file is double-clicked (pandas and polars skip the mark). Numbers are plain, without thousands
//! separators: money in yuan to the fen, other values to 6 decimals, undefined values empty. A text
//! cell that a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, tab or CR)
//! gets a single quote in front ([`csv_out::guard`]; every row goes through
//! [`csv_out::write_row`]); fundsim's own readers of its CSV files take it off again.

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

    /// Renames every file into place, all or nothing: every destination is checked first (none may
    /// be a directory), the files already there are moved aside, the new ones moved in, and only
    /// then are the old ones deleted. If any rename fails, what was moved is moved back, so the
    /// directory holds the files it held before (and the new files are removed with the staging).
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        self.commit_with(&mut |from: &Path, to: &Path| fs::rename(from, to))
    }

    /// [`Staging::commit`] with the renames that move files forward done by `rename` (a test
    /// makes one of them fail); moving back always uses [`fs::rename`].
    fn commit_with(
        &mut self,
        rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
    ) -> io::Result<Vec<PathBuf>> {
        for (_, target) in &self.pending {
            if fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) {
                return Err(io::Error::other(format!(
                    "{} is a directory: move it away and run again (nothing was replaced)",
                    target.display()
                )));
            }
        }
        // The old files, moved aside under hidden names: (backup, where it was).
        let mut aside: Vec<(PathBuf, PathBuf)> = Vec::new();
        // The new files moved in so far: (temporary name, target).
        let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
        let undo = |aside: &[(PathBuf, PathBuf)], moved: &[(PathBuf, PathBuf)]| {
            for (tmp, target) in moved.iter().rev() {
                let _ = fs::rename(target, tmp);
            }
            for (backup, target) in aside.iter().rev() {
                let _ = fs::rename(backup, target);
            }
        };
        for (_, target) in &self.pending {
            if fs::symlink_metadata(target).is_err() {
                continue;
            }
            let name = target.file_name().unwrap_or_default().to_string_lossy();
            let backup = self.dir.join(format!(".{name}.old-{}", std::process::id()));
            if let Err(e) = rename(target, &backup) {
                undo(&aside, &moved);
                return Err(e);
            }
            aside.push((backup, target.clone()));
        }
        for (tmp, target) in &self.pending {
            if let Err(e) = rename(tmp, target) {
                undo(&aside, &moved);
                return Err(e);
            }
            moved.push((tmp.clone(), target.clone()));
        }
        self.committed = true;
        for (backup, _) in &aside {
            let _ = fs::remove_file(backup);
        }
        Ok(moved.into_iter().map(|(_, target)| target).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of `dir` (hidden ones too) with its contents, in name order.
    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| {
                let e = e.expect("entry");
                let text = if e.path().is_dir() {
                    "<dir>".to_string()
                } else {
                    fs::read_to_string(e.path()).expect("read")
                };
                (e.file_name().to_string_lossy().into_owned(), text)
            })
            .collect();
        all.sort();
        all
    }

    /// `old.csv` and `both.csv` from before; the staging writes `both.csv` and `new.csv`.
    fn prepared(dir: &Path) -> Staging {
        fs::write(dir.join("old.csv"), "old").expect("write");
        fs::write(dir.join("both.csv"), "both before").expect("write");
        let mut staging = Staging::new(dir).expect("staging");
        staging.write("both.csv", b"both after").expect("write");
        staging.write("new.csv", b"new").expect("write");
        staging
    }

    #[test]
    fn a_directory_in_the_way_replaces_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("a.csv"), "a before").expect("write");
        fs::create_dir(dir.path().join("b.csv")).expect("mkdir");
        let before = listing(dir.path());
        let mut staging = Staging::new(dir.path()).expect("staging");
        for name in ["a.csv", "b.csv", "c.csv"] {
            staging.write(name, name.as_bytes()).expect("write");
        }
        let err = staging.commit().expect_err("b.csv is a directory");
        assert!(err.to_string().contains("b.csv is a directory"), "{err}");
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn a_rename_failing_at_any_step_leaves_the_directory_as_it_was() {
        // Forward renames: `both.csv` aside, then `both.csv` and `new.csv` in.
        for fail_at in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut staging = prepared(dir.path());
            let before: Vec<_> = listing(dir.path())
                .into_iter()
                .filter(|(name, _)| !name.starts_with('.'))
                .collect();
            let mut calls = 0;
            let mut rename = |from: &Path, to: &Path| {
                calls += 1;
                if calls - 1 == fail_at {
                    Err(io::Error::other("injected"))
                } else {
                    fs::rename(from, to)
                }
            };
            let err = staging.commit_with(&mut rename).expect_err("injected");
            assert_eq!(err.to_string(), "injected");
            drop(staging);
            assert_eq!(listing(dir.path()), before, "failing rename {fail_at}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let files = prepared(dir.path()).commit().expect("commit");
        assert_eq!(files.len(), 2);
        assert_eq!(
            listing(dir.path()),
            [
                ("both.csv".to_string(), "both after".to_string()),
                ("new.csv".to_string(), "new".to_string()),
                ("old.csv".to_string(), "old".to_string()),
            ]
        );
    }
}
