//! Opaque Relay global IDs (`base64("Series:42")`) and cursors.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Error, Result};

/// The types that have global IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Series,
    Installment,
    Person,
    Credit,
    Interview,
    Webhook,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Series => "Series",
            Kind::Installment => "Installment",
            Kind::Person => "Person",
            Kind::Credit => "Credit",
            Kind::Interview => "Interview",
            Kind::Webhook => "Webhook",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "Series" => Kind::Series,
            "Installment" => Kind::Installment,
            "Person" => Kind::Person,
            "Credit" => Kind::Credit,
            "Interview" => Kind::Interview,
            "Webhook" => Kind::Webhook,
            _ => return None,
        })
    }
}

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decodes any global ID into its kind and row id.
pub fn decode_any(field: &str, id: &ID) -> Result<(Kind, i64)> {
    let malformed = || Error::bad_input(field, "is not a valid ID");
    let raw = URL_SAFE_NO_PAD
        .decode(id.as_str().trim_end_matches('='))
        .map_err(|_| malformed())?;
    let text = String::from_utf8(raw).map_err(|_| malformed())?;
    let (name, number) = text.split_once(':').ok_or_else(malformed)?;
    let kind = Kind::from_name(name).ok_or_else(malformed)?;
    let number: i64 = number.parse().map_err(|_| malformed())?;
    if number < 1 {
        return Err(malformed());
    }
    Ok((kind, number))
}

/// Decodes a global ID that must be of `kind`.
pub fn decode(field: &str, kind: Kind, id: &ID) -> Result<i64> {
    let (found, number) = decode_any(field, id)?;
    if found != kind {
        return Err(Error::bad_input(
            field,
            format!(
                "is the ID of a {}, expected a {}",
                found.name(),
                kind.name()
            ),
        ));
    }
    Ok(number)
}

/// Decodes a list of global IDs of `kind`.
pub fn decode_all(field: &str, kind: Kind, ids: &[ID]) -> Result<Vec<i64>> {
    ids.iter().map(|id| decode(field, kind, id)).collect()
}

const CURSOR_PREFIX: &str = "cursor:";

/// An opaque cursor for a position in a list.
pub fn cursor(key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

/// Decodes a cursor made by `cursor`.
pub fn decode_cursor(field: &str, cursor: &str) -> Result<i64> {
    let malformed = || Error::bad_input(field, "is not a valid cursor");
    let raw = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| malformed())?;
    let text = String::from_utf8(raw).map_err(|_| malformed())?;
    text.strip_prefix(CURSOR_PREFIX)
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(malformed)
}
