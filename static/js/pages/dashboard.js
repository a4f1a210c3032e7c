// `/admin`: the pool at a glance (the full dashboard with charts builds on this).
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { Icon, PageHeader, Spinner } from "../ui.js";

export const title = "dashboard.title";
export const admin = true;

const STATUSES = ["valid", "unchecked", "exhausted", "invalid", "disabled"];

function Card({ label, value, hint, tone, href }) {
  const body = html`<span class="card-label">${label}</span>
    <span class="card-value">${value}</span>${hint && html`<span class="card-hint">${hint}</span>`}`;
  return href ? html`<a class=${`card card-${tone || "plain"}`} href=${href}>${body}</a>`
    : html`<div class=${`card card-${tone || "plain"}`}>${body}</div>`;
}

export function Page() {
  const [stats, setStats] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => { api.get("/api/stats").then(setStats, (failure) => setError(failure.message)); }, []);
  if (error) return html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`;
  if (!stats) return html`<${Spinner} />`;
  const { keys, balance, requests } = stats;
  return html`
    <${PageHeader} title=${t("dashboard.heading")} subtitle=${t("dashboard.subtitle")}>
      <a class="button button-primary" href="/keys?add=1"><${Icon} name="plus" />${t("keys.add")}</a>
    <//>
    ${keys.total === 0 && html`<div class="empty">
      <h2>${t("dashboard.empty_title")}</h2><p class="muted">${t("dashboard.empty_body")}</p>
      <a class="button button-primary" href="/keys?add=1"><${Icon} name="plus" />${t("keys.add")}</a></div>`}
    <section aria-labelledby="keys-heading">
      <h2 id="keys-heading" class="section-title">${t("dashboard.keys")}</h2>
      <div class="cards">
        <${Card} label=${t("dashboard.total")} value=${format.number(keys.total)} href="/keys" />
        ${STATUSES.map((status) => html`<${Card} label=${t(`status.${status}`)} tone=${status}
          value=${format.number(keys.by_status[status] || 0)} href=${`/keys?status=${status}`} />`)}
      </div>
    </section>
    <section aria-labelledby="balance-heading">
      <h2 id="balance-heading" class="section-title">${t("dashboard.balance")}</h2>
      <div class="cards">
        <${Card} label=${t("dashboard.total_balance")}
          value=${balance.known > 0 ? format.balance(balance.sum) : t("balance.unknown")}
          hint=${balance.unknown ? t("dashboard.unknown_hint", { n: format.number(balance.unknown) }) : null} />
        <${Card} label=${t("dashboard.requests")} value=${format.number(requests.count || 0)}
          hint=${t("dashboard.errors_hint", { n: format.number(requests.errors || 0) })} />
      </div>
    </section>`;
}
