//! `cargo xtask tidy`: checks over the source tree that the compiler and
//! clippy do not make.
//!
//! - every `.rs` file under a `src/` folder starts with a `//!` module doc;
//! - no test is ignored or expected to panic, anywhere;
//! - no debugging or placeholder macro outside test code;
//! - every crate has a README.md.

use std::path::{Path, PathBuf};

use crate::run::project_root;

pub(crate) fn run() -> Result<(), String> {
    let root = project_root();
    let mut files = Vec::new();
    for top in ["crates", "tests", "xtask"] {
        collect_rs(&root.join(top), &mut files);
    }
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let shown = file.strip_prefix(&root).unwrap_or(file);
        problems.extend(check_file(shown, &text));
    }
    problems.extend(missing_readmes(&root));
    if problems.is_empty() {
        println!("tidy: {} files clean", files.len());
        Ok(())
    } else {
        for p in &problems {
            eprintln!("tidy: {p}");
        }
        Err(format!("{} tidy problem(s)", problems.len()))
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules" | ".git") {
                collect_rs(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// True for files that are test code as a whole.
fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests" || c.as_os_str() == "testkit")
            && !path.starts_with("tests/src")
}

fn check_file(path: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let shown = path.display();
    let in_src = path.components().any(|c| c.as_os_str() == "src");
    if in_src && !text.trim_start().starts_with("//!") {
        problems.push(format!("{shown}: does not start with a `//!` module doc"));
    }
    // The patterns are assembled so this file does not match itself.
    let banned_attrs = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    let banned_macros =
        [concat!("todo", "!("), concat!("unimplemented", "!("), concat!("dbg", "!(")];
    let mut in_tests = is_test_file(path);
    for (index, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        if code.starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        for attr in banned_attrs {
            if code.contains(attr) {
                problems.push(format!(
                    "{shown}:{}: `{attr}]` is not allowed: check a result instead",
                    index + 1
                ));
            }
        }
        if !in_tests {
            for mac in banned_macros {
                if code.contains(mac) {
                    problems.push(format!("{shown}:{}: `{mac}..)` outside tests", index + 1));
                }
            }
        }
    }
    problems
}

fn missing_readmes(root: &Path) -> Vec<String> {
    let mut dirs = vec![root.join("tests"), root.join("xtask")];
    if let Ok(entries) = std::fs::read_dir(root.join("crates")) {
        dirs.extend(entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()));
    }
    dirs.sort();
    dirs.into_iter()
        .filter(|dir| dir.join("Cargo.toml").is_file() && !dir.join("README.md").is_file())
        .map(|dir| {
            format!("{}: crate has no README.md", dir.strip_prefix(root).unwrap_or(&dir).display())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(path: &str, text: &str) -> Vec<String> {
        check_file(Path::new(path), text)
    }

    #[test]
    fn a_documented_module_is_clean() {
        assert!(problems("crates/a/src/lib.rs", "//! Does a thing.\n\npub fn f() {}\n").is_empty());
    }

    #[test]
    fn an_undocumented_module_is_named() {
        let p = problems("crates/a/src/x.rs", "pub fn f() {}\n");
        assert_eq!(p, ["crates/a/src/x.rs: does not start with a `//!` module doc"]);
    }

    #[test]
    fn integration_test_files_need_no_module_doc() {
        assert!(problems("crates/a/tests/it.rs", "#[test]\nfn t() {}\n").is_empty());
    }

    #[test]
    fn ignored_tests_are_named_even_in_tests() {
        let text = concat!("//! Tests.\n#[test]\n#[", "ignore]\nfn t() {}\n");
        let p = problems("crates/a/tests/it.rs", text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("crates/a/tests/it.rs:3:"), "{p:?}");
    }

    #[test]
    fn placeholders_are_named_outside_tests_only() {
        let text = concat!(
            "//! M.\nfn f() { ",
            "todo",
            "!() }\n#[cfg(test)]\nmod tests { fn g() { ",
            "dbg",
            "!(1); } }\n"
        );
        let p = problems("crates/a/src/lib.rs", text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("crates/a/src/lib.rs:2:"), "{p:?}");
    }
}
