//! The pages' shells: one layout (`templates/page.html`) in the visitor's language, with the
//! page's name and arguments and the words the scripts need; the scripts fill it in from the
//! GraphQL API. Every page carries a Content-Security-Policy that allows only this origin.

use std::sync::LazyLock;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::WebState;
use crate::assets;
use crate::i18n::{self, Lang};

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template("page.html", include_str!("../templates/page.html"))
        .expect("page.html parses");
    env.add_template("graphiql.html", include_str!("../templates/graphiql.html"))
        .expect("graphiql.html parses");
    env.add_function("asset", |path: String| {
        minijinja::Value::from_safe_string(assets::url(&path))
    });
    env
});

/// The pages' policy: scripts, styles, images and connections from this origin only (the
/// WebSocket of the live calendar included); photos may also come from an object store's
/// `https:` address; no framing by other sites.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/// GraphiQL's: its editor sets inline styles.
const GRAPHIQL_CSP: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

/// The `?lang=` of any page.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// A page's shell, rendered.
struct Page {
    name: &'static str,
    title_key: &'static str,
    args: Value,
}

fn render(state: &WebState, page: Page, query: &LangQuery, headers: &HeaderMap) -> Response {
    let lang = i18n::choose(query.lang.as_deref(), headers);
    let words = lang.words();
    let config = json!({
        "page": page.name,
        "args": page.args,
        "lang": lang.tag(),
        "words": words,
        "checkout": state.settings.checkout.describe(),
    });
    let languages: Vec<Value> = Lang::ALL
        .iter()
        .map(|l| json!({"tag": l.tag(), "name": l.t("language_name")}))
        .collect();
    let html = TEMPLATES.get_template("page.html").and_then(|t| {
        t.render(minijinja::context! {
            lang => lang.tag(),
            page => page.name,
            title => lang.t(page.title_key),
            t => words,
            languages => languages,
            config => config,
        })
    });
    let mut response = match html {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, page = page.name, "a page template failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response();
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if query.lang.as_deref().and_then(Lang::parse).is_some() {
        let cookie = format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            i18n::COOKIE,
            lang.tag()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            h.insert(header::SET_COOKIE, value);
        }
    }
    response
}

/// A path segment the scripts will use as an id or slug: letters, digits, `-` and `_` only.
fn segment(value: &str) -> Option<String> {
    (!value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| value.to_owned())
}

fn not_found(state: &WebState, query: &LangQuery, headers: &HeaderMap) -> Response {
    let mut response = render(
        state,
        Page {
            name: "not_found",
            title_key: "not_found_title",
            args: json!({}),
        },
        query,
        headers,
    );
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

macro_rules! simple_page {
    ($fn:ident, $name:literal, $title:literal) => {
        #[doc = concat!("The `", $name, "` page.")]
        pub async fn $fn(
            State(state): State<WebState>,
            Query(query): Query<LangQuery>,
            headers: HeaderMap,
        ) -> Response {
            let page = Page {
                name: $name,
                title_key: $title,
                args: json!({}),
            };
            render(&state, page, &query, &headers)
        }
    };
}

simple_page!(home, "home", "home_title");
simple_page!(me, "me", "me_title");
simple_page!(signin, "signin", "signin_title");
simple_page!(console, "console", "console_title");

/// A page whose arguments are path segments: each must be a [`segment`] (else 404).
fn page_of(
    state: &WebState,
    query: &LangQuery,
    headers: &HeaderMap,
    (name, title_key): (&'static str, &'static str),
    args: &[(&str, Option<&str>)],
) -> Response {
    let mut values = serde_json::Map::new();
    for (key, value) in args {
        match value.map(segment) {
            Some(Some(value)) => values.insert((*key).to_owned(), Value::String(value)),
            Some(None) => return not_found(state, query, headers),
            None => values.insert((*key).to_owned(), Value::Null),
        };
    }
    let page = Page {
        name,
        title_key,
        args: Value::Object(values),
    };
    render(state, page, query, headers)
}

/// `/b/<slug>`.
pub async fn business(
    State(state): State<WebState>,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let args = [("slug", Some(slug.as_str()))];
    page_of(
        &state,
        &query,
        &headers,
        ("business", "business_title"),
        &args,
    )
}

/// `/b/<slug>/<listing>`.
pub async fn listing(
    State(state): State<WebState>,
    Path((slug, listing)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let args = [
        ("slug", Some(slug.as_str())),
        ("listing", Some(listing.as_str())),
    ];
    page_of(
        &state,
        &query,
        &headers,
        ("listing", "listing_title"),
        &args,
    )
}

/// `/l/<listing>`: a listing of a business with no slug.
pub async fn listing_by_id(
    State(state): State<WebState>,
    Path(listing): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let args = [("slug", None), ("listing", Some(listing.as_str()))];
    page_of(
        &state,
        &query,
        &headers,
        ("listing", "listing_title"),
        &args,
    )
}

/// `/book/<booking>`.
pub async fn hold(
    State(state): State<WebState>,
    Path(booking): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let args = [("booking", Some(booking.as_str()))];
    page_of(&state, &query, &headers, ("hold", "hold_title"), &args)
}

/// `/checkout/test/<booking>` (404 unless the test checkout is on).
pub async fn test_checkout(
    State(state): State<WebState>,
    Path(booking): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    if state.settings.checkout != crate::Checkout::Test {
        return not_found(&state, &query, &headers);
    }
    let args = [("booking", Some(booking.as_str()))];
    page_of(
        &state,
        &query,
        &headers,
        ("checkout", "checkout_title"),
        &args,
    )
}

/// `/graphiql`.
pub async fn graphiql() -> Response {
    match TEMPLATES
        .get_template("graphiql.html")
        .and_then(|t| t.render(minijinja::context! {}))
    {
        Ok(html) => {
            let mut response = Html(html).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(GRAPHIQL_CSP),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "the GraphiQL template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "GraphiQL could not be shown",
            )
                .into_response()
        }
    }
}
