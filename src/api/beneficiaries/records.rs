//! Listing, creating, reading and changing establishments.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::duplicates::{DuplicateCandidate, candidates_for};
use super::fields::{Fields, ensure_valid};
use super::{
    Beneficiary, ENTITY, PersonalData, WRITERS, audit_snapshot, changed_personal_fields, ensure_not_merged,
    ensure_writable, owner, render_for, render_page,
};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::{Owner, Principal, Role};
use crate::context::RequestContext;
use crate::domain::admin_units::Era;
use crate::domain::beneficiaries::{BeneficiaryStatus, LegalForm, SizeClass};
use crate::domain::identifiers::IdentifierType;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::beneficiaries::{
    self as model, BeneficiaryFilter, BeneficiaryRow, PersonalDataRow, ProvinceEra,
};
use crate::models::now;
use crate::models::search::TextSearch;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BeneficiaryListQuery {
    /// Province code: current (default), or the code recorded before the reform with `era=pre2025`.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Which province code `province_code` means.
    pub era: Option<Era>,
    /// Current commune code.
    #[param(pattern = r"^[0-9]{5}$")]
    pub commune_code: Option<String>,
    pub legal_form: Option<LegalForm>,
    pub status: Option<BeneficiaryStatus>,
    pub in_craft_village: Option<bool>,
    pub women_owned: Option<bool>,
    pub ethnic_minority_owned: Option<bool>,
    pub disadvantaged_area: Option<bool>,
    /// Case- and accent-insensitive search over name, identifier and representative
    /// (`hop tac xa` finds "Hợp tác xã ..."). A whole identifier (a tax code with a valid check
    /// digit, with or without branch, or a household-business registration number; spaces and dots
    /// ignored) finds its holder and, for a 10-digit tax code, its branches.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new establishment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBeneficiaryRequest {
    #[schema(example = "Hợp tác xã Mây tre đan Phú Vinh", max_length = 300)]
    pub name: String,
    pub legal_form: LegalForm,
    pub identifier_type: IdentifierType,
    /// Required unless `identifier_type` is `none`; validated (tax codes by their check digit).
    #[schema(example = "0100109106", max_length = 32)]
    pub identifier_value: Option<String>,
    pub representative_name: Option<String>,
    /// Personal data.
    pub representative_phone: Option<String>,
    /// Personal data: CCCD (12 digits) or old CMND (9 digits).
    #[schema(pattern = r"^ *([0-9]{9}|[0-9]{12}) *$")]
    pub representative_national_id: Option<String>,
    /// Personal data; household businesses only.
    pub household_owner_name: Option<String>,
    pub address_line: Option<String>,
    /// Current province code; province staff may only use their own.
    #[schema(example = "01", pattern = r"^ *[0-9]{2} *$")]
    pub province_code: String,
    /// Current commune code inside that province.
    #[schema(example = "00004", pattern = r"^ *[0-9]{5} *$")]
    pub commune_code: String,
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub recorded_province_code_pre2025: Option<String>,
    #[schema(pattern = r"^ *[0-9]{3} *$")]
    pub recorded_district_code_pre2025: Option<String>,
    /// VSIC 2018 code (letter A–U or 2–5 digits).
    #[schema(pattern = r"^ *([A-U]|[0-9]{2,5}) *$")]
    pub main_sector_vsic: Option<String>,
    pub size_class: Option<SizeClass>,
    #[schema(minimum = 0, maximum = 100_000)]
    pub employees: Option<i64>,
    #[schema(minimum = 1900, maximum = 2100)]
    pub founding_year: Option<i64>,
    #[serde(default)]
    pub in_craft_village: bool,
    /// Required when `in_craft_village` is true.
    pub craft_village_name: Option<String>,
    #[serde(default)]
    pub women_owned: bool,
    #[serde(default)]
    pub ethnic_minority_owned: bool,
    #[serde(default)]
    pub disadvantaged_area: bool,
    /// A Vietnamese phone number (`0912 345 678`, `+84 912345678`).
    pub phone: Option<String>,
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Starts with `https://` or `http://`.
    pub website: Option<String>,
}

