//! `report.html`: self-contained (no script, nothing fetched), one SVG chart per expected figure,
//! and, rendered in headless Chromium, every chart drawn and no console error.
//!
//! Chromium comes from the distribution (`.ci/run` installs it with a CJK font and sets
//! `FUNDSIM_REQUIRE_CHROMIUM=1`, so there the browser part cannot be skipped); on a machine
//! without it the browser part is skipped with a message and the HTML checks still run.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// The browser, if there is one.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        });
    if found.is_none() && std::env::var("FUNDSIM_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1") {
        panic!("FUNDSIM_REQUIRE_CHROMIUM=1 but no chromium on PATH");
    }
    found
}

#[test]
fn the_report_is_self_contained_and_every_chart_draws_in_a_browser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("compare")
        .arg(data("tests/data/tiny.toml"))
        .arg(data("tests/data/tiny_more.toml"))
        .args(["--paths", "300", "--seed", "2", "--report", "--quiet"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    // Self-contained: no script, no stylesheet or image fetched from anywhere.
    for banned in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    // Per scenario: the J-curve and pool fan charts, the targets and money per instrument; then
    // the comparison of the other scenario with the base.
    let charts: Vec<&str> = html
        .match_indices("data-chart=\"")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            &rest[..rest.find('"').expect("closing quote")]
        })
        .collect();
    assert_eq!(
        charts,
        [
            "net_fiscal_flow_cum",
            "net_position",
            "pool_balance",
            "targets",
            "money",
            "net_fiscal_flow_cum",
            "net_position",
            "pool_balance",
            "targets",
            "money",
            "comparison"
        ]
    );
    assert_eq!(html.matches("<svg").count(), charts.len());
    // `fundsim report DIR` makes the same page from the directory.
    fs::remove_file(out.join("report.html")).expect("remove");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("report")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(out.join("report.html")).expect("again"),
        html
    );
    // A directory without a run is bad input.
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2);

    let Some(browser) = chromium() else {
        eprintln!("no chromium on PATH: the browser checks are skipped");
        return;
    };
    let shot = dir.path().join("shot.png");
    let url = format!("file://{}", out.join("report.html").display());
    let ran = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,5200",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(ran.status.success(), "chromium failed: {ran:?}");
    let log = String::from_utf8_lossy(&ran.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    // Decode the screenshot and find the drawn charts: runs of rows holding coloured (not grey)
    // pixels, gaps under 40 rows bridged; a chart is a run at least 70 rows tall (headings and
    // the headline numbers are shorter). Every figure of the page must be there.
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(&shot).expect("png")));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.line_size / w;
    let coloured_row = |y: usize| -> bool {
        (0..w)
            .filter(|&x| {
                let p = &buf[y * info.line_size + x * channels..][..3];
                let (hi, lo) = (p.iter().max().unwrap(), p.iter().min().unwrap());
                hi - lo > 20
            })
            .count()
            > 3
    };
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for y in (0..h).filter(|&y| coloured_row(y)) {
        match runs.last_mut() {
            Some((_, end)) if y - *end < 40 => *end = y,
            _ => runs.push((y, y)),
        }
    }
    let tall = runs.iter().filter(|(a, b)| b - a >= 70).count();
    assert!(
        tall >= charts.len(),
        "{tall} drawn charts found for {} figures (coloured runs {runs:?})",
        charts.len()
    );
}

/// The SVG of the first figure `data-chart="{chart}"` of a page.
fn figure<'a>(html: &'a str, chart: &str) -> &'a str {
    let start = html
        .find(&format!("data-chart=\"{chart}\""))
        .unwrap_or_else(|| panic!("no {chart} chart"));
    let end = start + html[start..].find("</figure>").expect("figure's end");
    &html[start..end]
}

/// The texts of an SVG drawn by plotters, with their `text-anchor`.
fn texts(svg: &str) -> Vec<(String, String)> {
    svg.match_indices("<text ")
        .map(|(i, _)| {
            let tag = &svg[i..i + svg[i..].find('>').expect("tag")];
            let anchor = tag
                .split("text-anchor=\"")
                .nth(1)
                .and_then(|a| a.split('"').next())
                .unwrap_or("")
                .to_string();
            let body = &svg[i + tag.len() + 1..];
            let text = body[..body.find("</text>").expect("</text>")]
                .trim()
                .to_string();
            (anchor, text)
        })
        .collect()
}

