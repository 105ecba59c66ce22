//! What the sandbox remembers between requests, every collection bounded so that no client
//! (or a long load test) can make it grow without limit.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use rsa::rand_core::{OsRng, RngCore};

/// The newest `capacity` entries, oldest first.
pub(crate) struct BoundedLog<T> {
    entries: VecDeque<T>,
    capacity: usize,
}

impl<T: Clone> BoundedLog<T> {
    pub fn new(capacity: usize) -> Self {
        BoundedLog {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, entry: T) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The newest entry matching `pick`, to update it in place.
    pub fn find_mut(&mut self, pick: impl Fn(&T) -> bool) -> Option<&mut T> {
        self.entries.iter_mut().rev().find(|e| pick(e))
    }

    pub fn snapshot(&self) -> Vec<T> {
        self.entries.iter().cloned().collect()
    }
}

/// Records by key; when full, the oldest key is forgotten.
pub(crate) struct BoundedMap<V> {
    values: HashMap<String, V>,
    order: VecDeque<String>,
    capacity: usize,
}

impl<V> BoundedMap<V> {
    pub fn new(capacity: usize) -> Self {
        BoundedMap {
            values: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.values.get(key)
    }

    pub fn insert(&mut self, key: String, value: V) {
        if self.values.insert(key.clone(), value).is_some() {
            return; // replaced: its place in the order stays
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.values.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.values.len()
    }
}

/// What the token book knows about a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    Valid,
    Expired { ago: Duration },
    Unknown,
}

/// Issued access tokens and when they expire. Expired tokens are kept a while so that the
/// answer can say "expired" rather than "unknown"; when full, the oldest go first.
pub(crate) struct TokenBook {
    /// Expiry and issue order: tokens issued in the same instant expire together, and the
    /// order breaks the tie so that the oldest really is forgotten first.
    expiries: HashMap<String, (Instant, u64)>,
    issued: u64,
    ttl: Duration,
    capacity: usize,
}

/// The longest token lifetime honoured: a year is beyond any test, and keeps `now + ttl`
/// far from the end of `Instant` (a huge `--token-ttl` once panicked in `issue`).
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

impl TokenBook {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TokenBook {
            expiries: HashMap::new(),
            issued: 0,
            ttl: ttl.min(MAX_TOKEN_TTL),
            capacity: capacity.max(1),
        }
    }

    /// A new random token (256 bits, URL-safe Base64: 43 characters) valid for the TTL.
    pub fn issue(&mut self, now: Instant) -> String {
        if self.expiries.len() >= self.capacity {
            self.forget_old(now);
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        self.issued += 1;
        self.expiries
            .insert(token.clone(), (now + self.ttl, self.issued));
        token
    }

    pub fn check(&self, token: &str, now: Instant) -> TokenState {
        match self.expiries.get(token) {
            Some(&(expiry, _)) if now < expiry => TokenState::Valid,
            Some(&(expiry, _)) => TokenState::Expired {
                ago: now.saturating_duration_since(expiry),
            },
            None => TokenState::Unknown,
        }
    }

    /// Drop tokens expired for longer than a TTL; if still full, the soonest to expire.
    fn forget_old(&mut self, now: Instant) {
        let ttl = self.ttl;
        self.expiries
            .retain(|_, (expiry, _)| now.saturating_duration_since(*expiry) < ttl);
        while self.expiries.len() >= self.capacity {
            let oldest = self
                .expiries
                .iter()
                .min_by_key(|(_, order)| **order)
                .map(|(token, _)| token.clone());
            match oldest {
                Some(token) => {
                    self.expiries.remove(&token);
                }
                None => break,
            }
        }
    }
}

/// Whether an X-EXTERNAL-ID may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    New,
    /// Already used on this (Jakarta) day.
    Repeat,
    /// The day's memory is full: the sandbox cannot tell, so it refuses.
    Full,
}

/// X-EXTERNAL-IDs seen today (Jakarta date). A new day forgets the previous one, which is
/// what SNAP asks ("unique in the same day") and what keeps the set bounded over time; the
/// capacity bounds it within a day.
pub(crate) struct ExternalIdBook {
    day: Option<NaiveDate>,
    seen: HashSet<String>,
    capacity: usize,
}

impl ExternalIdBook {
    pub fn new(capacity: usize) -> Self {
        ExternalIdBook {
            day: None,
            seen: HashSet::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn claim(&mut self, day: NaiveDate, external_id: &str) -> Claim {
        if self.day != Some(day) {
            self.day = Some(day);
            self.seen = HashSet::new();
        }
        if self.seen.contains(external_id) {
            return Claim::Repeat;
        }
        if self.seen.len() >= self.capacity {
            return Claim::Full;
        }
        self.seen.insert(external_id.to_string());
        Claim::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_lifetime_is_capped_not_a_panic() {
        let mut book = TokenBook::new(Duration::MAX, 4);
        let now = Instant::now();
        let token = book.issue(now);
        assert!(matches!(book.check(&token, now), TokenState::Valid));
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, d).unwrap_or_default()
    }

    #[test]
    fn external_ids_are_unique_per_day_and_bounded() {
        let mut book = ExternalIdBook::new(2);
        assert_eq!(book.claim(day(1), "a"), Claim::New);
        assert_eq!(book.claim(day(1), "a"), Claim::Repeat);
        assert_eq!(book.claim(day(1), "b"), Claim::New);
        assert_eq!(book.claim(day(1), "c"), Claim::Full);
        // A new day forgets the previous one.
        assert_eq!(book.claim(day(2), "a"), Claim::New);
        assert_eq!(book.seen.len(), 1);
    }

    #[test]
    fn tokens_expire_and_the_book_stays_bounded() {
        let now = Instant::now();
        let mut book = TokenBook::new(Duration::from_secs(10), 3);
        let first = book.issue(now);
        assert_eq!(first.len(), 43);
        assert_eq!(book.check(&first, now), TokenState::Valid);
        assert_eq!(
            book.check(&first, now + Duration::from_secs(12)),
            TokenState::Expired {
                ago: Duration::from_secs(2)
            }
        );
        assert_eq!(book.check("nope", now), TokenState::Unknown);
        for _ in 0..10 {
            book.issue(now);
        }
        assert!(book.expiries.len() <= 3);
        assert_eq!(
            book.check(&first, now),
            TokenState::Unknown,
            "oldest forgotten first"
        );
    }

    #[test]
    fn bounded_map_and_log_forget_the_oldest() {
        let mut map = BoundedMap::new(2);
        map.insert("a".into(), 1);
        map.insert("b".into(), 2);
        map.insert("a".into(), 3);
        map.insert("c".into(), 4);
        assert_eq!(map.len(), 2);
        assert_eq!(map.get("a"), None);
        assert_eq!(map.get("c"), Some(&4));
        let mut log = BoundedLog::new(2);
        for i in 0..5 {
            log.push(i);
        }
        assert_eq!(log.snapshot(), vec![3, 4]);
        if let Some(entry) = log.find_mut(|e| *e == 3) {
            *entry = 30;
        }
        assert_eq!(log.snapshot(), vec![30, 4]);
    }
}
