//! Keyset pagination shared by every list: `limit` (default 50, at most 500), an opaque `cursor`
//! naming the last key of the previous page, and `include_total` for clients that need a count.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::api::extract::reject_control_characters;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// The paging part of a list request, decoded and checked.
#[derive(Debug, Clone)]
pub struct PageRequest<K> {
    pub limit: u32,
    /// Rows strictly after this key (in the list's order).
    pub after: Option<K>,
    pub include_total: bool,
}

/// The raw paging parameters as they arrive in a query string.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageParams<'a> {
    pub limit: Option<u32>,
    pub cursor: Option<&'a str>,
    pub include_total: Option<bool>,
}

impl<K: DeserializeOwned> PageRequest<K> {
    pub fn parse(params: PageParams<'_>, default_limit: u32) -> Result<PageRequest<K>, ApiError> {
        let limit =
            checked_limit(params.limit, default_limit).map_err(|e| ApiError::invalid_query(vec![e]))?;
        let after = params.cursor.map(decode_cursor).transpose()?;
        Ok(PageRequest {
            limit,
            after,
            include_total: params.include_total.unwrap_or(false),
        })
    }

    /// The key a `next_cursor` of this list stands for.
    pub fn key_of(cursor: &str) -> Result<K, ApiError> {
        decode_cursor(cursor)
    }

    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// The page size asked for (or `default`), refused outside 1 to [`MAX_LIMIT`].
pub fn checked_limit(limit: Option<u32>, default: u32) -> Result<u32, FieldError> {
    let limit = limit.unwrap_or(default);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(FieldError::new(
            "query.limit",
            "out_of_range",
            Text::new(
                format!("limit phải từ 1 đến {MAX_LIMIT}."),
                format!("limit must be between 1 and {MAX_LIMIT}."),
            ),
        ))
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Number of items matching the filters, when `include_total=true` was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// Builds the page from rows fetched with [`PageRequest::fetch_limit`].
    pub fn from_rows<K: Serialize, Q>(
        mut rows: Vec<T>,
        request: &PageRequest<Q>,
        key: impl Fn(&T) -> K,
        total: Option<i64>,
    ) -> Page<T> {
        let more = rows.len() > request.limit as usize;
        rows.truncate(request.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
            total,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    // A forged cursor is a document of the client's making: its strings get the same control
    // character check as any other input before they reach a query.
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter(|key| reject_control_characters(key, &mut String::from("query.cursor")).is_ok())
        .and_then(|key| serde_json::from_value(key).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                Text::new(
                    "Con trỏ phân trang không hợp lệ; hãy dùng next_cursor của trang trước.",
                    "Invalid pagination cursor; use next_cursor from the previous page.",
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_cursor_with_a_control_character_is_refused() {
        let forged = encode_cursor(&("Bát\u{0}Tràng", 7));
        let params = PageParams {
            cursor: Some(&forged),
            ..Default::default()
        };
        let err = PageRequest::<(String, i64)>::parse(params, DEFAULT_LIMIT).unwrap_err();
        assert_eq!(err.code, "invalid_cursor");
        let fine = encode_cursor(&("Bát Tràng", 7));
        let params = PageParams {
            cursor: Some(&fine),
            ..Default::default()
        };
        let request = PageRequest::<(String, i64)>::parse(params, DEFAULT_LIMIT).unwrap();
        assert_eq!(request.after, Some(("Bát Tràng".to_owned(), 7)));
    }

    #[test]
    fn limit_is_bounded_and_cursor_round_trips() {
        let request: PageRequest<i64> = PageRequest::parse(PageParams::default(), DEFAULT_LIMIT).unwrap();
        assert_eq!(request.limit, 50);
        assert_eq!(request.fetch_limit(), 51);
        for bad in [0, 501] {
            let params = PageParams {
                limit: Some(bad),
                ..Default::default()
            };
            let err = PageRequest::<i64>::parse(params, DEFAULT_LIMIT).unwrap_err();
            assert_eq!(err.errors[0].field, "query.limit");
        }
        let cursor = encode_cursor(&42i64);
        let params = PageParams {
            cursor: Some(&cursor),
            ..Default::default()
        };
        assert_eq!(PageRequest::<i64>::parse(params, 10).unwrap().after, Some(42));
        let params = PageParams {
            cursor: Some("not-a-cursor!"),
            ..Default::default()
        };
        assert_eq!(
            PageRequest::<i64>::parse(params, 10).unwrap_err().code,
            "invalid_cursor"
        );
    }

    #[test]
    fn page_reports_next_cursor_only_when_more_rows_exist() {
        let request: PageRequest<i64> = PageRequest::parse(
            PageParams {
                limit: Some(2),
                ..Default::default()
            },
            50,
        )
        .unwrap();
        let page = Page::from_rows(vec![1i64, 2, 3], &request, |v| *v, None);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(encode_cursor(&2i64)));
        let page = Page::from_rows(vec![1i64, 2], &request, |v| *v, Some(2));
        assert_eq!(page.next_cursor, None);
        assert_eq!(page.total, Some(2));
    }
}
