//! Importing projects (đề án) with their budget and their establishments named by identifier.
//!
//! Each row becomes the [`Fields`] of `POST /api/v1/projects`, checked by the same [`validate`],
//! and the lines of `PUT /api/v1/projects/{id}/budget`, checked as that endpoint checks them and
//! against the support cap as a submission today would be. Establishments are named by their
//! tax code, cooperative code or household-business registration number and must be in the
//! registry and visible to the importer. A project is written as the API's create and budget set
//! write it (a `draft`, its links, its history and its budget version) but without their
//! per-project audit events: the file's one event stands for them.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::Importer;
use super::cells::{Cells, FirstRows};
use super::columns::{Cell, Column, codes, column};
use super::report::{Findings, Problem};
use super::sheet::{Row, Sheet};
use crate::api::checks::error;
use crate::api::projects::WRITERS;
use crate::api::projects::fields::{BeneficiaryLink, Fields, validate};
use crate::api::projects::lifecycle::check_cap_naming;
use crate::api::projects::money::check_lines;
use crate::api::projects::records::{assign_code, draft_base};
use crate::auth::{Owner, Principal};
use crate::db::DbConn;
use crate::db::schema::beneficiaries;
use crate::domain::identifiers::IdentifierType;
use crate::domain::projects::{BeneficiaryRole, Budget, FundingSource, ProjectStatus};
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::models::now;
use crate::models::organizations::{self, OrganizationRow};
use crate::models::projects::{self as model, BudgetVersionRow, HistoryRow};

/// The column of the establishments a project names, and of the part the first one takes.
const IDENTIFIERS: &str = "beneficiaries";
const FIRST_ROLE: &str = "first_beneficiary_role";
/// Identifiers looked up in the registry per query.
const LOOKUP_CHUNK: usize = 500;

/// A project (đề án), as `POST /api/v1/projects` and `PUT .../budget` take it.
pub const COLUMNS: &[Column] = &[
    column(
        "code",
        "Mã đề án",
        false,
        Cell::Text,
        "",
        "3–40 chữ in hoa không dấu, chữ số và . / _ - (ví dụ KCDP-2024-01-0007); để trống để hệ thống cấp mã \
         (KCQG/KCDP-năm-tỉnh-số thứ tự).",
    ),
    column(
        "title",
        "Tên đề án",
        true,
        Cell::Text,
        "Hỗ trợ ứng dụng máy chẻ nan và máy đan mây tre tự động",
        "5–500 ký tự.",
    ),
    column(
        "summary",
        "Tóm tắt nội dung",
        false,
        Cell::Text,
        "Đầu tư máy chẻ nan và máy đan cho xưởng mây tre đan",
        "Tối đa 2000 ký tự.",
    ),
    column(
        "activity_type",
        "Loại hoạt động",
        true,
        Cell::Text,
        "machinery_application",
        "Mã hoặc tên loại hoạt động khuyến công (danh mục GET /api/v1/activity-types).",
    ),
    column(
        "funding_source",
        "Nguồn kinh phí",
        true,
        Cell::Code(codes::<FundingSource>),
        "national",
        "national: khuyến công quốc gia; local: khuyến công địa phương.",
    ),
    column(
        "plan_year",
        "Năm kế hoạch",
        true,
        Cell::Integer,
        "2026",
        "2000–2100.",
    ),
    column(
        "province_code",
        "Mã tỉnh (hiện hành)",
        false,
        Cell::Text,
        "01",
        "Mã tỉnh, thành phố từ 01/07/2025 (2 chữ số); để trống khi có mã tỉnh trước 2025 (lấy tỉnh kế thừa).",
    ),
    column(
        "commune_code",
        "Mã xã, phường (hiện hành)",
        false,
        Cell::Text,
        "00004",
        "Mã xã, phường từ 01/07/2025 (5 chữ số), thuộc tỉnh trên.",
    ),
    column(
        "recorded_province_code_pre2025",
        "Mã tỉnh trước 2025",
        false,
        Cell::Text,
        "",
        "Chỉ với đề án từ năm 2025 trở về trước: mã tỉnh trong hồ sơ cũ.",
    ),
    column(
        "recorded_district_code_pre2025",
        "Mã huyện trước 2025",
        false,
        Cell::Text,
        "",
        "Chỉ với đề án từ năm 2025 trở về trước: mã huyện (3 chữ số), thuộc tỉnh trước 2025.",
    ),
    column(
        "implementing_unit_id",
        "Đơn vị thực hiện",
        true,
        Cell::Text,
        "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Hà Nội",
        "Số id của đơn vị (GET /api/v1/organizations) hoặc tên đúng như đã đăng ký; đơn vị phải có trước khi nhập.",
    ),
    column(
        "planned_start",
        "Ngày bắt đầu dự kiến",
        false,
        Cell::Date,
        "2026-03-01",
        "YYYY-MM-DD hoặc DD/MM/YYYY.",
    ),
    column(
        "planned_end",
        "Ngày kết thúc dự kiến",
        false,
        Cell::Date,
        "2026-11-30",
        "YYYY-MM-DD hoặc DD/MM/YYYY; không trước ngày bắt đầu.",
    ),
    column(
        "complete_production_line",
        "Dây chuyền công nghệ hoàn chỉnh",
        false,
        Cell::Boolean,
        "false",
        "true/false; nâng mức hỗ trợ tối đa của một số nội dung.",
    ),
    column(
        "priority_area",
        "Địa bàn ưu tiên",
        false,
        Cell::Boolean,
        "false",
        "true/false; nâng mức hỗ trợ tối đa của một số nội dung.",
    ),
    column(
        "national",
        "Kinh phí khuyến công quốc gia (đồng)",
        false,
        Cell::Integer,
        "250000000",
        "Số nguyên đồng. Để trống cả bốn cột kinh phí khi chưa có dự toán.",
    ),
    column(
        "local",
        "Kinh phí khuyến công địa phương (đồng)",
        false,
        Cell::Integer,
        "0",
        "Số nguyên đồng.",
    ),
    column(
        "counterpart",
        "Vốn đối ứng (đồng)",
        false,
        Cell::Integer,
        "350000000",
        "Số nguyên đồng: phần cơ sở thụ hưởng tự đóng góp.",
    ),
    column(
        "other",
        "Nguồn khác (đồng)",
        false,
        Cell::Integer,
        "0",
        "Số nguyên đồng.",
    ),
    column(
        IDENTIFIERS,
        "Cơ sở thụ hưởng (mã định danh)",
        false,
        Cell::Text,
        "0100109106",
        "Mã số thuế, mã HTX hoặc số đăng ký hộ kinh doanh của các cơ sở đã có trong hệ thống, cách nhau bằng \
         dấu ;. Khi một mã trùng giữa hai loại, ghi kèm loại: cooperative_code:0100109106.",
    ),
    column(
        FIRST_ROLE,
        "Vai trò của cơ sở đầu tiên",
        false,
        Cell::Code(codes::<BeneficiaryRole>),
        "primary",
        "Vai trò của cơ sở ghi đầu tiên (mặc định primary); các cơ sở sau là participant.",
    ),
];

