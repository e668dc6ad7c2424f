//! Bulk import of the spreadsheets provinces keep: lists of establishments today, with projects and
//! legacy certificates to follow the same path.
//!
//! A file (CSV or `.xlsx`) is read into a [`sheet::Sheet`] against the columns of its kind
//! ([`columns`]); every row is checked with the API's own validation; a dry run stops there and
//! reports ([`report`]). A real run writes only when every row is valid, in one transaction that
//! also records the import (with the file's SHA-256, which refuses the same file twice) and its one
//! audit event. Large files run as a job ([`jobs`]); [`templates`] writes the workbook people fill.

pub mod beneficiaries;
pub mod cells;
pub mod certificates;
pub mod columns;
pub mod jobs;
pub mod projects;
pub mod report;
pub mod sheet;
pub mod templates;

use sha2::{Digest, Sha256};

use self::columns::Column;
use self::report::{Findings, Problem};
use self::sheet::{FileFormat, Sheet};
use crate::auth::principal::Territory;
use crate::auth::{Principal, Role};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::imports::{self as model, ImportRow};
use crate::models::now;

pub use crate::domain::imports::{ImportKind, ImportState};

/// The most data rows one file may hold (a province's whole history fits; a national file is
/// split by province).
pub const MAX_ROWS: usize = 200_000;

impl ImportKind {
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Beneficiaries => columns::BENEFICIARIES,
            ImportKind::Projects => projects::COLUMNS,
            ImportKind::Certificates => certificates::COLUMNS,
        }
    }

    /// The audit action of an applied file (it publishes the matching event).
    fn audit_action(self) -> &'static str {
        match self {
            ImportKind::Beneficiaries => "beneficiaries_imported",
            ImportKind::Projects => "projects_imported",
            ImportKind::Certificates => "certificates_imported",
        }
    }
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub kind: ImportKind,
    pub bytes: Vec<u8>,
    pub format: FileFormat,
    /// Lower-case hex.
    pub sha256: String,
}

impl Upload {
    pub fn new(kind: ImportKind, bytes: Vec<u8>) -> Upload {
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Upload {
            kind,
            format: FileFormat::sniff(&bytes),
            bytes,
            sha256,
        }
    }

    /// The file's rows, or the findings of a file that cannot be imported at all.
    pub fn sheet(&self) -> Result<Sheet, Findings> {
        let sheet =
            sheet::read(&self.bytes, self.format, self.kind.columns()).map_err(Findings::unreadable)?;
        if sheet.rows.len() > MAX_ROWS {
            return Err(Findings::unreadable(vec![Problem::file(
                "too_many_rows",
                format!(
                    "Tệp có {} dòng dữ liệu; mỗi tệp tối đa {MAX_ROWS} dòng (hãy tách theo tỉnh hoặc theo năm).",
                    sheet.rows.len()
                ),
                format!(
                    "The file has {} data rows; a file holds at most {MAX_ROWS} (split it by province or year).",
                    sheet.rows.len()
                ),
            )]));
        }
        Ok(sheet)
    }
}

/// Who imports, and where they may: the rules of the API apply to them as to the signed-in
/// caller they are (the command line imports as national or provincial staff).
#[derive(Debug, Clone)]
pub struct Importer {
    pub actor: Actor,
    pub principal: Principal,
    /// `CERTIFICATE_VALIDITY_YEARS`: how long the certificates of a file stay valid.
    pub certificate_validity_years: i32,
}

impl Importer {
    /// The command line's importer: national (`ministry`), or the staff of one province.
    pub fn command_line(province_code: Option<String>, certificate_validity_years: i32) -> Importer {
        let actor = Actor::command_line();
        Importer {
            principal: Principal {
                user_id: 0,
                username: actor.username.clone(),
                role: if province_code.is_some() {
                    Role::Province
                } else {
                    Role::Ministry
                },
                province_code,
                commune_code: None,
                scopes: None,
            },
            actor,
            certificate_validity_years,
        }
    }

    pub fn province_code(&self) -> Option<&str> {
        match self.principal.territory() {
            Territory::Province(_) => self.principal.province_code.as_deref(),
            _ => None,
        }
    }
}

/// Rows checked and ready to write.
pub enum Prepared {
    Beneficiaries(Vec<crate::api::beneficiaries::fields::Fields>),
    Projects(Vec<projects::Record>),
    Certificates(Vec<certificates::Record>),
}

/// A checked file.
pub struct Checked {
    pub findings: Findings,
    pub prepared: Prepared,
}

/// What an import in one go came to.
pub enum Outcome {
    /// A dry run: what was found; nothing written.
    Checked(Findings),
    /// Some rows are invalid: nothing written.
    Refused(Findings),
    /// Every row was written.
    Applied(Box<ImportRow>),
}

/// Checks every row; `done` is told the rows checked so far.
pub fn check(
    conn: &mut DbConn,
    upload: &Upload,
    sheet: &Sheet,
    importer: &Importer,
    done: &dyn Fn(u64),
) -> Result<Checked, ApiError> {
    match upload.kind {
        ImportKind::Beneficiaries => {
            let checked = beneficiaries::check(conn, sheet, &importer.principal, done)?;
            Ok(Checked {
                findings: checked.findings,
                prepared: Prepared::Beneficiaries(checked.records),
            })
        }
        ImportKind::Projects => {
            let checked = projects::check(conn, sheet, importer, done)?;
            Ok(Checked {
                findings: checked.findings,
                prepared: Prepared::Projects(checked.records),
            })
        }
        ImportKind::Certificates => {
            let checked = certificates::check(conn, sheet, importer, done)?;
            Ok(Checked {
                findings: checked.findings,
                prepared: Prepared::Certificates(checked.records),
            })
        }
    }
}

