//! Prometheus metrics: requests per route and status with their latency, the connection pool
//! (size, in use, wait for a connection) and the time spent in the database per request.
//!
//! Off unless `METRICS_ADDR` is set; they are then served at `http://METRICS_ADDR/metrics`, an
//! address apart from the API's so that it is not exposed with it. When off, the recording calls
//! go to no recorder and cost next to nothing.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::db::Db;

/// Latency buckets in seconds: from a cached answer to a request at its time limit.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0,
];

pub const REQUESTS: &str = "http_requests_total";
pub const REQUEST_SECONDS: &str = "http_request_duration_seconds";
pub const POOL_WAIT_SECONDS: &str = "db_pool_wait_seconds";
pub const DATABASE_SECONDS: &str = "db_work_duration_seconds";
const POOL_CONNECTIONS: &str = "db_pool_connections";
const POOL_IDLE: &str = "db_pool_idle_connections";
const POOL_IN_USE: &str = "db_pool_in_use_connections";
const POOL_MAX: &str = "db_pool_max_connections";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .expect("latency buckets are not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder installed first (a test harness) keeps its place; ours then renders
            // nothing, which is visible rather than wrong.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(REQUESTS, "Requests answered, per method, route and status");
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time from request to response, per method, route and status"
    );
    metrics::describe_histogram!(
        POOL_WAIT_SECONDS,
        metrics::Unit::Seconds,
        "Time database work waited for its turn: in the queue for a database thread, then for a pooled connection"
    );
    metrics::describe_histogram!(
        DATABASE_SECONDS,
        metrics::Unit::Seconds,
        "Time a request's database work held its connection, per kind (read, write)"
    );
    metrics::describe_gauge!(POOL_CONNECTIONS, "Open pooled connections");
    metrics::describe_gauge!(POOL_IDLE, "Open pooled connections not in use");
    metrics::describe_gauge!(POOL_IN_USE, "Pooled connections in use");
    metrics::describe_gauge!(POOL_MAX, "The pool's size limit (DB_POOL_SIZE)");
}

/// Middleware: counts and times every request under its route pattern (`/api/v1/projects/{id}`,
/// not the path, so that ids do not make a series each).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let response = next.call(req).await?;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_SECONDS, &labels).record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The metrics in Prometheus text format, with the pool's state read now.
pub fn render(handle: &PrometheusHandle, db: &Db) -> String {
    let pool = db.pool_state();
    metrics::gauge!(POOL_CONNECTIONS).set(f64::from(pool.connections));
    metrics::gauge!(POOL_IDLE).set(f64::from(pool.idle_connections));
    metrics::gauge!(POOL_IN_USE).set(f64::from(pool.connections - pool.idle_connections));
    metrics::gauge!(POOL_MAX).set(f64::from(db.pool_max_size()));
    handle.run_upkeep();
    handle.render()
}

async fn scrape(handle: web::Data<PrometheusHandle>, db: web::Data<Db>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(render(&handle, &db))
}

/// The application served on `METRICS_ADDR`: `GET /metrics` only.
pub fn app(
    handle: PrometheusHandle,
    db: Db,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(handle))
        .app_data(web::Data::new(db))
        .route("/metrics", web::get().to(scrape))
}
