//! What goes into the webhook outbox (its own module: health changes and vendor
//! incidents both produce events).

use uuid::Uuid;

/// An event to deliver to every matching endpoint of its account.
#[derive(Debug, Clone)]
pub struct NewWebhookEvent {
    /// The message id (`webhook-id`), also the event's `id`.
    pub id: Uuid,
    pub account_id: Uuid,
    pub event_type: String,
    /// The exact JSON body that will be signed and sent.
    pub payload: String,
}
