//! The response cache: encoded responses of anonymous queries, each with the
//! catalogue version it was computed at, bounded in bytes, least recently used
//! evicted first (the `lru` crate's list, weighed here by key and body length).
//!
//! An entry answers only a request that read the same version. Once a request reads a
//! newer version, every older entry is stale, so the whole cache is emptied at once.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use axum::body::Bytes;
use lru::LruCache;

use super::key::Key;
use super::metrics::CacheMetrics;

/// What an entry costs beyond its key and body (the list node, the `Arc`s, the map slot).
const ENTRY_OVERHEAD: usize = 96;

struct Entry {
    version: i64,
    body: Bytes,
}

struct Inner {
    entries: LruCache<Key, Entry>,
    bytes: usize,
    /// The newest version any request has read; entries of older ones are gone.
    version: i64,
}

/// How many keys are remembered as validated.
const VALIDATED: NonZeroUsize = match NonZeroUsize::new(10_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// A response cache of at most `capacity` bytes; 0 turns it off.
pub struct ResponseCache {
    capacity: usize,
    inner: Mutex<Inner>,
    /// Keys whose request passed validation and the limits once: only those read the
    /// catalogue version, so that a request refused before execution runs no SQL.
    validated: Mutex<LruCache<Key, ()>>,
    metrics: CacheMetrics,
}

fn weight(key: &Key, body: &Bytes) -> usize {
    key.len() + body.len() + ENTRY_OVERHEAD
}

impl ResponseCache {
    pub fn new(capacity: usize, metrics: CacheMetrics) -> Self {
        ResponseCache {
            capacity,
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
                version: i64::MIN,
            }),
            validated: Mutex::new(LruCache::new(VALIDATED)),
            metrics,
        }
    }

    /// Whether a request of `key` passed validation before (here, recently).
    pub fn validated(&self, key: &Key) -> bool {
        let mut validated = self.validated.lock().unwrap_or_else(|p| p.into_inner());
        validated.get(key).is_some()
    }

    /// Remembers that a request of `key` passed validation.
    pub fn validate(&self, key: Key) {
        let mut validated = self.validated.lock().unwrap_or_else(|p| p.into_inner());
        validated.put(key, ());
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (each step is whole).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The body cached for `key` at `version`, counting the hit or the miss.
    pub fn get(&self, key: &Key, version: i64) -> Option<Bytes> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.lock();
        self.observe(&mut inner, version);
        let found = match inner.entries.get(key) {
            Some(entry) if entry.version == version => Some(entry.body.clone()),
            _ => None,
        };
        drop(inner);
        match &found {
            Some(_) => self.metrics.hit(),
            None => self.metrics.miss(),
        }
        found
    }

    /// Keeps `body` as the answer to `key` at `version`, evicting the least recently
    /// used entries to stay within the capacity.
    pub fn put(&self, key: Key, version: i64, body: Bytes) {
        let size = weight(&key, &body);
        if size > self.capacity {
            return;
        }
        let mut inner = self.lock();
        self.observe(&mut inner, version);
        if version < inner.version {
            // Computed before a newer version was seen: it could never be served.
            return;
        }
        if let Some(old) = inner.entries.put(key.clone(), Entry { version, body }) {
            inner.bytes -= weight(&key, &old.body);
        }
        inner.bytes += size;
        let mut evicted = 0;
        while inner.bytes > self.capacity {
            let Some((key, entry)) = inner.entries.pop_lru() else {
                break;
            };
            inner.bytes -= weight(&key, &entry.body);
            evicted += 1;
        }
        let bytes = inner.bytes;
        drop(inner);
        self.metrics.evicted(evicted);
        self.metrics.size(bytes);
    }

    /// Empties the cache when `version` is newer than any seen before.
    fn observe(&self, inner: &mut Inner, version: i64) {
        if version > inner.version {
            inner.version = version;
            if !inner.entries.is_empty() {
                inner.entries.clear();
                inner.bytes = 0;
                self.metrics.size(0);
            }
        }
    }
}
