//! Every error the API can answer with, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers and extractors return [`ApiError`]. The request-context middleware renders it with the
//! request's language and id; `error_response` alone (without the middleware) renders Vietnamese.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{Lang, Text};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The most field errors one problem lists.
pub const MAX_FIELD_ERRORS: usize = 100;

/// One invalid field of a request.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Text,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Text) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message,
        }
    }
}

/// An error answered to the client. Boxed, so that `Result<T, ApiError>` stays one pointer wide on
/// the happy path.
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorDetails>);

/// What an [`ApiError`] carries.
#[derive(Debug, Clone)]
pub struct ErrorDetails {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: &'static str,
    pub detail: Text,
    pub errors: Vec<FieldError>,
    /// Extra members of the problem object (e.g. `existing_id` on a duplicate).
    pub extensions: BTreeMap<&'static str, serde_json::Value>,
    /// Seconds, for `Retry-After` on 429 and 503.
    pub retry_after: Option<u64>,
    /// Methods, for `Allow` on 405.
    pub allow: Option<String>,
    /// The challenge, for `WWW-Authenticate` (RFC 6750 §3, RFC 7617).
    pub www_authenticate: Option<String>,
    /// The cause, logged once and never sent to the client.
    pub internal: Option<String>,
    /// The database connection this error came from is dead (the pool must not hand it out again).
    pub connection_lost: bool,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: Text) -> ApiError {
        ApiError(Box::new(ErrorDetails {
            status,
            code,
            detail,
            errors: Vec::new(),
            extensions: BTreeMap::new(),
            retry_after: None,
            allow: None,
            www_authenticate: None,
            internal: None,
            connection_lost: false,
        }))
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> ApiError {
        self.errors = errors;
        self
    }

    pub fn with_extension(mut self, name: &'static str, value: impl Serialize) -> ApiError {
        self.extensions.insert(
            name,
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
        self
    }

    pub fn bad_request(code: &'static str, detail: Text) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// Query parameters the server refuses (400 `invalid_query`); the field errors say which.
    pub fn invalid_query(errors: Vec<FieldError>) -> ApiError {
        ApiError::bad_request(
            "invalid_query",
            Text::new("Tham số truy vấn không hợp lệ.", "Invalid query parameters."),
        )
        .with_errors(errors)
    }

    /// A business-rule violation on one or more fields (422).
    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Text::new("Dữ liệu không hợp lệ.", "The request data is not valid."),
        )
        .with_errors(errors)
    }

    pub fn unauthenticated(code: &'static str, detail: Text) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Text::new(
                "Vai trò của bạn không được phép thực hiện thao tác này.",
                "Your role is not allowed to perform this action.",
            ),
        )
    }

    /// An integration client's token lacks the scope an operation needs (RFC 6750 §3.1).
    pub fn insufficient_scope(scope: crate::auth::scopes::Scope) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            Text::new(
                format!("Mã truy cập thiếu phạm vi `{scope}`."),
                format!("The access token lacks the scope `{scope}`."),
            ),
        )
        .with_extension("scope", scope.as_str());
        error.www_authenticate = Some(format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""));
        error
    }

    /// Unknown, or not visible to the caller: the two are indistinguishable on purpose.
    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Text::new("Không tìm thấy tài nguyên.", "The resource was not found."),
        )
    }

    pub fn method_not_allowed(allow: String) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            Text::new(
                format!("Phương thức không được hỗ trợ; được phép: {allow}."),
                format!("Method not allowed; allowed: {allow}."),
            ),
        );
        error.allow = Some(allow);
        error
    }

    pub fn conflict(code: &'static str, detail: Text) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn precondition_required() -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            Text::new(
                "Cần gửi tiêu đề If-Match với ETag của bản ghi.",
                "Send an If-Match header with the record's ETag.",
            ),
        )
    }

    pub fn precondition_failed(current_version: i64) -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            Text::new(
                "Bản ghi đã bị thay đổi bởi người khác; hãy tải lại và thử lại.",
                "The record was changed by someone else; reload it and try again.",
            ),
        )
        .with_extension("current_version", current_version)
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Text::new(
                format!("Nội dung yêu cầu vượt quá giới hạn {limit} byte."),
                format!("The request body exceeds the limit of {limit} bytes."),
            ),
        )
        .with_extension("limit_bytes", limit)
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Text::new(
                "Nội dung phải có Content-Type: application/json.",
                "The body must be sent with Content-Type: application/json.",
            ),
        )
    }

    pub fn too_many_requests(retry_after_secs: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            Text::new(
                format!("Quá nhiều yêu cầu; hãy thử lại sau {retry_after_secs} giây."),
                format!("Too many requests; try again in {retry_after_secs} seconds."),
            ),
        );
        error.retry_after = Some(retry_after_secs);
        error
    }

    pub fn unavailable() -> ApiError {
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            Text::new(
                "Cơ sở dữ liệu tạm thời không truy cập được; hãy thử lại sau.",
                "The database is temporarily unavailable; try again later.",
            ),
        );
        error.retry_after = Some(5);
        error
    }

    /// The connection to the database broke during the request: 503, like any unavailability.
    pub fn connection_lost() -> ApiError {
        let mut error = ApiError::unavailable();
        error.connection_lost = true;
        error
    }

    /// The database was reachable but did not finish in time (a statement timeout, or SQLite's
    /// writer lock held past the busy timeout): 503, worth retrying.
    pub fn database_timeout() -> ApiError {
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_timeout",
            Text::new(
                "Cơ sở dữ liệu không trả lời kịp; hãy thử lại sau.",
                "The database did not answer in time; try again later.",
            ),
        );
        error.retry_after = Some(5);
        error
    }

    /// An unexpected failure: the cause is logged, the client sees an opaque 500.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            Text::new("Lỗi hệ thống.", "Internal server error."),
        );
        error.internal = Some(cause.into());
        error
    }

    pub fn is_internal(&self) -> bool {
        self.status == StatusCode::INTERNAL_SERVER_ERROR
    }

    /// The problem object in `lang`.
    pub fn to_problem(&self, lang: Lang, request_id: Option<&str>) -> Problem {
        Problem {
            type_uri: format!("/problems/{}", self.code),
            title: title(self.status, lang).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.get(lang).to_owned(),
            code: self.code.to_owned(),
            // A list of a thousand bad rows needs no thousand messages; the first ones show the way.
            errors: self
                .errors
                .iter()
                .take(MAX_FIELD_ERRORS)
                .map(|e| ProblemFieldError {
                    field: e.field.clone(),
                    code: e.code.to_owned(),
                    message: e.message.get(lang).to_owned(),
                })
                .collect(),
            request_id: request_id.map(str::to_owned),
            extensions: self
                .extensions
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    /// The full HTTP response in `lang`.
    pub fn render(&self, lang: Lang, request_id: Option<&str>) -> HttpResponse {
        if let Some(cause) = &self.internal {
            tracing::error!(code = self.code, cause = %cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        response.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = self.allow.as_deref().and_then(|a| HeaderValue::from_str(a).ok()) {
            response.insert_header((header::ALLOW, allow));
        }
        if let Some(challenge) = self
            .www_authenticate
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.json(self.to_problem(lang, request_id))
    }
}

fn title(status: StatusCode, lang: Lang) -> &'static str {
    let (vi, en) = match status.as_u16() {
        400 => ("Yêu cầu không hợp lệ", "Bad request"),
        401 => ("Chưa xác thực", "Unauthenticated"),
        403 => ("Không có quyền", "Forbidden"),
        404 => ("Không tìm thấy", "Not found"),
        405 => ("Phương thức không được phép", "Method not allowed"),
        409 => ("Xung đột dữ liệu", "Conflict"),
        412 => ("Phiên bản không khớp", "Precondition failed"),
        413 => ("Nội dung quá lớn", "Payload too large"),
        415 => ("Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
        422 => ("Dữ liệu không hợp lệ", "Unprocessable content"),
        428 => ("Thiếu điều kiện If-Match", "Precondition required"),
        429 => ("Quá nhiều yêu cầu", "Too many requests"),
        503 => ("Dịch vụ tạm thời không khả dụng", "Service unavailable"),
        _ => ("Lỗi hệ thống", "Internal server error"),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail.en)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Vi, None)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => ApiError::not_found(),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => ApiError::conflict(
                "duplicate",
                Text::new("Bản ghi đã tồn tại.", "The record already exists."),
            )
            .with_extension("constraint", info.constraint_name()),
            ref other if is_connection_loss(other) => {
                tracing::warn!(error = %error, "database connection lost");
                ApiError::connection_lost()
            }
            Error::DatabaseError(_, ref info) if is_timeout_message(info.message()) => {
                tracing::warn!(error = %error, "database statement timed out");
                ApiError::database_timeout()
            }
            other => ApiError::internal(format!("database error: {other}")),
        }
    }
}

