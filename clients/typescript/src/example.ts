// A typed tour of the belportal API with openapi-fetch and the types that
// openapi-typescript generated from openapi/openapi.json (src/schema.d.ts).
// Type-checked with `tsc --strict` in CI; run it against `belportal demo`:
//   npx tsc && node dist/example.js http://127.0.0.1:8080

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type ArticleListItem = components["schemas"]["ArticleListItem"];
export type UnescoSite = components["schemas"]["UnescoSite"];

/** A client for one belportal server. */
export function connect(baseUrl: string, apiKey?: string) {
  return createClient<paths>({
    baseUrl,
    // Comma lists (`fields`, `include`, `types`, `profile`, `lang` preference
    // lists) are `style: form, explode: false` in the spec: `fields=id,title`.
    querySerializer: { array: { style: "form", explode: false } },
    // Editors' key: the preview GETs declare it optional, writes require it.
    headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
  });
}

export type Client = ReturnType<typeof connect>;

/** An error answer as the problem+json body the API sends. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

/** The latest articles of a section: one page, only the fields shown. */
export async function latestArticles(api: Client, section: string): Promise<ArticleListItem[]> {
  const { data, error } = await api.GET("/v1/articles", {
    params: {
      query: { section, lang: ["en"], limit: 5, fields: ["id", "title", "slug", "published_at"] },
    },
  });
  if (error) throw new ApiError(error);
  return data.data;
}

/** Every article title, page after page: follow `meta.next_cursor`. */
export async function allArticleTitles(api: Client, tag: string): Promise<string[]> {
  const titles: string[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/v1/articles", {
      params: { query: { tag, limit: 20, cursor } },
    });
    if (error) throw new ApiError(error);
    titles.push(...data.data.map((a) => a.title));
    cursor = data.meta.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return titles;
}

/** One UNESCO World Heritage listing, by slug. */
export async function unescoListing(api: Client, slug: string): Promise<UnescoSite> {
  const { data, error } = await api.GET("/v1/unesco-sites/{id}", {
    params: { path: { id: slug }, query: { lang: "en" } },
  });
  if (error) throw new ApiError(error);
  return data;
}

/** The events calendar of a month (`YYYY-MM`): the days that have events. */
export async function busyDays(api: Client, month: string): Promise<Map<string, string[]>> {
  const { data, error } = await api.GET("/v1/events/calendar", {
    params: { query: { month, lang: "en" } },
  });
  if (error) throw new ApiError(error);
  const days = new Map<string, string[]>();
  for (const day of data.days) {
    if (day.count > 0) days.set(day.date, day.events.map((e) => e.title));
  }
  return days;
}

/** A bad request answers a problem+json body: read what to change. */
export async function tooLargeAPage(api: Client): Promise<Problem | undefined> {
  const { error, response } = await api.GET("/v1/articles", {
    params: { query: { limit: 1000 } },
  });
  if (response.status === 400 && error) {
    return error; // { type, title: "Bad Request", status: 400, detail: "`limit` must be ..." }
  }
  return undefined;
}

/** Places near Mir Castle, as the item types search uses (`unesco_site`). */
export async function nearMir(api: Client): Promise<string[]> {
  const { data, error } = await api.GET("/v1/nearby", {
    params: { query: { lat: 53.4513, lon: 26.4729, radius_km: 30, types: ["unesco_site", "monument"] } },
  });
  if (error) throw new ApiError(error);
  return data.data.map((p) => `${p.type}: ${p.name} (${p.distance_km ?? "?"} km)`);
}

/** The UNESCO listings for a map: GeoJSON at its own path. */
export async function unescoMap(api: Client): Promise<number> {
  const { data, error } = await api.GET("/v1/unesco-sites.geojson", {
    params: { query: { status: "inscribed", fields: ["id", "name"] } },
  });
  if (error) throw new ApiError(error);
  return data.features.length;
}

async function main(baseUrl: string): Promise<void> {
  const api = connect(baseUrl);
  for (const a of await latestArticles(api, "tourism")) console.log(a.published_at, a.title);
  console.log((await allArticleTitles(api, "minsk")).length, "articles tagged minsk");
  const mir = await unescoListing(api, "mir-castle-complex");
  console.log(mir.name, mir.year_inscribed, mir.criteria.join(","));
  for (const [day, titles] of await busyDays(api, "2026-12")) console.log(day, titles.join("; "));
  console.log(await tooLargeAPage(api));
  console.log(await nearMir(api));
  console.log(await unescoMap(api), "inscribed listings on the map");
}

const url = (globalThis as { process?: { argv: string[] } }).process?.argv[2];
if (url) {
  main(url).catch((e: unknown) => {
    console.error(e);
  });
}
