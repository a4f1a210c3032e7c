// Creating or editing a client key. A new key is shown once, here, with a copy button.
import { html, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { copyText, Dialog, FieldError, Icon, notify, Spinner } from "../ui.js";

const NUMBERS = ["rpm_limit", "request_quota", "token_quota"];
const FIELDS = ["name", "expires_at", "models", ...NUMBERS, "allow_upstream_key", "enabled"];

function formOf(item) {
  return {
    name: item?.name ?? "",
    expires: format.localInput(item?.expires_at),
    models: (item?.models || []).join("\n"),
    rpm_limit: item?.rpm_limit ?? "",
    request_quota: item?.request_quota ?? "",
    token_quota: item?.token_quota ?? "",
    allow_upstream_key: Boolean(item?.allow_upstream_key),
    enabled: item ? item.enabled : true,
  };
}

// The API's fields from the form; an empty number means "no limit" (null). Whatever else was
// typed goes to the API as it is, which says what is wrong with it.
export function bodyOf(form, creating) {
  const body = {
    name: form.name,
    expires_at: form.expires ? format.fromLocalInput(form.expires) ?? form.expires : null,
    models: form.models.split(/[\n,]+/).map((model) => model.trim()).filter(Boolean),
    allow_upstream_key: form.allow_upstream_key,
  };
  if (!body.models.length) body.models = null;
  for (const name of NUMBERS) {
    const text = String(form[name]).trim();
    body[name] = text === "" ? null : (Number.isInteger(Number(text)) ? Number(text) : text);
  }
  if (!creating) body.enabled = form.enabled;
  return body;
}

// Which input an API message is about: its messages start with the field's name.
function fieldOf(message) {
  const name = FIELDS.find((field) => message.startsWith(field));
  return name === "expires_at" ? "expires" : name || null;
}

function Shown({ created, onClose }) {
  const copy = async () => notify(await copyText(created.key) ? t("common.copied") : t("common.copy_failed"));
  return html`<${Dialog} title=${t("client_keys.created_title")} onClose=${onClose}
      footer=${html`<button type="button" class="button button-primary" onClick=${onClose}>${t("common.done")}</button>`}>
    <p>${t("client_keys.created_body", { name: created.name })}</p>
    <div class="secret-box">
      <code class="secret" data-new-key>${created.key}</code>
      <button type="button" class="button" onClick=${copy}><${Icon} name="copy" size=${16} />${t("common.copy")}</button>
    </div>
    <p class="callout callout-warn" role="note">${t("client_keys.shown_once")}</p>
  <//>`;
}

export function ClientKeyDialog({ item, onClose, onSaved }) {
  const creating = !item;
  const [form, setForm] = useState(() => formOf(item));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState(null);
  const set = (name) => (event) => {
    const target = event.currentTarget;
    setForm({ ...form, [name]: target.type === "checkbox" ? target.checked : target.value });
  };

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const body = bodyOf(form, creating);
      if (creating) {
        setCreated(await api.post("/api/client-keys", body));
      } else {
        await api.patch(`/api/client-keys/${item.id}`, body);
        notify(t("client_keys.saved", { name: form.name }));
        onClose();
      }
      onSaved();
    } catch (failure) {
      setErrors({ [fieldOf(failure.message) || "form"]: failure.message });
    } finally {
      setBusy(false);
    }
  };

  if (created) return html`<${Shown} created=${created} onClose=${onClose} />`;
  const described = (name) => (errors[name] ? `ck-${name}-error` : `ck-${name}-hint`);
  const input = (name, label, hint, props = {}) => html`<div class="field">
    <label for=${`ck-${name}`}>${label}</label>
    <input id=${`ck-${name}`} value=${form[name]} onInput=${set(name)} aria-describedby=${described(name)}
      aria-invalid=${errors[name] ? "true" : undefined} ...${props} />
    ${hint && !errors[name] && html`<p id=${`ck-${name}-hint`} class="hint">${hint}</p>`}
    <${FieldError} id=${`ck-${name}-error`} message=${errors[name]} />
  </div>`;
  return html`<${Dialog} title=${creating ? t("client_keys.create") : t("client_keys.edit_title", { name: item.name })}
      onClose=${onClose} wide
      footer=${html`<button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
        <button type="submit" form="client-key-form" class="button button-primary" disabled=${busy}>
          ${busy ? html`<${Spinner} />` : html`<${Icon} name="check" />`}${creating ? t("client_keys.create_submit") : t("client_keys.save")}</button>`}>
    <form id="client-key-form" class="form" onSubmit=${submit} novalidate>
      ${input("name", t("client_keys.name"), t("client_keys.name_hint"), { maxlength: 100, required: true, autocomplete: "off" })}
      <div class="field-row">
        ${input("expires", t("client_keys.expires"), t("client_keys.expires_hint"), { type: "datetime-local" })}
        ${input("rpm_limit", t("client_keys.rpm"), t("client_keys.rpm_hint"), { type: "number", min: 1, step: 1, inputmode: "numeric" })}
      </div>
      <div class="field-row">
        ${input("request_quota", t("client_keys.request_quota"), t("client_keys.quota_hint"), { type: "number", min: 0, step: 1, inputmode: "numeric" })}
        ${input("token_quota", t("client_keys.token_quota"), t("client_keys.quota_hint"), { type: "number", min: 0, step: 1, inputmode: "numeric" })}
      </div>
      <div class="field">
        <label for="ck-models">${t("client_keys.models")}</label>
        <textarea id="ck-models" rows="3" value=${form.models} onInput=${set("models")} aria-describedby=${described("models")}
          placeholder="deepseek-ai/DeepSeek-V3"></textarea>
        ${!errors.models && html`<p id="ck-models-hint" class="hint">${t("client_keys.models_hint")}</p>`}
        <${FieldError} id="ck-models-error" message=${errors.models} />
      </div>
      <label class="check-field"><input type="checkbox" checked=${form.allow_upstream_key} onChange=${set("allow_upstream_key")} />
        <span><strong>${t("client_keys.allow_upstream")}</strong><span class="hint">${t("client_keys.allow_upstream_hint")}</span></span></label>
      ${!creating && html`<label class="check-field"><input type="checkbox" checked=${form.enabled} onChange=${set("enabled")} />
        <span><strong>${t("client_keys.enabled_label")}</strong><span class="hint">${t("client_keys.enabled_hint")}</span></span></label>`}
      ${errors.form && html`<p class="form-error" role="alert">${errors.form}</p>`}
    </form>
  <//>`;
}
