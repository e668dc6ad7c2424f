//! Figures over many records, summed in the database and grouped by what the ministry and the
//! provinces report by. The grouping is chosen per request, which diesel's typed queries cannot
//! express, so the statement is assembled here from fixed fragments; every value from the request
//! is a bound parameter.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::DbConn;
use crate::domain::admin_units::{Era, Region};
use crate::domain::certification::{ProductGroup, SelectionLevel};
use crate::domain::projects::{FundingSource, ProjectStatus};
use crate::error::ApiError;

/// A statement with its parameters, written with the placeholders of the connection's backend.
struct Statement {
    sql: String,
    binds: Vec<Bind>,
    postgres: bool,
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Statement {
    fn new(conn: &DbConn) -> Statement {
        Statement {
            sql: String::new(),
            binds: Vec::new(),
            postgres: matches!(conn, DbConn::Pg(_)),
        }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    fn placeholder(&mut self, bind: Bind) -> &mut Self {
        self.binds.push(bind);
        if self.postgres {
            let n = self.binds.len();
            self.sql.push_str(&format!("${n}"));
        } else {
            self.sql.push('?');
        }
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.placeholder(Bind::Text(value.to_owned()))
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.placeholder(Bind::Int(value))
    }

    /// A day: a `DATE` on PostgreSQL, ISO text (as dates are stored) on SQLite.
    fn date(&mut self, value: NaiveDate) -> &mut Self {
        let postgres = self.postgres;
        if postgres {
            self.push("CAST(");
        }
        self.text(&value.format("%Y-%m-%d").to_string());
        if postgres {
            self.push(" AS DATE)");
        }
        self
    }

    fn load<R>(self, conn: &mut DbConn) -> Result<Vec<R>, ApiError>
    where
        R: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        let Statement { sql, binds, .. } = self;
        Ok(crate::each_backend!(conn, |c| {
            let mut query = diesel::sql_query(sql).into_boxed();
            for bind in binds {
                query = match bind {
                    Bind::Text(value) => query.bind::<Text, _>(value),
                    Bind::Int(value) => query.bind::<BigInt, _>(value),
                };
            }
            diesel::RunQueryDsl::load::<R>(query, c)
        })?)
    }
}

/// What project figures can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKey {
    Year,
    Province,
    Region,
    ActivityType,
    FundingSource,
    Status,
    ImplementingUnit,
}

/// Which projects are counted.
#[derive(Debug, Clone, Default)]
pub struct ProjectScope {
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    /// The province (current units) the projects belong to; also the caller's territory.
    pub province_code: Option<String>,
    /// The region of the projects' current province.
    pub region: Option<Region>,
    pub activity_type: Option<String>,
    pub funding_source: Option<FundingSource>,
    pub statuses: Vec<ProjectStatus>,
}

/// The keys of one group of figures. Keys the request did not group by are `None`; so is the
/// province of a project recorded after the reform when grouping by the provinces before it.
#[derive(Debug, Clone, QueryableByName)]
pub struct GroupColumns {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub year: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub province_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub province_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub region: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub activity_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub funding_source: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub implementing_unit_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub implementing_unit_name: Option<String>,
}

/// One group of project figures.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProjectFigures {
    #[diesel(embed)]
    pub key: GroupColumns,
    #[diesel(sql_type = BigInt)]
    pub projects: i64,
    #[diesel(sql_type = BigInt)]
    pub approved_national: i64,
    #[diesel(sql_type = BigInt)]
    pub approved_local: i64,
    #[diesel(sql_type = BigInt)]
    pub approved_counterpart: i64,
    #[diesel(sql_type = BigInt)]
    pub approved_other: i64,
    #[diesel(sql_type = BigInt)]
    pub moved_national: i64,
    #[diesel(sql_type = BigInt)]
    pub moved_local: i64,
    #[diesel(sql_type = BigInt)]
    pub moved_counterpart: i64,
    #[diesel(sql_type = BigInt)]
    pub moved_other: i64,
    #[diesel(sql_type = BigInt)]
    pub settled_state: i64,
}

