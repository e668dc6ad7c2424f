//! `khuyencong seed`: fills an empty registry with a synthetic but realistic programme, for
//! benchmarks and demonstrations.
//!
//! A [`Plan`] says how many records of each kind to make; [`Plan::at_scale`] takes it from a
//! multiple of the programme's national yearly volume (scale 100 ≈ 100,000 establishments, 50,000
//! projects, 30,000 products, 2,000 selection rounds and 20,000 certificates). [`generate`] makes
//! the rows in memory from the plan, a seed and the reference data of the database (the same seed
//! and plan give the same rows, ids included, on an empty database); [`run`] checks the database
//! is empty, generates and writes. Every row follows the rules the API enforces: the generators
//! use the API's own derivations (search and duplicate keys) and the domain's checks (tax-code
//! check digits, support caps, money movements, the lifecycle, eligibility and scores).
//!
//! Files: `names` (Vietnamese names and wording), `codes` (identifiers and numbers), `calendar`
//! (the generated history's days), `places` (reference data), one generator per family
//! (`beneficiaries`, `projects`, `certification`, `accounts`), `rows` (the rows as written) and
//! `write` (COPY or batched INSERT).

pub mod accounts;
pub mod beneficiaries;
pub mod calendar;
pub mod certification;
pub mod codes;
pub mod names;
pub mod places;
pub mod projects;
pub mod rows;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::db::schema::{
    beneficiaries as beneficiaries_table, beneficiary_annual_figures, certificates, organizations, products,
    project_budget_versions, project_disbursements, project_history, project_indicators,
    projects as projects_table, selection_entries, selection_rounds, users,
};
use crate::db::{Db, DbConn};
use crate::error::ApiError;

/// The largest scale taken: 10,000 × the national volume is ten million establishments, more than
/// a machine holds in memory while generating.
pub const MAX_SCALE: f64 = 10_000.0;

/// How many records of each kind to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub establishments: usize,
    pub projects: usize,
    pub products: usize,
    pub rounds: usize,
    pub certificates: usize,
    /// Jury members the rounds draw from.
    pub judges: usize,
}

impl Plan {
    /// `scale` × the programme's national yearly volume: per unit of scale 1,000 establishments,
    /// 500 projects, 300 products, 20 selection rounds and 200 certificates (at least one of each).
    pub fn at_scale(scale: f64) -> Result<Plan, SeedError> {
        if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
            return Err(SeedError::InvalidScale(scale));
        }
        let per = |unit: f64| ((unit * scale).round() as usize).max(1);
        Ok(Plan {
            establishments: per(1_000.0),
            projects: per(500.0),
            products: per(300.0),
            rounds: per(20.0),
            certificates: per(200.0),
            judges: ((scale / 2.0).ceil() as usize).clamp(5, 200),
        })
    }
}

/// What `khuyencong seed` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub scale: f64,
    pub seed: u64,
    /// Password of the benchmark accounts (`bench-admin`, `bench-ministry`, `bench-auditor`,
    /// `bench-province`, `bench-commune`) and of the jury accounts; without it no benchmark
    /// account is made and jury accounts cannot sign in.
    pub password: Option<String>,
    /// Draw a progress bar on standard error (it hides itself when that is not a terminal).
    pub progress: bool,
    pub policy: Policy,
}

impl Options {
    pub fn new(scale: f64, seed: u64) -> Options {
        Options {
            scale,
            seed,
            password: None,
            progress: false,
            policy: Policy::default(),
        }
    }
}

/// The policy values the API reads from its configuration and the seeded rows must follow.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// `ADVANCE_SHARE_PERCENT`: advances before acceptance, as a share of the state support.
    pub advance_share_percent: i64,
    /// `SELECTION_QUALIFYING_SCORE`.
    pub qualifying_score: i64,
    /// `CERTIFICATE_VALIDITY_YEARS`.
    pub certificate_validity_years: i32,
}

impl Default for Policy {
    /// The legal defaults (as in the configuration).
    fn default() -> Policy {
        Policy {
            advance_share_percent: 70,
            qualifying_score: 70,
            certificate_validity_years: 3,
        }
    }
}

