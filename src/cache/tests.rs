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
    let shows = |k: &str| response_shows(k, ResourceType::Event);
    assert_eq!(shows("/v1/events|*/*|"), Shows::Collection);
    assert_eq!(
        shows("/v1/events?from=2026-01-01|*/*|be"),
        Shows::Collection
    );
    assert_eq!(shows("/v1/events/12|*/*|"), Shows::Collection);
    assert_eq!(shows("/v1/events.ics|*/*|"), Shows::Collection);
    assert_eq!(
        shows("/v1/events/calendar?month=2026-11||"),
        Shows::Collection
    );
    assert_eq!(shows("/v1/search?q=minsk||"), Shows::Other);
    assert_eq!(shows("/v1/suggest?q=mi||"), Shows::Other);
    assert_eq!(shows("/v1/articles||"), Shows::Nothing);
    assert_eq!(shows("/v1/articles/feed.atom||"), Shows::Nothing);
    assert_eq!(shows("/v1/nearby?lat=1&lon=2||"), Shows::Nothing);
    assert_eq!(shows("/v1/sections||"), Shows::Nothing);
    assert_eq!(shows("/v1/eventsx||"), Shows::Nothing);
    let monument = ResourceType::Place(crate::resource::PlaceKind::Monument);
    let site = ResourceType::Place(crate::resource::PlaceKind::TouristSite);
    assert_eq!(
        response_shows("/v1/nearby?lat=1&lon=2||", monument),
        Shows::Other
    );
    assert_eq!(
        response_shows("/v1/unesco-sites/3||", monument),
        Shows::Nothing
    );
    assert_eq!(
        response_shows("/v1/unesco-sites/3||", site),
        Shows::Other,
        "a UNESCO listing shows its tourist site"
    );
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
    c.invalidate(ResourceType::Event, None);
    assert!(matches!(r.lookup("/v1/articles||"), Lookup::Hit(_)));
    assert!(matches!(r.lookup("/v1/events||"), Lookup::Miss));
    assert!(matches!(c.counts.lookup("articles|x"), Lookup::Hit(1)));
    assert!(matches!(c.counts.lookup("events|x"), Lookup::Miss));
    c.invalidate(ResourceType::Section, Some(&[]));
    assert!(matches!(r.lookup("/v1/articles||"), Lookup::Miss));
}

/// An item response that shows `deps`.
fn item(deps: &[Dep]) -> Arc<CachedResponse> {
    Arc::new(
        CachedResponse::new(Vec::new(), Bytes::from_static(b"{}")).with_deps(Some(deps.into())),
    )
}

#[test]
fn a_write_of_one_item_drops_the_item_responses_that_show_what_it_touched() {
    let c = Caches::new(60_000);
    let r = c.responses.clone().unwrap();
    let tag = |t: &str| Dep::Tag(t.into());
    let section = |s: i64, l: &str| Dep::Section(s, l.into());
    let x = [
        Dep::Item(1),
        Dep::Group(1),
        Dep::Item(2),
        tag("sport"),
        section(3, "be"),
    ];
    let y = [
        Dep::Item(5),
        Dep::Group(5),
        tag("economy"),
        section(4, "be"),
    ];
    let keys = [
        "/v1/articles/1||",
        "/v1/articles/slug-of-1?lang=be||",
        "/v1/articles/2|application/ld+json|ru",
        "/v1/articles/5?fields=title||",
    ];
    let fill = || {
        r.insert(keys[0].into(), item(&x));
        r.insert(keys[1].into(), item(&x));
        r.insert(
            keys[2].into(),
            item(&[Dep::Item(2), Dep::Group(1), Dep::Item(1)]),
        );
        r.insert(keys[3].into(), item(&y));
        r.insert(
            "/v1/articles?tag=sport||".into(),
            Arc::new(CachedResponse::new(Vec::new(), Bytes::new())),
        );
        r.insert("/v1/events/5||".into(), item(&y));
    };
    let kept = |k: &str| matches!(r.lookup(k), Lookup::Hit(_));

    // Article 5 edited: only its own responses (and the lists) go.
    fill();
    c.invalidate(ResourceType::Article, Some(&[Dep::Item(5), Dep::Group(5)]));
    assert!(kept(keys[0]) && kept(keys[1]) && kept(keys[2]));
    assert!(!kept(keys[3]));
    assert!(!kept("/v1/articles?tag=sport||"), "a list goes");
    assert!(kept("/v1/events/5||"), "another collection's item 5 stays");

    // Article 2 (a translation of 1, shown by it) edited: the whole group goes.
    fill();
    c.invalidate(ResourceType::Article, Some(&[Dep::Item(2), Dep::Group(1)]));
    assert!(!kept(keys[0]) && !kept(keys[1]) && !kept(keys[2]));
    assert!(kept(keys[3]));

    // A new article with a tag of 1: 1's related articles may change.
    fill();
    c.invalidate(
        ResourceType::Article,
        Some(&[Dep::Item(9), Dep::Group(9), tag("sport")]),
    );
    assert!(!kept(keys[0]) && kept(keys[2]) && kept(keys[3]));

    // One of the newest in 1's section and locale: likewise; another locale's not.
    fill();
    c.invalidate(ResourceType::Article, Some(&[section(3, "ru")]));
    assert!(kept(keys[0]));
    c.invalidate(ResourceType::Article, Some(&[section(3, "be")]));
    assert!(!kept(keys[0]));

    // Not knowing what a write touched (an older node, a failed write): all.
    fill();
    c.invalidate(ResourceType::Article, None);
    assert!(keys.iter().all(|k| !kept(k)));
    assert!(kept("/v1/events/5||"));
}

#[test]
fn deps_travel_as_words() {
    let deps = [
        Dep::Item(12),
        Dep::Group(7),
        Dep::Tag("folk-music".into()),
        Dep::Section(3, "be".into()),
    ];
    for d in &deps {
        let w = d.word().unwrap();
        assert!(!w.contains([' ', ',']), "{w}");
        assert_eq!(Dep::from_word(&w).as_ref(), Some(d), "{w}");
    }
    assert_eq!(Dep::Tag("a b".into()).word(), None);
    assert_eq!(Dep::Section(3, "b,e".into()).word(), None);
    for bad in ["", "i", "ix", "g-", "t", "s3", "s3.", "sx.be", "x1"] {
        assert_eq!(Dep::from_word(bad), None, "{bad}");
    }
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
