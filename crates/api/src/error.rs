//! Errors as GraphQL clients see them: an [`ApiError`] is an [`EngineError`] on its way out,
//! and [`From<ApiError> for async_graphql::Error`] is the one place that maps it (the code as
//! `extensions.code`, `extensions.retryable`, and for broken rules `extensions.rule`).
//!
//! Resolvers return `async_graphql::Result`; a `?` on an [`ApiError`] goes through that
//! conversion. An [`EngineError`] cannot be `?`-ed into a GraphQL error directly (it has no
//! `Display` on purpose, so it never takes async-graphql's extension-less blanket conversion):
//! it becomes an [`ApiError`] first (`From`), which keeps the code.

use holdfast_domain::booking::BookingError;
use holdfast_domain::coupon::CouponError;
use holdfast_domain::inventory::InventoryError;
use holdfast_domain::listing::ListingError;
use holdfast_domain::policy::{PolicyError, PolicyViolation};
use holdfast_domain::tenant::TenantError;
use holdfast_engine::accounts::AccountError;
use holdfast_engine::dispatch::DispatchError;
use holdfast_engine::notify::NotifyError;
use holdfast_engine::profiles::ProfileError;
use holdfast_projections::models::QueryError;

pub use holdfast_engine::{EngineError, ErrorCode};

use crate::auth::AuthError;

/// An error on its way to a GraphQL client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError(pub EngineError);

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(EngineError::new(code, message))
    }

    /// `FORBIDDEN`.
    pub fn forbidden() -> Self {
        Self(EngineError::forbidden())
    }

    /// `NOT_FOUND` for a kind of thing.
    pub fn not_found(what: &str) -> Self {
        Self(EngineError::not_found(what))
    }

    /// `INVALID_INPUT`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self(EngineError::invalid(message))
    }

    /// `INTERNAL`: logs `detail`, reports nothing of it.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self(EngineError::internal(detail))
    }
}

/// An [`ApiError`] reads as the [`EngineError`] it carries (`e.code`, `e.message`, `e.rule`).
impl std::ops::Deref for ApiError {
    type Target = EngineError;

    fn deref(&self) -> &EngineError {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut EngineError {
        &mut self.0
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(e): ApiError) -> Self {
        let mut error = async_graphql::Error::new(e.message);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", e.code.as_str());
        ext.set("retryable", e.code.retryable());
        if let Some(rule) = &e.rule {
            ext.set("rule", rule.as_str());
        }
        error.extensions = Some(ext);
        error
    }
}

impl From<ApiError> for EngineError {
    fn from(ApiError(e): ApiError) -> Self {
        e
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::new(ErrorCode::Unauthenticated, e.to_string())
    }
}

/// Everything the engine maps to an [`EngineError`] maps to an [`ApiError`] the same way.
macro_rules! through_engine {
    ($($source:ty),* $(,)?) => {$(
        impl From<$source> for ApiError {
            fn from(e: $source) -> Self {
                Self(EngineError::from(e))
            }
        }
    )*};
}
through_engine!(
    EngineError,
    PolicyViolation,
    PolicyError,
    InventoryError,
    CouponError,
    BookingError,
    ListingError,
    QueryError,
    NotifyError,
    AccountError,
    ProfileError,
    TenantError,
    holdfast_domain::review::ReviewError,
    holdfast_engine::notify::preferences::PreferenceError,
);

/// `result.or_api()?`: a library error to an [`ApiError`] (keeping its code) before `?` —
/// where `?` alone would take async-graphql's blanket conversion of anything `Display`, which
/// drops the code.
pub trait OrApi<T> {
    /// The result with its error as an [`ApiError`].
    fn or_api(self) -> Result<T, ApiError>;
}

impl<T, E> OrApi<T> for Result<T, E>
where
    ApiError: From<E>,
{
    fn or_api(self) -> Result<T, ApiError> {
        self.map_err(ApiError::from)
    }
}

impl<E> From<DispatchError<E>> for ApiError
where
    E: std::error::Error,
    EngineError: From<E>,
{
    fn from(e: DispatchError<E>) -> Self {
        Self(<EngineError as From<DispatchError<E>>>::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_errors_carry_the_code_in_extensions() {
        let gql: async_graphql::Error = ApiError::from(AuthError::Expired).into();
        let ext = gql.extensions.unwrap();
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("UNAUTHENTICATED"))
        );
        assert_eq!(
            ext.get("retryable"),
            Some(&async_graphql::Value::from(false))
        );
    }

    #[test]
    fn broken_rules_keep_their_rule_and_retryable_codes_say_so() {
        let slot = holdfast_domain::common::Slot::parse("2030-07-01").unwrap();
        let gql: async_graphql::Error = ApiError::from(InventoryError::SoldOut {
            slot,
            requested: 2,
            available: 1,
        })
        .into();
        let ext = gql.extensions.unwrap();
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("SOLD_OUT"))
        );
        assert_eq!(
            ext.get("rule"),
            Some(&async_graphql::Value::from("SoldOut"))
        );
        let gql: async_graphql::Error =
            ApiError::from(DispatchError::<BookingError>::Conflict { attempts: 10 }).into();
        let ext = gql.extensions.unwrap();
        assert_eq!(
            ext.get("retryable"),
            Some(&async_graphql::Value::from(true))
        );
    }
}
