//! Figures over many records, summed in the database and grouped by what the ministry and the
//! provinces report by. The grouping is chosen per request, which diesel's typed queries cannot
//! express, so the statement is assembled here from fixed fragments; every value from the request
//! is a bound parameter.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::DbConn;
use crate::domain::admin_units::{Era, Region};
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

/// One group of project figures. Keys the request did not group by are `None`; so is the province
/// of a project recorded after the reform when grouping by the provinces before it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProjectFigures {
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

/// Project counts and money per group, in the order of the keys.
pub fn project_figures(
    conn: &mut DbConn,
    keys: &[ProjectKey],
    era: Era,
    scope: &ProjectScope,
) -> Result<Vec<ProjectFigures>, ApiError> {
    let grouped: Vec<(&str, &str)> = keys
        .iter()
        .flat_map(|key| key_columns(*key, era).iter().copied())
        .collect();
    let mut columns = Vec::new();
    for (alias, sql_type) in KEY_COLUMNS {
        match grouped.iter().find(|(_, a)| a == alias) {
            Some((expr, _)) => columns.push(format!("{expr} AS {alias}")),
            None => columns.push(format!("CAST(NULL AS {sql_type}) AS {alias}")),
        }
    }
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
        .push(
            " FROM projects p \
             JOIN provinces_2025 pn ON pn.code = p.province_code \
             LEFT JOIN provinces_pre2025 po ON po.code = p.recorded_province_code_pre2025 \
             LEFT JOIN organizations o ON o.id = p.implementing_unit_id \
             LEFT JOIN ",
        )
        .push(MOVED_PER_PROJECT)
        .push(" m ON m.project_id = p.id WHERE 1 = 1");
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
    if !grouped.is_empty() {
        let exprs: Vec<&str> = grouped.iter().map(|(expr, _)| *expr).collect();
        statement.push(" GROUP BY ").push(&exprs.join(", "));
        // NULL keys (a project without a pre-reform province) sort last on both backends.
        let order: Vec<String> = exprs
            .iter()
            .map(|expr| format!("CASE WHEN {expr} IS NULL THEN 1 ELSE 0 END, {expr}"))
            .collect();
        statement.push(" ORDER BY ").push(&order.join(", "));
    }
    statement.load(conn)
}
