//! `khuyencong seed`: fills an empty registry with a synthetic but realistic programme, for
//! benchmarks and demonstrations.
//!
//! A [`Plan`] says how many records of each kind to make; [`Plan::at_scale`] takes it from a
//! multiple of the programme's national yearly volume (scale 100 ≈ 100,000 establishments, 50,000
//! projects, 30,000 products, 2,000 selection rounds and 20,000 certificates), [`demo::plan`] is
//! the small data set of `--demo`. A [`Coverage`] says what a data set must show whatever the
//! draws (nothing for `--scale`; every legal form, project state and round level for `--demo`).
//! [`generate`] makes the rows in memory from the plan, the coverage, a seed and the reference
//! data of the database (the same inputs give the same rows, ids included, on an empty database);
//! [`run`] checks the database is empty, generates and writes. Every row follows the rules the API enforces: the generators
//! use the API's own derivations (search and duplicate keys) and the domain's checks (tax-code
//! check digits, support caps, money movements, the lifecycle, eligibility and scores).
//!
//! Files: `names` (Vietnamese names and wording), `codes` (identifiers and numbers), `calendar`
//! (the generated history's days), `places` (reference data), one generator per family
//! (`beneficiaries`, `projects`, `programmes`, `certification`, `accounts`), `demo` (the choices
//! of `--demo`), `rows` (the rows as written) and `write` (COPY or batched INSERT).

pub mod accounts;
pub mod beneficiaries;
pub mod calendar;
pub mod certification;
pub mod codes;
pub mod demo;
pub mod names;
pub mod places;
pub mod programmes;
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

use crate::auth::Role;
use crate::auth::passwords;
use crate::db::schema::{
    beneficiaries as beneficiaries_table, beneficiary_annual_figures, certificates, organizations, products,
    programme_targets, programmes as programmes_table, project_budget_versions, project_disbursements,
    project_history, project_indicators, projects as projects_table, selection_entries, selection_rounds,
    users,
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
    /// Programmes with targets: the national ones first, then provincial ones.
    pub programmes: usize,
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
            // Benchmarks record their own programme through the API.
            programmes: 0,
        })
    }
}

/// What a data set must show whatever the draws: knobs the generators read. The default forces
/// nothing (`--scale`).
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// The first establishments take each legal form in turn.
    pub every_legal_form: bool,
    /// The first projects stop in each state of the lifecycle in turn.
    pub every_project_status: bool,
    /// The selection rounds to hold, in place of drawn ones (none: draw them).
    pub rounds: Vec<certification::RoundSpec>,
    /// Every round is held where a product can enter, and one that is published recognises at
    /// least one product.
    pub recognise_every_round: bool,
    /// Communes whose units before the reform are known (by current commune code): records of
    /// establishments there carry them.
    pub former_units: BTreeMap<String, places::FormerUnit>,
}

/// Which data set `khuyencong seed` makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataSet {
    /// `--scale N`: a multiple of the national yearly volume, for benchmarks.
    Scale(f64),
    /// `--demo`: a small data set that shows every part of the API.
    Demo,
}

/// What `khuyencong seed` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub data_set: DataSet,
    pub seed: u64,
    /// Password of the accounts per role (`bench-admin`, `bench-ministry`, `bench-auditor`,
    /// `bench-province`, `bench-commune`; `demo-…` for the demo) and of the jury accounts.
    /// Without it, `--scale` makes no account per role and its jury accounts cannot sign in;
    /// `--demo` generates one (returned in the [`Summary`]).
    pub password: Option<String>,
    /// Draw a progress bar on standard error (it hides itself when that is not a terminal).
    pub progress: bool,
    pub policy: Policy,
}

impl Options {
    pub fn new(scale: f64, seed: u64) -> Options {
        Options {
            data_set: DataSet::Scale(scale),
            seed,
            password: None,
            progress: false,
            policy: Policy::default(),
        }
    }

