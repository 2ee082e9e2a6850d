//! Reading a scenario file: TOML syntax, then types, then every constraint, each problem located.
//!
//! **Layers.** A file may start from another with a top-level `extends = "base.toml"` (a path
//! relative to the file; chains of up to 8 files are allowed, cycles are not). The base is read
//! first and the file is laid over it key by key: tables merge; arrays of tables whose elements all
//! have an `id` (`[[industries]]`, `[[instruments.*]]`, `[[targets]]`) merge element by element —
//! the same id merges, a new id is appended, the base's others stay; every other value (numbers,
//! strings, arrays such as `regimes`, arrays of tables without ids such as `stages` or `rules`,
//! and a subsidy programme's `exclusive` groups written beside its `rules`, which name them)
//! replaces the base's whole. A problem is reported in the layer that wrote the value: the one
//! whose keys reach deepest along the problem's key path (translated by id), the later layer on a
//! tie; its key path is that layer's own (its indices, not the merged document's).

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
    /// `KEY=VALUE` overrides laid over the file (`--set`), in order.
    pub overrides: Vec<String>,
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
    /// A file the scenario names (its holdings) cannot be read.
    #[error("{0}")]
    Other(String),
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

/// At most this many problems of a file are reported (the rest are counted).
const MAX_REPORTED: usize = 50;

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

/// The largest scenario file read (a scenario is a few hundred KiB at most).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The bytes of a regular file of at most `limit` bytes: a directory, a device (`/dev/zero`), a
/// pipe or a larger file is an error, never an endless or unbounded read.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file (a directory or a device)",
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("larger than {} MiB", limit >> 20),
        ));
    }
    Ok(bytes)
}

fn read_layer(path: &Path) -> Result<Layer, LoadError> {
    let name = path.display().to_string();
    let bytes = read_limited(path, MAX_SCENARIO_BYTES).map_err(|source| LoadError::Io {
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
    load_file_with(path, &[])
}

/// [`load_file`] with overrides `KEY=VALUE` laid over the file, in order, each as a layer of its
/// own (validated and located like the file): `KEY` is a dotted path, an element of an array of
/// tables with ids named by its id (`instruments.direct_equity.equity.budget`); `VALUE` is a TOML
/// value (`2`, `0.3`, `true`, `"30%"`, `{ ... }`), or else taken as a string (`2亿`).
pub fn load_file_with(
    path: &Path,
    overrides: &[String],
) -> Result<(ScenarioSource, ScenarioFile), LoadError> {
    let mut layers = chain(path)?;
    let n_files = layers.len();
    let sets = override_layers(&layers, overrides)?;
    layers.extend(sets);
    let mut file = load_layers(&layers)?;
    if let Some(name) = &file.holdings {
        // Relative to the file that wrote `holdings` (an override: to the working directory).
        let owner = (layers.iter().enumerate().rev())
            .find(|(_, l)| parse(l).is_ok_and(|d| d.get_ref().get("holdings").is_some()))
            .map_or(n_files - 1, |(i, _)| i);
        let dir = if owner < n_files {
            Path::new(&layers[owner].name)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        } else {
            PathBuf::new()
        };
        let csv = dir.join(name);
        let shown = csv.display().to_string();
        file.book = Some(
            crate::scenario::holdings::read(&csv, &shown, &file).map_err(|e| match e {
                crate::scenario::holdings::BookError::Io(m) => LoadError::Other(m),
                crate::scenario::holdings::BookError::Invalid(d) => LoadError::Invalid(d),
            })?,
        );
    }
    layers.truncate(n_files);
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
            overrides: overrides.to_vec(),
        },
        file,
    ))
}

