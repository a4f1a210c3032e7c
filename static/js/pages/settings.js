// `/settings`: every pool setting in grouped forms (settings/fields.js says where each goes),
// the guest password and sharing, the admin password and sessions, backups.
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { PageHeader, Spinner } from "../ui.js";
import { GROUPS, otherFields } from "../settings/fields.js";
import { SettingsGroup } from "../settings/group_form.js";
import { AdminPassword, Backups, GuestPassword, Sessions, TestAlert } from "../settings/extras.js";

export const title = "settings.title";
export const access = "admin";

export function Page() {
  const [values, setValues] = useState(null);
  const [schema, setSchema] = useState(null);
  const [info, setInfo] = useState(null);
  const [error, setError] = useState("");
  const loadInfo = () => api.get("/api/public/info").then(setInfo, () => {});
  useEffect(() => {
    Promise.all([api.get("/api/settings"), api.get("/api/settings/schema")]).then(([current, spec]) => {
      setValues(current);
      setSchema(spec);
    }, (failure) => setError(failure.message));
    loadInfo();
  }, []);

  const saved = (current) => { setValues(current); loadInfo(); };
  const extra = (name) => {
    if (name === "test_alert") return html`<${TestAlert} />`;
    if (name === "guest_password" && info) {
      return html`<${GuestPassword} info=${info} mode=${values.access_mode} onChanged=${loadInfo} />`;
    }
    return null;
  };
  const groups = values && [
    ...GROUPS.map((group) => ({ ...group, title: t(`settings.group_${group.id}`),
      fields: group.fields.filter((name) => name in values) })),
    { id: "other", title: t("settings.group_other"), fields: otherFields(values) },
  ].filter((group) => group.fields.length);

  return html`
    <${PageHeader} title=${t("settings.heading")} subtitle=${t("settings.subtitle")} />
    ${error && html`<p class="form-error" role="alert">${t("common.failed", { message: error })}</p>`}
    ${!values && !error && html`<${Spinner} />`}
    ${values && html`<div class="settings-grid">
      ${groups.map((group) => html`<${SettingsGroup} key=${group.id} id=${group.id} title=${group.title}
          fields=${group.fields} values=${values} schema=${schema} onSaved=${saved}>${extra(group.extra)}<//>`)}
      <section class="panel settings-panel" aria-labelledby="group-account" data-group="account">
        <h2 id="group-account">${t("settings.group_account")}</h2>
        <${AdminPassword} />
        <${Sessions} />
      </section>
      <section class="panel settings-panel" aria-labelledby="group-backup" data-group="backup">
        <h2 id="group-backup">${t("settings.group_backup")}</h2>
        <${Backups} />
      </section>
    </div>`}`;
}
