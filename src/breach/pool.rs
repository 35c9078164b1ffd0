//! A small bounded pool for the range requests of one run: plain scoped
//! threads, at most `limit` of them, no async runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

/// Runs `task` on every item with at most `limit` running at once, on
/// named threads. `on_result(index, result)` runs on the calling thread as
/// each finishes, so results are gathered (and progress reported) in one
/// place and in completion order.
pub(crate) fn run_bounded<T, R>(
    items: &[T],
    limit: usize,
    task: impl Fn(&T) -> R + Sync,
    mut on_result: impl FnMut(usize, R),
) where
    T: Sync,
    R: Send,
{
    let next = AtomicUsize::new(0);
    // Each worker takes the next unclaimed item until none is left.
    let work = |send: &mut dyn FnMut(usize, R) -> bool| {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { break };
            if !send(index, task(item)) {
                break;
            }
        }
    };
    thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        let mut spawned = 0;
        for worker in 0..limit.max(1).min(items.len()) {
            let tx = tx.clone();
            let work = &work;
            let body = move || work(&mut |index, result| tx.send((index, result)).is_ok());
            let started = thread::Builder::new()
                .name(format!("breach-fetch-{worker}"))
                .spawn_scoped(scope, body);
            spawned += usize::from(started.is_ok());
        }
        drop(tx);
        if spawned == 0 {
            // No thread could be started: do the work here, one at a time.
            work(&mut |index, result| {
                on_result(index, result);
                true
            });
            return;
        }
        for (index, result) in rx {
            on_result(index, result);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_item_runs_once_and_no_more_than_the_limit_at_a_time() {
        let items: Vec<u32> = (0..40).collect();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut seen = vec![0u32; items.len()];
        run_bounded(
            &items,
            3,
            |item| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(2));
                running.fetch_sub(1, Ordering::SeqCst);
                item * 2
            },
            |index, result| {
                assert_eq!(result, items[index] * 2);
                seen[index] += 1;
            },
        );
        assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert!(peak.load(Ordering::SeqCst) >= 2, "work overlapped");
    }
}