/// The merged document of a scenario file as [`load_file_with`] reads it (its `extends` chain and
/// the overrides laid over it), before types: the start from which `[uncertain]` inputs are set
/// path by path (`crate::uncertain`). Call it on a file that loads.
pub fn document(path: &Path, overrides: &[String]) -> Result<toml::Table, LoadError> {
    use serde::Deserialize;
    let mut layers = chain(path)?;
    let sets = override_layers(&layers, overrides)?;
    layers.extend(sets);
    let docs = layers.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    let merged = lay(&layers, &docs)?;
    let de = toml::Deserializer::from(Spanned::new(0..0, merged));
    toml::Table::deserialize(de).map_err(|e| {
        let top = layers.last().expect("the file itself");
        invalid(&top.name, &top.text, 0..0, "", e.message().to_string())
    })
}

/// The file and the files it extends, base first.
fn chain(path: &Path) -> Result<Vec<Layer>, LoadError> {
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
        let problem = if seen.contains(&canonical) {
            Some(format!(
                "\"{base}\" makes a cycle: a scenario cannot extend itself, directly or through others"
            ))
        } else if layers.len() >= MAX_LAYERS {
            Some(format!(
                "\"{base}\" would make a chain of more than {MAX_LAYERS} files: at most {MAX_LAYERS} are allowed"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(invalid(&last.name, &last.text, span, "extends", message));
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
    if layers.len() > 1 {
        // Laying a file over its base merges elements of the same id, so a file of the chain that
        // gave one id twice would have its two elements merged silently. (A file alone keeps both,
        // and validation refuses the second with the rest of its problems.)
        let mut diags = Vec::new();
        for layer in &layers {
            let doc = parse(layer)?;
            duplicate_ids(layer, doc.get_ref(), &KeyPath::root(), &mut diags);
        }
        if !diags.is_empty() {
            return Err(LoadError::Invalid(diags));
        }
    }
    Ok(layers)
}

/// Every element of an array of tables with ids (at any depth of `table`, at `path`) whose id an
/// earlier element of the same array already has, located at its `id` in `layer`.
fn duplicate_ids(layer: &Layer, table: &DeTable<'_>, path: &KeyPath, out: &mut Vec<Diagnostic>) {
    for (key, value) in table {
        let here = path.key(key.get_ref().as_ref());
        match value.get_ref() {
            DeValue::Table(t) => duplicate_ids(layer, t, &here, out),
            v @ DeValue::Array(items) if by_id(v) => {
                let mut seen: Vec<&str> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let id = id_of(item.get_ref()).expect("by_id");
                    let at = here.index(i);
                    if seen.contains(&id) {
                        let span = (item.get_ref().as_table())
                            .and_then(|t| t.get("id"))
                            .map_or(item.span(), |v| v.span());
                        out.push(Diagnostic::new(
                            &layer.name,
                            &layer.text,
                            span,
                            at.key("id").to_string(),
                            format!(
                                "id \"{id}\" is used twice in this file's [[{here}]]: ids must be unique in each file (a file that extends another changes the base's element by giving its id once)"
                            ),
                        ));
                    } else {
                        seen.push(id);
                    }
                    if let Some(t) = item.get_ref().as_table() {
                        duplicate_ids(layer, t, &at, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The layers of `--set KEY=VALUE` overrides, resolved against the merged `layers`: each becomes
/// the TOML text that writes the one value.
fn override_layers(layers: &[Layer], overrides: &[String]) -> Result<Vec<Layer>, LoadError> {
    if overrides.is_empty() {
        return Ok(Vec::new());
    }
    let docs = layers.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    // What the files say, their removals made: an override of something removed is refused as
    // one of something never written.
    let merged = lay(layers, &docs)?;
    overrides
        .iter()
        .map(|o| {
            let name = format!("--set {o}");
            let fail = |msg: String| invalid(&name, o, 0..o.len(), "", msg);
            let Some((key, value)) = o.split_once('=') else {
                return Err(fail(
                    "an override is KEY=VALUE, e.g. instruments.direct_equity.equity.budget=2亿"
                        .into(),
                ));
            };
            if key.trim().split('.').next() == Some("extends") {
                // Read before any override is laid: an override of it would be ignored.
                return Err(fail(
                    "extends cannot be set with --set: it is a key of the file (the scenario it starts from, read before any override); write extends = \"base.toml\" in a scenario file, or run that file"
                        .into(),
                ));
            }
            let text = override_text(&merged, key.trim(), value.trim()).map_err(fail)?;
            Ok(Layer {
                name,
                text,
                sha256: String::new(),
            })
        })
        .collect()
}

/// The TOML text that sets `key` (a dotted path through `doc`, ids naming elements of arrays of
/// tables with ids) to `value`.
fn override_text(doc: &DeTable<'_>, key: &str, value: &str) -> Result<String, String> {
    let segments: Vec<&str> = key.split('.').collect();
    let bare = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some(bad) = segments.iter().find(|s| !bare(s)) {
        return Err(format!(
            "\"{bad}\" in \"{key}\" is not a key: use dotted keys of ASCII letters, digits, '_' or '-'"
        ));
    }
    // Every `instruments.<kind>` is an array of tables with ids: an element of a kind the files do
    // not write cannot be set (the walk below would make a table of it, refused as a type error).
    if let ["instruments", kind, id, _, ..] = segments[..] {
        let written = (doc.get("instruments"))
            .and_then(|v| v.get_ref().as_table())
            .is_some_and(|t| t.contains_key(kind));
        if !written {
            return Err(format!(
                "the scenario has no instruments.{kind}: --set changes elements its files write; add a [[instruments.{kind}]] with id = \"{id}\" to a scenario file"
            ));
        }
    }
    // Walk the document: in a table a segment is a key; in an array of tables with ids, an id.
    // Past a table the file does not write (a default), every segment is a key of a new table.
    let mut tables: Vec<&str> = Vec::new(); // keys since the root or since the element
    let mut element: Option<(Vec<&str>, &str)> = None; // (path of the array, id)
    let mut here: Option<&DeValue<'_>> = None; // the value at `tables` (None: the root or new)
    let mut within: Option<&DeTable<'_>> = Some(doc); // the table whose key the next segment is
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match here {
            Some(v) if by_id(v) => {
                if element.is_some() {
                    return Err(format!(
                        "\"{key}\" reaches into a second array of tables: not supported"
                    ));
                }
                let items = v.as_array().expect("by_id");
                let Some(item) = items.iter().find(|x| id_of(x.get_ref()) == Some(*seg)) else {
                    let ids: Vec<&str> = items.iter().filter_map(|x| id_of(x.get_ref())).collect();
                    return Err(format!(
                        "no element with id \"{seg}\" in {}: allowed are {}",
                        tables.join("."),
                        ids.join(", ")
                    ));
                };
                if last {
                    return Err(format!(
                        "\"{key}\" names a whole element: give one of its keys"
                    ));
                }
                element = Some((std::mem::take(&mut tables), seg));
                within = item.get_ref().as_table();
                here = None;
            }
            Some(v) if v.is_array() => {
                return Err(format!(
                    "\"{}\" is an array without ids: it can only be replaced whole, in the file",
                    segments[..i].join(".")
                ));
            }
            Some(v) if !v.is_table() => {
                return Err(format!(
                    "\"{}\" is a value, not a table: \"{key}\" goes past it",
                    segments[..i].join(".")
                ));
            }
            _ => {
                if let Some(v) = here {
                    within = v.as_table();
                }
                tables.push(seg);
                here = within.and_then(|t| t.get(*seg)).map(|v| v.get_ref());
                if here.is_none() {
                    within = None;
                }
            }
        }
    }
    let rendered = match format!("x = {value}").parse::<toml::Table>() {
        Ok(_) => value.to_string(),
        Err(_) => toml::Value::String(value.to_string()).to_string(),
    };
    let (leaf, parents) = tables.split_last().expect("at least one key");
    let mut text = String::new();
    match element {
        Some((array, id)) => {
            text.push_str(&format!("[[{}]]\nid = \"{id}\"\n", array.join(".")));
            if !parents.is_empty() {
                text.push_str(&format!("[{}.{}]\n", array.join("."), parents.join(".")));
            }
        }
        None if !parents.is_empty() => text.push_str(&format!("[{}]\n", parents.join("."))),
        None => {}
    }
    text.push_str(&format!("{leaf} = {rendered}\n"));
    Ok(text)
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
    for key in ["extends", "holdings"] {
        if let Some(value) = doc.get_ref().get(key) {
            return Err(invalid(
                name,
                text,
                value.span(),
                key,
                format!(
                    "{key} needs a scenario read from a file (its path is relative to the file)"
                ),
            ));
        }
    }
    load_layers(std::slice::from_ref(&layer))
}

/// Merges the layers (base first), deserialises and validates, locating every problem in the
/// layer that wrote it.
fn load_layers(layers: &[Layer]) -> Result<ScenarioFile, LoadError> {
    let docs = layers.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    let (merged, removed) = lay_removing(layers, &docs)?;

    let locate = |path: &KeyPath| owner_of(&docs, &merged, path);

    let de = toml::Deserializer::from(Spanned::new(0..0, merged.clone()));
    let file: ScenarioFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = key_path(e.path());
        let message = plain_type_error(e.inner().message().trim());
        // A key the scenario needs that a `remove` took away: shown at that entry (the file
        // that wrote the key is not the one to change).
        let missing = (e.inner().message().trim().strip_prefix("missing field `"))
            .and_then(|m| m.split('`').next());
        if let Some(field) = missing {
            let mut keys = named(&merged, &path);
            keys.push(field.to_string());
            if let Some(r) = removed.iter().rev().find(|r| r.keys == keys) {
                let layer = &layers[r.layer];
                return invalid(
                    &layer.name,
                    &layer.text,
                    r.span.clone(),
                    &r.entry,
                    format!(
                        "{message} {}: this entry removed it, and the scenario needs it",
                        match keys.len() {
                            1 => "at the top level".to_string(),
                            n => format!("in {}", keys[..n - 1].join(".")),
                        }
                    ),
                );
            }
        }
        let (owner, local, shown) = locate(&path);
        let layer = &layers[owner];
        // An unknown key is shown where it is written; anything else at the value's place.
        let span = unknown_key(&message)
            .and_then(|key| key_span(&docs[owner], &local, key))
            .unwrap_or_else(|| span_of(&docs[owner], &local));
        invalid(&layer.name, &layer.text, span, &shown.to_string(), message)
    })?;
    let mut issues = validate(&file);
    if issues.is_empty() {
        return Ok(file);
    }
    // A file with thousands of problems (an array pasted 2,000 times) gets the first ones, located,
    // and a count of the rest: locating each costs a walk of the document.
    let more = issues.len().saturating_sub(MAX_REPORTED);
    issues.truncate(MAX_REPORTED);
    if more > 0
        && let Some(last) = issues.last_mut()
    {
        last.message.push_str(&format!(
            "\n({more} more problems not shown: fix these first)"
        ));
    }
    Err(LoadError::Invalid(
        issues
            .into_iter()
            .map(|issue| {
                let (owner, local, shown) = locate(&issue.path);
                let layer = &layers[owner];
                Diagnostic::new(
                    &layer.name,
                    &layer.text,
                    span_of(&docs[owner], &local),
                    shown.to_string(),
                    issue.message,
                )
            })
            .collect(),
    ))
}

/// The layer that wrote the value at `path` (of the merged document), the same place in that
/// layer's own document (as far as the layer writes it: where to point), and the whole path in
/// the layer's terms (what to name: its own indices, then the keys it does not write).
fn owner_of(
    docs: &[Spanned<DeTable<'_>>],
    merged: &DeTable<'_>,
    path: &KeyPath,
) -> (usize, KeyPath, KeyPath) {
    let per_layer: Vec<(usize, KeyPath)> = docs
        .iter()
        .map(|d| translate(merged, d.get_ref(), path))
        .collect();
    // `max_by_key` keeps the last of equal keys: the later layer wins a tie.
    let owner = (0..docs.len()).max_by_key(|&l| per_layer[l].0).unwrap_or(0);
    let (reached, local) = per_layer[owner].clone();
    let mut shown = local.clone();
    if reached < path.0.len() {
        shown.0.extend_from_slice(&path.0[reached..]);
    }
    (owner, local, shown)
}

/// A problem found in a scenario that loaded (e.g. at a corner of its `[uncertain]` inputs), at
/// `at` of its merged document: located in the layer that wrote it, like a problem of validation.
pub fn problem_at(path: &Path, overrides: &[String], at: &KeyPath, message: String) -> LoadError {
    let layers = match chain(path).and_then(|mut layers| {
        let sets = override_layers(&layers, overrides)?;
        layers.extend(sets);
        Ok(layers)
    }) {
        Ok(layers) => layers,
        Err(e) => return e,
    };
    let docs = match layers.iter().map(parse).collect::<Result<Vec<_>, _>>() {
        Ok(docs) => docs,
        Err(e) => return e,
    };
    let merged = match lay(&layers, &docs) {
        Ok(merged) => merged,
        Err(e) => return e,
    };
    let (owner, local, shown) = owner_of(&docs, &merged, at);
    let layer = &layers[owner];
    LoadError::Invalid(vec![Diagnostic::new(
        &layer.name,
        &layer.text,
        span_of(&docs[owner], &local),
        shown.to_string(),
        message,
    )])
}

/// The documents of `layers` laid over each other, base first, as the scenario reads: each layer
/// after the first takes away what its `remove` names from what it inherits, then is merged in
/// ([`merge`]). `extends` and `remove`, which belong to the files, are not in the result.
fn lay<'i>(layers: &[Layer], docs: &[Spanned<DeTable<'i>>]) -> Result<DeTable<'i>, LoadError> {
    lay_removing(layers, docs).map(|(merged, _)| merged)
}

/// An entry of a layer's `remove` that took something away: the layer, the keys removed (ids for
/// elements) and where the entry is written.
struct Removed {
    layer: usize,
    keys: Vec<String>,
    span: std::ops::Range<usize>,
    entry: String,
}

/// [`lay`], and what each `remove` entry took away.
fn lay_removing<'i>(
    layers: &[Layer],
    docs: &[Spanned<DeTable<'i>>],
) -> Result<(DeTable<'i>, Vec<Removed>), LoadError> {
    let mut removed = Vec::new();
    let mut merged = docs[0].get_ref().clone();
    if let Some(list) = merged.get("remove") {
        let layer = &layers[0];
        return Err(invalid(
            &layer.name,
            &layer.text,
            list.span(),
            "remove",
            "remove takes keys away from the file this one extends, and this file extends none: delete the keys themselves, or add extends = \"BASE.toml\"".into(),
        ));
    }
    for (l, (layer, doc)) in layers.iter().zip(docs).enumerate().skip(1) {
        let mut over = doc.get_ref().clone();
        if let Some(list) = over.remove("remove") {
            let fail = |span, key: String, message: String| {
                invalid(&layer.name, &layer.text, span, &key, message)
            };
            let Some(items) = list.get_ref().as_array() else {
                return Err(fail(
                    list.span(),
                    "remove".into(),
                    "remove must be an array of keys, e.g. remove = [\"uncertain.effect_scale\", \"targets.talents_2030\"]".into(),
                ));
            };
            for (n, item) in items.iter().enumerate() {
                let at = format!("remove[{n}]");
                let Some(key) = item.get_ref().as_str() else {
                    return Err(fail(
                        item.span(),
                        at,
                        "a key to remove is a string: a dotted path, an element of industries, instruments or targets named by its id (\"instruments.grant.frontier\")".into(),
                    ));
                };
                let segs = dotted(key).map_err(|why| {
                    fail(
                        item.span(),
                        at.clone(),
                        format!("cannot read \"{key}\": {why}"),
                    )
                })?;
                let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
                remove_path(&mut merged, &segs).map_err(|why| {
                    fail(item.span(), at, format!("cannot remove \"{key}\": {why}"))
                })?;
                removed.push(Removed {
                    layer: l,
                    keys: segs.iter().map(|k| k.to_string()).collect(),
                    span: item.span(),
                    entry: format!("remove[{n}]"),
                });
            }
        }
        merge(&mut merged, over);
    }
    merged.remove("extends");
    Ok((merged, removed))
}

/// `path` of the merged document as `remove` names it: keys, and for an element of an array of
/// tables with ids, its id (else its index).
fn named(merged: &DeTable<'_>, path: &KeyPath) -> Vec<String> {
    let mut keys = Vec::new();
    let mut at: Option<&DeValue<'_>> = None;
    for seg in &path.0 {
        match seg {
            Seg::Key(k) => {
                let table = match at {
                    None => Some(merged),
                    Some(v) => v.as_table(),
                };
                at = table.and_then(|t| t.get(k.as_str())).map(|v| v.get_ref());
                keys.push(k.clone());
            }
            Seg::Index(i) => {
                let item = at.and_then(|v| v.as_array()).and_then(|a| a.get(*i));
                let id = item.and_then(|v| id_of(v.get_ref()));
                keys.push(id.map_or_else(|| i.to_string(), str::to_string));
                at = item.map(|v| v.get_ref());
            }
        }
    }
    keys
}

/// The keys of a dotted path as TOML writes them: `a.b.c`, a key with dots in double quotes
/// (`uncertain."instruments.grant.frontier.effect.round_odds"`).
fn dotted(path: &str) -> Result<Vec<String>, String> {
    let mut segs = Vec::new();
    let mut rest = path;
    loop {
        let (seg, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').ok_or("a quote is not closed")?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = rest.find('.').unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        if seg.is_empty() {
            return Err("a key is empty (two dots in a row, or a dot at an end)".into());
        }
        segs.push(seg.to_string());
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None if after.is_empty() => return Ok(segs),
            None => return Err(format!("expected a dot after \"{seg}\"")),
        }
    }
}

/// Takes the value at `segs` out of `table`: keys of tables, and in an array of tables with ids
/// (industries, instruments, targets) the id of an element. Says why when there is no such value.
fn remove_path(table: &mut DeTable<'_>, segs: &[&str]) -> Result<(), String> {
    let (first, rest) = segs.split_first().expect("a path has a key");
    let Some(value) = table.get_mut(*first) else {
        let known: Vec<&str> = table.keys().map(|k| k.get_ref().as_ref()).collect();
        return Err(format!(
            "\"{first}\" is not in what this file extends (there: {})",
            if known.is_empty() {
                "nothing".to_string()
            } else {
                known.join(", ")
            }
        ));
    };
    if rest.is_empty() {
        table.remove(*first);
        return Ok(());
    }
    let by_ids = by_id(value.get_ref());
    let result = match value.get_mut() {
        DeValue::Table(t) => remove_path(t, rest),
        DeValue::Array(items) if by_ids => {
            let (id, below) = rest.split_first().expect("not empty");
            let Some(j) = items.iter().position(|v| id_of(v.get_ref()) == Some(*id)) else {
                let ids: Vec<&str> = items.iter().filter_map(|v| id_of(v.get_ref())).collect();
                return Err(format!(
                    "no element of \"{first}\" has id \"{id}\" (ids: {})",
                    ids.join(", ")
                ));
            };
            if below.is_empty() {
                // (The parser's arrays have no `remove`: the others are pushed into a new one.)
                let old = std::mem::replace(items, toml::de::DeArray::new());
                for (k, v) in old.into_iter().enumerate() {
                    if k != j {
                        items.push(v);
                    }
                }
                Ok(())
            } else {
                match items.get_mut(j).expect("found above").get_mut() {
                    DeValue::Table(t) => remove_path(t, below),
                    _ => unreachable!("elements with ids are tables"),
                }
            }
        }
        DeValue::Array(_) => Err(format!(
            "\"{first}\" is an array that a file replaces whole (its elements have no ids): write the whole array in this file instead"
        )),
        _ => Err(format!(
            "\"{first}\" is a value, not a table: remove \"{first}\" itself"
        )),
    };
    // An array of tables left empty goes (as if never written): an empty array has no ids, and
    // would be taken for one a file replaces whole.
    let emptied =
        (table.get(*first).and_then(|v| v.get_ref().as_array())).is_some_and(|a| a.is_empty());
    if by_ids && emptied {
        table.remove(*first);
    }
    result
}

/// The `id` of a table, if it has a string one.
fn id_of<'a>(value: &'a DeValue<'_>) -> Option<&'a str> {
    value.as_table()?.get("id")?.get_ref().as_str()
}

/// An array of tables that all have an `id` (industries, instruments, targets): merged by id.
fn by_id(value: &DeValue<'_>) -> bool {
    value
        .as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|v| id_of(v.get_ref()).is_some()))
}

/// Lays `over` on `base`: tables merge key by key (but `exclusive` written beside `rules` replaces
/// the base's, as the rules do); arrays of tables with ids merge element by element (same id:
/// merged; new id: appended; the base's others kept); any other value replaces the base's.
fn merge<'i>(base: &mut DeTable<'i>, over: DeTable<'i>) {
    let with_rules = over.contains_key("rules");
    for (key, value) in over {
        let Some(slot) = base.get_mut(key.get_ref().as_ref()) else {
            base.insert(key, value);
            continue;
        };
        // (Spans of the merged tree are not used: problems are located in each layer.)
        // A subsidy programme's `exclusive` groups are named by its rules: written beside rules
        // (which replace the base's whole), they replace the base's groups too. Merged, a file
        // could never drop a group its new rules no longer form.
        let groups_of_new_rules = key.get_ref().as_ref() == "exclusive" && with_rules;
        let tables =
            slot.get_ref().is_table() && value.get_ref().is_table() && !groups_of_new_rules;
        let arrays = by_id(slot.get_ref()) && by_id(value.get_ref());
        if tables {
            if let (DeValue::Table(b), DeValue::Table(o)) = (slot.get_mut(), value.into_inner()) {
                merge(b, o);
            }
        } else if arrays {
            if let (DeValue::Array(items), DeValue::Array(over_items)) =
                (slot.get_mut(), value.into_inner())
            {
                for item in over_items.iter() {
                    let id = id_of(item.get_ref()).map(str::to_string);
                    match items
                        .iter_mut()
                        .find(|b| id.is_some() && id_of(b.get_ref()).map(str::to_string) == id)
                    {
                        Some(existing) => {
                            if let (DeValue::Table(bt), DeValue::Table(ot)) =
                                (existing.get_mut(), item.get_ref().clone())
                            {
                                merge(bt, ot);
                            }
                        }
                        None => items.push(item.clone()),
                    }
                }
            }
        } else {
            base.insert(key, value);
        }
    }
}