/// Whether `error` says the connection to the server is gone (rather than that a statement failed).
fn is_connection_loss(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | Error::BrokenTransactionManager => true,
        // libpq reports a server that went away mid-query as an error without a SQLSTATE.
        Error::DatabaseError(_, info) => is_connection_message(info.message()),
        Error::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => is_connection_loss(rollback_error) || is_connection_loss(commit_error),
        _ => false,
    }
}

fn is_connection_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "server closed the connection",
        "connection refused",
        "no connection to the server",
        "terminating connection",
        "could not connect",
        "connection to server",
        "could not receive data",
        "could not send data",
        "connection timed out",
        "ssl syscall error",
        "eof detected",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// PostgreSQL's statement and lock timeouts, and SQLite's busy timeout.
fn is_timeout_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("canceling statement due to")
        || message.contains("database is locked")
        || message.contains("database table is locked")
}

/// RFC 9457 problem details, as every error response carries them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation_failed",
    "title": "Dữ liệu không hợp lệ",
    "status": 422,
    "detail": "Dữ liệu không hợp lệ.",
    "code": "validation_failed",
    "errors": [{"field": "password", "code": "weak_password", "message": "Mật khẩu quá yếu."}],
    "request_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
}))]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the status, in the response language.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request, in the response language.
    pub detail: String,
    /// Stable machine-readable error code.
    pub code: String,
    /// Invalid fields, for validation errors (the first 100).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub errors: Vec<ProblemFieldError>,
    /// The request id, also sent as `X-Request-Id`.
    pub request_id: Option<String>,
    /// Problem-specific members such as `existing_id`, `current_version`, `limit_bytes` or, for 422
    /// `invalid_rows` of an import, `report` (an `ImportReport`).
    #[serde(flatten)]
    #[schema(additional_properties)]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemFieldError {
    /// Path of the field in the request (`body.password`, `query.limit`, `password`).
    pub field: String,
    /// Stable machine-readable code of the violated rule.
    pub code: String,
    /// Explanation in the response language.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_uses_the_requested_language_and_carries_the_request_id() {
        let error = ApiError::not_found();
        let vi = serde_json::to_value(error.to_problem(Lang::Vi, Some("r-1"))).unwrap();
        let en = serde_json::to_value(error.to_problem(Lang::En, Some("r-1"))).unwrap();
        assert_eq!(vi["title"], "Không tìm thấy");
        assert_eq!(en["title"], "Not found");
        assert_eq!(en["type"], "/problems/not_found");
        assert_eq!(en["status"], 404);
        assert_eq!(en["request_id"], "r-1");
        assert!(en.get("errors").is_none());
    }

    #[test]
    fn internal_cause_never_reaches_the_client() {
        let error = ApiError::internal("password=hunter2 in a query");
        let body = serde_json::to_string(&error.to_problem(Lang::En, None)).unwrap();
        assert!(!body.contains("hunter2"));
    }

    #[test]
    fn a_lost_connection_is_unavailable_whatever_form_libpq_reports_it_in() {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost =
            |kind, message: &str| ApiError::from(Error::DatabaseError(kind, Box::new(message.to_owned())));
        for error in [
            lost(
                DatabaseErrorKind::UnableToSendCommand,
                "no connection to the server",
            ),
            lost(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection unexpectedly",
            ),
            lost(
                DatabaseErrorKind::Unknown,
                "could not receive data from server: Connection reset by peer",
            ),
            ApiError::from(Error::BrokenTransactionManager),
        ] {
            assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
            assert!(error.connection_lost);
            assert_eq!(error.retry_after, Some(5));
        }
        let timeout = lost(
            DatabaseErrorKind::Unknown,
            "canceling statement due to statement timeout",
        );
        assert_eq!(timeout.code, "database_timeout");
        assert!(!timeout.connection_lost);
        let bug = lost(DatabaseErrorKind::Unknown, "syntax error at or near \"FORM\"");
        assert!(bug.is_internal());
    }

    #[test]
    fn unique_violation_is_a_conflict_and_not_found_is_404() {
        assert_eq!(
            ApiError::from(diesel::result::Error::NotFound).status,
            StatusCode::NOT_FOUND
        );
    }
}
