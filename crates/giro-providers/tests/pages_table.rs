//! The README's table of the providers' pages (section "Provider pages: what Giro implements and
//! where it is tested") names, for every documented operation and rule, the file that implements
//! it and the tests that check it. This test holds the table to that: every page has rows, no row
//! is without a test, and every file and test function it names exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const SECTION: &str = "## Provider pages: what Giro implements and where it is tested";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One row: page, operation or rule, implemented in, tested by.
struct Row {
    line: usize,
    page: String,
    what: String,
    implemented: Vec<String>,
    tests: Vec<String>,
}

/// The code spans (`…`) of a cell.
fn spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn rows(readme: &str) -> Vec<Row> {
    let start = readme
        .find(SECTION)
        .unwrap_or_else(|| panic!("README.md has no section {SECTION:?}"));
    let first_line = readme[..start].lines().count() + 1;
    let body = &readme[start + SECTION.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut rows = Vec::new();
    for (i, line) in body.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') || line.starts_with("|---") || line.starts_with("| page ") {
            continue;
        }
        // Cells split on `|` not escaped as `\|`.
        let cells: Vec<String> = line
            .trim_matches('|')
            .replace("\\|", "\u{0}")
            .split('|')
            .map(|c| c.trim().replace('\u{0}', "|"))
            .collect();
        assert_eq!(
            cells.len(),
            4,
            "README.md line {}: a row has four cells (page, operation, implemented in, tested by): {line}",
            first_line + i
        );
        rows.push(Row {
            line: first_line + i,
            page: cells[0].clone(),
            what: cells[1].clone(),
            implemented: spans(&cells[2]),
            tests: spans(&cells[3]),
        });
    }
    rows
}

/// Whether `source` defines a test function `name`: a Rust `fn` with a test attribute
/// (`#[test]`, `#[tokio::test]`, …) on one of the three lines above it, or a Python unittest
/// method `def test_…(`.
fn defines_test(source: &str, name: &str) -> bool {
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    lines.iter().enumerate().any(|(i, line)| {
        let rust = [format!("fn {name}("), format!("async fn {name}(")]
            .iter()
            .any(|d| line.starts_with(d.as_str()));
        let attributed = lines[i.saturating_sub(3)..i]
            .iter()
            .any(|above| above.starts_with("#[") && above.contains("test"));
        let python = name.starts_with("test_") && line.starts_with(&format!("def {name}("));
        (rust && attributed) || python
    })
}

#[test]
fn every_documented_operation_has_an_implementation_and_a_test_that_exist() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let rows = rows(&readme);
    assert!(
        rows.len() >= 40,
        "the table lists every operation and rule of five pages: only {} rows",
        rows.len()
    );
    let mut pages = BTreeSet::new();
    let mut problems = Vec::new();
    for row in &rows {
        pages.insert(row.page.clone());
        if row.what.is_empty() {
            problems.push(format!("line {}: no operation or rule", row.line));
        }
        if row.implemented.is_empty() {
            problems.push(format!(
                "line {}: {}: no implementing file",
                row.line, row.what
            ));
        }
        for file in &row.implemented {
            let path = file.split("::").next().unwrap_or(file);
            if !root.join(path).exists() {
                problems.push(format!("line {}: {}: no file {path}", row.line, row.what));
            }
        }
        if row.tests.is_empty() {
            problems.push(format!("line {}: {}: no test", row.line, row.what));
        }
        for test in &row.tests {
            let Some((file, name)) = test.split_once("::") else {
                problems.push(format!(
                    "line {}: {}: {test:?} is not <file>::<test fn>",
                    row.line, row.what
                ));
                continue;
            };
            match std::fs::read_to_string(root.join(file)) {
                Ok(source) if defines_test(&source, name) => {}
                Ok(_) => problems.push(format!(
                    "line {}: {}: {file} has no test fn {name}",
                    row.line, row.what
                )),
                Err(e) => problems.push(format!("line {}: {}: {file}: {e}", row.line, row.what)),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "README table:\n{}",
        problems.join("\n")
    );
    let seeds: Vec<String> = ["000", "001", "002", "003", "004"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    for seed in seeds {
        assert!(
            pages.iter().any(|p| p.contains(&seed)),
            "the table has no row for page {seed}"
        );
    }
}
