//! [`AppState`]: what the HTTP routes share — the [`Engine`] and how bearer tokens are
//! verified.

use std::sync::Arc;

use holdfast_engine::Engine;

use crate::auth::Authenticator;
use crate::identity::Identity;

/// Shared state of the routes. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The application.
    pub engine: Engine,
    /// Verifies bearer tokens.
    pub auth: Arc<Authenticator>,
    /// The embedded identity provider (`None`: an outside provider signs people in).
    pub identity: Option<Arc<Identity>>,
    /// Where photos are kept (`None`: uploads are refused).
    pub photos: Option<Arc<holdfast_engine::photos::PhotoStore>>,
    /// The booking site's settings (how guests pay).
    pub web: holdfast_web::WebSettings,
}

impl AppState {
    /// The routes' state over `engine`, verifying tokens with `auth`.
    pub fn new(engine: Engine, auth: Authenticator) -> Self {
        Self {
            engine,
            auth: Arc::new(auth),
            identity: None,
            photos: None,
            web: holdfast_web::WebSettings::default(),
        }
    }

    /// These routes, keeping photos in `photos`.
    pub fn with_photos(mut self, photos: holdfast_engine::photos::PhotoStore) -> Self {
        self.photos = Some(Arc::new(photos));
        self
    }

    /// These routes, with the booking site set up by `web`.
    pub fn with_web(mut self, web: holdfast_web::WebSettings) -> Self {
        self.web = web;
        self
    }

    /// These routes, signing people up and in with `identity`.
    pub fn with_identity(mut self, identity: Arc<Identity>) -> Self {
        self.identity = Some(identity);
        self
    }
}
