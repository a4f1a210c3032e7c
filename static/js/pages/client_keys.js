// `/client-keys`: the keys our users' apps send to /v1: usage, limits, and who may fetch an
// upstream key. A new key is shown once, with a copy button; the API keeps only its hash.
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { Icon, notify, PageHeader, Spinner, useConfirm } from "../ui.js";
import { ClientKeyDialog } from "../client_keys/dialog.js";
import { When } from "../keys/table.js";

export const title = "client_keys.title";
export const access = "admin";

export function stateOf(item, now = Date.now() / 1000) {
  if (!item.enabled) return "disabled";
  if (item.expires_at && item.expires_at <= now) return "expired";
  return "active";
}

function Limit({ used, quota }) {
  return html`${format.number(used)}${quota !== null && quota !== undefined
    ? html`<span class="muted"> / ${format.number(quota)}</span>` : ""}`;
}

function ClientKeysTable({ items, onEdit, onToggle, onDelete }) {
  return html`<table class="table table-cards client-keys-table">
    <caption class="visually-hidden">${t("client_keys.table_caption")}</caption>
    <thead><tr>
      <th scope="col">${t("client_keys.col_name")}</th>
      <th scope="col">${t("client_keys.col_state")}</th>
      <th scope="col">${t("client_keys.col_models")}</th>
      <th scope="col" class="num">${t("client_keys.col_requests")}</th>
      <th scope="col" class="num">${t("client_keys.col_tokens")}</th>
      <th scope="col" class="num">${t("client_keys.col_rpm")}</th>
      <th scope="col">${t("client_keys.col_last_used")}</th>
      <th scope="col">${t("client_keys.col_expires")}</th>
      <th scope="col"><span class="visually-hidden">${t("keys.col_actions")}</span></th>
    </tr></thead>
    <tbody>${items.map((item) => {
      const state = stateOf(item);
      return html`<tr key=${item.id} data-client-key=${item.id}>
        <td data-label=${t("client_keys.col_name")} class="name-cell"><strong class="client-name">${item.name}</strong>
          <code class="key cell-note">${item.key_hint}</code>
          ${item.allow_upstream_key && html`<span class="cell-note">${t("client_keys.may_fetch")}</span>`}</td>
        <td data-label=${t("client_keys.col_state")}><span class=${`badge badge-client-${state}`}>${t(`client_keys.state_${state}`)}</span></td>
        <td data-label=${t("client_keys.col_models")}>${item.models
          ? html`<ul class="blocks">${item.models.map((model) => html`<li class="model">${model}</li>`)}</ul>`
          : html`<span class="muted">${t("client_keys.any_model")}</span>`}</td>
        <td data-label=${t("client_keys.col_requests")} class="num"><${Limit} used=${item.request_count} quota=${item.request_quota} /></td>
        <td data-label=${t("client_keys.col_tokens")} class="num"
          title=${t("client_keys.tokens_split", { prompt: format.number(item.prompt_tokens), completion: format.number(item.completion_tokens) })}>
          <${Limit} used=${item.prompt_tokens + item.completion_tokens} quota=${item.token_quota} /></td>
        <td data-label=${t("client_keys.col_rpm")} class="num">${item.rpm_limit ? format.number(item.rpm_limit) : "—"}</td>
        <td data-label=${t("client_keys.col_last_used")}><${When} seconds=${item.last_used_at} /></td>
        <td data-label=${t("client_keys.col_expires")}>${item.expires_at ? format.dateTime(item.expires_at)
          : html`<span class="muted">${t("client_keys.no_expiry")}</span>`}</td>
        <td class="row-actions">
          <button type="button" class="button button-quiet button-small" onClick=${() => onEdit(item)}
            aria-label=${t("client_keys.edit_named", { name: item.name })}><${Icon} name="edit" size=${15} /><span class="label">${t("client_keys.edit")}</span></button>
          <button type="button" class="button button-quiet button-small" onClick=${() => onToggle(item)}
            aria-label=${t(item.enabled ? "client_keys.disable_named" : "client_keys.enable_named", { name: item.name })}>
            <${Icon} name=${item.enabled ? "pause" : "power"} size=${15} /><span class="label">${t(item.enabled ? "keys.disable" : "keys.enable")}</span></button>
          <button type="button" class="button button-danger-quiet button-small" onClick=${() => onDelete(item)}
            aria-label=${t("client_keys.delete_named", { name: item.name })}><${Icon} name="trash" size=${15} /><span class="label">${t("keys.delete")}</span></button>
        </td>
      </tr>`;
    })}</tbody>
  </table>`;
}

export function Page() {
  const [items, setItems] = useState(null);
  const [error, setError] = useState("");
  const [dialog, setDialog] = useState(null);  // {mode: "create"} | {mode: "edit", item}
  const [confirmElement, confirm] = useConfirm();
  const load = () => api.get("/api/client-keys").then((answer) => { setItems(answer.items); setError(""); },
    (failure) => setError(failure.message));
  useEffect(() => { load(); }, []);

  const toggle = async (item) => {
    try {
      await api.patch(`/api/client-keys/${item.id}`, { enabled: !item.enabled });
      notify(t(item.enabled ? "client_keys.disabled" : "client_keys.enabled", { name: item.name }));
      load();
    } catch (failure) { notify(failure.message, "error"); }
  };
  const remove = async (item) => {
    const yes = await confirm({ title: t("client_keys.delete_title"), danger: true, confirm: t("keys.delete"),
      message: t("client_keys.delete_confirm", { name: item.name }) });
    if (!yes) return;
    try {
      await api.delete(`/api/client-keys/${item.id}`);
      notify(t("client_keys.deleted", { name: item.name }));
      load();
    } catch (failure) { notify(failure.message, "error"); }
  };

  return html`
    <${PageHeader} title=${t("client_keys.heading")} subtitle=${t("client_keys.subtitle")}>
      <button type="button" class="button button-primary" onClick=${() => setDialog({ mode: "create" })}>
        <${Icon} name="plus" />${t("client_keys.create")}</button>
    <//>
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    <div class="table-card">
      ${!items && !error && html`<div class="loading"><${Spinner} /></div>`}
      ${items && items.length === 0 && html`<div class="empty"><h2>${t("client_keys.empty_title")}</h2>
        <p class="muted">${t("client_keys.empty_body")}</p>
        <button type="button" class="button button-primary" onClick=${() => setDialog({ mode: "create" })}>
          <${Icon} name="plus" />${t("client_keys.create")}</button></div>`}
      ${items && items.length > 0 && html`<${ClientKeysTable} items=${items} onEdit=${(item) => setDialog({ mode: "edit", item })}
        onToggle=${toggle} onDelete=${remove} />`}
    </div>
    <p class="muted">${t("client_keys.how_to_use")} <a href="/docs">${t("nav.docs")}</a></p>
    ${dialog && html`<${ClientKeyDialog} item=${dialog.item} onClose=${() => setDialog(null)} onSaved=${load} />`}
    ${confirmElement}`;
}
