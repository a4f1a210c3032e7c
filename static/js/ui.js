// Shared pieces of every page: the admin layout, dialogs, notices, progress, badges, icons.
import { html, useEffect, useRef, useState } from "./preact.js";
import { LANGUAGES, language, t } from "./i18n.js";
import { api } from "./api.js";

// --- icons: inline SVG elements (no markup strings) ---------------------------------------------
const PATHS = {
  copy: "M9 9h10v10H9zM5 15V5h10",
  check: "M5 12l5 5 9-11",
  refresh: "M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7",
  plus: "M12 5v14M5 12h14",
  trash: "M4 7h16M9 7V4h6v3m-8 0 1 13h8l1-13",
  download: "M12 4v11m-5-5 5 5 5-5M5 20h14",
  menu: "M4 7h16M4 12h16M4 17h16",
  close: "M6 6l12 12M18 6 6 18",
  stop: "M7 7h10v10H7z",
  logout: "M15 12H4m4-4-4 4 4 4M13 4h6v16h-6",
  sort: "M8 10l4-4 4 4M8 14l4 4 4-4",
  up: "M8 14l4-4 4 4",
  down: "M8 10l4 4 4-4",
  globe: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm-9 9h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 3.5-3 14.5 0 18",
  upload: "M12 20V9m-5 5 5-5 5 5M5 4h14",
  power: "M12 3v9M6.3 6.3a8 8 0 1 0 11.4 0",
  pause: "M8 5v14M16 5v14",
};

export function Icon({ name, size = 18 }) {
  return html`<svg class="icon" width=${size} height=${size} viewBox="0 0 24 24" aria-hidden="true" focusable="false"
    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
    <path d=${PATHS[name]} /></svg>`;
}

// --- notices: one live region for the whole page ------------------------------------------------
const listeners = new Set();
let noticeId = 0;

export function notify(message, kind = "info") {
  const notice = { id: ++noticeId, message, kind };
  listeners.forEach((listener) => listener(notice));
}

export function Notices() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const add = (notice) => {
      setItems((list) => [...list.slice(-3), notice]);
      setTimeout(() => setItems((list) => list.filter((item) => item.id !== notice.id)), 6000);
    };
    listeners.add(add);
    return () => listeners.delete(add);
  }, []);
  return html`<div class="notices" role="status" aria-live="polite">
    ${items.map((item) => html`<div key=${item.id} class=${`notice notice-${item.kind}`}>${item.message}</div>`)}
  </div>`;
}

// --- dialogs: the native <dialog> (focus trap, Escape) ------------------------------------------
let dialogSeq = 0;

export function Dialog({ title, onClose, children, footer, wide = false }) {
  const ref = useRef(null);
  const [titleId] = useState(() => `dialog-title-${++dialogSeq}`);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.open && dialog.close();
  }, []);
  const cancel = (event) => { event.preventDefault(); onClose(); };
  return html`<dialog ref=${ref} class=${wide ? "dialog dialog-wide" : "dialog"} aria-labelledby=${titleId}
      onCancel=${cancel}>
    <div class="dialog-head">
      <h2 id=${titleId}>${title}</h2>
      <button type="button" class="icon-button" onClick=${onClose} aria-label=${t("common.close")}>
        <${Icon} name="close" /></button>
    </div>
    <div class="dialog-body">${children}</div>
    ${footer && html`<div class="dialog-foot">${footer}</div>`}
  </dialog>`;
}

// A yes/no question naming what will happen ("Delete 25 keys?"); resolves true or false.
export function useConfirm() {
  const [question, setQuestion] = useState(null);
  const ask = (options) => new Promise((resolve) => setQuestion({ ...options, resolve }));
  const answer = (yes) => { question.resolve(yes); setQuestion(null); };
  const element = question && html`<${Dialog} title=${question.title} onClose=${() => answer(false)}
      footer=${html`
        <button type="button" class="button" onClick=${() => answer(false)}>${t("common.cancel")}</button>
        <button type="button" class=${question.danger ? "button button-danger" : "button button-primary"}
          onClick=${() => answer(true)}>${question.confirm}</button>`}>
    <p>${question.message}</p>
  <//>`;
  return [element, ask];
}

// --- small parts --------------------------------------------------------------------------------
export function ProgressBar({ value, max, label }) {
  const percent = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return html`<div class="progress" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${percent} aria-valuetext=${`${percent}%`}>
    <div class="progress-bar" style=${{ width: `${percent}%` }}></div>
  </div>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge badge-${status}`}>${t(`status.${status}`)}</span>`;
}

export function Spinner({ label }) {
  return html`<span class="spinner" role="status" aria-label=${label || t("common.loading")}></span>`;
}

export function LanguageSwitch({ onLanguage }) {
  return html`<label class="language">
    <${Icon} name="globe" size=${16} />
    <span class="visually-hidden">${t("common.language")}</span>
    <select value=${language()} onChange=${(event) => onLanguage(event.currentTarget.value)}>
      ${Object.entries(LANGUAGES).map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
    </select>
  </label>`;
}

export function Brand() {
  return html`<span class="brand"><img src="/static/img/icon.svg" alt="" width="28" height="28" />
    <span>${t("app.name")}</span></span>`;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function downloadText(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- the admin layout ---------------------------------------------------------------------------
export const NAV = [
  ["/admin", "nav.dashboard"],
  ["/keys", "nav.keys"],
  ["/logs", "nav.logs"],
  ["/settings", "nav.settings"],
  ["/docs", "nav.docs"],
];

export function Layout({ path, session, onLanguage, children }) {
  const [open, setOpen] = useState(false);
  const signOut = async () => {
    try { await api.post("/api/logout", {}, { signInOn401: false }); } catch { /* signed out either way */ }
    location.assign("/");
  };
  return html`
    <a class="skip-link" href="#main">${t("nav.skip")}</a>
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand-link" href="/admin"><${Brand} /></a>
        <button type="button" class="icon-button menu-button" aria-expanded=${open ? "true" : "false"}
          aria-controls="main-nav" aria-label=${t("nav.menu")} onClick=${() => setOpen(!open)}>
          <${Icon} name=${open ? "close" : "menu"} /></button>
        <nav id="main-nav" class=${open ? "nav nav-open" : "nav"} aria-label=${t("nav.label")}>
          <ul>
            ${NAV.map(([href, key]) => html`<li><a href=${href} aria-current=${href === path ? "page" : undefined}>
              ${t(key)}</a></li>`)}
          </ul>
          <div class="nav-tools">
            <${LanguageSwitch} onLanguage=${onLanguage} />
            <span class="user" title=${t("nav.signed_in_as", { user: session.username })}>${session.username}</span>
            <button type="button" class="button button-quiet" onClick=${signOut}>
              <${Icon} name="logout" size=${16} />${t("nav.sign_out")}</button>
          </div>
        </nav>
      </div>
    </header>
    <main id="main" class="main" tabindex="-1">${children}</main>
    <${Notices} />`;
}

export function PageHeader({ title, subtitle, children }) {
  return html`<div class="page-head">
    <div><h1>${title}</h1>${subtitle && html`<p class="muted">${subtitle}</p>`}</div>
    ${children && html`<div class="page-actions">${children}</div>`}
  </div>`;
}
