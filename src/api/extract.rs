//! Request extractors with the registry's error shape: JSON bodies (content type, size limit,
//! unknown and mistyped fields), query strings (unknown parameters rejected) and `If-Match`.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{DateTime, Datelike, Utc};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::text::first_forbidden_control;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::openapi::limits::TEXT_MAX_CHARS;

/// Limits on request bodies, installed as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// A client that announces a body and then sends it slowly (or never) is cut off after this,
    /// so that it cannot hold a worker's request open.
    pub read_timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> BodyLimits {
        BodyLimits {
            max_bytes: 1 << 20,
            read_timeout: Duration::from_secs(10),
        }
    }
}

fn body_timeout(timeout: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        Text::new(
            format!(
                "Nội dung yêu cầu không được gửi hết trong {} giây.",
                timeout.as_secs()
            ),
            format!(
                "The request body was not received within {} seconds.",
                timeout.as_secs()
            ),
        ),
    )
}

/// A JSON request body. Structs used here declare `#[serde(deny_unknown_fields)]`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = req.app_data::<BodyLimits>().copied().unwrap_or_default();
        let limit = limits.max_bytes;
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.essence_str() == "application/json" || m.suffix().is_some_and(|s| s == "json")
        });
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::unsupported_media_type());
            }
            if declared_length.is_some_and(|len| len > limit) {
                return Err(ApiError::payload_too_large(limit));
            }
            let body = read_body(&mut payload, limits).await?;
            parse_json(&body).map(ApiJson)
        })
    }
}

/// Reads a whole request body within `limits` (its size and the time it may take to arrive).
pub async fn read_body(payload: &mut Payload, limits: BodyLimits) -> Result<web::BytesMut, ApiError> {
    let limit = limits.max_bytes;
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_request(
                    "unreadable_body",
                    Text::new(
                        format!("Không đọc được nội dung: {e}"),
                        format!("The body could not be read: {e}"),
                    ),
                )
            })?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::payload_too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    actix_web::rt::time::timeout(limits.read_timeout, read)
        .await
        .map_err(|_| body_timeout(limits.read_timeout))?
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let malformed = |inner: &serde_json::Error| {
        ApiError::bad_request(
            "malformed_json",
            Text::new(
                format!(
                    "Nội dung không phải JSON hợp lệ (dòng {}, cột {}).",
                    inner.line(),
                    inner.column()
                ),
                format!(
                    "The body is not valid JSON (line {}, column {}).",
                    inner.line(),
                    inner.column()
                ),
            ),
        )
    };
    // Parsed to a document first, so that every string is checked for control characters before
    // any field is read, whatever type it is read into.
    let mut document: serde_json::Value = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    reject_control_characters(&document, &mut String::from("body"))?;
    integral_numbers_as_integers(&mut document);
    serde_path_to_error::deserialize(document).map_err(|error| {
        let path = error.path().to_string();
        field_error_from_serde("body", &path, &error.into_inner().to_string())
    })
}

