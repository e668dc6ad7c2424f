//! The OpenAPI document. Paths come from the same `service(...)` registrations that build the
//! router (see [`crate::api::configure`]); this module adds the document's frame: info, tags, the
//! bearer scheme and the problem+json error responses every operation refers to.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::{PROBLEM_CONTENT_TYPE, Problem, ProblemFieldError};

mod examples;
mod idempotency;
pub mod limits;
mod links;
mod routes;
mod security;

pub use routes::{ParameterProblem, RouteTable};

/// The document as served and committed: the registrations' paths with the limits every schema
/// states (see [`limits`]).
pub fn finish(document: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(&document).expect("the OpenAPI document serializes");
    // Relative, so that the document is right on whichever host serves it; the registry has one
    // public deployment per environment, and this document describes each of them alike.
    value["servers"] = serde_json::json!([{
        "url": "/",
        "description": "The registry deployment serving this document (production, staging or a local server)",
        "x-internal": false,
    }]);
    describe_cors_header(&mut value);
    security::apply(&mut value);
    idempotency::apply(&mut value);
    links::apply(&mut value);
    examples::apply(&mut value);
    limits::apply(&mut value);
    value
}

/// Every response may carry `Access-Control-Allow-Origin`: it does when the request came from an
/// origin listed in `CORS_ALLOWED_ORIGINS`.
fn describe_cors_header(document: &mut serde_json::Value) {
    let header = serde_json::json!({
        "description": "The request's origin, when it is listed in `CORS_ALLOWED_ORIGINS`; absent otherwise.",
        "schema": {"type": "string", "maxLength": 2048},
    });
    for response in responses_mut(document) {
        if let Some(response) = response.as_object_mut() {
            let headers = response.entry("headers").or_insert_with(|| serde_json::json!({}));
            headers["Access-Control-Allow-Origin"] = header.clone();
        }
    }
}

/// Every response object of the document: those of the operations (references to shared ones
/// left out) and the shared ones under `components/responses`.
fn responses_mut(document: &mut serde_json::Value) -> Vec<&mut serde_json::Value> {
    use serde_json::Value;
    let mut responses = Vec::new();
    for (key, part) in document.as_object_mut().into_iter().flatten() {
        match key.as_str() {
            "paths" => {
                let operations = part
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|paths| paths.values_mut())
                    .filter_map(Value::as_object_mut)
                    .flat_map(|item| item.values_mut());
                for operation in operations {
                    let inline = operation
                        .get_mut("responses")
                        .and_then(Value::as_object_mut)
                        .into_iter()
                        .flat_map(|r| r.values_mut())
                        .filter(|r| r.get("$ref").is_none());
                    responses.extend(inline);
                }
            }
            "components" => {
                if let Some(shared) = part.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.extend(shared.values_mut());
                }
            }
            _ => {}
        }
    }
    responses
}

/// Declares a reusable error response (`#/components/responses/<Name>`) with the problem body;
/// `retry_after` ones also carry the `Retry-After` header.
macro_rules! problem_responses {
    ($($name:ident => $description:literal $(, $header:ident)?;)+) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'s> utoipa::ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    let retry_after = false $(|| stringify!($header) == "retry_after")?;
                    let challenge = false $(|| stringify!($header) == "www_authenticate")?;
                    (stringify!($name), problem_response($description, retry_after, challenge).into())
                }
            }
        )+
    };
}

fn problem_response(description: &str, retry_after: bool, challenge: bool) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        PROBLEM_CONTENT_TYPE,
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    if retry_after {
        let seconds = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(1))
            .maximum(Some(86_400));
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(seconds))
                .description(Some("Seconds to wait before retrying (RFC 9110 §10.2.3)."))
                .build(),
        );
    }
    if challenge {
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(512));
        response = response.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(Some(text))
                .description(Some(
                    "The challenge (RFC 9110 §11.6.1): `Bearer error=\"insufficient_scope\", scope=\"…\"` when an \
                     integration client's token lacks a scope (RFC 6750 §3.1); `Basic realm=\"khuyencong\"` when the \
                     token endpoint refuses a client's credentials.",
                ))
                .build(),
        );
    }
    response.build()
}

