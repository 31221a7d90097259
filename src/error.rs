//! The one error type of Premiere and its mapping to `extensions.code`.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Every failure an operation can report. Internal details are logged, never returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid; `field` names the offending argument or input field.
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    /// No or a wrong admin credential.
    #[error("admin credential required: send `Authorization: Bearer <token>`")]
    Unauthenticated,
    /// The credential is valid but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// An ID named something that does not exist.
    #[error("{what} not found")]
    NotFound { what: &'static str, field: String },
    /// The change would break a uniqueness or state rule.
    #[error("{0}")]
    Conflict(String),
    /// The query is over a configured limit.
    #[error("{0}")]
    TooComplex(String),
    /// The database cannot be reached; the request may be retried.
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// Anything else; the detail went to the log.
    #[error("internal error")]
    Internal,
    /// An automatic persisted query's hash that no replica knows: send the document.
    #[error("PersistedQueryNotFound: send the document with its sha256Hash")]
    PersistedQueryNotFound,
    /// Trusted-documents mode: the document is not in the manifest.
    #[error("only the operations of the persisted-query manifest may be run without the admin credential")]
    PersistedQueryNotInList,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadInput { .. } => "BAD_USER_INPUT",
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound { .. } => "NOT_FOUND",
            Error::Conflict(_) => "CONFLICT",
            Error::TooComplex(_) => "QUERY_TOO_COMPLEX",
            Error::Unavailable | Error::Internal => "INTERNAL",
            Error::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Error::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &'static str, field: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            field: field.into(),
        }
    }

    /// Logs `detail` and returns the detail-free internal error.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Error::Internal
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if connection_failed(&err) {
            tracing::error!(error = %err, "database unavailable");
            return Error::Unavailable;
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Error::Conflict("a record with the same unique key already exists".into())
            }
            _ => Error::internal(err),
        }
    }
}

/// True when `err` says the database could not be reached or the connection was lost:
/// no connection in time, a refused or reset connection, or a server that is shutting
/// down or restarting (SQLSTATE class 08, 57P01-57P03, 53300). Such a request may
/// succeed when retried, unlike a failed statement.
pub fn connection_failed(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_connection_failed(e)
        }
        _ => false,
    }
}

fn sqlx_connection_failed(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    match err {
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => true,
        E::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Error::BadInput { field, .. } | Error::NotFound { field, .. } => {
                    ext.set("field", field.as_str())
                }
                _ => {}
            }
        })
    }
}
