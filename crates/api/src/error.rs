//! The API's error model: every failure a client can see has a stable `code` (GraphQL
//! `extensions.code`), a human message, whether retrying may help, and for broken rules the
//! rule's name. Domain errors are mapped once, here. Internal details are logged, never sent.

use std::fmt;

use holdfast_domain::booking::BookingError;
use holdfast_domain::coupon::CouponError;
use holdfast_domain::inventory::InventoryError;
use holdfast_domain::listing::ListingError;
use holdfast_domain::policy::{PolicyError, PolicyViolation};

use crate::auth::AuthError;
use crate::dispatch::DispatchError;

/// Stable error codes (`extensions.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is malformed or a value is out of range.
    InvalidInput,
    /// No such thing (or not visible to the caller).
    NotFound,
    /// Authenticated, but not allowed.
    Forbidden,
    /// No valid credentials where they are needed.
    Unauthenticated,
    /// A concurrent change won; retry.
    Conflict,
    /// Not enough capacity left.
    SoldOut,
    /// The slot is closed or not offered.
    SlotUnavailable,
    /// The listing's booking policy refuses the request.
    PolicyViolation,
    /// The coupon cannot be claimed or redeemed.
    CouponRejected,
    /// The payment does not match.
    PaymentRejected,
    /// It exists already (with different details).
    AlreadyExists,
    /// Not possible in the current state (e.g. cancelling a checked-in booking).
    InvalidState,
    /// A dependency is down; retry.
    Unavailable,
    /// A bounded wait (consistency token) ran out.
    Timeout,
    /// A bug or corrupt data: logged with details, reported without them.
    Internal,
}

impl ErrorCode {
    /// The wire form, e.g. `SOLD_OUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::SoldOut => "SOLD_OUT",
            ErrorCode::SlotUnavailable => "SLOT_UNAVAILABLE",
            ErrorCode::PolicyViolation => "POLICY_VIOLATION",
            ErrorCode::CouponRejected => "COUPON_REJECTED",
            ErrorCode::PaymentRejected => "PAYMENT_REJECTED",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// Whether the same request may succeed later.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::Conflict | ErrorCode::Unavailable | ErrorCode::Timeout
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable message (never internal details).
    pub message: String,
    /// The broken rule's name, for domain rejections (e.g. `WindowNotOpen`).
    pub rule: Option<String>,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            rule: None,
        }
    }

    /// `FORBIDDEN`.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "not allowed")
    }

    /// `NOT_FOUND` for a kind of thing.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// `INVALID_INPUT`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// `INTERNAL`: logs `detail`, reports nothing of it.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    fn rejected(code: ErrorCode, error: &(impl fmt::Display + fmt::Debug)) -> Self {
        Self {
            code,
            message: error.to_string(),
            rule: Some(variant_name(error)),
        }
    }
}

// Deliberately no `Display`: async-graphql converts any `Display` into an error WITHOUT
// extensions, so `?` on an `ApiError` must go through this conversion, which keeps the code.
impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
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

/// The enum variant name of a derived `Debug` value (`SoldOut { .. }` → `SoldOut`).
fn variant_name(value: &impl fmt::Debug) -> String {
    format!("{value:?}")
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_owned()
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::new(ErrorCode::Unauthenticated, e.to_string())
    }
}

impl From<PolicyViolation> for ApiError {
    fn from(e: PolicyViolation) -> Self {
        Self::rejected(ErrorCode::PolicyViolation, &e)
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        Self::rejected(ErrorCode::InvalidInput, &e)
    }
}

