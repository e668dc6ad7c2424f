//! Publishing events and delivering them to webhook subscriptions.
//!
//! Publishing numbers the events that can no longer be preceded (see [`crate::models::events`])
//! and, in the same transaction, makes one delivery row per interested subscription. The delivery
//! worker takes due deliveries under a lease (a later `next_attempt_at`, claimed with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances never send one delivery at the
//! same time), posts them signed, and records each attempt. Everything it needs is in rows, so a
//! restart loses nothing: a delivery whose instance stopped mid-send is taken again when its lease
//! runs out (at least once).

pub mod signature;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::api::events::EventView;
use crate::auth::Role;
use crate::auth::principal::reads_personal_data;
use crate::auth::scopes::Scopes;
use crate::config::Config;
use crate::db::{Db, DbConn};
use crate::error::ApiError;
use crate::models::audit::{self, Actor, Change};
use crate::models::webhooks::{
    self as model, AttemptRow, DELIVERED, DeliveryRow, FAILED, PENDING, SubscriptionChanges, SubscriptionRow,
};
use crate::models::{events, integration_clients, now, users};

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed delivery is kept from other workers; longer than an attempt.
const LEASE: Duration = Duration::from_secs(60);
/// The longest wait between two retries.
const LONGEST_WAIT: Duration = Duration::from_secs(6 * 3600);
/// How much of a receiver's answer is kept.
const KEPT_ANSWER_CHARS: usize = 1000;
/// Deliveries taken per claim.
const CLAIM_BATCH: i64 = 10;

/// How often a sleeping worker checks whether the server is stopping.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// The running delivery thread of a server.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<()>,
}

impl Worker {
    /// Lets the delivery in hand finish and record its answer, then ends the thread: a server
    /// that stops leaves no attempt unrecorded.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.handle.join();
    }
}

/// Why a subscription was disabled by the worker.
pub const DISABLED_FAILING: &str = "failing";

/// Numbers the events ready and makes their deliveries, in the caller's transaction.
pub fn publish(conn: &mut DbConn) -> Result<usize, ApiError> {
    let published = events::publish(conn)?;
    model::fan_out(conn, &published, now())?;
    Ok(published.len())
}

/// Publishes what is ready, if anything waits; before the feed is read.
pub async fn publish_pending(db: &Db) -> Result<(), ApiError> {
    if db.read(events::has_unpublished).await? {
        db.write(|conn| publish(conn).map(|_| ())).await?;
    }
    Ok(())
}

/// The wait after the `attempts`-th failed attempt: the base, four times longer each time, at most
/// six hours.
pub fn retry_wait(base: Duration, attempts: i32) -> Duration {
    let factor = 4u32.saturating_pow(attempts.clamp(1, 16) as u32 - 1);
    base.saturating_mul(factor).min(LONGEST_WAIT)
}

fn chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// What one attempt gave.
struct Outcome {
    status: Option<u16>,
    answer: Option<String>,
    error: Option<String>,
    took: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The delivery worker of one server instance.
pub struct Deliverer {
    db: Db,
    agent: ureq::Agent,
    retry_base: Duration,
    retry_window: Duration,
}

impl Deliverer {
    pub fn new(db: Db, config: &Config) -> Deliverer {
        Deliverer {
            db,
            agent: ureq::AgentBuilder::new()
                .timeout(ATTEMPT_TIMEOUT)
                .redirects(0)
                .user_agent("khuyencong-webhooks/1")
                .build(),
            retry_base: config.webhook_retry_base,
            retry_window: config.webhook_retry_window,
        }
    }

    /// Runs the worker on its own thread, every `poll`; nothing when `poll` is zero.
    pub fn spawn(db: Db, config: &Config) -> Option<Worker> {
        let poll = config.webhook_poll;
        if poll.is_zero() {
            return None;
        }
        let deliverer = Deliverer::new(db, config);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let handle = std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || {
                while !stopping.load(Ordering::Acquire) {
                    let started = Instant::now();
                    if let Err(error) = deliverer.sweep_until(&stopping) {
                        tracing::warn!(error = %error, cause = ?error.internal, "webhook delivery round failed");
                    }
                    // Sleeps in short steps, so that a stopping server does not wait a whole poll.
                    while !stopping.load(Ordering::Acquire) && started.elapsed() < poll {
                        std::thread::sleep(poll.saturating_sub(started.elapsed()).min(STOP_CHECK));
                    }
                }
            })
            .ok()?;
        Some(Worker { stop, handle })
    }

