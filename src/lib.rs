//! fundsim: a Monte Carlo simulator for government investment funds.
//!
//! A city puts fiscal money into future industries through grants, equity and funds, and recycles
//! what comes back. fundsim simulates every firm, path by path, and reports how much money comes back,
//! when, what it costs the treasury and how likely each policy target is to be met.
//!
//! Layers (see ARCHITECTURE.md):
//! - [`scenario`]: TOML files → typed, validated data (exact money), with located errors;
//! - [`model`]: the compiled, engine-ready model (the Decimal → fen/f64 boundary);
//! - [`sim`], [`instruments`], [`ledger`], [`rng`], [`irr`]: one path, pure computation;
//! - [`run`], [`stats`]: many paths in parallel, deterministic aggregation;
//! - [`report`], [`output`], [`app`]: tables, files and the commands.
//!
//! The engine (`model`, `sim`, `instruments`, `ledger`, `rng`, `irr`, `run`, `stats`) does no I/O.

pub mod actuals;
pub mod app;
pub mod calibration;
pub mod compare;
pub mod effects;
pub mod exp;
pub mod firms;
pub mod instruments;
pub mod irr;
pub mod labels_en;
pub mod lang;
pub mod ledger;
pub mod market;
pub mod metrics;
pub mod model;
pub mod money;
pub mod output;
pub mod pacing;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod sim;
pub mod stats;
pub mod study;
pub mod subsidy;
pub mod uncertain;
pub mod valuation;
pub mod waterfall;