/// One indicator's figures in one group: the projects that carry it and their amounts summed
/// (an amount not given counts as nothing; the `with_*` counts say how many gave one).
#[derive(Debug, Clone, QueryableByName)]
pub struct IndicatorFigures {
    #[diesel(embed)]
    pub key: GroupColumns,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = BigInt)]
    pub projects: i64,
    #[diesel(sql_type = BigInt)]
    pub with_target: i64,
    #[diesel(sql_type = BigInt)]
    pub with_actual: i64,
    #[diesel(sql_type = BigInt)]
    pub baseline: i64,
    #[diesel(sql_type = BigInt)]
    pub target: i64,
    #[diesel(sql_type = BigInt)]
    pub actual: i64,
}

/// The expressions a key selects, in the order of `ProjectFigures`' key columns.
fn key_columns(key: ProjectKey, era: Era) -> &'static [(&'static str, &'static str)] {
    match (key, era) {
        (ProjectKey::Year, _) => &[("p.plan_year", "year")],
        (ProjectKey::Province, Era::Current) => {
            &[("p.province_code", "province_code"), ("pn.name", "province_name")]
        }
        (ProjectKey::Province, Era::Pre2025) => &[
            ("p.recorded_province_code_pre2025", "province_code"),
            ("po.name", "province_name"),
        ],
        (ProjectKey::Region, Era::Current) => &[("pn.region", "region")],
        (ProjectKey::Region, Era::Pre2025) => &[("po.region", "region")],
        (ProjectKey::ActivityType, _) => &[("p.activity_type", "activity_type")],
        (ProjectKey::FundingSource, _) => &[("p.funding_source", "funding_source")],
        (ProjectKey::Status, _) => &[("p.status", "status")],
        (ProjectKey::ImplementingUnit, _) => &[
            ("p.implementing_unit_id", "implementing_unit_id"),
            ("o.name", "implementing_unit_name"),
        ],
    }
}

const KEY_COLUMNS: &[(&str, &str)] = &[
    ("year", "BIGINT"),
    ("province_code", "TEXT"),
    ("province_name", "TEXT"),
    ("region", "TEXT"),
    ("activity_type", "TEXT"),
    ("funding_source", "TEXT"),
    ("status", "TEXT"),
    ("implementing_unit_id", "BIGINT"),
    ("implementing_unit_name", "TEXT"),
];

/// Money moved per project and source, refunds counted negative.
const MOVED_PER_PROJECT: &str = "(SELECT project_id, \
     SUM(CASE WHEN source = 'national' THEN (CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) ELSE 0 END) AS national, \
     SUM(CASE WHEN source = 'local' THEN (CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) ELSE 0 END) AS local, \
     SUM(CASE WHEN source = 'counterpart' THEN (CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) ELSE 0 END) AS counterpart, \
     SUM(CASE WHEN source = 'other' THEN (CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) ELSE 0 END) AS other \
     FROM project_disbursements GROUP BY project_id)";

fn sum(expr: &str, alias: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT) AS {alias}")
}

/// The select list of a grouping (every key column, `NULL` where not grouped) and the expressions
/// grouped by.
struct Grouping {
    columns: Vec<String>,
    exprs: Vec<&'static str>,
}

impl Grouping {
    fn new(keys: &[ProjectKey], era: Era) -> Grouping {
        let grouped: Vec<(&'static str, &'static str)> = keys
            .iter()
            .flat_map(|key| key_columns(*key, era).iter().copied())
            .collect();
        Grouping::of(KEY_COLUMNS, &grouped)
    }

    /// `all` lists every key column (alias, SQL type) of a result row; `grouped` the expressions
    /// grouped by with the alias each fills.
    fn of(all: &[(&str, &str)], grouped: &[(&'static str, &'static str)]) -> Grouping {
        let columns = all
            .iter()
            .map(
                |(alias, sql_type)| match grouped.iter().find(|(_, a)| a == alias) {
                    Some((expr, _)) => format!("{expr} AS {alias}"),
                    None => format!("CAST(NULL AS {sql_type}) AS {alias}"),
                },
            )
            .collect();
        Grouping {
            columns,
            exprs: grouped.iter().map(|(expr, _)| *expr).collect(),
        }
    }