    /// One round: publish what is ready, then send every delivery that is due. Returns how many
    /// requests were sent.
    pub fn sweep(&self) -> Result<usize, ApiError> {
        self.sweep_until(&AtomicBool::new(false))
    }

    /// [`Deliverer::sweep`], ending after the delivery in hand once `stop` is set.
    fn sweep_until(&self, stop: &AtomicBool) -> Result<usize, ApiError> {
        self.db.write_blocking(|conn| {
            if events::has_unpublished(conn)? {
                publish(conn)?;
            }
            Ok(())
        })?;
        // What was due when the round began: a retry that falls due meanwhile waits for the next
        // round, so one round tries a delivery once.
        let round = now();
        let mut attempted = 0;
        loop {
            let taken = self
                .db
                .write_blocking(|conn| model::claim_due(conn, round, now() + chrono(LEASE), CLAIM_BATCH))?;
            if taken.is_empty() {
                return Ok(attempted);
            }
            for delivery in taken {
                // Deliveries taken but not tried go back to others when their lease ends.
                if stop.load(Ordering::Acquire) {
                    return Ok(attempted);
                }
                if self.attempt(delivery)? {
                    attempted += 1;
                }
            }
        }
    }

    /// Sends one delivery and records what happened; `false` when it was not sent (its
    /// subscription was disabled or deleted meanwhile).
    fn attempt(&self, delivery: DeliveryRow) -> Result<bool, ApiError> {
        let prepared = self.db.write_blocking(|conn| {
            let subscription = model::find_any(conn, delivery.subscription_id)?
                .ok_or_else(|| ApiError::internal("delivery without subscription"))?;
            if !subscription.active || subscription.deleted_at.is_some() {
                model::fail_pending(conn, subscription.id)?;
                return Ok(None);
            }
            let event = events::find(conn, delivery.event_id)?
                .ok_or_else(|| ApiError::internal("delivery without event"))?;
            let personal = owner_reads_personal_data(conn, &subscription, event.province_code.as_deref())?;
            Ok(Some((subscription, event, personal)))
        })?;
        let Some((subscription, event, personal)) = prepared else {
            return Ok(false);
        };
        let view = EventView::render(event, personal)?;
        let message_id = format!("evt_{}", view.position);
        let body = serde_json::to_vec(&serde_json::json!({
            "type": view.event_type,
            "timestamp": view.occurred_at,
            "data": view,
        }))
        .map_err(|e| ApiError::internal(e.to_string()))?;
        let outcome = self.post(&subscription, &message_id, &body);
        self.record(delivery, &subscription, outcome)?;
        Ok(true)
    }

    fn post(&self, subscription: &SubscriptionRow, message_id: &str, body: &[u8]) -> Outcome {
        let timestamp = chrono::Utc::now().timestamp();
        let started = Instant::now();
        let answer = self
            .agent
            .post(&subscription.url)
            .set("Content-Type", "application/json")
            .set("webhook-id", message_id)
            .set("webhook-timestamp", &timestamp.to_string())
            .set(
                "webhook-signature",
                &signature::sign(&subscription.secret, message_id, timestamp, body),
            )
            .send_bytes(body);
        let took = started.elapsed();
        let read = |response: ureq::Response| {
            let status = response.status();
            let text = response.into_string().unwrap_or_default();
            (status, text.chars().take(KEPT_ANSWER_CHARS).collect::<String>())
        };
        match answer {
            Ok(response) => {
                let (status, text) = read(response);
                Outcome {
                    status: Some(status),
                    answer: Some(text),
                    error: None,
                    took,
                }
            }
            Err(ureq::Error::Status(_, response)) => {
                let (status, text) = read(response);
                Outcome {
                    status: Some(status),
                    answer: Some(text),
                    error: None,
                    took,
                }
            }
            Err(ureq::Error::Transport(transport)) => Outcome {
                status: None,
                answer: None,
                error: Some(transport.to_string().chars().take(KEPT_ANSWER_CHARS).collect()),
                took,
            },
        }
    }

