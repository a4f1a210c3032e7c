// The balance charts: the valid keys per balance bin, and the pool's balance over time. With
// "leave out outliers", balances above the fence (Q3 + 1.5 × IQR, from the API) are left out
// of the scale: their bins' bars shrink or go, and the trend's axis stops at the highest other day.
import { html } from "../preact.js";
import { locale, t } from "../i18n.js";
import * as format from "../format.js";
import { ChartCanvas } from "./charts.js";

function binLabel(bin) {
  if (bin.low === null) return `≤ ${format.number(bin.high)}`;
  if (bin.high === null) return `> ${format.number(bin.low)}`;
  return `${format.number(bin.low)}–${format.number(bin.high)}`;
}

// The bins as drawn: with outliers left out, each bin loses its outliers and bins of nothing
// but outliers go.
export function shownBins(bins, leaveOut) {
  if (!leaveOut) return bins.map((bin) => ({ ...bin, shown: bin.count }));
  return bins.map((bin) => ({ ...bin, shown: bin.count - bin.outliers }))
    .filter((bin) => !(bin.outliers > 0 && bin.outliers === bin.count));
}

export function DistributionChart({ bins, leaveOut }) {
  const shown = shownBins(bins, leaveOut);
  const label = t("dashboard.distribution") + ": " + shown.map((bin) => `${binLabel(bin)}: ${format.number(bin.shown)}`).join(", ");
  return html`<${ChartCanvas} id="chart-distribution" label=${label} deps=${JSON.stringify([shown, t("dashboard.keys_axis")])}
    build=${(colors) => ({
      type: "bar",
      data: { labels: shown.map(binLabel), datasets: [{ label: t("dashboard.keys_axis"), data: shown.map((bin) => bin.shown),
        backgroundColor: colors.series[0], borderRadius: 4 }] },
      options: { plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: t("dashboard.balance_axis") } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: t("dashboard.keys_axis") } } } },
    })} />`;
}

function dayLabel(day) {
  return new Intl.DateTimeFormat(locale(), { month: "short", day: "numeric", timeZone: "UTC" })
    .format(new Date(`${day}T00:00:00Z`));
}

// The trend's balance axis: up to the highest day at or below the fence when outliers are left out.
export function trendMax(points, fence, leaveOut) {
  if (!leaveOut || fence === null) return undefined;
  const kept = points.map((point) => point.total_balance).filter((value) => value !== null && value <= fence);
  const all = points.map((point) => point.total_balance).filter((value) => value !== null);
  return kept.length && kept.length < all.length ? Math.max(...kept) * 1.05 : undefined;
}

export function TrendChart({ trend, leaveOut }) {
  const points = trend.points;
  const known = points.some((point) => point.total_balance !== null);
  const max = trendMax(points, trend.upper_fence, leaveOut);
  if (!points.length) return html`<p class="muted">${t("dashboard.trend_empty")}</p>`;
  const label = `${t("dashboard.trend")} (${points.length}): ` + points.slice(-3).map((point) =>
    `${point.day} ${point.total_balance === null ? t("balance.unknown") : format.balance(point.total_balance)}`).join(", ");
  return html`<${ChartCanvas} id="chart-trend" label=${label} deps=${JSON.stringify([points, max, known, t("dashboard.valid_keys_axis")])}
    build=${(colors) => ({
      type: "line",
      data: {
        labels: points.map((point) => dayLabel(point.day)),
        datasets: [
          ...(known ? [{ label: t("dashboard.balance_axis"), data: points.map((point) => point.total_balance), yAxisID: "y",
            borderColor: colors.series[0], backgroundColor: colors.series[0], tension: 0.25, spanGaps: true, pointRadius: 2 }] : []),
          { label: t("dashboard.valid_keys_axis"), data: points.map((point) => point.valid_keys), yAxisID: "keys",
            borderColor: colors.series[1], backgroundColor: colors.series[1], borderDash: [5, 4], tension: 0.25, pointRadius: 2 },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { offset: points.length < 3 },
          ...(known ? { y: { beginAtZero: true, max, position: "left", title: { display: true, text: t("dashboard.balance_axis") } } } : {}),
          keys: { beginAtZero: true, position: known ? "right" : "left", ticks: { precision: 0 }, grid: { drawOnChartArea: !known },
            title: { display: true, text: t("dashboard.valid_keys_axis") } },
        },
      },
    })} />`;
}
