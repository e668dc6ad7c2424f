//! Products of rural industrial establishments: what a selection round judges and a certificate
//! names. A product belongs to its producer's province and is seen and changed as its producer is
//! (province staff their province's, commune staff their commune's, national roles all).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::beneficiaries::{ensure_not_merged, owner};
use crate::api::checks::{self, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::certification::ProductGroup;
use crate::domain::search::search_key;
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::models::audit::{self, Actor, Change};
use crate::models::beneficiaries::{self as beneficiaries, BeneficiaryRow};
use crate::models::certification::{self as model, ProductFilter, ProductIndex, ProductRow};
use crate::models::search::TextSearch;
use crate::models::{decode, now};
use crate::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired, Unauthorized,
    Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

const ENTITY: &str = "product";
/// Establishment writers, and commune staff for their commune (they organise its round).
const WRITERS: &[Role] = &[Role::Admin, Role::Ministry, Role::Province, Role::Commune];
const MAX_LIST_ITEMS: usize = 20;

/// A photo of the product, kept elsewhere: its address and the SHA-256 of the file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    #[schema(
        example = "https://khuyencong.example.vn/anh/may-tre-dan-01.jpg",
        max_length = 2000
    )]
    pub url: String,
    /// 64 hexadecimal digits.
    #[schema(pattern = r"^[0-9a-fA-F]{64}$")]
    pub sha256: String,
}

/// A product.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    /// The producing establishment.
    pub beneficiary_id: i64,
    /// The producer's name.
    pub beneficiary_name: String,
    /// The producer's current province.
    pub province_code: String,
    pub name: String,
    pub product_group: ProductGroup,
    /// A set of products (bộ sản phẩm) rather than a single one.
    pub is_set: bool,
    pub description: Option<String>,
    /// Quality standards the product meets (e.g. TCVN, ISO 22000, VietGAP).
    pub quality_standards: Vec<String>,
    /// Awards the product holds.
    pub awards: Vec<String>,
    pub photos: Vec<Photo>,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn json_list<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<Vec<T>, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("{column}: {e}")))
}

