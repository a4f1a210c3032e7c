// Any path that is no page: status 404 from the server, this text from here.
import { html } from "../preact.js";
import { t } from "../i18n.js";
import { Brand, LanguageSwitch } from "../ui.js";

export const title = "not_found.title";
export const admin = false;

export function Page({ onLanguage }) {
  return html`<div class="auth-page">
    <div class="auth-tools"><${LanguageSwitch} onLanguage=${onLanguage} /></div>
    <main class="auth-card" id="main">
      <${Brand} />
      <p class="big-code" aria-hidden="true">404</p>
      <h1>${t("not_found.heading")}</h1>
      <p class="muted">${t("not_found.body", { path: location.pathname })}</p>
      <a class="button button-primary button-block" href="/admin">${t("not_found.home")}</a>
    </main>
  </div>`;
}
