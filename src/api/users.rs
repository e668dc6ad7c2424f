//! User accounts. Everyone reads the accounts of their own territory (others are 404); only admins
//! create and change them.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::auth::accounts::{self, AccountChanges, NewAccount, UserView};
use crate::auth::{Owner, Principal, Role};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::models::audit::Actor;
use crate::models::users::{self, UserFilter};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    pub role: Option<Role>,
    /// Current province code.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    pub active: Option<bool>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3–64 characters: unaccented letters, digits, `.`, `_`, `-` (stored lowercase).
    #[schema(example = "tinh01.canbo", pattern = r"^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    #[schema(example = "Nguyễn Thị Lan", min_length = 1, max_length = 200)]
    pub display_name: String,
    /// At least 10 characters and hard to guess (zxcvbn score ≥ 3); at most 256 bytes.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    pub password: String,
    pub role: Role,
    /// Required for `province` users (current code); derived from the commune for `commune` users.
    #[schema(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Required for `commune` users (current code).
    #[schema(pattern = r"^[0-9]{5}$")]
    pub commune_code: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `null` clears it (for a role without a province).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{2}$")]
    pub province_code: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{5}$")]
    pub commune_code: Option<Option<String>>,
    /// `false` deactivates the account and ends its sessions.
    pub active: Option<bool>,
    /// A new password (reset); ends the user's sessions.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

/// The columns of the list as CSV, in order.
const USER_CSV: [&str; 11] = [
    "id",
    "username",
    "display_name",
    "role",
    "province_code",
    "commune_code",
    "active",
    "last_login_at",
    "version",
    "created_at",
    "updated_at",
];

/// List the user accounts the caller may see.
#[utoipa::path(
    tag = "users",
    params(UserListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of accounts; with `Accept: text/csv`, every one", content(
            (Page<UserView> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = UserFilter {
        role: query.role.map(|r| r.as_str().to_owned()),
        province_code: query.province_code,
        active: query.active,
    };
    let csv = CsvList::new(&USER_CSV, "tai-khoan.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let territory = principal.territory();
        let rows = users::list(
            conn,
            &filter,
            &territory,
            principal.user_id,
            page.after,
            page.fetch_limit(),
        )?;
        let total = page
            .include_total
            .then(|| users::count(conn, &filter, &territory, principal.user_id))
            .transpose()?;
        let views = rows
            .into_iter()
            .map(UserView::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(views, page, |u| u.id, total))
    })
    .await
}

/// Create a user account (admin).
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = UserView, description = "The account was created", headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let actor = Actor::new(&principal, &context);
    let account = NewAccount {
        username: body.username,
        display_name: body.display_name,
        password: body.password,
        role: body.role,
        province_code: body.province_code,
        commune_code: body.commune_code,
    };
    let user = state
        .db
        .write(move |conn| accounts::create(conn, &actor, account))
        .await?;
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/users/{}", view.id)))
        .json(view))
}

fn visible_user(principal: &Principal, user: &users::User) -> Result<(), ApiError> {
    if user.id == principal.user_id {
        return Ok(());
    }
    principal.ensure_sees(Owner {
        province_code: user.province_code.as_deref(),
        commune_code: user.commune_code.as_deref(),
    })
}

/// Get one user account.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView, description = "The account", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let user = state
        .db
        .read(move |conn| {
            let user = users::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            visible_user(&principal, &user)?;
            Ok(user)
        })
        .await?;
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change a user account: display name, role and unit, activation, password reset (admin).
#[utoipa::path(
    tag = "users",
    params(
        ("id" = i64, Path, description = "User id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView, description = "The account as changed", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let if_match = if_match?;
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let changes = AccountChanges {
        display_name: body.display_name,
        role: body.role,
        province_code: body.province_code,
        commune_code: body.commune_code,
        active: body.active,
        password: body.password,
    };
    let user = state
        .db
        .write(move |conn| {
            let current = users::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            visible_user(&principal, &current)?;
            if_match.check(current.version)?;
            accounts::update(conn, &actor, current, if_match.0, changes)
        })
        .await?;
    state.signed_in.forget(user.id);
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Sign a user out everywhere: every refresh and access token they hold stops working at once
/// (admin for any account they see, or anyone for their own).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session of the user is ended"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/users/{id}/sessions/revocation")]
pub async fn revoke_sessions(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    state
        .db
        .write(move |conn| {
            let user = users::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            visible_user(&principal, &user)?;
            if user.id != principal.user_id {
                principal.require(&[Role::Admin])?;
            }
            accounts::sign_out_everywhere(conn, &actor, &user)
        })
        .await?;
    state.signed_in.forget(id);
    Ok(HttpResponse::NoContent().finish())
}
