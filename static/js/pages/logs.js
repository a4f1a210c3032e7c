// `/logs`: the latest proxied requests (filters, paging and CSV come with the logs page proper).
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { PageHeader, Spinner } from "../ui.js";

export const title = "logs.title";
export const admin = true;

export function Page() {
  const [logs, setLogs] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => { api.get("/api/logs", { page_size: 50 }).then(setLogs, (failure) => setError(failure.message)); }, []);
  return html`
    <${PageHeader} title=${t("logs.heading")} subtitle=${t("logs.subtitle")} />
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    ${!logs && !error && html`<${Spinner} />`}
    ${logs && logs.items.length === 0 && html`<div class="empty"><h2>${t("logs.empty_title")}</h2>
      <p class="muted">${t("logs.empty_body")}</p></div>`}
    ${logs && logs.items.length > 0 && html`<div class="table-card"><table class="table table-cards">
      <caption class="visually-hidden">${t("logs.heading")}</caption>
      <thead><tr>
        <th scope="col">${t("logs.time")}</th><th scope="col">${t("logs.endpoint")}</th>
        <th scope="col">${t("logs.model")}</th><th scope="col">${t("logs.status")}</th>
        <th scope="col" class="num">${t("logs.latency")}</th><th scope="col" class="num">${t("logs.tokens")}</th>
      </tr></thead>
      <tbody>${logs.items.map((row) => html`<tr key=${row.id}>
        <td data-label=${t("logs.time")} title=${format.dateTime(row.ts)}>${format.relative(row.ts)}</td>
        <td data-label=${t("logs.endpoint")}><code>${row.method} ${row.endpoint}</code></td>
        <td data-label=${t("logs.model")}>${row.model || "—"}</td>
        <td data-label=${t("logs.status")}><span class=${row.status >= 400 ? "badge badge-invalid" : "badge badge-valid"}>
          ${row.status}</span>${row.error_class && html` <span class="muted">${row.error_class}</span>`}</td>
        <td data-label=${t("logs.latency")} class="num">${row.latency_ms === null ? "—" : `${format.number(row.latency_ms)} ms`}</td>
        <td data-label=${t("logs.tokens")} class="num">${format.number((row.prompt_tokens || 0) + (row.completion_tokens || 0))}</td>
      </tr>`)}</tbody>
    </table></div>`}`;
}
