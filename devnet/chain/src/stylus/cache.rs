//! The storage cache of one Stylus frame (nitro `arbutil::evm::storage`): reads are kept,
//! writes stay dirty until `storage_flush_cache` writes them in ascending key order.

use std::collections::HashMap;

use alloy_primitives::B256;

/// A dirty word and the value the chain holds for it, when known.
#[derive(Debug, Clone, Copy)]
struct Dirty {
    value: B256,
    known: Option<B256>,
}

/// Cached storage words of one frame.
#[derive(Debug, Default)]
pub(crate) struct StorageCache {
    clean: HashMap<B256, B256>,
    dirty: HashMap<B256, Dirty>,
    reads: usize,
    writes: usize,
}

impl StorageCache {
    /// Gas every storage access must leave room for.
    pub(crate) const REQUIRED_ACCESS_GAS: u64 = 10;

    /// Gas for one more read: free at first, then rising with use.
    pub(crate) fn read_gas(&mut self) -> u64 {
        self.reads += 1;
        match self.reads {
            0..=32 => 0,
            33..=128 => 2,
            _ => 10,
        }
    }

    /// Gas for one more write: free at first, then rising with use.
    pub(crate) fn write_gas(&mut self) -> u64 {
        self.writes += 1;
        match self.writes {
            0..=8 => 0,
            9..=64 => 7,
            _ => 10,
        }
    }

    /// The cached value of `key`, if any.
    pub(crate) fn get(&self, key: &B256) -> Option<B256> {
        self.dirty
            .get(key)
            .map(|word| word.value)
            .or_else(|| self.clean.get(key).copied())
    }

    /// Records a value read from the chain.
    pub(crate) fn insert_known(&mut self, key: B256, value: B256) {
        if self.get(&key).is_none() {
            self.clean.insert(key, value);
        }
    }

    /// Caches a write.
    pub(crate) fn cache(&mut self, key: B256, value: B256) {
        if let Some(word) = self.dirty.get_mut(&key) {
            word.value = value;
            return;
        }
        match self.clean.remove(&key) {
            Some(known) if known == value => {
                self.clean.insert(key, known);
            }
            known => {
                self.dirty.insert(key, Dirty { value, known });
            }
        }
    }

    /// Changed words in ascending key order; their values become clean, or the whole cache
    /// is dropped when `clear` is set.
    pub(crate) fn flush(&mut self, clear: bool) -> Vec<(B256, B256)> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut entries = Vec::with_capacity(dirty.len());
        for (key, word) in dirty {
            if word.known != Some(word.value) {
                entries.push((key, word.value));
            }
            if !clear {
                self.clean.insert(key, word.value);
            }
        }
        if clear {
            self.clean.clear();
        }
        entries.sort_unstable_by_key(|(key, _)| *key);
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(x: u8) -> B256 {
        B256::with_last_byte(x)
    }

    #[test]
    fn flush_returns_changed_words_in_key_order() {
        let mut cache = StorageCache::default();
        cache.insert_known(w(1), w(11));
        cache.insert_known(w(2), w(22));
        cache.cache(w(9), w(99));
        cache.cache(w(2), w(23));
        cache.cache(w(1), w(11));
        assert_eq!(cache.flush(false), vec![(w(2), w(23)), (w(9), w(99))]);
        assert!(cache.flush(false).is_empty());
        assert_eq!(cache.get(&w(9)), Some(w(99)));
        cache.cache(w(1), w(12));
        assert_eq!(cache.flush(true), vec![(w(1), w(12))]);
        assert_eq!(cache.get(&w(2)), None);
    }

    #[test]
    fn access_gas_rises_with_use() {
        let mut cache = StorageCache::default();
        let reads: Vec<u64> = (0..130).map(|_| cache.read_gas()).collect();
        assert_eq!(
            (reads[31], reads[32], reads[127], reads[128]),
            (0, 2, 2, 10)
        );
        let writes: Vec<u64> = (0..66).map(|_| cache.write_gas()).collect();
        assert_eq!(
            (writes[7], writes[8], writes[63], writes[64]),
            (0, 7, 7, 10)
        );
    }
}
