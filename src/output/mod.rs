//! Everything that leaves fundsim as files: the output directory, CSV, Parquet and `run.json`.
//!
//! [`Staging`] owns the output directory: each file is written under a hidden temporary name and
//! renamed into place only when every file is complete, so a failed run leaves no half-written file
//! (and no directory, if it made one). The renames are all or nothing: the files they replace are
//! moved aside first and put back if any rename fails, so the directory never holds some files of
//! one run and some of another. Tables come from [`crate::report`]; this module only turns them
//! into bytes.
//!
//! A run stopped from outside leaves nothing half-written either. On Unix, Ctrl-C, SIGTERM (a
//! cluster's time limit, `kill`) or SIGHUP is caught by a thread of its own ([`watch_signals`]),
//! which removes every staging's temporary files (and a directory a staging made, if it is then
//! empty) and ends the process by the same signal (a shell shows 128 + its number); a commit in
//! progress finishes first, and its files then stand. A process killed outright (SIGKILL, the out-of-memory killer) cannot clean up: the next
//! staging in the same directory removes the hidden files of a fundsim process that no longer
//! exists ([`clear_stale`]; Linux, where `/proc` says which processes exist).
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Files being written into an output directory.
pub struct Staging {
    /// Its entry in [`LIVE`].
    id: u64,
    dir: PathBuf,
    created_dir: bool,
    pending: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

/// What a signal must clean up: each live staging's temporary files, and the directory it made.
struct Live {
    id: u64,
    temporary: Vec<PathBuf>,
    created_dir: Option<PathBuf>,
}

/// Every staging not yet committed or dropped. A commit holds the lock from its first rename to
/// its last, so a signal's cleanup never runs in the middle of one.
static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn live() -> MutexGuard<'static, Vec<Live>> {
    // A panic elsewhere while holding the lock leaves the list as valid as it was.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Staging {
    /// Prepares `dir` (creating it if needed) for new files. Hidden files left in it by a fundsim
    /// process that was killed outright are cleared first ([`clear_stale`]).
    pub fn new(dir: &Path) -> io::Result<Self> {
        watch_signals();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let created_dir = {
            // Listed, under the lock, before the directory exists: a signal cannot come between
            // the two and leave a directory it does not know of.
            let mut live = live();
            let created_dir = !dir.exists();
            live.push(Live {
                id,
                temporary: Vec::new(),
                created_dir: created_dir.then(|| dir.to_path_buf()),
            });
            if let Err(e) = fs::create_dir_all(dir) {
                live.retain(|l| l.id != id);
                return Err(e);
            }
            created_dir
        };
        if !created_dir {
            clear_stale(dir);
        }
        Ok(Staging {
            id,
            dir: dir.to_path_buf(),
            created_dir,
            pending: Vec::new(),
            committed: false,
        })
    }

    /// Opens a temporary file that becomes `name` on [`Staging::commit`].
    pub fn create(&mut self, name: &str) -> io::Result<File> {
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        // Listed and created under the lock, so that a signal's cleanup runs before both or after
        // both, never between them.
        let mut live = live();
        if let Some(entry) = live.iter_mut().find(|l| l.id == self.id) {
            entry.temporary.push(tmp.clone());
        }
        let file = File::create(&tmp)?;
        drop(live);
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
        let mut live = live();
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
        live.retain(|l| l.id != self.id);
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
        let mut live = live();
        for (tmp, _) in &self.pending {
            let _ = fs::remove_file(tmp);
        }
        if self.created_dir {
            // Only succeeds if empty: never removes anything we did not make.
            let _ = fs::remove_dir(&self.dir);
        }
        live.retain(|l| l.id != self.id);
    }
}

/// On Unix, from the first staging on: a thread that waits for SIGINT, SIGTERM or SIGHUP (those
/// not ignored when the process started: see [`ignored`]), then removes every live staging's
/// temporary files and the directories they made (if empty), says so on stderr, and ends the
/// process by the same signal (a shell reports 128 + its number). Without it, the default action
/// of these signals ends the process where it stands and leaves a hidden, possibly large,
/// unfinished `paths.parquet` behind.
fn watch_signals() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let watched: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
                .into_iter()
                .filter(|&signal| !ignored(signal))
                .collect();
            if watched.is_empty() {
                return;
            }
            // The thread registers the handlers itself: if it cannot be started, the signals keep
            // their default action (a signal in the moment before it registers does too; the next
            // command clears what that leaves).
            let _ = std::thread::Builder::new()
                .name("fundsim-signals".into())
                .spawn(move || {
                    let Ok(mut signals) = signal_hook::iterator::Signals::new(&watched) else {
                        return;
                    };
                    if let Some(signal) = signals.forever().next() {
                        // Held until the process ends: no commit starts after this, and one in
                        // progress has finished (its files are then complete, and not removed).
                        let live = live();
                        let mut removed = 0;
                        for entry in live.iter() {
                            removed += entry
                                .temporary
                                .iter()
                                .filter(|tmp| fs::remove_file(tmp).is_ok())
                                .count();
                            if let Some(dir) = &entry.created_dir {
                                let _ = fs::remove_dir(dir);
                            }
                        }
                        let name = match signal {
                            SIGINT => "Ctrl-C",
                            SIGTERM => "SIGTERM",
                            _ => "SIGHUP",
                        };
                        if removed > 0 {
                            eprintln!(
                                "\nfundsim: stopped by {name}; its unfinished files were removed \
                                 and the output directory holds what it held before"
                            );
                        } else {
                            eprintln!("\nfundsim: stopped by {name}");
                        }
                        // End by the signal itself (default action), not by an exit code, so that
                        // a shell running fundsim in a loop sees the Ctrl-C and stops too.
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                        std::process::exit(128 + signal);
                    }
                });
        });
    }
}