    /// The demo data set.
    pub fn demo(seed: u64) -> Options {
        Options {
            data_set: DataSet::Demo,
            ..Options::new(1.0, seed)
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
    pub programme: i64,
    pub programme_target: i64,
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
            programme: 1,
            programme_target: 1,
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
            programme: next_id!(conn, programmes_table),
            programme_target: next_id!(conn, programme_targets),
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
    pub programmes: programmes::Programmes,
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
            ("programmes", self.programmes.programmes.len()),
            ("programme_targets", self.programmes.targets.len()),
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

/// Makes the rows of `plan` in memory. Deterministic: the same plan, coverage, seed, reference
/// data, start ids and password give the same rows. `staff` names the accounts per role made
/// when a password is given.
#[expect(
    clippy::too_many_arguments,
    reason = "every input of a data set, each named where it is called"
)]
pub fn generate(
    plan: &Plan,
    coverage: &Coverage,
    seed: u64,
    reference: &places::Reference,
    start: &StartIds,
    policy: &Policy,
    password: Option<&str>,
    staff: accounts::Staff,
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
        coverage,
    );
    let accounts = accounts::generate(
        &mut stream(seed, 2),
        plan.judges,
        password,
        staff,
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
        coverage,
    );
    let programmes = programmes::generate(
        &mut stream(seed, 5),
        &atlas,
        &projects,
        plan.programmes,
        programmes::FirstIds {
            programme: start.programme,
            target: start.programme_target,
        },
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
        coverage,
    );
    Dataset {
        accounts,
        establishments,
        projects,
        programmes,
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

/// An account a seed made that can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub username: String,
    pub role: String,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
}

/// What a seed wrote and how long it took.
#[derive(Clone)]
pub struct Summary {
    pub data_set: DataSet,
    pub seed: u64,
    pub rows: Vec<(&'static str, usize)>,
    pub generating: Duration,
    pub writing: Duration,
    pub backend: &'static str,
    /// The provinces the records lie in, each with the pre-2025 provinces that became it (for the
    /// demo; empty for `--scale`, whose records lie everywhere).
    pub provinces: Vec<String>,
    /// The accounts that can sign in (none without a password).
    pub accounts: Vec<SignIn>,
    /// The password generated for the demo when none was given, for the caller to show once.
    pub generated_password: Option<String>,
}

impl fmt::Debug for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The generated password is a secret: it is shown once, on purpose, not in debug output.
        f.debug_struct("Summary")
            .field("data_set", &self.data_set)
            .field("seed", &self.seed)
            .field("rows", &self.rows)
            .field("backend", &self.backend)
            .field("provinces", &self.provinces)
            .field("accounts", &self.accounts)
            .field(
                "generated_password",
                &self.generated_password.as_ref().map(|_| "…"),
            )
            .finish_non_exhaustive()
    }
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
        let what = match self.data_set {
            DataSet::Scale(scale) => format!("scale {scale}"),
            DataSet::Demo => "the demo data set".to_owned(),
        };
        writeln!(
            f,
            "seeded {what} (seed {}) on {} in {:.1} s (generating {:.1} s, writing {:.1} s)",
            self.seed,
            self.backend,
            (self.generating + self.writing).as_secs_f64(),
            self.generating.as_secs_f64(),
            self.writing.as_secs_f64()
        )?;
        if !self.provinces.is_empty() {
            writeln!(f, "in the provinces (current units; before 1 July 2025):")?;
            for province in &self.provinces {
                writeln!(f, "  {province}")?;
            }
        }
        for (table, rows) in self.rows.iter().filter(|(_, rows)| *rows > 0) {
            writeln!(f, "  {table:<30} {rows:>10}")?;
        }
        write!(f, "  {:<30} {:>10}", "total", self.total_rows())?;
        let (judges, staff): (Vec<&SignIn>, Vec<&SignIn>) =
            self.accounts.iter().partition(|a| a.role == Role::Judge.as_str());
        if !staff.is_empty() {
            write!(f, "\naccounts (sign in with POST /api/v1/auth/login):")?;
            for account in staff {
                let unit = match (&account.province_code, &account.commune_code) {
                    (Some(province), Some(commune)) => format!(" (province {province}, commune {commune})"),
                    (Some(province), None) => format!(" (province {province})"),
                    _ => String::new(),
                };
                write!(f, "\n  {:<16} {}{unit}", account.username, account.role)?;
            }
        }
        if let (Some(first), Some(last)) = (judges.first(), judges.last()) {
            write!(
                f,
                "\n  {} … {} {}",
                first.username,
                last.username,
                Role::Judge.as_str()
            )?;
        }
        Ok(())
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
    let counts: [(&'static str, i64); 6] = [
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
        ("programmes", programmes_table::table.count().get_result(conn)?),
    ];
    match counts.into_iter().find(|(_, rows)| *rows > 0) {
        Some((table, rows)) => Err(SeedError::NotEmpty { table, rows }),
        None => Ok(()),
    }
}

/// Seeds the database behind `db` (migrated, with its reference data) as `options` say.
pub fn run(db: &Db, options: &Options) -> Result<Summary, SeedError> {
    let (plan, staff) = match options.data_set {
        DataSet::Scale(scale) => (Plan::at_scale(scale)?, accounts::Staff::Benchmark),
        DataSet::Demo => (demo::plan(), accounts::Staff::Demo),
    };
    if let Some(password) = &options.password {
        accounts::check_password(password).map_err(|e| SeedError::WeakPassword(e.message.en.to_string()))?;
    }
    // A demo is for signing in: without a password given, it makes one.
    let generated_password =
        (options.data_set == DataSet::Demo && options.password.is_none()).then(passwords::generate);
    let password = options.password.clone().or_else(|| generated_password.clone());
    let mut pooled = db.get()?;
    let conn: &mut DbConn = &mut pooled;
    ensure_empty(conn)?;
    let wanted = accounts::usernames(plan.judges, password.is_some().then_some(staff));
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
    let (reference, coverage) = match options.data_set {
        DataSet::Scale(_) => (reference, Coverage::default()),
        DataSet::Demo => {
            let places = demo::places(&reference);
            let coverage = demo::coverage(&places);
            (places, coverage)
        }
    };
    let start = StartIds::of(conn)?;

    let progress = Progress::new(options.progress);
    progress.table(&match options.data_set {
        DataSet::Scale(scale) => format!("generating scale {scale} (seed {})", options.seed),
        DataSet::Demo => format!("generating the demo data set (seed {})", options.seed),
    });
    let started = Instant::now();
    let data = generate(
        &plan,
        &coverage,
        options.seed,
        &reference,
        &start,
        &options.policy,
        password.as_deref(),
        staff,
    );
    let generating = started.elapsed();
    let rows = data.counts();
    progress.writing(rows.iter().map(|(_, n)| n).sum());
    let started = Instant::now();
    let written = write::write(conn, &data, &progress);
    progress.finish();
    written?;
    let provinces = match options.data_set {
        DataSet::Scale(_) => Vec::new(),
        DataSet::Demo => province_notes(&reference),
    };
    let accounts = data
        .accounts
        .users
        .iter()
        .filter(|u| u.password_hash != accounts::NO_PASSWORD)
        .map(|u| SignIn {
            username: u.username.clone(),
            role: u.role.clone(),
            province_code: u.province_code.clone(),
            commune_code: u.commune_code.clone(),
        })
        .collect();
    Ok(Summary {
        data_set: options.data_set,
        seed: options.seed,
        rows,
        generating,
        writing: started.elapsed(),
        backend: match conn {
            DbConn::Pg(_) => "PostgreSQL",
            DbConn::Sqlite(_) => "SQLite",
        },
        provinces,
        accounts,
        generated_password,
    })
}

/// "24 Bắc Ninh ← 24 Bắc Giang, 27 Bắc Ninh": each province of `reference` with the pre-2025
/// provinces that became it (a code is only meaningful with its era).
fn province_notes(reference: &places::Reference) -> Vec<String> {
    reference
        .provinces
        .iter()
        .map(|p| {
            let before: Vec<String> = reference
                .provinces_pre2025
                .iter()
                .filter(|old| old.successor_code == p.code)
                .map(|old| format!("{} {}", old.code, old.name))
                .collect();
            format!("{} {} ← {}", p.code, p.name, before.join(", "))
        })
        .collect()
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
