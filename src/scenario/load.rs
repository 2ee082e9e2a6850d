//! Reading a scenario file: TOML syntax, then types, then every constraint, each problem located.
//!
//! **Layers.** A file may start from another with a top-level `extends = "base.toml"` (a path
//! relative to the file; chains are allowed, cycles are not). The base is read first and the file
//! is laid over it key by key: tables merge, every other value (numbers, strings, arrays, arrays of
//! tables such as `[[industries]]` or `[[instruments.sub_fund]]`) replaces the base's whole. A
//! problem is reported in the layer that wrote the value: the one whose keys reach deepest along
//! the problem's key path, the later layer on a tie.

use super::ScenarioFile;
use super::locate::{Diagnostic, KeyPath, Seg, span_of};
use super::validate::validate;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The text of a scenario file and what identifies it in `run.json`.
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    /// The path as the user gave it.
    pub path: String,
    pub text: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// The files it extends, nearest first: `(path, sha256)`.
    pub bases: Vec<(String, String)>,
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

/// Deepest chain of `extends`.
const MAX_LAYERS: usize = 8;

/// One file of a chain: its name for messages and its text.
struct Layer {
    name: String,
    text: String,
    sha256: String,
}

fn invalid(
    name: &str,
    text: &str,
    span: std::ops::Range<usize>,
    key: &str,
    msg: String,
) -> LoadError {
    LoadError::Invalid(vec![Diagnostic::new(
        name,
        text,
        span,
        key.to_string(),
        msg,
    )])
}

fn read_layer(path: &Path) -> Result<Layer, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: name.clone(),
        source,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        invalid(
            &name,
            &text,
            offset..offset,
            "",
            "the file is not valid UTF-8 (save it as UTF-8)".to_string(),
        )
    })?;
    Ok(Layer { name, text, sha256 })
}

fn parse(layer: &Layer) -> Result<Spanned<DeTable<'_>>, LoadError> {
    DeTable::parse(&layer.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        invalid(
            &layer.name,
            &layer.text,
            span,
            "",
            format!("TOML syntax: {}", e.message().trim()),
        )
    })
}

/// The `extends` value of a parsed file, with its span.
fn extends_of(doc: &Spanned<DeTable<'_>>, layer: &Layer) -> Result<Option<String>, LoadError> {
    let Some(value) = doc.get_ref().get("extends") else {
        return Ok(None);
    };
    match value.get_ref().as_str() {
        Some(s) => Ok(Some(s.to_string())),
        None => Err(invalid(
            &layer.name,
            &layer.text,
            value.span(),
            "extends",
            "extends must be a string: the path of the scenario file this one starts from".into(),
        )),
    }
}

/// Reads, parses and validates a scenario file (and the files it extends).
pub fn load_file(path: &Path) -> Result<(ScenarioSource, ScenarioFile), LoadError> {
    // The chain, the file itself first.
    let mut layers = vec![read_layer(path)?];
    let mut seen: Vec<PathBuf> = vec![std::fs::canonicalize(path).unwrap_or(path.to_path_buf())];
    let mut dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    loop {
        let last = layers.last().expect("at least the file itself");
        let doc = parse(last)?;
        let Some(base) = extends_of(&doc, last)? else {
            break;
        };
        let span = doc.get_ref().get("extends").map_or(0..0, |v| v.span());
        let base_path = dir.join(&base);
        let canonical = std::fs::canonicalize(&base_path).unwrap_or(base_path.clone());
        if seen.contains(&canonical) || layers.len() >= MAX_LAYERS {
            return Err(invalid(
                &last.name,
                &last.text,
                span,
                "extends",
                format!(
                    "\"{base}\" makes a cycle or a chain longer than {MAX_LAYERS} files: a scenario cannot extend itself"
                ),
            ));
        }
        let layer = read_layer(&base_path).map_err(|e| match e {
            LoadError::Io { source, .. } => invalid(
                &last.name,
                &last.text,
                span.clone(),
                "extends",
                format!("cannot read \"{}\": {source}", base_path.display()),
            ),
            other => other,
        })?;
        seen.push(canonical);
        dir = base_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        layers.push(layer);
    }
    // Base first, as they are laid.
    layers.reverse();
    let file = load_layers(&layers)?;
    let top = layers.pop().expect("the file itself");
    Ok((
        ScenarioSource {
            path: top.name,
            text: top.text,
            sha256: top.sha256,
            bases: layers
                .into_iter()
                .rev()
                .map(|l| (l.name, l.sha256))
                .collect(),
        },
        file,
    ))
}

