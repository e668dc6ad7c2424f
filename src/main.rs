//! The `khuyencong` command: serves the API (the default), migrates the database, creates users,
//! seeds a synthetic registry and prints the OpenAPI document.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};

use khuyencong::auth::Role;
use khuyencong::auth::accounts::{self, NewAccount};
use khuyencong::auth::passwords;
use khuyencong::config::{Config, redact_url};
use khuyencong::db::{Db, migrations};
use khuyencong::models::audit::Actor;
use khuyencong::state::AppState;
use khuyencong::{build_app, instruments, openapi_json, telemetry};

#[derive(Parser)]
#[command(
    name = "khuyencong",
    version,
    about = "Khuyến công registry: the industrial-promotion programme's REST API"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending database migrations and load reference data, then exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Import a file (CSV or .xlsx, as the template of `GET /api/v1/imports/templates/{kind}`):
    /// every row is checked, and written only when all are valid, in one transaction.
    Import {
        /// The file.
        file: std::path::PathBuf,
        /// What the file holds.
        #[arg(long, value_parser = parse_import_kind)]
        kind: khuyencong::imports::ImportKind,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import as that province's staff: rows of other provinces are refused.
        #[arg(long)]
        province_code: Option<String>,
    },
    /// Fill an empty database with a synthetic registry: `--scale N` for benchmarks, `--demo` to
    /// try the API.
    #[command(group(clap::ArgGroup::new("data_set").required(true).args(["scale", "demo"])))]
    Seed {
        /// Multiple of the programme's national yearly volume: 100 makes about 100,000
        /// establishments, 50,000 projects, 30,000 products, 2,000 selection rounds and 20,000
        /// certificates; fractions such as 0.05 make small data sets.
        #[arg(long, value_parser = parse_scale)]
        scale: Option<f64>,
        /// A small data set in which every endpoint has something to show (every legal form,
        /// project state and selection level, provinces merged in 2025, programmes with
        /// targets), with accounts demo-admin, demo-ministry, demo-auditor, demo-province and
        /// demo-commune.
        #[arg(long)]
        demo: bool,
        /// The same seed and data set give the same data on an empty database.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Password of the accounts per role (bench-… for --scale, demo-… for --demo) and of
        /// the jury accounts. Without it --scale makes none that can sign in, and --demo
        /// generates one and prints it once.
        #[arg(long, env = "SEED_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (for example the first admin).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        /// Current province code (province users).
        #[arg(long)]
        province_code: Option<String>,
        /// Current commune code (commune users).
        #[arg(long)]
        commune_code: Option<String>,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_import_kind(value: &str) -> Result<khuyencong::imports::ImportKind, String> {
    value.parse().map_err(|_| {
        let kinds: Vec<&str> = <khuyencong::imports::ImportKind as khuyencong::domain::labels::Labeled>::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        format!("one of: {}", kinds.join(", "))
    })
}

fn parse_role(value: &str) -> Result<Role, String> {
    value.parse().map_err(|_| {
        let roles: Vec<&str> = <Role as khuyencong::domain::labels::Labeled>::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        format!("one of: {}", roles.join(", "))
    })
}

fn parse_scale(value: &str) -> Result<f64, String> {
    let scale: f64 = value.parse().map_err(|_| format!("`{value}` is not a number"))?;
    khuyencong::seed::Plan::at_scale(scale)
        .map(|_| scale)
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    khuyencong::memory::hand_back_large_blocks();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", openapi_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let _log_writer = telemetry::init(config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => open_and_migrate(&config).map(|_| ()),
        Command::User { command } => user(config, command),
        Command::Import {
            file,
            kind,
            dry_run,
            province_code,
        } => import_file(config, &file, kind, dry_run, province_code),
        Command::Seed {
            scale,
            demo: _,
            seed,
            password,
        } => seed_database(
            config,
            // The group takes exactly one of --scale and --demo.
            scale.map_or(khuyencong::seed::DataSet::Demo, khuyencong::seed::DataSet::Scale),
            seed,
            password,
        ),
        Command::Openapi => unreachable!("handled before configuration"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open_and_migrate(config: &Config) -> Result<Db, String> {
    let db = Db::open(&config.database_url, &config.db_settings(), true)
        .map_err(|e| format!("{e} ({})", redact_url(&config.database_url)))?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let applied =
        migrations::run(&mut conn).map_err(|e| e.internal.clone().unwrap_or_else(|| e.to_string()))?;
    for name in &applied {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(db)
}

fn serve(config: Config) -> Result<(), String> {
    let db = open_and_migrate(&config)?;
    // Import jobs of an earlier run that was stopped wrote nothing; they are marked failed once
    // their lease has run out (a job another instance is running keeps renewing its own).
    db.write_blocking(|conn| khuyencong::models::imports::fail_abandoned(conn, khuyencong::models::now()))
        .map_err(|e| e.detail.en.to_string())?;
    let bind_addr = config.bind_addr;
    tracing::info!(database = %redact_url(&config.database_url), address = %bind_addr, "serving the khuyến công registry");
    let metrics_addr = config.metrics_addr;
    // Deliveries are rows: a worker started here picks up what an earlier run left.
    let deliverer = khuyencong::webhooks::Deliverer::spawn(db.clone(), &config);
    let state = AppState::new(config, db);
    let served = actix_web::rt::System::new().block_on(async move {
        let metrics = match metrics_addr {
            Some(address) => {
                let handle = instruments::install();
                let db = state.db.clone();
                tracing::info!(address = %address, "serving metrics at /metrics");
                let server = HttpServer::new(move || instruments::app(handle.clone(), db.clone()))
                    .workers(1)
                    .bind(address)
                    .map_err(|e| format!("cannot serve metrics on {address}: {e}"))?
                    .run();
                Some(server)
            }
            None => None,
        };
        let api = HttpServer::new(move || build_app(state.clone()))
            .bind(bind_addr)
            .map_err(|e| format!("cannot serve on {bind_addr}: {e}"))?
            .client_request_timeout(std::time::Duration::from_secs(10))
            .shutdown_timeout(10)
            .run();
        match metrics {
            Some(metrics) => futures_util::future::try_join(api, metrics).await.map(|_| ()),
            None => api.await,
        }
        .map_err(|e| format!("server stopped: {e}"))
    });
    if let Some(deliverer) = deliverer {
        deliverer.stop();
    }
    served
}

fn seed_database(
    config: Config,
    data_set: khuyencong::seed::DataSet,
    seed: u64,
    password: Option<String>,
) -> Result<(), String> {
    let db = open_and_migrate(&config)?;
    let given = password.is_some();
    let options = khuyencong::seed::Options {
        data_set,
        password,
        progress: true,
        policy: khuyencong::seed::Policy::from(&config),
        ..khuyencong::seed::Options::new(1.0, seed)
    };
    let summary = khuyencong::seed::run(&db, &options).map_err(|e| e.to_string())?;
    println!("{summary}");
    if let Some(password) = &summary.generated_password {
        println!("password of these accounts (shown once): {password}");
    } else if given && !summary.accounts.is_empty() {
        println!("password of these accounts: the one given");
    }
    Ok(())
}

fn user(config: Config, command: UserCommand) -> Result<(), String> {
    let UserCommand::Create {
        username,
        role,
        display_name,
        province_code,
        commune_code,
        password_stdin,
    } = command;
    let db = open_and_migrate(&config)?;
    let (password, generated) = if password_stdin {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprint!("Password: ");
        }
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (passwords::generate(), true)
    };
    let account = NewAccount {
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        password: password.clone(),
        role,
        province_code,
        commune_code,
    };
    let user = db
        .write_blocking(|conn| accounts::create(conn, &Actor::command_line(), account))
        .map_err(|e| {
            let fields: Vec<String> = e
                .errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message.en))
                .collect();
            if fields.is_empty() {
                e.detail.en.to_string()
            } else {
                fields.join("; ")
            }
        })?;
    println!(
        "created user {} (id {}, role {})",
        user.username, user.id, user.role
    );
    if generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}

/// `khuyencong import`: the import of `POST /api/v1/imports` for operators on the server, with a
/// progress bar and the report as a table. A file with problems ends with a non-zero exit code.
fn import_file(
    config: Config,
    file: &std::path::Path,
    kind: khuyencong::imports::ImportKind,
    dry_run: bool,
    province_code: Option<String>,
) -> Result<(), String> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use khuyencong::imports::{self, Importer, Outcome, Upload};

    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let db = open_and_migrate(&config)?;
    if let Some(code) = &province_code {
        let known = db
            .get()
            .and_then(|mut conn| khuyencong::models::admin_units::find_province_2025(&mut conn, code))
            .map_err(|e| e.detail.en.to_string())?;
        if known.is_none() {
            return Err(format!("no current province has code {code}"));
        }
    }
    let importer = Importer::command_line(province_code, config.certificate_validity_years);
    let upload = Upload::new(kind, bytes);
    let lang = cli_language();
    let sheet = match upload.sheet() {
        Ok(sheet) => sheet,
        Err(findings) => {
            print_report(&findings, lang);
            return Err("the file cannot be imported".to_owned());
        }
    };
    let bar = ProgressBar::with_draw_target(Some(sheet.rows.len() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg:9} [{bar:40}] {pos}/{len} rows ({elapsed})")
            .expect("a progress template")
            .progress_chars("=> "),
    );
    bar.set_message("checking");
    let checking = bar.clone();
    let writing = bar.clone();
    let checked_rows = move |rows: u64| checking.set_position(rows);
    let written_rows = move |rows: u64| {
        if rows > 0 && writing.message() != "writing" {
            writing.set_message("writing");
        }
        writing.set_position(rows);
    };
    let work = |conn: &mut khuyencong::db::DbConn| {
        imports::import(
            conn,
            &upload,
            &sheet,
            &importer,
            dry_run,
            &checked_rows,
            &written_rows,
        )
    };
    let outcome = if dry_run {
        db.get().and_then(|mut conn| work(&mut conn))
    } else {
        db.write_blocking(work)
    }
    .map_err(|e| e.detail.en.to_string());
    bar.finish_and_clear();
    match outcome? {
        Outcome::Checked(findings) => {
            print_report(&findings, lang);
            if findings.is_clean() {
                println!("dry run: every row is valid; nothing was written");
                Ok(())
            } else {
                Err("the file has invalid rows (dry run: nothing was written)".to_owned())
            }
        }
        Outcome::Refused(findings) => {
            print_report(&findings, lang);
            Err("the file has invalid rows: nothing was written".to_owned())
        }
        Outcome::Applied(record) => {
            println!(
                "imported {} rows of {} (import {}, SHA-256 {})",
                record.rows_done,
                kind.as_str(),
                record.id,
                record.file_sha256
            );
            Ok(())
        }
    }
}