/// Whether `signal` is ignored in this process, as `nohup` leaves SIGHUP and a shell leaves SIGINT
/// for a job it starts in the background: such a signal stays ignored, not caught.
#[cfg(unix)]
fn ignored(signal: i32) -> bool {
    // SAFETY: `sigaction` with no new action only reads the current one into `old`, a plain C
    // struct for which all zeros is a valid value.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Removes, from `dir`, the hidden files a fundsim process killed outright left behind: an
/// unfinished `.NAME.tmp-PID` is deleted; a `.NAME.old-PID` (a file its commit had moved aside) is
/// deleted if `NAME` is there (the commit had moved the new one in), else moved back. Only names of
/// that exact form whose process no longer exists are touched: not this process's, not those of a
/// fundsim still running, and nothing where the system cannot say (outside Linux).
pub fn clear_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some((name, moved_aside, pid)) = file_name.to_str().and_then(left_behind) else {
            continue;
        };
        if pid == std::process::id() || !process_gone(pid) {
            continue;
        }
        let path = entry.path();
        let target = dir.join(name);
        if moved_aside && fs::symlink_metadata(&target).is_err() {
            let _ = fs::rename(&path, &target);
        } else {
            let _ = fs::remove_file(&path);
        }
    }
}

/// `.NAME.tmp-PID` → (NAME, false, PID); `.NAME.old-PID` → (NAME, true, PID).
fn left_behind(file_name: &str) -> Option<(&str, bool, u32)> {
    let (stem, pid) = file_name.strip_prefix('.')?.rsplit_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pid = pid.parse().ok()?;
    let (name, moved_aside) = match stem.strip_suffix(".tmp") {
        Some(name) => (name, false),
        None => (stem.strip_suffix(".old")?, true),
    };
    (!name.is_empty()).then_some((name, moved_aside, pid))
}

/// Whether process `pid` is known not to exist (in this process's view of the system: a fundsim
/// writing into the same directory from another container would look gone, and would find its
/// temporary file removed and its commit failing with an error, not a wrong file).
fn process_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if cfg!(target_os = "linux") && proc.join("self").exists() {
        !proc.join(pid.to_string()).exists()
    } else {
        false
    }
}

/// `run.json`: what produced the run: version, seed, paths, and for each scenario its file, hash,
/// title, question and market regimes. Deliberately without thread count or time, so that the same
/// seed gives the same bytes.
pub fn run_json(seed: u64, paths: u64, scenarios: &[(&ScenarioSource, &ScenarioFile)]) -> String {
    pretty(&run_value(seed, paths, scenarios))
}

/// `<study>.json` beside a study's CSV (`sweep.json`, `tornado.json`, `goal_seek.json`,
/// `allocation.json`): what `run.json` says of a run (version, seed, paths, each scenario file with
/// its hash and overrides: for a sweep, every point), the study's name, and its `parameters` (the
/// inputs and their values as typed, the metric, target or objective, and what it found). A
/// study's own file, so that it never replaces the `run.json` of a run in the same directory, and
/// so that a CSV read later (or charted by `fundsim report` beside a run) says what produced it.
pub fn study_json(
    study: &str,
    (seed, paths): (u64, u64),
    scenarios: &[(&ScenarioSource, &ScenarioFile)],
    parameters: serde_json::Value,
) -> String {
    let mut value = run_value(seed, paths, scenarios);
    value["study"] = serde_json::json!(study);
    value["parameters"] = parameters;
    pretty(&value)
}

fn pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("json");
    s.push('\n');
    s
}

fn run_value(
    seed: u64,
    paths: u64,
    scenarios: &[(&ScenarioSource, &ScenarioFile)],
) -> serde_json::Value {
    serde_json::json!({
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
    })
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
    fn only_names_a_staging_writes_are_taken_for_left_behind_files() {
        assert_eq!(
            left_behind(".paths.parquet.tmp-42"),
            Some(("paths.parquet", false, 42))
        );
        assert_eq!(left_behind(".a-b.csv.old-7"), Some(("a-b.csv", true, 7)));
        for name in [
            "paths.parquet.tmp-42",
            ".paths.parquet.tmp-",
            ".paths.parquet.tmp-+4",
            ".paths.parquet.tmp-4x",
            ".tmp-42",
            ".x.new-42",
            ".x.tmp-99999999999",
        ] {
            assert_eq!(left_behind(name), None, "{name}");
        }
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