/// Changes to an establishment; absent fields stay, `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBeneficiaryRequest {
    #[schema(max_length = 300)]
    pub name: Option<String>,
    pub legal_form: Option<LegalForm>,
    pub identifier_type: Option<IdentifierType>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub identifier_value: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub representative_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub representative_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *([0-9]{9}|[0-9]{12}) *$")]
    pub representative_national_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub household_owner_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address_line: Option<Option<String>>,
    /// Moving to another province is a `ministry` action.
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    #[schema(pattern = r"^ *[0-9]{5} *$")]
    pub commune_code: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *[0-9]{2} *$")]
    pub recorded_province_code_pre2025: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *[0-9]{3} *$")]
    pub recorded_district_code_pre2025: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *([A-U]|[0-9]{2,5}) *$")]
    pub main_sector_vsic: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SizeClass>)]
    pub size_class: Option<Option<SizeClass>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100_000)]
    pub employees: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1900, maximum = 2100)]
    pub founding_year: Option<Option<i64>>,
    pub in_craft_village: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub craft_village_name: Option<Option<String>>,
    pub women_owned: Option<bool>,
    pub ethnic_minority_owned: Option<bool>,
    pub disadvantaged_area: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// `active` or `inactive` (`merged` is set by a merge only).
    pub status: Option<BeneficiaryStatus>,
}

impl UpdateBeneficiaryRequest {
    fn apply(self, mut f: Fields) -> Fields {
        fn set<T>(target: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *target = value;
            }
        }
        set(&mut f.name, self.name);
        set(&mut f.legal_form, self.legal_form);
        set(&mut f.identifier_type, self.identifier_type);
        set(&mut f.identifier_value, self.identifier_value);
        set(&mut f.representative_name, self.representative_name);
        set(&mut f.representative_phone, self.representative_phone);
        set(&mut f.representative_national_id, self.representative_national_id);
        set(&mut f.household_owner_name, self.household_owner_name);
        set(&mut f.address_line, self.address_line);
        set(&mut f.province_code, self.province_code);
        set(&mut f.commune_code, self.commune_code);
        set(
            &mut f.recorded_province_code_pre2025,
            self.recorded_province_code_pre2025,
        );
        set(
            &mut f.recorded_district_code_pre2025,
            self.recorded_district_code_pre2025,
        );
        set(&mut f.main_sector_vsic, self.main_sector_vsic);
        set(&mut f.size_class, self.size_class);
        set(&mut f.employees, self.employees);
        set(&mut f.founding_year, self.founding_year);
        set(&mut f.in_craft_village, self.in_craft_village);
        set(&mut f.craft_village_name, self.craft_village_name);
        set(&mut f.women_owned, self.women_owned);
        set(&mut f.ethnic_minority_owned, self.ethnic_minority_owned);
        set(&mut f.disadvantaged_area, self.disadvantaged_area);
        set(&mut f.phone, self.phone);
        set(&mut f.email, self.email);
        set(&mut f.website, self.website);
        set(&mut f.status, self.status);
        f
    }
}

/// A created establishment, with the records it probably duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct BeneficiaryCreated {
    #[serde(flatten)]
    pub beneficiary: Beneficiary,
    /// Probable duplicates (same name in the same commune, or the same phone); review them and
    /// merge with `POST /api/v1/beneficiaries/{id}/merge` if they are the same establishment.
    pub warnings: Vec<DuplicateCandidate>,
}

fn duplicate_identifier(existing: &BeneficiaryRow) -> ApiError {
    ApiError::conflict(
        "duplicate_identifier",
        Text::new(
            format!(
                "Đã có cơ sở mang mã {} (id {}).",
                existing.identifier_value.as_deref().unwrap_or(""),
                existing.id
            ),
            format!(
                "An establishment with identifier {} exists (id {}).",
                existing.identifier_value.as_deref().unwrap_or(""),
                existing.id
            ),
        ),
    )
    .with_extension("existing_id", existing.id)
}

fn outside_territory() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "outside_territory",
        Text::new(
            "Cán bộ cấp tỉnh chỉ ghi nhận cơ sở trong tỉnh của mình.",
            "Province staff record establishments in their own province only.",
        ),
    )
}

/// An identifier held by a record the caller cannot see is refused without naming that record,
/// and the attempt is audited (it may be a probe for who is registered where).
fn identifier_held_elsewhere() -> ApiError {
    ApiError::conflict(
        "duplicate_identifier",
        Text::new(
            "Mã định danh này đã được đăng ký trong sổ.",
            "This identifier is already registered.",
        ),
    )
}

