//! The reference data a seed draws from, read from the database after migration (never
//! hard-coded, so that a newer reference file is used as loaded): administrative units of both
//! eras, active activity types and the support caps.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    activity_types, communes_2025, districts_pre2025, provinces_2025, provinces_pre2025,
};
use crate::domain::admin_units::Region;
use crate::domain::projects::Cap;
use crate::error::ApiError;
use crate::models::admin_units::{Commune, District, Province2025, ProvincePre2025};
use crate::models::programmes::SupportCapRow;

/// Everything the generators read from the database.
#[derive(Debug, Clone)]
pub struct Reference {
    pub provinces: Vec<Province2025>,
    pub provinces_pre2025: Vec<ProvincePre2025>,
    pub communes: Vec<Commune>,
    pub districts: Vec<District>,
    /// Codes of the activity types on offer.
    pub activity_types: Vec<String>,
    pub caps: Vec<SupportCapRow>,
}

impl Reference {
    pub fn load(conn: &mut DbConn) -> Result<Reference, ApiError> {
        let caps = crate::db::schema::support_caps::table
            .order(crate::db::schema::support_caps::id)
            .select(SupportCapRow::as_select())
            .load(conn)?;
        Ok(Reference {
            provinces: provinces_2025::table
                .order(provinces_2025::code)
                .select(Province2025::as_select())
                .load(conn)?,
            provinces_pre2025: provinces_pre2025::table
                .order(provinces_pre2025::code)
                .select(ProvincePre2025::as_select())
                .load(conn)?,
            communes: communes_2025::table
                .order(communes_2025::code)
                .select(Commune::as_select())
                .load(conn)?,
            districts: districts_pre2025::table
                .order(districts_pre2025::code)
                .select(District::as_select())
                .load(conn)?,
            activity_types: activity_types::table
                .filter(activity_types::active.eq(true))
                .order(activity_types::code)
                .select(activity_types::code)
                .load(conn)?,
            caps,
        })
    }
}

impl Reference {
    /// The same reference data narrowed to `communes`: their current provinces, the pre-2025
    /// provinces that became those, and those provinces' districts. A small data set drawn from it
    /// crowds into a few places, so that a commune's round finds several producers.
    pub fn within_communes(&self, communes: &[&str]) -> Reference {
        let communes: Vec<Commune> = self
            .communes
            .iter()
            .filter(|c| communes.contains(&c.code.as_str()))
            .cloned()
            .collect();
        let provinces: Vec<Province2025> = self
            .provinces
            .iter()
            .filter(|p| communes.iter().any(|c| c.province_code == p.code))
            .cloned()
            .collect();
        let provinces_pre2025: Vec<ProvincePre2025> = self
            .provinces_pre2025
            .iter()
            .filter(|p| provinces.iter().any(|current| current.code == p.successor_code))
            .cloned()
            .collect();
        let districts = self
            .districts
            .iter()
            .filter(|d| provinces_pre2025.iter().any(|p| p.code == d.province_code))
            .cloned()
            .collect();
        Reference {
            provinces,
            provinces_pre2025,
            communes,
            districts,
            activity_types: self.activity_types.clone(),
            caps: self.caps.clone(),
        }
    }
}

/// Where a commune lay before the reform, as its establishments' records show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerUnit {
    pub province_pre2025: String,
    pub district_pre2025: Option<String>,
}

/// The reference data indexed the way the generators look it up. Indexes hold positions into the
/// [`Reference`] lists, in code order, so that drawing from them is deterministic.
#[derive(Debug)]
pub struct Atlas<'r> {
    pub reference: &'r Reference,
    /// Communes of each current province.
    pub communes_of: BTreeMap<&'r str, Vec<usize>>,
    /// Pre-2025 provinces that became each current province.
    pub predecessors_of: BTreeMap<&'r str, Vec<usize>>,
    /// Districts in force on 30 June 2025 of each pre-2025 province.
    pub districts_of: BTreeMap<&'r str, Vec<usize>>,
    province_index: BTreeMap<&'r str, usize>,
    province_pre2025_index: BTreeMap<&'r str, usize>,
    commune_index: BTreeMap<&'r str, usize>,
    district_index: BTreeMap<&'r str, usize>,
}

