// Adding keys: pasted text or .txt files, sent in chunks so no request parses megabytes
// (a Worker invocation has milliseconds of CPU), summed into one exact summary.
import { html, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { Dialog, Icon, ProgressBar } from "../ui.js";

export const CHUNK_TOKENS = 2000;
const SAMPLES = 5;
// What the server splits on too (core/keys.py): whitespace, commas, semicolons, pipes, full-width ones.
const SEPARATORS = /[\s,;|\uFF0C\uFF1B]+/;

export function tokens(text) {
  return text.split(SEPARATORS).filter(Boolean);
}

// Sends the tokens in chunks; a key repeated in a later chunk counts as a duplicate (it is in the pool by then).
export async function importInChunks(allTokens, onProgress, isCancelled = () => false) {
  const total = { added: 0, duplicates: 0, invalid: 0, invalid_samples: [], jobs: [], sent: 0 };
  for (let start = 0; start < allTokens.length; start += CHUNK_TOKENS) {
    if (isCancelled()) break;
    const chunk = allTokens.slice(start, start + CHUNK_TOKENS);
    const answer = await api.post("/api/keys", { keys: chunk.join("\n") });
    total.added += answer.added;
    total.duplicates += answer.duplicates;
    total.invalid += answer.invalid;
    for (const sample of answer.invalid_samples || []) {
      if (total.invalid_samples.length < SAMPLES) total.invalid_samples.push(sample);
    }
    if (answer.job) total.jobs.push(answer.job);
    total.sent = Math.min(allTokens.length, start + CHUNK_TOKENS);
    onProgress({ ...total });
  }
  return total;
}

export function ImportDialog({ onClose, onImported }) {
  const [text, setText] = useState("");
  const [files, setFiles] = useState([]);
  const [progress, setProgress] = useState(null);
  const [summary, setSummary] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const readFiles = async (event) => {
    const chosen = Array.from(event.currentTarget.files || []);
    const texts = await Promise.all(chosen.map((file) => file.text()));
    setFiles(chosen.map((file, i) => ({ name: file.name, text: texts[i] })));
  };
  const all = () => tokens([text, ...files.map((file) => file.text)].join("\n"));
  const count = all().length;

  const submit = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const list = all();
    if (!list.length) { setError(t("import.nothing")); return; }
    setBusy(true);
    setError("");
    setSummary(null);
    setProgress({ sent: 0, total: list.length });
    try {
      const result = await importInChunks(list, (done) => setProgress({ sent: done.sent, total: list.length }));
      setSummary(result);
      setText("");
      setFiles([]);
      form.reset();
      onImported(result);
    } catch (failure) {
      setError(t("import.failed", { message: failure.message }));
    } finally {
      setBusy(false);
    }
  };

  return html`<${Dialog} title=${t("import.title")} onClose=${onClose} wide
      footer=${html`<button type="button" class="button" onClick=${onClose}>${summary ? t("common.done") : t("common.cancel")}</button>
        <button type="submit" form="import-form" class="button button-primary" disabled=${busy}>
          <${Icon} name="upload" />${t("import.submit")}</button>`}>
    <form id="import-form" class="form" onSubmit=${submit}>
      <div class="field">
        <label for="import-text">${t("import.text_label")}</label>
        <textarea id="import-text" rows="8" spellcheck="false" placeholder="sk-…" value=${text}
          onInput=${(e) => setText(e.currentTarget.value)} aria-describedby="import-hint"></textarea>
        <p id="import-hint" class="hint">${t("import.hint")}</p>
      </div>
      <div class="field">
        <label for="import-file">${t("import.file_label")}</label>
        <input id="import-file" type="file" accept=".txt,text/plain" multiple onChange=${readFiles} />
      </div>
      <p class="muted" aria-live="polite">${t("import.detected", { n: format.number(count) })}</p>
      ${progress && busy && html`<${ProgressBar} value=${progress.sent} max=${progress.total} label=${t("import.progress")} />
        <p class="muted">${t("import.sent", { sent: format.number(progress.sent), total: format.number(progress.total) })}</p>`}
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      ${summary && html`<div class="summary" role="status" aria-live="polite">
        <h3>${t("import.summary")}</h3>
        <dl class="summary-counts">
          <div class="ok"><dt>${t("import.added")}</dt><dd data-count="added">${format.number(summary.added)}</dd></div>
          <div><dt>${t("import.duplicates")}</dt><dd data-count="duplicates">${format.number(summary.duplicates)}</dd></div>
          <div class="bad"><dt>${t("import.invalid")}</dt><dd data-count="invalid">${format.number(summary.invalid)}</dd></div>
        </dl>
        ${summary.invalid_samples.length > 0 && html`<p class="muted">${t("import.samples")}</p>
          <ul class="samples">${summary.invalid_samples.map((sample) => html`<li><code>${sample}</code></li>`)}</ul>`}
        ${summary.jobs.length > 0 && html`<p class="muted">${t("import.checking")}</p>`}
      </div>`}
    </form>
  <//>`;
}
