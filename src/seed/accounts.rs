//! User accounts: the jury members the selection rounds need (their scores point at them), and,
//! when a password is given, one account per role: for benchmarks (`bench-…`) or for someone
//! trying the demo data set (`demo-…`).
//!
//! Without a password the jury accounts are stored with no usable password hash (`!`): they
//! exist for the scores to name, and cannot sign in until an admin gives them a password.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use rand::Rng;
use rand::rngs::StdRng;

use super::calendar::{self, REGISTRY_START};
use super::names;
use super::rows;
use crate::auth::Role;
use crate::auth::passwords;
use crate::error::FieldError;

/// The stored hash of an account that cannot sign in: not a PHC string, so no password verifies.
pub const NO_PASSWORD: &str = "!";

/// Whom the one-account-per-role set is for; it names the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    Benchmark,
    Demo,
}

impl Staff {
    fn username(self, role: Role) -> String {
        let prefix = match self {
            Staff::Benchmark => "bench",
            Staff::Demo => "demo",
        };
        format!("{prefix}-{}", role.as_str())
    }

    fn display_name(self, role: Role) -> String {
        match self {
            Staff::Benchmark => format!("Tài khoản đo tải ({})", role.as_str()),
            Staff::Demo => format!("Tài khoản dùng thử ({})", role.as_str()),
        }
    }
}

/// The benchmark accounts, with the unit each one is attached to.
pub struct BenchUnits {
    pub province_code: String,
    pub commune_code: String,
}

/// The generated accounts and the ids of the jury members among them.
#[derive(Debug, Default)]
pub struct Accounts {
    pub users: Vec<rows::User>,
    pub judges: Vec<i64>,
}

/// Usernames the seed gives, so that a database holding one of them already can be refused
/// before anything is written.
pub fn usernames(judges: usize, staff: Option<Staff>) -> Vec<String> {
    let mut names: Vec<String> = (1..=judges).map(|n| format!("hoidong-{n:03}")).collect();
    if let Some(staff) = staff {
        names.extend(STAFF_ROLES.iter().map(|role| staff.username(*role)));
    }
    names
}

/// One account of each role that works in the registry (judges are the jury accounts).
const STAFF_ROLES: &[Role] = &[
    Role::Admin,
    Role::Ministry,
    Role::Auditor,
    Role::Province,
    Role::Commune,
];

/// Checks a seed password with the rule every account's password follows.
pub fn check_password(password: &str) -> Result<(), FieldError> {
    passwords::check_strength(
        "password",
        password,
        &["bench-admin", "bench", "demo-admin", "demo"],
    )
}

pub fn generate(
    rng: &mut StdRng,
    judges: usize,
    password: Option<&str>,
    staff: Staff,
    bench: &BenchUnits,
    first_id: i64,
) -> Accounts {
    // One hash for every account: argon2 is slow on purpose, and a salt drawn from the seed keeps
    // the rows the same from run to run.
    let hash = password.map(|password| {
        let salt: [u8; 16] = rng.r#gen();
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing with default parameters does not fail")
            .to_string()
    });
    let stored_hash = hash.clone().unwrap_or_else(|| NO_PASSWORD.to_owned());
    let created = calendar::office_time(rng, REGISTRY_START);
    let mut out = Accounts::default();
    let mut id = first_id;
    let mut push = |out: &mut Accounts,
                    username: String,
                    display_name: String,
                    role: Role,
                    province: Option<String>,
                    commune: Option<String>| {
        out.users.push(rows::User {
            id,
            username,
            display_name,
            password_hash: stored_hash.clone(),
            role: role.as_str().to_owned(),
            province_code: province,
            commune_code: commune,
            active: true,
            version: 1,
            created_at: created,
            updated_at: created,
            last_login_at: None,
            token_generation: 0,
        });
        id += 1;
        id - 1
    };
    if password.is_some() {
        for role in STAFF_ROLES {
            let (province, commune) = match role {
                Role::Province => (Some(bench.province_code.clone()), None),
                Role::Commune => (
                    Some(bench.province_code.clone()),
                    Some(bench.commune_code.clone()),
                ),
                _ => (None, None),
            };
            push(
                &mut out,
                staff.username(*role),
                staff.display_name(*role),
                *role,
                province,
                commune,
            );
        }
    }
    for n in 1..=judges {
        let woman = rng.gen_bool(0.45);
        let name = names::person(rng, woman);
        let title = if rng.gen_bool(0.3) { "TS. " } else { "" };
        let judge = push(
            &mut out,
            format!("hoidong-{n:03}"),
            format!("{title}{name}"),
            Role::Judge,
            None,
            None,
        );
        out.judges.push(judge);
    }
    out
}
