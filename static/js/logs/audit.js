// The audit trail: who did what to the pool (admin, the ADMIN_TOKEN, guests, visitors), newest first.
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { Pagination, Spinner } from "../ui.js";

const ACTORS = ["", "admin", "token", "guest", "anonymous"];
const PAGE_SIZE = 50;

function detailText(detail) {
  if (!detail) return "";
  return Object.entries(detail).map(([name, value]) => `${name}: ${typeof value === "object" ? JSON.stringify(value) : value}`).join(", ");
}

export function AuditTrail() {
  const [filter, setFilter] = useState({ action: "", actor: "", page: 1 });
  const [typed, setTyped] = useState("");
  const [trail, setTrail] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api.get("/api/audit", { action: filter.action || undefined, actor: filter.actor || undefined, page: filter.page,
      page_size: PAGE_SIZE }).then((answer) => { setTrail(answer); setError(""); }, (failure) => setError(failure.message));
  }, [filter]);
  useEffect(() => {
    if (typed.trim() === filter.action) return undefined;
    const timer = setTimeout(() => setFilter({ ...filter, action: typed.trim(), page: 1 }), 400);
    return () => clearTimeout(timer);
  }, [typed]);
  return html`
    <p class="muted">${t("audit.subtitle")}</p>
    <div class="filters" role="search" aria-label=${t("audit.filters")}>
      <div class="field"><label for="audit-action">${t("audit.action")}</label>
        <input id="audit-action" value=${typed} placeholder="keys" autocomplete="off" onInput=${(e) => setTyped(e.currentTarget.value)}
          aria-describedby="audit-action-hint" />
        <p id="audit-action-hint" class="hint">${t("audit.action_hint")}</p></div>
      <div class="field"><label for="audit-actor">${t("audit.actor")}</label>
        <select id="audit-actor" value=${filter.actor} onChange=${(e) => setFilter({ ...filter, actor: e.currentTarget.value, page: 1 })}>
          ${ACTORS.map((actor) => html`<option value=${actor}>${actor ? t(`audit.actor_${actor}`) : t("logs.any")}</option>`)}
        </select></div>
    </div>
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    <div class="table-card">
      ${!trail && !error && html`<div class="loading"><${Spinner} /></div>`}
      ${trail && trail.items.length === 0 && html`<div class="empty"><h2>${t("audit.empty")}</h2></div>`}
      ${trail && trail.items.length > 0 && html`<table class="table table-cards audit-table">
        <caption class="visually-hidden">${t("audit.heading")}</caption>
        <thead><tr><th scope="col">${t("logs.time")}</th><th scope="col">${t("audit.actor")}</th>
          <th scope="col">${t("audit.address")}</th><th scope="col">${t("audit.action")}</th>
          <th scope="col" class="num">${t("audit.count")}</th><th scope="col">${t("audit.detail")}</th></tr></thead>
        <tbody>${trail.items.map((item) => html`<tr key=${item.id}>
          <td data-label=${t("logs.time")}><time title=${format.relative(item.ts)}>${format.dateTime(item.ts)}</time></td>
          <td data-label=${t("audit.actor")}>${item.actor}</td>
          <td data-label=${t("audit.address")}><code>${item.address}</code></td>
          <td data-label=${t("audit.action")}><code>${item.action}</code></td>
          <td data-label=${t("audit.count")} class="num">${item.count === null ? "—" : format.number(item.count)}</td>
          <td data-label=${t("audit.detail")} class="detail-cell">${detailText(item.detail) || "—"}</td>
        </tr>`)}</tbody>
      </table>`}
    </div>
    ${trail && trail.total > 0 && html`<${Pagination} page=${filter.page} pageSize=${PAGE_SIZE} total=${trail.total}
      onPage=${(page) => setFilter({ ...filter, page })} />`}`;
}
