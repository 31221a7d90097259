//! The response cache's series in `/metrics`: hits, misses, evictions (least recently
//! used entries dropped to stay within `PREMIERE_RESPONSE_CACHE_BYTES`) and its size.
//! They live on the application's recorder (see [`crate::metrics`]).

use metrics::{counter, describe_counter, describe_gauge, gauge, Counter, Gauge};

#[derive(Clone)]
pub struct CacheMetrics {
    hits: Counter,
    misses: Counter,
    evictions: Counter,
    bytes: Gauge,
}

impl CacheMetrics {
    /// Registers the series (called with the application's recorder as the local one).
    pub(crate) fn register() -> Self {
        describe_counter!(
            "premiere_response_cache_hits_total",
            "Anonymous queries answered from the response cache."
        );
        describe_counter!(
            "premiere_response_cache_misses_total",
            "Anonymous queries the response cache could not answer (executed)."
        );
        describe_counter!(
            "premiere_response_cache_evictions_total",
            "Responses dropped from the cache, least recently used first, to stay within \
             PREMIERE_RESPONSE_CACHE_BYTES."
        );
        describe_gauge!(
            "premiere_response_cache_bytes",
            "Bytes held by the response cache (keys, bodies and their bookkeeping)."
        );
        CacheMetrics {
            hits: counter!("premiere_response_cache_hits_total"),
            misses: counter!("premiere_response_cache_misses_total"),
            evictions: counter!("premiere_response_cache_evictions_total"),
            bytes: gauge!("premiere_response_cache_bytes"),
        }
    }

    pub fn hit(&self) {
        self.hits.increment(1);
    }

    pub fn miss(&self) {
        self.misses.increment(1);
    }

    pub fn evicted(&self, entries: u64) {
        if entries > 0 {
            self.evictions.increment(entries);
        }
    }

    pub fn size(&self, bytes: usize) {
        self.bytes.set(bytes as f64);
    }
}
