// The request log's filters: read from and written to the URL (reload and Back work), and
// turned into the API's query (GET /api/logs and its CSV export take the same one).
import * as format from "../format.js";

export const RANGES = ["all", "1h", "24h", "7d", "30d", "custom"];
const RANGE_S = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400 };
export const PAGE_SIZES = [50, 100, 200, 500];
export const ERROR_CLASSES = ["invalid", "exhausted", "forbidden", "rate_limited", "upstream_error", "client_error",
  "no_key", "stream_broken", "client_disconnected"];
const TEXT = ["model", "error_class", "key", "status", "since", "until"];
const IDS = ["key_id", "client_key_id"];

export function readFilters(search = location.search) {
  const query = new URLSearchParams(search);
  const size = Number(query.get("page_size"));
  const view = {
    range: RANGES.includes(query.get("range")) ? query.get("range") : "all",
    errors: query.get("errors") === "1",
    page: Math.max(1, Number(query.get("page")) || 1),
    page_size: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0],
  };
  for (const name of TEXT) view[name] = query.get(name) || "";
  for (const name of IDS) view[name] = /^\d+$/.test(query.get(name) || "") ? Number(query.get(name)) : null;
  return view;
}

export function writeFilters(view, replace) {
  const query = new URLSearchParams();
  if (view.tab && view.tab !== "requests") query.set("tab", view.tab);
  if (view.range !== "all") query.set("range", view.range);
  if (view.errors) query.set("errors", "1");
  for (const name of TEXT) {
    if (view[name] && ((name !== "since" && name !== "until") || view.range === "custom")) query.set(name, view[name]);
  }
  for (const name of IDS) if (view[name] !== null) query.set(name, String(view[name]));
  if (view.page > 1) query.set("page", String(view.page));
  if (view.page_size !== PAGE_SIZES[0]) query.set("page_size", String(view.page_size));
  const url = `${location.pathname}${query.toString() ? `?${query}` : ""}`;
  if (url !== location.pathname + location.search) history[replace ? "replaceState" : "pushState"](null, "", url);
}

// The API's query for the filters (no paging); `now` in Unix seconds decides the presets.
export function apiFilters(view, now = Math.floor(Date.now() / 1000)) {
  const params = {};
  if (RANGE_S[view.range]) params.since = now - RANGE_S[view.range];
  if (view.range === "custom") {
    // Unix seconds of a datetime-local value, or the text as it is (the API says what is wrong).
    if (view.since) params.since = format.fromLocalInput(view.since) ?? view.since;
    if (view.until) params.until = format.fromLocalInput(view.until) ?? view.until;
  }
  if (view.errors) params.errors = 1;
  for (const name of ["model", "error_class", "key", "status"]) if (view[name].trim()) params[name] = view[name].trim();
  for (const name of IDS) if (view[name] !== null) params[name] = view[name];
  return params;
}

export function isFiltered(view) {
  return view.range !== "all" || view.errors || IDS.some((name) => view[name] !== null)
    || ["model", "error_class", "key", "status"].some((name) => view[name]);
}

export const NO_FILTERS = { range: "all", errors: false, model: "", error_class: "", key: "", status: "", since: "",
  until: "", key_id: null, client_key_id: null };