/// A row checked and ready to write: the project's content and, when the file gives one, its
/// budget.
#[derive(Debug, Clone)]
pub struct Record {
    pub fields: Fields,
    pub budget: Option<Budget>,
}

pub struct Checked {
    pub findings: Findings,
    pub records: Vec<Record>,
}

/// What rows refer to by name or identifier, read once per file.
struct Registry {
    organizations: Vec<OrganizationRow>,
    /// Activity type code by its lower-case Vietnamese name.
    activity_types: HashMap<String, String>,
    /// Establishments by identifier value.
    establishments: HashMap<String, Vec<Establishment>>,
}

#[derive(Queryable)]
struct Establishment {
    id: i64,
    identifier_type: String,
    identifier_value: Option<String>,
    province_code: String,
    commune_code: Option<String>,
    status: String,
}

impl Establishment {
    fn merged(&self) -> bool {
        self.status == "merged"
    }
}

impl Registry {
    fn load(conn: &mut DbConn, sheet: &Sheet) -> Result<Registry, ApiError> {
        let organizations = organizations::list(conn, &Default::default(), None, i64::MAX)?;
        let activity_types = organizations::activity_types(conn)?
            .into_iter()
            .map(|t| (t.name_vi.to_lowercase(), t.code))
            .collect();
        let wanted: Vec<String> = sheet
            .rows
            .iter()
            .filter_map(|row| row.get(sheet, IDENTIFIERS))
            .flat_map(identifiers)
            .map(|(_, value)| value.to_owned())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut establishments: HashMap<String, Vec<Establishment>> = HashMap::new();
        for chunk in wanted.chunks(LOOKUP_CHUNK) {
            let found: Vec<Establishment> = beneficiaries::table
                .filter(beneficiaries::identifier_value.eq_any(chunk))
                .select((
                    beneficiaries::id,
                    beneficiaries::identifier_type,
                    beneficiaries::identifier_value,
                    beneficiaries::province_code,
                    beneficiaries::commune_code,
                    beneficiaries::status,
                ))
                .load(conn)?;
            for establishment in found {
                establishments
                    .entry(establishment.identifier_value.clone().unwrap_or_default())
                    .or_default()
                    .push(establishment);
            }
        }
        Ok(Registry {
            organizations,
            activity_types,
            establishments,
        })
    }

