//! The language of labels and headings (`--lang zh|en`). Metric and target keys never change;
//! only the words beside them do. Chinese is the default.

use crate::model::Model;

/// The language of labels and headings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh` or `en`, whichever this is.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// The English label of a target: its `label_en`, else its id.
fn target_en(model: &Model, id: &str) -> String {
    model
        .targets
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.label_en.clone().unwrap_or_else(|| t.id.clone()))
        .unwrap_or_else(|| id.to_string())
}

/// The label of metric `name` in `lang` (`zh` is the catalogue's own label).
pub fn metric_label(lang: Lang, model: &Model, name: &str, zh: &str) -> String {
    if lang == Lang::Zh {
        return zh.to_string();
    }
    if let Some(id) = name.strip_prefix("target.") {
        return target_en(model, id);
    }
    if let Some(id) = name.strip_prefix("met.") {
        return match id.strip_prefix("all") {
            Some("") => "All targets met".to_string(),
            Some(year) if year.starts_with('_') => format!("All {} targets met", &year[1..]),
            _ => format!("{} met", target_en(model, id)),
        };
    }
    if let Some(key) = name.strip_prefix("input.") {
        return format!("Uncertain input {key}");
    }
    let (base, of) = match name.split_once('.') {
        Some((b, of)) => (b, Some(of)),
        None => (name, None),
    };
    match (crate::labels_en::label(base), of) {
        (Some(l), Some(of)) => format!("{l} ({of})"),
        (Some(l), None) => l.to_string(),
        (None, _) => name.to_string(),
    }
}

/// The label of a row of `targets.csv` in `lang`: a target, `all` or `all_<year>`.
pub fn target_label(lang: Lang, model: &Model, target: &str, zh: &str) -> String {
    if lang == Lang::Zh {
        return zh.to_string();
    }
    match target.strip_prefix("all") {
        Some("") => "All targets met".to_string(),
        Some(rest) if rest.starts_with('_') => format!("All {} targets met", &rest[1..]),
        _ => target_en(model, target),
    }
}