/// The English report of the bundled baseline: every bar label of the targets chart is distinct
/// (labels were cut at 34 characters, so a target's 2026 and 2030 rows looked the same), and each
/// keeps its deadline.
#[test]
fn the_targets_chart_labels_stay_distinct() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("run")
        .arg(data("scenarios/nantong_baseline.toml"))
        .args([
            "--paths", "64", "--seed", "1", "--lang", "en", "--report", "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    let labels: Vec<String> = texts(figure(&html, "targets"))
        .into_iter()
        .filter(|(anchor, _)| anchor == "end")
        .map(|(_, t)| t)
        .collect();
    let targets = fs::read_to_string(out.join("targets.csv")).expect("targets.csv");
    let rows = targets
        .lines()
        .skip(1)
        .filter(|l| {
            !l.split(',')
                .nth(1)
                .is_some_and(|t| t == "all" || t.starts_with("all_"))
        })
        .count();
    assert_eq!(labels.len(), rows, "{labels:?}");
    let mut distinct = labels.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), labels.len(), "{labels:?}");
    assert!(
        labels
            .iter()
            .all(|l| l.ends_with("(2026)") || l.ends_with("(2030)")),
        "{labels:?}"
    );
}

fn run_tiny(out: &Path, extra: &[&str]) {
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("run")
        .arg(data("tests/data/tiny.toml"))
        .args(["--paths", "100", "--seed", "2", "--report", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// A series that is zero every year (the pool of a programme that recycles nothing) gets an axis
/// of at least ±1万 with distinct ticks and no `-0` (it had ±1 yuan: `1, 1, 1, -0, -0, 0, …`).
#[test]
fn an_all_zero_series_gets_a_sensible_axis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    run_tiny(&out, &["--set", "program.recycling.to_pool=0"]);
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    let svg = figure(&html, "pool_balance");
    // The y ticks: the right-aligned texts left of the plot.
    let ticks: Vec<String> = texts(svg)
        .into_iter()
        .skip(1)
        .filter(|(anchor, _)| anchor == "end")
        .map(|(_, t)| t)
        .collect();
    assert!(ticks.len() >= 3, "{ticks:?}");
    let mut distinct = ticks.clone();
    distinct.dedup();
    assert_eq!(distinct, ticks, "repeated ticks");
    assert!(!ticks.iter().any(|t| t.starts_with("-0")), "{ticks:?}");
    let yuan = |t: &str| -> f64 {
        match t.strip_suffix('万') {
            Some(wan) => wan.parse::<f64>().expect("tick") * 1e4,
            None => t.parse().expect("tick"),
        }
    };
    let widest = ticks.iter().map(|t| yuan(t).abs()).fold(0.0, f64::max);
    assert!(widest >= 5e3, "an axis of a few yuan: {ticks:?}");
}

fn report(out: &Path) -> String {
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("report")
        .arg(out)
        .assert()
        .success();
    fs::read_to_string(out.join("report.html")).expect("report.html")
}

/// A tornado beside a run: its axis holds the bars' 95% intervals (it was sized from the bars
/// alone, so the whiskers ran off the chart) and its ticks are in the page's units: 亿/万 for
/// money, percent for a probability, never `-0` nor raw yuan with three decimals.
#[test]
fn the_tornado_holds_its_intervals_and_ticks_in_the_metrics_unit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    run_tiny(&out, &[]);
    let header = "rank,key,low,high,metric,at_low,at_low_mcse,at_high,at_high_mcse,swing,swing_mcse,rank_correlation,rank_correlation_lo,rank_correlation_hi";
    for (metric, swing, mcse, units) in [
        ("fiscal_outlay", 1.0e8, 1.0e8, &["亿", "万"][..]),
        ("p.all", 0.17, 0.1, &["%"][..]),
    ] {
        fs::write(
            out.join("tornado.csv"),
            format!(
                "\u{feff}{header}\n1,industries.ic.arrivals_per_year,5,15,{metric},0,0,{swing},0,{swing},{mcse},,,\n2,channels.leakage,0,1,{metric},0,0,{},0,{},0,,,\n",
                -swing / 2.0,
                -swing / 2.0
            ),
        )
        .expect("tornado.csv");
        let html = report(&out);
        let svg = figure(&html, "tornado");
        // The black lines: the x axis first, then its tick marks and the intervals' whiskers.
        // plotters clips what lies beyond the axis to its end, so a whisker cut by too short an
        // axis ends on the axis's last pixel; every whisker must end strictly inside it.
        let lines: Vec<Vec<(f64, f64)>> = svg
            .split("<polyline ")
            .skip(1)
            .filter(|l| l.contains("stroke=\"#000000\""))
            .map(|l| {
                let points = l.split("points=\"").nth(1).expect("points");
                points[..points.find('"').expect("end")]
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').expect("x,y");
                        (x.parse().expect("x"), y.parse().expect("y"))
                    })
                    .collect()
            })
            .collect();
        let (axis, rest) = lines.split_first().expect("an axis");
        let (x0, x1, y_axis) = (axis[0].0, axis[1].0, axis[0].1);
        let whiskers: Vec<&Vec<(f64, f64)>> = rest
            .iter()
            .filter(|l| l.iter().all(|p| p.1 < y_axis))
            .collect();
        assert!(whiskers.len() >= 3, "{metric}: {lines:?}");
        for w in whiskers {
            for &(x, _) in w {
                assert!(
                    x0 < x && x < x1,
                    "{metric}: a whisker at {x}, axis {x0}..{x1}"
                );
            }
        }
        // The x ticks: texts (after the caption) starting with a digit or a minus, unlike the
        // inputs' keys.
        let ticks: Vec<String> = texts(svg)
            .into_iter()
            .skip(1)
            .map(|(_, t)| t)
            .filter(|t| {
                t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-')
            })
            .collect();
        assert!(ticks.len() >= 3, "{metric}: {ticks:?}");
        for t in &ticks {
            assert!(
                units.iter().any(|u| t.ends_with(u)) || t == "0",
                "{metric}: tick {t:?}"
            );
            // No minus before a zero (`-0`, `-0.0%`).
            let negative_zero =
                t.starts_with('-') && !t.chars().any(|c| c.is_ascii_digit() && c != '0');
            assert!(!negative_zero, "{metric}: tick {t:?}");
        }
    }
}

