//! Operations on series, installments, people, credits and interviews: validation
//! and transactions. No GraphQL types here beyond the two shared enums.

pub mod credit;
pub mod embargo;
pub mod installment;
pub mod interview;
pub mod paging;
pub mod person;
pub mod series;
pub mod validate;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, LikeExpr, SimpleExpr};

/// Publication state of an installment. DRAFT and SCHEDULED ones are under embargo:
/// only visible with an admin credential.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstallmentStatus {
    /// Being prepared; invisible to release alerts.
    Draft,
    /// Will be published automatically at `releaseAt`.
    Scheduled,
    /// Released; a release alert was emitted exactly once.
    Published,
}

impl InstallmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InstallmentStatus::Draft => "DRAFT",
            InstallmentStatus::Scheduled => "SCHEDULED",
            InstallmentStatus::Published => "PUBLISHED",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "PUBLISHED" => InstallmentStatus::Published,
            "SCHEDULED" => InstallmentStatus::Scheduled,
            _ => InstallmentStatus::Draft,
        }
    }
}

/// What a person did on an installment.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditRole {
    Actor,
    Director,
    Writer,
    Composer,
    Producer,
    Other,
}

impl CreditRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditRole::Actor => "ACTOR",
            CreditRole::Director => "DIRECTOR",
            CreditRole::Writer => "WRITER",
            CreditRole::Composer => "COMPOSER",
            CreditRole::Producer => "PRODUCER",
            CreditRole::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ACTOR" => CreditRole::Actor,
            "DIRECTOR" => CreditRole::Director,
            "WRITER" => CreditRole::Writer,
            "COMPOSER" => CreditRole::Composer,
            "PRODUCER" => CreditRole::Producer,
            _ => CreditRole::Other,
        }
    }
}

/// The current time as stored: UTC, whole microseconds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A list of strings as stored in a text column (a JSON array).
pub fn encode_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// The inverse of `encode_list`; a damaged value reads as empty.
pub fn decode_list(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// `LIKE` pattern for a substring, with wildcards escaped.
fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Case-folds text for the `*_key` search columns and the needles matched
/// against them. Folding in Rust, not with SQL `LOWER`, makes search ignore case
/// alike on SQLite (whose `LOWER` folds ASCII only) and PostgreSQL.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// The folded `column` contains `needle`, ignoring case.
pub fn contains_folded(column: SimpleExpr, needle: &str) -> SimpleExpr {
    Expr::expr(column).like(LikeExpr::new(contains_pattern(&fold(needle))).escape('\\'))
}
