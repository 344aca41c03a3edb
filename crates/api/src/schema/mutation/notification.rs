//! `retryNotification`: sends a dead-lettered notification again (operators of its tenant,
//! admins). Its dead deliveries go back to pending with their attempts reset; delivered ones
//! are never sent again.

use async_graphql::{Context, Object, SimpleObject};
use holdfast_domain::common::TenantId;
use serde::{Deserialize, Serialize};

use super::{Caller, once};
use crate::error::{ApiError, ErrorCode};
use crate::schema::types::notification::NotificationDelivery;
use holdfast_engine::notify::{DeliveryFilter, OutboxStore};

/// What `retryNotification` did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct RetryNotificationPayload {
    /// The deliveries sent again (pending now).
    pub deliveries: Vec<NotificationDelivery>,
}

/// Notification mutations.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Sends a dead notification again, to one sink or every sink it is dead for. `NOT_FOUND`
    /// for an unknown id, `FORBIDDEN` for another tenant's, `INVALID_STATE` when none of its
    /// deliveries is dead.
    async fn retry_notification(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        notification_id: String,
        sink: Option<String>,
    ) -> async_graphql::Result<RetryNotificationPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        Ok(once(ctx, &caller, async {
            let outbox = OutboxStore::new(&caller.state.store);
            let filter = DeliveryFilter {
                notification_id: Some(notification_id.clone()),
                sink: sink.clone(),
                ..DeliveryFilter::default()
            };
            let known = outbox.list(&filter, None, 1000).await?;
            let Some(first) = known.first() else {
                return Err(ApiError::not_found("notification"));
            };
            if first.tenant_id.is_empty() {
                // A message to an account (no business's): admins only.
                if !caller.principal.is_admin() {
                    return Err(ApiError::forbidden());
                }
            } else {
                let tenant = TenantId::parse(&first.tenant_id).map_err(ApiError::internal)?;
                caller.authorize(tenant)?;
            }
            let retried = outbox
                .retry(&notification_id, sink.as_deref(), caller.now())
                .await?;
            if retried.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    "no delivery of this notification is dead",
                ));
            }
            Ok(RetryNotificationPayload {
                deliveries: retried.into_iter().map(Into::into).collect(),
            })
        })
        .await?)
    }
}