    /// The implementing unit a cell names: its id, or its name as registered (a name two units
    /// share is settled by the project's province).
    fn unit(&self, cell: &str, province_code: Option<&str>) -> Result<i64, FieldError> {
        if let Ok(id) = cell.parse::<i64>() {
            return Ok(id);
        }
        let name = clean_line(cell).to_lowercase();
        let named: Vec<&OrganizationRow> = self
            .organizations
            .iter()
            .filter(|o| clean_line(&o.name).to_lowercase() == name)
            .collect();
        let chosen: Vec<&&OrganizationRow> = if named.len() > 1 {
            named
                .iter()
                .filter(|o| o.province_code.as_deref() == province_code)
                .collect()
        } else {
            named.iter().collect()
        };
        match chosen.as_slice() {
            [one] => Ok(one.id),
            [] if named.is_empty() => Err(error(
                "implementing_unit_id",
                "unknown_organization",
                format!("Không có đơn vị thực hiện tên \"{cell}\"."),
                format!("No implementing unit is named \"{cell}\"."),
            )),
            _ => Err(error(
                "implementing_unit_id",
                "ambiguous_organization",
                format!("Nhiều đơn vị tên \"{cell}\"; hãy ghi số id của đơn vị."),
                format!("Several units are named \"{cell}\"; give the unit's id."),
            )),
        }
    }

    /// The establishment an identifier names, among those the importer sees. Merged records are
    /// passed on when nothing else matches (the API's check names what they were merged into).
    fn establishment(
        &self,
        principal: &Principal,
        kind: Option<IdentifierType>,
        value: &str,
    ) -> Result<i64, FieldError> {
        let seen: Vec<&Establishment> = self
            .establishments
            .get(value)
            .into_iter()
            .flatten()
            .filter(|e| kind.is_none_or(|k| k.as_str() == e.identifier_type))
            .filter(|e| {
                principal.sees(Owner {
                    province_code: Some(&e.province_code),
                    commune_code: e.commune_code.as_deref(),
                })
            })
            .collect();
        let current: Vec<&&Establishment> = seen.iter().filter(|e| !e.merged()).collect();
        match (seen.as_slice(), current.as_slice()) {
            ([], _) => Err(error(
                IDENTIFIERS,
                "unknown_beneficiary",
                format!("Không có cơ sở mang mã định danh {value}."),
                format!("No establishment has identifier {value}."),
            )),
            ([one], _) => Ok(one.id),
            (_, [one]) => Ok(one.id),
            _ => Err(error(
                IDENTIFIERS,
                "ambiguous_identifier",
                format!("Nhiều cơ sở mang mã {value}; hãy ghi kèm loại, ví dụ tax_code:{value}."),
                format!(
                    "Several establishments have identifier {value}; prefix its type, e.g. tax_code:{value}."
                ),
            )),
        }
    }
}

