//! Logging: human-readable lines in development, JSON in production; every line inside a request
//! carries its request id (from the request span).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Keeps the log writer's thread running; log lines still queued are written when it is dropped.
pub type LogGuard = tracing_appender::non_blocking::WorkerGuard;

/// Installs the subscriber. Lines are handed to a writer thread instead of being written by the
/// request's own thread: a request does not wait for the terminal or the log collector. The queue
/// never drops a line; when it is full, requests wait as they would for a direct write.
pub fn init(format: LogFormat) -> LogGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    guard
}
