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

/// The stable `extensions.code` of every error a client can get, whatever refused the
/// request: an operation ([`Error`]), the request gate (`graphql::gate`), or a
/// transport (`http::refusal`). The one place each code is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The request or an argument is malformed or invalid (parse and validation
    /// errors included).
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    /// A configured limit refused the request (depth, complexity, aliases, body...).
    QueryTooComplex,
    /// Anything the client cannot fix (the detail went to the log).
    Internal,
    /// An automatic persisted query's hash the server does not know yet: the client
    /// retries with the document.
    PersistedQueryNotFound,
    /// A document the trusted documents' manifest does not list.
    PersistedQueryNotInList,
}

impl Code {
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::Conflict => "CONFLICT",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::Internal => "INTERNAL",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
        }
    }

    /// A GraphQL error with this code.
    pub fn error(self, message: impl Into<String>) -> async_graphql::ServerError {
        let mut error = async_graphql::ServerError::new(message, None);
        self.set_on(&mut error);
        error
    }

    /// Sets this code as `extensions.code` of `error`.
    pub fn set_on(self, error: &mut async_graphql::ServerError) {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", self.as_str());
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> Code {
        match self {
            Error::BadInput { .. } => Code::BadUserInput,
            Error::Unauthenticated => Code::Unauthenticated,
            Error::Forbidden(_) => Code::Forbidden,
            Error::NotFound { .. } => Code::NotFound,
            Error::Conflict(_) => Code::Conflict,
            Error::TooComplex(_) => Code::QueryTooComplex,
            Error::Unavailable | Error::Internal => Code::Internal,
            Error::PersistedQueryNotFound => Code::PersistedQueryNotFound,
            Error::PersistedQueryNotInList => Code::PersistedQueryNotInList,
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
            ext.set("code", self.code().as_str());
            match self {
                Error::BadInput { field, .. } | Error::NotFound { field, .. } => {
                    ext.set("field", field.as_str())
                }
                _ => {}
            }
        })
    }
}