/// Checks that no other record holds the identifier. The outer error aborts the transaction; the
/// inner one is a refusal whose audit event must be committed.
fn ensure_identifier_free(
    conn: &mut crate::db::DbConn,
    principal: &Principal,
    actor: &Actor,
    fields: &Fields,
    own_id: Option<i64>,
) -> Result<Result<(), ApiError>, ApiError> {
    let Some(value) = &fields.identifier_value else {
        return Ok(Ok(()));
    };
    let Some(existing) = model::find_by_identifier(conn, fields.identifier_type.as_str(), value)?
        .filter(|existing| Some(existing.id) != own_id)
    else {
        return Ok(Ok(()));
    };
    if principal.sees(owner(&existing)) {
        return Err(duplicate_identifier(&existing));
    }
    audit::record(
        conn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: existing.id.to_string(),
            action: "duplicate_identifier_refused",
            before: None,
            after: Some(serde_json::json!({
                "identifier_type": fields.identifier_type.as_str(),
                "attempted_province_code": fields.province_code,
            })),
            province_code: Some(&existing.province_code),
        },
    )?;
    Ok(Err(identifier_held_elsewhere()))
}

/// The columns of the establishment list as CSV, in this order.
const CSV_COLUMNS: [&str; 28] = [
    "id",
    "name",
    "legal_form",
    "identifier_type",
    "identifier_value",
    "representative_name",
    "address_line",
    "province_code",
    "commune_code",
    "recorded_province_code_pre2025",
    "recorded_district_code_pre2025",
    "main_sector_vsic",
    "size_class",
    "employees",
    "founding_year",
    "in_craft_village",
    "craft_village_name",
    "women_owned",
    "ethnic_minority_owned",
    "disadvantaged_area",
    "phone",
    "email",
    "website",
    "status",
    "merged_into_id",
    "version",
    "created_at",
    "updated_at",
];

/// Personal data, last, for the roles that may read it (empty on the rows they may not).
const CSV_PERSONAL_COLUMNS: [&str; 3] = [
    "personal_data.representative_phone",
    "personal_data.representative_national_id",
    "personal_data.household_owner_name",
];

/// List establishments visible to the caller.
///
/// One page of JSON, or every matching establishment as CSV for `Accept: text/csv`.
#[utoipa::path(
    tag = "beneficiaries",
    params(BeneficiaryListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of establishments; with `Accept: text/csv`, every matching one", content(
            (Page<Beneficiary> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/beneficiaries")]
pub async fn list_beneficiaries(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<BeneficiaryListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = BeneficiaryFilter {
        province_code: query.province_code,
        province_era: match query.era {
            Some(Era::Pre2025) => ProvinceEra::RecordedPre2025,
            _ => ProvinceEra::Current,
        },
        commune_code: query.commune_code,
        legal_form: query.legal_form.map(|v| v.as_str().to_owned()),
        status: query.status.map(|v| v.as_str().to_owned()),
        in_craft_village: query.in_craft_village,
        women_owned: query.women_owned,
        ethnic_minority_owned: query.ethnic_minority_owned,
        disadvantaged_area: query.disadvantaged_area,
        search: query
            .q
            .as_deref()
            .map(|q| TextSearch::new(q, state.db.search_index())),
    };
    let mut columns = CSV_COLUMNS.to_vec();
    if principal.may_read_personal_data() {
        columns.extend(CSV_PERSONAL_COLUMNS);
    }
    let csv = CsvList {
        columns,
        file_name: "co-so.csv",
    };
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let territory = principal.territory();
        let rows = model::list(conn, &filter, &territory, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count(conn, &filter, &territory))
            .transpose()?;
        Ok(Page::from_rows(
            render_page(&principal, rows)?,
            page,
            |b| b.id,
            total,
        ))
    })
    .await
}

/// Record an establishment; warns about probable duplicates.
#[utoipa::path(
    tag = "beneficiaries",
    request_body = CreateBeneficiaryRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = BeneficiaryCreated, description = "The establishment was recorded", headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/beneficiaries")]