    /// `GROUP BY` and `ORDER BY` over the keys and then `more`.
    fn push_group_order(&self, statement: &mut Statement, more: &[&str]) {
        let exprs: Vec<&str> = self.exprs.iter().chain(more).copied().collect();
        if exprs.is_empty() {
            return;
        }
        statement.push(" GROUP BY ").push(&exprs.join(", "));
        // NULL keys (a project without a pre-reform province) sort last on both backends.
        let order: Vec<String> = exprs
            .iter()
            .map(|expr| format!("CASE WHEN {expr} IS NULL THEN 1 ELSE 0 END, {expr}"))
            .collect();
        statement.push(" ORDER BY ").push(&order.join(", "));
    }
}

/// The projects with the units their keys name.
const PROJECTS: &str = " FROM projects p \
     JOIN provinces_2025 pn ON pn.code = p.province_code \
     LEFT JOIN provinces_pre2025 po ON po.code = p.recorded_province_code_pre2025 \
     LEFT JOIN organizations o ON o.id = p.implementing_unit_id";

/// The conditions of a scope, after the joins.
fn push_scope(statement: &mut Statement, scope: &ProjectScope) {
    statement.push(" WHERE 1 = 1");
    if !scope.statuses.is_empty() {
        statement.push(" AND p.status IN (");
        for (i, status) in scope.statuses.iter().enumerate() {
            if i > 0 {
                statement.push(", ");
            }
            statement.text(status.as_str());
        }
        statement.push(")");
    }
    if let Some(year) = scope.year_from {
        statement.push(" AND p.plan_year >= ").int(year);
    }
    if let Some(year) = scope.year_to {
        statement.push(" AND p.plan_year <= ").int(year);
    }
    if let Some(code) = &scope.province_code {
        statement.push(" AND p.province_code = ").text(code);
    }
    if let Some(region) = scope.region {
        statement.push(" AND pn.region = ").text(region.as_str());
    }
    if let Some(activity) = &scope.activity_type {
        statement.push(" AND p.activity_type = ").text(activity);
    }
    if let Some(source) = scope.funding_source {
        statement.push(" AND p.funding_source = ").text(source.as_str());
    }
}

/// Project counts and money per group, in the order of the keys.
pub fn project_figures(
    conn: &mut DbConn,
    keys: &[ProjectKey],
    era: Era,
    scope: &ProjectScope,
) -> Result<Vec<ProjectFigures>, ApiError> {
    let grouping = Grouping::new(keys, era);
    let mut columns = grouping.columns.clone();
    columns.push("COUNT(*) AS projects".to_owned());
    for (line, alias) in [
        ("national", "approved_national"),
        ("local", "approved_local"),
        ("counterpart", "approved_counterpart"),
        ("other", "approved_other"),
    ] {
        columns.push(sum(&format!("p.budget_{line}_vnd"), alias));
    }
    for source in ["national", "local", "counterpart", "other"] {
        columns.push(sum(
            &format!("COALESCE(m.{source}, 0)"),
            &format!("moved_{source}"),
        ));
    }
    columns.push(sum(
        "CASE WHEN p.status = 'settled' THEN COALESCE(m.national, 0) + COALESCE(m.local, 0) ELSE 0 END",
        "settled_state",
    ));

    let mut statement = Statement::new(conn);
    statement
        .push("SELECT ")
        .push(&columns.join(", "))
        .push(PROJECTS)
        .push(" LEFT JOIN ")
        .push(MOVED_PER_PROJECT)
        .push(" m ON m.project_id = p.id");
    push_scope(&mut statement, scope);
    grouping.push_group_order(&mut statement, &[]);
    statement.load(conn)
}

/// Indicator targets and actuals per group and indicator, in the order of the keys, then the code.
pub fn indicator_figures(
    conn: &mut DbConn,
    keys: &[ProjectKey],
    era: Era,
    scope: &ProjectScope,
    code: Option<&str>,
) -> Result<Vec<IndicatorFigures>, ApiError> {
    let grouping = Grouping::new(keys, era);
    let mut columns = grouping.columns.clone();
    columns.extend([
        "i.code AS code".to_owned(),
        "i.unit AS unit".to_owned(),
        "COUNT(*) AS projects".to_owned(),
        "COUNT(i.target) AS with_target".to_owned(),
        "COUNT(i.actual) AS with_actual".to_owned(),
        sum("i.baseline", "baseline"),
        sum("i.target", "target"),
        sum("i.actual", "actual"),
    ]);
    let mut statement = Statement::new(conn);
    statement
        .push("SELECT ")
        .push(&columns.join(", "))
        .push(PROJECTS)
        .push(" JOIN project_indicators i ON i.project_id = p.id");
    push_scope(&mut statement, scope);
    if let Some(code) = code {
        statement.push(" AND i.code = ").text(code);
    }
    grouping.push_group_order(&mut statement, &["i.code", "i.unit"]);
    statement.load(conn)
}

