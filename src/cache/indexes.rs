//! Indexes built in memory from a whole table (the places' geo grid, see
//! `resources::places::index`), type-erased per key like the section tree.
//! A write that can change one drops them all (`Caches::invalidate` of a
//! place, `invalidate_all`, and through `db::notify` on every node); `MAX_AGE`
//! bounds staleness like the other caches' TTLs should an announcement be lost.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// After this an index is rebuilt by the next reader (the others keep the old one meanwhile).
const MAX_AGE: Duration = Duration::from_secs(60);

type Built = (Arc<dyn Any + Send + Sync>, Instant);

#[derive(Default)]
pub struct Indexes {
    slots: Mutex<Slots>,
    /// Held while an index is built: one build at a time, not one per request.
    building: Mutex<()>,
}

#[derive(Default)]
struct Slots {
    /// Bumped by `clear`: a build begun before it is not kept.
    epoch: u64,
    built: HashMap<String, Built>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Indexes {
    fn get<T: Any + Send + Sync>(&self, key: &str) -> (Option<(Arc<T>, bool)>, u64) {
        let slots = locked(&self.slots);
        let hit = slots.built.get(key).and_then(|(v, at)| {
            let fresh = at.elapsed() < MAX_AGE;
            v.clone().downcast().ok().map(|v| (v, fresh))
        });
        (hit, slots.epoch)
    }

    /// The index under `key`, or `build`'s, built once for all concurrent
    /// callers and kept unless the indexes were dropped meanwhile (it may then
    /// predate a write; this caller still gets it, as a read that ran before
    /// the write would). Called on blocking threads only (it may wait).
    pub fn get_or_build<T: Any + Send + Sync, E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let _building = match self.get::<T>(key).0 {
            Some((v, true)) => return Ok(v),
            // Stale: rebuilt by one caller while the others keep it.
            Some((v, false)) => match self.building.try_lock() {
                Ok(g) => g,
                Err(_) => return Ok(v),
            },
            None => locked(&self.building),
        };
        let epoch = match self.get::<T>(key) {
            (Some((v, true)), _) => return Ok(v),
            (_, epoch) => epoch,
        };
        let v = Arc::new(build()?);
        let mut slots = locked(&self.slots);
        if slots.epoch == epoch {
            let erased: Arc<dyn Any + Send + Sync> = v.clone();
            slots
                .built
                .insert(key.to_string(), (erased, Instant::now()));
        }
        Ok(v)
    }

    /// Drops every index (after a write that may change them).
    pub fn clear(&self) {
        let mut slots = locked(&self.slots);
        slots.epoch += 1;
        slots.built.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_is_built_once_and_dropped_by_clear() {
        let ix = Indexes::default();
        let built = |n: u32| move || Ok::<u32, ()>(n);
        assert_eq!(*ix.get_or_build("a", built(1)).unwrap(), 1);
        assert_eq!(*ix.get_or_build("a", built(2)).unwrap(), 1, "kept");
        ix.clear();
        assert_eq!(*ix.get_or_build("a", built(3)).unwrap(), 3, "rebuilt");
        assert!(ix.get_or_build("b", || Err::<u32, ()>(())).is_err());
    }

    #[test]
    fn a_build_that_a_clear_overtook_is_not_kept() {
        let ix = Indexes::default();
        let v = ix
            .get_or_build("a", || {
                ix.clear(); // a write committed while the rows were read
                Ok::<u32, ()>(1)
            })
            .unwrap();
        assert_eq!(*v, 1, "the caller still gets it");
        assert_eq!(*ix.get_or_build("a", || Ok::<u32, ()>(2)).unwrap(), 2);
    }
}
