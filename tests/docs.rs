//! The README and docs/ stay true to the repository: every relative link and
//! #anchor resolves, no link leaves the repository, the README fits its
//! budget, every Dockerfile snippet in it is one the tests build, and every
//! test docs/testing.md names for a rule exists.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The README's line budget (docs/ holds the rest).
const README_MAX_LINES: usize = 650;

/// The comment that marks a README `dockerfile` snippet as a fragment (a
/// few lines for the reader's own Dockerfile, not a whole image): it is the
/// last non-blank line before the fence and starts with this.
const FRAGMENT: &str = "<!-- fragment";

/// The comment that names the test which builds a README snippet itself
/// (reading it out of README.md): `<!-- built by tests/FILE.rs -->`.
const BUILT_BY: &str = "<!-- built by ";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and every docs/*.md.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let docs = fs::read_dir(root().join("docs")).expect("docs/");
    for entry in docs {
        let path = entry.expect("docs/ entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// One fenced code block: its info string, its lines, and the last non-blank
/// line before the opening fence.
struct Fence {
    info: String,
    body: Vec<String>,
    before: String,
    line: usize,
}

/// The markdown split into prose lines (fences blanked out, so their `#` and
/// `[..](..)` count for nothing) and the fenced blocks.
fn split(text: &str) -> (Vec<String>, Vec<Fence>) {
    let mut prose = Vec::new();
    let mut fences = Vec::new();
    let mut open: Option<(String, usize, Fence)> = None;
    let mut last = String::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            Some((marker, _, fence)) => {
                if trimmed.starts_with(marker.as_str()) && trimmed.trim_matches('`').is_empty() {
                    let (_, _, fence) = open.take().expect("open fence");
                    fences.push(fence);
                } else {
                    fence.body.push(line.to_string());
                }
                prose.push(String::new());
            }
            None if trimmed.starts_with("```") => {
                let marker: String = trimmed.chars().take_while(|&c| c == '`').collect();
                let info = trimmed[marker.len()..].trim().to_lowercase();
                let fence = Fence {
                    info,
                    body: Vec::new(),
                    before: last.clone(),
                    line: n + 1,
                };
                open = Some((marker, n, fence));
                prose.push(String::new());
            }
            None => {
                if !line.trim().is_empty() {
                    last = line.trim().to_string();
                }
                prose.push(line.to_string());
            }
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    (prose, fences)
}

/// A prose line without its code spans and HTML comments, where a link is
/// text and not a link.
fn without_code(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(['`', '<']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(body) = rest.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
        } else if rest.starts_with('`') {
            let ticks = rest.chars().take_while(|&c| c == '`').count();
            let body = &rest[ticks..];
            rest = body
                .find(&"`".repeat(ticks))
                .map_or("", |end| &body[end + ticks..]);
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Every `[text](target)` link target in the prose, with its line number.
fn links(prose: &[String]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in prose.iter().enumerate() {
        let line = without_code(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push((n + 1, after[..end].trim().to_string()));
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-` and `_`
/// kept; spaces become `-`; everything else dropped. A repeated anchor gets
/// `-1`, `-2`, ...
fn anchors(prose: &[String]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for line in prose {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let mut slug = String::new();
        for c in line[hashes..].trim().chars() {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                slug.extend(c.to_lowercase());
            } else if c == ' ' {
                slug.push('-');
            }
        }
        let count = seen.entry(slug.clone()).or_insert(0);
        out.push(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    out
}

#[test]
fn every_relative_link_in_readme_and_docs_resolves() {
    let root = root().canonicalize().expect("repository root");
    let mut broken = Vec::new();
    for file in markdown_files() {
        let (prose, _) = split(&read(&file));
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (line, target) in links(&prose) {
            let at = format!("{name}:{line}: {target}");
            if target.contains("://") || target.starts_with("mailto:") {
                broken.push(format!("{at}: leaves the repository"));
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let dest = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("a directory").join(path)
            };
            let Ok(dest) = dest.canonicalize() else {
                broken.push(format!("{at}: no such file"));
                continue;
            };
            if !dest.starts_with(&root) {
                broken.push(format!("{at}: outside the repository"));
                continue;
            }
            if anchor.is_empty() {
                continue;
            }
            if dest.extension().is_none_or(|e| e != "md") {
                broken.push(format!("{at}: an anchor into a file that is not markdown"));
                continue;
            }
            let (dest_prose, _) = split(&read(&dest));
            if !anchors(&dest_prose).iter().any(|a| a == anchor) {
                broken.push(format!("{at}: no heading makes #{anchor}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn readme_fits_its_line_budget() {
    let lines = read(&root().join("README.md")).lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, over its budget of {README_MAX_LINES}: developers' material goes to docs/"
    );
}

/// A Dockerfile's instruction lines: no comments, no blank lines, no
/// trailing blanks.
fn instructions(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// The Dockerfiles the container tests build, each named in a test source.
fn built_dockerfiles() -> Vec<(String, Vec<String>)> {
    let mut sources = String::new();
    for dir in ["tests", "tests/containers"] {
        for entry in fs::read_dir(root().join(dir)).expect("tests/") {
            let path = entry.expect("tests/ entry").path();
            if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("docs.rs") {
                sources.push_str(&read(&path));
            }
        }
    }
    let mut files = vec!["docker/Dockerfile".to_string()];
    for entry in fs::read_dir(root().join("docker/examples")).expect("docker/examples") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".Dockerfile") {
            files.push(format!("docker/examples/{name}"));
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let named = if file == "docker/Dockerfile" {
                "docker/Dockerfile"
            } else {
                file.rsplit('/').next().expect("a file name")
            };
            assert!(
                sources.contains(&format!("\"{named}\""))
                    || sources.contains(&format!("{named}\"")),
                "{file}: no test names it, so no test builds it"
            );
            let lines: Vec<String> = read(&root().join(&file))
                .lines()
                .map(String::from)
                .collect();
            (file, instructions(&lines))
        })
        .collect()
}

#[test]
fn every_dockerfile_snippet_in_the_readme_is_built_by_the_tests_or_marked_a_fragment() {
    let (_, fences) = split(&read(&root().join("README.md")));
    let built = built_dockerfiles();
    let mut unbuilt = Vec::new();
    let mut checked = 0;
    for fence in fences.iter().filter(|f| f.info == "dockerfile") {
        if fence.before.starts_with(FRAGMENT) {
            continue;
        }
        if let Some(rest) = fence.before.strip_prefix(BUILT_BY) {
            let test = rest.trim_end_matches("-->").trim();
            let source = fs::read_to_string(root().join(test)).unwrap_or_default();
            assert!(
                test.starts_with("tests/") && source.contains("README.md"),
                "README.md:{}: `{}`: {test} does not read the README",
                fence.line,
                fence.before
            );
            continue;
        }
        checked += 1;
        let snippet = instructions(&fence.body);
        let found = built.iter().any(|(_, file)| {
            !snippet.is_empty() && file.windows(snippet.len()).any(|w| w == snippet.as_slice())
        });
        if !found {
            unbuilt.push(format!("README.md:{}:\n{}", fence.line, snippet.join("\n")));
        }
    }
    assert!(
        unbuilt.is_empty(),
        "Dockerfile snippets that no test builds (make each the lines of one of {:?}, \
         comments left out, or mark it with `{FRAGMENT} ... -->` just before the fence):\n{}",
        built.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        unbuilt.join("\n\n")
    );
    assert!(
        checked > 0,
        "no whole Dockerfile left in the README to check"
    );
}

#[test]
fn the_link_checker_catches_what_it_must() {
    let text = "# A `b` c: d_e\n\n## A b c: d_e\n\n```\n# not a heading [x](nowhere)\n```\n\
                see [x](other.md#y), `[no](link)` <!-- [no](link) -->";
    let (prose, fences) = split(text);
    assert_eq!(anchors(&prose), ["a-b-c-d_e", "a-b-c-d_e-1"]);
    assert_eq!(links(&prose), [(8, "other.md#y".to_string())]);
    assert_eq!(fences.len(), 1);
}

/// Whether `tests/SUITE.rs` defines the test `name`: a `#[test] fn` or a
/// `modes_test!` (whose two tests are `name::plain` and `name::pid1`).
fn suite_defines(suite: &str, name: &str) -> bool {
    let Ok(text) = fs::read_to_string(root().join("tests").join(format!("{suite}.rs"))) else {
        return false;
    };
    let squashed: String = text.split_whitespace().collect();
    match name.strip_suffix('*') {
        Some(prefix) => {
            squashed.contains(&format!("fn{prefix}"))
                || squashed.contains(&format!("modes_test!({prefix}"))
        }
        None => {
            squashed.contains(&format!("fn{name}("))
                || squashed.contains(&format!("modes_test!({name},"))
        }
    }
}

/// Every `fn NAME(` in `src/`, file by file.
fn unit_test_names() -> String {
    let mut all = String::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("src/ directory") {
            let path = entry.expect("src/ entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                all.push_str(&read(&path));
            }
        }
    }
    all
}

#[test]
fn every_test_docs_testing_md_names_exists() {
    // "Where is the test for X": rows of `| rule | unit tests | suite tests |`.
    let doc = read(&root().join("docs/testing.md"));
    let table = doc
        .split_once("\n## Where is the test for X\n")
        .expect("docs/testing.md has its \"Where is the test for X\" section")
        .1;
    let src = unit_test_names();
    let mut missing = Vec::new();
    let mut named = 0;
    for row in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| rule"))
    {
        let cells: Vec<&str> = row.split(" | ").collect();
        let names = |cell: &str| -> Vec<String> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .filter(|w| {
                    w.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_:*".contains(&b))
                })
                .map(String::from)
                .collect()
        };
        if cells.len() == 3 {
            for unit in names(cells[1]) {
                named += 1;
                if !src.contains(&format!("fn {unit}(")) {
                    missing.push(format!("unit test {unit}"));
                }
            }
        }
        for test in names(cells.last().copied().unwrap_or("")) {
            let Some((suite, name)) = test.split_once("::") else {
                continue;
            };
            named += 1;
            if suite != "sys" && !suite_defines(suite, name) {
                missing.push(format!("tests/{suite}.rs: {name}"));
            }
        }
    }
    assert!(
        named > 100,
        "only {named} tests named: is the table still there?"
    );
    assert!(
        missing.is_empty(),
        "docs/testing.md names tests that do not exist (renamed or moved? update its row):\n{}",
        missing.join("\n")
    );
}
