// The one script of every page: picks the page module by path, loads the language and who is
// looking, and renders. Pages export { title, Page, access } and may export load(), whose
// answer is the page's props (and may decide the title: `title` can be a function of them).
//   access "admin":   the admin's pages (not signed in: off to sign-in), in the admin layout;
//   access "visitor": pages visitors see too when the access mode lets them in (the API docs);
//   access "public":  pages with a layout of their own (sign-in, the public page, 404).
import { html, render, useState } from "./preact.js";
import { chooseLanguage, detectLanguage, language, loadLanguage, t } from "./i18n.js";
import { loadSession, loadVisitor } from "./api.js";
import { Layout, VisitorLayout } from "./ui.js";

const PAGES = {
  "/": () => import("./pages/home.js"),
  "/login": () => import("./pages/signin.js"),
  "/admin": () => import("./pages/dashboard.js"),
  "/keys": () => import("./pages/keys.js"),
  "/client-keys": () => import("./pages/client_keys.js"),
  "/logs": () => import("./pages/logs.js"),
  "/settings": () => import("./pages/settings.js"),
  "/docs": () => import("./pages/docs.js"),
};

function titleOf(page, props) {
  const key = typeof page.title === "function" ? page.title(props) : page.title;
  return `${t(key)} · ${t("app.name")}`;
}

function Root({ page, path, props }) {
  const [, setLang] = useState(language());
  const onLanguage = async (lang) => {
    await chooseLanguage(lang);
    document.title = titleOf(page, props);
    setLang(lang);
  };
  const content = html`<${page.Page} ...${props} onLanguage=${onLanguage} />`;
  if (page.access === "admin" || (page.access === "visitor" && props.session)) {
    return html`<${Layout} path=${path} session=${props.session} onLanguage=${onLanguage}>${content}<//>`;
  }
  if (page.access === "visitor") {
    return html`<${VisitorLayout} path=${path} info=${props.info} onLanguage=${onLanguage}>${content}<//>`;
  }
  return content;
}

async function propsOf(page) {
  if (page.access === "admin") return { session: await loadSession() };  // not signed in: off to sign-in
  if (page.access === "visitor") return loadVisitor();                    // not let in: off to `/`
  return page.load ? page.load() : {};
}

async function main() {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const [page] = await Promise.all([(PAGES[path] || (() => import("./pages/not_found.js")))(),
    loadLanguage(detectLanguage())]);
  const props = await propsOf(page);
  if (!props) return;  // on the way elsewhere
  document.title = titleOf(page, props);
  const root = document.getElementById("app");
  root.textContent = "";
  render(html`<${Root} page=${page} path=${path} props=${props} />`, root);
}

main().catch((error) => {
  if (error?.status === 401) return;  // already on the way to the sign-in page
  console.error(error);
  const root = document.getElementById("app");
  root.textContent = `Silicon Key Pool: ${error?.message || error}`;
});
