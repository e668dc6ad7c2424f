//! The OpenAPI document. Paths come from the same `service(...)` registrations that build the
//! router (see [`crate::api::configure`]); this module adds the document's frame: info, tags, the
//! bearer scheme and the problem+json error responses every operation refers to.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::{PROBLEM_CONTENT_TYPE, Problem, ProblemFieldError};

/// Declares a reusable error response (`#/components/responses/<Name>`) with the problem body.
macro_rules! problem_responses {
    ($($name:ident => $description:literal,)+) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'s> utoipa::ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    (stringify!($name), problem_response($description).into())
                }
            }
        )+
    };
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_CONTENT_TYPE, Content::new(Some(Ref::from_schema_name("Problem"))))
        .build()
}

problem_responses! {
    BadRequest => "Malformed request: invalid JSON, wrong field types, unknown fields or query parameters, bad cursor.",
    Unauthorized => "Missing, invalid or expired credentials.",
    Forbidden => "The caller's role may not perform this action.",
    NotFound => "No such resource, or not visible to the caller.",
    Conflict => "The request conflicts with an existing record (for example a duplicate).",
    PreconditionFailed => "`If-Match` names an old version; reload the record and retry.",
    PayloadTooLarge => "The body exceeds the configured size limit.",
    UnsupportedMediaType => "The body is not `application/json`.",
    Unprocessable => "The values break a business rule; `errors` lists the fields.",
    PreconditionRequired => "`If-Match` is required for this update.",
    TooManyRequests => "Rate limited; retry after the `Retry-After` seconds.",
    Unavailable => "The database is unreachable; retry later.",
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
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Liveness and readiness"),
        (name = "auth", description = "Đăng nhập / Sign-in, tokens and the current user"),
        (name = "users", description = "Người dùng / User accounts (managed by admins)"),
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
        http.description = Some("Access token from `POST /api/v1/auth/login`.".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The paths and methods the API serves, read from the document, so that a request to a known path
/// with an unserved method gets 405 with `Allow` instead of 404.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(document: &utoipa::openapi::OpenApi) -> RouteTable {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, served)| *served)
                .map(|(m, _)| m.to_owned())
                .collect();
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods served at `path`, or `None` when no route matches it.
    pub fn methods_for(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(template, part)| {
                        template == part || (template.starts_with('{') && !part.is_empty())
                    })
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        methods.sort();
        methods.dedup();
        (!methods.is_empty()).then_some(methods)
    }
}
