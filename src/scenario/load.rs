//! Reading a scenario file: TOML syntax, then types, then every constraint, each problem located.

use super::ScenarioFile;
use super::locate::{Diagnostic, KeyPath, Seg, span_of};
use super::validate::validate;
use sha2::{Digest, Sha256};
use std::path::Path;
use toml::de::DeTable;

/// The text of a scenario file and what identifies it in `run.json`.
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    /// The path as the user gave it.
    pub path: String,
    pub text: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// Why a scenario could not be loaded. Both are "bad input" (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("error: {path}: cannot read the scenario file: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
    }
    out
}

/// Reads, parses and validates a scenario file.
pub fn load_file(path: &Path) -> Result<(ScenarioSource, ScenarioFile), LoadError> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: display.clone(),
        source,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        LoadError::Invalid(vec![Diagnostic::new(
            &display,
            &text,
            offset..offset,
            String::new(),
            "the file is not valid UTF-8 (save it as UTF-8)".to_string(),
        )])
    })?;
    let file = load_str(&display, &text)?;
    Ok((
        ScenarioSource {
            path: display,
            text,
            sha256,
        },
        file,
    ))
}

/// Parses and validates scenario text; `name` is used in messages.
pub fn load_str(name: &str, text: &str) -> Result<ScenarioFile, LoadError> {
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        LoadError::Invalid(vec![Diagnostic::new(
            name,
            text,
            span,
            String::new(),
            format!("TOML syntax: {}", e.message().trim()),
        )])
    })?;
    let de = toml::Deserializer::from(doc.clone());
    let file: ScenarioFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = key_path(e.path());
        let span = e
            .inner()
            .span()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| span_of(&doc, &path));
        LoadError::Invalid(vec![Diagnostic::new(
            name,
            text,
            span,
            path.to_string(),
            e.inner().message().trim().to_string(),
        )])
    })?;
    let issues = validate(&file);
    if issues.is_empty() {
        return Ok(file);
    }
    Err(LoadError::Invalid(
        issues
            .into_iter()
            .map(|issue| {
                let span = span_of(&doc, &issue.path);
                Diagnostic::new(name, text, span, issue.path.to_string(), issue.message)
            })
            .collect(),
    ))
}

fn key_path(path: &serde_path_to_error::Path) -> KeyPath {
    use serde_path_to_error::Segment;
    KeyPath(
        path.iter()
            .filter_map(|seg| match seg {
                Segment::Seq { index } => Some(Seg::Index(*index)),
                Segment::Map { key } => Some(Seg::Key(key.clone())),
                Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
                Segment::Unknown => None,
            })
            .collect(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
