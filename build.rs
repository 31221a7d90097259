//! Embeds the web assets (`assets/vendor`, `assets/app`) in the binary, each with a
//! gzip and a brotli copy made here once, so that serving them costs no compression
//! and needs no network. Writes `$OUT_DIR/assets.rs`, included by `src/http/assets.rs`.
//!
//! The vendored files must match `assets/vendor/SHA256SUMS` (written by
//! `tools/assets/refresh.mjs` from the npm tarballs); `assets/vendor.json` says which
//! packages belong to the IDEs (removed with `PREMIERE_IDE=false`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use sha2::{Digest, Sha256};

/// A compressed copy is kept only when it saves at least this fraction of the bytes.
const WORTH_IT: f64 = 0.9;

fn main() {
    println!("cargo:rerun-if-changed=assets");
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let compressed_dir = out.join("assets");
    fs::create_dir_all(&compressed_dir).expect("creating OUT_DIR/assets");

    let mut files = Vec::new();
    for group in ["vendor", "app"] {
        collect(
            &root.join("assets"),
            &root.join("assets").join(group),
            &mut files,
        );
    }
    files.sort();
    let sums = vendor_sums(&root);
    let ide_packages = ide_packages(&root);

    // Our own files are served under a path naming a hash of them all, so that they
    // can be cached for good and still change with the binary.
    let mut app_hash = Sha256::new();
    for (rel, full) in &files {
        if rel.starts_with("app/") {
            app_hash.update(rel.as_bytes());
            app_hash.update(fs::read(full).expect("reading an asset"));
        }
    }
    let app_version = hex(&app_hash.finalize())[..12].to_string();

    let mut code = String::new();
    writeln!(code, "/// Hash of the files under `assets/app`.").ok();
    writeln!(code, "pub const APP_VERSION: &str = {app_version:?};").ok();
    writeln!(code, "/// Every embedded asset, sorted by path.").ok();
    writeln!(code, "pub static ASSETS: &[Asset] = &[").ok();
    for (rel, full) in &files {
        let bytes = fs::read(full).expect("reading an asset");
        let digest = hex(&Sha256::digest(&bytes));
        let ide = match rel.strip_prefix("vendor/") {
            Some(vendored) => {
                if sums.get(vendored) != Some(&digest) {
                    panic!(
                        "assets/{rel} is not the pinned file (assets/vendor/SHA256SUMS); \
                         run `node tools/assets/refresh.mjs`"
                    );
                }
                let package = vendored.split_once('/').map(|(p, _)| p).unwrap_or_default();
                ide_packages.iter().any(|p| p == package)
            }
            None => rel.starts_with("app/ide/"),
        };
        let etag = format!("\"{}\"", &digest[..20]);
        let content_type = content_type(rel);
        let (gzip, br) = if compressible(content_type) {
            (
                compressed(&bytes, &digest, &compressed_dir, "gz", gzip),
                compressed(&bytes, &digest, &compressed_dir, "br", brotli),
            )
        } else {
            (None, None)
        };
        let include = |p: &Option<PathBuf>| match p {
            Some(p) => format!("Some(include_bytes!({:?}))", p.display().to_string()),
            None => "None".to_string(),
        };
        writeln!(
            code,
            "    Asset {{ path: {rel:?}, content_type: {content_type:?}, etag: {etag:?}, ide: {ide}, \
             identity: include_bytes!({:?}), gzip: {}, br: {} }},",
            full.display().to_string(),
            include(&gzip),
            include(&br),
        )
        .ok();
    }
    writeln!(code, "];").ok();
    fs::write(out.join("assets.rs"), code).expect("writing assets.rs");
}

/// `assets/vendor/SHA256SUMS`: path under assets/vendor -> sha256.
fn vendor_sums(root: &Path) -> HashMap<String, String> {
    let text = fs::read_to_string(root.join("assets/vendor/SHA256SUMS"))
        .expect("assets/vendor/SHA256SUMS (run `node tools/assets/refresh.mjs`)");
    let sums: HashMap<String, String> = text
        .lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(hash, file)| (file.to_string(), hash.to_string()))
        .collect();
    for file in sums.keys() {
        assert!(
            root.join("assets/vendor").join(file).is_file(),
            "assets/vendor/{file} is missing; run `node tools/assets/refresh.mjs`"
        );
    }
    sums
}

/// The `name@version` folders of the packages `assets/vendor.json` marks `ide`.
fn ide_packages(root: &Path) -> Vec<String> {
    let text = fs::read_to_string(root.join("assets/vendor.json")).expect("assets/vendor.json");
    let pins: serde_json::Value = serde_json::from_str(&text).expect("assets/vendor.json");
    pins["packages"]
        .as_array()
        .expect("assets/vendor.json: packages")
        .iter()
        .filter(|p| p["ide"].as_bool().unwrap_or(false))
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap_or_default(),
                p["version"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Every file under `dir`, as (path relative to `base` with `/`, full path).
fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("listing assets").path();
        if path.is_dir() {
            collect(base, &path, files);
        } else if path.file_name().is_some_and(|n| n != "SHA256SUMS") {
            let rel = path
                .strip_prefix(base)
                .expect("an asset under assets/")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path));
        }
    }
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        // LICENSE, LICENSE.md and other notes.
        _ => "text/plain; charset=utf-8",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type == "application/json"
        || content_type == "image/svg+xml"
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes).expect("brotli");
    }
    out
}

/// The compressed copy of `original` (named by its digest in OUT_DIR, so that a file
/// is compressed once, not at every build), if it is worth serving.
fn compressed(
    original: &[u8],
    digest: &str,
    dir: &Path,
    ext: &str,
    compress: fn(&[u8]) -> Vec<u8>,
) -> Option<PathBuf> {
    let path = dir.join(format!("{digest}.{ext}"));
    let skipped = dir.join(format!("{digest}.{ext}.skip"));
    if path.is_file() {
        return Some(path);
    }
    if skipped.is_file() {
        return None;
    }
    let bytes = compress(original);
    if (bytes.len() as f64) > (original.len() as f64) * WORTH_IT {
        fs::write(&skipped, b"").expect("writing a marker");
        return None;
    }
    fs::write(&path, bytes).expect("writing a compressed asset");
    Some(path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