pub async fn create_beneficiary(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateBeneficiaryRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let fields = Fields {
        name: body.name,
        legal_form: body.legal_form,
        identifier_type: body.identifier_type,
        identifier_value: body.identifier_value,
        representative_name: body.representative_name,
        representative_phone: body.representative_phone,
        representative_national_id: body.representative_national_id,
        household_owner_name: body.household_owner_name,
        address_line: body.address_line,
        province_code: body.province_code,
        commune_code: body.commune_code,
        recorded_province_code_pre2025: body.recorded_province_code_pre2025,
        recorded_district_code_pre2025: body.recorded_district_code_pre2025,
        main_sector_vsic: body.main_sector_vsic,
        size_class: body.size_class,
        employees: body.employees,
        founding_year: body.founding_year,
        in_craft_village: body.in_craft_village,
        craft_village_name: body.craft_village_name,
        women_owned: body.women_owned,
        ethnic_minority_owned: body.ethnic_minority_owned,
        disadvantaged_area: body.disadvantaged_area,
        phone: body.phone,
        email: body.email,
        website: body.website,
        status: BeneficiaryStatus::Active,
    }
    .normalized();
    if !principal.sees(Owner {
        province_code: Some(&fields.province_code),
        commune_code: Some(&fields.commune_code),
    }) {
        return Err(outside_territory());
    }
    let actor = Actor::new(&principal, &context);
    let (row, warnings) = state
        .db
        .write(move |conn| {
            ensure_valid(conn, &fields)?;
            if let Err(refused) = ensure_identifier_free(conn, &principal, &actor, &fields, None)? {
                return Ok(Err(refused));
            }
            let row = model::insert(conn, &fields.to_row(0, 1, now(), None))?;
            model::save_personal_data(conn, &fields.to_personal(row.id))?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "create",
                    before: None,
                    after: audit_snapshot(&row),
                    province_code: Some(&row.province_code),
                },
            )?;
            let warnings = candidates_for(conn, &principal, &row)?;
            let view = render_for(conn, &principal, &row)?;
            Ok(Ok((view, warnings)))
        })
        .await??;
    Ok(HttpResponse::Created()
        .insert_header(etag(row.version))
        .insert_header(("Location", format!("/api/v1/beneficiaries/{}", row.id)))
        .json(BeneficiaryCreated {
            beneficiary: row,
            warnings,
        }))
}

/// Get one establishment.
#[utoipa::path(
    tag = "beneficiaries",
    params(("id" = i64, Path, description = "Establishment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Beneficiary, description = "The establishment", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/beneficiaries/{id}")]
pub async fn get_beneficiary(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let (row, personal) =
                model::find_with_personal_data(conn, id)?.ok_or_else(ApiError::not_found)?;
            principal.ensure_sees(super::owner(&row))?;
            let shown = super::shows_personal_data(&principal, &row).then(|| PersonalData::from(personal));
            Beneficiary::render(&row, shown)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change an establishment (moving it to another province is a ministry action).
#[utoipa::path(
    tag = "beneficiaries",
    params(
        ("id" = i64, Path, description = "Establishment id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateBeneficiaryRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Beneficiary, description = "The establishment as changed", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[patch("/beneficiaries/{id}")]
pub async fn update_beneficiary(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateBeneficiaryRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            ensure_writable(&principal, &current)?;
            let if_match = if_match?;
            if_match.check(current.version)?;
            ensure_not_merged(&current)?;
            if body.status == Some(BeneficiaryStatus::Merged) {
                return Err(ApiError::validation(vec![crate::error::FieldError::new(
                    "status",
                    "merge_required",
                    Text::new(
                        "Trạng thái merged chỉ đặt được bằng thao tác gộp.",
                        "Status merged is set by a merge only.",
                    ),
                )]));
            }
            let current_personal = model::find_personal_data(conn, current.id)?.unwrap_or(PersonalDataRow {
                beneficiary_id: current.id,
                ..Default::default()
            });
            let fields = body
                .apply(Fields::from_row(&current, &current_personal)?)
                .normalized();
            if fields.province_code != current.province_code && principal.role != Role::Ministry {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "province_move_requires_ministry",
                    Text::new(
                        "Chuyển cơ sở sang tỉnh khác do Bộ Công Thương thực hiện.",
                        "Moving an establishment to another province is a ministry action.",
                    ),
                ));
            }
            ensure_valid(conn, &fields)?;
            if let Err(refused) = ensure_identifier_free(conn, &principal, &actor, &fields, Some(current.id))?
            {
                return Ok(Err(refused));
            }
            let next = fields.to_row(
                current.id,
                current.version + 1,
                current.created_at,
                current.merged_into_id,
            );
            let updated = model::update(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let personal = fields.to_personal(current.id);
            let personal_changed = changed_personal_fields(&current_personal, &personal);
            if !personal_changed.is_empty() {
                model::save_personal_data(conn, &personal)?;
            }
            let mut after = audit_snapshot(&updated);
            if let Some(after) = after.as_mut() {
                after["personal_data_changed"] = serde_json::json!(personal_changed);
            }
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: updated.id.to_string(),
                    action: if updated.province_code != current.province_code {
                        "move_province"
                    } else {
                        "update"
                    },
                    before: audit_snapshot(&current),
                    after,
                    province_code: Some(&updated.province_code),
                },
            )?;
            render_for(conn, &principal, &updated).map(Ok)
        })
        .await??;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}