/// The identifiers of a cell, each with the type it is prefixed with (`tax_code:0100109106`).
fn identifiers(cell: &str) -> impl Iterator<Item = (Option<&str>, &str)> {
    cell.split([';', '\n'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| match v.split_once(':') {
            Some((kind, value)) => (Some(kind.trim()), value.trim()),
            None => (None, v),
        })
}

/// Checks every row of `sheet`; `done` is told how many rows have been checked so far.
pub fn check(
    conn: &mut DbConn,
    sheet: &Sheet,
    importer: &Importer,
    done: &dyn Fn(u64),
) -> Result<Checked, ApiError> {
    // Whoever may not record a project through the API may not import one either.
    importer.principal.require(WRITERS)?;
    let principal = &importer.principal;
    let registry = Registry::load(conn, sheet)?;
    let today = now().date();
    let mut problems: Vec<Problem> = Vec::new();
    let mut records = Vec::with_capacity(sheet.rows.len());
    let mut invalid_rows = 0u64;
    let mut first_rows = FirstRows::default();
    for (index, row) in sheet.rows.iter().enumerate() {
        let (mut record, mut cells) = parse(sheet, row, &registry, principal);
        cells.add_checks(
            validate(conn, principal, &mut record.fields, true)?
                .into_iter()
                .map(|mut e| {
                    // `beneficiaries[2].beneficiary_id`: the cell of identifiers.
                    if e.field.starts_with(IDENTIFIERS) {
                        e.field = IDENTIFIERS.to_owned();
                    }
                    e
                })
                .collect(),
        );
        let mut errors = cells.errors;
        let fields = &record.fields;
        if fields.province_code.is_some()
            && !principal.sees(Owner {
                province_code: fields.province_code.as_deref(),
                commune_code: fields.commune_code.as_deref(),
            })
        {
            errors.push(error(
                "province_code",
                "outside_territory",
                "Cán bộ cấp tỉnh chỉ nhập đề án trong tỉnh của mình.",
                "Province staff import projects of their own province only.",
            ));
        }
        if let Some(code) = &fields.code
            && !errors.iter().any(|e| e.field == "code")
        {
            let what = ("Mã đề án", "Project code");
            match first_rows.see(code.clone(), row.number, "code", what, code) {
                Some(again) => errors.push(again),
                None if model::find_by_code(conn, code)?.is_some() => errors.push(error(
                    "code",
                    "duplicate_code",
                    format!("Đã có đề án mã {code}."),
                    format!("A project with code {code} exists."),
                )),
                None => {}
            }
        }
        let mut row_problems: Vec<Problem> = errors
            .into_iter()
            .map(|e| Problem::of_field(row.number, e))
            .collect();
        if let Some(problem) = cap_breach(conn, &record, &row_problems, row.number, today)? {
            row_problems.push(problem);
        }
        if !row_problems.is_empty() {
            invalid_rows += 1;
        }
        problems.extend(row_problems);
        records.push(record);
        if index % 100 == 99 {
            done(index as u64 + 1);
        }
    }
    done(sheet.rows.len() as u64);
    let rows_read = sheet.rows.len() as u64;
    Ok(Checked {
        findings: Findings {
            rows_read,
            rows_valid: rows_read - invalid_rows,
            problems_total: problems.len() as u64,
            problems,
        },
        records,
    })
}

/// The support cap, checked as a submission today checks it, for a row whose budget and content
/// are otherwise sound. Reported on the column of the state source.
fn cap_breach(
    conn: &mut DbConn,
    record: &Record,
    found: &[Problem],
    number: u32,
    today: NaiveDate,
) -> Result<Option<Problem>, ApiError> {
    const DEPENDS_ON: [&str; 10] = [
        "activity_type",
        "funding_source",
        "province_code",
        "complete_production_line",
        "priority_area",
        "national",
        "local",
        "counterpart",
        "other",
        IDENTIFIERS,
    ];
    let Some(budget) = &record.budget else {
        return Ok(None);
    };
    if found
        .iter()
        .any(|p| p.column.as_deref().is_some_and(|c| DEPENDS_ON.contains(&c)))
    {
        return Ok(None);
    }
    let mut row = record.fields.to_row(&draft_base(String::new(), now()));
    row.set_budget(budget);
    let named = record.fields.beneficiaries.len() as i64;
    match check_cap_naming(conn, &row, named, today, None) {
        Ok(_) => Ok(None),
        Err(breach) if breach.code == "support_cap_exceeded" => Ok(Some(Problem {
            row: Some(number),
            column: Some(record.fields.funding_source.as_str().to_owned()),
            code: breach.code.to_owned(),
            vi: breach.detail.vi.clone().into_owned(),
            en: breach.detail.en.clone().into_owned(),
        })),
        Err(other) => Err(other),
    }
}

/// The row as a new project and its budget; cells that are not of their column's kind are errors
/// (the field keeps a default so that the other rules still run).
fn parse<'a>(
    sheet: &'a Sheet,
    row: &'a Row,
    registry: &Registry,
    principal: &Principal,
) -> (Record, Cells<'a>) {
    let mut cells = Cells::new(sheet, row, COLUMNS);
    cells.require_all();
    let funding_source = cells.code::<FundingSource>("funding_source");
    let first_role = cells
        .code::<BeneficiaryRole>(FIRST_ROLE)
        .unwrap_or(BeneficiaryRole::Primary);
    let plan_year = cells.integer("plan_year");
    let planned_start = cells.date("planned_start");
    let planned_end = cells.date("planned_end");
    let complete_production_line = cells.boolean("complete_production_line");
    let priority_area = cells.boolean("priority_area");
    let lines = ["national", "local", "counterpart", "other"].map(|c| cells.integer(c));
    let budget = lines.iter().any(Option::is_some).then(|| Budget {
        national: lines[0].unwrap_or_default(),
        local: lines[1].unwrap_or_default(),
        counterpart: lines[2].unwrap_or_default(),
        other: lines[3].unwrap_or_default(),
    });
    if let Some(budget) = &budget {
        check_lines(&mut cells.errors, budget);
    }
    let activity_type = cells
        .text("activity_type")
        .map(|t| {
            registry
                .activity_types
                .get(&t.to_lowercase())
                .cloned()
                .unwrap_or(t)
        })
        .unwrap_or_default();
    let province_code = cells.text("province_code");
    let implementing_unit_id = match cells.text("implementing_unit_id") {
        None => 0,
        Some(cell) => match registry.unit(&cell, province_code.as_deref()) {
            Ok(id) => id,
            Err(problem) => {
                cells.errors.push(problem);
                cells.unread.insert("implementing_unit_id");
                0
            }
        },
    };
    let mut links = Vec::new();
    for (kind, value) in cells
        .text(IDENTIFIERS)
        .as_deref()
        .map(identifiers)
        .into_iter()
        .flatten()
    {
        let kind = match kind.map(str::parse::<IdentifierType>) {
            None => None,
            Some(Ok(kind)) => Some(kind),
            Some(Err(_)) => {
                cells.errors.push(error(
                    IDENTIFIERS,
                    "invalid_value",
                    format!("\"{}\" không phải loại mã định danh.", kind.unwrap_or_default()),
                    format!("\"{}\" is not an identifier type.", kind.unwrap_or_default()),
                ));
                continue;
            }
        };
        match registry.establishment(principal, kind, value) {
            Ok(beneficiary_id) => links.push(BeneficiaryLink {
                beneficiary_id,
                role: if links.is_empty() {
                    first_role
                } else {
                    BeneficiaryRole::Participant
                },
            }),
            Err(problem) => cells.errors.push(problem),
        }
    }
    let fields = Fields {
        code: cells.text("code"),
        title: cells.text("title").unwrap_or_default(),
        summary: cells.text("summary"),
        activity_type,
        funding_source: funding_source.unwrap_or(FundingSource::National),
        plan_year: plan_year.unwrap_or_default(),
        province_code,
        commune_code: cells.text("commune_code"),
        recorded_province_code_pre2025: cells.text("recorded_province_code_pre2025"),
        recorded_district_code_pre2025: cells.text("recorded_district_code_pre2025"),
        implementing_unit_id,
        planned_start,
        planned_end,
        complete_production_line,
        priority_area,
        beneficiaries: links,
    }
    .normalized();
    (Record { fields, budget }, cells)
}

