//! Where in a scenario file a key path points, and how a problem there is reported.
//!
//! Validation speaks in key paths (`industries[2].stages[0].p_fail`); users need `file:line:col`
//! and the line itself. We parse the file once more into toml's spanned tree ([`DeTable`]) and walk
//! the path to the deepest node that exists, so even a missing key is reported at its table.

use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path to a value in a scenario file, printed as `industries[2].stages[0].p_fail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                // A key with a dot in it (an `[uncertain]` input) is quoted, as TOML writes it.
                Seg::Key(k) if k.contains('.') && i == 0 => write!(f, "\"{k}\"")?,
                Seg::Key(k) if k.contains('.') => write!(f, ".\"{k}\"")?,
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The byte span of the deepest node on `path` that exists in the document.
pub fn span_of(doc: &Spanned<DeTable<'_>>, path: &KeyPath) -> Range<usize> {
    let mut span = doc.span();
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    for seg in &path.0 {
        let next = match (seg, table, array) {
            (Seg::Key(k), Some(t), _) => t.get(k.as_str()),
            (Seg::Index(i), _, Some(a)) => a.get(*i),
            _ => None,
        };
        let Some(value) = next else { break };
        span = value.span();
        table = value.get_ref().as_table();
        array = value.get_ref().as_array().map(|a| &a[..]);
    }
    span
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..floor_char_boundary(src, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Where a record read by the `csv` crate begins in `src`, the text it read: the byte offset of
/// its first character and its 1-based line. `at` is the byte of the record's position (or of an
/// error's). The reader takes that position when it starts reading a record, right after the
/// previous record's terminator: at the `\n` of a `\r\n` it has not consumed yet, or at the empty
/// lines it then skips; its own line count lags behind by those line breaks. So the record begins
/// past the line breaks at `at`, and its line is one more than the `\n` before that.
pub fn csv_record_start(src: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(src, at.min(src.len()));
    let rest = &src[at..];
    let start = at + (rest.len() - rest.trim_start_matches(['\r', '\n']).len());
    (start, line_col(src, start).0)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A located problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Key path, or empty for syntax errors.
    pub key: String,
    pub message: String,
    /// Rendered snippet of the offending line (no colour).
    pub snippet: String,
}

impl Diagnostic {
    pub fn new(file: &str, src: &str, span: Range<usize>, key: String, message: String) -> Self {
        let (line, column) = line_col(src, span.start);
        let snippet = render_snippet(file, src, span);
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            key,
            message,
            snippet,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "error: {}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if !self.snippet.is_empty() {
            write!(f, "\n{}", self.snippet)?;
        }
        Ok(())
    }
}

fn render_snippet(file: &str, src: &str, span: Range<usize>) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
    let start = floor_char_boundary(src, span.start.min(src.len()));
    // Point at the first line of the span only: a whole table would drown the message.
    let line_end = src[start..].find('\n').map_or(src.len(), |p| start + p);
    let end = floor_char_boundary(src, span.end.min(line_end).max(start));
    let end = if end == start {
        // An empty span (end of file, missing key): mark one character if there is one.
        src[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8())
    } else {
        end
    };
    // The message is already on the first line; the snippet only shows where.
    let report = &[Group::with_level(Level::ERROR).element(
        Snippet::source(src)
            .path(file)
            .annotation(AnnotationKind::Primary.span(start..end)),
    )];
    Renderer::plain().render(report).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let src = "a = 1\n[[ind]]\nid = \"x\"\n[[ind]]\nid = \"y\"\n[ind.s]\np = 1.5\n";
        let doc = DeTable::parse(src).unwrap();
        let path = KeyPath::root().key("ind").index(1).key("s").key("p");
        let span = span_of(&doc, &path);
        assert_eq!(&src[span.clone()], "1.5");
        assert_eq!(line_col(src, span.start), (7, 5));
        assert_eq!(path.to_string(), "ind[1].s.p");
        // A missing key falls back to its table, whose span is its header line.
        let missing = KeyPath::root().key("ind").index(0).key("nope");
        let span = span_of(&doc, &missing);
        assert_eq!(&src[span.clone()], "[[ind]]");
        assert_eq!(line_col(src, span.start), (2, 1));
    }

    #[test]
    fn csv_records_start_on_their_own_line() {
        // CRLF line ends, blank lines (CRLF and LF) and a quoted cell over two lines: each record's
        // first byte and line, as a spreadsheet shows them.
        let src = "year,x\r\n2024,1\r\n\r\n\r\n2025,2\n\n2026,\"a\nb\"\r\n2027,3";
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(src.as_bytes());
        let found: Vec<(String, usize)> = (reader.records())
            .map(|r| {
                let r = r.unwrap();
                let (start, line) = csv_record_start(src, r.position().unwrap().byte() as usize);
                (src[start..].chars().take(4).collect(), line)
            })
            .collect();
        let want = [
            ("year", 1),
            ("2024", 2),
            ("2025", 5),
            ("2026", 7),
            ("2027", 9),
        ];
        let want: Vec<(String, usize)> = want.iter().map(|&(s, l)| (s.to_string(), l)).collect();
        assert_eq!(found, want);
    }

    #[test]
    fn columns_count_characters() {
        let src = "name = \"细胞\" x\n";
        assert_eq!(line_col(src, src.find('x').unwrap()), (1, 13));
    }
}
