//! `[[targets]]`: each target's metric resolved to what the run reads, its threshold in the
//! metric's booking unit and its deadline as a year index.

use super::{IndustryModel, InstrumentModel, Years, f64_of, fen_of, scenario};
use crate::metrics::{TargetRead, Unit, target_read};
use scenario::Direction;

#[derive(Debug, Clone, PartialEq)]
pub struct TargetModel {
    pub id: String,
    pub label: String,
    /// English label (`--lang en`), if the scenario gives one.
    pub label_en: Option<String>,
    pub metric: String,
    pub read: TargetRead,
    /// In the metric's booking unit: fen for money, a count otherwise.
    pub threshold: f64,
    /// Threshold in reporting units (yuan for money), for `targets.csv`.
    pub threshold_reported: f64,
    /// Index of the deadline year in the simulated years.
    pub deadline: usize,
    pub direction: Direction,
}

pub(super) fn targets(
    targets: &[scenario::Target],
    years: Years,
    instruments: &[InstrumentModel],
    industries: &[IndustryModel],
) -> Vec<TargetModel> {
    let instrument_ids: Vec<&str> = instruments.iter().map(|i| i.id.as_str()).collect();
    let industry_ids: Vec<&str> = industries.iter().map(|i| i.id.as_str()).collect();
    (targets.iter())
        .map(|t| target(t, years, &instrument_ids, &industry_ids))
        .collect()
}

fn target(
    t: &scenario::Target,
    years: Years,
    instrument_ids: &[&str],
    industry_ids: &[&str],
) -> TargetModel {
    let read = target_read(&t.metric, instrument_ids, industry_ids).expect("validated");
    let threshold = if read.unit == Unit::Cny {
        fen_of(t.threshold.0) as f64
    } else {
        f64_of(t.threshold.0)
    };
    TargetModel {
        id: t.id.clone(),
        label: t.label.clone(),
        label_en: t.label_en.clone(),
        metric: t.metric.clone(),
        read,
        threshold,
        threshold_reported: f64_of(t.threshold.0),
        deadline: years.index(t.deadline),
        direction: t.direction,
    }
}