impl From<&crate::config::Config> for Policy {
    fn from(config: &crate::config::Config) -> Policy {
        Policy {
            advance_share_percent: config.advance_share_percent,
            qualifying_score: config.selection_qualifying_score,
            certificate_validity_years: config.certificate_validity_years,
        }
    }
}

/// Why a seed did not run.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the scale must be a number above 0 and at most {MAX_SCALE}, not {0}")]
    InvalidScale(f64),
    #[error(
        "the database already holds records ({rows} in {table}); seed an empty database (a new file or a new PostgreSQL database)"
    )]
    NotEmpty { table: &'static str, rows: i64 },
    #[error("the username {0} is taken already; seed a database without it")]
    UsernameTaken(String),
    #[error("the password is refused: {0}")]
    WeakPassword(String),
    #[error(
        "the reference data (administrative units, activity types) is not loaded; run the migrations first"
    )]
    NoReferenceData,
    #[error("database error: {0}")]
    Database(String),
}

impl From<diesel::result::Error> for SeedError {
    fn from(e: diesel::result::Error) -> SeedError {
        SeedError::Database(e.to_string())
    }
}

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> SeedError {
        SeedError::Database(e.internal.clone().unwrap_or_else(|| e.detail.en.to_string()))
    }
}

/// Where each table's ids start: one past the largest id stored (1 on an empty database).
#[derive(Debug, Clone, Copy)]
pub struct StartIds {
    pub user: i64,
    pub organization: i64,
    pub beneficiary: i64,
    pub annual_figures: i64,
    pub project: i64,
    pub history: i64,
    pub budget_version: i64,
    pub disbursement: i64,
    pub indicator: i64,
    pub product: i64,
    pub round: i64,
    pub entry: i64,
    pub certificate: i64,
}

impl Default for StartIds {
    fn default() -> StartIds {
        StartIds {
            user: 1,
            organization: 1,
            beneficiary: 1,
            annual_figures: 1,
            project: 1,
            history: 1,
            budget_version: 1,
            disbursement: 1,
            indicator: 1,
            product: 1,
            round: 1,
            entry: 1,
            certificate: 1,
        }
    }
}

macro_rules! next_id {
    ($conn:expr, $table:ident) => {
        $table::table
            .select(diesel::dsl::max($table::id))
            .first::<Option<i64>>($conn)?
            .unwrap_or(0)
            + 1
    };
}

impl StartIds {
    pub fn of(conn: &mut DbConn) -> Result<StartIds, SeedError> {
        Ok(StartIds {
            user: next_id!(conn, users),
            organization: next_id!(conn, organizations),
            beneficiary: next_id!(conn, beneficiaries_table),
            annual_figures: next_id!(conn, beneficiary_annual_figures),
            project: next_id!(conn, projects_table),
            history: next_id!(conn, project_history),
            budget_version: next_id!(conn, project_budget_versions),
            disbursement: next_id!(conn, project_disbursements),
            indicator: next_id!(conn, project_indicators),
            product: next_id!(conn, products),
            round: next_id!(conn, selection_rounds),
            entry: next_id!(conn, selection_entries),
            certificate: next_id!(conn, certificates),
        })
    }
}

/// Everything generated, ready to be written.
#[derive(Debug, Default)]
pub struct Dataset {
    pub accounts: accounts::Accounts,
    pub establishments: beneficiaries::Establishments,
    pub projects: projects::Projects,
    pub certification: certification::Certification,
}

impl Dataset {
    /// Rows per table, in the order they are written.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("users", self.accounts.users.len()),
            ("organizations", self.projects.organizations.len()),
            ("beneficiaries", self.establishments.rows.len()),
            ("beneficiary_personal_data", self.establishments.personal.len()),
            ("beneficiary_annual_figures", self.establishments.figures.len()),
            ("projects", self.projects.projects.len()),
            ("project_beneficiaries", self.projects.links.len()),
            ("project_history", self.projects.history.len()),
            ("project_budget_versions", self.projects.budget_versions.len()),
            ("project_disbursements", self.projects.disbursements.len()),
            ("project_indicators", self.projects.indicators.len()),
            ("project_code_sequences", self.projects.code_sequences.len()),
            ("products", self.certification.products.len()),
            ("selection_rounds", self.certification.rounds.len()),
            ("selection_round_judges", self.certification.judges.len()),
            ("selection_entries", self.certification.entries.len()),
            ("selection_scores", self.certification.scores.len()),
            ("certificates", self.certification.certificates.len()),
            (
                "certificate_number_sequences",
                self.certification.number_sequences.len(),
            ),
        ]
    }
}

