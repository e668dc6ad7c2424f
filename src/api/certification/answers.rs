//! Public answers kept in memory: certificate verification and catalogue pages are read far more
//! often than certificates change, so the serialized answer and its `ETag` are kept and served
//! without touching the database.
//!
//! How fresh an answer is:
//! - on this instance, any change committed through it (a certificate issued or revoked, a product
//!   or producer renamed, anything) makes every kept answer stale at once: answers are kept under
//!   the count of committed transactions they were read at ([`crate::db::Db::committed_writes`]);
//! - on another instance sharing the database, within `PUBLIC_CACHE_SECS` (30 s by default), the
//!   time an answer is kept. `0` turns the cache off.
//!
//! Clients may keep an answer longer (`Cache-Control: max-age=300`) and revalidate with its `ETag`.

use std::time::Duration;

use actix_web::web::Bytes;
use chrono::NaiveDate;
use moka::future::Cache;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// One serialized answer and its strong entity tag.
#[derive(Debug, Clone)]
pub struct Answer {
    pub json: Bytes,
    pub etag: String,
}

impl Answer {
    pub fn of(body: &impl Serialize) -> Result<Answer, ApiError> {
        let json = serde_json::to_vec(body).map_err(|e| ApiError::internal(e.to_string()))?;
        let digest = Sha256::digest(&json);
        let mut etag = String::with_capacity(34);
        etag.push('"');
        for byte in &digest[..16] {
            etag.push_str(&format!("{byte:02x}"));
        }
        etag.push('"');
        Ok(Answer {
            json: Bytes::from(json),
            etag,
        })
    }
}

/// What an answer depends on besides the database: the request and the day (a certificate expires
/// at midnight).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    request: String,
    today: NaiveDate,
    committed_writes: u64,
}

pub struct PublicAnswers {
    cache: Option<Cache<Key, Answer>>,
}

/// Memory the kept answers may take (the JSON bodies).
const BUDGET_BYTES: u64 = 16 * 1024 * 1024;

impl PublicAnswers {
    pub fn new(ttl: Duration) -> PublicAnswers {
        let cache = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(BUDGET_BYTES)
                .weigher(|key: &Key, answer: &Answer| {
                    u32::try_from(key.request.len() + answer.json.len() + answer.etag.len())
                        .unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build()
        });
        PublicAnswers { cache }
    }

    /// The kept answer to `request`, or the one `read` produces (then kept).
    pub async fn get_or_read<F, Fut>(
        &self,
        request: String,
        today: NaiveDate,
        committed_writes: u64,
        read: F,
    ) -> Result<Answer, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Answer, ApiError>>,
    {
        let key = Key {
            request,
            today,
            committed_writes,
        };
        match &self.cache {
            // Requests that miss together wait for one read instead of each reading the same
            // answer (a popular page after a change would otherwise be read by every client at
            // once). Errors are not kept.
            Some(cache) => cache
                .try_get_with(key, read())
                .await
                .map_err(|error| (*error).clone()),
            None => read().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    async fn answer(answers: &PublicAnswers, request: &str, writes: u64, value: u32) -> Answer {
        answers
            .get_or_read(
                request.into(),
                day(),
                writes,
                || async move { Answer::of(&value) },
            )
            .await
            .unwrap()
    }

    #[actix_web::test]
    async fn an_answer_is_kept_until_a_write_commits() {
        let answers = PublicAnswers::new(Duration::from_secs(60));
        assert_eq!(answer(&answers, "/a", 0, 1).await.json, "1");
        // Kept: the reader is not asked again.
        assert_eq!(answer(&answers, "/a", 0, 2).await.json, "1");
        assert_eq!(answer(&answers, "/b", 0, 3).await.json, "3");
        // A committed write makes it stale.
        assert_eq!(answer(&answers, "/a", 1, 4).await.json, "4");
    }

    #[actix_web::test]
    async fn a_zero_lifetime_keeps_nothing() {
        let answers = PublicAnswers::new(Duration::ZERO);
        answer(&answers, "/a", 0, 1).await;
        assert_eq!(answer(&answers, "/a", 0, 2).await.json, "2");
    }

    #[test]
    fn the_etag_is_a_strong_digest_of_the_body() {
        let a = Answer::of(&"x").unwrap();
        assert_eq!(a.etag.len(), 34);
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
        assert_ne!(a.etag, Answer::of(&"y").unwrap().etag);
    }
}
