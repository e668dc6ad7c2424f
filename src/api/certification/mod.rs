//! Product certification (bình chọn sản phẩm công nghiệp nông thôn tiêu biểu): the products of
//! establishments, selection rounds from commune to national level with their juries, the entries
//! and their scores, the recognition decision with its certificates, and the public verification
//! and catalogue. This module holds what the parts share: who organises a round, and where a
//! producer lies in the era a round reads its codes in.

pub mod answers;
pub mod certificates;
pub mod entries;
pub mod products;
pub mod public;
pub mod recognition;
pub mod rounds;

use diesel::prelude::*;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::checks::error;
use crate::auth::principal::Territory;
use crate::auth::{Principal, Role};
use crate::db::DbConn;
use crate::db::schema::{provinces_2025, provinces_pre2025};
use crate::domain::admin_units::{Era, Region};
use crate::domain::certification::SelectionLevel;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::models::beneficiaries::BeneficiaryRow;
use crate::models::certification::{self as model, RoundRow};
use crate::models::{admin_units, decode};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(products::list_products)
        .service(products::create_product)
        .service(products::get_product)
        .service(products::update_product)
        .service(rounds::list_rounds)
        .service(rounds::create_round)
        .service(rounds::get_round)
        .service(rounds::update_round)
        .service(rounds::transition_round)
        .service(rounds::get_judges)
        .service(rounds::put_judges)
        .service(entries::list_entries)
        .service(entries::create_entry)
        .service(entries::get_entry)
        .service(entries::update_entry)
        .service(entries::delete_entry)
        .service(entries::get_scores)
        .service(entries::put_scores)
        .service(entries::eligible_products)
        .service(recognition::recognise)
        .service(certificates::list_certificates)
        .service(certificates::record_legacy_certificate)
        .service(certificates::get_certificate)
        .service(certificates::revoke_certificate)
        .service(public::verify_certificate)
        .service(public::catalogue);
}

/// The level of a stored round.
pub fn level_of(round: &RoundRow) -> Result<SelectionLevel, ApiError> {
    decode("selection_rounds.level", &round.level)
}

pub fn era_of(round: &RoundRow) -> Result<Era, ApiError> {
    decode("selection_rounds.era", &round.era)
}

/// Whether the principal organises rounds of `level` belonging to `owner_province` (the current
/// province of a commune, district or provincial round) or to `commune`: the ministry the regional
/// and national rounds, province staff every lower round of their province, commune staff their
/// commune's.
pub fn organises(
    principal: &Principal,
    level: SelectionLevel,
    owner_province: Option<&str>,
    commune: Option<&str>,
) -> bool {
    match principal.role {
        Role::Ministry => level.is_national_organiser(),
        Role::Province => {
            !level.is_national_organiser()
                && owner_province.is_some()
                && owner_province == principal.province_code.as_deref()
        }
        Role::Commune => {
            level == SelectionLevel::Commune
                && commune.is_some()
                && commune == principal.commune_code.as_deref()
        }
        _ => false,
    }
}

/// Whether the principal sees a round: national roles every round; other staff the regional and
/// national rounds and those of their province (province staff) or commune (commune staff); anyone
/// the rounds whose jury they sit on. Others are 404, as for every record of another province.
pub fn sees_round(conn: &mut DbConn, principal: &Principal, round: &RoundRow) -> Result<bool, ApiError> {
    let territorial = match principal.territory() {
        Territory::National => return Ok(true),
        Territory::Province(code) => {
            round.owner_province_code.is_none() || round.owner_province_code.as_deref() == Some(code.as_str())
        }
        Territory::Commune(code) => {
            round.owner_province_code.is_none() || round.commune_code.as_deref() == Some(code.as_str())
        }
        Territory::OwnOnly => false,
    };
    Ok(territorial || model::is_judge(conn, round.id, principal.user_id)?)
}

/// A round the principal sees (locked for a change when `lock`), else 404.
pub fn find_visible_round(
    conn: &mut DbConn,
    principal: &Principal,
    id: i64,
    lock: bool,
) -> Result<RoundRow, ApiError> {
    let round = if lock {
        model::lock_round(conn, id)?
    } else {
        model::find_round(conn, id)?
    };
    match round {
        Some(round) if sees_round(conn, principal, &round)? => Ok(round),
        _ => Err(ApiError::not_found()),
    }
}

