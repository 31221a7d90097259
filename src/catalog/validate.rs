//! Input checks shared by the operations. Each error names the field.

use crate::error::{Error, Result};

pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 10_000;
pub const MAX_URL: usize = 2_048;
pub const MAX_LIST: usize = 50;
pub const MAX_SLUG: usize = 64;
pub const MAX_NUMBER: i32 = 100_000;

/// A required short string: trimmed, non-empty, at most `MAX_NAME` characters.
pub fn name(field: &str, value: &str) -> Result<String> {
    text_within(field, value, MAX_NAME)
}

/// An optional long text: trimmed; empty becomes absent.
pub fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => text_within(field, &v, max).map(Some),
    }
}

fn text_within(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::bad_input(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(Error::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// A list of short strings (genres, known-for titles).
pub fn list(field: &str, values: Vec<String>) -> Result<Vec<String>> {
    if values.len() > MAX_LIST {
        return Err(Error::bad_input(
            field,
            format!("must have at most {MAX_LIST} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let v = name(field, &v)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// A URL-safe key: lowercase letters, digits and single hyphens.
pub fn slug(field: &str, value: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value.len() <= MAX_SLUG
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok {
        Ok(value.to_string())
    } else {
        Err(Error::bad_input(
            field,
            format!(
                "must be 1 to {MAX_SLUG} lowercase letters, digits and single hyphens, like `soundtrack`"
            ),
        ))
    }
}

/// A positive number such as an installment number, episode count or billing.
pub fn positive(field: &str, value: i32) -> Result<i32> {
    if (1..=MAX_NUMBER).contains(&value) {
        Ok(value)
    } else {
        Err(Error::bad_input(
            field,
            format!("must be between 1 and {MAX_NUMBER}"),
        ))
    }
}

/// An absolute http(s) URL.
pub fn url(field: &str, value: Option<String>) -> Result<Option<String>> {
    let Some(value) = optional_text(field, value, MAX_URL)? else {
        return Ok(None);
    };
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !value.chars().any(char::is_whitespace) => {
            Ok(Some(value))
        }
        _ => Err(Error::bad_input(
            field,
            "must be an absolute http or https URL",
        )),
    }
}
