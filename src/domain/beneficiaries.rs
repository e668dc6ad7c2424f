//! Rules of the registry of rural industrial establishments (cơ sở công nghiệp nông thôn): legal
//! forms, statuses, size classes, priority flags, the keys used to find probable duplicates, and
//! the bounds of the yearly figures.

use crate::i18n::Text;
use crate::labeled_enum;

use super::search::search_key;

labeled_enum! {
    /// Legal form of an establishment.
    pub enum LegalForm as "legal_form" {
        Enterprise = "enterprise": "Doanh nghiệp nhỏ và vừa" / "Small or medium enterprise",
        Cooperative = "cooperative": "Hợp tác xã" / "Cooperative",
        CooperativeUnion = "cooperative_union": "Liên hiệp hợp tác xã" / "Union of cooperatives",
        CooperativeGroup = "cooperative_group": "Tổ hợp tác" / "Cooperative group",
        HouseholdBusiness = "household_business": "Hộ kinh doanh" / "Household business",
        Artisan = "artisan": "Nghệ nhân" / "Artisan",
    }
}

labeled_enum! {
    /// Whether the record is in use.
    pub enum BeneficiaryStatus as "beneficiary_status" {
        Active = "active": "Đang hoạt động" / "Active",
        Inactive = "inactive": "Ngừng hoạt động" / "Inactive",
        /// A duplicate folded into another record; it points to the survivor.
        Merged = "merged": "Đã gộp vào bản ghi khác" / "Merged into another record",
    }
}

labeled_enum! {
    /// Size class of an enterprise (Nghị định 80/2021/NĐ-CP, Điều 5).
    pub enum SizeClass as "size_class" {
        Micro = "micro": "Siêu nhỏ" / "Micro",
        Small = "small": "Nhỏ" / "Small",
        Medium = "medium": "Vừa" / "Medium",
        Large = "large": "Lớn" / "Large",
    }
}

labeled_enum! {
    /// Priority flags of an establishment (used for priority support and reporting).
    pub enum BeneficiaryFlag as "beneficiary_flag" {
        InCraftVillage = "in_craft_village": "Thuộc làng nghề" / "Located in a craft village",
        WomenOwned = "women_owned": "Do phụ nữ làm chủ" / "Women-owned",
        EthnicMinorityOwned = "ethnic_minority_owned": "Do người dân tộc thiểu số làm chủ" / "Ethnic-minority-owned",
        DisadvantagedArea = "disadvantaged_area": "Ở địa bàn khó khăn, đặc biệt khó khăn" / "Located in a disadvantaged area",
    }
}

/// The digits of a Vietnamese phone number in national form (`+84 912 345 678` → `0912345678`),
/// so that the same phone typed two ways is recognised as the same.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("84") {
        Some(rest) if phone.trim_start().starts_with('+') || digits.len() == 11 => format!("0{rest}"),
        _ => digits,
    };
    (national.len() >= 8).then_some(national)
}

/// The key two records with "the same name" share: the search key without the legal-form words
/// people add or drop ("Hợp tác xã Mây tre Phú Vinh" and "HTX mây tre Phú Vinh").
pub fn name_key(name: &str) -> String {
    const PREFIXES: [&str; 9] = [
        "hop tac xa ",
        "htx ",
        "cong ty tnhh ",
        "cong ty co phan ",
        "cong ty ",
        "doanh nghiep tu nhan ",
        "dntn ",
        "to hop tac ",
        "ho kinh doanh ",
    ];
    let key = search_key(name);
    let stripped = PREFIXES.iter().find_map(|p| key.strip_prefix(p)).unwrap_or(&key);
    stripped
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// One figure that is out of bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfBounds {
    pub field: &'static str,
    pub message: Text,
}

/// Upper bounds that no rural establishment reaches; a larger value is a typing error (extra zeros).
pub const MAX_REVENUE_VND: i64 = 100_000_000_000_000; // 100 nghìn tỷ đồng
pub const MAX_TOTAL_ASSETS_VND: i64 = 100_000_000_000_000;
/// Average monthly income per worker.
pub const MAX_AVERAGE_INCOME_VND: i64 = 1_000_000_000;
pub const MAX_EMPLOYEES: i64 = 100_000;

/// Checks one value against `0..=max`.
pub fn check_bound(field: &'static str, value: Option<i64>, max: i64) -> Option<OutOfBounds> {
    let value = value?;
    if value < 0 {
        return Some(OutOfBounds {
            field,
            message: Text::new(
                format!("{field} không được âm."),
                format!("{field} must not be negative."),
            ),
        });
    }
    (value > max).then(|| OutOfBounds {
        field,
        message: Text::new(
            format!("{field} = {value} vượt quá mức hợp lý ({max}); hãy kiểm tra số chữ số 0."),
            format!("{field} = {value} exceeds the plausible maximum ({max}); check the number of zeros."),
        ),
    })
}

/// A year an establishment can have been founded in or report figures for.
pub fn check_year(field: &'static str, year: i64, current_year: i64) -> Option<OutOfBounds> {
    (!(1900..=current_year).contains(&year)).then(|| OutOfBounds {
        field,
        message: Text::new(
            format!("{field} phải từ 1900 đến {current_year}."),
            format!("{field} must be between 1900 and {current_year}."),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_typed_differently_share_a_key() {
        assert_eq!(phone_key("+84 912 345 678"), Some("0912345678".into()));
        assert_eq!(phone_key("0912.345.678"), Some("0912345678".into()));
        assert_eq!(phone_key("84912345678"), Some("0912345678".into()));
        assert_eq!(phone_key("(024) 3825 1234"), Some("02438251234".into()));
        assert_eq!(phone_key("113"), None);
    }

    #[test]
    fn legal_form_words_do_not_make_names_different() {
        assert_eq!(name_key("Hợp tác xã Mây tre Phú Vinh"), "may tre phu vinh");
        assert_eq!(name_key("HTX mây tre  Phú Vinh."), "may tre phu vinh");
        assert_eq!(name_key("Công ty TNHH Gốm Bát Tràng"), "gom bat trang");
        assert_ne!(name_key("Gốm Bát Tràng"), name_key("Gốm Phù Lãng"));
    }

    #[test]
    fn bounds_catch_negative_and_absurd_values() {
        assert!(check_bound("revenue_vnd", Some(-1), MAX_REVENUE_VND).is_some());
        assert!(check_bound("revenue_vnd", Some(MAX_REVENUE_VND + 1), MAX_REVENUE_VND).is_some());
        assert!(check_bound("revenue_vnd", Some(2_500_000_000), MAX_REVENUE_VND).is_none());
        assert!(check_bound("employees", None, MAX_EMPLOYEES).is_none());
        assert!(check_year("year", 1850, 2026).is_some());
        assert!(check_year("year", 2027, 2026).is_some());
        assert!(check_year("year", 2024, 2026).is_none());
    }
}