impl Product {
    pub fn render(row: &ProductRow, producer: &BeneficiaryRow) -> Result<Product, ApiError> {
        Ok(Product {
            id: row.id,
            beneficiary_id: row.beneficiary_id,
            beneficiary_name: producer.name.clone(),
            province_code: producer.province_code.clone(),
            name: row.name.clone(),
            product_group: decode("products.product_group", &row.product_group)?,
            is_set: row.is_set,
            description: row.description.clone(),
            quality_standards: json_list("products.quality_standards_json", &row.quality_standards_json)?,
            awards: json_list("products.awards_json", &row.awards_json)?,
            photos: json_list("products.photos_json", &row.photos_json)?,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

pub fn photos_of(row: &ProductRow) -> Result<Vec<Photo>, ApiError> {
    json_list("products.photos_json", &row.photos_json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    pub beneficiary_id: Option<i64>,
    /// The producer's current province code.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    #[param(inline)]
    pub product_group: Option<ProductGroup>,
    /// Words of the product's or the producer's name, with or without diacritics.
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

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// The producing establishment (an active record).
    pub beneficiary_id: i64,
    #[schema(example = "Bộ bàn ghế mây tre đan", max_length = 300)]
    pub name: String,
    pub product_group: ProductGroup,
    /// A set of products rather than a single one (default false).
    pub is_set: Option<bool>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(max_items = 20)]
    pub quality_standards: Option<Vec<String>>,
    #[schema(max_items = 20)]
    pub awards: Option<Vec<String>>,
    #[schema(max_items = 20)]
    pub photos: Option<Vec<Photo>>,
}

/// Changes to a product; absent fields stay, `null` clears the description. The producer does not
/// change: record the product again under the other establishment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    #[schema(max_length = 300)]
    pub name: Option<String>,
    pub product_group: Option<ProductGroup>,
    pub is_set: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    #[schema(max_items = 20)]
    pub quality_standards: Option<Vec<String>>,
    #[schema(max_items = 20)]
    pub awards: Option<Vec<String>>,
    #[schema(max_items = 20)]
    pub photos: Option<Vec<Photo>>,
}

/// Cleans a list of short texts: trimmed, blanks dropped, duplicates kept once.
fn clean_list(errors: &mut Vec<FieldError>, field: &str, items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = clean_line(&item);
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    if out.len() > MAX_LIST_ITEMS {
        errors.push(error(
            field,
            "too_many_items",
            format!("{field} có tối đa {MAX_LIST_ITEMS} mục."),
            format!("{field} holds at most {MAX_LIST_ITEMS} items."),
        ));
    }
    for (i, item) in out.iter().enumerate() {
        checks::length(errors, &format!("{field}[{i}]"), item, 1, 300);
    }
    out
}

fn check_photos(errors: &mut Vec<FieldError>, photos: &[Photo]) {
    if photos.len() > MAX_LIST_ITEMS {
        errors.push(error(
            "photos",
            "too_many_items",
            format!("Tối đa {MAX_LIST_ITEMS} ảnh."),
            format!("At most {MAX_LIST_ITEMS} photos."),
        ));
    }
    for (i, photo) in photos.iter().enumerate() {
        let url = photo.url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 2000
            || url.contains(' ')
        {
            errors.push(error(
                &format!("photos[{i}].url"),
                "invalid_url",
                "Địa chỉ ảnh bắt đầu bằng https:// hoặc http://, không có khoảng trắng.",
                "A photo address starts with https:// or http:// and has no spaces.",
            ));
        }
        if photo.sha256.len() != 64 || !photo.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            errors.push(error(
                &format!("photos[{i}].sha256"),
                "invalid_checksum",
                "Mã SHA-256 gồm 64 chữ số thập lục phân.",
                "A SHA-256 checksum is 64 hexadecimal digits.",
            ));
        }
    }
}

/// The fields of a product as typed, before checks.
pub(crate) struct Fields {
    pub(crate) name: String,
    pub(crate) product_group: ProductGroup,
    pub(crate) is_set: bool,
    pub(crate) description: Option<String>,
    pub(crate) quality_standards: Vec<String>,
    pub(crate) awards: Vec<String>,
    pub(crate) photos: Vec<Photo>,
}

/// A new product of `beneficiary_id`, before [`apply`] fills it in.
pub(crate) fn new_row(beneficiary_id: i64, at: chrono::NaiveDateTime) -> ProductRow {
    ProductRow {
        id: 0,
        beneficiary_id,
        name: String::new(),
        product_group: String::new(),
        is_set: false,
        description: None,
        quality_standards_json: "[]".into(),
        awards_json: "[]".into(),
        photos_json: "[]".into(),
        search_key: String::new(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// Checks and writes `fields` into `row`.
pub(crate) fn apply(row: &mut ProductRow, fields: Fields) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let name = clean_line(&fields.name);
    checks::length(&mut errors, "name", &name, 2, 300);
    let description = checks::clean(fields.description);
    checks::max_length(&mut errors, "description", description.as_deref(), 2000);
    let standards = clean_list(&mut errors, "quality_standards", fields.quality_standards);
    let awards = clean_list(&mut errors, "awards", fields.awards);
    let photos: Vec<Photo> = fields
        .photos
        .into_iter()
        .map(|p| Photo {
            url: p.url.trim().to_owned(),
            sha256: p.sha256.trim().to_lowercase(),
        })
        .collect();
    check_photos(&mut errors, &photos);
    checks::ensure(errors)?;
    row.search_key = search_key(&name);
    row.name = name;
    row.product_group = fields.product_group.as_str().to_owned();
    row.is_set = fields.is_set;
    row.description = description;
    row.quality_standards_json =
        serde_json::to_string(&standards).map_err(|e| ApiError::internal(e.to_string()))?;
    row.awards_json = serde_json::to_string(&awards).map_err(|e| ApiError::internal(e.to_string()))?;
    row.photos_json = serde_json::to_string(&photos).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(())
}

/// A product and its producer, 404 when the principal does not see the producer.
pub fn find_visible(
    conn: &mut DbConn,
    principal: &Principal,
    id: i64,
) -> Result<(ProductRow, BeneficiaryRow), ApiError> {
    let row = model::find_product(conn, id)?.ok_or_else(ApiError::not_found)?;
    let producer = beneficiaries::find(conn, row.beneficiary_id)?.ok_or_else(ApiError::not_found)?;
    principal.ensure_sees(owner(&producer))?;
    Ok((row, producer))
}

fn render_rows(conn: &mut DbConn, rows: &[ProductRow]) -> Result<Vec<Product>, ApiError> {
    let producers: Vec<i64> = rows.iter().map(|r| r.beneficiary_id).collect();
    let index = ProductIndex::load(conn, &[], &producers)?;
    rows.iter()
        .map(|row| Product::render(row, index.producer(row.beneficiary_id)?))
        .collect()
}

/// The columns of the list as CSV, in order.
const PRODUCT_CSV: [&str; 14] = [
    "id",
    "beneficiary_id",
    "beneficiary_name",
    "province_code",
    "name",
    "product_group",
    "is_set",
    "description",
    "quality_standards",
    "awards",
    "photos",
    "version",
    "created_at",
    "updated_at",
];

/// List products.
#[utoipa::path(
    tag = "certification",
    params(ProductListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of products the caller sees; with `Accept: text/csv`, every one", content(
            (Page<Product> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    ApiQuery(query): ApiQuery<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = ProductFilter {
        beneficiary_id: query.beneficiary_id,
        province_code: query.province_code,
        product_group: query.product_group.map(|g| g.as_str().to_owned()),
        search: query
            .q
            .as_deref()
            .map(|q| TextSearch::new(q, state.db.search_index())),
    };
    let territory = principal.territory();
    let csv = CsvList::new(&PRODUCT_CSV, "san-pham.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = model::list_products(conn, &filter, &territory, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count_products(conn, &filter, &territory))
            .transpose()?;
        let items = render_rows(conn, &rows)?;
        Ok(Page::from_rows(items, page, |p| p.id, total))
    })
    .await
}

/// Record a product of an establishment.
#[utoipa::path(
    tag = "certification",
    request_body = CreateProductRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Product, description = "The product was recorded", headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let producer = beneficiaries::find(conn, body.beneficiary_id)?
                .filter(|p| principal.sees(owner(p)))
                .ok_or_else(|| {
                    ApiError::validation(vec![error(
                        "beneficiary_id",
                        "unknown_beneficiary",
                        format!(
                            "Không có cơ sở mã {} (trong phạm vi của bạn).",
                            body.beneficiary_id
                        ),
                        format!(
                            "No establishment {} (within your territory).",
                            body.beneficiary_id
                        ),
                    )])
                })?;
            ensure_not_merged(&producer)?;
            let mut row = new_row(producer.id, now());
            apply(
                &mut row,
                Fields {
                    name: body.name,
                    product_group: body.product_group,
                    is_set: body.is_set.unwrap_or(false),
                    description: body.description,
                    quality_standards: body.quality_standards.unwrap_or_default(),
                    awards: body.awards.unwrap_or_default(),
                    photos: body.photos.unwrap_or_default(),
                },
            )?;
            let row = model::insert_product(conn, &row)?;
            let view = Product::render(&row, &producer)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "create",
                    before: None,
                    after: audit::snapshot(&view),
                    province_code: Some(&producer.province_code),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/products/{}", view.id)))
        .json(view))
}

/// Get one product.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Product id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Product, description = "The product", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let (row, producer) = find_visible(conn, &principal, id)?;
            Product::render(&row, &producer)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change a product.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Product id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateProductRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Product, description = "The product as changed", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[patch("/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let (current, producer) = find_visible(conn, &principal, id)?;
            principal.require(WRITERS)?;
            if_match?.check(current.version)?;
            let before = Product::render(&current, &producer)?;
            let mut next = current.clone();
            apply(
                &mut next,
                Fields {
                    name: body.name.unwrap_or(before.name.clone()),
                    product_group: body.product_group.unwrap_or(before.product_group),
                    is_set: body.is_set.unwrap_or(before.is_set),
                    description: body.description.unwrap_or(before.description.clone()),
                    quality_standards: body.quality_standards.unwrap_or(before.quality_standards.clone()),
                    awards: body.awards.unwrap_or(before.awards.clone()),
                    photos: body.photos.unwrap_or(before.photos.clone()),
                },
            )?;
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update_product(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let view = Product::render(&updated, &producer)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: updated.id.to_string(),
                    action: "update",
                    before: audit::snapshot(&before),
                    after: audit::snapshot(&view),
                    province_code: Some(&producer.province_code),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}