/// JSON has one number type: `5.0` and `5` are the same number, and JSON Schema counts both as an
/// `integer`. Numbers with no fractional part are read as integers, so an integer field takes
/// either spelling.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && (-9.0e18..=9.0e18).contains(&float)
            {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(members) => members.values_mut().for_each(integral_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// 400 for the first string or member name of `value` holding a control character (line breaks
/// and tabs excepted: descriptions may span lines).
pub fn reject_control_characters(value: &serde_json::Value, path: &mut String) -> Result<(), ApiError> {
    use serde_json::Value;
    match value {
        Value::String(text) => check_text(text, true, path),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let result = reject_control_characters(item, path);
            path.truncate(len);
            result
        }),
        Value::Object(members) => members.iter().try_for_each(|(name, member)| {
            // A bad member name is reported at its object, so the name itself is never echoed.
            check_text(name, false, path)?;
            let len = path.len();
            path.push('.');
            path.push_str(name);
            let result = reject_control_characters(member, path);
            path.truncate(len);
            result
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// 400 naming `field` when `text` holds a forbidden control character or is longer than any text
/// the registry takes.
pub fn check_text(text: &str, allow_line_breaks: bool, field: &str) -> Result<(), ApiError> {
    if let Some(c) = first_forbidden_control(text, allow_line_breaks) {
        return Err(control_character(field, c));
    }
    if text.len() > TEXT_MAX_CHARS && text.chars().count() > TEXT_MAX_CHARS {
        return Err(ApiError::bad_request(
            "text_too_long",
            Text::new(
                "Yêu cầu chứa chuỗi quá dài.",
                "The request contains a string that is too long.",
            ),
        )
        .with_errors(vec![FieldError::new(
            field,
            "too_long",
            Text::new(
                format!("Tối đa {TEXT_MAX_CHARS} ký tự."),
                format!("At most {TEXT_MAX_CHARS} characters."),
            ),
        )]));
    }
    Ok(())
}

pub fn control_character(field: &str, c: char) -> ApiError {
    let code_point = format!("U+{:04X}", u32::from(c));
    ApiError::bad_request(
        "control_character",
        Text::new(
            "Yêu cầu chứa ký tự điều khiển không được phép.",
            "The request contains a control character that is not allowed.",
        ),
    )
    .with_errors(vec![FieldError::new(
        field,
        "control_character",
        Text::new(
            format!("Ký tự điều khiển {code_point} không được phép."),
            format!("Control character {code_point} is not allowed."),
        ),
    )])
}

/// Query parameters. Structs used here declare `#[serde(deny_unknown_fields)]`, so that a misspelt
/// filter is an error instead of being silently ignored.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        ready(
            serde_path_to_error::deserialize(deserializer)
                .map(ApiQuery)
                .map_err(|error| {
                    let path = error.path().to_string();
                    field_error_from_serde("query", &path, &error.into_inner().to_string())
                }),
        )
    }
}

/// Turns a serde data error (unknown field, missing field, wrong type) into a 400 naming the field.
fn field_error_from_serde(location: &str, path: &str, message: &str) -> ApiError {
    let (code, field, vi, en) = if let Some(name) = backticked_after(message, "unknown field") {
        (
            "unknown_field",
            join_path(path, &name),
            format!("Trường `{name}` không được hỗ trợ."),
            format!("Field `{name}` is not supported."),
        )
    } else if let Some(name) = backticked_after(message, "missing field") {
        (
            "missing_field",
            join_path(path, &name),
            format!("Thiếu trường bắt buộc `{name}`."),
            format!("Required field `{name}` is missing."),
        )
    } else {
        (
            "invalid_type",
            path.to_owned(),
            format!("Giá trị không đúng kiểu: {message}"),
            format!("Wrong value or type: {message}"),
        )
    };
    let field = if field.is_empty() || field == "." {
        location.to_owned()
    } else {
        format!("{location}.{field}")
    };
    let (code_all, detail) = if location == "query" {
        (
            "invalid_query",
            Text::new("Tham số truy vấn không hợp lệ.", "Invalid query parameters."),
        )
    } else {
        (
            "invalid_body",
            Text::new(
                "Nội dung yêu cầu không đúng cấu trúc.",
                "The request body does not match the expected structure.",
            ),
        )
    };
    ApiError::bad_request(code_all, detail).with_errors(vec![FieldError::new(field, code, Text::new(vi, en))])
}

fn backticked_after(message: &str, marker: &str) -> Option<String> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let start = rest.find('`')? + 1;
    let end = start + rest[start..].find('`')?;
    Some(rest[start..end].to_owned())
}

/// The path to `name`; for unknown fields the path already ends with it.
fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// For `Option<Option<T>>` fields: tells a field sent as `null` (`Some(None)`) from one left out
/// (`None`, with `#[serde(default)]`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// For timestamp query parameters: RFC 3339 with a four-digit year, as RFC 3339 itself requires.
/// chrono alone would take years up to ±262143, which PostgreSQL's `timestamp` cannot compare.
pub fn timestamp_param<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    // Year 0000 is valid RFC 3339 but not a year the databases store; as a bound of a filter it
    // means the same as the first instant they do.
    let earliest = DateTime::<Utc>::from_naive_utc_and_offset(
        chrono::NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default(),
        Utc,
    );
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .filter(|t| (0..=9999).contains(&t.year()))
        .map(|t| Some(t.with_timezone(&Utc).max(earliest)))
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not an RFC 3339 timestamp (four-digit year), e.g. 2025-07-01T00:00:00Z"
            ))
        })
}