/// A random stream per family of records, so that a change to one generator leaves the others'
/// rows as they were.
fn stream(seed: u64, family: u64) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(family))
}

/// Makes the rows of `plan` in memory. Deterministic: the same plan, seed, reference data, start
/// ids and password give the same rows.
pub fn generate(
    plan: &Plan,
    seed: u64,
    reference: &places::Reference,
    start: &StartIds,
    policy: &Policy,
    password: Option<&str>,
) -> Dataset {
    let atlas = places::Atlas::new(reference);
    let mut issued = codes::Issued::default();
    let establishments = beneficiaries::generate(
        &mut stream(seed, 1),
        &atlas,
        &mut issued,
        plan.establishments,
        start.beneficiary,
        start.annual_figures,
    );
    let accounts = accounts::generate(
        &mut stream(seed, 2),
        plan.judges,
        password,
        &bench_units(&establishments, &atlas),
        start.user,
    );
    let projects = projects::generate(
        &mut stream(seed, 3),
        &atlas,
        &mut issued,
        &establishments,
        plan.projects,
        projects::FirstIds {
            organization: start.organization,
            project: start.project,
            history: start.history,
            budget_version: start.budget_version,
            disbursement: start.disbursement,
            indicator: start.indicator,
        },
        policy.advance_share_percent,
    );
    let certification = certification::generate(
        &mut stream(seed, 4),
        &atlas,
        &mut issued,
        &establishments,
        &accounts.judges,
        certification::Counts {
            products: plan.products,
            rounds: plan.rounds,
            certificates: plan.certificates,
        },
        certification::FirstIds {
            product: start.product,
            round: start.round,
            entry: start.entry,
            certificate: start.certificate,
        },
        certification::Policy {
            qualifying_score: policy.qualifying_score,
            validity_years: policy.certificate_validity_years,
        },
    );
    Dataset {
        accounts,
        establishments,
        projects,
        certification,
    }
}

/// The province with the most establishments and its commune with the most: the units the
/// benchmark province and commune accounts work in.
fn bench_units(
    establishments: &beneficiaries::Establishments,
    atlas: &places::Atlas<'_>,
) -> accounts::BenchUnits {
    let mut provinces: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &establishments.info {
        *provinces.entry(e.province_code.as_str()).or_default() += 1;
    }
    let fallback = atlas
        .reference
        .communes
        .first()
        .map(|c| (c.province_code.clone(), c.code.clone()))
        .unwrap_or_default();
    let Some((province, _)) = provinces
        .iter()
        .max_by_key(|(code, n)| (**n, std::cmp::Reverse(**code)))
    else {
        return accounts::BenchUnits {
            province_code: fallback.0,
            commune_code: fallback.1,
        };
    };
    let mut communes: BTreeMap<&str, usize> = BTreeMap::new();
    for e in establishments
        .info
        .iter()
        .filter(|e| e.province_code == *province)
    {
        *communes.entry(e.commune_code.as_str()).or_default() += 1;
    }
    let commune = communes
        .iter()
        .max_by_key(|(code, n)| (**n, std::cmp::Reverse(**code)))
        .map(|(code, _)| (*code).to_owned())
        .unwrap_or(fallback.1);
    accounts::BenchUnits {
        province_code: (*province).to_owned(),
        commune_code: commune,
    }
}

/// What a seed wrote and how long it took.
#[derive(Debug, Clone)]
pub struct Summary {
    pub scale: f64,
    pub seed: u64,
    pub rows: Vec<(&'static str, usize)>,
    pub generating: Duration,
    pub writing: Duration,
    pub backend: &'static str,
}

impl Summary {
    pub fn total_rows(&self) -> usize {
        self.rows.iter().map(|(_, n)| n).sum()
    }

    pub fn rows_in(&self, table: &str) -> usize {
        self.rows.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seeded scale {} (seed {}) on {} in {:.1} s (generating {:.1} s, writing {:.1} s)",
            self.scale,
            self.seed,
            self.backend,
            (self.generating + self.writing).as_secs_f64(),
            self.generating.as_secs_f64(),
            self.writing.as_secs_f64()
        )?;
        for (table, rows) in &self.rows {
            writeln!(f, "  {table:<30} {rows:>10}")?;
        }
        write!(f, "  {:<30} {:>10}", "total", self.total_rows())
    }
}

