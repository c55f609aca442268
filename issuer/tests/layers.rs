//! The issuer's modules import only from modules below them (see
//! `docs/architecture.md`): read from the source, so a new import that runs
//! back up, or sideways between the workflows, fails here.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

/// Each top-level module and its rank: a module may import only from lower ranks.
const RANKS: &[(&str, u8)] = &[
    ("rules", 0),
    ("model", 1),
    ("error", 2),
    ("privacy", 3),
    ("issue", 3),
    ("qr", 3),
    ("pdf", 4),
    ("secrets", 3),
    ("totp", 3),
    ("sms_texts", 3),
    ("store", 4),
    ("residents", 5),
    ("feeds", 5),
    ("codes", 5),
    ("vectors", 5),
    ("staff_access", 5),
    ("service", 6),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level module a file belongs to (`lib` for `lib.rs`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let first = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_owned()
}

/// The first names after `crate::` in `code`, braces of `use crate::{...}` included.
fn imported_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(tree) = rest.strip_prefix('{') {
            // The first name of each path at depth one of the braces.
            let mut depth = 1;
            let mut name = String::new();
            let mut expecting_name = true;
            for c in tree.chars() {
                let is_ident = c.is_alphanumeric() || c == '_';
                if depth == 1 && is_ident && expecting_name {
                    name.push(c);
                    continue;
                }
                if !name.is_empty() {
                    found.insert(std::mem::take(&mut name));
                    expecting_name = false;
                }
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => break,
                    '}' => depth -= 1,
                    ',' if depth == 1 => expecting_name = true,
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// Types re-exported at the crate root come from `error`.
fn as_module(name: &str) -> &str {
    if name.starts_with(|c: char| c.is_uppercase()) {
        "error"
    } else {
        name
    }
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for file in rust_files(&src) {
        let module = module_of(&src, &file);
        let Some(own) = rank(&module) else {
            continue; // lib.rs declares the modules.
        };
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        // Unit tests may reach anywhere to set up their case.
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        for imported in imported_modules(code) {
            let imported = as_module(&imported);
            if imported == module {
                continue;
            }
            match rank(imported) {
                Some(theirs) if theirs < own => {}
                _ => wrong.push(format!(
                    "{}: {module} imports {imported}",
                    file.strip_prefix(&src).unwrap_or(&file).display()
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that do not point down:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_reader_of_imports_sees_nested_trees() {
    let code = "use crate::{\n    Error,\n    model::{Actor, FeedKind},\n    store::{Store, accounts::Account},\n};\nlet x = crate::rules::evaluate;";
    let names: Vec<String> = imported_modules(code).into_iter().collect();
    assert_eq!(names, ["Error", "model", "rules", "store"]);
}
