//! The HTML pages: the live release page at `/`, GraphiQL (`GET /graphql` from a
//! browser) and GraphQL Playground at `/playground`. Everything they load comes from
//! the embedded assets, and each is served with a Content-Security-Policy that lets
//! the page reach nothing but this server.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::assets::{self, ASSETS};

/// The release page and GraphiQL: scripts, styles, images, fonts and connections
/// (fetch and WebSocket; `'self'` covers `ws:`/`wss:` to the same host) from this
/// origin only, no inline script or style, no eval, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; manifest-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Playground 1.7.28 (its last release, unmaintained) needs one relaxation, for its
/// own bundle, that does not let the page reach another origin: `style-src
/// 'unsafe-inline'`, because styled-components writes its CSS into `<style>` elements
/// at run time (without it Playground stops with styled-components error 10). Its
/// bundle also holds `new Function` (js-yaml's `!!js/function`), never reached when
/// Playground runs here, so `'unsafe-eval'` stays out; the browser tests fail on any
/// CSP violation.
const PLAYGROUND_CSP: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

const RELEASE: &str = include_str!("../../assets/pages/release.html");
const GRAPHIQL: &str = include_str!("../../assets/pages/graphiql.html");
const PLAYGROUND: &str = include_str!("../../assets/pages/playground.html");

static RELEASE_WITH_IDES: LazyLock<String> = LazyLock::new(|| render(RELEASE, true));
static RELEASE_WITHOUT_IDES: LazyLock<String> = LazyLock::new(|| render(RELEASE, false));
static GRAPHIQL_PAGE: LazyLock<String> = LazyLock::new(|| render(GRAPHIQL, true));
static PLAYGROUND_PAGE: LazyLock<String> = LazyLock::new(|| render(PLAYGROUND, true));

/// `/` (the release page), `/assets/…`, and `/playground` when `ide` is on.
pub fn routes<S: Clone + Send + Sync + 'static>(ide: bool) -> Router<S> {
    let release: &'static str = if ide {
        &RELEASE_WITH_IDES
    } else {
        &RELEASE_WITHOUT_IDES
    };
    let router = Router::new()
        .route("/", get(move || async move { page(release, CSP) }))
        .route(
            "/assets/{*path}",
            get(move |path: Path<String>, headers: HeaderMap| assets::serve(path, headers, ide)),
        );
    if ide {
        router.route(
            "/playground",
            get(|| async { page(&PLAYGROUND_PAGE, PLAYGROUND_CSP) }),
        )
    } else {
        router
    }
}

/// The GraphiQL page (the caller checks that the IDEs are on).
pub fn graphiql() -> Response {
    page(&GRAPHIQL_PAGE, CSP)
}

fn page(html: &'static str, csp: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ],
        html,
    )
        .into_response()
}

/// Fills a page template: `{{app}}` is the URL of our own files, `{{vendor:NAME}}`
/// the URL of the pinned copy of npm package NAME; `<!--ide-->…<!--/ide-->` is
/// dropped unless the IDEs are on.
fn render(template: &str, ide: bool) -> String {
    let mut html = template.replace("{{app}}", &format!("/assets/app/{}", assets::APP_VERSION));
    while let Some(start) = html.find("{{vendor:") {
        let Some(len) = html[start..].find("}}") else {
            break;
        };
        let name = &html[start + "{{vendor:".len()..start + len];
        let folder = ASSETS
            .iter()
            .filter_map(|a| a.path.strip_prefix("vendor/"))
            .filter_map(|p| p.split_once('/').map(|(folder, _)| folder))
            .find(|folder| folder.rsplit_once('@').is_some_and(|(n, _)| n == name))
            .map(|folder| format!("/assets/vendor/{folder}"))
            .unwrap_or_default();
        html.replace_range(start..start + len + 2, &folder);
    }
    if !ide {
        while let (Some(start), Some(end)) = (html.find("<!--ide-->"), html.find("<!--/ide-->")) {
            if end < start {
                break;
            }
            html.replace_range(start..end + "<!--/ide-->".len(), "");
        }
    }
    html
}
