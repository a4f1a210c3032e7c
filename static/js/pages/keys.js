// `/keys`: the pool's keys. Filter, search, sort and page live in the URL (reload and Back
// work); the selection spans pages; checks show their progress in the job panel.
import { html, useEffect, useRef, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { copyText, Icon, notify, PageHeader, PageSizeSelect, Pagination, SortSelect, Spinner, useConfirm } from "../ui.js";
import { COLUMNS, KeysTable } from "../keys/table.js";
import { ImportDialog } from "../keys/import_dialog.js";
import { ExportDialog } from "../keys/export_dialog.js";
import { CheckDialog } from "../keys/check_dialog.js";
import { JobPanel, useServerJob } from "../keys/job_panel.js";
import { ClientCheck } from "../keys/client_check.js";

export const title = "keys.title";
export const access = "admin";

export const STATUSES = ["all", "valid", "unchecked", "exhausted", "invalid", "disabled"];
export const PAGE_SIZES = [12, 24, 50, 100];
const SEARCH_DELAY_MS = 300;

function readUrl(defaultSize) {
  const query = new URLSearchParams(location.search);
  const size = Number(query.get("page_size"));
  return {
    status: STATUSES.includes(query.get("status")) ? query.get("status") : "all",
    q: query.get("q") || "",
    sort: COLUMNS.some(([column]) => column === query.get("sort")) ? query.get("sort") : "added",
    order: query.get("order") === "asc" ? "asc" : "desc",
    page: Math.max(1, Number(query.get("page")) || 1),
    page_size: PAGE_SIZES.includes(size) ? size : defaultSize,
  };
}

function writeUrl(view, defaultSize, replace) {
  const query = new URLSearchParams();
  if (view.status !== "all") query.set("status", view.status);
  if (view.q) query.set("q", view.q);
  if (view.sort !== "added") query.set("sort", view.sort);
  if (view.order !== "desc") query.set("order", view.order);
  if (view.page > 1) query.set("page", String(view.page));
  if (view.page_size !== defaultSize) query.set("page_size", String(view.page_size));
  const url = `${location.pathname}${query.toString() ? `?${query}` : ""}`;
  if (url !== location.pathname + location.search) history[replace ? "replaceState" : "pushState"](null, "", url);
}

function listParams(view) {
  return { status: view.status === "all" ? undefined : view.status, q: view.q || undefined, sort: view.sort,
    order: view.order, page: view.page, page_size: view.page_size };
}

// Every column both ways, for the sort choice beside the table.
function sortChoices() {
  return COLUMNS.flatMap(([column, label]) => ["desc", "asc"].map((order) =>
    [`${column}-${order}`, t(`keys.sort_${order}`, { column: t(label) })]));
}

function filterOf(view) {
  const filter = {};
  if (view.status !== "all") filter.status = view.status;
  if (view.q) filter.q = view.q;
  return filter;
}

export function Page() {
  const [settings, setSettings] = useState(null);
  const [view, setView] = useState(null);
  const [list, setList] = useState(null);
  const [counts, setCounts] = useState(null);
  const [error, setError] = useState("");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState(() => new Set());
  const [dialog, setDialog] = useState(null);  // "import" | "export" | {check: selection}
  const [jobId, setJobId] = useState(null);
  const [clientJob, setClientJob] = useState(null);
  const [checking, setChecking] = useState(() => new Set());
  const clientRunner = useRef(null);
  const latest = useRef({ view: null, pageSize: 12, written: false });  // for callbacks made before the last render
  latest.current.view = view;
  const [confirmElement, confirm] = useConfirm();
  const refresh = () => { if (latest.current.view) load(latest.current.view); loadCounts(); };
  const [job, setJob] = useServerJob(jobId, refresh);

  const loadCounts = () => api.get("/api/stats").then((stats) => setCounts({ all: stats.keys.total, ...stats.keys.by_status }),
    () => {});
  const load = async (current) => {
    try {
      setList(await api.get("/api/keys", listParams(current)));
      setError("");
    } catch (failure) {
      if (failure.status !== 401) setError(failure.message);
    }
  };

  useEffect(() => {
    api.get("/api/settings").then((values) => {
      setSettings(values);
      latest.current.pageSize = values.page_size;
      const initial = readUrl(values.page_size);
      setView(initial);
      setSearch(initial.q);
      if (new URLSearchParams(location.search).get("add")) setDialog("import");
    }, (failure) => setError(failure.message));
    loadCounts();
    api.get("/api/jobs").then((jobs) => {  // a check still running (started before a reload) shows again
      const running = jobs.items.find((item) => item.state === "running");
      if (running) setJobId(running.id);
    }, () => {});
    const back = () => setView((old) => {
      if (!old) return old;
      const restored = readUrl(latest.current.pageSize);
      setSearch(restored.q);
      return restored;
    });
    addEventListener("popstate", back);
    return () => removeEventListener("popstate", back);
  }, []);
  useEffect(() => {
    if (!view || !settings) return;
    writeUrl(view, settings.page_size, !latest.current.written);  // the first write tidies the URL in place
    latest.current.written = true;
    load(view);
  }, [view]);
  useEffect(() => {  // search as you type, without a request per keystroke
    if (!view || search === view.q) return undefined;
    const timer = setTimeout(() => change({ q: search.trim(), page: 1 }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const change = (patch) => setView((old) => ({ ...old, ...patch }));
  if (!view || !settings) return error ? html`<p class="form-error" role="alert">${error}</p>` : html`<${Spinner} />`;

  const total = list?.total ?? 0;
  const items = list?.items ?? [];
  const selectedIds = [...selected];
  const toggle = (id) => setSelected((old) => { const next = new Set(old); next.has(id) ? next.delete(id) : next.add(id); return next; });
  const selectPage = (on) => setSelected((old) => {
    const next = new Set(old);
    items.forEach((item) => (on ? next.add(item.id) : next.delete(item.id)));
    return next;
  });
  const selectAllMatching = async () => {
    const answer = await api.get("/api/keys/ids", { status: filterOf(view).status, q: view.q || undefined });
    setSelected(new Set(answer.ids));
  };

  const copyKey = async (item) => {
    try {
      const answer = await api.get(`/api/keys/${item.id}/key`);
      notify(await copyText(answer.key) ? t("keys.copied", { key: item.key }) : t("common.copy_failed"));
    } catch (failure) {
      notify(failure.message, "error");
    }
  };
  const checkOne = async (item) => {
    setChecking((old) => new Set(old).add(item.id));
    try {
      const answer = await api.post(`/api/keys/${item.id}/check`, {});
      notify(t("keys.checked_one", { key: item.key, status: t(`status.${answer.status}`) }));
      refresh();
    } catch (failure) {
      notify(failure.message, "error");
    } finally {
      setChecking((old) => { const next = new Set(old); next.delete(item.id); return next; });
    }
  };

  const bulk = async (action, body, question) => {
    if (question && !(await confirm(question))) return;
    try {
      const answer = await api.post(`/api/keys/${action}`, body);
      notify(t(`keys.done_${action}`, { n: format.number(answer.changed) }));
      if (action === "delete") setSelected(new Set());
      refresh();
    } catch (failure) {
      notify(failure.message, "error");
    }
  };
  const deleteSelected = () => bulk("delete", { ids: selectedIds }, {
    title: t("keys.delete_title"), message: t("keys.delete_confirm", { n: format.number(selectedIds.length) }),
    confirm: t("keys.delete_n", { n: format.number(selectedIds.length) }), danger: true });
  const deleteWhere = async (filter, titleKey) => {
    const params = filter.zero_balance ? { max_balance: 0, page_size: 1 } : { status: filter.status, page_size: 1 };
    const n = (await api.get("/api/keys", params)).total;
    if (!n) { notify(t("keys.nothing_to_delete")); return; }
    await bulk("delete", filter, { title: t(titleKey), message: t("keys.delete_confirm", { n: format.number(n) }),
      confirm: t("keys.delete_n", { n: format.number(n) }), danger: true });
  };

  const startCheck = async (selection, count, jobSettings) => {
    setDialog(null);
    if (settings.client_side_checking) {
      clientRunner.current?.stop();
      const runner = new ClientCheck(selection, count, jobSettings, (snapshot) => {
        setClientJob(snapshot);
        if (snapshot.state !== "running") refresh();
      });
      clientRunner.current = runner;
      setJobId(null);
      setClientJob({ ...runner.view });
      runner.run();
      return;
    }
    try {
      const body = selection.ids ? { ids: selection.ids } : (Object.keys(selection).length ? selection : { all: true });
      const answer = await api.post("/api/keys/check", { ...body, ...jobSettings });
      setClientJob(null);
      setJob(null);
      setJobId(answer.job);
    } catch (failure) {
      notify(failure.message, "error");
    }
  };
  const stopJob = async () => {
    if (clientJob) { clientRunner.current?.stop(); return; }
    try { setJob(await api.post(`/api/jobs/${jobId}/stop`, {})); } catch (failure) { notify(failure.message, "error"); }
    refresh();
  };
  const shownJob = clientJob || job;
  const filtered = view.status !== "all" || view.q;

  return html`
    <${PageHeader} title=${t("keys.heading")} subtitle=${t("keys.subtitle")}>
      <button type="button" class="button button-primary" onClick=${() => setDialog("import")}><${Icon} name="plus" />${t("keys.add")}</button>
      <button type="button" class="button" onClick=${() => setDialog({ check: filterOf(view), count: total })} disabled=${!total}>
        <${Icon} name="refresh" />${filtered ? t("keys.check_matching", { n: format.number(total) }) : t("keys.check_all")}</button>
      <button type="button" class="button" onClick=${() => setDialog("export")}><${Icon} name="download" />${t("keys.export")}</button>
    <//>
    ${shownJob && html`<${JobPanel} job=${shownJob} client=${Boolean(clientJob)} onStop=${stopJob}
      onClose=${() => { setClientJob(null); setJobId(null); setJob(null); }} />`}
    <div class="toolbar" role="search">
      <div class="tabs" role="group" aria-label=${t("keys.filter_status")}>
        ${STATUSES.map((status) => html`<button type="button" class=${view.status === status ? "tab tab-active" : "tab"}
            aria-pressed=${view.status === status ? "true" : "false"} onClick=${() => change({ status, page: 1 })}>
          ${t(`status.${status}`)}${counts && html` <span class="tab-count">${format.number(counts[status] ?? 0)}</span>`}</button>`)}
      </div>
      <div class="toolbar-end">
        <label class="search"><span class="visually-hidden">${t("keys.search")}</span>
          <input type="search" placeholder=${t("keys.search_placeholder")} value=${search}
            onInput=${(e) => setSearch(e.currentTarget.value)} /></label>
        <${SortSelect} choices=${sortChoices()} sort=${view.sort} order=${view.order}
          onSort=${(sort, order) => change({ sort, order, page: 1 })} />
        <${PageSizeSelect} value=${view.page_size} sizes=${PAGE_SIZES} onSize=${(page_size) => change({ page_size, page: 1 })} />
      </div>
    </div>
    ${selected.size > 0 && html`<div class="selection-bar" role="region" aria-label=${t("keys.selection")}>
      <span class="selection-info"><strong data-selected=${selected.size}>${t("keys.selected", { n: format.number(selected.size) })}</strong>
        ${total > selected.size && html`<button type="button" class="link-button" onClick=${selectAllMatching}>
          ${t("keys.select_all_matching", { n: format.number(total) })}</button>`}
        <button type="button" class="link-button" onClick=${() => setSelected(new Set())}>${t("keys.clear_selection")}</button></span>
      <div class="selection-actions">
        <button type="button" class="button button-small" onClick=${() => setDialog({ check: { ids: selectedIds }, count: selectedIds.length })}>
          <${Icon} name="refresh" size=${15} />${t("keys.check")}</button>
        <button type="button" class="button button-small" onClick=${() => bulk("enable", { ids: selectedIds })}>
          <${Icon} name="power" size=${15} />${t("keys.enable")}</button>
        <button type="button" class="button button-small" onClick=${() => bulk("disable", { ids: selectedIds })}>
          <${Icon} name="pause" size=${15} />${t("keys.disable")}</button>
        <button type="button" class="button button-small" onClick=${() => setDialog("export")}>
          <${Icon} name="download" size=${15} />${t("keys.export")}</button>
        <button type="button" class="button button-small button-danger" onClick=${deleteSelected}>
          <${Icon} name="trash" size=${15} />${t("keys.delete")}</button>
      </div>
    </div>`}
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    <div class="table-card">
      ${!list && html`<div class="loading"><${Spinner} /></div>`}
      ${list && items.length === 0 && html`<div class="empty">
        <h2>${filtered ? t("keys.no_match") : t("keys.empty_title")}</h2>
        <p class="muted">${filtered ? t("keys.no_match_body") : t("keys.empty_body")}</p>
        ${!filtered && html`<button type="button" class="button button-primary" onClick=${() => setDialog("import")}>
          <${Icon} name="plus" />${t("keys.add")}</button>`}</div>`}
      ${items.length > 0 && html`<${KeysTable} items=${items} sort=${view.sort} order=${view.order}
        onSort=${(sort, order) => change({ sort, order, page: 1 })} selected=${selected} onToggle=${toggle}
        onSelectPage=${selectPage} onCopy=${copyKey} onCheck=${checkOne} checking=${checking} />`}
    </div>
    ${list && total > 0 && html`<${Pagination} page=${view.page} pageSize=${view.page_size} total=${total}
      onPage=${(page) => change({ page })} />`}
    <div class="cleanup">
      <span class="muted">${t("keys.cleanup")}</span>
      <button type="button" class="button button-small button-danger-quiet"
        onClick=${() => deleteWhere({ zero_balance: true }, "keys.delete_zero")}><${Icon} name="trash" size=${15} />${t("keys.delete_zero")}</button>
      <button type="button" class="button button-small button-danger-quiet"
        onClick=${() => deleteWhere({ status: "invalid" }, "keys.delete_invalid")}><${Icon} name="trash" size=${15} />${t("keys.delete_invalid")}</button>
    </div>
    ${dialog === "import" && html`<${ImportDialog} onClose=${() => setDialog(null)} onImported=${(result) => {
      refresh();
      if (result.jobs.length) { setClientJob(null); setJobId(result.jobs[result.jobs.length - 1]); }
    }} />`}
    ${dialog === "export" && html`<${ExportDialog} selectedIds=${selectedIds} onClose=${() => setDialog(null)} />`}
    ${dialog?.check && html`<${CheckDialog} count=${dialog.count} defaults=${settings} clientSide=${settings.client_side_checking}
      onClose=${() => setDialog(null)} onStart=${(jobSettings) => startCheck(dialog.check, dialog.count, jobSettings)} />`}
    ${confirmElement}`;
}
