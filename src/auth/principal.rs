//! The authenticated caller and the one authorization helper every endpoint uses: role checks
//! answer 403, records outside the caller's territory answer 404 (their existence is not revealed).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::roles::Role;
use super::scopes::{Access, Scope, Scopes};
use super::signed_in::SessionKey;
use super::tokens::invalid_token;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::{self, integration_clients, users};
use crate::state::AppState;

/// The authenticated user, as the database knows them now (a deactivated account or a changed
/// role takes effect on the next request, not when the token expires; so does signing out, a
/// password reset and "sign out everywhere", which revoke the tokens already signed). Recently
/// checked sessions are kept briefly in memory; see [`super::signed_in`] for what that may delay.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    /// The role the caller acts in. An integration client acts as provincial staff of the province
    /// it is restricted to, or, unrestricted, as a national reader ([`Role::Auditor`]); its scopes
    /// then narrow what it may call.
    pub role: Role,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    /// An integration client's scopes; `None` for a person.
    pub scopes: Option<Scopes>,
}

/// The administrative units a record belongs to, for visibility checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner<'a> {
    pub province_code: Option<&'a str>,
    pub commune_code: Option<&'a str>,
}

/// The part of the country a principal sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Territory {
    National,
    Province(String),
    Commune(String),
    /// Only records that name the principal itself (judges, integrations: their grants come later).
    OwnOnly,
}

impl Principal {
    /// 403 unless the principal has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Whether the caller may read personal data at all (each record's territory still applies):
    /// the ministry, admins and provincial staff, or a client granted `personal_data:read`.
    pub fn may_read_personal_data(&self) -> bool {
        reads_personal_data(self.role, self.scopes.as_ref())
    }

    /// 403 when an integration client may not call an operation with this access rule: the scope
    /// it lacks is named, in the body and in `WWW-Authenticate` (RFC 6750 §3.1). People pass.
    pub fn ensure_access(&self, access: Access) -> Result<(), ApiError> {
        let Some(scopes) = &self.scopes else {
            return Ok(());
        };
        match access {
            Access::AnyClient => Ok(()),
            Access::Scope(scope) if scopes.contains(scope) => Ok(()),
            Access::Scope(scope) => Err(ApiError::insufficient_scope(scope)),
            Access::People => Err(ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "not_for_integration_clients",
                Text::new(
                    "Thao tác này dành cho người dùng, không dành cho ứng dụng tích hợp.",
                    "This operation is for people signing in, not for integration clients.",
                ),
            )),
        }
    }

    pub fn territory(&self) -> Territory {
        match (self.role, &self.province_code, &self.commune_code) {
            (role, _, _) if role.is_national() => Territory::National,
            (Role::Province, Some(province), _) => Territory::Province(province.clone()),
            (Role::Commune, _, Some(commune)) => Territory::Commune(commune.clone()),
            _ => Territory::OwnOnly,
        }
    }

    pub fn sees(&self, owner: Owner<'_>) -> bool {
        match self.territory() {
            Territory::National => true,
            Territory::Province(province) => owner.province_code == Some(province.as_str()),
            Territory::Commune(commune) => owner.commune_code == Some(commune.as_str()),
            Territory::OwnOnly => false,
        }
    }

    /// 404 for a record outside the principal's territory.
    pub fn ensure_sees(&self, owner: Owner<'_>) -> Result<(), ApiError> {
        if self.sees(owner) {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }
}

/// Whether an account of `role` (with a client's `scopes`, `None` for a person) may read personal
/// data at all; each record's territory still applies. Also asked of a webhook's owner.
pub fn reads_personal_data(role: Role, scopes: Option<&Scopes>) -> bool {
    match scopes {
        Some(scopes) => scopes.contains(Scope::PersonalDataRead),
        None => matches!(role, Role::Admin | Role::Ministry | Role::Province),
    }
}

fn missing_credentials() -> ApiError {
    ApiError::unauthenticated(
        "missing_credentials",
        Text::new(
            "Cần đăng nhập: gửi tiêu đề Authorization: Bearer <access_token>.",
            "Authentication required: send Authorization: Bearer <access_token>.",
        ),
    )
}