/// Follows a path of the merged document into one layer's document: array indices of id-merged
/// arrays become the index of the same id in the layer. Returns how far the layer defines the path
/// (`usize::MAX` when a value, or an array replaced whole, is reached: the layer owns all below it)
/// and the path in the layer's terms.
fn translate(merged: &DeTable<'_>, layer: &DeTable<'_>, path: &KeyPath) -> (usize, KeyPath) {
    let mut local = KeyPath::root();
    let (mut m, mut l): (Option<&DeValue<'_>>, Option<&DeValue<'_>>) = (None, None);
    for (depth, seg) in path.0.iter().enumerate() {
        let next = match seg {
            Seg::Key(k) => {
                let mt = if depth == 0 {
                    Some(merged)
                } else {
                    m.and_then(|v| v.as_table())
                };
                let lt = if depth == 0 {
                    Some(layer)
                } else {
                    l.and_then(|v| v.as_table())
                };
                match (
                    mt.and_then(|t| t.get(k.as_str())),
                    lt.and_then(|t| t.get(k.as_str())),
                ) {
                    (Some(mv), Some(lv)) => {
                        local = local.key(k);
                        (mv.get_ref(), lv.get_ref())
                    }
                    _ => return (depth, local),
                }
            }
            Seg::Index(i) => {
                // (Arrays replaced whole were owned at their key: `m` and `l` merge by id.)
                let (Some(mv), Some(lv)) = (m, l) else {
                    return (depth, local);
                };
                let m_item = mv.as_array().and_then(|a| a.get(*i));
                let id = m_item.and_then(|v| id_of(v.get_ref()));
                let found = lv.as_array().and_then(|a| {
                    a.iter()
                        .position(|v| id.is_some() && id_of(v.get_ref()) == id)
                        .map(|j| (j, a[j].get_ref()))
                });
                match (m_item, found) {
                    (Some(mi), Some((j, li))) => {
                        local = local.index(j);
                        (mi.get_ref(), li)
                    }
                    _ => return (depth, local),
                }
            }
        };
        if !next.1.is_table() && !next.1.is_array() {
            // A plain value: this layer wrote it.
            return (usize::MAX, local);
        }
        if next.0.is_array() && next.1.is_array() && !(by_id(next.0) && by_id(next.1)) {
            // An array replaced whole (`regimes`, `stages`, `rules`, or an array where the base
            // has a value): this layer wrote it and everything in it, so below here the merged
            // path is the layer's own.
            let mut rest = local.0;
            rest.extend_from_slice(&path.0[depth + 1..]);
            return (usize::MAX, KeyPath(rest));
        }
        (m, l) = (Some(next.0), Some(next.1));
    }
    (path.0.len(), local)
}