/// Parses and validates scenario text; `name` is used in messages. The text cannot `extends`
/// another file (there is no directory to find it in): use [`load_file`].
pub fn load_str(name: &str, text: &str) -> Result<ScenarioFile, LoadError> {
    let layer = Layer {
        name: name.to_string(),
        text: text.to_string(),
        sha256: String::new(),
    };
    let doc = parse(&layer)?;
    if let Some(value) = doc.get_ref().get("extends") {
        return Err(invalid(
            name,
            text,
            value.span(),
            "extends",
            "extends needs a scenario read from a file".into(),
        ));
    }
    load_layers(std::slice::from_ref(&layer))
}

/// Merges the layers (base first), deserialises and validates, locating every problem in the
/// layer that wrote it.
fn load_layers(layers: &[Layer]) -> Result<ScenarioFile, LoadError> {
    let docs = layers.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    let mut merged = docs[0].get_ref().clone();
    for doc in &docs[1..] {
        merge(&mut merged, doc.get_ref().clone());
    }
    merged.remove("extends");
    let root = Spanned::new(0..0, merged);

    // The layer that wrote the value at `path`, and its span there.
    let locate = |path: &KeyPath| -> (usize, std::ops::Range<usize>) {
        // `max_by_key` keeps the last of equal keys: the later layer wins a tie.
        let owner = (0..docs.len())
            .max_by_key(|&l| reach(docs[l].get_ref(), path))
            .unwrap_or(0);
        (owner, span_of(&docs[owner], path))
    };

    let de = toml::Deserializer::from(root);
    let file: ScenarioFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = key_path(e.path());
        let (owner, fallback) = locate(&path);
        let layer = &layers[owner];
        let span = e
            .inner()
            .span()
            .filter(|s| !s.is_empty() && s.end <= layer.text.len())
            .unwrap_or(fallback);
        invalid(
            &layer.name,
            &layer.text,
            span,
            &path.to_string(),
            e.inner().message().trim().to_string(),
        )
    })?;
    let issues = validate(&file);
    if issues.is_empty() {
        return Ok(file);
    }
    Err(LoadError::Invalid(
        issues
            .into_iter()
            .map(|issue| {
                let (owner, span) = locate(&issue.path);
                let layer = &layers[owner];
                Diagnostic::new(
                    &layer.name,
                    &layer.text,
                    span,
                    issue.path.to_string(),
                    issue.message,
                )
            })
            .collect(),
    ))
}

/// Lays `over` on `base`: tables merge key by key, any other value replaces the base's.
fn merge<'i>(base: &mut DeTable<'i>, over: DeTable<'i>) {
    for (key, value) in over {
        let nested = matches!(value.get_ref(), DeValue::Table(_))
            && base
                .get(key.get_ref().as_ref())
                .is_some_and(|b| b.get_ref().is_table());
        if nested {
            // (Spans of the merged tree are not used: problems are located in each layer.)
            let DeValue::Table(over_table) = value.into_inner() else {
                unreachable!("checked above")
            };
            let slot = base.get_mut(key.get_ref().as_ref()).expect("checked above");
            if let DeValue::Table(base_table) = slot.get_mut() {
                merge(base_table, over_table);
            }
        } else {
            base.insert(key, value);
        }
    }
}

/// How many steps of `path` a layer's document defines (an array, or any non-table value, owns
/// everything below it).
fn reach(doc: &DeTable<'_>, path: &KeyPath) -> usize {
    let mut table = Some(doc);
    let mut depth = 0;
    for seg in &path.0 {
        let Seg::Key(k) = seg else { break };
        let Some(value) = table.and_then(|t| t.get(k.as_str())) else {
            break;
        };
        depth += 1;
        match value.get_ref().as_table() {
            Some(t) => table = Some(t),
            // Arrays and values are replaced whole: the layer owns the rest of the path.
            None => return usize::MAX,
        }
    }
    depth
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
