// The request log: filters (time range, status, errors only, model, error class, upstream key,
// client key), pages, a CSV download of every filtered row, and clearing the log.
import { html, useEffect, useRef, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api, fetchParts } from "../api.js";
import * as format from "../format.js";
import { downloadText, Icon, notify, PageSizeSelect, Pagination, Spinner, useConfirm } from "../ui.js";
import { apiFilters, ERROR_CLASSES, isFiltered, NO_FILTERS, PAGE_SIZES, RANGES } from "./filters.js";

const TYPING_DELAY_MS = 400;
const TYPED = ["model", "key", "status", "since", "until"];

function Filters({ view, clients, onChange }) {
  const [draft, setDraft] = useState(() => Object.fromEntries(TYPED.map((name) => [name, view[name]])));
  useEffect(() => { setDraft(Object.fromEntries(TYPED.map((name) => [name, view[name]]))); },
    TYPED.map((name) => view[name]));
  useEffect(() => {  // typed filters apply after a pause, not on every keystroke
    if (TYPED.every((name) => draft[name] === view[name])) return undefined;
    const timer = setTimeout(() => onChange({ ...draft, page: 1 }), TYPING_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft]);
  const typed = (name) => (e) => setDraft({ ...draft, [name]: e.currentTarget.value });
  const now = () => onChange({ ...draft, page: 1 });
  return html`<form class="filters" role="search" aria-label=${t("logs.filters")}
      onSubmit=${(e) => { e.preventDefault(); now(); }}>
    <div class="field">
      <label for="logs-range">${t("logs.range")}</label>
      <select id="logs-range" value=${view.range} onChange=${(e) => onChange({ range: e.currentTarget.value, page: 1 })}>
        ${RANGES.map((range) => html`<option value=${range}>${t(`logs.range_${range}`)}</option>`)}
      </select>
    </div>
    ${view.range === "custom" && html`
      <div class="field"><label for="logs-since">${t("logs.since")}</label>
        <input id="logs-since" type="datetime-local" value=${draft.since} onInput=${typed("since")} /></div>
      <div class="field"><label for="logs-until">${t("logs.until")}</label>
        <input id="logs-until" type="datetime-local" value=${draft.until} onInput=${typed("until")} /></div>`}
    <div class="field">
      <label for="logs-status">${t("logs.status_code")}</label>
      <input id="logs-status" type="number" inputmode="numeric" min="100" max="599" placeholder="429" value=${draft.status}
        onInput=${typed("status")} />
    </div>
    <div class="field">
      <label for="logs-model">${t("logs.model")}</label>
      <input id="logs-model" value=${draft.model} placeholder="deepseek-ai/DeepSeek-V3" autocomplete="off" spellcheck="false"
        onInput=${typed("model")} />
    </div>
    <div class="field">
      <label for="logs-error-class">${t("logs.error_class")}</label>
      <select id="logs-error-class" value=${view.error_class} onChange=${(e) => onChange({ error_class: e.currentTarget.value, page: 1 })}>
        <option value="">${t("logs.any")}</option>
        ${ERROR_CLASSES.map((name) => html`<option value=${name}>${name}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="logs-key">${t("logs.upstream_key")}</label>
      <input id="logs-key" value=${draft.key} placeholder="sk-abcd…wxyz" autocomplete="off" spellcheck="false"
        aria-describedby="logs-key-hint" onInput=${typed("key")} />
      <p id="logs-key-hint" class="hint visually-hidden">${t("logs.upstream_key_hint")}</p>
    </div>
    <div class="field">
      <label for="logs-client">${t("logs.client_key")}</label>
      <select id="logs-client" value=${view.client_key_id ?? ""}
        onChange=${(e) => onChange({ client_key_id: e.currentTarget.value ? Number(e.currentTarget.value) : null, page: 1 })}>
        <option value="">${t("logs.any")}</option>
        ${clients.map((client) => html`<option value=${client.id}>${client.name}</option>`)}
      </select>
    </div>
    <label class="check-field check-inline"><input type="checkbox" checked=${view.errors}
      onChange=${(e) => onChange({ errors: e.currentTarget.checked, page: 1 })} />${t("logs.errors_only")}</label>
    <button type="submit" class="visually-hidden" tabindex="-1">${t("logs.apply")}</button>
  </form>`;
}

function LogsTable({ items, onKey, onClient }) {
  return html`<table class="table table-cards logs-table">
    <caption class="visually-hidden">${t("logs.heading")}</caption>
    <thead><tr>
      <th scope="col">${t("logs.time")}</th><th scope="col">${t("logs.client_key")}</th>
      <th scope="col">${t("logs.upstream_key")}</th><th scope="col">${t("logs.endpoint")}</th>
      <th scope="col">${t("logs.model")}</th><th scope="col">${t("logs.status")}</th>
      <th scope="col" class="num">${t("logs.latency")}</th><th scope="col" class="num">${t("logs.ttfb")}</th>
      <th scope="col" class="num">${t("logs.attempts")}</th><th scope="col" class="num">${t("logs.tokens")}</th>
    </tr></thead>
    <tbody>${items.map((row) => html`<tr key=${row.id} data-log=${row.id}>
      <td data-label=${t("logs.time")}><time datetime=${new Date(row.ts * 1000).toISOString()} title=${format.relative(row.ts)}>
        ${format.preciseTime(row.ts)}</time></td>
      <td data-label=${t("logs.client_key")}>${row.client_name
        ? html`<button type="button" class="link-button" onClick=${() => onClient(row.client_key_id)}
            title=${t("logs.only_this_client")}>${row.client_name}</button>` : html`<span class="muted">—</span>`}</td>
      <td data-label=${t("logs.upstream_key")}>${row.upstream_key
        ? html`<button type="button" class="link-button key-link" onClick=${() => onKey(row.key_id, row.upstream_key)}
            title=${t("logs.only_this_key")}><code class="key">${row.upstream_key}</code></button>` : html`<span class="muted">—</span>`}</td>
      <td data-label=${t("logs.endpoint")}><code class="endpoint">${row.method} ${row.endpoint}</code>
        ${row.stream ? html`<span class="cell-note">${t("logs.streamed")}</span>` : ""}</td>
      <td data-label=${t("logs.model")}><span class="model">${row.model || "—"}</span></td>
      <td data-label=${t("logs.status")}><span class=${row.status >= 400 ? "badge badge-invalid" : "badge badge-valid"}>
        ${row.status}</span>${row.error_class && html`<span class="cell-note">${row.error_class}</span>`}</td>
      <td data-label=${t("logs.latency")} class="num">${format.ms(row.latency_ms)}</td>
      <td data-label=${t("logs.ttfb")} class="num">${format.ms(row.ttfb_ms)}</td>
      <td data-label=${t("logs.attempts")} class="num">${format.number(row.attempts)}</td>
      <td data-label=${t("logs.tokens")} class="num" title=${t("client_keys.tokens_split",
        { prompt: format.number(row.prompt_tokens || 0), completion: format.number(row.completion_tokens || 0) })}>
        ${format.number((row.prompt_tokens || 0) + (row.completion_tokens || 0))}</td>
    </tr>`)}</tbody>
  </table>`;
}

export function RequestLog({ view, onChange }) {
  const [logs, setLogs] = useState(null);
  const [error, setError] = useState("");
  const [clients, setClients] = useState([]);
  const [exporting, setExporting] = useState(null);
  const [confirmElement, confirm] = useConfirm();
  const keyShown = useRef({});  // key id -> its masked text, for the filter's chip
  const asked = useRef(0);  // only the latest request's answer shows (typing sends several)
  const load = async () => {
    const mine = ++asked.current;
    try {
      const answer = await api.get("/api/logs", { ...apiFilters(view), page: view.page, page_size: view.page_size });
      if (mine !== asked.current) return;
      setLogs(answer);
      setError("");
    } catch (failure) {
      if (mine === asked.current && failure.status !== 401) setError(failure.message);
    }
  };
  useEffect(() => { api.get("/api/client-keys").then((answer) => setClients(answer.items), () => {}); }, []);
  useEffect(() => { load(); }, [JSON.stringify(view)]);

  const download = async () => {
    setExporting(0);
    try {
      const parts = await fetchParts("/api/logs/export", apiFilters(view), "x-logs-next-before", "before", setExporting);
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
      downloadText(`keypool-requests-${stamp}.csv`, parts, "text/csv;charset=utf-8");
      notify(t("logs.csv_done"));
    } catch (failure) {
      notify(failure.message, "error");
    } finally {
      setExporting(null);
    }
  };
  const clear = async () => {
    const yes = await confirm({ title: t("logs.clear_title"), danger: true, confirm: t("logs.clear"),
      message: t("logs.clear_confirm") });
    if (!yes) return;
    try {
      const answer = await api.delete("/api/logs");
      notify(t("logs.cleared", { n: format.number(answer.deleted) }));
      if (view.page === 1) load(); else onChange({ page: 1 });  // a new page loads itself
    } catch (failure) { notify(failure.message, "error"); }
  };
  const onKey = (id, shown) => { keyShown.current[id] = shown; onChange({ key_id: id, key: "", page: 1 }); };

  const filtered = isFiltered(view);
  const clientName = clients.find((client) => client.id === view.client_key_id)?.name;
  return html`
    <div class="toolbar">
      <div class="toolbar-start">
        ${view.key_id !== null && html`<span class="chip">${t("logs.upstream_key")}: <code>${keyShown.current[view.key_id]
          || logs?.items.find((row) => row.key_id === view.key_id)?.upstream_key || `#${view.key_id}`}</code>
          <button type="button" class="icon-button" aria-label=${t("logs.remove_filter")} onClick=${() => onChange({ key_id: null, page: 1 })}>
            <${Icon} name="close" size=${14} /></button></span>`}
        ${view.client_key_id !== null && clientName && html`<span class="chip">${t("logs.client_key")}: ${clientName}
          <button type="button" class="icon-button" aria-label=${t("logs.remove_filter")} onClick=${() => onChange({ client_key_id: null, page: 1 })}>
            <${Icon} name="close" size=${14} /></button></span>`}
        ${filtered && html`<button type="button" class="link-button" onClick=${() => onChange({ ...NO_FILTERS, page: 1 })}>
          ${t("logs.reset")}</button>`}
      </div>
      <div class="toolbar-end">
        <button type="button" class="button" onClick=${download} disabled=${exporting !== null || !logs?.total}>
          ${exporting !== null ? html`<${Spinner} />` : html`<${Icon} name="download" size=${16} />`}${t("logs.csv")}</button>
        <button type="button" class="button button-danger-quiet" onClick=${clear} disabled=${!logs?.total && !filtered}>
          <${Icon} name="trash" size=${16} />${t("logs.clear")}</button>
      </div>
    </div>
    <${Filters} view=${view} clients=${clients} onChange=${onChange} />
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    <div class="table-card">
      ${!logs && !error && html`<div class="loading"><${Spinner} /></div>`}
      ${logs && logs.items.length === 0 && html`<div class="empty">
        <h2>${filtered ? t("logs.no_match") : t("logs.empty_title")}</h2>
        <p class="muted">${filtered ? t("logs.no_match_body") : t("logs.empty_body")}</p></div>`}
      ${logs && logs.items.length > 0 && html`<${LogsTable} items=${logs.items} onKey=${onKey}
        onClient=${(id) => onChange({ client_key_id: id, page: 1 })} />`}
    </div>
    ${logs && logs.total > 0 && html`<div class="pagination-row">
      <${Pagination} page=${view.page} pageSize=${view.page_size} total=${logs.total} onPage=${(page) => onChange({ page })} />
      <${PageSizeSelect} value=${view.page_size} sizes=${PAGE_SIZES} onSize=${(page_size) => onChange({ page_size, page: 1 })} />
    </div>`}
    ${confirmElement}`;
}
