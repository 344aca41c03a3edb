//! SDK errors → [`ReadStoreError`]: what cannot reach DynamoDB or is throttled is transient
//! ([`ReadStoreError::Unavailable`]); a missing table is [`ReadStoreError::NoSuchTable`];
//! anything else is [`ReadStoreError::Request`]. Messages are the SDK's full context on one line.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::store::ReadStoreError;

/// DynamoDB's error code for a table that does not exist.
pub(super) const RESOURCE_NOT_FOUND: &str = "ResourceNotFoundException";
/// DynamoDB's error code for a table that exists, or is being created or deleted.
pub(super) const RESOURCE_IN_USE: &str = "ResourceInUseException";
/// DynamoDB's error code for a failed `ConditionExpression`.
pub(super) const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailedException";

/// Service error codes worth retrying later.
const TRANSIENT_CODES: [&str; 7] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// The service's error code, if DynamoDB answered with an error.
pub(super) fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(ctx) => ctx.err().code(),
        _ => None,
    }
}

/// Maps a failed call `operation` on the physical table `table`.
pub(super) fn map_sdk<E>(
    operation: &str,
    table: &str,
    err: SdkError<E, HttpResponse>,
) -> ReadStoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let message = format!(
        "{operation} on {table}: {}",
        DisplayErrorContext(&err)
            .to_string()
            .replace(['\n', '\r'], " ")
    );
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            ReadStoreError::Unavailable(message)
        }
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().unwrap_or_default();
            if code == RESOURCE_NOT_FOUND {
                ReadStoreError::NoSuchTable(table.to_owned())
            } else if TRANSIENT_CODES.contains(&code) || ctx.raw().status().is_server_error() {
                ReadStoreError::Unavailable(message)
            } else {
                ReadStoreError::Request(message)
            }
        }
        _ => ReadStoreError::Request(message),
    }
}
