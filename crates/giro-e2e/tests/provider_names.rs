//! A provider is one folder: outside its adapter and simulator folders, its name appears in code
//! only where it is registered (`crates/giro-providers/src/lib.rs`, `crates/giro-sandbox/src/lib.rs`)
//! and in the default configuration (`crates/giro-domain/src/provider.rs`). Comments and test
//! code may name it.

use std::path::{Path, PathBuf};

/// Where a provider's name may stand outside its folders.
const REGISTRATION_AND_DEFAULTS: [&str; 3] = [
    "crates/giro-providers/src/lib.rs",
    "crates/giro-sandbox/src/lib.rs",
    "crates/giro-domain/src/provider.rs",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The providers: the adapter folders of `giro-providers` (a folder holding `adapter.rs`).
fn providers(root: &Path) -> Vec<String> {
    let dir = root.join("crates/giro-providers/src");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("adapter.rs").is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file: up to its `#[cfg(test)]` module, without `//` comments.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    code.lines()
        .enumerate()
        .map(|(i, line)| {
            let code = line.split("//").next().unwrap_or(line);
            (i + 1, code.to_lowercase())
        })
        .collect()
}

/// Whether `relative` (a path under the workspace) lies in `provider`'s own folder or file.
fn owned_by(relative: &str, provider: &str) -> bool {
    relative
        .split('/')
        .any(|part| part == provider || part == format!("{provider}.rs"))
}

#[test]
fn no_code_outside_a_providers_folders_names_it_but_its_registration_and_defaults() {
    let root = workspace();
    let names = providers(&root);
    assert!(names.len() >= 3, "adapter folders found: {names:?}");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).expect("crates/") {
        rust_files(&krate.expect("a crate").path().join("src"), &mut files);
    }
    assert!(files.len() > 100, "only {} source files found", files.len());
    let mut found = Vec::new();
    for path in files {
        let relative = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if REGISTRATION_AND_DEFAULTS.contains(&relative.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        for (number, line) in code_lines(&text) {
            for name in names.iter().filter(|n| !owned_by(&relative, n)) {
                if line.contains(name.as_str()) {
                    found.push(format!("{relative}:{number}: {name}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "provider names outside their folders, registration and default configuration:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_a_name_in_code_and_not_in_comments_or_tests() {
    let text =
        "let a = \"killb\"; // cashy\n#[cfg(test)]\nmod tests { const X: &str = \"a55\"; }\n";
    let lines = code_lines(text);
    assert!(lines[0].1.contains("killb"));
    assert!(
        lines
            .iter()
            .all(|(_, l)| !l.contains("cashy") && !l.contains("a55"))
    );
    assert!(owned_by("crates/giro-sandbox/src/cashy/args.rs", "cashy"));
    assert!(owned_by("crates/giro-providers/src/killb.rs", "killb"));
    assert!(!owned_by("crates/giro-stack/src/lib.rs", "killb"));
}