/// A token of a session that was signed out, or signed before a password reset, a role change or
/// "sign out everywhere".
fn revoked_token() -> ApiError {
    ApiError::unauthenticated(
        "token_revoked",
        Text::new(
            "Mã truy cập đã bị thu hồi (đã đăng xuất hoặc đổi mật khẩu); hãy đăng nhập lại.",
            "The access token was revoked (signed out or password changed); sign in again.",
        ),
    )
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        // Set by the request guard from the documented operation; a route it does not know is
        // closed to integration clients.
        let access = req
            .extensions()
            .get::<Access>()
            .copied()
            .unwrap_or(Access::People);
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or_else(missing_credentials)?;
            let principal = signed_in(&state, &token).await?;
            principal.ensure_access(access)?;
            if principal.scopes.is_some() {
                // Integration clients have a request budget; its state goes out in the answer's
                // `RateLimit-*` headers (added by the request context).
                let allowance = state.client_limiter.check(&principal.user_id.to_string())?;
                req.extensions_mut().insert(allowance);
            }
            Ok(principal)
        })
    }
}

/// The principal of a valid access token, from the sessions kept in memory or from the database.
async fn signed_in(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let access = state.tokens.verify_access(token)?;
    let key = SessionKey {
        user_id: access.user_id,
        session_id: access.session_id.clone(),
        generation: access.generation,
        scopes: access.scopes.as_ref().map(Scopes::to_string),
    };
    if let Some(principal) = state.signed_in.get(&key) {
        return Ok(principal);
    }
    let epoch = state.signed_in.epoch();
    let (user_id, session_id) = (access.user_id, access.session_id.clone());
    let found = state
        .db
        .read(move |conn| {
            let Some((user, signed_out)) = users::find_signed_in(conn, user_id, session_id.as_deref())?
            else {
                return Ok(None);
            };
            let granted = if user.role == Role::Integration.as_str() {
                integration_clients::granted_scopes(conn, user.id)?
            } else {
                None
            };
            Ok(Some((user, signed_out, granted)))
        })
        .await?;
    let Some((user, signed_out, granted)) = found else {
        return Err(invalid_token());
    };
    if !user.active {
        return Err(invalid_token());
    }
    if signed_out || user.token_generation != access.generation {
        return Err(revoked_token());
    }
    let role: Role = models::decode("users.role", &user.role)?;
    // A client's token carries the scopes it asked for; what the client holds now bounds them,
    // so a scope taken away applies to the tokens already issued.
    let (role, scopes) = match (role, access.scopes, granted) {
        (Role::Integration, Some(asked), Some(granted)) => {
            let acting = if user.province_code.is_some() {
                Role::Province
            } else {
                Role::Auditor
            };
            (
                acting,
                Some(asked.intersection(&Scopes::parse(&granted).unwrap_or_default())),
            )
        }
        (Role::Integration, _, _) | (_, Some(_), _) => return Err(invalid_token()),
        (role, None, _) => (role, None),
    };
    let principal = Principal {
        user_id: user.id,
        role,
        username: user.username,
        province_code: user.province_code,
        commune_code: user.commune_code,
        scopes,
    };
    state.signed_in.remember(key, principal.clone(), epoch);
    Ok(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, province: Option<&str>, commune: Option<&str>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            role,
            province_code: province.map(Into::into),
            commune_code: commune.map(Into::into),
            scopes: None,
        }
    }

    #[test]
    fn territory_decides_visibility() {
        let hanoi = Owner {
            province_code: Some("01"),
            commune_code: Some("00004"),
        };
        let hue = Owner {
            province_code: Some("46"),
            commune_code: None,
        };
        assert!(principal(Role::Auditor, None, None).sees(hue));
        let province = principal(Role::Province, Some("01"), None);
        assert!(province.sees(hanoi));
        assert!(!province.sees(hue));
        assert_eq!(province.ensure_sees(hue).unwrap_err().status.as_u16(), 404);
        let commune = principal(Role::Commune, Some("01"), Some("00004"));
        assert!(commune.sees(hanoi));
        assert!(!commune.sees(Owner {
            province_code: Some("01"),
            commune_code: Some("00008")
        }));
        assert!(!principal(Role::Judge, None, None).sees(hanoi));
        assert_eq!(province.require(&[Role::Admin]).unwrap_err().status.as_u16(), 403);
    }
}
