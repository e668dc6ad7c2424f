//! Administrative units and the 1 July 2025 reform: the era a code belongs to, the selection regions
//! and the unit types. Codes are reused across eras, so a code is only meaningful with its era.

use crate::labeled_enum;

labeled_enum! {
    /// Which list of administrative units a code belongs to.
    pub enum Era as "admin_unit_era" {
        /// Units in force since 1 July 2025 (34 provincial units, communes without districts).
        Current = "current": "Đơn vị hành chính hiện hành (từ 01/07/2025)" / "Current units (from 1 July 2025)",
        /// Units before the reform (63 provinces, districts, old communes).
        Pre2025 = "pre2025": "Đơn vị hành chính trước 01/07/2025" / "Units before 1 July 2025",
    }
}

labeled_enum! {
    /// The three regions of the regional selection round of typical rural industrial products.
    pub enum Region as "region" {
        Bac = "bac": "Khu vực phía Bắc" / "Northern region",
        TrungTayNguyen = "trung_tay_nguyen": "Khu vực miền Trung - Tây Nguyên" / "Central and Central Highlands region",
        Nam = "nam": "Khu vực phía Nam" / "Southern region",
    }
}

labeled_enum! {
    /// Type of a provincial unit.
    pub enum ProvinceType as "province_type" {
        Tinh = "tinh": "Tỉnh" / "Province",
        ThanhPhoTrucThuocTrungUong = "thanh_pho_truc_thuoc_trung_uong": "Thành phố trực thuộc trung ương" / "Centrally governed city",
    }
}

labeled_enum! {
    /// Type of a commune-level unit (after the reform).
    pub enum CommuneType as "commune_type" {
        Xa = "xa": "Xã" / "Commune",
        Phuong = "phuong": "Phường" / "Ward",
        DacKhu = "dac_khu": "Đặc khu" / "Special administrative zone",
    }
}

labeled_enum! {
    /// Type of a district-level unit (abolished on 1 July 2025).
    pub enum DistrictType as "district_type" {
        Huyen = "huyen": "Huyện" / "Rural district",
        Quan = "quan": "Quận" / "Urban district",
        ThiXa = "thi_xa": "Thị xã" / "District-level town",
        ThanhPhoThuocTinh = "thanh_pho_thuoc_tinh": "Thành phố thuộc tỉnh" / "Provincial city",
        ThanhPhoThuocThanhPhoTrucThuocTrungUong = "thanh_pho_thuoc_thanh_pho_truc_thuoc_trung_uong":
            "Thành phố thuộc thành phố trực thuộc trung ương" / "Municipal city",
    }
}

/// Shape checks for codes typed by clients, before any lookup.
pub fn is_province_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit())
}

pub fn is_commune_code(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::labels::Labeled;

    #[test]
    fn codes_round_trip_and_labels_exist_in_both_languages() {
        for era in Era::ALL {
            assert_eq!(Era::from_code(era.code()), Some(*era));
        }
        assert_eq!(
            "trung_tay_nguyen".parse::<Region>().unwrap(),
            Region::TrungTayNguyen
        );
        assert!("south".parse::<Region>().is_err());
        assert_eq!(
            CommuneType::DacKhu.labels(),
            ("Đặc khu", "Special administrative zone")
        );
    }

    #[test]
    fn code_shapes() {
        assert!(is_province_code("01"));
        assert!(!is_province_code("1"));
        assert!(is_commune_code("00004"));
        assert!(!is_commune_code("0000a"));
    }
}