/// What certification figures can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificationKey {
    Level,
    Year,
    Province,
    Region,
    ProductGroup,
}

/// Which entries and certificates are counted. The province and region are the producer's
/// current ones: for entries, where the establishment is now; for certificates, where it was
/// when the certificate was issued (units since the reform).
#[derive(Debug, Clone, Default)]
pub struct CertificationScope {
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub level: Option<SelectionLevel>,
    pub province_code: Option<String>,
    pub region: Option<Region>,
    pub product_group: Option<ProductGroup>,
}

/// The keys of one group of certification figures; `None` where not grouped.
#[derive(Debug, Clone, QueryableByName)]
pub struct CertificationColumns {
    #[diesel(sql_type = Nullable<Text>)]
    pub level: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub year: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub province_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub province_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub region: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub product_group: Option<String>,
}

const CERTIFICATION_COLUMNS: &[(&str, &str)] = &[
    ("level", "TEXT"),
    ("year", "BIGINT"),
    ("province_code", "TEXT"),
    ("province_name", "TEXT"),
    ("region", "TEXT"),
    ("product_group", "TEXT"),
];

/// Selection entries (dossiers) of one group, as the rounds' summaries count them.
#[derive(Debug, Clone, QueryableByName)]
pub struct EntryFigures {
    #[diesel(embed)]
    pub key: CertificationColumns,
    #[diesel(sql_type = BigInt)]
    pub dossiers: i64,
    #[diesel(sql_type = BigInt)]
    pub establishments: i64,
    #[diesel(sql_type = BigInt)]
    pub scored: i64,
    #[diesel(sql_type = BigInt)]
    pub qualifying: i64,
    #[diesel(sql_type = BigInt)]
    pub recognised: i64,
    #[diesel(sql_type = BigInt)]
    pub nominated: i64,
}

/// Certificates of one group (issued by rounds or recorded from before the registry), by status
/// on a day.
#[derive(Debug, Clone, QueryableByName)]
pub struct CertificateFigures {
    #[diesel(embed)]
    pub key: CertificationColumns,
    #[diesel(sql_type = BigInt)]
    pub issued: i64,
    #[diesel(sql_type = BigInt)]
    pub active: i64,
    #[diesel(sql_type = BigInt)]
    pub expired: i64,
    #[diesel(sql_type = BigInt)]
    pub revoked: i64,
}

/// Where each key of certification figures comes from, in entries (`e`, their round `r`, product
/// `pr` and producer's province `pn`) or in certificates (`c`, `pr`, `pn`).
struct CertificationSource {
    /// The alias of the rows counted: `e` for entries, `c` for certificates.
    counted: &'static str,
    level: &'static str,
    year: &'static str,
    province: &'static str,
    region: &'static str,
}

const ENTRIES: CertificationSource = CertificationSource {
    counted: "e",
    level: "r.level",
    year: "r.year",
    province: "b.province_code",
    region: "pn.region",
};

const CERTIFICATES: CertificationSource = CertificationSource {
    counted: "c",
    level: "c.level",
    year: "c.year",
    province: "c.province_code",
    region: "c.region_code",
};

impl CertificationSource {
    fn grouping(&self, keys: &[CertificationKey]) -> Grouping {
        let grouped: Vec<(&'static str, &'static str)> = keys
            .iter()
            .flat_map(|key| match key {
                CertificationKey::Level => vec![(self.level, "level")],
                CertificationKey::Year => vec![(self.year, "year")],
                CertificationKey::Province => {
                    vec![(self.province, "province_code"), ("pn.name", "province_name")]
                }
                CertificationKey::Region => vec![(self.region, "region")],
                CertificationKey::ProductGroup => vec![("pr.product_group", "product_group")],
            })
            .collect();
        Grouping::of(CERTIFICATION_COLUMNS, &grouped)
    }