/// `fundsim report` of a directory without run.json: no `null` paths or seed, and each scenario
/// headed by its key (the title and question come from run.json).
#[test]
fn a_report_without_run_json_leaves_out_what_it_lacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    run_tiny(&out, &[]);
    fs::remove_file(out.join("run.json")).expect("remove run.json");
    let html = report(&out);
    assert!(!html.contains("null"), "null in the page");
    assert!(
        html.contains("<h2>tiny</h2>"),
        "the scenario's key as its heading"
    );
    assert!(!html.contains("<p class=\"meta\">") && !html.contains("<p class=\"question\">"));
    // With run.json the page says what it knows.
    run_tiny(&out, &[]);
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("100 条路径 · 随机种子 2 · fundsim"));
    assert!(html.contains("<h2>小测试 <small>tiny</small></h2>"));
}

/// A study charted beside a run says what produced it (its `<study>.json`), and warns when that is
/// not the run's scenario or seed; a sweep into the run's directory leaves the run's `run.json`
/// alone (it writes `sweep.json`), so the report still reads the run's paths and seed.
#[test]
fn a_study_beside_a_run_says_what_produced_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    run_tiny(&out, &[]);
    let run_json = fs::read(out.join("run.json")).expect("run.json");
    let study = |args: &[&str], file: &Path| {
        Command::cargo_bin("fundsim")
            .expect("binary")
            .arg(args[0])
            .arg(file)
            .args(&args[1..])
            .args(["--paths", "60", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
    };
    let tiny = data("tests/data/tiny.toml");
    study(
        &[
            "sweep",
            "--values",
            "program.discount_rate=0.01,0.03",
            "--seed",
            "2",
        ],
        &tiny,
    );
    assert_eq!(fs::read(out.join("run.json")).expect("run.json"), run_json);
    let sweep: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("sweep.json")).expect("sweep.json"))
            .expect("json");
    assert_eq!(sweep["study"], "sweep");
    assert_eq!(sweep["parameters"]["inputs"][0]["values"][1], "0.03");
    assert_eq!(sweep["scenarios"].as_array().expect("points").len(), 2);

    // The run's own scenario and seed: the caption names them, with no caution.
    let tornado = [
        "sensitivity",
        "--metric",
        "fiscal_outlay",
        "--input",
        "program.discount_rate=0.01..0.05",
    ];
    study(&[&tornado[..], &["--seed", "2"]].concat(), &tiny);
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("tornado.json")).expect("tornado.json"))
            .expect("json");
    assert_eq!(json["study"], "sensitivity");
    assert_eq!(json["parameters"]["metric"], "fiscal_outlay");
    assert_eq!(json["parameters"]["inputs"][0]["high"], "0.05");
    let html = report(&out);
    assert!(html.contains("情景 tiny"), "no caption");
    assert!(
        !html.contains("注意"),
        "a caution beside the run's own tornado"
    );
    assert!(html.contains("100 条路径"), "the run's paths");
    // Another seed, then another file: cautioned.
    study(&[&tornado[..], &["--seed", "3"]].concat(), &tiny);
    assert!(report(&out).contains("注意：随机种子与本次运行不同"));
    let other = dir.path().join("other.toml");
    fs::write(
        &other,
        fs::read_to_string(&tiny).expect("tiny") + "\n# another file\n",
    )
    .expect("write");
    study(&[&tornado[..], &["--seed", "2"]].concat(), &other);
    assert!(report(&out).contains("注意：这不是本次运行的情景"));
}

/// Under `--precision` each scenario stops at its own number of paths: the page gives those, not
/// the most `--paths` allowed.
#[test]
fn the_report_gives_the_paths_each_scenario_ran() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    Command::cargo_bin("fundsim")
        .expect("binary")
        .arg("run")
        .arg(data("tests/data/tiny.toml"))
        .args(["--paths", "20000", "--precision", "fiscal_outlay=1e12"])
        .args(["--seed", "2", "--report", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    let used = json["scenarios"][0]["paths"].as_u64().expect("paths");
    assert!(used < 20000, "{json}");
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains(&format!("{used} 条路径")), "{used}");
    assert!(!html.contains("20000 条路径"));
}
