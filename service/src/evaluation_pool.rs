//! `EvaluationPool`: a few threads of its own for the CPU-heavy part of a service call (parse,
//! map, rules, render), so that a burst of heavy calls never occupies the async workers that
//! answer `/healthz`, `/readyz` and `/metrics`.
//!
//! Calls are admitted up to `threads + queue` at once; the next is refused at once (503 with
//! `Retry-After`) instead of queueing without limit. An admitted call holds its `Admission` until
//! it is answered, and runs at most one job at a time, so the job queue never holds more than
//! the admitted calls.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The evaluation threads and their admission control.
#[derive(Debug, Clone)]
pub struct EvaluationPool {
    admission: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    threads: usize,
    capacity: usize,
}

/// Every worker is busy and the queue is full: the caller should retry shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the service is evaluating as many calls as it can take; retry shortly")]
pub struct Saturated;

/// A job panicked (a bug): the worker survives, the call fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("evaluation panicked: {0}")]
pub struct JobPanicked(pub String);

/// A call's place in the pool, held until the call is answered.
#[derive(Debug)]
pub struct Admission {
    _permit: OwnedSemaphorePermit,
    jobs: mpsc::Sender<Job>,
}

impl EvaluationPool {
    /// Starts `threads` named worker threads (at least one) admitting `queue` calls beyond them.
    pub fn start(threads: usize, queue: usize) -> std::io::Result<EvaluationPool> {
        let threads = threads.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("oms-cds-eval-{index}"))
                .spawn(move || work(&receiver))?;
        }
        Ok(EvaluationPool {
            admission: Arc::new(Semaphore::new(threads + queue)),
            jobs,
            threads,
            capacity: threads + queue,
        })
    }

    /// Admits a call, or refuses it at once when the pool is full.
    pub fn admit(&self) -> Result<Admission, Saturated> {
        let permit = Arc::clone(&self.admission)
            .try_acquire_owned()
            .map_err(|_| Saturated)?;
        Ok(Admission {
            _permit: permit,
            jobs: self.jobs.clone(),
        })
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Calls admitted and not yet answered.
    pub fn in_use(&self) -> usize {
        self.capacity
            .saturating_sub(self.admission.available_permits())
    }
}

impl Admission {
    /// Runs `job` on a worker thread and waits for its result without blocking the async
    /// worker. A panic in `job` is caught and returned.
    pub async fn run<T, F>(&self, job: F) -> Result<T, JobPanicked>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job)).map_err(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown panic");
                JobPanicked(message.to_owned())
            });
            // The caller may have gone (client disconnected): nothing to answer.
            let _ = sender.send(outcome);
        });
        if self.jobs.send(job).is_err() {
            return Err(JobPanicked("the evaluation threads have stopped".into()));
        }
        receiver
            .await
            .unwrap_or_else(|_| Err(JobPanicked("the job was dropped".into())))
    }
}

/// A worker: takes jobs until every sender is gone.
fn work(receiver: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, never while running it.
        let next = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match next {
            Ok(job) => job(),
            Err(mpsc::RecvError) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_job_runs_on_a_pool_thread_and_returns_its_value() {
        let pool = EvaluationPool::start(1, 0).expect("threads start");
        let admission = pool.admit().expect("room for one");
        let name = admission
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .expect("no panic");
        assert_eq!(name.as_deref(), Some("oms-cds-eval-0"));
    }

    #[tokio::test]
    async fn calls_beyond_threads_plus_queue_are_refused_at_once_and_admitted_again_later() {
        let pool = EvaluationPool::start(1, 1).expect("threads start");
        let first = pool.admit().expect("a worker");
        let second = pool.admit().expect("the queue");
        assert_eq!(pool.admit().err(), Some(Saturated));
        assert_eq!(pool.in_use(), 2);
        drop(first);
        let third = pool.admit().expect("room again once a call is answered");
        drop((second, third));
        assert_eq!(pool.in_use(), 0);
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_call_and_the_worker_keeps_serving() {
        let pool = EvaluationPool::start(1, 0).expect("threads start");
        let admission = pool.admit().expect("room");
        let outcome = admission
            .run(|| -> u8 { panic!("a bug in the rules") })
            .await;
        assert_eq!(outcome, Err(JobPanicked("a bug in the rules".into())));
        let again = admission.run(|| 7).await;
        assert_eq!(again, Ok(7));
    }

    #[tokio::test]
    async fn a_long_job_does_not_block_the_async_runtime() {
        let pool = EvaluationPool::start(1, 0).expect("threads start");
        let admission = pool.admit().expect("room");
        let slow = admission.run(|| std::thread::sleep(Duration::from_millis(300)));
        let started = std::time::Instant::now();
        let quick = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            started.elapsed()
        };
        let (slow, quick) = tokio::join!(slow, quick);
        assert_eq!(slow, Ok(()));
        assert!(quick < Duration::from_millis(200), "took {quick:?}");
    }
}
