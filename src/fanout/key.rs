//! What makes two subscriptions the same: the normalised document, the operation, the
//! variables and the credential. Two keys that differ never share a payload.

use async_graphql::{Request, Variables};

/// The identity of a group, and what its executions are made of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The document with runs of insignificant whitespace collapsed (string literals
    /// and block strings are kept as written).
    document: String,
    operation: Option<String>,
    /// The variables as canonical JSON (object keys sorted).
    variables: String,
    admin: bool,
}

impl Key {
    /// The key of `request`. A variable that only gives `after` (the cursor a
    /// member resumes from, `after` decoded) is left out: members resuming from
    /// different cursors share the live group, each catching up on its own.
    pub fn of(request: &Request, admin: bool, after: Option<i64>) -> Key {
        let mut variables = request.variables.clone();
        if let Some(after) = after {
            variables.retain(|name, value| {
                !(is_cursor(value, after) && uses(&request.query, name.as_str()) == 1)
            });
        }
        Key {
            document: normalise(&request.query),
            operation: request.operation_name.clone(),
            variables: canonical(&variables),
            admin,
        }
    }

    pub fn admin(&self) -> bool {
        self.admin
    }
}

/// What a group executes for each event: the first member's document as written (so
/// that error locations are the client's), operation and variables.
pub struct Template {
    query: String,
    operation: Option<String>,
    variables: Variables,
}

impl Template {
    pub fn of(request: &Request) -> Template {
        Template {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: request.variables.clone(),
        }
    }

    pub fn key(&self, admin: bool, after: Option<i64>) -> Key {
        Key::of(&self.request(), admin, after)
    }

    pub fn request(&self) -> Request {
        let request = Request::new(self.query.clone()).variables(self.variables.clone());
        match &self.operation {
            Some(operation) => request.operation_name(operation.clone()),
            None => request,
        }
    }
}

fn is_cursor(value: &async_graphql::Value, position: i64) -> bool {
    matches!(value, async_graphql::Value::String(s)
        if crate::graphql::ids::decode_cursor("after", s).is_ok_and(|p| p == position))
}

/// How many times `$name` is used in `document`, its definition aside.
fn uses(document: &str, name: &str) -> usize {
    let token = format!("${name}");
    let mut count: usize = 0;
    let mut rest = document;
    while let Some(at) = rest.find(&token) {
        rest = &rest[at + token.len()..];
        if !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            count += 1;
        }
    }
    count.saturating_sub(1)
}

fn canonical(variables: &Variables) -> String {
    // serde_json's map is ordered by key (no `preserve_order`), so equal variables
    // give equal text whatever their order in the request.
    serde_json::to_value(variables)
        .map(|value| value.to_string())
        .unwrap_or_default()
}

/// Drops whitespace, commas (insignificant in GraphQL) and comments outside strings,
/// keeping one space only where it separates two tokens (between two name or number
/// characters, or beside a string).
fn normalise(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut chars = document.chars().peekable();
    let mut gap = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
                let block = chars.peek() == Some(&'"') && {
                    let rest: String = chars.clone().take(2).collect();
                    rest == "\"\""
                };
                if block {
                    out.push_str("\"\"");
                    chars.next();
                    chars.next();
                }
                copy_string(&mut chars, &mut out, block);
            }
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
                gap = true;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => gap = true,
            c => {
                if gap && out.ends_with(|p: char| word(p) || p == '"') && (word(c) || c == '"') {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
            }
        }
    }
    out
}

fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Copies the rest of a string literal (after its opening quote or quotes).
fn copy_string(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    out: &mut String,
    block: bool,
) {
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            }
            '"' if !block => return,
            '"' => {
                let rest: String = chars.clone().take(2).collect();
                if rest == "\"\"" {
                    out.push_str("\"\"");
                    chars.next();
                    chars.next();
                    return;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn whitespace_commas_and_comments_are_insignificant() {
        assert_eq!(
            normalise(
                "subscription {\n  releaseAlerts(filter: {kinds: [A, B]}) # c\n { cursor }\n}"
            ),
            normalise("subscription{releaseAlerts(filter:{kinds:[A B]}){cursor}}"),
        );
        assert_ne!(normalise("{ a b }"), normalise("{ ab }"));
    }

    #[test]
    fn strings_are_kept_as_written() {
        assert_ne!(
            normalise(r#"{ a(x: "a  b") }"#),
            normalise(r#"{ a(x: "a b") }"#)
        );
        assert_ne!(
            normalise("{ a(x: \"\"\"a  \\\"\"\" b\"\"\") }"),
            normalise("{ a(x: \"\"\"a \\\"\"\" b\"\"\") }")
        );
        assert_eq!(normalise(r##"{ a(x: "#, \"") }"##), r##"{a(x: "#, \"")}"##);
    }
}