/// The version a client last saw, from `If-Match: "<version>"`. Required on every update.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i64);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Err(ApiError::precondition_required()));
        };
        // An entity tag is quoted (RFC 9110 §8.8.3): `"3"`, or weak `W/"3"`.
        let version = value
            .to_str()
            .ok()
            .map(|v| v.trim())
            .map(|v| v.strip_prefix("W/").unwrap_or(v))
            .and_then(|v| v.strip_prefix('"')?.strip_suffix('"'))
            .filter(|v| (1..=18).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<i64>().ok());
        ready(version.map(IfMatch).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_match",
                Text::new(
                    "Tiêu đề If-Match phải là ETag của bản ghi, ví dụ \"3\".",
                    "The If-Match header must be the record's ETag, for example \"3\".",
                ),
            )
        }))
    }
}

impl IfMatch {
    /// 412 unless the client saw the current version.
    pub fn check(self, current_version: i64) -> Result<(), ApiError> {
        if self.0 == current_version {
            Ok(())
        } else {
            Err(ApiError::precondition_failed(current_version))
        }
    }
}

/// The `ETag` header value for a record version.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// Path parameters with the registry's error shape.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(
        "invalid_path",
        Text::new(
            format!("Tham số đường dẫn không hợp lệ: {error}"),
            format!("Invalid path parameter: {error}"),
        ),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Body {
        name: String,
        count: u32,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"name": "a", "count": "x"}"#).unwrap_err();
        assert_eq!(e.code, "invalid_body");
        assert_eq!(e.errors[0].field, "body.count");
        assert_eq!(e.errors[0].code, "invalid_type");

        let e = parse_json::<Body>(br#"{"name": "a", "count": 1, "extra": true}"#).unwrap_err();
        assert_eq!(e.errors[0].code, "unknown_field");
        assert_eq!(e.errors[0].field, "body.extra");

        let e = parse_json::<Body>(br#"{"name": "a"}"#).unwrap_err();
        assert_eq!(e.errors[0].code, "missing_field");
        assert_eq!(e.errors[0].field, "body.count");

        let e = parse_json::<Body>(br#"{"name": "a", "#).unwrap_err();
        assert_eq!(e.code, "malformed_json");
        let e = parse_json::<Body>(br#"{"name": "a", "count": 1} trailing"#).unwrap_err();
        assert_eq!(e.code, "malformed_json");
    }

    #[test]
    fn control_characters_in_strings_and_names_are_refused_with_their_path() {
        let e = parse_json::<Body>(br#"{"name": "a\u0000b", "count": 1}"#).unwrap_err();
        assert_eq!(e.code, "control_character");
        assert_eq!(e.errors[0].field, "body.name");
        let e = parse_json::<Body>(br#"{"name": "a", "count": 1, "x": [{"y\u001b": 1}]}"#).unwrap_err();
        assert_eq!(e.code, "control_character");
        assert_eq!(e.errors[0].field, "body.x[0]");
        // Raw C1 controls are valid JSON but not valid text.
        let e = parse_json::<Body>("{\"name\": \"a\u{85}\", \"count\": 1}".as_bytes()).unwrap_err();
        assert_eq!(e.code, "control_character");
        assert!(parse_json::<Body>(br#"{"name": "d\u00f2ng 1\nd\u00f2ng 2\t", "count": 1}"#).is_ok());
    }

    #[test]
    fn integral_numbers_are_integers_whatever_their_spelling() {
        assert!(parse_json::<Body>(br#"{"name": "a", "count": 5.0}"#).is_ok());
        assert!(parse_json::<Body>(br#"{"name": "a", "count": 5e2}"#).is_ok());
        let e = parse_json::<Body>(br#"{"name": "a", "count": 5.5}"#).unwrap_err();
        assert_eq!(e.errors[0].code, "invalid_type");
    }
}
