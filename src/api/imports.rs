//! Importing the spreadsheets provinces keep: the templates to fill, the import itself (a dry run
//! that reports every problem, or an all-or-nothing run), and the jobs large files run as.
//!
//! Who imports: admin, ministry, and province staff (their province's rows only). Integration
//! clients use the record endpoints instead (their scopes name no import).

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::beneficiaries::WRITERS;
use super::extract::{ApiQuery, BodyLimits, read_body};
use super::stats::reports::Workbook;
use crate::api::csv_export::CsvFile;
use crate::auth::principal::Territory;
use crate::auth::{Owner, Principal};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::i18n::{Lang, Text};
use crate::imports::report::{Findings, ImportReport};
use crate::imports::sheet::{FileFormat, XLSX_MEDIA_TYPE};
use crate::imports::{self, ImportKind, ImportState, Importer, Outcome, Upload, jobs, templates};
use crate::models::audit::Actor;
use crate::models::imports::{self as model, ImportFilter, ImportRow};
use crate::models::{decode, now};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

/// An import: a file checked (dry run) or applied, in one request or as a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct Import {
    /// Absent for a dry run answered in the request (nothing is recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub kind: ImportKind,
    pub dry_run: bool,
    pub state: ImportState,
    /// SHA-256 of the file, lower-case hex: the same file is applied only once.
    #[schema(
        example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        pattern = "^[0-9a-f]{64}$"
    )]
    pub file_sha256: String,
    pub file_format: FileFormat,
    pub file_bytes: i64,
    /// Data rows in the file; `null` until the file has been read.
    pub rows_total: Option<i64>,
    /// Rows checked so far.
    pub rows_done: i64,
    /// When the file has been checked: rows read, valid, and every problem.
    pub report: Option<ImportReport>,
    /// Why a job stopped without a report (for example, its server stopped).
    pub failure: Option<String>,
    /// Who imported (username).
    pub requested_by: String,
    /// The province the import was restricted to (province staff); `null` for national staff.
    pub province_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Import {
    fn render(row: ImportRow, lang: Lang) -> Result<Import, ApiError> {
        let findings: Option<Findings> = row
            .findings
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| ApiError::internal(format!("import {} findings: {e}", row.id)))?;
        Ok(Import {
            id: Some(row.id),
            kind: decode("imports.kind", &row.kind)?,
            dry_run: row.dry_run,
            state: decode("imports.state", &row.state)?,
            file_sha256: row.file_sha256,
            file_format: if row.file_format == "xlsx" {
                FileFormat::Xlsx
            } else {
                FileFormat::Csv
            },
            file_bytes: row.file_bytes,
            rows_total: row.rows_total,
            rows_done: row.rows_done,
            report: findings.map(|f| f.render(lang)),
            failure: row.failure,
            requested_by: row.requested_by,
            province_code: row.province_code,
            created_at: row.created_at.and_utc(),
            started_at: row.started_at.map(|t| t.and_utc()),
            finished_at: row.finished_at.map(|t| t.and_utc()),
        })
    }

    /// A dry run answered in the request.
    fn checked(upload: &Upload, importer: &Importer, findings: &Findings, lang: Lang) -> Import {
        let at = now().and_utc();
        Import {
            id: None,
            kind: upload.kind,
            dry_run: true,
            state: ImportState::Succeeded,
            file_sha256: upload.sha256.clone(),
            file_format: upload.format,
            file_bytes: upload.bytes.len() as i64,
            rows_total: Some(findings.rows_read as i64),
            rows_done: findings.rows_read as i64,
            report: Some(findings.render(lang)),
            failure: None,
            requested_by: importer.actor.username.clone(),
            province_code: importer.province_code().map(str::to_owned),
            created_at: at,
            started_at: Some(at),
            finished_at: Some(at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// What the file holds.
    pub kind: ImportKind,
    /// `true`: check every row and report, write nothing. `false` (the default): write every row,
    /// or none when one is invalid.
    pub dry_run: Option<bool>,
}

/// 422 for a real run with invalid rows: nothing was written; the report says what to fix.
fn invalid_rows(findings: &Findings, lang: Lang) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rows",
        Text::new(
            format!(
                "{} trong {} dòng có lỗi; chưa ghi dòng nào. Sửa theo báo cáo rồi nhập lại.",
                findings.rows_read - findings.rows_valid,
                findings.rows_read
            ),
            format!(
                "{} of {} rows have problems; nothing was written. Fix them as the report says and import again.",
                findings.rows_read - findings.rows_valid,
                findings.rows_read
            ),
        ),
    )
    .with_extension("report", findings.render(lang))
}

