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
    /// Fill an empty database with a synthetic registry (for benchmarks and demonstrations).
    Seed {
        /// Multiple of the programme's national yearly volume: 100 makes about 100,000
        /// establishments, 50,000 projects, 30,000 products, 2,000 selection rounds and 20,000
        /// certificates; fractions such as 0.05 make small data sets.
        #[arg(long, value_parser = parse_scale)]
        scale: f64,
        /// The same seed and scale give the same data on an empty database.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Password of the benchmark accounts (bench-admin, bench-ministry, bench-auditor,
        /// bench-province, bench-commune) and of the jury accounts; without it none can sign in.
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
        Command::Seed {
            scale,
            seed,
            password,
        } => seed_database(config, scale, seed, password),
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

fn seed_database(config: Config, scale: f64, seed: u64, password: Option<String>) -> Result<(), String> {
    let db = open_and_migrate(&config)?;
    let options = khuyencong::seed::Options {
        password,
        progress: true,
        policy: khuyencong::seed::Policy::from(&config),
        ..khuyencong::seed::Options::new(scale, seed)
    };
    let summary = khuyencong::seed::run(&db, &options).map_err(|e| e.to_string())?;
    println!("{summary}");
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
