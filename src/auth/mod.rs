//! Who is calling and what they may see: roles, passwords, tokens, the login rate limit and the
//! [`Principal`] extractor with the one authorization helper every endpoint uses.

pub mod accounts;
pub mod passwords;
pub mod principal;
pub mod rate_limit;
pub mod roles;
pub mod scopes;
pub mod signed_in;
pub mod tokens;

pub use principal::{Owner, Principal};
pub use roles::Role;
