// Exporting keys in full: which keys, how they are joined, a masked preview, then copy or download.
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { copyText, Dialog, downloadText, Icon, notify } from "../ui.js";

const SEPARATORS = ["newline", "comma", "space", "semicolon", "tab", "custom"];
const PREVIEW_DELAY_MS = 200;

export function exportBody(form, selectedIds) {
  const body = { format: form.format, sep: form.sep };
  if (form.sep === "custom") body.custom_sep = form.custom;
  if (form.scope === "selection") body.ids = selectedIds;
  else if (form.scope === "valid") body.status = "valid";
  else if (form.scope === "min_balance") body.min_balance = Number(form.threshold);
  else body.all = true;
  return body;
}

function filenameOf(response) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  return match ? match[1] : "keypool-export.txt";
}

export function ExportDialog({ selectedIds, onClose }) {
  const [form, setForm] = useState({
    scope: selectedIds.length ? "selection" : "all", format: "plain", sep: "newline", custom: "|", threshold: 1,
  });
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const invalid = (form.sep === "custom" && !form.custom) || (form.scope === "min_balance" && form.threshold === "");

  useEffect(() => {
    if (invalid) { setPreview(null); return undefined; }
    const timer = setTimeout(() => {
      api.post("/api/keys/export/preview", exportBody(form, selectedIds))
        .then((answer) => { setPreview(answer); setError(""); }, (failure) => setError(failure.message));
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [form.scope, form.format, form.sep, form.custom, form.threshold]);

  const fetchExport = (download) => api.post("/api/keys/export", { ...exportBody(form, selectedIds), download },
    { as: "response" });
  const run = async (action) => {
    setBusy(true);
    setError("");
    try {
      const response = await fetchExport(action === "download");
      const text = await response.text();
      if (action === "download") {
        downloadText(filenameOf(response), text);
        notify(t("export.downloaded", { n: format.number(preview?.total ?? 0) }));
      } else if (await copyText(text)) {
        notify(t("export.copied", { n: format.number(preview?.total ?? 0) }));
      } else {
        setError(t("common.copy_failed"));
      }
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };

  const empty = preview && preview.total === 0;
  return html`<${Dialog} title=${t("export.title")} onClose=${onClose} wide
      footer=${html`<button type="button" class="button" onClick=${onClose}>${t("common.close")}</button>
        <button type="button" class="button" disabled=${busy || invalid || empty} onClick=${() => run("copy")}>
          <${Icon} name="copy" />${t("export.copy")}</button>
        <button type="button" class="button button-primary" disabled=${busy || invalid || empty} onClick=${() => run("download")}>
          <${Icon} name="download" />${t("export.download")}</button>`}>
    <form class="form" onSubmit=${(e) => e.preventDefault()}>
      <fieldset class="fieldset">
        <legend>${t("export.which")}</legend>
        <div class="choices choices-column">
          <label><input type="radio" name="scope" value="all" checked=${form.scope === "all"} onChange=${set("scope")} />
            ${t("export.scope_all")}</label>
          <label><input type="radio" name="scope" value="valid" checked=${form.scope === "valid"} onChange=${set("scope")} />
            ${t("export.scope_valid")}</label>
          <label class="with-input"><input type="radio" name="scope" value="min_balance" checked=${form.scope === "min_balance"}
              onChange=${set("scope")} />${t("export.scope_min")}
            <input type="number" class="input-small" step="any" min="0" value=${form.threshold} aria-label=${t("export.threshold")}
              onInput=${(e) => setForm({ ...form, scope: "min_balance", threshold: e.currentTarget.value })} /></label>
          <label><input type="radio" name="scope" value="selection" checked=${form.scope === "selection"}
              disabled=${!selectedIds.length} onChange=${set("scope")} />
            ${t("export.scope_selection", { n: format.number(selectedIds.length) })}</label>
        </div>
      </fieldset>
      <div class="field-row">
        <div class="field">
          <label for="export-format">${t("export.format")}</label>
          <select id="export-format" value=${form.format} onChange=${set("format")}>
            <option value="plain">${t("export.plain")}</option>
            <option value="with_balance">${t("export.with_balance")}</option>
          </select>
        </div>
        <div class="field">
          <label for="export-sep">${t("export.separator")}</label>
          <select id="export-sep" value=${form.sep} onChange=${set("sep")}>
            ${SEPARATORS.map((sep) => html`<option value=${sep}>${t(`export.sep_${sep}`)}</option>`)}
          </select>
        </div>
        ${form.sep === "custom" && html`<div class="field">
          <label for="export-custom">${t("export.custom")}</label>
          <input id="export-custom" value=${form.custom} maxlength="16" onInput=${set("custom")}
            aria-describedby="export-custom-hint" />
          <p id="export-custom-hint" class="hint">${t("export.custom_hint")}</p>
        </div>`}
      </div>
      <div class="field">
        <span class="label" id="export-preview-label">${t("export.preview")}</span>
        <pre class="code preview" aria-labelledby="export-preview-label" tabindex="0">${preview
          ? (preview.total ? preview.text + (preview.total > preview.shown ? "\n…" : "") : t("export.none")) : "…"}</pre>
        ${preview && html`<p class="muted" data-export-total=${preview.total}>${t("export.total", { n: format.number(preview.total) })}
          · ${t("export.masked_note")}</p>`}
      </div>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </form>
  <//>`;
}