/// 409 when this file was already applied (or is being applied).
pub fn ensure_not_applied(conn: &mut DbConn, upload: &Upload) -> Result<(), ApiError> {
    match model::applied(conn, upload.kind.as_str(), &upload.sha256)? {
        None => Ok(()),
        Some(existing) => Err(ApiError::conflict(
            "duplicate_import",
            Text::new(
                format!(
                    "Tệp này (SHA-256 {}) đã được nhập (lần nhập {}).",
                    upload.sha256, existing.id
                ),
                format!(
                    "This file (SHA-256 {}) was already imported (import {}).",
                    upload.sha256, existing.id
                ),
            ),
        )
        .with_extension("existing_id", existing.id)),
    }
}

/// The record of an import, before it has an id.
pub fn new_record(upload: &Upload, importer: &Importer, dry_run: bool, state: ImportState) -> ImportRow {
    let created_at = now();
    ImportRow {
        id: 0,
        kind: upload.kind.as_str().to_owned(),
        dry_run,
        file_sha256: upload.sha256.clone(),
        file_format: upload.format.as_str().to_owned(),
        file_bytes: upload.bytes.len() as i64,
        state: state.as_str().to_owned(),
        rows_total: None,
        rows_done: 0,
        findings: None,
        failure: None,
        requested_by_user_id: importer.actor.user_id,
        requested_by: importer.actor.username.clone(),
        province_code: importer.province_code().map(str::to_owned),
        created_at,
        started_at: None,
        finished_at: None,
        lease_until: None,
    }
}

fn findings_json(findings: &Findings) -> Option<String> {
    serde_json::to_string(&findings.clone().capped()).ok()
}

/// Writes a clean file's rows in the caller's transaction, with the import's record (a new one,
/// or the job `job_id` marked succeeded) and its audit event.
pub fn apply(
    conn: &mut DbConn,
    upload: &Upload,
    importer: &Importer,
    checked: &Checked,
    job_id: Option<i64>,
    done: &dyn Fn(u64),
) -> Result<ImportRow, ApiError> {
    let ids = match &checked.prepared {
        Prepared::Beneficiaries(records) => beneficiaries::write(conn, records, done)?,
        Prepared::Projects(records) => projects::write(conn, importer, records, done)?,
        Prepared::Certificates(records) => certificates::write(conn, importer, records, done)?,
    };
    let rows = ids.len() as i64;
    let record = match job_id {
        None => {
            let mut record = new_record(upload, importer, false, ImportState::Succeeded);
            record.rows_total = Some(rows);
            record.rows_done = rows;
            record.findings = findings_json(&checked.findings);
            record.started_at = Some(record.created_at);
            record.finished_at = Some(now());
            model::insert(conn, &record)?
        }
        Some(id) => {
            let findings = findings_json(&checked.findings);
            if !model::finish(
                conn,
                id,
                model::JobEnd {
                    state: ImportState::Succeeded,
                    rows_total: Some(rows),
                    rows_done: rows,
                    findings,
                    failure: None,
                },
            )? {
                // A reader failed the job meanwhile (its lease ran out): it must not also succeed.
                return Err(ApiError::internal(format!(
                    "import job {id} was failed while it ran"
                )));
            }
            model::find(conn, id)?.ok_or_else(ApiError::not_found)?
        }
    };
    audit::record(
        conn,
        &importer.actor,
        Change {
            entity_type: "import",
            entity_id: record.id.to_string(),
            action: upload.kind.audit_action(),
            before: None,
            after: Some(serde_json::json!({
                "kind": upload.kind.as_str(),
                "file_sha256": upload.sha256,
                "file_format": upload.format.as_str(),
                "file_bytes": upload.bytes.len(),
                "rows": rows,
                "first_id": ids.iter().min(),
                "last_id": ids.iter().max(),
            })),
            province_code: importer.province_code(),
        },
    )?;
    Ok(record)
}

/// Checks and, unless `dry_run`, applies a file in the caller's transaction (a request's, or the
/// command line's).
pub fn import(
    conn: &mut DbConn,
    upload: &Upload,
    sheet: &Sheet,
    importer: &Importer,
    dry_run: bool,
    checked_rows: &dyn Fn(u64),
    written_rows: &dyn Fn(u64),
) -> Result<Outcome, ApiError> {
    if !dry_run {
        ensure_not_applied(conn, upload)?;
    }
    let checked = check(conn, upload, sheet, importer, checked_rows)?;
    if dry_run {
        return Ok(Outcome::Checked(checked.findings));
    }
    if !checked.findings.is_clean() {
        return Ok(Outcome::Refused(checked.findings));
    }
    Ok(Outcome::Applied(Box::new(apply(
        conn,
        upload,
        importer,
        &checked,
        None,
        written_rows,
    )?)))
}
