#!/usr/bin/env python3
"""Writes the URL mix of bench/mixed.sh: about COUNT distinct GET paths a real
audience requests (article lists with filters, numbered pages and cursors,
articles, place lists, places, radius searches, /v1/nearby, full-text search
and the search box), read off a running server, shuffled with a fixed seed so
that the Zipf ranks mix the kinds of request. Usage: mixed-urls.py BASE COUNT."""
import json
import random
import sys
import urllib.request

base, count = sys.argv[1], int(sys.argv[2])


def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.load(r)


rng = random.Random(42)
urls = []
sections = [s["slug"] for s in get("/v1/sections?limit=100")["data"]]
words = ["minsk", "brest", "vitebsk", "gomel", "grodno", "mogilev", "festival",
         "museum", "castle", "lake", "forum", "railway", "forest", "bison"]
tags = ["economy", "culture", "sport", "tourism", "education", "health",
        "industry", "history", "ecology", "agriculture", "festival"]
total = get("/v1/articles?limit=1")["meta"]["total"]
places = get("/v1/tourist-sites?limit=1")["meta"]["total"]

# Article lists: numbered pages, sections, tags, `q`, and pages by cursor.
urls += [f"/v1/articles?page={p}" for p in range(1, 151)]
urls += [f"/v1/articles?section={s}&page={p}" for s in sections for p in range(1, 21)]
urls += [f"/v1/articles?tag={t}&page={p}" for t in tags for p in range(1, 11)]
urls += [f"/v1/articles?q={w}" for w in words]
path = "/v1/articles?limit=20"
for _ in range(60):
    nxt = get(path)["links"].get("next")
    if not nxt:
        break
    path = nxt[len(base):] if nxt.startswith("http") else nxt
    urls.append(path)
# Articles by id.
ids = rng.sample(range(1, total + 1), min(total, 850))
urls += [f"/v1/articles/{i}" for i in ids]
# Places: lists, items, radius searches and /v1/nearby around points in Belarus.
urls += [f"/v1/tourist-sites?page={p}" for p in range(1, 61)]
urls += [f"/v1/monuments?page={p}" for p in range(1, 41)]
place_ids = [p["id"] for p in get("/v1/tourist-sites?limit=100")["data"]]
place_ids += [p["id"] for p in get("/v1/monuments?limit=100")["data"]]
urls += [f"/v1/{'tourist-sites' if i < 100 else 'monuments'}/{pid}" for i, pid in enumerate(place_ids)]
for _ in range(120):
    lat, lon = round(rng.uniform(51.5, 55.8), 4), round(rng.uniform(23.5, 32.5), 4)
    urls.append(f"/v1/tourist-sites?near={lat},{lon}&radius_km=25")
for _ in range(100):
    lat, lon = round(rng.uniform(51.5, 55.8), 4), round(rng.uniform(23.5, 32.5), 4)
    urls.append(f"/v1/nearby?lat={lat}&lon={lon}&radius_km=25")
# Search and the search box.
urls += [f"/v1/search?q={a}+{b}" for a in words for b in words[:6] if a != b]
prefixes = sorted({w[:n] for w in words + tags for n in (2, 3, 4, 5)})
urls += [f"/v1/suggest?q={p}" for p in prefixes]
urls += ["/v1/sections", "/v1/regions"]

urls = list(dict.fromkeys(urls))
rng.shuffle(urls)
for u in urls[:count]:
    print(u)
print(f"{min(count, len(urls))} distinct URLs ({len(urls)} made)", file=sys.stderr)