/// 403 unless the principal organises this round.
pub fn ensure_organiser(principal: &Principal, round: &RoundRow) -> Result<(), ApiError> {
    if organises(
        principal,
        level_of(round)?,
        round.owner_province_code.as_deref(),
        round.commune_code.as_deref(),
    ) {
        Ok(())
    } else {
        Err(not_organiser())
    }
}

pub fn not_organiser() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "not_organiser",
        Text::new(
            "Chỉ cơ quan tổ chức bình chọn cấp này (Bộ Công Thương cho cấp khu vực và quốc gia, cán bộ cấp tỉnh cho tỉnh mình, cán bộ cấp xã cho xã mình) được thực hiện thao tác này.",
            "Only the organiser of this level may do this (the ministry for regional and national rounds, province staff for their province's rounds, commune staff for their commune's).",
        ),
    )
}

/// Where an establishment lies, in both eras.
#[derive(Debug, Clone)]
pub struct Place {
    pub province_code: String,
    pub commune_code: Option<String>,
    /// As recorded, or the only old province its current province came from.
    pub province_pre2025: Option<String>,
    pub district_pre2025: Option<String>,
    /// The selection region today; unknown for a province formed from two regions when the old
    /// province is not recorded.
    pub region_current: Option<Region>,
    pub region_pre2025: Option<Region>,
    /// The region the current province is listed under (for a province spanning two, the one the
    /// reference data names).
    pub region_listed: String,
}

impl Place {
    pub fn of(conn: &mut DbConn, producer: &BeneficiaryRow) -> Result<Place, ApiError> {
        let current: Option<(String, bool)> = provinces_2025::table
            .find(&producer.province_code)
            .select((provinces_2025::region, provinces_2025::region_mixed))
            .first(conn)
            .optional()?;
        let province_pre2025 = match &producer.recorded_province_code_pre2025 {
            Some(code) => Some(code.clone()),
            None => {
                let old: Vec<String> = provinces_pre2025::table
                    .filter(provinces_pre2025::successor_code.eq(&producer.province_code))
                    .select(provinces_pre2025::code)
                    .load(conn)?;
                (old.len() == 1).then(|| old[0].clone())
            }
        };
        let region_pre2025: Option<Region> = match &province_pre2025 {
            Some(code) => provinces_pre2025::table
                .find(code)
                .select(provinces_pre2025::region)
                .first::<String>(conn)
                .optional()?
                .and_then(|r| r.parse().ok()),
            None => None,
        };
        let region_current = match &current {
            Some((_, true)) => region_pre2025,
            Some((region, false)) => region.parse().ok(),
            None => None,
        };
        let region_listed = current.map(|(r, _)| r).unwrap_or_default();
        Ok(Place {
            province_code: producer.province_code.clone(),
            commune_code: producer.commune_code.clone(),
            province_pre2025,
            district_pre2025: producer.recorded_district_code_pre2025.clone(),
            region_current,
            region_pre2025,
            region_listed,
        })
    }

    pub fn region(&self, era: Era) -> Option<Region> {
        match era {
            Era::Current => self.region_current,
            Era::Pre2025 => self.region_pre2025,
        }
    }
}

/// The scope of a round or a certificate: its level, era and the one code its level needs.
#[derive(Debug, Clone)]
pub struct ScopeCodes {
    pub level: SelectionLevel,
    pub era: Era,
    pub commune_code: Option<String>,
    pub district_code: Option<String>,
    pub province_code: Option<String>,
    pub region_code: Option<String>,
}

impl ScopeCodes {
    pub fn of_round(round: &RoundRow) -> Result<ScopeCodes, ApiError> {
        Ok(ScopeCodes {
            level: level_of(round)?,
            era: era_of(round)?,
            commune_code: round.commune_code.clone(),
            district_code: round.district_code.clone(),
            province_code: round.province_code.clone(),
            region_code: round.region_code.clone(),
        })
    }

