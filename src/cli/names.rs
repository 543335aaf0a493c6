//! Names of processes: `--name`, a command line's Procfile-style `NAME:`
//! prefix (`--with 'proxy: nginx'`), and the defaults made unique.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::init::InitOptions;
use crate::init::config::{NamedCommand, Source};
use crate::probe::command_words;

/// `[A-Za-z0-9_.-]{1,32}`: safe in a log prefix and in quotes.
pub fn name(text: &str) -> Result<String, String> {
    let fits = |b: u8| b.is_ascii_alphanumeric() || b"_.-".contains(&b);
    if text.is_empty() || text.len() > 32 || !text.bytes().all(fits) {
        return Err(format!(
            "invalid name '{text}' (use 1 to 32 of A-Z a-z 0-9 _ . -)"
        ));
    }
    Ok(text.into())
}

/// A command line (`--with`, `--pre-start`, `--pre-stop`), split into
/// words by vigil itself (no shell; init expands
/// their `${VAR}` at each start), given `from` a flag or twin. A first word
/// ending in `:` is its name (Procfile's `NAME: CMD`); without one the name
/// is left empty, for `unique_names` to fill in.
#[inline(never)]
pub fn command(line: &str, from: Source) -> Result<NamedCommand, String> {
    let line = line.trim();
    let mut words = command_words::split(line).map_err(|e| format!("'{line}': {e}"))?;
    let name = match words.first().and_then(|first| first.strip_suffix(':')) {
        Some(given) => {
            let given = name(given)?;
            words.remove(0);
            if words.is_empty() {
                return Err(format!("'{line}': no command after the name"));
            }
            given
        }
        None => String::new(),
    };
    Ok(NamedCommand {
        name,
        line: line.into(),
        from,
        words,
    })
}

/// Gives every process a name no other has: a name given stays (twice is an
/// error); the others get their program's file name, with `.2`, `.3` added
/// when it is taken, in order: PROGRAM, the sidecars, the `--pre-start`
/// commands, the `--pre-stop` command.
pub fn unique_names(opts: &mut InitOptions) -> Result<(), String> {
    let program = String::from_utf8_lossy(opts.command.first().map_or(&[][..], Vec::as_slice));
    // Each process: the option that names it, its name, its program.
    let mut all: Vec<(&str, &mut String, &str)> = Vec::new();
    all.push(("--name", &mut opts.name, &program));
    let lists = [
        ("--with", opts.sidecars.as_mut_slice()),
        ("--pre-start", opts.pre_start.as_mut_slice()),
        ("--pre-stop", opts.pre_stop.as_mut_slice()),
    ];
    for (option, list) in lists {
        for NamedCommand { name, words, .. } in list {
            all.push((option, name, words.first().map_or("", String::as_str)));
        }
    }
    for (i, (option, name, _)) in all.iter().enumerate() {
        if !name.is_empty() && all.iter().take(i).any(|(_, n, _)| n == name) {
            return Err(format!("{option}: name '{name}' is used twice"));
        }
    }
    for i in 0..all.len() {
        let Some(&(_, ref name, program)) = all.get(i) else {
            break;
        };
        if name.is_empty() {
            let base = file_name(program);
            let mut candidate = String::from(base);
            let mut n = 1;
            while all.iter().any(|(_, name, _)| **name == candidate) {
                n += 1;
                candidate = format!("{base}.{n}");
            }
            if let Some((_, name, _)) = all.get_mut(i) {
                **name = candidate;
            }
        }
    }
    Ok(())
}

/// `/usr/sbin/nginx` -> `nginx`.
fn file_name(path: &str) -> &str {
    let at = path.bytes().rposition(|b| b == b'/').map_or(0, |at| at + 1);
    match path.get(at..) {
        Some("") | None => path,
        Some(last) => last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const WITH: Source = Source {
        long: "with",
        twin: None,
    };

    fn named(line: &str) -> NamedCommand {
        command(line, WITH).unwrap()
    }

    #[test]
    fn a_first_word_ending_in_a_colon_names_the_command() {
        let c = named("proxy: nginx -g 'daemon off;'");
        assert_eq!(c.name, "proxy");
        assert_eq!(c.words, ["nginx", "-g", "daemon off;"]);
        // Only a whole first word: `a:b` is a program, `a :` two words.
        assert_eq!(named("web:nginx").words, ["web:nginx"]);
        // `${ID}` is kept for init to expand.
        assert_eq!(named("web_1.x-y: w ${ID}").words, ["w", "${ID}"]);
        assert_eq!(named(" nginx ").name, "");
    }

    #[test]
    fn a_bad_name_is_an_error_naming_it() {
        for (line, want) in [
            (
                "pr@xy: nginx",
                "invalid name 'pr@xy' (use 1 to 32 of A-Z a-z 0-9 _ . -)",
            ),
            (
                ": nginx",
                "invalid name '' (use 1 to 32 of A-Z a-z 0-9 _ . -)",
            ),
            ("proxy:", "'proxy:': no command after the name"),
            ("proxy: 'a", "'proxy: 'a': unclosed single quote"),
        ] {
            assert_eq!(command(line, WITH).err().as_deref(), Some(want), "{line}");
        }
        assert!(name(&"a".repeat(32)).is_ok());
        assert!(name(&"a".repeat(33)).is_err());
    }

    fn opts(program: &str, name: &str, sidecars: &[&str]) -> InitOptions {
        let mut o = InitOptions::new(vec![program.as_bytes().to_vec()]);
        o.name = name.into();
        o.sidecars = sidecars.iter().map(|l| named(l)).collect();
        o
    }

    fn names(o: &InitOptions) -> Vec<&str> {
        let mut all = vec![o.name.as_str()];
        all.extend(o.sidecars.iter().map(|c| c.name.as_str()));
        all.extend(o.pre_start.iter().map(|c| c.name.as_str()));
        all.extend(o.pre_stop.iter().map(|c| c.name.as_str()));
        all
    }

    #[test]
    fn defaults_are_file_names_made_unique_in_order() {
        let mut o = opts(
            "/usr/bin/app",
            "",
            &["/bin/worker -n 1", "worker -n 2", "app: nginx", "./app"],
        );
        o.pre_start = vec![named("worker --migrate")];
        o.pre_stop = Some(named("/usr/bin/app --drain"));
        unique_names(&mut o).unwrap();
        assert_eq!(
            names(&o),
            [
                "app.2", "worker", "worker.2", "app", "app.3", "worker.3", "app.4"
            ]
        );
        let mut o = opts("app", "web", &["app", "x: app"]);
        unique_names(&mut o).unwrap();
        assert_eq!(names(&o), ["web", "app", "x"]);
    }

    #[test]
    fn a_name_given_twice_is_an_error() {
        let mut o = opts("app", "web", &["web: nginx"]);
        assert_eq!(
            unique_names(&mut o).err().as_deref(),
            Some("--with: name 'web' is used twice")
        );
        let mut o = opts("app", "", &["a: x", "a: y"]);
        assert_eq!(
            unique_names(&mut o).err().as_deref(),
            Some("--with: name 'a' is used twice")
        );
        let mut o = opts("app", "", &["a: x"]);
        o.pre_stop = Some(named("a: y"));
        assert_eq!(
            unique_names(&mut o).err().as_deref(),
            Some("--pre-stop: name 'a' is used twice")
        );
    }
}