fn unsupported(content_type: &str) -> Option<ApiError> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let accepted = ["text/csv", XLSX_MEDIA_TYPE, "application/octet-stream"];
    (!accepted.contains(&media.as_str())).then(ApiError::unsupported_media_type)
}

/// Import a file of establishments, projects or earlier certificates (CSV or `.xlsx`, as the
/// template).
///
/// The body is the file itself (`Content-Type: text/csv` or
/// `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`), at most 32 MiB
/// (`IMPORT_MAX_BYTES`) and 200,000 rows. Every row is checked with the API's own rules; a dry
/// run answers the report (200). A real run writes every row or none: 201 with the import, or 422
/// `invalid_rows` with the report. The same file is applied once (409 `duplicate_import`). Files
/// larger than 256 KiB (`IMPORT_SYNC_MAX_BYTES`) run as a job: 202 and `Location` of the job to
/// poll. Province staff import their province's rows only.
#[utoipa::path(
    tag = "imports",
    params(ImportQuery),
    request_body(description = "The file, as the template (`GET /api/v1/imports/templates/{kind}`)", content(
        (CsvFile = "text/csv"),
        (Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Import, description = "Dry run: the report (nothing written)"),
        (status = 201, body = Import, description = "Every row was written", headers(("Location" = String))),
        (status = 202, body = Import, description = "A large file: the job that checks (and applies) it", headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = crate::openapi::Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/imports")]
pub async fn create_import(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    req: HttpRequest,
    payload: web::Payload,
    ApiQuery(query): ApiQuery<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(refused) = unsupported(content_type) {
        return Err(refused);
    }
    let limits = BodyLimits {
        max_bytes: state.config.import_max_bytes,
        read_timeout: state
            .config
            .body_read_timeout
            .max(std::time::Duration::from_secs(60)),
    };
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|len| len > limits.max_bytes)
    {
        return Err(ApiError::payload_too_large(limits.max_bytes));
    }
    let body = read_body(&mut payload.into_inner(), limits).await?;
    let dry_run = query.dry_run.unwrap_or(false);
    let lang = context.lang;
    let upload = Upload::new(query.kind, body.to_vec());
    let importer = Importer {
        actor: Actor::new(&principal, &context),
        principal: principal.clone(),
        certificate_validity_years: state.config.certificate_validity_years,
    };
    if upload.bytes.len() > state.config.import_sync_max_bytes {
        let db = state.db.clone();
        let lease = state.config.import_job_lease;
        let job = web::block(move || jobs::start(&db, upload, importer, dry_run, lease))
            .await
            .map_err(|e| ApiError::internal(format!("import job: {e}")))??;
        let location = format!("/api/v1/imports/{}", job.id);
        return Ok(HttpResponse::Accepted()
            .insert_header((header::LOCATION, location))
            .json(Import::render(job, lang)?));
    }
    let sheet = match upload.sheet() {
        Ok(sheet) => sheet,
        Err(findings) if dry_run => {
            return Ok(HttpResponse::Ok().json(Import::checked(&upload, &importer, &findings, lang)));
        }
        Err(findings) => return Err(invalid_rows(&findings, lang)),
    };
    if dry_run {
        let outcome = state
            .db
            .read(move |conn| {
                let outcome = imports::import(conn, &upload, &sheet, &importer, true, &|_| {}, &|_| {})?;
                Ok((upload, importer, outcome))
            })
            .await?;
        let (upload, importer, Outcome::Checked(findings)) = outcome else {
            return Err(ApiError::internal("a dry run wrote"));
        };
        return Ok(HttpResponse::Ok().json(Import::checked(&upload, &importer, &findings, lang)));
    }
    let outcome = state
        .db
        .write(move |conn| imports::import(conn, &upload, &sheet, &importer, false, &|_| {}, &|_| {}))
        .await?;
    match outcome {
        Outcome::Applied(row) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/imports/{}", row.id)))
            .json(Import::render(*row, lang)?)),
        Outcome::Refused(findings) | Outcome::Checked(findings) => Err(invalid_rows(&findings, lang)),
    }
}

/// Get an import (a job's state and progress, and its report once the file was checked).
///
/// A job whose server stopped before it finished wrote nothing and is shown as `failed`.
#[utoipa::path(
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Import, description = "The import"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/imports/{id}")]
pub async fn get_import(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| model::find(conn, id)?.ok_or_else(ApiError::not_found))
        .await?;
    let row = if matches!(
        decode("imports.state", &row.state)?,
        ImportState::Queued | ImportState::Running
    ) && row.lease_until.is_some_and(|end| end < now())
    {
        state
            .db
            .write(move |conn| {
                model::fail_abandoned(conn, now())?;
                model::find(conn, id)?.ok_or_else(ApiError::not_found)
            })
            .await?
    } else {
        row
    };
    let mine = row.requested_by_user_id == Some(principal.user_id);
    if !mine
        && !principal.sees(Owner {
            province_code: row.province_code.as_deref(),
            commune_code: None,
        })
    {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::Ok().json(Import::render(row, context.lang)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    pub kind: Option<ImportKind>,
    pub state: Option<ImportState>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
}

/// List imports, oldest first: every one for national staff; for province staff, their
/// province's and their own. Reports are left out of the list (`GET /api/v1/imports/{id}` has
/// each); a job whose server stopped shows as it was last recorded until it is read.
#[utoipa::path(
    tag = "imports",
    params(ImportListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<Import>, description = "One page of imports"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/imports")]
pub async fn list_imports(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiQuery(query): ApiQuery<ImportListQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: None,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = ImportFilter {
        kind: query.kind.map(|k| k.as_str().to_owned()),
        state: query.state.map(|s| s.as_str().to_owned()),
        province_or_requester: match principal.territory() {
            Territory::National => None,
            _ => Some((
                principal.province_code.clone().unwrap_or_default(),
                principal.user_id,
            )),
        },
    };
    let lang = context.lang;
    let rows = state
        .db
        .read(move |conn| model::list(conn, &filter, page.after, page.fetch_limit()).map(|rows| (rows, page)))
        .await?;
    let (rows, page) = rows;
    let items = rows
        .into_iter()
        .map(|mut row| {
            row.findings = None;
            Import::render(row, lang)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page::from_rows(items, &page, |i| i.id.unwrap_or_default(), None)))
}

/// The kinds a template exists for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TemplatePath {
    /// What the file holds.
    pub kind: ImportKind,
}

/// Download the import template of a kind (`.xlsx`).
///
/// Row 1: the Vietnamese headings (required columns marked `(*)`, notes on each); row 2: the code
/// of each column (what the import reads; keep it or delete it); row 3: an example row that
/// imports as it is. Enumerations have drop-down lists; a second sheet explains every column.
/// The same columns, as a CSV header row, import as well.
#[utoipa::path(
    tag = "imports",
    params(TemplatePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template", content(
            (Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "Its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/imports/templates/{kind}")]
pub async fn get_template(
    principal: Principal,
    path: web::Path<TemplatePath>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let kind = path.into_inner().kind;
    let bytes = web::block(move || templates::workbook(kind))
        .await
        .map_err(|e| ApiError::internal(format!("template: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type(ContentType(XLSX_MEDIA_TYPE.parse().expect("a media type")))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"mau-nhap-{}.xlsx\"", kind.as_str()),
        ))
        .body(bytes))
}