impl<'r> Atlas<'r> {
    pub fn new(reference: &'r Reference) -> Atlas<'r> {
        let mut communes_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in reference.communes.iter().enumerate() {
            communes_of.entry(c.province_code.as_str()).or_default().push(i);
        }
        let mut predecessors_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in reference.provinces_pre2025.iter().enumerate() {
            predecessors_of
                .entry(p.successor_code.as_str())
                .or_default()
                .push(i);
        }
        let mut districts_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, d) in reference.districts.iter().enumerate() {
            if d.in_force_2025_06_30 {
                districts_of.entry(d.province_code.as_str()).or_default().push(i);
            }
        }
        let index = |codes: Vec<&'r str>| codes.into_iter().enumerate().map(|(i, c)| (c, i)).collect();
        Atlas {
            reference,
            communes_of,
            predecessors_of,
            districts_of,
            province_index: index(reference.provinces.iter().map(|p| p.code.as_str()).collect()),
            province_pre2025_index: index(
                reference
                    .provinces_pre2025
                    .iter()
                    .map(|p| p.code.as_str())
                    .collect(),
            ),
            commune_index: index(reference.communes.iter().map(|c| c.code.as_str()).collect()),
            district_index: index(reference.districts.iter().map(|d| d.code.as_str()).collect()),
        }
    }

    pub fn province(&self, code: &str) -> &'r Province2025 {
        &self.reference.provinces[self.province_index[code]]
    }

    pub fn province_pre2025(&self, code: &str) -> &'r ProvincePre2025 {
        &self.reference.provinces_pre2025[self.province_pre2025_index[code]]
    }

    pub fn commune(&self, code: &str) -> &'r Commune {
        &self.reference.communes[self.commune_index[code]]
    }

    pub fn district(&self, code: &str) -> &'r District {
        &self.reference.districts[self.district_index[code]]
    }

    /// Current provinces that have communes (every one, with the shipped reference files).
    pub fn provinces_with_communes(&self) -> Vec<&'r Province2025> {
        self.reference
            .provinces
            .iter()
            .filter(|p| self.communes_of.contains_key(p.code.as_str()))
            .collect()
    }

    /// Where an establishment lies in both eras, as the certification rules read it (the same
    /// reasoning as `api::certification::Place`, done in memory).
    pub fn place(&self, province_code: &str, recorded_pre2025: Option<&str>) -> Place {
        let current = self.province(province_code);
        let province_pre2025 = match recorded_pre2025 {
            Some(code) => Some(code.to_owned()),
            None => match self.predecessors_of.get(province_code).map(Vec::as_slice) {
                Some([only]) => Some(self.reference.provinces_pre2025[*only].code.clone()),
                _ => None,
            },
        };
        let region_pre2025: Option<Region> = province_pre2025
            .as_deref()
            .and_then(|code| self.province_pre2025(code).region.parse().ok());
        let region_current = if current.region_mixed {
            region_pre2025
        } else {
            current.region.parse().ok()
        };
        Place {
            province_pre2025,
            region_pre2025,
            region_current,
            region_listed: current.region.clone(),
        }
    }

    /// The cap in force on `on` for a key, as `models::programmes::cap_in_force` finds it: the
    /// latest-starting cap of the key whose validity covers the day.
    pub fn cap_in_force(
        &self,
        funding_source: &str,
        activity_type: &str,
        province_code: Option<&str>,
        on: NaiveDate,
    ) -> Option<Cap> {
        let mut caps: Vec<&SupportCapRow> = self
            .reference
            .caps
            .iter()
            .filter(|c| {
                c.funding_source == funding_source
                    && c.activity_type == activity_type
                    && c.province_code.as_deref() == province_code
            })
            .collect();
        caps.sort_by_key(|c| (c.valid_from, c.id));
        let row = caps
            .into_iter()
            .rev()
            .find(|c| c.valid_from <= on && c.valid_to.is_none_or(|to| on <= to))?;
        // The API's own conversion of a stored cap.
        crate::api::support_caps::as_cap(row).ok()
    }
}

/// An establishment's place in the eras the selection rounds read.
#[derive(Debug, Clone)]
pub struct Place {
    /// As recorded, or the only pre-2025 province its current province came from.
    pub province_pre2025: Option<String>,
    pub region_pre2025: Option<Region>,
    /// Unknown for a province formed from two regions when the old province is not recorded.
    pub region_current: Option<Region>,
    /// The region the current province is listed under.
    pub region_listed: String,
}