    /// The joins from entries (`e`, `r`) or certificates (`c`) to what `keys` and `scope` name:
    /// the product (`pr`) for its group, the producer (`b`, entries only) for the province, the
    /// province (`pn`) for its name and region. A join nobody reads would cost a hash of every
    /// establishment.
    fn push_joins(&self, statement: &mut Statement, keys: &[CertificationKey], scope: &CertificationScope) {
        let entries = self.counted == "e";
        let product = scope.product_group.is_some() || keys.contains(&CertificationKey::ProductGroup);
        let province_name = keys.contains(&CertificationKey::Province)
            || (entries && (scope.region.is_some() || keys.contains(&CertificationKey::Region)));
        let producer = entries && (province_name || scope.province_code.is_some());
        if product {
            statement
                .push(" JOIN products pr ON pr.id = ")
                .push(self.counted)
                .push(".product_id");
        }
        if producer {
            statement.push(" JOIN beneficiaries b ON b.id = e.beneficiary_id");
        }
        if province_name {
            statement
                .push(" JOIN provinces_2025 pn ON pn.code = ")
                .push(self.province);
        }
    }

    fn push_scope(&self, statement: &mut Statement, scope: &CertificationScope) {
        statement.push(" WHERE 1 = 1");
        if let Some(year) = scope.year_from {
            statement.push(&format!(" AND {} >= ", self.year)).int(year);
        }
        if let Some(year) = scope.year_to {
            statement.push(&format!(" AND {} <= ", self.year)).int(year);
        }
        if let Some(level) = scope.level {
            statement
                .push(&format!(" AND {} = ", self.level))
                .text(level.as_str());
        }
        if let Some(code) = &scope.province_code {
            statement.push(&format!(" AND {} = ", self.province)).text(code);
        }
        if let Some(region) = scope.region {
            statement
                .push(&format!(" AND {} = ", self.region))
                .text(region.as_str());
        }
        if let Some(group) = scope.product_group {
            statement.push(" AND pr.product_group = ").text(group.as_str());
        }
    }
}

/// Entries per group: dossiers, distinct establishments, entries scored and qualifying (the
/// average of the judges' totals reaching the round's qualifying score, compared exactly),
/// recognised (holding a certificate of the round) and nominated (their certificate is the basis
/// of an entry at the next level).
pub fn entry_figures(
    conn: &mut DbConn,
    keys: &[CertificationKey],
    scope: &CertificationScope,
) -> Result<Vec<EntryFigures>, ApiError> {
    let grouping = ENTRIES.grouping(keys);
    let mut columns = grouping.columns.clone();
    columns.extend([
        "COUNT(*) AS dossiers".to_owned(),
        "COUNT(DISTINCT e.beneficiary_id) AS establishments".to_owned(),
        sum("CASE WHEN sc.judges IS NOT NULL THEN 1 ELSE 0 END", "scored"),
        sum(
            "CASE WHEN sc.total >= r.qualifying_score * sc.judges THEN 1 ELSE 0 END",
            "qualifying",
        ),
        sum("CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END", "recognised"),
        sum(
            "CASE WHEN c.id IS NOT NULL AND EXISTS \
             (SELECT 1 FROM selection_entries n WHERE n.basis_certificate_id = c.id) THEN 1 ELSE 0 END",
            "nominated",
        ),
    ]);
    let mut statement = Statement::new(conn);
    statement.push("SELECT ").push(&columns.join(", ")).push(
        " FROM selection_entries e \
             JOIN selection_rounds r ON r.id = e.round_id \
             LEFT JOIN (SELECT entry_id, SUM(total) AS total, COUNT(*) AS judges \
                 FROM selection_scores GROUP BY entry_id) sc ON sc.entry_id = e.id \
             LEFT JOIN certificates c ON c.entry_id = e.id",
    );
    ENTRIES.push_joins(&mut statement, keys, scope);
    ENTRIES.push_scope(&mut statement, scope);
    grouping.push_group_order(&mut statement, &[]);
    statement.load(conn)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// The establishments behind the entries in `scope`, each counted once however many groups its
/// entries fall in: the one total that is not the sum of the groups'.
pub fn entry_establishments(conn: &mut DbConn, scope: &CertificationScope) -> Result<i64, ApiError> {
    let mut statement = Statement::new(conn);
    statement.push(
        "SELECT COUNT(DISTINCT e.beneficiary_id) AS count FROM selection_entries e \
         JOIN selection_rounds r ON r.id = e.round_id",
    );
    ENTRIES.push_joins(&mut statement, &[], scope);
    ENTRIES.push_scope(&mut statement, scope);
    let rows: Vec<Count> = statement.load(conn)?;
    Ok(rows.first().map_or(0, |row| row.count))
}

/// Certificates per group, with their status on `day`: revoked, else expired after their last
/// valid day, else active.
pub fn certificate_figures(
    conn: &mut DbConn,
    keys: &[CertificationKey],
    scope: &CertificationScope,
    day: NaiveDate,
) -> Result<Vec<CertificateFigures>, ApiError> {
    let grouping = CERTIFICATES.grouping(keys);
    let mut statement = Statement::new(conn);
    statement
        .push("SELECT ")
        .push(&grouping.columns.join(", "))
        .push(", COUNT(*) AS issued, ")
        .push("CAST(COALESCE(SUM(CASE WHEN c.revoked_at IS NULL AND c.valid_until >= ")
        .date(day)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS active, ")
        .push("CAST(COALESCE(SUM(CASE WHEN c.revoked_at IS NULL AND c.valid_until < ")
        .date(day)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS expired, ")
        .push(&sum(
            "CASE WHEN c.revoked_at IS NOT NULL THEN 1 ELSE 0 END",
            "revoked",
        ));
    statement.push(" FROM certificates c");
    CERTIFICATES.push_joins(&mut statement, keys, scope);
    CERTIFICATES.push_scope(&mut statement, scope);
    grouping.push_group_order(&mut statement, &[]);
    statement.load(conn)
}

/// Statuses from approval on, except the ones that ended without the work (returned projects go
/// back before approval; cancelled ones are not counted).
const APPROVED_ON: &str = "('approved', 'in_progress', 'suspended', 'accepted', 'settled')";
const ACCEPTED_ON: &str = "('accepted', 'settled')";

/// What the projects of a programme's period did, per province and activity type.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProgrammeActuals {
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Text)]
    pub activity_type: String,
    #[diesel(sql_type = BigInt)]
    pub approved: i64,
    #[diesel(sql_type = BigInt)]
    pub accepted: i64,
    #[diesel(sql_type = BigInt)]
    pub approved_vnd: i64,
    #[diesel(sql_type = BigInt)]
    pub disbursed_vnd: i64,
}

