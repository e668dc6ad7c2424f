//! Roles (DESIGN §5) and the territory each one covers.

use crate::labeled_enum;

labeled_enum! {
    /// What a user account may do.
    pub enum Role as "role" {
        /// National; manages users.
        Admin = "admin": "Quản trị hệ thống" / "System administrator",
        /// National read/write; approves national-fund projects.
        Ministry = "ministry": "Bộ Công Thương" / "Ministry of Industry and Trade",
        /// Read/write inside one province (centre and department staff).
        Province = "province": "Cán bộ cấp tỉnh" / "Provincial staff",
        /// Its commune's selection round; reads its commune.
        Commune = "commune": "Cán bộ cấp xã" / "Commune staff",
        /// National read-only, with the audit log.
        Auditor = "auditor": "Thanh tra, kiểm toán" / "Auditor",
        /// Scores entries of the selection rounds it is assigned to.
        Judge = "judge": "Thành viên hội đồng bình chọn" / "Selection jury member",
        /// Service account of a third-party integration.
        Integration = "integration": "Tài khoản tích hợp" / "Integration service account",
    }
}

impl Role {
    /// The roles that see the whole country.
    pub fn is_national(self) -> bool {
        matches!(self, Role::Admin | Role::Ministry | Role::Auditor)
    }

    /// Which administrative unit an account of this role must be attached to.
    pub fn required_unit(self) -> RequiredUnit {
        match self {
            Role::Province => RequiredUnit::Province,
            Role::Commune => RequiredUnit::Commune,
            _ => RequiredUnit::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredUnit {
    None,
    Province,
    Commune,
}
