//! The web assets embedded by `build.rs`: the pinned IDE bundles and graphql-ws under
//! `/assets/vendor/<package>@<version>/`, our own files under `/assets/app/<hash>/`.
//! Both paths change whenever the content does, so responses are cached for a year
//! (`immutable`); each is sent brotli- or gzip-compressed (compressed at build time)
//! when the client accepts it.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    /// Path under `assets/`, e.g. `vendor/graphiql@4.1.2/graphiql.min.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub etag: &'static str,
    /// Part of GraphiQL or Playground (not served with `PREMIERE_IDE=false`).
    pub ide: bool,
    pub identity: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub br: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// The embedded file at `path` (under `assets/`).
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .map(|i| &ASSETS[i])
}

/// The URL an embedded file is served at.
pub fn url(path: &str) -> String {
    match path.strip_prefix("app/") {
        Some(own) => format!("/assets/app/{APP_VERSION}/{own}"),
        None => format!("/assets/{path}"),
    }
}

/// The file a request path (after `/assets/`) names, if it is served.
fn resolve(requested: &str, ide: bool) -> Option<&'static Asset> {
    let asset = match requested.strip_prefix("app/") {
        Some(rest) => {
            let own = rest.strip_prefix(APP_VERSION)?.strip_prefix('/')?;
            find(&format!("app/{own}"))?
        }
        None => find(requested).filter(|a| a.path.starts_with("vendor/"))?,
    };
    (ide || !asset.ide).then_some(asset)
}

/// `GET /assets/{*path}`.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap, ide: bool) -> Response {
    let Some(asset) = resolve(&path, ide) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (encoding, body) = match Encoding::preferred(accept, asset) {
        Encoding::Brotli => (Some("br"), asset.br.unwrap_or(asset.identity)),
        Encoding::Gzip => (Some("gzip"), asset.gzip.unwrap_or(asset.identity)),
        Encoding::Identity => (None, asset.identity),
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Body::from(body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, IMMUTABLE);
    headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// How a response body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best encoding of `asset` that `Accept-Encoding: accept` allows: the highest
    /// `q`, brotli before gzip on a tie (it is smaller), identity when nothing else.
    fn preferred(accept: &str, asset: &Asset) -> Encoding {
        let quality = |name: &str| -> f32 {
            let mut wildcard = None;
            for item in accept.split(',') {
                let mut parts = item.split(';');
                let token = parts.next().unwrap_or_default().trim();
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                if token.eq_ignore_ascii_case(name) {
                    return q;
                }
                if token == "*" {
                    wildcard = Some(q);
                }
            }
            wildcard.unwrap_or(0.0)
        };
        let br = if asset.br.is_some() {
            quality("br")
        } else {
            0.0
        };
        let gzip = if asset.gzip.is_some() {
            quality("gzip")
        } else {
            0.0
        };
        if br > 0.0 && br >= gzip {
            Encoding::Brotli
        } else if gzip > 0.0 {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Asset = Asset {
        path: "app/x.js",
        content_type: "text/javascript",
        etag: "\"x\"",
        ide: false,
        identity: b"plain",
        gzip: Some(b"gz"),
        br: Some(b"br"),
    };

    #[test]
    fn picks_the_encoding_the_client_prefers() {
        let pick = |accept| Encoding::preferred(accept, &BOTH);
        assert_eq!(pick("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(pick("gzip"), Encoding::Gzip);
        assert_eq!(pick("br;q=0.5, gzip"), Encoding::Gzip);
        assert_eq!(pick("br;q=0, gzip;q=0"), Encoding::Identity);
        assert_eq!(pick("*"), Encoding::Brotli);
        assert_eq!(pick("*;q=0.1, gzip;q=0.2"), Encoding::Gzip);
        assert_eq!(pick(""), Encoding::Identity);
        assert_eq!(pick("identity"), Encoding::Identity);
    }

    #[test]
    fn falls_back_when_a_copy_is_missing() {
        let png = Asset {
            gzip: None,
            br: None,
            ..BOTH
        };
        assert_eq!(Encoding::preferred("br, gzip", &png), Encoding::Identity);
    }

    #[test]
    fn the_table_is_sorted_and_app_paths_carry_the_version() {
        assert!(ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        let page = find("app/release.js").expect("the release page's script");
        assert_eq!(
            resolve(&url(page.path)["/assets/".len()..], false).map(|a| a.path),
            Some("app/release.js")
        );
        assert!(resolve("app/release.js", true).is_none(), "unversioned");
        assert!(resolve("app/000000000000/release.js", true).is_none());
    }
}
