// The shared keys of `/` (open mode, or guest mode after the guest password): the pool's usable
// keys masked, with balances and counts, sorted and paged by the API; a copy button when the
// admin lets visitors copy (each copy goes through the API: rate-limited, audited).
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { copyText, Icon, notify, PageHeader, PageSizeSelect, Pagination, SortSelect, Spinner, StatusBadge } from "../ui.js";
import { Balance, SortHeader, When } from "../keys/table.js";

const SORTS = ["balance", "added"];
const PAGE_SIZES = [12, 24, 50, 100];
const SORT_CHOICES = ["balance-desc", "balance-asc", "added-desc", "added-asc"];

function readUrl() {
  const query = new URLSearchParams(location.search);
  const size = Number(query.get("page_size"));
  return {
    sort: SORTS.includes(query.get("sort")) ? query.get("sort") : "balance",
    order: query.get("order") === "asc" ? "asc" : "desc",
    page: Math.max(1, Number(query.get("page")) || 1),
    page_size: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0],
  };
}

function writeUrl(view) {
  const query = new URLSearchParams();
  if (view.sort !== "balance") query.set("sort", view.sort);
  if (view.order !== "desc") query.set("order", view.order);
  if (view.page > 1) query.set("page", String(view.page));
  if (view.page_size !== PAGE_SIZES[0]) query.set("page_size", String(view.page_size));
  history.replaceState(null, "", `${location.pathname}${query.toString() ? `?${query}` : ""}`);
}

function Card({ label, value, tone = "plain" }) {
  return html`<div class=${`card card-${tone}`}><span class="card-label">${label}</span>
    <span class="card-value">${value}</span></div>`;
}

export function SharedKeys({ info }) {
  const [view, setView] = useState(readUrl);
  const [list, setList] = useState(null);
  const [error, setError] = useState("");
  const mayCopy = info.admin || info.visitor_copy;

  useEffect(() => {
    writeUrl(view);
    api.get("/api/public/keys", view, { signInOn401: false }).then((answer) => { setList(answer); setError(""); },
      (failure) => setError(failure.status === 401 ? t("shared.sign_in_again") : failure.message));
  }, [view]);
  const change = (patch) => setView((old) => ({ ...old, ...patch }));

  const copyKey = async (item) => {
    try {
      const answer = await api.post(`/api/public/keys/${item.id}/copy`, {}, { signInOn401: false });
      notify(await copyText(answer.key) ? t("keys.copied", { key: item.key }) : t("common.copy_failed"));
    } catch (failure) {
      if (failure.code === "copy_rate_limited") notify(t("shared.copy_limited", { s: failure.retryAfter || 60 }), "error");
      else if (failure.code === "visitor_copy_off") notify(t("shared.copy_off"), "error");
      else notify(failure.message, "error");
    }
  };

  const summary = list?.summary;
  return html`
    <${PageHeader} title=${t("shared.heading")} subtitle=${t(info.access_mode === "guest" ? "shared.subtitle_guest" : "shared.subtitle_open")} />
    ${summary && html`<div class="cards">
      <${Card} label=${t("shared.keys")} value=${format.number(summary.keys)} />
      <${Card} label=${t("status.valid")} tone="valid" value=${format.number(summary.valid)} />
      <${Card} label=${t("dashboard.total_balance")}
        value=${summary.total_balance === null ? t("balance.unknown") : format.balance(summary.total_balance)} />
    </div>`}
    <div class="toolbar">
      <p class="muted">${mayCopy ? t("shared.copy_note") : t("shared.masked_note")}</p>
      <div class="toolbar-end">
      <${SortSelect} choices=${SORT_CHOICES.map((choice) => [choice, t(`shared.sort_${choice.replace("-", "_")}`)])}
        sort=${view.sort} order=${view.order} onSort=${(sort, order) => change({ sort, order, page: 1 })} />
      <${PageSizeSelect} value=${view.page_size} sizes=${PAGE_SIZES} onSize=${(page_size) => change({ page_size, page: 1 })} />
      </div>
    </div>
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    <div class="table-card">
      ${!list && !error && html`<div class="loading"><${Spinner} /></div>`}
      ${list && list.items.length === 0 && html`<div class="empty"><h2>${t("shared.empty_title")}</h2>
        <p class="muted">${t("shared.empty_body")}</p></div>`}
      ${list && list.items.length > 0 && html`<table class="table table-cards shared-table">
        <caption class="visually-hidden">${t("shared.heading")}</caption>
        <thead><tr>
          <th scope="col">${t("keys.col_key")}</th>
          <${SortHeader} column="balance" label=${t("keys.col_balance")} sort=${view.sort} order=${view.order}
            onSort=${(sort, order) => change({ sort, order, page: 1 })} />
          <th scope="col">${t("keys.col_status")}</th>
          <th scope="col">${t("keys.col_checked")}</th>
          <${SortHeader} column="added" label=${t("keys.col_added")} sort=${view.sort} order=${view.order}
            onSort=${(sort, order) => change({ sort, order, page: 1 })} />
        </tr></thead>
        <tbody>${list.items.map((item) => html`<tr key=${item.id}>
          <td data-label=${t("keys.col_key")} class="key-cell"><code class="key">${item.key}</code>
            ${mayCopy && html`<button type="button" class="icon-button" onClick=${() => copyKey(item)}
              aria-label=${t("keys.copy_key", { key: item.key })} title=${t("keys.copy_full")}><${Icon} name="copy" size=${16} /></button>`}</td>
          <td data-label=${t("keys.col_balance")} class="num">
            <${Balance} item=${{ ...item, balance_unknown: item.checked_at ? "not_reported" : "never_checked" }} /></td>
          <td data-label=${t("keys.col_status")}><${StatusBadge} status=${item.status} /></td>
          <td data-label=${t("keys.col_checked")}><${When} seconds=${item.checked_at} /></td>
          <td data-label=${t("keys.col_added")}><${When} seconds=${item.added_at} /></td>
        </tr>`)}</tbody>
      </table>`}
    </div>
    ${list && list.total > 0 && html`<${Pagination} page=${view.page} pageSize=${view.page_size} total=${list.total}
      onPage=${(page) => change({ page })} />`}`;
}