/// Vietnamese messages when the terminal's language is Vietnamese, English otherwise.
fn cli_language() -> khuyencong::i18n::Lang {
    let vietnamese = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .is_some_and(|value| value.starts_with("vi"));
    if vietnamese {
        khuyencong::i18n::Lang::Vi
    } else {
        khuyencong::i18n::Lang::En
    }
}

/// The report as a table: the counts, then one line per problem.
fn print_report(findings: &khuyencong::imports::report::Findings, lang: khuyencong::i18n::Lang) {
    let report = findings.render(lang);
    println!(
        "rows read: {}   valid: {}   invalid: {}   problems: {}",
        report.rows_read, report.rows_valid, report.rows_invalid, report.problems_total
    );
    if report.problems.is_empty() {
        return;
    }
    let column_width = report
        .problems
        .iter()
        .filter_map(|p| p.column.as_deref().map(|c| c.chars().count()))
        .max()
        .unwrap_or(0)
        .max("column".len());
    let code_width = report
        .problems
        .iter()
        .map(|p| p.code.len())
        .max()
        .unwrap_or(0)
        .max("code".len());
    println!(
        "{:>6}  {:column_width$}  {:code_width$}  message",
        "row", "column", "code"
    );
    for problem in &report.problems {
        println!(
            "{:>6}  {:column_width$}  {:code_width$}  {}",
            problem.row.map(|r| r.to_string()).unwrap_or_default(),
            problem.column.as_deref().unwrap_or(""),
            problem.code,
            problem.message
        );
    }
    if report.problems_total > report.problems.len() as u64 {
        println!(
            "… and {} more",
            report.problems_total - report.problems.len() as u64
        );
    }
}