/// The progress bar: a spinner while generating, then rows written out of the total.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(visible: bool) -> Progress {
        let bar = if visible {
            // indicatif draws on standard error only when it is a terminal.
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar }
    }

    fn writing(&self, total: usize) {
        // Rates and the estimate count from here, not from the start of generation.
        self.bar.reset();
        self.bar.set_length(total as u64);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:<28} [{wide_bar}] {percent:>3}% {human_pos} rows, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
    }

    fn table(&self, name: &str) {
        self.bar.set_message(name.to_owned());
    }

    fn advance(&self, rows: usize) {
        self.bar.inc(rows as u64);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The registry tables that must be empty for a seed (it gives ids and codes of its own).
fn ensure_empty(conn: &mut DbConn) -> Result<(), SeedError> {
    let counts: [(&'static str, i64); 5] = [
        (
            "beneficiaries",
            beneficiaries_table::table.count().get_result(conn)?,
        ),
        ("projects", projects_table::table.count().get_result(conn)?),
        ("products", products::table.count().get_result(conn)?),
        (
            "selection_rounds",
            selection_rounds::table.count().get_result(conn)?,
        ),
        ("certificates", certificates::table.count().get_result(conn)?),
    ];
    match counts.into_iter().find(|(_, rows)| *rows > 0) {
        Some((table, rows)) => Err(SeedError::NotEmpty { table, rows }),
        None => Ok(()),
    }
}

/// Seeds the database behind `db` (migrated, with its reference data) as `options` say.
pub fn run(db: &Db, options: &Options) -> Result<Summary, SeedError> {
    let plan = Plan::at_scale(options.scale)?;
    if let Some(password) = &options.password {
        accounts::check_password(password).map_err(|e| SeedError::WeakPassword(e.message.en.to_string()))?;
    }
    let mut pooled = db.get()?;
    let conn: &mut DbConn = &mut pooled;
    ensure_empty(conn)?;
    let wanted = accounts::usernames(plan.judges, options.password.is_some());
    let taken: Vec<String> = users::table
        .filter(users::username.eq_any(&wanted))
        .select(users::username)
        .order(users::username)
        .load(conn)?;
    if let Some(name) = taken.into_iter().next() {
        return Err(SeedError::UsernameTaken(name));
    }
    let reference = places::Reference::load(conn)?;
    if reference.communes.is_empty() || reference.activity_types.is_empty() {
        return Err(SeedError::NoReferenceData);
    }
    let start = StartIds::of(conn)?;

    let progress = Progress::new(options.progress);
    progress.table(&format!(
        "generating scale {} (seed {})",
        options.scale, options.seed
    ));
    let started = Instant::now();
    let data = generate(
        &plan,
        options.seed,
        &reference,
        &start,
        &options.policy,
        options.password.as_deref(),
    );
    let generating = started.elapsed();
    let rows = data.counts();
    progress.writing(rows.iter().map(|(_, n)| n).sum());
    let started = Instant::now();
    let written = write::write(conn, &data, &progress);
    progress.finish();
    written?;
    Ok(Summary {
        scale: options.scale,
        seed: options.seed,
        rows,
        generating,
        writing: started.elapsed(),
        backend: match conn {
            DbConn::Pg(_) => "PostgreSQL",
            DbConn::Sqlite(_) => "SQLite",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_scale_and_absurd_scales_are_refused() {
        let hundred = Plan::at_scale(100.0).unwrap();
        assert_eq!(
            (
                hundred.establishments,
                hundred.projects,
                hundred.products,
                hundred.rounds,
                hundred.certificates
            ),
            (100_000, 50_000, 30_000, 2_000, 20_000)
        );
        let small = Plan::at_scale(0.05).unwrap();
        assert_eq!((small.establishments, small.projects, small.rounds), (50, 25, 1));
        for scale in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_SCALE * 2.0] {
            assert!(matches!(Plan::at_scale(scale), Err(SeedError::InvalidScale(_))));
        }
    }
}
