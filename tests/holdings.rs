//! Starting from a fund's book (`holdings = "book.csv"`): hand-worked results of a book with no
//! randomness left, a book of zero rows is the plain scenario, the example book runs, and bad
//! rows are located (file, line, column) with exit 2 and nothing written.

use assert_cmd::Command;
use fundsim::model::compile;
use fundsim::run::{RunSettings, Silent, run};
use fundsim::scenario::load_file;
use std::path::Path;

mod common;
use common::{one_industry, stage};

const PATHS: u64 = 64;

/// Writes `scenario.toml` (naming `book.csv` when `book` is given) and the book into `dir`.
fn write(dir: &Path, scenario: &str, book: Option<&str>) -> std::path::PathBuf {
    let mut text = String::new();
    if let Some(b) = book {
        std::fs::write(dir.join("book.csv"), b).unwrap();
        text.push_str("holdings = \"book.csv\"\n");
    }
    text.push_str(scenario);
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Per-path values of each named scalar.
fn scalars(path: &Path, names: &[&str]) -> Vec<Vec<f64>> {
    let (_, file) = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let model = compile(&file);
    let result = run(&model, RunSettings::new(PATHS, 7), &Silent);
    names
        .iter()
        .map(|n| {
            let i = (result.catalogue.scalars.iter())
                .position(|c| c.name == *n)
                .unwrap_or_else(|| panic!("no scalar {n}"));
            result.scalars[i].clone()
        })
        .collect()
}

/// Asserts that each named scalar is `want` (to the fen) on every path.
fn every_path(path: &Path, names: &[&str], want: &[f64]) {
    for ((name, values), want) in names.iter().zip(scalars(path, names)).zip(want) {
        assert!(
            values.iter().all(|&x| (x - want).abs() < 0.005),
            "{name}: {:?} (want {want} on every path)",
            &values[..4]
        );
    }
}

/// Stage A firms are all acquired in their first year at 2× their mark; marks do not age.
fn certain_exit(instruments: &str) -> String {
    let stages = stage("seed", (0.0, 0.0, 0.0), 0) + &stage("A", (0.0, 1.0, 0.0), 0);
    let after = format!(
        "[valuation]\nstale_decay = 0\nstate_transfer_discount = 0\nstate_transfer_delay_years = 0\n{instruments}"
    );
    one_industry(3, &stages, &after)
}

const EQUITY: &str = r#"
[[instruments.direct_equity]]
id = "equity"
budget = 0
ticket = "100万"
max_round_share = "50%"
"#;

const HEADER: &str = "instrument,firm,industry,stage,founded,last_round_year,post_money,revenue,stake,paid,paid_year\n";

#[test]
fn one_stake_with_no_randomness_left_pays_the_hand_worked_amount() {
    // The city holds 10% of firm f (stage A, last round 2023 at 1亿), paid 500万 in 2023. Stage A
    // firms are acquired in 2024 with certainty at 2 × the mark: 2亿, so the city receives
    // 10% × 2亿 = 2000万 in 2024, on every path. The 500万 was paid before 2024: sunk, not outlay.
    // Net fiscal cost = outlay 0 − money back 2000万 − holdings 0 = −2000万.
    let dir = tempfile::tempdir().unwrap();
    let book = format!("{HEADER}equity,f,x,A,2020,2023,1亿,100万,10%,500万,2023\n");
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    let names = [
        "money_back",
        "sunk_cost",
        "fiscal_outlay",
        "holdings_value",
        "net_fiscal_cost",
        "money_back.equity",
    ];
    every_path(&path, &names, &[2e7, 5e6, 0.0, 0.0, -2e7, 2e7]);
}

#[test]
fn an_inherited_fund_at_the_end_of_its_life_winds_up_in_the_first_year() {
    // A Takahashi–Alexander programme (life 10, rates 25%/33.3%/50%, growth 10%, no market
    // loading). The city's interest: commitment 4000万, called 3000万 (1000万 unfunded),
    // distributed 500万, NAV 3000万, closed 2015: age 9 at the start of 2024, so 2024 is year
    // t = 10 = L. Call C = RC_10 × 1000万 = 50% × 1000万 = 500万 (new fiscal outlay); the final
    // year distributes NAV × (1 + G) + C = 3300万 + 500万 = 3800万. Sunk: the 3000万 called.
    let dir = tempfile::tempdir().unwrap();
    let fund = r#"
[[instruments.sub_fund]]
id = "fof"
budget = 0
fund_size = "2亿"
city_share = "20%"
takahashi_alexander = { contribution_rates = [0.25, 0.333, 0.5], life = 10, bow = 2.5, yield = 0, growth = 0.1, growth_beta = 0 }
"#;
    let book = "instrument,commitment,called,distributed,nav,vintage\nfof,4000万,3000万,500万,3000万,2015\n";
    let path = write(dir.path(), &certain_exit(fund), Some(book));
    let names = ["fiscal_outlay", "money_back", "sunk_cost", "holdings_value"];
    every_path(&path, &names, &[5e6, 3.8e7, 3e7, 0.0]);
}

#[test]
fn a_pending_grant_converts_at_the_next_round_and_a_loan_runs_to_its_term() {
    // A 拨投 grant of 500万 paid in 2023 to a seed firm valued 1000万. Seed firms raise their A round
    // in 2024 with certainty (step-up 10×: post-money 1亿) and A firms are acquired the year after
    // at 2 × 1亿. The grant converts at the A round: 500万 / 1亿 = 5%, diluted by nothing after,
    // so the city receives 5% × 2亿 = 1000万 in 2025. A 1000万 loan to the same firm made in 2023,
    // term 3 years, no defaults: repaid in 2026 — unless its firm is acquired first, which does not
    // end a loan; the fee goes to the guarantor. Money back = 1000万; sunk = 500万 (the loan's
    // principal was the bank's).
    let dir = tempfile::tempdir().unwrap();
    let stages = stage("seed", (1.0, 0.0, 0.0), 0) + &stage("A", (0.0, 1.0, 0.0), 0);
    let instruments = r#"
[valuation]
stale_decay = 0
state_transfer_discount = 0
state_transfer_delay_years = 0
[[instruments.convertible_grant]]
id = "bgt"
budget = 0
amount = "500万"
[[instruments.guarantee]]
id = "guar"
volume = 0
loan_size = "1000万"
term_years = 3
cover_share = "40%"
fee_rate = "0.5%"
base_default_rate = 0
loss_given_default = "60%"
"#;
    let scenario = one_industry(4, &stages, instruments);
    let book = "instrument,firm,industry,stage,founded,last_round_year,post_money,revenue,paid,paid_year,principal\n\
                bgt,g,x,seed,2023,2023,1000万,100万,500万,2023,\n\
                guar,g,x,seed,2023,2023,1000万,100万,,2023,1000万\n";
    let path = write(dir.path(), &scenario, Some(book));
    let names = ["money_back", "sunk_cost", "money_back.bgt", "fiscal_outlay"];
    every_path(&path, &names, &[1e7, 5e6, 1e7, 0.0]);
}

#[test]
fn a_book_of_zero_rows_is_the_plain_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    let base = std::fs::read_to_string("scenarios/nantong_baseline.toml").unwrap();
    let a = write(&plain, &base, None);
    let b = write(&empty, &base, Some(&format!("\u{feff}{HEADER}")));
    let out = |scenario: &Path, dir: &str| {
        let out = tempfile::tempdir().unwrap();
        Command::cargo_bin("fundsim")
            .unwrap()
            .args([
                "run",
                scenario.to_str().unwrap(),
                "--paths",
                "300",
                "--seed",
                "5",
                "--quiet",
            ])
            .arg("--out")
            .arg(out.path().join(dir))
            .assert()
            .success();
        out
    };
    let (x, y) = (out(&a, "o"), out(&b, "o"));
    for f in ["summary.csv", "yearly.csv", "targets.csv", "indicators.csv"] {
        let p = std::fs::read(x.path().join("o").join(f)).unwrap();
        let q = std::fs::read(y.path().join("o").join(f)).unwrap();
        assert!(
            p == q,
            "{f} differs between the plain scenario and an empty book"
        );
    }
}

