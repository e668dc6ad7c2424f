//! The threads that talk to the database: one per pooled connection, taking requests' work from
//! one queue in arrival order.
//!
//! Diesel blocks, so its work cannot run on the async executor. A fresh hand-off to a general
//! blocking pool for every request costs a thread wake-up and a park each time, and under load
//! those context switches cost more than a short query. A worker that finishes one piece of work
//! takes the next from the queue without sleeping, so a busy server switches threads only where
//! the database itself answers. The queue is first come, first served: the oldest request gets the
//! next free connection, which keeps the slowest waits short.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

/// Work for a database thread; it is given the moment it was queued.
type Job = Box<dyn FnOnce(Instant) + Send>;

/// The queue and its threads. The threads end when the last handle to the queue is dropped.
#[derive(Clone)]
pub struct Workers {
    queue: Sender<(Instant, Job)>,
}

/// The work did not give an answer: it panicked (the panic is logged).
#[derive(Debug)]
pub struct Lost;

impl Workers {
    /// Starts `count` threads named `db-N`.
    pub fn start(count: usize) -> std::io::Result<Workers> {
        let (queue, jobs) = crossbeam_channel::unbounded();
        for n in 0..count.max(1) {
            let jobs: Receiver<(Instant, Job)> = jobs.clone();
            std::thread::Builder::new()
                .name(format!("db-{n}"))
                .spawn(move || {
                    for (queued, job) in jobs {
                        job(queued);
                    }
                })?;
        }
        Ok(Workers { queue })
    }

    /// Runs `work` on a database thread and waits for its answer without blocking the executor.
    /// Work whose caller stopped waiting (the request timed out or the client left) is skipped.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Lost>
    where
        F: FnOnce(Instant) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |queued| {
            if answer.is_closed() {
                return;
            }
            match std::panic::catch_unwind(AssertUnwindSafe(|| work(queued))) {
                Ok(result) => {
                    let _ = answer.send(result);
                }
                Err(_) => tracing::error!("database work panicked"),
            }
        });
        self.queue.send((Instant::now(), job)).map_err(|_| Lost)?;
        answered.await.map_err(|_| Lost)
    }
}
