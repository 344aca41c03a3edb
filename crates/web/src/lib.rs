//! Holdfast in the browser: the booking site every business gets, the operator console, the
//! embeddable widget and GraphiQL — served by `holdfast serve` itself, every asset embedded in
//! the binary (no build step, no CDN: the pages work on a laptop with no network).
//!
//! # Shape
//!
//! The server renders each page's shell (minijinja): the layout, the navigation and the words
//! in the visitor's language, and the page's arguments (a slug, a listing id). Small ES modules
//! (`assets/js`) do the rest as clients of the **public GraphQL API** (`/graphql`, and
//! `/graphql/ws` for the live calendar): the site is the reference client of the API, so
//! whatever the site can do, any other client can too, and there is one place where data is
//! read and decided (the engine). No template reads the read models and no page holds a rule.
//!
//! # Routes ([`router`])
//!
//! | route | page |
//! |---|---|
//! | `GET /` | businesses and search (region, near me, dates, party, price, sort) |
//! | `GET /b/<slug>` | a business: its published listings, next free dates, contact |
//! | `GET /b/<slug>/<listing>` | a listing: photos, the rules in words, the live calendar, book |
//! | `GET /l/<listing>` | the same, for a listing whose business has no site address |
//! | `GET /book/<booking>` | a hold: countdown, guest details, pay |
//! | `GET /checkout/test/<booking>` | the built-in test checkout ([`checkout`]; its `POST` is served by `holdfast-api`) |
//! | `GET /me` | my bookings, offers, wallet |
//! | `GET /signin` | sign in or sign up |
//! | `GET /console` | the operator console |
//! | `GET /widget.js` | the embeddable widget (`<holdfast-booking listing="…">`) |
//! | `GET /graphiql` | GraphiQL (vendored, see `assets/vendor/graphiql/README.md`) |
//! | `GET /assets/<file>` | the embedded scripts, styles and images ([`assets`]) |
//!
//! The language is the visitor's choice ([`i18n::choose`]): `?lang=` (kept in a cookie), then
//! the cookie, then `Accept-Language`; Korean and English.

pub mod assets;
pub mod checkout;
pub mod i18n;
mod pages;

use axum::Router;
use axum::routing::get;
use holdfast_engine::Engine;

pub use checkout::Checkout;

/// How the site is set up.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// How guests pay.
    pub checkout: Checkout,
}

impl Default for WebSettings {
    /// No payment page (bookings are paid by whatever calls the payments webhook).
    fn default() -> Self {
        Self {
            checkout: Checkout::Off,
        }
    }
}

/// The routes' state.
#[derive(Clone)]
pub struct WebState {
    /// The application.
    pub engine: Engine,
    /// The settings.
    pub settings: WebSettings,
}

/// The site's routes (the table in the crate's documentation).
pub fn router(engine: Engine, settings: WebSettings) -> Router {
    let state = WebState { engine, settings };
    Router::new()
        .route("/", get(pages::home))
        .route("/b/{slug}", get(pages::business))
        .route("/b/{slug}/{listing}", get(pages::listing))
        .route("/l/{listing}", get(pages::listing_by_id))
        .route("/book/{booking}", get(pages::hold))
        .route("/me", get(pages::me))
        .route("/signin", get(pages::signin))
        .route("/console", get(pages::console))
        .route("/checkout/test/{booking}", get(pages::test_checkout))
        .route("/graphiql", get(pages::graphiql))
        .route("/widget.js", get(assets::widget))
        .route("/assets/{*file}", get(assets::serve))
        .with_state(state)
}
