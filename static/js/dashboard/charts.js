// Chart.js on the dashboard: one canvas per chart, colours from the stylesheet's custom
// properties (light and dark follow the system), labels drawn as text, never as markup.
import { html, useEffect, useRef } from "../preact.js";
import { Chart } from "../chart.js";
import { locale } from "../i18n.js";

export function palette() {
  const style = getComputedStyle(document.documentElement);
  const get = (name) => style.getPropertyValue(name).trim();
  return {
    text: get("--text"), muted: get("--muted"), border: get("--border"), surface: get("--surface"), font: get("--font"),
    series: [1, 2, 3, 4, 5].map((i) => get(`--chart-${i}`)),
    valid: get("--ok"), unchecked: get("--info"), exhausted: get("--warn"), invalid: get("--bad"), disabled: get("--neutral"),
  };
}

function reducedMotion() {
  return matchMedia("(prefers-reduced-motion: reduce)").matches;
}

// `build(colors)` makes the chart's config; the chart is made again when `deps` changes.
export function ChartCanvas({ id, label, build, deps, height = "16rem" }) {
  const canvas = useRef(null);
  useEffect(() => {
    const colors = palette();
    Chart.defaults.color = colors.muted;
    Chart.defaults.borderColor = colors.border;
    Chart.defaults.font.family = colors.font;
    Chart.defaults.locale = locale();
    const config = build(colors);
    config.options = { responsive: true, maintainAspectRatio: false, animation: reducedMotion() ? false : { duration: 300 },
      ...config.options };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [deps, locale()]);
  return html`<div class="chart-box" style=${{ height }}>
    <canvas ref=${canvas} id=${id} role="img" aria-label=${label}></canvas></div>`;
}
