//! The embedded files: scripts, styles, images and the vendored GraphiQL, compiled into the
//! binary with `include_bytes!`. Each answer carries its content type, an `ETag` (a digest of
//! the content, so a browser revalidates with `If-None-Match` and gets a 304 when nothing
//! changed) and `Access-Control-Allow-Origin: *` (the widget's modules load from a business's
//! own site).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its path under `/assets/`.
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its content type.
    pub content_type: &'static str,
    /// Its entity tag (quoted).
    pub etag: String,
}

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!("../assets/", $path)) as &[u8])),*]
    };
}

/// Every embedded file, by path.
static FILES: &[(&str, &[u8])] = embedded![
    "css/site.css",
    "img/favicon.svg",
    "js/api.js",
    "js/app.js",
    "js/calendar.js",
    "js/dom.js",
    "js/errors.js",
    "js/i18n.js",
    "js/session.js",
    "js/rules.js",
    "js/pages/business.js",
    "js/pages/checkout.js",
    "js/pages/console.js",
    "js/pages/hold.js",
    "js/pages/home.js",
    "js/pages/listing.js",
    "js/pages/me.js",
    "js/pages/signin.js",
    "js/widget.js",
    "js/graphiql-init.js",
    "vendor/graphiql/graphiql.min.css",
    "vendor/graphiql/graphiql.min.js",
    "vendor/graphiql/react.production.min.js",
    "vendor/graphiql/react-dom.production.min.js",
];

static INDEX: LazyLock<HashMap<&'static str, Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(path, bytes)| {
            let digest = Sha256::digest(bytes);
            let asset = Asset {
                path,
                bytes,
                content_type: content_type(path),
                etag: format!("\"{}\"", hex::encode(&digest[..12])),
            };
            (*path, asset)
        })
        .collect()
});

/// The content type of a path, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The embedded file at `path`, if there is one.
pub fn get(path: &str) -> Option<&'static Asset> {
    INDEX.get(path)
}

/// Every embedded file.
pub fn all() -> impl Iterator<Item = &'static Asset> {
    INDEX.values()
}

/// The address of an embedded file with its version (`/assets/js/app.js?v=…`): pages link
/// these so a new binary's files are fetched, not an old copy.
pub fn url(path: &str) -> String {
    match get(path) {
        Some(asset) => format!("/assets/{path}?v={}", asset.etag.trim_matches('"')),
        None => format!("/assets/{path}"),
    }
}

fn answer(asset: &Asset, headers: &HeaderMap) -> Response {
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.bytes.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        h.insert(header::ETAG, etag);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /assets/<file>`.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match get(&file) {
        Some(asset) => answer(asset, &headers),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// `GET /widget.js`: the widget's module (the same file as `/assets/js/widget.js`).
pub async fn widget(headers: HeaderMap) -> Response {
    match get("js/widget.js") {
        Some(asset) => answer(asset, &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_known_type_and_a_distinct_tag() {
        let mut tags = std::collections::HashSet::new();
        for asset in all() {
            assert_ne!(
                asset.content_type, "application/octet-stream",
                "{}",
                asset.path
            );
            assert!(!asset.bytes.is_empty(), "{} is empty", asset.path);
            assert!(
                tags.insert(asset.etag.clone()),
                "{} shares a tag",
                asset.path
            );
        }
        assert_eq!(tags.len(), FILES.len());
    }

    #[test]
    fn scripts_import_only_embedded_modules() {
        // A module importing a file that is not embedded would fail only in a browser.
        for asset in all().filter(|a| a.path.starts_with("js/")) {
            let text = std::str::from_utf8(asset.bytes).expect("utf-8");
            for line in text
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let Some(from) = line.split(['"', '\'']).nth(1) else {
                    continue;
                };
                let base = asset.path.rsplit_once('/').map_or("", |(dir, _)| dir);
                let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
                for part in from.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        p => parts.push(p),
                    }
                }
                let target = parts.join("/");
                assert!(
                    get(&target).is_some(),
                    "{} imports {from} ({target}), which is not embedded",
                    asset.path
                );
            }
        }
    }

    #[test]
    fn urls_carry_the_version() {
        let url = url("js/app.js");
        assert!(url.starts_with("/assets/js/app.js?v="), "{url}");
        assert_eq!(url.len(), "/assets/js/app.js?v=".len() + 24);
    }
}
