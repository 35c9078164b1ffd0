//! At most N credential queries per second per origin.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Origins tracked at once; older ones are forgotten first (an origin idle
/// for a second has nothing left to remember anyway).
const MAX_ORIGINS: usize = 4096;

/// A sliding one-second window per origin.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: usize,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Allows `per_second` requests per origin in any one-second window.
    pub fn new(per_second: usize) -> Self {
        Self {
            per_second,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request for `origin` at `now`; false when it is one too
    /// many (it is then not counted).
    pub fn allow(&self, origin: &str, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let window = Duration::from_secs(1);
        if seen.len() >= MAX_ORIGINS && !seen.contains_key(origin) {
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
            if seen.len() >= MAX_ORIGINS {
                return false;
            }
        }
        let times = seen.entry(origin.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= self.per_second {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_per_second_per_origin() {
        let limiter = RateLimiter::new(5);
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.allow("https://a.example", start));
        }
        assert!(!limiter.allow("https://a.example", start));
        assert!(
            limiter.allow("https://b.example", start),
            "origins are apart"
        );
        let later = start + Duration::from_millis(999);
        assert!(!limiter.allow("https://a.example", later));
        let next_second = start + Duration::from_secs(1);
        assert!(limiter.allow("https://a.example", next_second));
    }
}
