//! `--format xlsx`: fundsim.xlsx read back with calamine holds the CSV's values as numbers, in the
//! sheets and order the CSV has them, with the charts present.

use assert_cmd::Command;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::fs;
use std::path::{Path, PathBuf};

fn fundsim() -> Command {
    Command::cargo_bin("fundsim").expect("binary")
}

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// The rows of a CSV with a BOM, header left out.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).expect("csv");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect())
        .collect()
}

/// A cell as the CSV would write it: a number, or empty.
fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        Data::Empty => None,
        other => panic!("a number cell holds {other:?}"),
    }
}

/// Compares sheet columns with CSV columns (`(sheet column, csv column)`), row by row: numbers
/// equal to the CSV's (money scaled by the unit the sheet names in column `unit`: 亿元 = 10^8
/// yuan, 万元 = 10^4), empty where the CSV is empty.
fn same_numbers(
    book: &mut Xlsx<std::io::BufReader<fs::File>>,
    sheet: &str,
    csv: &[Vec<String>],
    unit: Option<usize>,
    columns: &[(usize, usize)],
) {
    let range = book.worksheet_range(sheet).expect(sheet);
    let rows: Vec<&[Data]> = range.rows().skip(1).collect();
    assert_eq!(rows.len(), csv.len(), "{sheet}: rows");
    for (r, (row, want)) in rows.iter().zip(csv).enumerate() {
        let scale = match unit.map(|u| &row[u]) {
            Some(Data::String(u)) if u == "亿元" => 1e8,
            Some(Data::String(u)) if u == "万元" => 1e4,
            _ => 1.0,
        };
        for &(sc, cc) in columns {
            let got = number(&row[sc]).map(|v| v * scale);
            let printed = &want[cc];
            match got {
                None => assert!(
                    printed.is_empty(),
                    "{sheet} row {r} col {sc}: empty vs {printed}"
                ),
                Some(v) => {
                    let w: f64 = printed.parse().expect("csv number");
                    assert!(
                        (v - w).abs() <= 1e-9 * w.abs().max(1.0),
                        "{sheet} row {r} col {sc}: {v} vs {w}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_workbook_holds_the_csv_values_and_its_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fundsim()
        .arg("compare")
        .arg(data("tests/data/tiny.toml"))
        .arg(data("tests/data/tiny_more.toml"))
        .args(["--paths", "300", "--seed", "3", "--format", "xlsx"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let path = out.join("fundsim.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open fundsim.xlsx");
    assert_eq!(
        book.sheet_names(),
        ["概览", "图表", "汇总", "目标", "逐年", "比较", "图表数据"]
    );
    // summary.csv: scenario, metric, unit, label, n, mean, std, mcse, p05..p95 against the sheet's
    // scenario, metric, label, unit, mean, std, mcse, p05..p95.
    let summary = csv_rows(&out.join("summary.csv"));
    let header = fs::read_to_string(out.join("summary.csv")).expect("csv");
    let names: Vec<&str> = header
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .expect("header")
        .split(',')
        .collect();
    let at = |n: &str| names.iter().position(|h| *h == n).expect(n);
    same_numbers(
        &mut book,
        "汇总",
        &summary,
        Some(3),
        &[
            (4, at("mean")),
            (5, at("std")),
            (6, at("mcse")),
            (7, at("p05")),
            (9, at("p50")),
            (11, at("p95")),
        ],
    );
    let range = book.worksheet_range("汇总").expect("汇总");
    let mut money_rows = 0;
    for (row, want) in range.rows().skip(1).zip(&summary) {
        assert_eq!(row[0], Data::String(want[at("scenario")].clone()));
        assert_eq!(row[1], Data::String(want[at("metric")].clone()));
        // Money is shown in 亿元 or 万元, every other unit as the CSV has it.
        let unit = &want[at("unit")];
        match &row[3] {
            Data::String(u) if u == "亿元" || u == "万元" => {
                assert_eq!(unit, "CNY");
                money_rows += 1;
            }
            _ => assert_ne!(unit, "CNY"),
        }
    }
    assert!(money_rows > 10);
    // targets.csv: probability, mcse, ci_low, ci_high.
    let targets = csv_rows(&out.join("targets.csv"));
    same_numbers(
        &mut book,
        "目标",
        &targets,
        None,
        &[(7, 6), (8, 7), (9, 8), (10, 9)],
    );
    // Thresholds in the unit the next column names.
    same_numbers(&mut book, "目标", &targets, Some(5), &[(4, 4)]);
    // yearly.csv: mean and the quantiles.
    let yearly = csv_rows(&out.join("yearly.csv"));
    same_numbers(
        &mut book,
        "逐年",
        &yearly,
        Some(3),
        &[(4, 3), (5, 4), (6, 5), (7, 6), (8, 7), (9, 8)],
    );
    // comparison.csv's paired difference and its MCSE.
    let comparison = csv_rows(&out.join("comparison.csv"));
    let header = fs::read_to_string(out.join("comparison.csv")).expect("csv");
    let names: Vec<&str> = header
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .expect("header")
        .split(',')
        .collect();
    let at = |n: &str| names.iter().position(|h| *h == n).expect(n);
    same_numbers(
        &mut book,
        "比较",
        &comparison,
        Some(4),
        &[
            (5, at("base_mean")),
            (7, at("diff")),
            (8, at("diff_mcse")),
            (11, at("unpaired_mcse")),
        ],
    );
    same_numbers(
        &mut book,
        "比较",
        &comparison,
        None,
        &[(12, at("p_better"))],
    );
    // Two charts per scenario (the J-curve and the targets), stored as chart parts.
    let bytes = fs::read(&path).expect("bytes");
    let parts = |name: &str| {
        bytes
            .windows(name.len())
            .filter(|w| *w == name.as_bytes())
            .count()
    };
    assert!(parts("xl/charts/chart4.xml") > 0, "four charts");
    assert_eq!(parts("xl/charts/chart5.xml"), 0, "and no more");
    // Without --format xlsx there is no workbook.
    let plain = dir.path().join("plain");
    fundsim()
        .arg("run")
        .arg(data("tests/data/tiny.toml"))
        .args(["--paths", "10"])
        .arg("--out")
        .arg(&plain)
        .assert()
        .success();
    assert!(!plain.join("fundsim.xlsx").exists());
    // The same seed gives the same workbook, byte for byte, whatever the threads or the clock.
    let again = dir.path().join("again");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fundsim()
        .arg("compare")
        .arg(data("tests/data/tiny.toml"))
        .arg(data("tests/data/tiny_more.toml"))
        .args([
            "--paths",
            "300",
            "--seed",
            "3",
            "--format",
            "xlsx",
            "--threads",
            "1",
        ])
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert!(fs::read(&path).expect("a") == fs::read(again.join("fundsim.xlsx")).expect("b"));
}

#[test]
fn a_study_workbook_holds_its_table_and_a_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("tornado");
    fundsim()
        .arg("sensitivity")
        .arg(data("tests/data/tiny.toml"))
        .args(["--metric", "fiscal_outlay"])
        .args(["--input", "industries.ic.arrivals_per_year=5..15"])
        .args(["--input", "industries.ic.talent_per_arrival=1..5"])
        .args(["--paths", "100", "--format", "xlsx"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let path = out.join("fundsim.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open fundsim.xlsx");
    assert_eq!(book.sheet_names(), ["敏感性"]);
    let range = book.worksheet_range("敏感性").expect("sheet");
    let text = fs::read_to_string(out.join("tornado.csv")).expect("csv");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let first: Vec<String> = range
        .rows()
        .next()
        .expect("header row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(first, header);
    for (row, line) in range.rows().skip(1).zip(lines) {
        for (cell, want) in row.iter().zip(line.split(',')) {
            match (cell, want.parse::<f64>()) {
                (Data::Float(v), Ok(w)) => assert_eq!(*v, w),
                (Data::String(s), Err(_)) => assert_eq!(s, want),
                (Data::Empty, _) => assert!(want.is_empty()),
                (other, _) => panic!("{other:?} vs {want}"),
            }
        }
    }
    let bytes = fs::read(&path).expect("bytes");
    let chart = b"xl/charts/chart1.xml";
    assert!(bytes.windows(chart.len()).any(|w| w == chart), "a chart");
}

/// A sensitivity study run twice gives the same workbook, byte for byte: a study's workbook, like
/// a run's, has a fixed creation time instead of the clock's (it used the clock, so two runs a
/// second apart differed).
#[test]
fn a_study_workbook_is_the_same_bytes_every_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let study = |out: &Path| {
        fundsim()
            .arg("sensitivity")
            .arg(data("tests/data/tiny.toml"))
            .args(["--metric", "fiscal_outlay"])
            .args(["--input", "industries.ic.arrivals_per_year=5..15"])
            .args([
                "--paths", "50", "--seed", "4", "--format", "xlsx", "--quiet",
            ])
            .arg("--out")
            .arg(out)
            .assert()
            .success();
        fs::read(out.join("fundsim.xlsx")).expect("fundsim.xlsx")
    };
    let first = study(&dir.path().join("a"));
    // The creation time is written to the second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = study(&dir.path().join("b"));
    assert!(first == second, "two runs of one study differ");
}

/// `tests/data/tiny.toml` named `name` (and with `description`, if given), written into `dir`.
fn tiny_named(dir: &Path, file: &str, name: &str, description: Option<&str>) -> PathBuf {
    let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut text = fs::read_to_string(data("tests/data/tiny.toml")).expect("tiny.toml");
    assert!(
        text.contains("name = \"tiny\"\n"),
        "tiny.toml's name line moved"
    );
    let mut line = format!("name = {}\n", quoted(name));
    if let Some(d) = description {
        line.push_str(&format!("description = {}\n", quoted(d)));
    }
    text = text.replacen("name = \"tiny\"\n", &line, 1);
    let path = dir.join(file);
    fs::write(&path, text).expect("write scenario");
    path
}

/// The XML of every chart of a workbook, by part name.
fn chart_parts(path: &Path) -> Vec<(String, String)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(fs::File::open(path).expect("xlsx")).expect("zip");
    let mut parts = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).expect("part");
        let name = file.name().expect("part name").to_string();
        if name.starts_with("xl/charts/chart") {
            let mut xml = String::new();
            file.read_to_string(&mut xml).expect("utf-8");
            parts.push((name, xml));
        }
    }
    parts
}

/// A scenario named like a formula (`=[试点]方案A`, which rust_xlsxwriter reads as a formula at the
/// start of a chart title) or like a cell reference (`试点!A1`, a range after `!`) still gets
/// chart titles of plain text holding its name, never a `<c:f>` reference Excel would have to
/// repair.
#[test]
fn chart_titles_are_text_never_formulas() {
    const NAMES: [&str; 2] = ["=[试点]方案A", "试点!A1"];
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fundsim()
        .arg("run")
        .arg(tiny_named(dir.path(), "a.toml", NAMES[0], None))
        .arg(tiny_named(dir.path(), "b.toml", NAMES[1], None))
        .args([
            "--paths", "50", "--seed", "4", "--format", "xlsx", "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let charts = chart_parts(&out.join("fundsim.xlsx"));
    // Per scenario a J-curve and a targets chart.
    assert_eq!(
        charts.len(),
        4,
        "{:?}",
        charts.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    let mut titled: Vec<&str> = Vec::new();
    for (part, xml) in &charts {
        let start = xml
            .find("<c:title>")
            .unwrap_or_else(|| panic!("{part}: no title"));
        let end = start + xml[start..].find("</c:title>").expect("title's end");
        let title = &xml[start..end];
        assert!(
            !title.contains("<c:f>"),
            "{part}: a title read as a formula: {title}"
        );
        titled.extend(NAMES.iter().filter(|n| title.contains(*n)).copied());
    }
    titled.sort();
    assert_eq!(titled, [NAMES[0], NAMES[0], NAMES[1], NAMES[1]]);
}

/// A scenario description longer than a cell can hold (Excel: 32,767 characters) is cut to the
/// limit with `…` in the headline sheet, instead of failing the whole `--format xlsx` run.
#[test]
fn a_description_longer_than_a_cell_is_cut_to_excels_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let long = "政策原文。".repeat(8_000);
    fundsim()
        .arg("run")
        .arg(tiny_named(dir.path(), "long.toml", "long", Some(&long)))
        .args([
            "--paths", "20", "--seed", "4", "--format", "xlsx", "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut book: Xlsx<_> = open_workbook(out.join("fundsim.xlsx")).expect("open fundsim.xlsx");
    let headline = book.worksheet_range("概览").expect("概览");
    let Some(Data::String(question)) = headline.get((1, 1)) else {
        panic!("no question: {:?}", headline.get((1, 1)));
    };
    assert_eq!(question.encode_utf16().count(), 32_767);
    assert!(question.ends_with('…'));
    assert!(long.starts_with(question.trim_end_matches('…')));
}

/// The English workbook of the bundled baseline: the headline's money columns name their unit
/// (the values are in 亿元), the cost per additional unicorn says it is the ratio of two means
/// (the summary's `cost_per_additional_unicorn` is a mean of per-path ratios, another number)
/// and holds exactly that ratio, and the chart data sheet is in English with ASCII brackets.
#[test]
fn the_english_workbook_names_its_units_and_its_ratio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fundsim()
        .arg("run")
        .arg(data("scenarios/nantong_baseline.toml"))
        .args([
            "--paths", "200", "--seed", "3", "--format", "xlsx", "--quiet",
        ])
        .args(["--lang", "en"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut book: Xlsx<_> = open_workbook(out.join("fundsim.xlsx")).expect("open fundsim.xlsx");
    let headline = book.worksheet_range("Headline").expect("Headline");
    let header: Vec<String> = headline
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    for money in [
        "fiscal_outlay_p50",
        "net_fiscal_cost_p50",
        "net_fiscal_cost_with_outstanding_p50",
        "money_back_p50",
        "net_fiscal_cost_mean / additional_unicorns_mean",
    ] {
        assert!(
            header.contains(&format!("{money} (100M yuan)")),
            "{money}: {header:?}"
        );
    }
    assert!(
        !header
            .iter()
            .any(|h| h.starts_with("cost_per_additional_unicorn")),
        "{header:?}"
    );
    // The ratio's value: mean net fiscal cost over mean additional unicorns, in 亿元.
    let mean = |metric: &str| -> f64 {
        csv_rows(&out.join("summary.csv"))
            .into_iter()
            .find(|r| r[1] == metric)
            .unwrap_or_else(|| panic!("{metric}"))[3]
            .parse()
            .expect("mean")
    };
    let want = mean("net_fiscal_cost") / mean("additional_unicorns") / 1e8;
    let c = header
        .iter()
        .position(|h| h.starts_with("net_fiscal_cost_mean / additional_unicorns_mean"))
        .expect("ratio column");
    let got = number(headline.get((1, c)).expect("cell")).expect("a value");
    assert!((got - want).abs() <= 1e-6 * want.abs(), "{got} vs {want}");
    // The chart data: no Chinese header, and deadlines in ASCII brackets.
    let chart_data = book.worksheet_range("Chart data").expect("Chart data");
    let mut deadlines = 0;
    for cell in chart_data.used_cells().filter_map(|(_, _, c)| match c {
        Data::String(s) => Some(s),
        _ => None,
    }) {
        assert!(
            cell.chars().all(|c| !('\u{3000}'..='\u{9fff}').contains(&c)
                && !('\u{ff00}'..='\u{ffef}').contains(&c)),
            "Chart data: {cell:?}"
        );
        deadlines += usize::from(cell.ends_with(" (2026)") || cell.ends_with(" (2030)"));
    }
    assert!(deadlines > 0, "no target with its deadline");
}

/// `tests/data/tiny.toml` named `name` with its programme a hundredth of the size (grants
/// and direct equity 100× smaller), written into `dir`: its money metrics are below 1000万 where
/// tiny's are above, so a unit chosen per row would differ between the two scenarios.
fn tiny_small(dir: &Path, name: &str) -> PathBuf {
    let mut text = fs::read_to_string(data("tests/data/tiny.toml")).expect("tiny.toml");
    for (from, to) in [
        ("name = \"tiny\"\n", format!("name = \"{name}\"\n").as_str()),
        ("per_year = \"3000万\"", "per_year = \"30万\""),
        ("amount = \"300万\"", "amount = \"3万\""),
        ("budget = \"5000万\"", "budget = \"50万\""),
        ("ticket = \"500万\"", "ticket = \"5万\""),
    ] {
        assert!(text.contains(from), "tiny.toml no longer has {from}");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, text).expect("write scenario");
    path
}

/// The number cells of a workbook's `n`-th sheet (1-based, `xl/worksheets/sheet{n}.xml`, the
/// order rust_xlsxwriter writes them in): by (row, column), 0-based, the value and the number
/// format it is shown with (from `xl/styles.xml`).
fn number_cells(path: &Path, n: usize) -> std::collections::HashMap<(usize, usize), (f64, String)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(fs::File::open(path).expect("xlsx")).expect("zip");
    let mut part = |name: &str| {
        let mut xml = String::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("{name}"))
            .read_to_string(&mut xml)
            .expect("utf-8");
        xml
    };
    let styles = part("xl/styles.xml");
    let sheet = part(&format!("xl/worksheets/sheet{n}.xml"));
    // An attribute of a tag's text after its name (`r="E2" s="3"`).
    let attr = |tag: &str, name: &str| -> Option<String> {
        let tag = format!(" {tag}");
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        Some(tag[start..start + tag[start..].find('"')?].to_string())
    };
    // numFmtId → format code: the built-in ones rust_xlsxwriter uses, and the workbook's own.
    let mut codes: std::collections::HashMap<String, String> = [
        ("0", "General"),
        ("2", "0.00"),
        ("3", "#,##0"),
        ("4", "#,##0.00"),
        ("9", "0%"),
        ("10", "0.00%"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for tag in styles.split("<numFmt ").skip(1) {
        let id = attr(tag, "numFmtId").expect("numFmtId");
        let code = attr(tag, "formatCode").expect("formatCode");
        codes.insert(id, code.replace("&quot;", "\""));
    }
    let xfs_start = styles.find("<cellXfs").expect("cellXfs");
    let xfs_end = styles.find("</cellXfs>").expect("cellXfs end");
    let xfs: Vec<String> = styles[xfs_start..xfs_end]
        .split("<xf ")
        .skip(1)
        .map(|tag| {
            let id = attr(tag, "numFmtId").unwrap_or_else(|| "0".into());
            codes
                .get(&id)
                .cloned()
                .unwrap_or_else(|| panic!("numFmtId {id}"))
        })
        .collect();
    let mut cells = std::collections::HashMap::new();
    for tag in sheet.split("<c ").skip(1) {
        let head = &tag[..tag.find('>').expect("cell tag")];
        if attr(head, "t").is_some_and(|t| t != "n") {
            continue;
        }
        let (Some(v0), Some(v1)) = (tag.find("<v>"), tag.find("</v>")) else {
            continue;
        };
        let value: f64 = tag[v0 + 3..v1].parse().expect("a number");
        let at = attr(head, "r").expect("r");
        let letters = at.chars().take_while(|c| c.is_ascii_uppercase()).count();
        let col = at[..letters]
            .bytes()
            .fold(0, |n, b| n * 26 + usize::from(b - b'A' + 1))
            - 1;
        let row: usize = at[letters..].parse::<usize>().expect("row") - 1;
        let style: usize = attr(head, "s").map_or(0, |s| s.parse().expect("s"));
        cells.insert((row, col), (value, xfs[style].clone()));
    }
    cells
}

/// The decimals a number format such as `#,##0.000` shows.
fn decimals(code: &str) -> usize {
    code.split_once('.')
        .map_or(0, |(_, d)| d.chars().take_while(|c| *c == '0').count())
}

/// On 汇总, 逐年 and 比较 every row of a money metric, every year and every scenario, names the
/// same unit (a column filtered to one metric can be summed or charted as it is), its values
/// times that unit are the CSV's, and a small amount is shown with its digits, never as 0.00.
/// The base and a third scenario are a hundredth of the second's size, so that a unit chosen per row
/// (the old rule, from the row's own percentiles or means) mixed 亿元 and 万元 within a metric.
#[test]
fn a_metric_has_one_unit_on_each_sheet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fundsim()
        .arg("compare")
        .arg(tiny_small(dir.path(), "small"))
        .arg(data("tests/data/tiny.toml"))
        .arg(tiny_small(dir.path(), "small_too"))
        .args([
            "--paths", "200", "--seed", "3", "--format", "xlsx", "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let path = out.join("fundsim.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open fundsim.xlsx");
    assert_eq!(
        book.sheet_names(),
        ["概览", "图表", "汇总", "目标", "逐年", "比较", "图表数据"]
    );
    let yearly = csv_rows(&out.join("yearly.csv"));
    let summary = csv_rows(&out.join("summary.csv"));
    let comparison = csv_rows(&out.join("comparison.csv"));
    // (sheet, its number in the workbook, metric column, unit column, money columns, the CSV
    // and the CSV's columns for them)
    let header = |file: &str| -> Vec<String> {
        fs::read_to_string(out.join(file))
            .expect("csv")
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .expect("header")
            .split(',')
            .map(String::from)
            .collect()
    };
    let at = |file: &str, names: &[&str]| -> Vec<usize> {
        let h = header(file);
        names
            .iter()
            .map(|n| h.iter().position(|c| c == n).expect(n))
            .collect()
    };
    // The run is a fair test: some money metric of yearly.csv has rows both above and below
    // 1000万 (the larger of |p05| and |p95|), one of summary.csv has medians on both sides, and
    // one of comparison.csv has the larger of its two means on both sides.
    // The money metrics: those the sheets show in 亿元 or 万元 (yearly.csv names no unit).
    let mut money = std::collections::HashSet::new();
    for (sheet, metric, unit) in [("汇总", 1, 3), ("逐年", 2, 3), ("比较", 2, 4)] {
        let range = book.worksheet_range(sheet).expect(sheet);
        money.extend(
            range
                .rows()
                .filter(|r| matches!(&r[unit], Data::String(u) if u == "亿元" || u == "万元"))
                .map(|r| r[metric].to_string()),
        );
    }
    let straddling = |rows: &[Vec<String>], metric: usize, typical: &dyn Fn(&[String]) -> f64| {
        let mut sides: std::collections::HashMap<&str, (bool, bool)> = Default::default();
        for r in rows.iter().filter(|r| money.contains(&r[metric])) {
            let side = sides.entry(&r[metric]).or_default();
            if typical(r) >= 1e7 {
                side.0 = true;
            } else {
                side.1 = true;
            }
        }
        sides.values().filter(|(a, b)| *a && *b).count()
    };
    let size = |s: &str| s.parse::<f64>().map_or(0.0, f64::abs);
    let [metric, p05, p95] = at("yearly.csv", &["metric", "p05", "p95"])[..] else {
        unreachable!()
    };
    assert!(straddling(&yearly, metric, &|r| size(&r[p05]).max(size(&r[p95]))) > 0);
    let [metric, p50] = at("summary.csv", &["metric", "p50"])[..] else {
        unreachable!()
    };
    assert!(straddling(&summary, metric, &|r| size(&r[p50])) > 0);
    let [metric, base_mean, mean] = at("comparison.csv", &["metric", "base_mean", "mean"])[..]
    else {
        unreachable!()
    };
    assert!(
        straddling(&comparison, metric, &|r| size(&r[base_mean])
            .max(size(&r[mean])))
            > 0
    );
    /// A sheet to check: its name, its number in the workbook, its metric and unit columns, and
    /// its money columns with the CSV's columns they hold.
    struct Sheet<'a> {
        name: &'a str,
        part: usize,
        metric: usize,
        unit: usize,
        csv: &'a [Vec<String>],
        columns: Vec<(usize, usize)>,
    }
    let pair = |first: usize, file: &str, names: &[&str]| -> Vec<(usize, usize)> {
        (first..).zip(at(file, names)).collect()
    };
    let sheets = [
        Sheet {
            name: "汇总",
            part: 3,
            metric: 1,
            unit: 3,
            csv: &summary,
            columns: pair(
                4,
                "summary.csv",
                &["mean", "std", "mcse", "p05", "p25", "p50", "p75", "p95"],
            ),
        },
        Sheet {
            name: "逐年",
            part: 5,
            metric: 2,
            unit: 3,
            csv: &yearly,
            columns: pair(
                4,
                "yearly.csv",
                &["mean", "p05", "p25", "p50", "p75", "p95"],
            ),
        },
        Sheet {
            name: "比较",
            part: 6,
            metric: 2,
            unit: 4,
            csv: &comparison,
            columns: pair(
                5,
                "comparison.csv",
                &[
                    "base_mean",
                    "mean",
                    "diff",
                    "diff_mcse",
                    "diff_low",
                    "diff_high",
                    "unpaired_mcse",
                ],
            ),
        },
    ];
    for Sheet {
        name: sheet,
        part: n,
        metric,
        unit,
        csv,
        columns,
    } in &sheets
    {
        // Values times the named unit are the CSV's.
        same_numbers(&mut book, sheet, csv, Some(*unit), columns);
        // One unit per metric.
        let range = book.worksheet_range(sheet).expect(sheet);
        let mut units: std::collections::HashMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for row in range.rows().skip(1) {
            units
                .entry(row[*metric].to_string())
                .or_default()
                .insert(row[*unit].to_string());
        }
        let mixed: Vec<_> = units.iter().filter(|(_, u)| u.len() > 1).collect();
        assert!(
            mixed.is_empty(),
            "{sheet}: metrics in more than one unit: {mixed:?}"
        );
        assert!(
            units.values().any(|u| u.contains("亿元"))
                && units.values().any(|u| u.contains("万元")),
            "{sheet}: both units in use"
        );
        // A nonzero amount shows at least two significant digits (0.0142 亿元, not 0.01 or 0.00).
        let cells = number_cells(&path, *n);
        let mut small = 0;
        for (r, row) in range.rows().enumerate().skip(1) {
            if !matches!(&row[*unit], Data::String(u) if u == "亿元" || u == "万元") {
                continue;
            }
            for &(c, _) in columns {
                let Some((v, code)) = cells.get(&(r, c)) else {
                    continue;
                };
                assert_eq!(number(&row[c]), Some(*v), "{sheet} row {r} col {c}");
                if *v == 0.0 {
                    continue;
                }
                let d = decimals(code);
                small += usize::from(v.abs() < 0.1);
                assert!(
                    v.abs() * 10f64.powi(d as i32) >= 10.0 - 1e-9,
                    "{sheet} row {r} col {c}: {v} shown as {code}"
                );
            }
        }
        assert!(small > 0, "{sheet}: no small amount to check");
    }
}

/// The headline sheet of a scenario that starts from the fund's book gives what the book's
/// positions cost before the start year (3.83亿, the example book's hand-worked total), and the
/// cost per unicorn's 95% half-width, 1.96 × the `--json` MCSE.
#[test]
fn the_headline_sheet_gives_the_book_s_sunk_cost_and_the_ratio_s_half_width() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let done = fundsim()
        .arg("--json")
        .arg("run")
        .arg(data("scenarios/nantong_book.toml"))
        .args(["--paths", "200", "--seed", "3", "--format", "xlsx"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).expect("json");
    let mcse = doc["scenarios"][0]["net_fiscal_cost_mean_over_additional_unicorns_mean_mcse"]
        .as_f64()
        .expect("mcse");
    let mut book: Xlsx<_> = open_workbook(out.join("fundsim.xlsx")).expect("open fundsim.xlsx");
    let headline = book.worksheet_range("概览").expect("概览");
    let header: Vec<String> = (headline.rows().next().expect("header").iter())
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| {
        (header.iter().position(|h| h.starts_with(name)))
            .unwrap_or_else(|| panic!("{name}: {header:?}"))
    };
    let sunk = number(
        headline
            .get((1, col("起始年前已投入（沉没成本，亿元）")))
            .expect("cell"),
    );
    assert_eq!(sunk, Some(3.83));
    let half = number(
        headline
            .get((1, col("其95%区间半宽（亿元）")))
            .expect("cell"),
    )
    .expect("half");
    assert!(
        (half - 1.959964 * mcse / 1e8).abs() < 1e-6,
        "{half} vs {mcse}"
    );
}

/// A study on a 0/1 metric known by its unit (`met.<target>`, not only `p.<target>`) shows its
/// means, swings and intervals as percentages, as one on `p.<target>` does.
#[test]
fn a_study_on_a_met_metric_shows_percentages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let formats = |metric: &str| -> Vec<String> {
        let out = dir.path().join(metric);
        fundsim()
            .arg("sensitivity")
            .arg(data("tests/data/tiny.toml"))
            .args(["--metric", metric])
            .args(["--input", "industries.ic.arrivals_per_year=5..15"])
            .args(["--paths", "100", "--format", "xlsx", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        let cells = number_cells(&out.join("fundsim.xlsx"), 1);
        // Columns at_low (5) and swing (9) of the first row.
        [5, 9].iter().map(|&c| cells[&(1, c)].1.clone()).collect()
    };
    assert_eq!(formats("p.projects"), ["0.0%", "0.0%"]);
    assert_eq!(formats("met.projects"), ["0.0%", "0.0%"]);
}