impl From<InventoryError> for ApiError {
    fn from(e: InventoryError) -> Self {
        use InventoryError as E;
        let code = match &e {
            E::SoldOut { .. } => ErrorCode::SoldOut,
            E::SlotClosed { .. } | E::SlotNotOffered { .. } => ErrorCode::SlotUnavailable,
            E::NotDefined | E::HoldNotFound { .. } | E::AllocationNotFound { .. } => {
                ErrorCode::NotFound
            }
            E::AlreadyDefined { .. } | E::HoldAlreadyExists { .. } => ErrorCode::AlreadyExists,
            E::CapacityBelowTaken { .. }
            | E::HoldAlreadyConfirmed { .. }
            | E::BookingAlreadyFinished { .. }
            | E::HoldNotConfirmed { .. } => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<CouponError> for ApiError {
    fn from(e: CouponError) -> Self {
        use CouponError as E;
        let code = match &e {
            E::NotCreated | E::RedemptionNotFound { .. } => ErrorCode::NotFound,
            E::AlreadyCreated { .. } => ErrorCode::AlreadyExists,
            E::NotStarted { .. }
            | E::Expired { .. }
            | E::Exhausted { .. }
            | E::PerGuestLimitReached { .. }
            | E::CampaignEnded
            | E::NoUnusedClaim { .. }
            | E::MinSpendNotMet { .. }
            | E::NotApplicableToListing { .. } => ErrorCode::CouponRejected,
            E::RedemptionConflict { .. }
            | E::RedemptionAlreadyRestored { .. }
            | E::RestoreNotAllowed => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> Self {
        use BookingError as E;
        let code = match &e {
            E::NotFound => ErrorCode::NotFound,
            E::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            E::PaymentAmountMismatch { .. } | E::PaymentReferenceConflict { .. } => {
                ErrorCode::PaymentRejected
            }
            E::IllegalTransition { .. }
            | E::OfferPending
            | E::NoPendingOffer { .. }
            | E::AlreadyHeld { .. }
            | E::CouponAlreadyApplied { .. }
            | E::CouponNotAllowed { .. }
            | E::HoldNotExpiredYet { .. }
            | E::RefundNotAllowed { .. }
            | E::TooEarlyToCheckIn { .. }
            | E::TooLateToCheckIn { .. }
            | E::TooEarlyForNoShow { .. }
            | E::AlreadyOffered { .. }
            | E::OfferExpired { .. }
            | E::OfferNotExpiredYet { .. } => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<ListingError> for ApiError {
    fn from(e: ListingError) -> Self {
        use ListingError as E;
        let code = match &e {
            E::NotCreated => ErrorCode::NotFound,
            E::AlreadyCreated => ErrorCode::AlreadyExists,
            E::IllegalTransition { .. }
            | E::SuspendedUseReinstate
            | E::NotSuspended { .. }
            | E::AlreadySuspended { .. }
            | E::Archived => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl<E> From<DispatchError<E>> for ApiError
where
    E: std::error::Error,
    ApiError: From<E>,
{
    fn from(e: DispatchError<E>) -> Self {
        match e {
            DispatchError::Rejected(e) => ApiError::from(e),
            DispatchError::Conflict { .. } => Self::new(ErrorCode::Conflict, e.to_string()),
            DispatchError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "event store unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "the event store is unavailable; retry",
                )
            }
            DispatchError::Internal(detail) => Self::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use holdfast_domain::common::Slot;

    #[test]
    fn sold_out_maps_to_its_code_rule_and_message() {
        let slot = Slot::parse("2030-07-01").unwrap();
        let e = ApiError::from(InventoryError::SoldOut {
            slot,
            requested: 2,
            available: 1,
        });
        assert_eq!(e.code, ErrorCode::SoldOut);
        assert_eq!(e.rule.as_deref(), Some("SoldOut"));
        assert!(e.message.contains("2030-07-01"), "{}", e.message);
        assert!(!e.code.retryable());
    }

    #[test]
    fn internal_details_never_reach_the_client() {
        let e: ApiError =
            DispatchError::<InventoryError>::Internal("relation \"events\" does not exist".into())
                .into();
        assert_eq!(e.code, ErrorCode::Internal);
        assert_eq!(e.message, "internal error");
        let e: ApiError =
            DispatchError::<InventoryError>::Unavailable("connection refused 10.0.0.7".into())
                .into();
        assert_eq!(e.code, ErrorCode::Unavailable);
        assert!(!e.message.contains("10.0.0.7") && e.code.retryable());
    }

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
    fn conflicts_are_retryable() {
        let e: ApiError = DispatchError::<BookingError>::Conflict { attempts: 10 }.into();
        assert_eq!((e.code, e.code.retryable()), (ErrorCode::Conflict, true));
    }
}
