// `/admin`: the pool at a glance. Keys per status, balances (over known ones only: unknown is
// never 0), the last 24 hours' requests, and the charts. When SiliconFlow reports no balance
// at all, the balance charts say so and validity and usage come first.
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { Icon, PageHeader, Spinner, StatusBadge } from "../ui.js";
import { Card, STATUSES, StatusChart } from "../dashboard/keys.js";
import { DistributionChart, TrendChart } from "../dashboard/balance.js";
import { RequestsChart, TopChart } from "../dashboard/requests.js";

export const title = "dashboard.title";
export const access = "admin";

const TREND_RANGES = ["7d", "30d", "all"];
const REQUEST_RANGES = ["24h", "7d", "30d"];

function tz() { return -new Date().getTimezoneOffset(); }

function Periods({ name, value, ranges, onChange }) {
  return html`<div class="tabs tabs-small" role="group" aria-label=${t("dashboard.period")}>
    ${ranges.map((range) => html`<button type="button" class=${value === range ? "tab tab-active" : "tab"}
      aria-pressed=${value === range ? "true" : "false"} data-period=${`${name}-${range}`}
      onClick=${() => onChange(range)}>${t(`dashboard.range_${range}`)}</button>`)}
  </div>`;
}

// size: "wide" (the whole row), "half" or "third" of it (one column on a phone).
function Panel({ id, title: heading, tools, children, size = "half" }) {
  return html`<section class=${`panel chart-panel chart-${size}`} aria-labelledby=${id} data-panel=${id}>
    <div class="panel-head"><h2 id=${id}>${heading}</h2>${tools}</div>
    ${children}
  </section>`;
}

function Unknown({ children }) {
  return html`<p class="unknown-note" data-unknown>${children}</p>`;
}

function balanceValue(value) {
  return value === null || value === undefined ? t("balance.unknown") : format.balance(value);
}

function LatestKeys({ items }) {
  if (!items.length) return html`<p class="muted">${t("dashboard.no_keys")}</p>`;
  return html`<ul class="latest">${items.map((item) => html`<li key=${item.id}>
    <code class="key">${item.key}</code><${StatusBadge} status=${item.status} />
    <span class="latest-balance">${item.balance === null ? html`<span class="unknown">${t("balance.unknown")}</span>`
      : format.balance(item.balance)}</span>
    <time class="muted" title=${format.dateTime(item.added_at)}>${format.relative(item.added_at)}</time>
  </li>`)}</ul>`;
}

