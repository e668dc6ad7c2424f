//! Scopes: what an integration client's token allows, and which scope each operation needs.
//!
//! One function, [`access`], decides for every documented operation; the OpenAPI document declares
//! its answer (`security: bearer: [scope]`) and the request guard enforces the same answer, so the
//! contract and the server cannot drift apart. People signing in are not limited by scopes: their
//! role decides, as before.

use std::collections::BTreeSet;

use crate::domain::labels::Labeled;
use crate::labeled_enum;

labeled_enum! {
    /// A permission an integration client may be granted.
    pub enum Scope as "scope" {
        BeneficiariesRead = "beneficiaries:read": "Đọc cơ sở được hỗ trợ" / "Read establishments",
        BeneficiariesWrite = "beneficiaries:write": "Ghi cơ sở được hỗ trợ" / "Write establishments",
        ProjectsRead = "projects:read": "Đọc đề án, chương trình, định mức" / "Read projects, programmes and caps",
        ProjectsWrite = "projects:write": "Ghi đề án, giải ngân" / "Write projects and disbursements",
        CertificatesRead = "certificates:read": "Đọc sản phẩm, kỳ bình chọn, giấy chứng nhận" / "Read products, selection rounds and certificates",
        StatsRead = "stats:read": "Đọc số liệu tổng hợp, báo cáo" / "Read figures and reports",
        EventsRead = "events:read": "Đọc dòng sự kiện" / "Read the event feed",
        WebhooksManage = "webhooks:manage": "Quản lý webhook" / "Manage webhooks",
        PersonalDataRead = "personal_data:read": "Đọc dữ liệu cá nhân" / "Read personal data",
    }
}

impl Scope {
    /// Scopes that change records; a client holding one must be restricted to a province.
    pub fn writes(self) -> bool {
        matches!(self, Scope::BeneficiariesWrite | Scope::ProjectsWrite)
    }
}

/// A set of scopes in their canonical order, as stored and as written in a token (`scope` claim,
/// space-separated as in RFC 6749 §3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<ScopeOrder>);

/// Orders scopes as they are listed in [`Scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ScopeOrder(usize);

impl Scopes {
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Scopes {
        Scopes(
            scopes
                .into_iter()
                .map(|s| ScopeOrder(Scope::ALL.iter().position(|a| *a == s).unwrap_or(usize::MAX)))
                .collect(),
        )
    }

    /// Reads a space-separated list; the error is the first unknown scope.
    pub fn parse(text: &str) -> Result<Scopes, String> {
        text.split_ascii_whitespace()
            .map(|s| s.parse::<Scope>().map_err(|_| s.to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map(Scopes::new)
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.iter().any(|s| s == scope)
    }

    pub fn is_subset(&self, of: &Scopes) -> bool {
        self.0.is_subset(&of.0)
    }

    /// The scopes held by both.
    pub fn intersection(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.intersection(&other.0).copied().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().filter_map(|o| Scope::ALL.get(o.0).copied())
    }

    pub fn to_vec(&self) -> Vec<Scope> {
        self.iter().collect()
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&codes.join(" "))
    }
}

/// Who may call an authenticated operation, as far as integration clients are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A client needs this scope (then its role and territory apply as for a person).
    Scope(Scope),
    /// Any client may call it (reference data, the caller's own account).
    AnyClient,
    /// Not for clients: managing accounts and clients, the audit log, and every change the
    /// scopes do not name (selection rounds, certificates, programmes, reference data).
    People,
}

/// The access rule of `method path`, `path` being the documented template
/// (`/api/v1/projects/{id}`).
pub fn access(method: &str, path: &str) -> Access {
    let reads = method.eq_ignore_ascii_case("GET");
    let resource = path
        .strip_prefix("/api/v1/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    let either = |read: Scope, write: Option<Scope>| match (reads, write) {
        (true, _) => Access::Scope(read),
        (false, Some(write)) => Access::Scope(write),
        (false, None) => Access::People,
    };
    match resource {
        "beneficiaries" => either(Scope::BeneficiariesRead, Some(Scope::BeneficiariesWrite)),
        "projects" => either(Scope::ProjectsRead, Some(Scope::ProjectsWrite)),
        "programmes" | "support-caps" | "organizations" => either(Scope::ProjectsRead, None),
        "products" | "selection-rounds" | "certificates" => either(Scope::CertificatesRead, None),
        "stats" | "reports" => either(Scope::StatsRead, None),
        "events" => either(Scope::EventsRead, None),
        "webhooks" => Access::Scope(Scope::WebhooksManage),
        "activity-types" | "me" if reads => Access::AnyClient,
        _ => Access::People,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_need_their_own_scope() {
        assert_eq!(
            access("GET", "/api/v1/projects/{id}"),
            Access::Scope(Scope::ProjectsRead)
        );
        assert_eq!(
            access("POST", "/api/v1/projects/{id}/disbursements"),
            Access::Scope(Scope::ProjectsWrite)
        );
        assert_eq!(
            access("PATCH", "/api/v1/beneficiaries/{id}"),
            Access::Scope(Scope::BeneficiariesWrite)
        );
        assert_eq!(access("POST", "/api/v1/certificates"), Access::People);
        assert_eq!(access("GET", "/api/v1/users"), Access::People);
        assert_eq!(access("GET", "/api/v1/audit-events"), Access::People);
        assert_eq!(access("GET", "/api/v1/integration-clients"), Access::People);
        assert_eq!(access("GET", "/api/v1/me"), Access::AnyClient);
        assert_eq!(access("POST", "/api/v1/activity-types"), Access::People);
    }

    #[test]
    fn scopes_read_and_print_in_their_canonical_order() {
        let scopes = Scopes::parse("stats:read  projects:read").unwrap();
        assert_eq!(scopes.to_string(), "projects:read stats:read");
        assert!(scopes.contains(Scope::StatsRead));
        assert!(!scopes.contains(Scope::ProjectsWrite));
        assert_eq!(
            Scopes::parse("projects:read everything").unwrap_err(),
            "everything"
        );
        assert!(Scopes::parse("stats:read").unwrap().is_subset(&scopes));
    }
}
