// The one script of every page: picks the page module by path, loads the language, the
// session for admin pages, and renders. Pages export { title, Page, admin }.
import { html, render, useState } from "./preact.js";
import { chooseLanguage, detectLanguage, language, loadLanguage, t } from "./i18n.js";
import { loadSession } from "./api.js";
import { Layout } from "./ui.js";

const PAGES = {
  "/": () => import("./pages/signin.js"),
  "/admin": () => import("./pages/dashboard.js"),
  "/keys": () => import("./pages/keys.js"),
  "/logs": () => import("./pages/logs.js"),
  "/settings": () => import("./pages/settings.js"),
  "/docs": () => import("./pages/docs.js"),
};

function Root({ page, path, session }) {
  const [, setLang] = useState(language());
  const onLanguage = async (lang) => {
    await chooseLanguage(lang);
    document.title = `${t(page.title)} · ${t("app.name")}`;
    setLang(lang);
  };
  const content = html`<${page.Page} session=${session} onLanguage=${onLanguage} />`;
  if (!page.admin) return content;
  return html`<${Layout} path=${path} session=${session} onLanguage=${onLanguage}>${content}<//>`;
}

async function main() {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const [page] = await Promise.all([(PAGES[path] || (() => import("./pages/not_found.js")))(),
    loadLanguage(detectLanguage())]);
  const session = page.admin ? await loadSession() : null;  // not signed in: off to sign-in
  document.title = `${t(page.title)} · ${t("app.name")}`;
  const root = document.getElementById("app");
  root.textContent = "";
  render(html`<${Root} page=${page} path=${path} session=${session} />`, root);
}

main().catch((error) => {
  if (error?.status === 401) return;  // already on the way to the sign-in page
  console.error(error);
  const root = document.getElementById("app");
  root.textContent = `Silicon Key Pool: ${error?.message || error}`;
});
