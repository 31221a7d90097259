//! The admin credential, read the same way by every transport: `Authorization:
//! Bearer <token>` on an HTTP request (POST, GET, SSE, multipart), and the
//! `authorization` (or `Authorization`) field of a WebSocket `connection_init`
//! payload. The token is compared in constant time.

use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq;

/// Whom a request speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The request carried the admin token.
    Admin,
    /// No credential, or a wrong one.
    Anonymous,
}

impl Credential {
    /// The credential of an `Authorization` value (`Bearer <token>`).
    pub fn of_authorization(value: Option<&str>, token: &str) -> Credential {
        let matches = value
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())));
        if matches {
            Credential::Admin
        } else {
            Credential::Anonymous
        }
    }

    /// The credential of an HTTP request's `Authorization` header.
    pub fn of_headers(headers: &HeaderMap, token: &str) -> Credential {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        Credential::of_authorization(value, token)
    }

    /// The credential of a WebSocket `connection_init` payload.
    pub fn of_init_payload(payload: &serde_json::Value, token: &str) -> Credential {
        let value = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(|v| v.as_str());
        Credential::of_authorization(value, token)
    }

    pub fn is_admin(self) -> bool {
        self == Credential::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_reads_the_credential_alike() {
        let of = |v| Credential::of_authorization(v, "secret");
        assert_eq!(of(Some("Bearer secret")), Credential::Admin);
        assert_eq!(of(Some("Bearer  secret ")), Credential::Admin);
        assert_eq!(of(Some("Bearer other")), Credential::Anonymous);
        assert_eq!(of(Some("bearer secret")), Credential::Anonymous);
        assert_eq!(of(Some("secret")), Credential::Anonymous);
        assert_eq!(of(None), Credential::Anonymous);
        let payload = serde_json::json!({ "Authorization": "Bearer secret" });
        assert!(Credential::of_init_payload(&payload, "secret").is_admin());
        let payload = serde_json::json!({ "authorization": 7 });
        assert!(!Credential::of_init_payload(&payload, "secret").is_admin());
    }
}
