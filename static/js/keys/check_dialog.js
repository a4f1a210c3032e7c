// The parameters of a check job; the defaults are the pool's check_* settings.
import { html, useState } from "../preact.js";
import { t } from "../i18n.js";
import * as format from "../format.js";
import { Dialog, Icon } from "../ui.js";

function NumberField({ id, label, value, min, max, onInput, hint, unit }) {
  return html`<div class="field">
    <label for=${id}>${label}${unit && html` <span class="muted">(${unit})</span>`}</label>
    <input id=${id} type="number" inputmode="numeric" min=${min} max=${max} step="1" required value=${value}
      aria-describedby=${hint ? `${id}-hint` : undefined} onInput=${(e) => onInput(e.currentTarget.value)} />
    ${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
  </div>`;
}

export function jobSettings(form) {
  const common = { concurrency: form.concurrency, retries: form.retries, timeout_s: form.timeout_s };
  const numbers = Object.fromEntries(Object.entries(common).map(([name, value]) => [name, Number(value)]));
  if (form.mode === "random") {
    return { ...numbers, interval_ms: 0, interval_min_ms: Number(form.min), interval_max_ms: Number(form.max) };
  }
  return { ...numbers, interval_ms: Number(form.fixed), interval_min_ms: 0, interval_max_ms: 0 };
}

export function CheckDialog({ count, defaults, clientSide, onClose, onStart }) {
  const [form, setForm] = useState({
    concurrency: defaults.check_concurrency, retries: defaults.check_retries, timeout_s: defaults.check_timeout_s,
    mode: defaults.check_interval_max_ms > 0 ? "random" : "fixed", fixed: defaults.check_interval_ms,
    min: defaults.check_interval_min_ms, max: defaults.check_interval_max_ms || 500,
  });
  const [error, setError] = useState("");
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  const submit = (event) => {
    event.preventDefault();
    if (!event.currentTarget.checkValidity()) { event.currentTarget.reportValidity(); return; }
    if (form.mode === "random" && Number(form.min) > Number(form.max)) { setError(t("check.min_over_max")); return; }
    onStart(jobSettings(form));
  };
  return html`<${Dialog} title=${t("check.title", { n: format.number(count) })} onClose=${onClose}
      footer=${html`<button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
        <button type="submit" form="check-form" class="button button-primary"><${Icon} name="refresh" />
          ${t("check.start", { n: format.number(count) })}</button>`}>
    <form id="check-form" class="form" onSubmit=${submit} novalidate>
      ${clientSide && html`<p class="callout">${t("check.client_side")}</p>`}
      <div class="field-row">
        <${NumberField} id="check-concurrency" label=${t("check.concurrency")} value=${form.concurrency} min="1" max="200"
          onInput=${set("concurrency")} hint=${t("check.concurrency_hint")} />
        <${NumberField} id="check-retries" label=${t("check.retries")} value=${form.retries} min="0" max="10"
          onInput=${set("retries")} />
        <${NumberField} id="check-timeout" label=${t("check.timeout")} unit=${t("check.seconds")} value=${form.timeout_s}
          min="1" max="300" onInput=${set("timeout_s")} />
      </div>
      <fieldset class="fieldset">
        <legend>${t("check.interval")}</legend>
        <div class="choices">
          <label><input type="radio" name="mode" value="fixed" checked=${form.mode === "fixed"}
            onChange=${() => set("mode")("fixed")} />${t("check.fixed")}</label>
          <label><input type="radio" name="mode" value="random" checked=${form.mode === "random"}
            onChange=${() => set("mode")("random")} />${t("check.random")}</label>
        </div>
        ${form.mode === "fixed" ? html`<${NumberField} id="check-interval" label=${t("check.interval_fixed")}
            unit="ms" value=${form.fixed} min="0" max="60000" onInput=${set("fixed")} />`
          : html`<div class="field-row">
            <${NumberField} id="check-min" label=${t("check.interval_min")} unit="ms" value=${form.min} min="0" max="60000"
              onInput=${set("min")} />
            <${NumberField} id="check-max" label=${t("check.interval_max")} unit="ms" value=${form.max} min="0" max="60000"
              onInput=${set("max")} /></div>`}
      </fieldset>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </form>
  <//>`;
}
