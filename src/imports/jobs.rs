//! Imports that take longer than a request: the file is recorded as a `queued` job, answered 202,
//! and checked and applied on a thread of its own. While it works the job renews its lease and
//! says how far it got (rows checked); its rows and its `succeeded` state commit in one transaction at the end.
//! A server stopped or killed meanwhile leaves that transaction uncommitted (the database rolls it
//! back), and the job, whose lease then runs out, is failed by the next reader or at start-up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use super::{ImportState, Importer, Upload, apply, check, ensure_not_applied, findings_json, new_record};
use crate::db::Db;
use crate::error::ApiError;
use crate::models::imports::{self as model, ImportRow, JobEnd};
use crate::models::now;

/// How far a job got, shared with its heartbeat.
#[derive(Default)]
struct Progress {
    /// -1 until the file is read.
    total: AtomicI64,
    done: AtomicI64,
    finished: AtomicBool,
}

fn lease_end(lease: Duration) -> chrono::NaiveDateTime {
    now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30))
}

/// Records the job and starts it; the `queued` record is the answer.
pub fn start(
    db: &Db,
    upload: Upload,
    importer: Importer,
    dry_run: bool,
    lease: Duration,
) -> Result<ImportRow, ApiError> {
    let job = db.write_blocking(|conn| {
        model::fail_abandoned(conn, now())?;
        if !dry_run {
            ensure_not_applied(conn, &upload)?;
        }
        let mut record = new_record(&upload, &importer, dry_run, ImportState::Queued);
        record.lease_until = Some(lease_end(lease));
        model::insert(conn, &record)
    })?;
    let db = db.clone();
    let id = job.id;
    std::thread::Builder::new()
        .name(format!("import-{id}"))
        .spawn(move || run(&db, id, &upload, &importer, dry_run, lease))
        .map_err(|e| ApiError::internal(format!("cannot start the import job: {e}")))?;
    Ok(job)
}

/// Runs job `id` to its end, whatever happens in between.
fn run(db: &Db, id: i64, upload: &Upload, importer: &Importer, dry_run: bool, lease: Duration) {
    let progress = Arc::new(Progress::default());
    progress.total.store(-1, Ordering::Relaxed);
    if let Err(e) = db.write_blocking(|conn| model::start(conn, id, now(), lease_end(lease))) {
        tracing::error!(import = id, error = %e, "import job could not start");
        return;
    }
    let heartbeat = {
        let db = db.clone();
        let progress = progress.clone();
        std::thread::spawn(move || beat(&db, id, &progress, lease))
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        work(db, id, upload, importer, dry_run, &progress, lease)
    }));
    progress.finished.store(true, Ordering::Release);
    let _ = heartbeat.join();
    let failure = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e.detail.en.to_string(),
        Err(_) => "internal error: the import stopped unexpectedly".to_owned(),
    };
    tracing::warn!(import = id, failure = %failure, "import job failed");
    let total = progress.total.load(Ordering::Acquire);
    let done = progress.done.load(Ordering::Acquire);
    let total = (total >= 0).then_some(total);
    let end = JobEnd {
        state: ImportState::Failed,
        rows_total: total,
        rows_done: done,
        findings: None,
        failure: Some(failure),
    };
    if let Err(e) = db.write_blocking(|conn| model::finish(conn, id, end)) {
        tracing::error!(import = id, error = %e, "import job failure not recorded; its lease will run out");
    }
}

/// Renews the lease and records progress until the job ends.
fn beat(db: &Db, id: i64, progress: &Progress, lease: Duration) {
    let every = (lease / 3).min(Duration::from_secs(1));
    while !progress.finished.load(Ordering::Acquire) {
        std::thread::sleep(every);
        let total = progress.total.load(Ordering::Acquire);
        let done = progress.done.load(Ordering::Acquire);
        let renewed = db.write_blocking(|conn| {
            model::renew(conn, id, (total >= 0).then_some(total), done, lease_end(lease))
        });
        if let Err(e) = renewed {
            tracing::warn!(import = id, error = %e, "import job lease not renewed");
        }
    }
}

fn work(
    db: &Db,
    id: i64,
    upload: &Upload,
    importer: &Importer,
    dry_run: bool,
    progress: &Progress,
    lease: Duration,
) -> Result<(), ApiError> {
    let sheet = match upload.sheet() {
        Ok(sheet) => sheet,
        Err(findings) => {
            let end = JobEnd {
                state: ImportState::Failed,
                rows_total: None,
                rows_done: 0,
                findings: findings_json(&findings),
                failure: None,
            };
            db.write_blocking(|conn| model::finish(conn, id, end))?;
            return Ok(());
        }
    };
    let total = sheet.rows.len() as i64;
    progress.total.store(total, Ordering::Release);
    // Checking reads only: on SQLite it must not hold the one writer's lock for its duration.
    let checked = {
        let mut conn = db.get()?;
        check(&mut conn, upload, &sheet, importer, &|rows| {
            progress.done.store(rows as i64, Ordering::Release);
        })?
    };
    let state = if dry_run {
        ImportState::Succeeded
    } else if !checked.findings.is_clean() {
        ImportState::Failed
    } else {
        // Every row is checked: say so before writing (on SQLite the heartbeat waits while the
        // rows are written, since the writing holds the one writer's lock).
        progress.done.store(total, Ordering::Release);
        db.write_blocking(|conn| model::renew(conn, id, Some(total), total, lease_end(lease)))?;
        db.write_blocking(|conn| apply(conn, upload, importer, &checked, Some(id), &|_| {}))?;
        return Ok(());
    };
    let end = JobEnd {
        state,
        rows_total: Some(total),
        rows_done: total,
        findings: findings_json(&checked.findings),
        failure: None,
    };
    db.write_blocking(|conn| model::finish(conn, id, end))?;
    Ok(())
}