    /// The era a scope is read in: commune rounds use current units, district rounds the units
    /// before the reform; other levels the era given, else `pre2025` for records before 2025.
    pub fn era_for(
        level: SelectionLevel,
        given: Option<Era>,
        before_2025: bool,
        errors: &mut Vec<FieldError>,
    ) -> Era {
        match (level, given) {
            (SelectionLevel::Commune, Some(Era::Pre2025))
            | (SelectionLevel::District, Some(Era::Current)) => {
                errors.push(FieldError::new(
                    "era",
                    "era_mismatch",
                    Text::new(
                        "Bình chọn cấp xã dùng đơn vị hiện hành; cấp huyện dùng đơn vị trước 01/07/2025.",
                        "Commune level uses current units; district level uses units before 1 July 2025.",
                    ),
                ));
                Era::Current
            }
            (SelectionLevel::Commune, _) => Era::Current,
            (SelectionLevel::District, _) => Era::Pre2025,
            (_, Some(era)) => era,
            (_, None) if before_2025 => Era::Pre2025,
            (_, None) => Era::Current,
        }
    }

    /// The field naming the level's scope (none for national).
    fn field(&self) -> Option<&'static str> {
        match self.level {
            SelectionLevel::Commune => Some("commune_code"),
            SelectionLevel::District => Some("district_code"),
            SelectionLevel::Province => Some("province_code"),
            SelectionLevel::Region => Some("region_code"),
            SelectionLevel::National => None,
        }
    }

    /// The code of the scope, as certificate numbers show it.
    pub fn code(&self) -> String {
        match self.level {
            SelectionLevel::Commune => self.commune_code.clone(),
            SelectionLevel::District => self.district_code.clone(),
            SelectionLevel::Province => self.province_code.clone(),
            SelectionLevel::Region => self
                .region_code
                .as_deref()
                .and_then(|r| r.parse::<Region>().ok())
                .map(|r| crate::domain::certification::region_scope(r).to_owned()),
            SelectionLevel::National => Some("VN".to_owned()),
        }
        .unwrap_or_default()
    }

    /// Checks that exactly the level's code is given and that it exists in the era; returns the
    /// current province the scope belongs to (none for regional and national scopes).
    pub fn check(&self, conn: &mut DbConn, errors: &mut Vec<FieldError>) -> Result<Option<String>, ApiError> {
        let level = self.level.as_str();
        let needed = self.field();
        for (field, given) in [
            ("commune_code", self.commune_code.is_some()),
            ("district_code", self.district_code.is_some()),
            ("province_code", self.province_code.is_some()),
            ("region_code", self.region_code.is_some()),
        ] {
            if given && Some(field) != needed {
                errors.push(error(
                    field,
                    "not_allowed",
                    format!("Cấp {level} không có {field}."),
                    format!("The {level} level has no {field}."),
                ));
            } else if !given && Some(field) == needed {
                errors.push(error(
                    field,
                    "required",
                    format!("Cấp {level} cần {field}."),
                    format!("The {level} level needs {field}."),
                ));
            }
        }
        let unknown = |errors: &mut Vec<FieldError>, field: &str, code: &str| {
            // The same codes as every other check of an administrative unit.
            let unknown_code = match field {
                "commune_code" => "unknown_commune",
                "district_code" => "unknown_district",
                _ => "unknown_province",
            };
            errors.push(error(
                field,
                unknown_code,
                format!(
                    "Không có đơn vị mã {code} trong danh mục {} ({field}).",
                    self.era.as_str()
                ),
                format!(
                    "No unit has code {code} among the {} units ({field}).",
                    self.era.as_str()
                ),
            ))
        };
        Ok(match self.level {
            SelectionLevel::Commune => match &self.commune_code {
                Some(code) => {
                    let found = admin_units::find_commune(conn, code)?.map(|c| c.province_code);
                    if found.is_none() {
                        unknown(errors, "commune_code", code);
                    }
                    found
                }
                None => None,
            },
            SelectionLevel::District => match &self.district_code {
                Some(code) => {
                    let found = admin_units::find_district(conn, code)?.map(|d| d.successor_province_code);
                    if found.is_none() {
                        unknown(errors, "district_code", code);
                    }
                    found
                }
                None => None,
            },
            SelectionLevel::Province => match &self.province_code {
                Some(code) => {
                    let found = match self.era {
                        Era::Current => admin_units::find_province_2025(conn, code)?.map(|p| p.code),
                        Era::Pre2025 => {
                            admin_units::find_province_pre2025(conn, code)?.map(|p| p.successor_code)
                        }
                    };
                    if found.is_none() {
                        unknown(errors, "province_code", code);
                    }
                    found
                }
                None => None,
            },
            SelectionLevel::Region | SelectionLevel::National => None,
        })
    }
}

