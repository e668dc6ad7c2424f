//! Integration clients: the service accounts third-party systems sign in with (client
//! credentials, `POST /api/v1/auth/token`). Admins create them, grant their scopes, rotate their
//! secrets and deactivate them. A secret is shown once, when it is made, and stored as a SHA-256
//! hash: it is 256 random bits, so a fast hash is as safe as a slow one and costs nothing per
//! token.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::checks::clean;
use super::csv_export::{CsvFile, CsvList, whole_list_answer};
use super::extract::{ApiJson, IfMatch, etag, present};
use crate::auth::scopes::{Scope, Scopes};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::integration_clients::{self as model, ClientChanges, ClientRow};
use crate::models::users::{self, NewUser, User, UserChanges};
use crate::models::{admin_units, now};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;

const ENTITY: &str = "integration_client";

/// An integration client as admins see it; its secret is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub id: i64,
    /// What the client sends as `client_id`.
    #[schema(example = "ic-3f9a1c0b7d2e")]
    pub client_id: String,
    #[schema(example = "Cổng dịch vụ công tỉnh Lào Cai")]
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The province the client is restricted to (current code); `null`: national, reads only.
    pub province_code: Option<String>,
    /// Who to call about it.
    pub contact: Option<String>,
    /// A deactivated client gets no tokens, and the tokens it holds are refused at once.
    pub active: bool,
    /// When it last obtained a token.
    pub last_used_at: Option<DateTime<Utc>>,
    pub secret_rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still works.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ClientView {
    fn of(user: User, client: ClientRow) -> ClientView {
        ClientView {
            id: user.id,
            client_id: user.username,
            name: user.display_name,
            scopes: Scopes::parse(&client.scopes).unwrap_or_default().to_vec(),
            province_code: user.province_code,
            contact: client.contact,
            active: user.active,
            last_used_at: client.last_used_at.map(|t| t.and_utc()),
            secret_rotated_at: client.secret_rotated_at.map(|t| t.and_utc()),
            previous_secret_valid_until: client.previous_secret_valid_until.map(|t| t.and_utc()),
            version: user.version,
            created_at: user.created_at.and_utc(),
            updated_at: user.updated_at.and_utc(),
        }
    }
}

/// A client with the secret just made for it: shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientWithSecret {
    #[serde(flatten)]
    pub client: ClientView,
    /// Keep it: the registry stores only its hash and cannot show it again.
    pub client_secret: String,
}

/// A new integration client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    #[schema(example = "Cổng dịch vụ công tỉnh Lào Cai", min_length = 1, max_length = 200)]
    pub name: String,
    /// At least one; `beneficiaries:write` and `projects:write` need a province restriction.
    #[schema(min_items = 1, max_items = 9)]
    pub scopes: Vec<Scope>,
    /// Restricts the client to one province (current code); it then acts as that province's staff.
    #[schema(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    #[schema(example = "Phòng CNTT, 0214 3840 123", max_length = 200)]
    pub contact: Option<String>,
}

/// Changes to a client; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Replaces the granted scopes; tokens already issued lose the ones taken away at once.
    #[schema(min_items = 1, max_items = 9)]
    pub scopes: Option<Vec<Scope>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub contact: Option<Option<String>>,
    /// `false` deactivates the client: no new tokens, and its tokens are refused at once.
    pub active: Option<bool>,
}

/// The columns of the list as CSV, in order.
const CLIENT_CSV: [&str; 12] = [
    "id",
    "client_id",
    "name",
    "province_code",
    "contact",
    "active",
    "last_used_at",
    "secret_rotated_at",
    "previous_secret_valid_until",
    "version",
    "created_at",
    "updated_at",
];

/// A new secret: the value for the client and the hash to store.
pub fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&secret);
    (secret, hash)
}