#[test]
fn the_example_book_runs_and_its_positions_pay() {
    // The bundled example: the book adds its proceeds to money back, and its cost is sunk.
    let names = ["money_back.equity", "sunk_cost", "money_back.fof"];
    let v = scalars(Path::new("scenarios/nantong_book.toml"), &names);
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    // Sunk: 10 stakes (2.65亿) + 6 拨投 grants (3000万) + fund calls (8800万) = 3.83亿, exactly.
    assert!(v[1].iter().all(|&x| x == 3.83e8), "{:?}", &v[1][..3]);
    assert!(mean(&v[0]) > 0.0, "the stakes return money");
    assert!(mean(&v[2]) > 0.0);
}

#[test]
fn the_report_says_the_run_starts_from_the_book_and_what_it_cost() {
    // The example book: 17 firms, 22 positions, 3.83亿 sunk (the hand-worked total of
    // `the_example_book_runs_and_its_positions_pay`), stated where the scenario's numbers start.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_cmd::Command::cargo_bin("fundsim")
        .unwrap()
        .args([
            "run",
            "scenarios/nantong_book.toml",
            "--paths",
            "20",
            "--report",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("从基金持仓起步：scenarios/holdings_example.csv，17 家企业、22 个头寸；起始年前已投入 3.83亿"),
        "no book line"
    );
}

#[test]
fn deals_name_the_book_s_firms() {
    // deals.csv's `book_firm` gives each position in a firm of the book that firm's name from the
    // book (its numeric `firm` id changes from path to path with the local base). Every firm of
    // the example book is named on path 0.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_cmd::Command::cargo_bin("fundsim")
        .unwrap()
        .args([
            "run",
            "scenarios/nantong_book.toml",
            "--paths",
            "20",
            "--deals",
            "3",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let book = std::fs::read_to_string("scenarios/holdings_example.csv").unwrap();
    let named: std::collections::BTreeSet<String> = (book.lines().skip(1))
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let text = std::fs::read_to_string(out.join("deals.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (path, firm, entry, name) = (
        col("path"),
        col("firm"),
        col("entry_year"),
        col("book_firm"),
    );
    let mut seen = std::collections::BTreeSet::new();
    for r in reader.records().map(Result::unwrap) {
        // The book's own positions (paid before the start year) are all in named firms; a
        // position the run took later may be in one of the book's firms too (a grant to it), and
        // is then named; a fund commitment has no firm and no name.
        let before_start = r[entry].parse::<i32>().unwrap() < 2024;
        if r[firm].is_empty() {
            assert!(r[name].is_empty(), "{r:?}");
        } else if before_start || !r[name].is_empty() {
            assert!(named.contains(&r[name]), "{r:?}");
            if &r[path] == "0" && before_start {
                seen.insert(r[name].to_string());
            }
        }
    }
    assert_eq!(seen, named);
}

#[test]
fn bad_rows_are_located_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let book = format!(
        "{HEADER}equity,f,x,A,2020,2023,1亿,100万,10%,500万,2023\n\
         equity,h,x,B,2020,2023,1亿,100万,10%,500万,2023\n\
         equity,k,x,A,2020,2023,1亿,100万,250%,500万,2023\n\
         equity,f,x,A,2020,2022,1亿,100万,5%,300万,2022\n"
    );
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    let out = dir.path().join("out");
    let err = refused(&path, &out);
    let csv = dir.path().join("book.csv").display().to_string();
    for expected in [
        format!("{csv}:3:"),
        "stage: unknown stage of industry x \"B\": allowed are seed, A".to_string(),
        format!("{csv}:4:"),
        "stake: \"250%\" is not a share of the firm".to_string(),
        format!("{csv}:5:"),
        "last_round_year: firm \"f\" is described differently on line 2: last_round_year is \"2022\" here and \"2023\" there".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    assert!(!out.exists(), "nothing may be written on bad input");
    // Positions that hold nothing any more are refused: a loan whose 3-year term ended before
    // 2024, a 拨投 grant whose 2-year conversion window has passed.
    let scenario = certain_exit(
        "[[instruments.guarantee]]\nid = \"guar\"\nvolume = 0\nloan_size = \"100万\"\nterm_years = 3\ncover_share = \"40%\"\nfee_rate = 0\nbase_default_rate = 0\nloss_given_default = \"60%\"\n\
         [[instruments.convertible_grant]]\nid = \"bgt\"\nbudget = 0\namount = \"500万\"\nconversion_window_years = 2\n",
    );
    let book = "instrument,firm,industry,stage,founded,last_round_year,post_money,revenue,paid,paid_year,principal\n\
                guar,g,x,A,2015,2020,1亿,100万,,2020,100万\n\
                bgt,g,x,A,2015,2020,1亿,100万,500万,2021,\n";
    let path2 = write(dir.path(), &scenario, Some(book));
    let assert = Command::cargo_bin("fundsim")
        .unwrap()
        .args(["validate", path2.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("so this one was repaid before 2024"), "{err}");
    assert!(
        err.contains("conversion window of 2 years ended before 2024"),
        "{err}"
    );
    // A missing book is bad input too.
    std::fs::remove_file(dir.path().join("book.csv")).unwrap();
    let assert = Command::cargo_bin("fundsim")
        .unwrap()
        .args(["validate", path.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("cannot read the holdings file"), "{err}");
}

#[test]
fn a_stake_written_as_a_percentage_without_percent_gets_the_hint() {
    // A stake of 80 (meant 80%) was refused without the hint p_round and discount_rate give.
    let dir = tempfile::tempdir().unwrap();
    let book = format!("{HEADER}equity,f,x,A,2020,2023,1亿,100万,80,500万,2023\n");
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    let err = refused(&path, &dir.path().join("out"));
    let csv = dir.path().join("book.csv").display().to_string();
    for expected in [
        format!("{csv}:2:"),
        "stake: \"80\" is not a share of the firm: allowed is more than 0 and at most 1"
            .to_string(),
        "; if you meant 80%, write \"80%\" or 0.8".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn a_small_bare_amount_in_the_book_is_refused_as_in_a_scenario() {
    // post_money 8 (meant 8亿) valued the firm at 8 yuan, and its stake then paid next to
    // nothing; revenue 6000 and paid 3000 (meant 万) were taken as yuan too. A bare amount that is
    // not 0 must be at least 10,000 yuan, as a per-firm amount of a scenario file.
    let dir = tempfile::tempdir().unwrap();
    let book = format!(
        "{HEADER}equity,f,x,A,2020,2023,8,100万,10%,500万,2023\n\
         equity,g,x,A,2020,2023,1亿,6000,10%,3000,2023\n"
    );
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    let out = dir.path().join("out");
    let err = refused(&path, &out);
    let csv = dir.path().join("book.csv").display().to_string();
    let line2 = "equity,f,x,A,2020,2023,";
    let line3 = "equity,g,x,A,2020,2023,1亿,";
    for expected in [
        format!(
            "{csv}:2:{}: post_money: amount 8 yuan is not allowed as a bare number: a bare number is yuan, and below 10000 yuan it must carry its unit; if you meant 8亿 or 8万, write \"8亿\" or \"8万\" (or \"8元\" for 8 yuan)",
            line2.chars().count() + 1
        ),
        format!(
            "{csv}:3:{}: revenue: amount 6000 yuan is not allowed as a bare number: a bare number is yuan, and below 10000 yuan it must carry its unit; if you meant 6000万, write \"6000万\" (or \"6000元\" for 6000 yuan)",
            line3.chars().count() + 1
        ),
        format!("{csv}:3:"),
        "paid: amount 3000 yuan is not allowed as a bare number".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    assert!(!out.exists(), "nothing may be written on bad input");
    // With its unit a small amount is what it says, and 0 and 10,000 yuan or more stay bare: a
    // firm valued at 8元 holds a stake worth next to nothing, which is the file's to say.
    let book = format!(
        "{HEADER}equity,f,x,A,2020,2023,8元,0,10%,10000,2023\n\
         equity,g,x,A,2020,2023,100000000,¥6000,10%,3000万,2023\n"
    );
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    // Sunk: 10000 + 3000万; money back: 10% × 2 × (8 + 1亿) on every path.
    every_path(
        &path,
        &["sunk_cost", "money_back"],
        &[30_010_000.0, 20_000_001.6],
    );
}

#[test]
fn a_book_as_excel_exports_it_with_years_like_2023_0_and_amounts_like_1e08() {
    // Excel writes 1亿 as 1.00E+08 in a narrow or scientific cell, and a year held as a number
    // with a decimal format as 2023.0: the hand-worked book of
    // `one_stake_with_no_randomness_left_pays_the_hand_worked_amount`, so exported, pays the same.
    let dir = tempfile::tempdir().unwrap();
    let book = format!("{HEADER}equity,f,x,A,2020.0,2023.0,1.00E+08,1E+06,10%,5.00E+06,2023.0\n");
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    every_path(&path, &["money_back", "sunk_cost"], &[2e7, 5e6]);
    // A year with a fraction is not a year; scientific notation is a bare number, held to the
    // same floor.
    let book = format!("{HEADER}equity,f,x,A,2020,2023.5,8.00E+00,100万,10%,500万,2023\n");
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    let err = refused(&path, &dir.path().join("out"));
    for expected in [
        "last_round_year: \"2023.5\" is not allowed: a year from 2020 to 2023",
        "post_money: amount 8 yuan is not allowed as a bare number",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn a_value_past_the_header_s_columns_is_refused() {
    // The header names 11 columns; a twelfth cell with a value would be dropped unread. Empty
    // trailing cells (some exports write them) carry nothing and are fine.
    let dir = tempfile::tempdir().unwrap();
    let book = format!(
        "{HEADER}equity,f,x,A,2020,2023,1亿,100万,10%,500万,2023,,\n\
         equity,g,x,A,2020,2023,1亿,100万,10%,500万,2023,,note\n"
    );
    let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
    let out = dir.path().join("out");
    let err = refused(&path, &out);
    let csv = dir.path().join("book.csv").display().to_string();
    // Line 3, at the character where the cell `note` starts.
    let row = "equity,g,x,A,2020,2023,1亿,100万,10%,500万,2023,,";
    let col = row.chars().count() + 1;
    for expected in [
        format!("{csv}:3:{col}"),
        "\"note\" is in column 13, past the header's 11 columns".to_string(),
        "name the column in the header, or leave the cell empty".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    assert!(!err.contains(&format!("{csv}:2:")), "{err}");
    assert!(!out.exists(), "nothing may be written on bad input");
}

#[test]
fn crlf_and_blank_lines_keep_their_line_numbers() {
    // The same book with Windows line ends and with LF, blank lines between its rows: a bad stake on
    // the file's line 4 and, on line 7, a firm described differently from line 4 are located on
    // those lines, at the cell that is wrong (the csv reader's own position lags behind each CRLF
    // and blank line).
    let rows = [
        HEADER.trim_end(),
        "equity,f,x,A,2020,2023,1亿,100万,10%,500万,2023",
        "",
        "equity,g,x,A,2020,2023,1亿,100万,250%,500万,2023",
        "",
        "",
        "equity,g,x,A,2021,2023,1亿,100万,10%,500万,2023",
    ];
    // 1-based columns, in characters, of the stake of line 4 and the founding year of line 7.
    let stake_col = "equity,g,x,A,2020,2023,1亿,100万,".chars().count() + 1;
    let founded_col = "equity,g,x,A,".chars().count() + 1;
    for (name, end, bom) in [("LF", "\n", ""), ("CRLF", "\r\n", "\u{feff}")] {
        let dir = tempfile::tempdir().unwrap();
        let book = format!("{bom}{}{end}", rows.join(end));
        let path = write(dir.path(), &certain_exit(EQUITY), Some(&book));
        let assert = Command::cargo_bin("fundsim")
            .unwrap()
            .args(["validate", path.to_str().unwrap()])
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        let csv = dir.path().join("book.csv").display().to_string();
        for expected in [
            format!("{csv}:4:{stake_col}: stake: \"250%\" is not a share of the firm"),
            format!(
                "{csv}:7:{founded_col}: founded: firm \"g\" is described differently on line 4: founded is \"2021\" here and \"2020\" there"
            ),
        ] {
            assert!(
                err.contains(&expected),
                "{name}: missing `{expected}` in:\n{err}"
            );
        }
    }
}

#[test]
fn a_firm_s_stakes_add_up_to_at_most_100_percent() {
    // Firm f (stage A, marked 1亿) held by two programmes, 60% and 40%: the whole firm. Stage A
    // firms are acquired in 2024 at 2 × the mark, so the city receives 100% × 2亿 = 2亿, 1.2亿 to
    // the first programme and 8000万 to the second, on every path.
    let dir = tempfile::tempdir().unwrap();
    let two = format!("{EQUITY}{}", EQUITY.replace("\"equity\"", "\"equity2\""));
    let whole = format!(
        "{HEADER}equity,f,x,A,2020,2023,1亿,100万,60%,3000万,2023\n\
         equity2,f,x,A,2020,2023,1亿,100万,0.4,2000万,2022\n"
    );
    let path = write(dir.path(), &certain_exit(&two), Some(&whole));
    let names = ["money_back", "money_back.equity", "money_back.equity2"];
    every_path(&path, &names, &[2e8, 1.2e8, 8e7]);

    // More than the whole firm is refused, however it is split: the same row three times (300%,
    // which would be paid out three times), and 60% + 50% under two programmes, located at the
    // row that takes the total past 100%, with every line and the total.
    let row = "equity,g,x,A,2020,2023,1亿,100万,100%,3000万,2020";
    let cases = [
        (
            format!("{HEADER}{row}\n{row}\n{row}\n"),
            (3, "equity,"),
            "firm \"g\" (industry x) is held in stakes that add up to 300% (100% on line 2, 100% on line 3, 100% on line 4)",
        ),
        (
            format!(
                "{HEADER}equity,f,x,A,2020,2023,1亿,100万,60%,3000万,2023\n\
                 equity,k,x,A,2020,2023,1亿,100万,60%,3000万,2023\n\
                 equity2,f,x,A,2020,2023,1亿,100万,0.5,2000万,2022\n"
            ),
            (4, "equity2,"),
            "firm \"f\" (industry x) is held in stakes that add up to 110% (60% on line 2, 50% on line 4)",
        ),
    ];
    for (book, (line, instrument), expected) in cases {
        // The 1-based column, in characters, of the row's stake.
        let stake_col = format!("{instrument}f,x,A,2020,2023,1亿,100万,")
            .chars()
            .count()
            + 1;
        let path = write(dir.path(), &certain_exit(&two), Some(&book));
        let out = dir.path().join("out");
        let err = refused(&path, &out);
        let csv = dir.path().join("book.csv").display().to_string();
        for expected in [
            format!("{csv}:{line}:{stake_col}: stake: {expected}"),
            "allowed is at most 100% of a firm in all".to_string(),
        ] {
            assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
        }
        assert_eq!(err.matches("error:").count(), 1, "{err}");
        assert!(!out.exists(), "nothing may be written on bad input");
    }
}

#[test]
fn a_loan_due_and_a_grant_s_window_ending_in_the_start_year_are_still_held() {
    // The engine settles a loan in year paid_year + term after that year's default draw, and a
    // pending grant converts at a round in year paid_year + window before it lapses. So both are
    // live in the start year (2024) and the book carries them.
    //
    // A 1000万 loan of 2021 with a 3-year term, defaults certain (base rate 100%): it defaults in
    // 2024 and the city pays its cover times the loss given default, 40% × 60% × 1000万 = 240万,
    // on every path. With no defaults it is repaid in 2024 and costs nothing.
    let dir = tempfile::tempdir().unwrap();
    let guarantee = |rate: &str| {
        format!(
            "[[instruments.guarantee]]\nid = \"guar\"\nvolume = 0\nloan_size = \"1000万\"\nterm_years = 3\n\
             cover_share = \"40%\"\nfee_rate = 0\nbase_default_rate = {rate}\nloss_given_default = \"60%\"\n"
        )
    };
    let book = "instrument,firm,industry,stage,founded,last_round_year,post_money,revenue,principal,paid_year\n\
                guar,g,x,A,2015,2020,1亿,100万,1000万,2021\n";
    let names = [
        "fiscal_outlay",
        "fiscal_outlay.guar",
        "guaranteed_principal",
    ];
    let path = write(dir.path(), &certain_exit(&guarantee("1")), Some(book));
    every_path(&path, &names, &[2.4e6, 2.4e6, 0.0]);
    let path = write(dir.path(), &certain_exit(&guarantee("0")), Some(book));
    every_path(&path, &names, &[0.0, 0.0, 0.0]);

    // A 拨投 grant of 500万 paid in 2022 under a 2-year conversion window, to a seed firm that
    // raises its A round in 2024 with certainty (post-money 10 × 1000万 = 1亿): it converts at
    // 500万 / 1亿 = 5%, and the A firm is acquired in 2025 at 2 × 1亿, paying 5% × 2亿 = 1000万.
    let stages = stage("seed", (1.0, 0.0, 0.0), 0) + &stage("A", (0.0, 1.0, 0.0), 0);
    let grant = "[valuation]\nstale_decay = 0\nstate_transfer_discount = 0\nstate_transfer_delay_years = 0\n\
                 [[instruments.convertible_grant]]\nid = \"bgt\"\nbudget = 0\namount = \"500万\"\nconversion_window_years = 2\n";
    let book = "instrument,firm,industry,stage,founded,last_round_year,post_money,revenue,paid,paid_year\n\
                bgt,g,x,seed,2021,2021,1000万,100万,500万,2022\n";
    let path = write(dir.path(), &one_industry(3, &stages, grant), Some(book));
    every_path(
        &path,
        &["money_back", "money_back.bgt", "sunk_cost"],
        &[1e7, 1e7, 5e6],
    );
}

/// Runs `scenario` (10 paths into `out`), which must be refused with exit code 2; its stderr.
fn refused(scenario: &Path, out: &Path) -> String {
    let assert = Command::cargo_bin("fundsim")
        .unwrap()
        .args(["run", scenario.to_str().unwrap(), "--paths", "10", "--out"])
        .arg(out)
        .assert()
        .code(2);
    String::from_utf8_lossy(&assert.get_output().stderr).to_string()
}

#[test]
fn note_columns_of_an_export_are_kept_and_not_read() {
    // The example book with a 备注 column (a fund's name on its row) and a `#ref` column: the same
    // results to the byte as the book without them.
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string("scenarios/holdings_example.csv").unwrap();
    let mut noted = String::new();
    for (i, line) in example.lines().enumerate() {
        let extra = if i == 0 {
            "备注,#ref".to_string()
        } else {
            format!("第{i}行，含逗号也可\u{ff0c},R-{i}")
        };
        noted.push_str(&format!("{line},{extra}\n"));
    }
    std::fs::write(dir.path().join("noted.csv"), noted).unwrap();
    let scenario = std::fs::read_to_string("scenarios/nantong_book.toml").unwrap();
    let base = std::fs::canonicalize("scenarios").unwrap();
    let text = scenario
        .replace(
            "extends = \"nantong_baseline.toml\"",
            &format!(
                "extends = \"{}\"",
                base.join("nantong_baseline.toml").display()
            ),
        )
        .replace(
            "holdings = \"holdings_example.csv\"",
            "holdings = \"noted.csv\"",
        );
    assert!(text.contains("noted.csv") && text.contains(&base.display().to_string()));
    std::fs::write(dir.path().join("nantong_book.toml"), text).unwrap();
    let run = |file: &Path, out: &Path| {
        assert_cmd::Command::cargo_bin("fundsim")
            .unwrap()
            .arg("run")
            .arg(file)
            .args(["--paths", "30", "--quiet", "--out"])
            .arg(out)
            .assert()
            .success();
        std::fs::read(out.join("summary.csv")).unwrap()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(
        run(Path::new("scenarios/nantong_book.toml"), &a),
        run(&dir.path().join("nantong_book.toml"), &b)
    );
}