/// Whether a producer lies inside a round's scope; the refusal says where the round looks and
/// where the producer is, in the round's era.
pub fn check_scope(round: &ScopeCodes, place: &Place, field: &str) -> Result<Option<FieldError>, ApiError> {
    let level = round.level;
    let era = round.era;
    let outside =
        |vi: String, en: String| Some(FieldError::new(field, "outside_round_scope", Text::new(vi, en)));
    Ok(match level {
        SelectionLevel::National => None,
        SelectionLevel::Commune => {
            if place.commune_code.is_some() && place.commune_code == round.commune_code {
                None
            } else {
                outside(
                    format!(
                        "Cơ sở sản xuất không ở xã, phường mã {} của vòng bình chọn (cơ sở ở xã {}).",
                        round.commune_code.as_deref().unwrap_or("-"),
                        place.commune_code.as_deref().unwrap_or("chưa ghi")
                    ),
                    format!(
                        "The producer is not in commune {} of the round (it is in {}).",
                        round.commune_code.as_deref().unwrap_or("-"),
                        place.commune_code.as_deref().unwrap_or("no recorded commune")
                    ),
                )
            }
        }
        SelectionLevel::District => {
            if place.district_pre2025.is_some() && place.district_pre2025 == round.district_code {
                None
            } else {
                outside(
                    format!(
                        "Cơ sở sản xuất không thuộc huyện mã {} (trước 01/07/2025) của vòng bình chọn.",
                        round.district_code.as_deref().unwrap_or("-")
                    ),
                    format!(
                        "The producer was not in district {} (before 1 July 2025) of the round.",
                        round.district_code.as_deref().unwrap_or("-")
                    ),
                )
            }
        }
        SelectionLevel::Province => {
            let producer = match era {
                Era::Current => Some(place.province_code.as_str()),
                Era::Pre2025 => place.province_pre2025.as_deref(),
            };
            if producer.is_some() && producer == round.province_code.as_deref() {
                None
            } else {
                let round_code = round.province_code.as_deref().unwrap_or("-");
                let (vi_era, en_era) = match era {
                    Era::Current => ("đơn vị hiện hành", "current units"),
                    Era::Pre2025 => ("đơn vị trước 01/07/2025", "units before 1 July 2025"),
                };
                outside(
                    format!(
                        "Vòng bình chọn dành cho tỉnh mã {round_code} ({vi_era}); cơ sở sản xuất thuộc tỉnh mã {}.",
                        producer.unwrap_or("không xác định")
                    ),
                    format!(
                        "The round is for province {round_code} ({en_era}); the producer is in province {}.",
                        producer.unwrap_or("unknown")
                    ),
                )
            }
        }
        SelectionLevel::Region => {
            let producer = place.region(era);
            let round_region = round.region_code.as_deref().unwrap_or("-");
            match producer {
                Some(r) if Some(r.as_str()) == round.region_code.as_deref() => None,
                Some(r) => outside(
                    format!(
                        "Vòng bình chọn dành cho khu vực {round_region}; tỉnh của cơ sở sản xuất thuộc khu vực {}.",
                        r.as_str()
                    ),
                    format!(
                        "The round is for region {round_region}; the producer's province is in region {}.",
                        r.as_str()
                    ),
                ),
                None => Some(FieldError::new(
                    field,
                    "region_undetermined",
                    Text::new(
                        "Tỉnh của cơ sở sản xuất gồm nhiều khu vực; hãy ghi tỉnh trước 01/07/2025 của cơ sở để xác định khu vực.",
                        "The producer's province spans two regions; record its province before 1 July 2025 to tell which.",
                    ),
                )),
            }
        }
    })
}
