//! Operations on series, installments, people, credits and interviews: validation
//! and transactions. The stored enums (status, role) are the
//! entity crate's, which are also the GraphQL enums.

pub mod credit;
pub mod embargo;
pub mod installment;
pub mod interview;
pub mod paging;
pub mod person;
pub mod publication;
pub mod series;
pub mod validate;
pub mod write;

use sea_orm::sea_query::{Expr, LikeExpr, SimpleExpr};

pub use entity::credit::CreditRole;
pub use entity::installment::InstallmentStatus;

/// The current system time as stored: UTC, whole microseconds (webhook bookkeeping;
/// catalogue writes take theirs from the writer's clock, `write::Transaction::now`).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    crate::clock::Clock::System.now()
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
