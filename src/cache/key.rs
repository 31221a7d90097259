//! The key of a cached response: the normalised document, the operation name and the
//! variables. Normalising drops what GraphQL ignores (white space, commas, comments)
//! so that the same document however laid out shares one entry; strings are kept as
//! written.

use std::sync::Arc;

use sha2::{Digest, Sha256};

/// A cache key; cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Key(Arc<str>);

impl Key {
    /// The key of `request` (its document as sent, normalised).
    pub fn of(request: &async_graphql::Request) -> Key {
        let mut text = normalise(&request.query);
        text.push('\0');
        text.push_str(request.operation_name.as_deref().unwrap_or_default());
        text.push('\0');
        // Variables keep their order: the same values in another order are another
        // entry, never a wrong one.
        if let Ok(variables) = serde_json::to_string(&request.variables) {
            text.push_str(&variables);
        }
        Key(text.into())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short digest of the key (hex), stable across processes and builds.
    pub fn digest(&self) -> String {
        let hash = Sha256::digest(self.0.as_bytes());
        hash[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_ignored(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}')
}

/// `document` with every run of ignored tokens (white space, commas, comments)
/// removed, or a single space where it separated two names or numbers.
pub fn normalise(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut chars = document.chars().peekable();
    let mut separated = false;
    while let Some(c) = chars.next() {
        if is_ignored(c) {
            separated = true;
            continue;
        }
        if c == '#' {
            for c in chars.by_ref() {
                if c == '\n' || c == '\r' {
                    break;
                }
            }
            separated = true;
            continue;
        }
        if separated && out.chars().last().is_some_and(is_word) && is_word(c) {
            out.push(' ');
        }
        separated = false;
        out.push(c);
        if c == '"' {
            copy_string(&mut chars, &mut out);
        }
    }
    out
}

fn starts_with(chars: &std::iter::Peekable<std::str::Chars<'_>>, prefix: &str) -> bool {
    chars.clone().take(prefix.len()).eq(prefix.chars())
}

/// Copies a string (after its opening quote) as written, up to its closing quote.
fn copy_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    let block = starts_with(chars, "\"\"");
    if block {
        out.push_str("\"\"");
        chars.nth(1);
        let mut quotes = 0;
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '\\' && starts_with(chars, "\"\"\"") {
                // `\"""` is three quotes in the string, not its end.
                out.push_str("\"\"\"");
                chars.nth(2);
                quotes = 0;
                continue;
            }
            quotes = if c == '"' { quotes + 1 } else { 0 };
            if quotes == 3 {
                return;
            }
        }
        return;
    }
    let mut escaped = false;
    for c in chars.by_ref() {
        out.push(c);
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return,
            _ => escaped = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn layout_commas_and_comments_are_ignored() {
        let a = "query Q($id: ID!) {\n  node(id: $id) { id, ... on Series { title } } # c\n}";
        let b = "query Q($id:ID!){node(id:$id){id ...on Series{title}}}";
        assert_eq!(normalise(a), normalise(b));
        assert_eq!(
            normalise(b),
            "query Q($id:ID!){node(id:$id){id...on Series{title}}}"
        );
    }

    #[test]
    fn names_stay_apart_and_strings_stay_whole() {
        assert_ne!(normalise("{ a b }"), normalise("{ ab }"));
        assert_eq!(
            normalise(r#"{ s(q: "a ,  # b\" c") }"#),
            r#"{s(q:"a ,  # b\" c")}"#
        );
        assert_eq!(
            normalise("{ s(q: \"\"\" x , \"y\" \"\"\") }"),
            "{s(q:\"\"\" x , \"y\" \"\"\")}"
        );
        assert_eq!(
            normalise(r#"{ s(q: """ a\""" , b """) }"#),
            r#"{s(q:""" a\""" , b """)}"#
        );
    }
}
