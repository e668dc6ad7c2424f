//! Reference enumerations: every code the API uses, with its Vietnamese and English label. Most are
//! fixed by the program; activity types are a table that `admin` extends without a release.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};

use crate::auth::Role;
use crate::domain::admin_units::{CommuneType, DistrictType, Era, ProvinceType, Region};
use crate::domain::beneficiaries::{BeneficiaryFlag, BeneficiaryStatus, LegalForm, SizeClass};
use crate::domain::certification::{
    CertificateStatus, ProductGroup, RoundAction, RoundStatus, SelectionLevel,
};
use crate::domain::identifiers::IdentifierType;
use crate::domain::labels::{EnumValue, Labeled};
use crate::domain::projects::{
    BeneficiaryRole, BudgetSource, CeilingBasis, DisbursementKind, FundingSource, IndicatorCode,
    OrganizationKind, ProgrammeLevel, ProjectStatus, TransitionAction,
};
use crate::error::ApiError;
use crate::models::organizations as model;
use crate::state::AppState;

/// The name under which the activity types are listed.
pub const ACTIVITY_TYPE: &str = "activity_type";

/// The fixed enumerations, keyed by name.
fn catalogue() -> BTreeMap<String, Vec<EnumValue>> {
    fn entry<E: Labeled>() -> (String, Vec<EnumValue>) {
        (E::NAME.to_owned(), E::values())
    }
    BTreeMap::from([
        entry::<Role>(),
        entry::<Era>(),
        entry::<Region>(),
        entry::<ProvinceType>(),
        entry::<CommuneType>(),
        entry::<DistrictType>(),
        entry::<LegalForm>(),
        entry::<IdentifierType>(),
        entry::<BeneficiaryStatus>(),
        entry::<SizeClass>(),
        entry::<BeneficiaryFlag>(),
        entry::<FundingSource>(),
        entry::<BudgetSource>(),
        entry::<ProjectStatus>(),
        entry::<TransitionAction>(),
        entry::<DisbursementKind>(),
        entry::<BeneficiaryRole>(),
        entry::<OrganizationKind>(),
        entry::<ProgrammeLevel>(),
        entry::<CeilingBasis>(),
        entry::<IndicatorCode>(),
        entry::<ProductGroup>(),
        entry::<SelectionLevel>(),
        entry::<RoundStatus>(),
        entry::<RoundAction>(),
        entry::<CertificateStatus>(),
        entry::<crate::domain::events::EventType>(),
        entry::<crate::domain::imports::ImportKind>(),
        entry::<crate::domain::imports::ImportState>(),
        entry::<crate::api::webhooks::DeliveryState>(),
        entry::<crate::api::stats::projects::ProjectDimension>(),
        entry::<crate::api::stats::certification::CertificationDimension>(),
        entry::<crate::api::stats::outcomes::OutcomeDimension>(),
    ])
}

/// List every enumeration with its codes and labels (activity types: the active ones).
#[utoipa::path(
    tag = "reference",
    responses(
        (status = 200, description = "Enumerations keyed by name", body = BTreeMap<String, Vec<EnumValue>>),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    ),
)]
#[get("/reference/enums")]
pub async fn list_enums(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let activity_types = state.db.read(model::activity_types).await?;
    let mut enums = catalogue();
    enums.insert(
        ACTIVITY_TYPE.to_owned(),
        activity_types
            .into_iter()
            .filter(|t| t.active)
            .map(|t| EnumValue {
                code: t.code,
                label_vi: t.name_vi,
                label_en: t.name_en,
            })
            .collect(),
    );
    Ok(HttpResponse::Ok().json(enums))
}