/// serde's "invalid type: X, expected Y" (or "invalid value: ...") in plain words: the value as
/// written and what the key takes (`f64` is a number, `i64` a whole number, a struct a table).
/// Any other message is returned as it is.
pub(crate) fn plain_type_error(message: &str) -> String {
    let Some((seen, expected)) = (message.strip_prefix("invalid type: "))
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "))
    else {
        return message.to_string();
    };
    let text = seen.starts_with("string ");
    // `floating point `15.5``, `integer `1``, `boolean `true``: the value between the backticks.
    let seen = match seen {
        "sequence" => "an array".to_string(),
        "map" => "a table".to_string(),
        s if text => s["string ".len()..].to_string(),
        s => match (s.find('`'), s.rfind('`')) {
            (Some(a), Some(b)) if a < b => s[a + 1..b].to_string(),
            _ => s.to_string(),
        },
    };
    let quoted = if text { " (not text in quotes)" } else { "" };
    let wanted = match expected {
        "f64" | "f32" if text => {
            "a number (not text in quotes); percentages are not accepted here".to_string()
        }
        "f64" | "f32" => "a number".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => format!("a whole number{quoted}"),
        "u8" | "u16" | "u32" | "u64" | "usize" => format!("a whole number, 0 or more{quoted}"),
        "a boolean" => "true or false (not text in quotes)".to_string(),
        "a string" => "text in quotes".to_string(),
        "a sequence" => "an array [...]".to_string(),
        "a map" => "a table { ... }".to_string(),
        e if e.starts_with("struct ") => "a table { ... }".to_string(),
        e => e.to_string(),
    };
    format!("{seen} is not allowed: write {wanted}")
}

/// The key named in a serde "unknown field `key`" message.
fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// The span of `key` inside the table at `path` of a layer.
fn key_span(
    doc: &Spanned<DeTable<'_>>,
    path: &KeyPath,
    key: &str,
) -> Option<std::ops::Range<usize>> {
    let mut table = doc.get_ref();
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    for seg in &path.0 {
        let value = match seg {
            Seg::Key(k) => table.get(k.as_str())?,
            Seg::Index(i) => array?.get(*i)?,
        };
        array = value.get_ref().as_array().map(|a| &a[..]);
        if let Some(t) = value.get_ref().as_table() {
            table = t;
        }
    }
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, _)| k.span())
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

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
