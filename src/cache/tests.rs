//! Unit tests of `cache`.

use super::*;

#[test]
fn stale_entries_are_recomputed_by_one_caller_while_others_get_the_old_value() {
    let c: SwrCache<i64> = SwrCache::new(
        Duration::from_millis(20),
        Duration::from_secs(5),
        100,
        |_| 1,
    );
    assert!(matches!(c.lookup("k"), Lookup::Miss));
    c.insert("k".into(), 1);
    assert!(matches!(c.lookup("k"), Lookup::Hit(1)));
    std::thread::sleep(Duration::from_millis(30));
    assert!(
        matches!(c.lookup("k"), Lookup::Miss),
        "first caller refreshes"
    );
    assert!(
        matches!(c.lookup("k"), Lookup::Hit(1)),
        "others get the stale value"
    );
    c.insert("k".into(), 2);
    assert!(matches!(c.lookup("k"), Lookup::Hit(2)));
    c.invalidate_all();
    assert!(matches!(c.lookup("k"), Lookup::Miss));
}

#[test]
fn a_write_drops_only_the_responses_that_can_show_it() {
    let shows = |k: &str| response_shows(k, "events", false);
    assert!(shows("/v1/events|*/*|"));
    assert!(shows("/v1/events?from=2026-01-01|*/*|be"));
    assert!(shows("/v1/events/12|*/*|"));
    assert!(shows("/v1/events.ics|*/*|"));
    assert!(shows("/v1/events/calendar?month=2026-11||"));
    assert!(shows("/v1/search?q=minsk||"));
    assert!(shows("/v1/suggest?q=mi||"));
    assert!(!shows("/v1/articles||"));
    assert!(!shows("/v1/articles/feed.atom||"));
    assert!(!shows("/v1/nearby?lat=1&lon=2||"));
    assert!(!shows("/v1/sections||"));
    assert!(!shows("/v1/eventsx||"));
    assert!(response_shows(
        "/v1/nearby?lat=1&lon=2||",
        "monuments",
        true
    ));
}

#[test]
fn invalidate_keeps_other_types_entries() {
    let c = Caches::new(60_000);
    let r = c.responses.clone().unwrap();
    let entry = || Arc::new(CachedResponse::new(Vec::new(), Bytes::from_static(b"{}")));
    r.insert("/v1/articles||".into(), entry());
    r.insert("/v1/events||".into(), entry());
    c.counts.insert("articles|x".into(), 1);
    c.counts.insert("events|x".into(), 2);
    c.invalidate(ResourceType::Event);
    assert!(matches!(r.lookup("/v1/articles||"), Lookup::Hit(_)));
    assert!(matches!(r.lookup("/v1/events||"), Lookup::Miss));
    assert!(matches!(c.counts.lookup("articles|x"), Lookup::Hit(1)));
    assert!(matches!(c.counts.lookup("events|x"), Lookup::Miss));
    c.invalidate(ResourceType::Section);
    assert!(matches!(r.lookup("/v1/articles||"), Lookup::Miss));
}

#[test]
fn concurrent_misses_of_one_key_compute_once() {
    let c: SwrCache<i64> =
        SwrCache::new(Duration::from_secs(5), Duration::from_secs(5), 100, |_| 1);
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (c, calls) = (c.clone(), calls.clone());
            std::thread::spawn(move || {
                c.get_or_compute::<()>("k", || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    Ok(7)
                })
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Ok(7));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
