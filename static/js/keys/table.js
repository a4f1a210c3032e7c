// The keys table (cards on a phone): every column sortable, masked keys with a copy button.
import { html, useEffect, useRef } from "../preact.js";
import { t } from "../i18n.js";
import * as format from "../format.js";
import { Icon, StatusBadge } from "../ui.js";

// column -> the API's sort name
export const COLUMNS = [
  ["key", "keys.col_key"],
  ["balance", "keys.col_balance"],
  ["status", "keys.col_status"],
  ["blocks", "keys.col_models"],
  ["checked", "keys.col_checked"],
  ["added", "keys.col_added"],
  ["used", "keys.col_used"],
  ["requests", "keys.col_requests"],
];
const MODELS_SHOWN = 3;

function SortHeader({ column, label, sort, order, onSort }) {
  const active = sort === column;
  const next = active && order === "desc" ? "asc" : "desc";
  return html`<th scope="col" aria-sort=${active ? (order === "asc" ? "ascending" : "descending") : "none"}
      class=${column === "requests" || column === "balance" ? "num" : ""}>
    <button type="button" class=${active ? "sort sort-active" : "sort"} onClick=${() => onSort(column, next)}>
      ${label}<${Icon} name=${active ? (order === "asc" ? "up" : "down") : "sort"} size=${14} />
    </button></th>`;
}

function Balance({ item }) {
  if (item.balance !== null) return html`<span class="balance">${format.balance(item.balance)}</span>`;
  return html`<span class="unknown">${t("balance.unknown")}</span>
    <span class="cell-note">${t(item.balance_unknown === "never_checked" ? "balance.never_checked" : "balance.not_reported")}</span>`;
}

function Blocks({ blocks }) {
  if (!blocks.length) return html`<span class="muted">—</span>`;
  const rest = blocks.length - MODELS_SHOWN;
  return html`<ul class="blocks">
    ${blocks.slice(0, MODELS_SHOWN).map((block) => html`<li>
      <span class="model">${block.model}</span>
      <span class="cell-note">${t(block.reason === "rate_limited" || block.reason === "upstream_error" ? "keys.cooling" : "keys.excluded")}${block.until
        ? ` · ${t("keys.until", { when: format.relative(block.until) })}` : ""}</span></li>`)}
    ${rest > 0 && html`<li class="cell-note" title=${blocks.slice(MODELS_SHOWN).map((b) => b.model).join(", ")}>
      ${t("keys.more_models", { n: rest })}</li>`}
  </ul>`;
}

function When({ seconds }) {
  return seconds ? html`<time datetime=${new Date(seconds * 1000).toISOString()} title=${format.dateTime(seconds)}>
    ${format.relative(seconds)}</time>` : html`<span class="muted">${t("common.never")}</span>`;
}

function PageCheckbox({ items, selected, onSelectPage }) {
  const ref = useRef(null);
  const count = items.filter((item) => selected.has(item.id)).length;
  useEffect(() => { if (ref.current) ref.current.indeterminate = count > 0 && count < items.length; });
  return html`<input ref=${ref} type="checkbox" aria-label=${t("keys.select_page")}
    checked=${items.length > 0 && count === items.length} onChange=${(e) => onSelectPage(e.currentTarget.checked)} />`;
}

export function KeysTable({ items, sort, order, onSort, selected, onToggle, onSelectPage, onCopy, onCheck, checking }) {
  return html`<table class="table table-cards keys-table">
    <caption class="visually-hidden">${t("keys.table_caption")}</caption>
    <thead><tr>
      <th scope="col" class="select"><${PageCheckbox} items=${items} selected=${selected} onSelectPage=${onSelectPage} /></th>
      ${COLUMNS.map(([column, label]) => html`<${SortHeader} column=${column} label=${t(label)} sort=${sort}
        order=${order} onSort=${onSort} />`)}
      <th scope="col"><span class="visually-hidden">${t("keys.col_actions")}</span></th>
    </tr></thead>
    <tbody>${items.map((item) => html`<tr key=${item.id} class=${selected.has(item.id) ? "selected" : ""}>
      <td class="select"><input type="checkbox" checked=${selected.has(item.id)}
        aria-label=${t("keys.select_key", { key: item.key })} onChange=${() => onToggle(item.id)} /></td>
      <td data-label=${t("keys.col_key")} class="key-cell"><code class="key">${item.key}</code>
        <button type="button" class="icon-button" onClick=${() => onCopy(item)}
          aria-label=${t("keys.copy_key", { key: item.key })} title=${t("keys.copy_full")}><${Icon} name="copy" size=${16} /></button></td>
      <td data-label=${t("keys.col_balance")} class="num"><${Balance} item=${item} /></td>
      <td data-label=${t("keys.col_status")}><${StatusBadge} status=${item.status} />
        ${item.last_error && html`<span class="cell-note error-text" title=${item.last_error}>${item.last_error}</span>`}</td>
      <td data-label=${t("keys.col_models")}><${Blocks} blocks=${item.blocks} /></td>
      <td data-label=${t("keys.col_checked")}><${When} seconds=${item.checked_at} /></td>
      <td data-label=${t("keys.col_added")}><${When} seconds=${item.added_at} /></td>
      <td data-label=${t("keys.col_used")}><${When} seconds=${item.last_used_at} /></td>
      <td data-label=${t("keys.col_requests")} class="num">${format.number(item.request_count)}</td>
      <td class="row-actions"><button type="button" class="button button-quiet button-small"
          disabled=${checking.has(item.id)} onClick=${() => onCheck(item)}
          aria-label=${t("keys.check_one", { key: item.key })}>
        <${Icon} name="refresh" size=${15} /><span class="label">${t("keys.check_now")}</span></button></td>
    </tr>`)}</tbody>
  </table>`;
}
