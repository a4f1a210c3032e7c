// `/settings`: the pool's settings as they stand (grouped forms to edit them come next).
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { PageHeader, Spinner } from "../ui.js";

export const title = "settings.title";
export const admin = true;

const GROUPS = [
  ["settings.group_pool", ["strategy", "max_attempts", "upstream_timeout_s", "free_models", "page_size"]],
  ["settings.group_checks", ["check_concurrency", "check_interval_ms", "check_interval_min_ms", "check_interval_max_ms",
    "check_retries", "check_timeout_s", "client_side_checking"]],
  ["settings.group_refresh", ["refresh_interval_s", "refresh_batch"]],
  ["settings.group_logs", ["log_retention_days", "log_max_rows"]],
];

function shown(value) {
  if (typeof value === "boolean") return value ? t("common.on") : t("common.off");
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  return String(value);
}

export function Page() {
  const [values, setValues] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => { api.get("/api/settings").then(setValues, (failure) => setError(failure.message)); }, []);
  return html`
    <${PageHeader} title=${t("settings.heading")} subtitle=${t("settings.subtitle")} />
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    ${!values && !error && html`<${Spinner} />`}
    ${values && html`<div class="settings-grid">${GROUPS.map(([group, names]) => html`
      <section class="panel" aria-labelledby=${group}>
        <h2 id=${group}>${t(group)}</h2>
        <dl class="facts">${names.filter((name) => name in values).map((name) => html`
          <div><dt><code>${name}</code></dt><dd>${shown(values[name])}</dd></div>`)}</dl>
      </section>`)}</div>`}`;
}
