//! Reference enumerations: every code the API uses, with its Vietnamese and English label.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get};

use crate::auth::Role;
use crate::domain::admin_units::{CommuneType, DistrictType, Era, ProvinceType, Region};
use crate::domain::beneficiaries::{BeneficiaryFlag, BeneficiaryStatus, LegalForm, SizeClass};
use crate::domain::identifiers::IdentifierType;
use crate::domain::labels::{EnumValue, Labeled};

/// The enumerations, keyed by name.
fn catalogue() -> BTreeMap<&'static str, Vec<EnumValue>> {
    fn entry<E: Labeled>() -> (&'static str, Vec<EnumValue>) {
        (E::NAME, E::values())
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
    ])
}

/// List every enumeration with its codes and labels.
#[utoipa::path(
    tag = "reference",
    responses(
        (status = 200, description = "Enumerations keyed by name", body = BTreeMap<String, Vec<EnumValue>>),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
#[get("/reference/enums")]
pub async fn list_enums() -> HttpResponse {
    HttpResponse::Ok().json(catalogue())
}
