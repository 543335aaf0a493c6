//! `${VAR}` and `${VAR:-default}`, expanded as sh expands them, for what vigil
//! reads without a shell: targets, header values, `--with` and `exec:` words.

use alloc::format;
use alloc::string::String;

/// Looks a variable up: `None` when unset, or why its value cannot be used
/// (it is not UTF-8).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, String>;

/// Expands `${VAR}` and `${VAR:-default}` (the default also when VAR is empty,
/// as in sh), and `$$` to `$`; any other `$` stays as it is. `lookup` returns a
/// variable's value, `None` when unset, or an error (a value that is not UTF-8).
pub fn expand(text: &str, lookup: Lookup) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once('$') {
        out.push_str(before);
        if let Some(next) = after.strip_prefix('$') {
            out.push('$');
            rest = next;
        } else if let Some(inner) = after.strip_prefix('{') {
            let Some((reference, after_close)) = inner.split_once('}') else {
                return Err(format!("'{text}': '${{' without a closing '}}'"));
            };
            // A name holds no ':', so the first one either starts `:-default`
            // or makes the reference bad.
            let (name, default) = match reference.split_once(':') {
                Some((n, d)) if d.starts_with('-') => (n, d.get(1..)),
                _ => (reference, None),
            };
            if !is_var_name(name) {
                return Err(format!(
                    "'{text}': bad variable reference '${{{reference}}}' (use ${{NAME}} or ${{NAME:-default}})"
                ));
            }
            match (lookup(name)?, default) {
                (Some(v), Some(d)) if v.is_empty() => out.push_str(d),
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "'{text}': variable {name} is not set (use ${{{name}:-default}} for a default)"
                    ));
                }
            }
            rest = after_close;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A variable's name: letters, digits and `_`, not first a digit.
pub fn is_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Result<Option<String>, String> {
        Ok(match name {
            "PORT" => Some("8080".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        })
    }

    #[test]
    fn expands_variables() {
        let x = |s: &str| expand(s, &env);
        assert_eq!(x("http://h:${PORT}/").unwrap(), "http://h:8080/");
        assert_eq!(x("${NOPE:-9090}").unwrap(), "9090");
        assert_eq!(x("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(x("[${EMPTY}]").unwrap(), "[]");
        assert_eq!(x("$$PORT $$${PORT} $x $").unwrap(), "$PORT $8080 $x $");
        assert_eq!(x("${PORT:-}").unwrap(), "8080");
        let err = x("http://h:${NOPE}/").unwrap_err();
        assert!(err.contains("NOPE is not set"), "{err}");
        assert!(x("${PORT").is_err());
        assert!(x("${1X}").is_err());
        assert!(x("${}").is_err());
    }
}
