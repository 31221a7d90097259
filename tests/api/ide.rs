//! The IDEs (GraphiQL, Playground) and tools such as codegen load the schema with
//! graphql-js's standard introspection query; the default limits must let it through.

use serde_json::json;

use crate::helpers::{data, Backend, TestApp};

/// graphql-js's `getIntrospectionQuery()` with every option on.
const INTROSPECTION: &str = include_str!("introspection.graphql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_passes_the_default_limits() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, |s| {
        // The defaults a user runs with, not the raised test ones.
        let defaults = premiere::Settings::for_database("sqlite::memory:");
        s.max_depth = defaults.max_depth;
        s.max_complexity = defaults.max_complexity;
    })
    .await;
    let resp = app.query(INTROSPECTION, json!({})).await;
    let types = data(&resp)["__schema"]["types"]
        .as_array()
        .expect("types")
        .clone();
    for name in ["Series", "Installment", "ReleaseEvent", "Subscription"] {
        assert!(
            types.iter().any(|t| t["name"] == name),
            "{name} missing from introspection"
        );
    }
}

/// The pages (`/graphql` for a browser), and whether each is an IDE.
const PAGES: [(&str, bool); 3] = [("/", false), ("/graphql", true), ("/playground", true)];

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("GET")
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Every `"/assets/…"` URL in `text`, and every relative module import (`from './x.js'`)
/// resolved against `base`.
fn referenced(text: &str, base: &str) -> Vec<String> {
    let mut urls: Vec<String> = text
        .split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_string)
        .collect();
    let dir = base.rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
    for part in text.split("from './").skip(1) {
        if let Some((file, _)) = part.split_once('\'') {
            urls.push(format!("{dir}/{file}"));
        }
    }
    urls
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).expect("gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut brotli_decompressor::Decompressor::new(bytes, 4096),
        &mut out,
    )
    .expect("brotli");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_allow_only_this_server_in_their_csp() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (path, _) in PAGES {
        let resp = get(&app, path, &[("accept", "text/html")]).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            header(&resp, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&resp, "cache-control"), "no-cache", "{path}");
        let csp = header(&resp, "content-security-policy").to_string();
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.starts_with(&format!("{name} ")))
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            directive("default-src"),
            "default-src 'none'",
            "{path}: {csp}"
        );
        assert_eq!(
            directive("script-src"),
            "script-src 'self'",
            "{path}: {csp}"
        );
        assert_eq!(
            directive("connect-src"),
            "connect-src 'self'",
            "{path}: {csp}"
        );
        assert_eq!(
            directive("frame-ancestors"),
            "frame-ancestors 'none'",
            "{path}"
        );
        let style = directive("style-src");
        if path == "/playground" {
            // styled-components writes <style> elements (see src/http/pages.rs).
            assert_eq!(style, "style-src 'self' 'unsafe-inline'", "{csp}");
        } else {
            assert_eq!(style, "style-src 'self'", "{path}: {csp}");
        }
        let html = resp.text().await.expect("page");
        assert!(!html.contains("{{"), "{path}: unfilled template");
        assert!(!html.contains("<style"), "{path}: inline style");
        assert!(
            !html.contains("<script>") && !html.contains("<script type=\"text/javascript\">"),
            "{path}: inline script"
        );
        for attr in ["src=\"", "href=\""] {
            for part in html.split(attr).skip(1) {
                let url = part.split('"').next().unwrap_or_default();
                assert!(
                    url.starts_with('/') && !url.starts_with("//") || url.starts_with('#'),
                    "{path} refers to {url}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_versioned_cached_for_good_and_compressed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut queue: Vec<String> = Vec::new();
    for (path, _) in PAGES {
        let html = get(&app, path, &[("accept", "text/html")])
            .await
            .text()
            .await
            .expect("page");
        queue.extend(referenced(&html, path));
    }
    let mut seen = std::collections::HashSet::new();
    let mut compressed = 0;
    while let Some(url) = queue.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        // A versioned path: the package's version, or a hash of our own files.
        let version = url.split('/').nth(3).unwrap_or_default().to_string();
        assert!(
            version.contains('@') || url.starts_with("/assets/app/") && version.len() == 12,
            "{url} is not versioned"
        );
        let plain = get(&app, &url, &[("accept-encoding", "identity")]).await;
        assert_eq!(plain.status(), 200, "{url}");
        assert_eq!(
            header(&plain, "cache-control"),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert!(header(&plain, "vary").contains("accept-encoding"), "{url}");
        assert!(header(&plain, "content-encoding").is_empty(), "{url}");
        let etag = header(&plain, "etag").to_string();
        let kind = header(&plain, "content-type").to_string();
        let identity = plain.bytes().await.expect("body").to_vec();
        if kind.starts_with("text/javascript") {
            queue.extend(referenced(&String::from_utf8_lossy(&identity), &url));
        }
        let revalidated = get(&app, &url, &[("if-none-match", &etag)]).await;
        assert_eq!(revalidated.status(), 304, "{url}");

        let br = get(&app, &url, &[("accept-encoding", "gzip, deflate, br")]).await;
        let gz = get(&app, &url, &[("accept-encoding", "gzip")]).await;
        assert_eq!(header(&gz, "content-type"), kind, "{url}");
        if identity.len() > 2048 && (kind.starts_with("text/") || kind.contains("svg")) {
            assert_eq!(header(&br, "content-encoding"), "br", "{url}");
            assert_eq!(header(&gz, "content-encoding"), "gzip", "{url}");
            let br = br.bytes().await.expect("body");
            let gz = gz.bytes().await.expect("body");
            assert!(
                br.len() < identity.len() && gz.len() < identity.len(),
                "{url}"
            );
            assert_eq!(unbrotli(&br), identity, "{url}: brotli copy");
            assert_eq!(gunzip(&gz), identity, "{url}: gzip copy");
            compressed += 1;
        }
    }
    // The three pages load GraphiQL, React, Playground, graphql-ws and our own files.
    for expected in [
        "graphiql.min.js",
        "react.production.min.js",
        "react-dom.production.min.js",
        "middleware.js",
        "client.js",
        "common-CGW11Fyb.js",
        "release.js",
        "live.js",
        "feed.js",
    ] {
        assert!(
            seen.iter().any(|u| u.ends_with(&format!("/{expected}"))),
            "{expected} not loaded: {seen:?}"
        );
    }
    assert!(compressed >= 8, "{compressed} compressed assets");
    for missing in [
        "/assets/app/000000000000/release.js",
        "/assets/app/release.js",
        "/assets/vendor/graphiql@4.1.2/nope.js",
        "/assets/vendor/../../Cargo.toml",
        "/assets/pages/release.html",
    ] {
        assert_eq!(get(&app, missing, &[]).await.status(), 404, "{missing}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ides_their_pages_and_bundles_are_gone_but_the_release_page_stays() {
    let on = TestApp::spawn(Backend::Sqlite).await;
    let mut ide_assets = Vec::new();
    for (path, _) in PAGES.iter().filter(|p| p.1) {
        let html = get(&on, path, &[("accept", "text/html")])
            .await
            .text()
            .await
            .expect("page");
        ide_assets.extend(referenced(&html, path));
    }
    let release = get(&on, "/", &[]).await.text().await.expect("page");
    assert!(release.contains("href=\"/graphql\"") && release.contains("href=\"/playground\""));
    let release_assets = referenced(&release, "/");

    let off = TestApp::spawn_on(crate::helpers::TestDb::new(Backend::Sqlite).await, |s| {
        s.ide = false;
    })
    .await;
    // What only the IDEs use (the favicon is the release page's too).
    let ide_only: Vec<&String> = ide_assets
        .iter()
        .filter(|u| !release_assets.contains(u))
        .collect();
    assert!(ide_only.len() >= 7, "{ide_only:?}");
    for url in ide_only {
        assert_eq!(get(&off, url, &[]).await.status(), 404, "{url}");
    }
    let page = get(&off, "/", &[]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    assert!(
        !html.contains("/playground") && !html.contains("href=\"/graphql\""),
        "{html}"
    );
    for url in &release_assets {
        assert_eq!(get(&off, url, &[]).await.status(), 200, "{url}");
    }
}