    fn record(
        &self,
        delivery: DeliveryRow,
        subscription: &SubscriptionRow,
        outcome: Outcome,
    ) -> Result<(), ApiError> {
        let (retry_base, retry_window) = (self.retry_base, self.retry_window);
        let subscription_id = subscription.id;
        self.db.write_blocking(move |conn| {
            let attempted_at = now();
            let succeeded = outcome.succeeded();
            let attempts = delivery.attempts + 1;
            let gave_up = !succeeded && attempted_at - delivery.created_at >= chrono(retry_window);
            let (state, next) = match (succeeded, gave_up) {
                (true, _) => (DELIVERED, attempted_at),
                (false, true) => (FAILED, attempted_at),
                (false, false) => (PENDING, attempted_at + chrono(retry_wait(retry_base, attempts))),
            };
            model::record_attempt(
                conn,
                &AttemptRow {
                    id: 0,
                    delivery_id: delivery.id,
                    attempted_at,
                    duration_ms: outcome.took.as_millis() as i64,
                    status: outcome.status.map(i32::from),
                    response_body: outcome.answer,
                    error: outcome.error,
                },
                state,
                next,
            )?;
            if succeeded {
                return model::set_failing(conn, subscription_id, None);
            }
            model::set_failing(conn, subscription_id, Some(attempted_at))?;
            let current = model::find_any(conn, subscription_id)?
                .ok_or_else(|| ApiError::internal("subscription vanished"))?;
            if current.active
                && current
                    .failing_since
                    .is_some_and(|since| attempted_at - since >= chrono(retry_window))
            {
                disable(conn, &current, attempted_at)?;
            }
            Ok(())
        })
    }
}

/// Disables a subscription that has failed for the whole retry window; its pending deliveries are
/// given up. Audited as the worker's change.
fn disable(conn: &mut DbConn, subscription: &SubscriptionRow, at: NaiveDateTime) -> Result<(), ApiError> {
    let changes = SubscriptionChanges {
        active: Some(false),
        disabled_reason: Some(Some(DISABLED_FAILING.to_owned())),
        ..SubscriptionChanges::default()
    };
    let Some(updated) = model::update(conn, subscription.id, subscription.version, &changes, at)? else {
        // Changed meanwhile by its owner; the next failure decides again.
        return Ok(());
    };
    model::fail_pending(conn, subscription.id)?;
    let snapshot = |row: &SubscriptionRow| {
        Some(serde_json::json!({
            "id": row.id, "url": row.url, "active": row.active,
            "disabled_reason": row.disabled_reason, "failing_since": row.failing_since,
        }))
    };
    audit::record(
        conn,
        &Actor::worker("webhook-delivery"),
        Change {
            entity_type: crate::api::webhooks::ENTITY,
            entity_id: subscription.id.to_string(),
            action: "disabled",
            before: snapshot(subscription),
            after: snapshot(&updated),
            province_code: updated.province_code.as_deref(),
        },
    )
}

/// Whether the subscription's owner may read the personal data of an event of `province_code`:
/// its role or its `personal_data:read` scope, within its province.
fn owner_reads_personal_data(
    conn: &mut DbConn,
    subscription: &SubscriptionRow,
    province_code: Option<&str>,
) -> Result<bool, ApiError> {
    if subscription
        .province_code
        .as_deref()
        .is_some_and(|mine| Some(mine) != province_code)
    {
        return Ok(false);
    }
    let Some(role) =
        users::find(conn, subscription.owner_user_id)?.and_then(|user| user.role.parse::<Role>().ok())
    else {
        return Ok(false);
    };
    let scopes = integration_clients::granted_scopes(conn, subscription.owner_user_id)?
        .map(|s| Scopes::parse(&s).unwrap_or_default());
    Ok(reads_personal_data(role, scopes.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_retry_waits_four_times_longer_up_to_six_hours() {
        let base = Duration::from_secs(5);
        let waits: Vec<u64> = (1..=9).map(|n| retry_wait(base, n).as_secs()).collect();
        assert_eq!(waits, [5, 20, 80, 320, 1280, 5120, 20480, 21600, 21600]);
        assert_eq!(retry_wait(base, 1000), LONGEST_WAIT);
    }
}
