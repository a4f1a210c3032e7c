// One panel of the settings page: a form over a group of pool settings. Inputs follow each
// setting's type from GET /api/settings/schema; Save sends only what changed, and a value the
// API refuses shows its message under that field (`error.param`).
import { html, useEffect, useRef, useState } from "../preact.js";
import { has, t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { FieldError, Icon, notify, Spinner } from "../ui.js";

// A setting's spec from the schema, or one read off its value (a setting the schema lacks).
export function specOf(schema, name, value) {
  if (schema[name]) return schema[name];
  if (typeof value === "boolean") return { type: "bool" };
  if (typeof value === "number") return { type: Number.isInteger(value) ? "int" : "float" };
  if (Array.isArray(value)) return { type: "list" };
  return { type: "text" };
}

export function toText(spec, value) {
  if (spec.type === "bool") return Boolean(value);
  if (spec.type === "list") return (value || []).join("\n");
  return value === null || value === undefined ? "" : String(value);
}

// The value to send. Anything that is not what the setting takes goes as typed: the API's
// message says what is wrong with it.
export function fromText(spec, text) {
  if (spec.type === "bool") return Boolean(text);
  if (spec.type === "list") return text.split("\n").map((line) => line.trim()).filter(Boolean);
  if (spec.type === "int" || spec.type === "float") {
    const trimmed = text.trim();
    return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
  }
  return text;
}

function label(name) {
  return has(`setting.${name}`) ? t(`setting.${name}`) : name;
}

function choiceLabel(name, choice) {
  const key = `setting.${name}_${choice}`;
  return has(key) ? t(key) : String(choice);
}

function bounds(spec) {
  if (spec.min === undefined || spec.max === undefined) return "";
  return t("settings.range", { min: format.number(spec.min, 6), max: format.number(spec.max, 6) });
}

function SettingField({ name, spec, text, error, onChange }) {
  const id = `setting-${name}`;
  const hintKey = `setting.${name}_hint`;
  const hint = [has(hintKey) ? t(hintKey) : "", bounds(spec)].filter(Boolean).join(" ");
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  const invalid = error ? "true" : undefined;
  const notes = html`${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
    <${FieldError} id=${`${id}-error`} message=${error} />`;
  if (spec.type === "bool") {
    return html`<div class="setting" data-setting=${name}>
      <label class="check-field"><input id=${id} type="checkbox" checked=${text} aria-describedby=${describedBy}
          aria-invalid=${invalid} onChange=${(e) => onChange(e.currentTarget.checked)} />
        <span><strong>${label(name)}</strong> <code class="setting-name">${name}</code></span></label>
      ${notes}</div>`;
  }
  let control;
  if (spec.choices) {
    control = html`<select id=${id} value=${text} aria-describedby=${describedBy} aria-invalid=${invalid}
        onChange=${(e) => onChange(e.currentTarget.value)}>
      ${spec.choices.map((choice) => html`<option value=${String(choice)}>${choiceLabel(name, choice)}</option>`)}
    </select>`;
  } else if (spec.type === "list") {
    control = html`<textarea id=${id} rows="3" value=${text} aria-describedby=${describedBy} aria-invalid=${invalid}
      onInput=${(e) => onChange(e.currentTarget.value)}></textarea>`;
  } else {
    const number = spec.type === "int" || spec.type === "float";
    control = html`<input id=${id} type=${number ? "number" : "text"} step=${spec.type === "int" ? 1 : "any"}
      inputmode=${number ? (spec.type === "int" ? "numeric" : "decimal") : undefined} value=${text}
      aria-describedby=${describedBy} aria-invalid=${invalid} autocomplete="off" spellcheck="false"
      onInput=${(e) => onChange(e.currentTarget.value)} />`;
  }
  return html`<div class="field setting" data-setting=${name}>
    <label for=${id}>${label(name)} <code class="setting-name">${name}</code></label>
    ${control}${notes}</div>`;
}

export function SettingsGroup({ id, title, fields, values, schema, onSaved, children }) {
  const specs = Object.fromEntries(fields.map((name) => [name, specOf(schema, name, values[name])]));
  const initial = () => Object.fromEntries(fields.map((name) => [name, toText(specs[name], values[name])]));
  const [texts, setTexts] = useState(initial);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const shown = useRef(values);
  useEffect(() => {  // a save (here or in another panel) shows what was saved; other edits stay
    const before = shown.current;
    shown.current = values;
    setTexts((old) => Object.fromEntries(fields.map((name) => [name,
      JSON.stringify(before[name]) === JSON.stringify(values[name]) ? old[name] : toText(specs[name], values[name])])));
  }, [values]);

  const changed = Object.fromEntries(fields
    .map((name) => [name, fromText(specs[name], texts[name])])
    .filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(values[name])));
  const dirty = Object.keys(changed).length > 0;

  const save = async (event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const saved = await api.put("/api/settings", changed);
      notify(t("settings.saved", { group: title }));
      onSaved(saved);
    } catch (failure) {
      const param = failure.param && fields.includes(failure.param) ? failure.param : "form";
      setErrors({ [param]: failure.message });
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="panel settings-panel" aria-labelledby=${`group-${id}`} data-group=${id}>
    <h2 id=${`group-${id}`}>${title}</h2>
    <form class="form" onSubmit=${save} novalidate>
      ${fields.map((name) => html`<${SettingField} key=${name} name=${name} spec=${specs[name]} text=${texts[name]}
        error=${errors[name]} onChange=${(value) => setTexts((old) => ({ ...old, [name]: value }))} />`)}
      ${errors.form && html`<p class="form-error" role="alert">${errors.form}</p>`}
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${busy || !dirty}>
          ${busy ? html`<${Spinner} />` : html`<${Icon} name="check" />`}${t("settings.save")}</button>
        ${dirty && html`<button type="button" class="button button-quiet" onClick=${() => { setTexts(initial()); setErrors({}); }}>
          ${t("settings.undo")}</button>`}
      </div>
    </form>
    ${children}
  </section>`;
}