/// Projects approved (and later) of plan years `years` funded by `source` (in `province` only,
/// when given), per province and activity type: how many, how many of them accepted, the money of
/// `source` approved for them and moved to them.
pub fn programme_actuals(
    conn: &mut DbConn,
    years: (i64, i64),
    source: FundingSource,
    province: Option<&str>,
) -> Result<Vec<ProgrammeActuals>, ApiError> {
    let line = match source {
        FundingSource::National => "national",
        FundingSource::Local => "local",
    };
    let mut statement = Statement::new(conn);
    statement
        .push("SELECT p.province_code AS province_code, p.activity_type AS activity_type, ")
        .push("COUNT(*) AS approved")
        .push(", ")
        .push(&sum(
            &format!("CASE WHEN p.status IN {ACCEPTED_ON} THEN 1 ELSE 0 END"),
            "accepted",
        ))
        .push(", ")
        .push(&sum(&format!("p.budget_{line}_vnd"), "approved_vnd"))
        .push(", ")
        .push(&sum("COALESCE(m.moved, 0)", "disbursed_vnd"))
        // Only the programme's source is summed: the other sources' movements are most of the
        // table, and summing them too doubled the statement's time.
        .push(
            " FROM projects p LEFT JOIN (SELECT project_id, \
             SUM(CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) AS moved \
             FROM project_disbursements WHERE source = ",
        )
        .text(line)
        .push(" GROUP BY project_id) m ON m.project_id = p.id WHERE p.status IN ")
        .push(APPROVED_ON)
        .push(" AND p.plan_year >= ")
        .int(years.0)
        .push(" AND p.plan_year <= ")
        .int(years.1)
        .push(" AND p.funding_source = ")
        .text(source.as_str());
    if let Some(code) = province {
        statement.push(" AND p.province_code = ").text(code);
    }
    statement.push(" GROUP BY p.province_code, p.activity_type ORDER BY p.province_code, p.activity_type");
    statement.load(conn)
}