pub fn hash_secret(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// A client id: `ic-` and 12 random hex digits; a valid username.
fn new_client_id() -> String {
    let mut bytes = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("ic-{hex}")
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let length = name.trim().chars().count();
    if !(1..=200).contains(&length) {
        errors.push(FieldError::new(
            "name",
            "invalid_length",
            Text::new(
                "Tên phải từ 1 đến 200 ký tự.",
                "The name must be 1 to 200 characters.",
            ),
        ));
    }
}

fn check_contact(contact: Option<&str>, errors: &mut Vec<FieldError>) {
    if contact.is_some_and(|c| c.chars().count() > 200) {
        errors.push(FieldError::new(
            "contact",
            "too_long",
            Text::new(
                "Liên hệ tối đa 200 ký tự.",
                "The contact is at most 200 characters.",
            ),
        ));
    }
}

fn check_scopes(scopes: &[Scope], province_code: Option<&str>, errors: &mut Vec<FieldError>) {
    if scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "required",
            Text::new("Cần ít nhất một phạm vi.", "At least one scope is required."),
        ));
    }
    if province_code.is_none()
        && let Some(scope) = scopes.iter().find(|s| s.writes())
    {
        errors.push(FieldError::new(
            "scopes",
            "write_scope_needs_province",
            Text::new(
                format!("Phạm vi `{scope}` chỉ cấp cho ứng dụng giới hạn trong một tỉnh (province_code)."),
                format!("The scope `{scope}` is granted only to a client restricted to a province (province_code)."),
            ),
        ));
    }
}

