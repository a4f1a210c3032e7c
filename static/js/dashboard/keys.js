// The dashboard's cards and the keys' status doughnut (each status with its share).
import { html } from "../preact.js";
import { t } from "../i18n.js";
import * as format from "../format.js";
import { ChartCanvas } from "./charts.js";

export const STATUSES = ["valid", "unchecked", "exhausted", "invalid", "disabled"];

// `raw`: the API's figure, kept on the card (data-value) beside the text shown.
export function Card({ name, label, value, raw, hint, tone, href }) {
  const body = html`<span class="card-label">${label}</span>
    <span class="card-value">${value}</span>${hint && html`<span class="card-hint">${hint}</span>`}`;
  const props = { class: `card card-${tone || "plain"}`, "data-card": name, "data-value": raw === null || raw === undefined ? "" : String(raw) };
  return href ? html`<a ...${props} href=${href}>${body}</a>` : html`<div ...${props}>${body}</div>`;
}

export function share(count, total) {
  return total ? `${format.number((count / total) * 100, 1)}%` : "0%";
}

export function StatusChart({ byStatus, total }) {
  const shown = STATUSES.filter((status) => byStatus[status] > 0);
  if (!total) return html`<p class="muted">${t("dashboard.no_keys")}</p>`;
  const label = t("dashboard.status") + ": " + shown.map((status) =>
    `${t(`status.${status}`)} ${format.number(byStatus[status])} (${share(byStatus[status], total)})`).join(", ");
  return html`<${ChartCanvas} id="chart-status" label=${label} deps=${JSON.stringify([byStatus, t("status.valid")])}
    build=${(colors) => ({
      type: "doughnut",
      data: {
        labels: shown.map((status) => `${t(`status.${status}`)} · ${share(byStatus[status], total)}`),
        datasets: [{ data: shown.map((status) => byStatus[status]), backgroundColor: shown.map((status) => colors[status]),
          borderColor: colors.surface, borderWidth: 2 }],
      },
      options: { cutout: "62%", plugins: { legend: { position: "right", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (item) => ` ${format.number(item.raw)} · ${share(item.raw, total)}` } } } },
    })} />`;
}