export function Page() {
  const [stats, setStats] = useState(null);
  const [trend, setTrend] = useState(null);
  const [trendRange, setTrendRange] = useState("30d");
  const [requests, setRequests] = useState(null);
  const [requestRange, setRequestRange] = useState("24h");
  const [outliers, setOutliers] = useState(false);  // leave outliers out of the balance charts' scale
  const [error, setError] = useState("");
  const fail = (failure) => { if (failure.status !== 401) setError(failure.message); };

  const load = () => {
    api.get("/api/stats", { range: trendRange }).then((answer) => { setStats(answer); setTrend(answer.trend); }, fail);
    api.get("/api/stats/requests", { range: requestRange, tz: tz() }).then(setRequests, fail);
  };
  useEffect(load, []);
  const switchTrend = (range) => {
    setTrendRange(range);
    api.get("/api/stats/trend", { range }).then(setTrend, fail);
  };
  const switchRequests = (range) => {
    setRequestRange(range);
    api.get("/api/stats/requests", { range, tz: tz() }).then(setRequests, fail);
  };

  if (error) return html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`;
  if (!stats) return html`<${Spinner} />`;
  const { keys, balance, requests: day } = stats;
  const valid = balance.valid;
  const known = valid.known > 0;

  const keyCards = html`<section aria-labelledby="keys-heading">
    <h2 id="keys-heading" class="section-title">${t("dashboard.keys")}</h2>
    <div class="cards">
      <${Card} name="total" label=${t("dashboard.total")} value=${format.number(keys.total)} raw=${keys.total} href="/keys" />
      ${STATUSES.map((status) => html`<${Card} name=${status} label=${t(`status.${status}`)} tone=${status}
        value=${format.number(keys.by_status[status])} raw=${keys.by_status[status]} href=${`/keys?status=${status}`} />`)}
      <${Card} name="unknown" label=${t("dashboard.unknown_balance")} tone="unknown" value=${format.number(balance.unknown)}
        raw=${balance.unknown} hint=${t("dashboard.unknown_balance_hint")} />
    </div>
  </section>`;
  const balanceCards = html`<section aria-labelledby="balance-heading">
    <h2 id="balance-heading" class="section-title">${t("dashboard.balance")}</h2>
    ${known ? html`<div class="cards">
      <${Card} name="balance_total" label=${t("dashboard.total_balance")} value=${balanceValue(valid.sum)} raw=${valid.sum}
        hint=${t("dashboard.over_known", { n: format.number(valid.known) })} />
      <${Card} name="balance_avg" label=${t("dashboard.average")} value=${balanceValue(valid.avg)} raw=${valid.avg} />
      <${Card} name="balance_median" label=${t("dashboard.median")} value=${balanceValue(valid.median)} raw=${valid.median} />
      <${Card} name="balance_max" label=${t("dashboard.highest")} value=${balanceValue(valid.max)} raw=${valid.max} />
      <${Card} name="balance_min" label=${t("dashboard.lowest")} value=${balanceValue(valid.min)} raw=${valid.min} />
    </div>` : html`<div class="callout" data-unknown>
      <p><strong>${t("dashboard.balances_unknown_title")}</strong></p>
      <p>${t("dashboard.balances_unknown_body")}</p></div>`}
  </section>`;
  const usageCards = html`<section aria-labelledby="usage-heading">
    <h2 id="usage-heading" class="section-title">${t("dashboard.usage")}</h2>
    <div class="cards">
      <${Card} name="requests" label=${t("dashboard.requests_axis")} value=${format.number(day.count)} raw=${day.count}
        hint=${t("dashboard.errors_hint", { n: format.number(day.errors) })} href="/logs?range=24h" />
      <${Card} name="success_rate" label=${t("dashboard.success_rate")} raw=${day.success_rate}
        value=${day.success_rate === null ? "—" : `${format.number(day.success_rate * 100, 1)}%`} />
      <${Card} name="tokens" label=${t("dashboard.tokens")} value=${format.number(day.tokens)} raw=${day.tokens}
        hint=${t("client_keys.tokens_split", { prompt: format.number(day.prompt_tokens), completion: format.number(day.completion_tokens) })} />
      <${Card} name="latency" label=${t("dashboard.latency")} raw=${day.avg_latency_ms}
        value=${format.ms(day.avg_latency_ms)} />
      <${Card} name="ttfb" label=${t("dashboard.ttfb")} raw=${day.avg_ttfb_ms}
        value=${format.ms(day.avg_ttfb_ms)} />
    </div>
  </section>`;

  const outlierNote = valid.upper_fence !== null && html`<p class="hint" data-outlier-rule>
    ${t("dashboard.outlier_rule", { fence: format.balance(valid.upper_fence), n: format.number(valid.outliers) })}</p>`;
  const outlierSwitch = known && html`<label class="check-field check-inline outlier-switch">
    <input type="checkbox" checked=${outliers} onChange=${(e) => setOutliers(e.currentTarget.checked)} />
    ${t("dashboard.leave_out_outliers")}</label>`;
  const distribution = html`<${Panel} id="panel-distribution" title=${t("dashboard.distribution")} tools=${outlierSwitch}>
    ${known ? html`<${DistributionChart} bins=${balance.distribution} leaveOut=${outliers} />${outlierNote}`
      : html`<${Unknown}>${t("dashboard.distribution_unknown")}<//>`}
  <//>`;
  const trendKnown = trend && trend.points.some((point) => point.total_balance !== null);
  const trendPanel = html`<${Panel} id="panel-trend" title=${t("dashboard.trend")} size=${known ? "wide" : "half"}
      tools=${html`<${Periods} name="trend" value=${trendRange} ranges=${TREND_RANGES} onChange=${switchTrend} />`}>
    ${trend && !trendKnown && html`<${Unknown}>${t("dashboard.trend_unknown")}<//>`}
    ${trend && html`<${TrendChart} trend=${trend} leaveOut=${outliers && trendKnown} />`}
    ${outliers && trendKnown && trend.upper_fence !== null && html`<p class="hint" data-trend-rule>
      ${t("dashboard.trend_rule", { fence: format.balance(trend.upper_fence) })}</p>`}
  <//>`;
  const status = html`<${Panel} id="panel-status" title=${t("dashboard.status")}>
    <${StatusChart} byStatus=${keys.by_status} total=${keys.total} /><//>`;
  const requestPanels = html`
    <${Panel} id="panel-requests" title=${t("dashboard.requests_over_time")} size="wide"
        tools=${html`<${Periods} name="requests" value=${requestRange} ranges=${REQUEST_RANGES} onChange=${switchRequests} />`}>
      ${requests ? html`<${RequestsChart} data=${requests} />` : html`<${Spinner} />`}
    <//>
    <${Panel} id="panel-models" size="third" title=${t("dashboard.top_models")}>
      ${requests && html`<${TopChart} id="chart-models" rows=${requests.models} label=${(row) => row.model} empty=${t("dashboard.no_requests")} />`}<//>
    <${Panel} id="panel-clients" size="third" title=${t("dashboard.top_clients")}>
      ${requests && html`<${TopChart} id="chart-clients" rows=${requests.clients} label=${(row) => row.name} empty=${t("dashboard.no_requests")} />`}<//>
    <${Panel} id="panel-keys" size="third" title=${t("dashboard.top_keys")}>
      ${requests && html`<${TopChart} id="chart-keys" rows=${requests.keys} label=${(row) => row.key} empty=${t("dashboard.no_requests")} />`}<//>`;
  const latest = html`<${Panel} id="panel-latest" title=${t("dashboard.latest_keys")} size=${known ? "wide" : "half"}
      tools=${html`<a class="button button-quiet button-small" href="/keys">${t("dashboard.all_keys")}</a>`}>
    <${LatestKeys} items=${stats.latest_keys} /><//>`;

  return html`
    <${PageHeader} title=${t("dashboard.heading")} subtitle=${t("dashboard.subtitle")}>
      <button type="button" class="button" onClick=${load}><${Icon} name="refresh" />${t("dashboard.refresh")}</button>
      <a class="button button-primary" href="/keys?add=1"><${Icon} name="plus" />${t("keys.add")}</a>
    <//>
    ${keys.total === 0 && html`<div class="empty">
      <h2>${t("dashboard.empty_title")}</h2><p class="muted">${t("dashboard.empty_body")}</p>
      <a class="button button-primary" href="/keys?add=1"><${Icon} name="plus" />${t("keys.add")}</a></div>`}
    ${keyCards}
    ${known ? html`${balanceCards}${usageCards}` : html`${usageCards}${balanceCards}`}
    <div class="chart-grid" data-leads=${known ? "balance" : "usage"}>
      ${known ? html`${distribution}${status}${trendPanel}${requestPanels}${latest}`
        : html`${status}${latest}${requestPanels}${distribution}${trendPanel}`}
    </div>`;
}
