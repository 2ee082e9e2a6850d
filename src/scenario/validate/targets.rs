//! `[[targets]]`.

use super::*;
use crate::metrics::{Unit, target_metric_names, target_read};

/// `[[targets]]`: unique ids (not `all` nor `all_…`, the names of the joint rows), a label, a known metric, a threshold in its unit and a deadline
/// within the simulated years.
pub(super) fn targets(c: &mut Checker, cx: &Ctx) {
    let f = cx.f;
    let common = f.instruments.common();
    let ids: Vec<&str> = common.iter().map(|i| i.id).collect();
    let industry_ids: Vec<&str> = f.industries.iter().map(|i| i.id.as_str()).collect();
    let mut target_ids = HashSet::new();
    for (i, t) in f.targets.iter().enumerate() {
        let p = KeyPath::root().key("targets").index(i);
        c.ident(p.key("id"), &t.id, &mut target_ids, "target");
        reserved_id(c, p.key("id"), &t.id);
        if t.label.trim().is_empty() {
            c.fail(
                p.key("label"),
                "the label is empty: give the target's Chinese label".into(),
            );
        }
        match target_read(&t.metric, &ids, &industry_ids) {
            None => c.fail(p.key("metric"), {
                let names = target_metric_names(&ids, &industry_ids);
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let close = crate::metrics::closest(&t.metric, &names);
                format!(
                    "unknown metric \"{}\": {}{}",
                    t.metric,
                    if close.is_empty() {
                        String::new()
                    } else {
                        format!("did you mean {}? ", close.join(", "))
                    },
                    crate::metrics::target_metrics_described(&ids, &industry_ids)
                )
            }),
            Some(read) => {
                let unit = read.unit;
                if t.threshold.0 < Decimal::ZERO {
                    c.fail(
                        p.key("threshold"),
                        format!(
                            "{} is negative: a threshold must be 0 or more",
                            t.threshold.0
                        ),
                    );
                } else if unit == Unit::Cny && t.threshold.0 > Decimal::from(MAX_YUAN) {
                    c.fail(
                        p.key("threshold"),
                        "the threshold is too large: at most 1e15 yuan".into(),
                    );
                }
            }
        }
        c.year_in(p.key("deadline"), t.deadline, cx.first, cx.last);
    }
}

/// `all` and `all_<anything>` name the joint rows of `targets.csv` (every target met, every target
/// of a deadline met), which `goal-seek --target`, `sensitivity --metric p.…` and the reports read
/// by name: a target of that name would be confused with them.
fn reserved_id(c: &mut Checker, p: KeyPath, id: &str) {
    // `crate::report::ALL_TARGETS`, a layer above.
    let all = "all";
    if id == all || id.starts_with(&format!("{all}_")) {
        c.fail(
            p,
            format!(
                "\"{id}\" is reserved: `{all}` and `{all}_…` name the rows of every target met (`{all}`, `{all}_<year>`) in targets.csv; give the target another id, e.g. \"t_{id}\""
            ),
        );
    }
}