problem_responses! {
    BadRequest => "Malformed request: invalid JSON, wrong field types, unknown fields or query parameters, control characters, bad cursor.";
    Unauthorized => "Missing, invalid, expired or revoked credentials.", www_authenticate;
    Forbidden => "The caller's role may not perform this action, or an integration client's token lacks the scope the operation names.", www_authenticate;
    NotFound => "No such resource, or not visible to the caller.";
    Conflict => "The request conflicts with an existing record (for example a duplicate).";
    PreconditionFailed => "`If-Match` names an old version; reload the record and retry.";
    PayloadTooLarge => "The body exceeds the configured size limit.";
    UnsupportedMediaType => "The body is not `application/json`.";
    Unprocessable => "The values break a business rule; `errors` lists the fields.";
    PreconditionRequired => "`If-Match` is required for this update.";
    TooManyRequests => "Rate limited; retry after the `Retry-After` seconds.", retry_after;
    Unavailable => "The database is unreachable or did not answer in time; retry after the `Retry-After` seconds.", retry_after;
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Khuyến công registry API",
        description = "National registry of Vietnam's industrial-promotion programme (khuyến công): \
            projects (đề án), budgets, beneficiaries (cơ sở công nghiệp nông thôn) and certified \
            rural industrial products. Errors are RFC 9457 problem+json; messages follow \
            `Accept-Language` (`vi` default, `en`). Lists use cursor pagination.",
        license(name = "MIT", identifier = "MIT"),
        contact(
            name = "Bộ Công Thương — Cục Công Thương địa phương (chương trình khuyến công quốc gia)",
            url = "https://khuyencong.gov.vn",
        ),
    ),

    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Liveness and readiness"),
        (name = "auth", description = "Đăng nhập / Sign-in, tokens and the current user"),
        (name = "users", description = "Người dùng / User accounts (managed by admins)"),
        (name = "integration-clients", description = "Ứng dụng tích hợp / Integration clients: service accounts of third-party systems, with scopes (managed by admins)"),
        (name = "beneficiaries", description = "Cơ sở công nghiệp nông thôn / Rural industrial establishments, their duplicates and yearly figures"),
        (name = "organizations", description = "Đơn vị thực hiện / Implementing units: provincial centres, departments, the ministry's agency"),
        (name = "projects", description = "Đề án khuyến công / Projects: lifecycle, budget by source, adjustments, money movements, indicators"),
        (name = "support-caps", description = "Mức hỗ trợ tối đa / Support caps by legal basis, funding source, activity type and period"),
        (name = "programmes", description = "Chương trình khuyến công / Programmes and their targets per province and activity type"),
        (name = "stats", description = "Số liệu tổng hợp / Figures for dashboards and reports: projects, money and outcome indicators grouped by year, province, region, activity type, funding source, status, implementing unit"),
        (name = "certification", description = "Bình chọn sản phẩm CNNT tiêu biểu / Product certification: products, selection rounds, juries, entries, scores, certificates"),
        (name = "public", description = "Tra cứu công khai / Public, without sign-in: certificate verification and the catalogue of certified products"),
        (name = "events", description = "Dòng sự kiện / Event feed: every domain event in order, for systems that follow the registry"),
        (name = "imports", description = "Nhập dữ liệu / Bulk import of spreadsheets: templates, dry runs, all-or-nothing imports and their jobs"),
        (name = "webhooks", description = "Webhook / Subscriptions that post domain events, signed (Standard Webhooks), with their deliveries"),
        (name = "audit", description = "Nhật ký kiểm toán / Audit log"),
        (name = "admin-units", description = "Đơn vị hành chính / Administrative units before and after the 2025 reform"),
        (name = "reference", description = "Danh mục / Reference enumerations with Vietnamese and English labels"),
    ),
    components(
        schemas(Problem, ProblemFieldError),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed,
            PayloadTooLarge, UnsupportedMediaType, Unprocessable, PreconditionRequired,
            TooManyRequests, Unavailable,
        ),
    ),
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        http.description = Some(
            "Access token from `POST /api/v1/auth/login`: a JWT signed with HS256, handled as RFC8725 \
             (JSON Web Token Best Current Practices) recommends. The algorithm is pinned (tokens naming \
             any other, `none` included, are refused); `exp`, `nbf`, `iss`, `aud` and `sub` are required \
             and checked; tokens live 15 minutes by default. The account behind `sub` is read on every \
             request, and a token is refused once its session is signed out or the account's sessions are \
             revoked (password reset, role change, sign out everywhere). Integration clients get theirs \
             from `POST /api/v1/auth/token` (client credentials); each operation names the scope it needs \
             (`security`), and a token without it is answered 403 `insufficient_scope` naming the scope."
                .to_owned(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}
