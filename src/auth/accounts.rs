//! The rules of user accounts, shared by the API and the command line: what a valid username,
//! display name and password are, which administrative unit each role is attached to, and creating
//! and changing accounts with their audit events.

use serde::Serialize;
use utoipa::ToSchema;

use super::passwords;
use super::roles::{RequiredUnit, Role};
use crate::db::DbConn;
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change, snapshot};
use crate::models::users::{self, NewUser, User, UserChanges};
use crate::models::{admin_units, decode, now, refresh_tokens};

pub const ENTITY: &str = "user";

/// A user account as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Current-era province code for `province` and `commune` users.
    pub province_code: Option<String>,
    /// Current-era commune code for `commune` users.
    pub commune_code: Option<String>,
    pub active: bool,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl TryFrom<User> for UserView {
    type Error = ApiError;

    fn try_from(user: User) -> Result<UserView, ApiError> {
        Ok(UserView {
            role: decode("users.role", &user.role)?,
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            province_code: user.province_code,
            commune_code: user.commune_code,
            active: user.active,
            version: user.version,
            created_at: user.created_at.and_utc(),
            updated_at: user.updated_at.and_utc(),
            last_login_at: user.last_login_at.map(|t| t.and_utc()),
        })
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
}

/// Changes to an account; `None` leaves a field unchanged, `Some(None)` clears a unit.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub province_code: Option<Option<String>>,
    pub commune_code: Option<Option<String>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Usernames are lowercase ASCII so that one person cannot hold `Lan` and `lan`.
/// Spaces are refused rather than trimmed, so that the name an admin typed is the name stored.
pub fn normalize_username(username: &str) -> String {
    username.to_lowercase()
}

fn check_username(username: &str, errors: &mut Vec<FieldError>) {
    let ok = (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        errors.push(FieldError::new(
            "username",
            "invalid_username",
            Text::new(
                "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang.",
                "A username has 3–64 characters: unaccented letters, digits, dot, underscore, hyphen.",
            ),
        ));
    }
}

fn check_display_name(name: &str, errors: &mut Vec<FieldError>) {
    let length = clean_line(name).chars().count();
    if !(1..=200).contains(&length) {
        errors.push(FieldError::new(
            "display_name",
            "invalid_length",
            Text::new(
                "Tên hiển thị có từ 1 đến 200 ký tự.",
                "The display name has 1 to 200 characters.",
            ),
        ));
    }
}

/// Checks that the role's administrative unit is given, exists in the current era and nothing else
/// is given; a commune user's province is the commune's province. Returns (province, commune).
fn resolve_units(
    conn: &mut DbConn,
    role: Role,
    province_code: Option<String>,
    commune_code: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let not_allowed = |field: &str| {
        FieldError::new(
            field,
            "not_allowed_for_role",
            Text::new(
                format!("Vai trò {role} không gắn với {field}."),
                format!("Role {role} is not attached to a {field}."),
            ),
        )
    };
    let required = |field: &str| {
        FieldError::new(
            field,
            "required_for_role",
            Text::new(
                format!("Vai trò {role} cần {field}."),
                format!("Role {role} requires {field}."),
            ),
        )
    };
    match role.required_unit() {
        RequiredUnit::None => {
            if province_code.is_some() {
                errors.push(not_allowed("province_code"));
            }
            if commune_code.is_some() {
                errors.push(not_allowed("commune_code"));
            }
            Ok((None, None))
        }
        RequiredUnit::Province => {
            if commune_code.is_some() {
                errors.push(not_allowed("commune_code"));
            }
            let Some(code) = province_code else {
                errors.push(required("province_code"));
                return Ok((None, None));
            };
            if admin_units::find_province_2025(conn, &code)?.is_none() {
                errors.push(FieldError::new(
                    "province_code",
                    "unknown_province",
                    Text::new(
                        format!("Không có tỉnh, thành phố mã {code} (đơn vị hành chính hiện hành)."),
                        format!("No current province has code {code}."),
                    ),
                ));
            }
            Ok((Some(code), None))
        }
        RequiredUnit::Commune => {
            let Some(code) = commune_code else {
                errors.push(required("commune_code"));
                return Ok((None, None));
            };
            let Some(commune) = admin_units::find_commune(conn, &code)? else {
                errors.push(FieldError::new(
                    "commune_code",
                    "unknown_commune",
                    Text::new(
                        format!("Không có xã, phường mã {code} (đơn vị hành chính hiện hành)."),
                        format!("No current commune has code {code}."),
                    ),
                ));
                return Ok((None, Some(code)));
            };
            if province_code
                .as_ref()
                .is_some_and(|p| *p != commune.province_code)
            {
                errors.push(FieldError::new(
                    "province_code",
                    "commune_not_in_province",
                    Text::new(
                        format!("Xã, phường {code} thuộc tỉnh mã {}.", commune.province_code),
                        format!("Commune {code} belongs to province {}.", commune.province_code),
                    ),
                ));
            }
            Ok((Some(commune.province_code), Some(code)))
        }
    }
}

/// Integration clients are accounts too, but they have secrets and scopes rather than passwords:
/// they are made and changed through `/api/v1/integration-clients` only.
fn integration_elsewhere() -> FieldError {
    FieldError::new(
        "role",
        "integration_client",
        Text::new(
            "Ứng dụng tích hợp được tạo và sửa qua /api/v1/integration-clients.",
            "Integration clients are created and changed through /api/v1/integration-clients.",
        ),
    )
}

fn fail_if_any(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Creates an account and its audit event (call inside a transaction).
pub fn create(conn: &mut DbConn, actor: &Actor, account: NewAccount) -> Result<User, ApiError> {
    let username = normalize_username(&account.username);
    let mut errors = Vec::new();
    if account.role == Role::Integration {
        errors.push(integration_elsewhere());
    }
    check_username(&username, &mut errors);
    check_display_name(&account.display_name, &mut errors);
    if let Err(e) =
        passwords::check_strength("password", &account.password, &[&username, &account.display_name])
    {
        errors.push(e);
    }
    let (province_code, commune_code) = resolve_units(
        conn,
        account.role,
        account.province_code,
        account.commune_code,
        &mut errors,
    )?;
    fail_if_any(errors)?;
    if users::find_by_username(conn, &username)?.is_some() {
        return Err(username_taken(&username));
    }
    let timestamp = now();
    let user = users::insert(
        conn,
        &NewUser {
            username,
            display_name: clean_line(&account.display_name),
            password_hash: passwords::hash(&account.password),
            role: account.role.as_str().to_owned(),
            province_code,
            commune_code,
            active: true,
            version: 1,
            created_at: timestamp,
            updated_at: timestamp,
        },
    )?;
    let view = UserView::try_from(user.clone())?;
    audit::record(
        conn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: user.id.to_string(),
            action: "create",
            before: None,
            after: snapshot(&view),
            province_code: user.province_code.as_deref(),
        },
    )?;
    Ok(user)
}

fn username_taken(username: &str) -> ApiError {
    ApiError::conflict(
        "username_taken",
        Text::new(
            format!("Tên đăng nhập {username} đã được dùng."),
            format!("The username {username} is already taken."),
        ),
    )
}

/// Applies changes at `expected_version`, signs the user out everywhere when deactivated, given a
/// new password, another role or another unit, and audits (call inside a transaction). `acting_user` guards against an admin
/// locking themselves out.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    current: User,
    expected_version: i64,
    changes: AccountChanges,
) -> Result<User, ApiError> {
    let before = UserView::try_from(current.clone())?;
    let mut errors = Vec::new();
    if before.role == Role::Integration || changes.role == Some(Role::Integration) {
        errors.push(integration_elsewhere());
    }
    if let Some(name) = &changes.display_name {
        check_display_name(name, &mut errors);
    }
    if let Some(password) = &changes.password
        && let Err(e) =
            passwords::check_strength("password", password, &[&current.username, &current.display_name])
    {
        errors.push(e);
    }
    let role = changes.role.unwrap_or(before.role);
    let units_touched =
        changes.role.is_some() || changes.province_code.is_some() || changes.commune_code.is_some();
    let (province_code, commune_code) = if units_touched {
        // When only the role changes, units the new role does not take are dropped rather than
        // reported, so that `{"role": "ministry"}` alone is a complete request.
        let keep = |given: Option<Option<String>>, old: Option<String>, wanted: bool| match given {
            Some(value) => value,
            None if wanted => old,
            None => None,
        };
        let province = keep(
            changes.province_code.clone(),
            current.province_code.clone(),
            role.required_unit() == RequiredUnit::Province,
        );
        let commune = keep(
            changes.commune_code.clone(),
            current.commune_code.clone(),
            role.required_unit() == RequiredUnit::Commune,
        );
        let (p, c) = resolve_units(conn, role, province, commune, &mut errors)?;
        (Some(p), Some(c))
    } else {
        (None, None)
    };
    if actor.user_id == Some(current.id)
        && (changes.active == Some(false)
            || (changes.role.is_some() && role != Role::Admin && before.role == Role::Admin))
    {
        errors.push(FieldError::new(
            if changes.active == Some(false) {
                "active"
            } else {
                "role"
            },
            "cannot_lock_out_self",
            Text::new(
                "Không thể tự vô hiệu hóa hoặc tự bỏ quyền quản trị của chính mình.",
                "You cannot deactivate yourself or remove your own admin role.",
            ),
        ));
    }
    fail_if_any(errors)?;

    let password_changed = changes.password.is_some();
    let row_changes = UserChanges {
        display_name: changes.display_name.map(|n| clean_line(&n)),
        password_hash: changes.password.as_deref().map(passwords::hash),
        role: changes.role.map(|r| r.as_str().to_owned()),
        province_code,
        commune_code,
        active: changes.active,
    };
    let updated = users::update(conn, current.id, expected_version, &row_changes)?
        .ok_or_else(|| ApiError::precondition_failed(current.version))?;
    let authority_changed = updated.role != current.role
        || updated.province_code != current.province_code
        || updated.commune_code != current.commune_code;
    if password_changed || authority_changed || !updated.active {
        end_all_sessions(conn, updated.id)?;
    }
    let after = UserView::try_from(updated.clone())?;
    audit::record(
        conn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: updated.id.to_string(),
            action: if password_changed {
                "update_with_password_reset"
            } else {
                "update"
            },
            before: snapshot(&before),
            after: snapshot(&after),
            province_code: updated
                .province_code
                .as_deref()
                .or(current.province_code.as_deref()),
        },
    )?;
    Ok(updated)
}

/// Refuses every token the user holds: refresh tokens are revoked and the token generation moves
/// on, so access tokens already signed stop working at once rather than when they expire.
fn end_all_sessions(conn: &mut DbConn, user_id: i64) -> Result<(), ApiError> {
    refresh_tokens::revoke_all_for_user(conn, user_id)?;
    users::advance_token_generation(conn, user_id)
}

/// "Sign out everywhere" for `user`, audited (call inside a transaction).
pub fn sign_out_everywhere(conn: &mut DbConn, actor: &Actor, user: &User) -> Result<(), ApiError> {
    end_all_sessions(conn, user.id)?;
    audit::record(
        conn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: user.id.to_string(),
            action: "sessions_revoked",
            before: None,
            after: None,
            province_code: user.province_code.as_deref(),
        },
    )
}
