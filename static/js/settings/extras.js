// The parts of the settings page that are no plain setting: the test alert, the guest password,
// the admin password and sessions, backups.
import { html, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api, setCsrfToken } from "../api.js";
import * as format from "../format.js";
import { FieldError, Icon, notify, Spinner, useConfirm } from "../ui.js";

export function TestAlert() {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    try {
      setResult(await api.post("/api/alerts/test", {}));
    } catch (failure) {
      setResult({ sent: false, status: null, error: failure.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="subsection">
    <p class="hint">${t("settings.test_alert_hint")}</p>
    <div class="form-actions">
      <button type="button" class="button" onClick=${send} disabled=${busy}>
        ${busy ? html`<${Spinner} />` : html`<${Icon} name="send" size=${16} />`}${t("settings.test_alert")}</button>
    </div>
    ${result && html`<p class=${result.sent ? "result result-ok" : "result result-bad"} role="status" data-alert-result>
      ${result.sent ? t("settings.test_alert_sent", { status: result.status ?? "—" })
        : t("settings.test_alert_failed", { error: result.error || (result.status ? `HTTP ${result.status}` : "—") })}</p>`}
  </div>`;
}

export function GuestPassword({ info, mode, onChanged }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirmElement, confirm] = useConfirm();
  const put = async (value) => {
    setBusy(true);
    setError("");
    try {
      const answer = await api.put("/api/guest-password", { password: value });
      notify(t(answer.set ? "settings.guest_set_done" : "settings.guest_removed"));
      setPassword("");
      onChanged();
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (await confirm({ title: t("settings.guest_remove"), message: t("settings.guest_remove_confirm"),
      confirm: t("settings.guest_remove"), danger: true })) put(null);
  };
  return html`<form class="subsection form" onSubmit=${(e) => { e.preventDefault(); put(password); }} novalidate>
    <h3>${t("settings.guest_password")}</h3>
    <p class="hint" data-guest-password=${info.guest_password_set ? "set" : "unset"}>
      ${info.guest_password_set ? t("settings.guest_is_set") : t("settings.guest_not_set")} ${t("settings.guest_hint")}</p>
    ${mode === "guest" && !info.guest_password_set && html`<p class="callout callout-warn" role="note">
      ${t("settings.guest_missing")}</p>`}
    <div class="field">
      <label for="guest-password-new">${info.guest_password_set ? t("settings.guest_new") : t("settings.guest_password")}</label>
      <input id="guest-password-new" type="password" autocomplete="new-password" value=${password}
        aria-describedby=${error ? "guest-password-error" : undefined} aria-invalid=${error ? "true" : undefined}
        onInput=${(e) => setPassword(e.currentTarget.value)} />
      <${FieldError} id="guest-password-error" message=${error} />
    </div>
    <div class="form-actions">
      <button type="submit" class="button" disabled=${busy || !password}>${t("settings.guest_set")}</button>
      ${info.guest_password_set && html`<button type="button" class="button button-danger-quiet" onClick=${remove} disabled=${busy}>
        ${t("settings.guest_remove")}</button>`}
    </div>
    ${confirmElement}
  </form>`;
}

export function AdminPassword() {
  const [form, setForm] = useState({ current: "", next: "", again: "" });
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const submit = async (event) => {
    event.preventDefault();
    if (form.next !== form.again) { setErrors({ again: t("settings.password_mismatch") }); return; }
    setBusy(true);
    setErrors({});
    try {
      const answer = await api.post("/api/account/password", { current: form.current, new: form.next });
      if (answer.csrf_token) setCsrfToken(answer.csrf_token);  // this session goes on with a fresh cookie
      setForm({ current: "", next: "", again: "" });
      notify(t("settings.password_changed"));
    } catch (failure) {
      const field = failure.code === "wrong_password" ? "current" : failure.code === "weak_password" ? "next" : "form";
      setErrors({ [field]: failure.code === "wrong_password" ? t("settings.password_wrong") : failure.message });
    } finally {
      setBusy(false);
    }
  };
  const field = (name, labelKey, autocomplete) => html`<div class="field">
    <label for=${`password-${name}`}>${t(labelKey)}</label>
    <input id=${`password-${name}`} type="password" autocomplete=${autocomplete} value=${form[name]} onInput=${set(name)}
      aria-describedby=${errors[name] ? `password-${name}-error` : undefined} aria-invalid=${errors[name] ? "true" : undefined} />
    <${FieldError} id=${`password-${name}-error`} message=${errors[name]} />
  </div>`;
  return html`<form class="form" onSubmit=${submit} novalidate aria-labelledby="account-password">
    <h3 id="account-password">${t("settings.password_title")}</h3>
    <p class="hint">${t("settings.password_hint")}</p>
    ${field("current", "settings.password_current", "current-password")}
    <div class="field-row">
      ${field("next", "settings.password_new", "new-password")}
      ${field("again", "settings.password_again", "new-password")}
    </div>
    ${errors.form && html`<p class="form-error" role="alert">${errors.form}</p>`}
    <div class="form-actions">
      <button type="submit" class="button button-primary" disabled=${busy || !form.current || !form.next}>
        ${busy ? html`<${Spinner} />` : html`<${Icon} name="key" size=${16} />`}${t("settings.password_submit")}</button>
    </div>
  </form>`;
}

export function Sessions() {
  const [confirmElement, confirm] = useConfirm();
  const signOutEverywhere = async () => {
    if (!(await confirm({ title: t("settings.sessions_revoke"), message: t("settings.sessions_revoke_confirm"),
      confirm: t("settings.sessions_revoke"), danger: true }))) return;
    try {
      await api.post("/api/sessions/revoke", {});
      location.assign("/login");
    } catch (failure) { notify(failure.message, "error"); }
  };
  return html`<div class="subsection">
    <h3>${t("settings.sessions_title")}</h3>
    <p class="hint">${t("settings.sessions_hint")}</p>
    <div class="form-actions"><button type="button" class="button button-danger" onClick=${signOutEverywhere}>
      <${Icon} name="logout" size=${16} />${t("settings.sessions_revoke")}</button></div>
    ${confirmElement}
  </div>`;
}

const COUNTED = ["keys", "client_keys", "settings", "blocks", "history", "pool_history"];

export function Backups() {
  const [file, setFile] = useState(null);
  const [mode, setMode] = useState("merge");
  const [result, setResult] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirmElement, confirm] = useConfirm();
  const restore = async (event) => {
    event.preventDefault();
    if (!file) return;
    if (mode === "replace" && !(await confirm({ title: t("settings.restore_replace_title"), danger: true,
      message: t("settings.restore_replace_confirm", { name: file.name }), confirm: t("settings.restore_replace_yes") }))) return;
    setBusy(true);
    setError("");
    setResult(null);
    try {
      setResult(await api.post("/api/restore", undefined, { params: { mode }, raw: file }));
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="backups">
    <div class="subsection">
      <h3>${t("settings.backup_title")}</h3>
      <p class="hint">${t("settings.backup_hint")}</p>
      <div class="form-actions"><a class="button" href="/api/backup" download>
        <${Icon} name="download" size=${16} />${t("settings.backup_download")}</a></div>
    </div>
    <form class="subsection form" onSubmit=${restore} novalidate>
      <h3>${t("settings.restore_title")}</h3>
      <div class="field">
        <label for="restore-file">${t("settings.restore_file")}</label>
        <input id="restore-file" type="file" accept=".json,application/json" onChange=${(e) => setFile(e.currentTarget.files?.[0] || null)} />
      </div>
      <fieldset class="fieldset">
        <legend>${t("settings.restore_mode")}</legend>
        <div class="choices choices-column">
          <label><input type="radio" name="restore-mode" value="merge" checked=${mode === "merge"} onChange=${() => setMode("merge")} />
            ${t("settings.restore_merge")}</label>
          <label><input type="radio" name="restore-mode" value="replace" checked=${mode === "replace"} onChange=${() => setMode("replace")} />
            ${t("settings.restore_replace")}</label>
        </div>
      </fieldset>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <div class="form-actions"><button type="submit" class=${mode === "replace" ? "button button-danger" : "button"} disabled=${busy || !file}>
        ${busy ? html`<${Spinner} />` : html`<${Icon} name="upload" size=${16} />`}${t("settings.restore_submit")}</button></div>
      ${result && html`<div class="summary" role="status" data-restore-result>
        <strong>${t("settings.restore_done", { mode: t(`settings.restore_${result.mode}`) })}</strong>
        <table class="table compact"><thead><tr><th scope="col">${t("settings.restore_kind")}</th>
          <th scope="col" class="num">${t("settings.restore_added")}</th><th scope="col" class="num">${t("settings.restore_updated")}</th>
          <th scope="col" class="num">${t("settings.restore_unchanged")}</th></tr></thead>
          <tbody>${COUNTED.map((kind) => html`<tr><th scope="row">${t(`settings.restore_kind_${kind}`)}</th>
            <td class="num">${format.number(result[kind].added)}</td><td class="num">${format.number(result[kind].updated)}</td>
            <td class="num">${format.number(result[kind].unchanged)}</td></tr>`)}</tbody></table>
      </div>`}
    </form>
    ${confirmElement}
  </div>`;
}
