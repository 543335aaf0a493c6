//! `--with 'CMD ARG...'`: a sidecar's command line split into words by vigil
//! itself, as sh would quote them but without a shell: no globs, no pipes.

use alloc::string::String;
use alloc::vec::Vec;

use crate::probe::target::{self, BadTarget};

/// Looks a variable up: `None` when unset, an error when it is not UTF-8.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, BadTarget>;

/// Splits `text` at unquoted whitespace. `'...'` keeps everything literally;
/// `"..."` keeps whitespace, with `\` escaping `"`, `\`, `$`; an unquoted `\`
/// escapes the next character. `${VAR}` and `${VAR:-default}` expand outside
/// single quotes, as in `vigil check` (`$$` is `$`); a value is never split.
/// An unclosed quote, a trailing `\`, an unset variable or no word at all is an error.
pub fn split(text: &str, lookup: Lookup) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    // The word being built, `None` between words (so `''` is an empty word).
    let mut word: Option<String> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => w.push(c),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.peek() {
                            Some((_, c @ ('"' | '\\' | '$'))) => {
                                w.push(*c);
                                chars.next();
                            }
                            _ => w.push('\\'),
                        },
                        Some((at, '$')) => expand_at(text, at, &mut chars, w, lookup)?,
                        Some((_, c)) => w.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some((_, c)) => word.get_or_insert_with(String::new).push(c),
                None => return Err("'\\' at the end".into()),
            },
            '$' => expand_at(
                text,
                at,
                &mut chars,
                word.get_or_insert_with(String::new),
                lookup,
            )?,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    if words.is_empty() {
        return Err("empty command".into());
    }
    Ok(words)
}

/// A `$` at byte `at`: `${...}` is expanded by the probe's rules, `$$` is `$`,
/// any other `$` stays.
fn expand_at(
    text: &str,
    at: usize,
    chars: &mut core::iter::Peekable<core::str::CharIndices>,
    word: &mut String,
    lookup: Lookup,
) -> Result<(), String> {
    match chars.peek() {
        Some((_, '{')) => {
            let Some(close) = text[at..].find('}') else {
                return Err("'${' without a closing '}'".into());
            };
            let reference = &text[at..at + close + 1];
            let value = target::expand(reference, lookup).map_err(|e| e.0)?;
            word.push_str(&value);
            while chars.next_if(|(i, _)| *i <= at + close).is_some() {}
        }
        Some((_, '$')) => {
            word.push('$');
            chars.next();
        }
        _ => word.push('$'),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Result<Option<String>, BadTarget> {
        Ok(match name {
            "PORT" => Some("8080".into()),
            "SPACED" => Some("a b".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        })
    }

    fn words(text: &str) -> Result<Vec<String>, String> {
        split(text, &env)
    }

    #[test]
    fn splits_at_whitespace() {
        assert_eq!(words("  nginx  -g\tx \n").unwrap(), ["nginx", "-g", "x"]);
    }

    #[test]
    fn quotes_keep_spaces_in_one_word() {
        assert_eq!(
            words(r#"nginx -g 'daemon off;' "a b"c '' """#).unwrap(),
            ["nginx", "-g", "daemon off;", "a bc", "", ""]
        );
    }

    #[test]
    fn backslashes_escape() {
        assert_eq!(
            words(r#"a\ b \' "x\"y\\z\$\n" 'q\'"#).unwrap(),
            ["a b", "'", r#"x"y\z$\n"#, r"q\"]
        );
    }

    #[test]
    fn variables_expand_outside_single_quotes_and_are_never_split() {
        assert_eq!(
            words(r#"srv --port=${PORT} "${SPACED}" ${SPACED} '${PORT}' ${NOPE:-9} ${EMPTY:-d} $$x $y"#)
                .unwrap(),
            ["srv", "--port=8080", "a b", "a b", "${PORT}", "9", "d", "$x", "$y"]
        );
        assert_eq!(words("a${EMPTY}").unwrap(), ["a"]);
    }

    #[test]
    fn bad_quotes_and_unset_variables_are_errors() {
        assert!(words("a 'b").unwrap_err().contains("unclosed single quote"));
        assert!(
            words("a \"b")
                .unwrap_err()
                .contains("unclosed double quote")
        );
        assert!(words("a \\").is_err());
        assert!(words("a ${NOPE}").unwrap_err().contains("NOPE is not set"));
        assert!(words("a ${PORT").is_err());
        assert!(words("a ${1x}").is_err());
        assert!(words("  ").is_err());
    }
}