fn fail_if_any(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn find(conn: &mut DbConn, id: i64) -> Result<(User, ClientRow), ApiError> {
    model::find(conn, id)?.ok_or_else(ApiError::not_found)
}

fn change(action: &'static str, before: Option<&ClientView>, after: &ClientView) -> Change<'static> {
    Change {
        entity_type: ENTITY,
        entity_id: after.id.to_string(),
        action,
        before: before.and_then(audit::snapshot),
        after: audit::snapshot(after),
        province_code: None,
    }
}

/// Register an integration client (admin); its secret is in the answer, and only there.
#[utoipa::path(
    tag = "integration-clients",
    request_body = CreateClientRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ClientWithSecret, description = "The client, with its secret", headers(("ETag" = String), ("Location" = String), ("Cache-Control" = String, description = "`no-store`: the answer holds a secret"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/integration-clients")]
pub async fn create_client(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let actor = Actor::new(&principal, &context);
    let (secret, secret_hash) = new_secret();
    let view = state
        .db
        .write(move |conn| {
            let mut errors = Vec::new();
            check_name(&body.name, &mut errors);
            let contact = clean(body.contact);
            check_contact(contact.as_deref(), &mut errors);
            let province_code = body.province_code;
            check_scopes(&body.scopes, province_code.as_deref(), &mut errors);
            if let Some(code) = &province_code
                && (code.len() != 2
                    || !code.bytes().all(|b| b.is_ascii_digit())
                    || admin_units::find_province_2025(conn, code)?.is_none())
            {
                errors.push(FieldError::new(
                    "province_code",
                    "unknown_province",
                    Text::new(
                        format!("Không có tỉnh, thành phố mã {code} (đơn vị hành chính hiện hành)."),
                        format!("No current province has code {code}."),
                    ),
                ));
            }
            fail_if_any(errors)?;
            let timestamp = now();
            let user = users::insert(
                conn,
                &NewUser {
                    username: new_client_id(),
                    display_name: clean_line(&body.name),
                    // Not a password hash: a client never signs in with a password.
                    password_hash: "!integration-client".to_owned(),
                    role: Role::Integration.as_str().to_owned(),
                    province_code,
                    commune_code: None,
                    active: true,
                    version: 1,
                    created_at: timestamp,
                    updated_at: timestamp,
                },
            )?;
            let client = ClientRow {
                user_id: user.id,
                scopes: Scopes::new(body.scopes).to_string(),
                contact,
                secret_hash,
                previous_secret_hash: None,
                previous_secret_valid_until: None,
                secret_rotated_at: None,
                last_used_at: None,
            };
            model::insert(conn, &client)?;
            let view = ClientView::of(user, client);
            audit::record(conn, &actor, change("created", None, &view))?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/integration-clients/{}", view.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(ClientWithSecret {
            client: view,
            client_secret: secret,
        }))
}

/// List the integration clients (admin); with `Accept: text/csv`, as a file.
#[utoipa::path(
    tag = "integration-clients",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every client, oldest first", content(
            (Vec<ClientView> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/integration-clients")]
pub async fn list_clients(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let clients = state.db.read(model::list).await?;
    let views: Vec<ClientView> = clients
        .into_iter()
        .map(|(user, client)| ClientView::of(user, client))
        .collect();
    whole_list_answer(&req, CsvList::new(&CLIENT_CSV, "ung-dung-tich-hop.csv"), views)
}

/// Get one integration client (admin).
#[utoipa::path(
    tag = "integration-clients",
    params(("id" = i64, Path, description = "Client id (the account's numeric id)")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ClientView, description = "The client", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/integration-clients/{id}")]
pub async fn get_client(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let id = id.into_inner();
    let (user, client) = state.db.read(move |conn| find(conn, id)).await?;
    let view = ClientView::of(user, client);
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change an integration client (admin): name, scopes, contact, activation.
#[utoipa::path(
    tag = "integration-clients",
    params(
        ("id" = i64, Path, description = "Client id (the account's numeric id)"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateClientRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ClientView, description = "The client as changed", headers(("ETag" = String))),
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
#[patch("/integration-clients/{id}")]
pub async fn update_client(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let if_match = if_match?;
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let (user, client) = find(conn, id)?;
            if_match.check(user.version)?;
            let before = ClientView::of(user.clone(), client);
            let mut errors = Vec::new();
            if let Some(name) = &body.name {
                check_name(name, &mut errors);
            }
            let contact = body.contact.map(clean);
            if let Some(contact) = &contact {
                check_contact(contact.as_deref(), &mut errors);
            }
            if let Some(scopes) = &body.scopes {
                check_scopes(scopes, user.province_code.as_deref(), &mut errors);
            }
            fail_if_any(errors)?;
            let changes = UserChanges {
                display_name: body.name.as_deref().map(clean_line),
                active: body.active,
                ..UserChanges::default()
            };
            let user = users::update(conn, id, if_match.0, &changes)?
                .ok_or_else(|| ApiError::precondition_failed(before.version))?;
            model::update(
                conn,
                id,
                &ClientChanges {
                    scopes: body.scopes.map(|s| Scopes::new(s).to_string()),
                    contact,
                },
            )?;
            let (user, client) = (user, find(conn, id)?.1);
            let view = ClientView::of(user, client);
            audit::record(conn, &actor, change("updated", Some(&before), &view))?;
            Ok(view)
        })
        .await?;
    // Scopes or activation changed: the client's checked tokens are read again.
    state.signed_in.forget(view.id);
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

fn changed_meanwhile() -> ApiError {
    ApiError::conflict(
        "changed_meanwhile",
        Text::new(
            "Ứng dụng vừa được thay đổi bởi một yêu cầu khác; hãy thử lại.",
            "The client was changed by another request meanwhile; try again.",
        ),
    )
}

/// A client's new secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    pub client_secret: String,
    /// Until then the secret it replaces still works, so that the client can be redeployed.
    pub previous_secret_valid_until: DateTime<Utc>,
}

/// Give an integration client a new secret (admin); the old one works for
/// `CLIENT_SECRET_GRACE_SECS` more (24 hours by default).
#[utoipa::path(
    tag = "integration-clients",
    params(("id" = i64, Path, description = "Client id (the account's numeric id)")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RotatedSecret, description = "The new secret", headers(("Cache-Control" = String, description = "`no-store`: the answer holds a secret"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/integration-clients/{id}/secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let grace = chrono::Duration::from_std(state.config.client_secret_grace)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let (secret, secret_hash) = new_secret();
    let answer = state
        .db
        .write(move |conn| {
            let (user, client) = find(conn, id)?;
            let before = ClientView::of(user.clone(), client.clone());
            let timestamp = now();
            let valid_until = timestamp + grace;
            model::rotate_secret(
                conn,
                id,
                &secret_hash,
                &client.secret_hash,
                valid_until,
                timestamp,
            )?;
            let user = users::update(conn, id, user.version, &UserChanges::default())?
                .ok_or_else(changed_meanwhile)?;
            let view = ClientView::of(user, find(conn, id)?.1);
            audit::record(conn, &actor, change("secret_rotated", Some(&before), &view))?;
            Ok(RotatedSecret {
                client_id: view.client_id,
                client_secret: secret,
                previous_secret_valid_until: valid_until.and_utc(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(answer))
}
