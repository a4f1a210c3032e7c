// The request charts: requests and errors per hour (24 h) or day (7 / 30 days), and the models,
// client keys and upstream keys with the most requests.
import { html } from "../preact.js";
import { locale, t } from "../i18n.js";
import * as format from "../format.js";
import { ChartCanvas } from "./charts.js";

function bucketLabel(seconds, step) {
  const options = step < 86400 ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric" };
  return new Intl.DateTimeFormat(locale(), options).format(new Date(seconds * 1000));
}

export function RequestsChart({ data }) {
  const points = data.series;
  const total = points.reduce((sum, point) => sum + point.requests, 0);
  const errors = points.reduce((sum, point) => sum + point.errors, 0);
  const label = t("dashboard.requests_summary", { n: format.number(total), errors: format.number(errors) });
  return html`<${ChartCanvas} id="chart-requests" label=${label} deps=${JSON.stringify([data, t("dashboard.succeeded")])}
    build=${(colors) => ({
      type: "bar",
      data: {
        labels: points.map((point) => bucketLabel(point.t, data.step_s)),
        datasets: [
          { label: t("dashboard.succeeded"), data: points.map((point) => point.requests - point.errors), backgroundColor: colors.series[1], stack: "r" },
          { label: t("dashboard.failed"), data: points.map((point) => point.errors), backgroundColor: colors.series[3], stack: "r" },
        ],
      },
      options: { interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    })} />`;
}

export function TopChart({ id, rows, label, empty }) {
  if (!rows.length) return html`<p class="muted" data-empty-chart=${id}>${empty}</p>`;
  const summary = rows.map((row) => `${label(row)}: ${format.number(row.requests)}`).join(", ");
  return html`<${ChartCanvas} id=${id} label=${summary} height=${`${Math.max(8, rows.length * 2.2 + 3)}rem`}
    deps=${JSON.stringify([rows, t("dashboard.requests_axis")])}
    build=${(colors) => ({
      type: "bar",
      data: { labels: rows.map(label), datasets: [{ label: t("dashboard.requests_axis"), data: rows.map((row) => row.requests),
        backgroundColor: colors.series[0], borderRadius: 4 }] },
      options: { indexAxis: "y", plugins: { legend: { display: false }, tooltip: { callbacks: {
        afterLabel: (item) => t("dashboard.top_tooltip", { errors: format.number(rows[item.dataIndex].errors),
          tokens: format.number(rows[item.dataIndex].tokens) }) } } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } } },
    })} />`;
}
