//! A command line split into words by vigil itself, as sh would quote them
//! but without a shell (no globs, no pipes): `exec:` targets and `--with`
//! sidecars. Each word keeps its `${VAR}` for whoever expands it.

use alloc::string::String;
use alloc::vec::Vec;

use crate::variables::expand;

/// Splits `text` at unquoted whitespace. `'...'` keeps everything literally;
/// `"..."` keeps whitespace, with `\` escaping `"`, `\`, `$`; an unquoted `\`
/// escapes the next character. `${VAR}` and `${VAR:-default}` outside single
/// quotes are kept for `variables::expand` (init expands them at each
/// start, so a value is never split); every literal `$` becomes `$$`, which
/// that expansion turns back into `$` (`$$` in the text is one `$`).
/// An unclosed quote, a trailing `\`, a bad `${...}` or no word at all is an error.
pub fn split(text: &str) -> Result<Vec<String>, String> {
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
                        Some((_, c)) => literal(w, c),
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
                            Some(&(_, c @ ('"' | '\\' | '$'))) => {
                                literal(w, c);
                                chars.next();
                            }
                            _ => w.push('\\'),
                        },
                        Some((at, '$')) => reference_at(text, at, &mut chars, w)?,
                        Some((_, c)) => w.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some((_, c)) => literal(word.get_or_insert_with(String::new), c),
                None => return Err("'\\' at the end".into()),
            },
            '$' => reference_at(text, at, &mut chars, word.get_or_insert_with(String::new))?,
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

/// A character that stands for itself: a `$` is written `$$`.
fn literal(word: &mut String, c: char) {
    if c == '$' {
        word.push('$');
    }
    word.push(c);
}

/// A `$` at byte `at`: `${...}` is checked and kept as written, `$$` is one
/// literal `$`, any other `$` is literal.
fn reference_at(
    text: &str,
    at: usize,
    chars: &mut core::iter::Peekable<core::str::CharIndices>,
    word: &mut String,
) -> Result<(), String> {
    match chars.peek() {
        Some((_, '{')) => {
            // `at` and the `}` are ASCII, so `get` always finds the slice.
            let from = text.get(at..).unwrap_or_default();
            let Some(close) = from.find('}') else {
                return Err("'${' without a closing '}'".into());
            };
            let reference = from.get(..=close).unwrap_or_default();
            // Only its form is checked here (every variable counts as set).
            expand(reference, &|_| Ok(Some(String::new())))?;
            word.push_str(reference);
            while chars.next_if(|(i, _)| *i <= at + close).is_some() {}
        }
        Some((_, '$')) => {
            chars.next();
            literal(word, '$');
        }
        _ => literal(word, '$'),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Result<Option<String>, String> {
        Ok(match name {
            "PORT" => Some("8080".into()),
            "SPACED" => Some("a b".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        })
    }

    /// Split, then expanded as init does at a start.
    fn words(text: &str) -> Result<Vec<String>, String> {
        split(text)?.iter().map(|w| expand(w, &env)).collect()
    }

    #[test]
    fn words_are_templates_with_every_literal_dollar_doubled() {
        assert_eq!(
            split(r#"a '${X}' $$ ${Y:-d e} "\$" \$ $z"#).unwrap(),
            ["a", "$${X}", "$$", "${Y:-d e}", "$$", "$$", "$$z"]
        );
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