/// Writes each project as the API's create and budget set would (without their audit events);
/// their ids, in the file's order.
pub fn write(
    conn: &mut DbConn,
    importer: &Importer,
    records: &[Record],
    done: &dyn Fn(u64),
) -> Result<Vec<i64>, ApiError> {
    // A code generated for an early row must not take one a later row gives by hand.
    let given: HashSet<&str> = records.iter().filter_map(|r| r.fields.code.as_deref()).collect();
    let actor = &importer.actor;
    let mut ids = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let code = loop {
            let code = assign_code(conn, &record.fields)?;
            if record.fields.code.is_some() || !given.contains(code.as_str()) {
                break code;
            }
        };
        let at = now();
        let mut row = record.fields.to_row(&draft_base(code, at));
        if let Some(budget) = &record.budget {
            row.set_budget(budget);
            row.budget_version = 1;
            row.version += 1;
        }
        let row = model::insert(conn, &row)?;
        model::replace_beneficiaries(conn, row.id, &record.fields.links())?;
        model::record_history(
            conn,
            &HistoryRow {
                to_status: Some(ProjectStatus::Draft.as_str().into()),
                ..HistoryRow::new(row.id, "created", actor, at)
            },
        )?;
        if let Some(budget) = &record.budget {
            model::insert_budget_version(
                conn,
                &BudgetVersionRow {
                    id: 0,
                    project_id: row.id,
                    budget_version: row.budget_version,
                    national_vnd: budget.national,
                    local_vnd: budget.local,
                    counterpart_vnd: budget.counterpart,
                    other_vnd: budget.other,
                    kind: "draft".to_owned(),
                    decision_number: None,
                    decision_date: None,
                    reason: None,
                    actor_username: actor.username.clone(),
                    created_at: row.updated_at,
                },
            )?;
            model::record_history(
                conn,
                &HistoryRow {
                    budget_version: Some(row.budget_version),
                    ..HistoryRow::new(row.id, "budget_set", actor, row.updated_at)
                },
            )?;
        }
        ids.push(row.id);
        if index % 100 == 99 {
            done(index as u64 + 1);
        }
    }
    done(records.len() as u64);
    Ok(ids)
}
