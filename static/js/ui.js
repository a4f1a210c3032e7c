// Shared pieces of every page: the admin layout, dialogs, notices, progress, badges, icons.
import { html, useEffect, useRef, useState } from "./preact.js";
import { LANGUAGES, language, t } from "./i18n.js";
import { api } from "./api.js";
import * as format from "./format.js";

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
  edit: "M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4",
  key: "M14 10a4 4 0 1 0-3.5 4l1.5-1.5h2v-2h2l1-1V8h-2.5zM8.5 14.5 4 19v1h3l.5-.5",
  send: "M4 12 20 4l-6 16-3-7zM11 13l9-9",
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

// `text`: a string, or the parts of one (a CSV fetched in parts).
export function downloadText(filename, text, type = "text/plain;charset=utf-8") {
  const url = URL.createObjectURL(new Blob(Array.isArray(text) ? text : [text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Seconds left of a wait the API asked for (Retry-After), counted down: [seconds, start(s)].
export function useCountdown() {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until <= Date.now()) return undefined;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= until) clearInterval(timer);
    }, 500);
    return () => clearInterval(timer);
  }, [until]);
  const start = (seconds) => { setUntil(Date.now() + seconds * 1000); setNow(Date.now()); };
  return [Math.max(0, Math.ceil((until - now) / 1000)), start];
}

// How many rows a page shows: one of `sizes`; `onSize` gets the number chosen.
export function PageSizeSelect({ value, sizes, onSize }) {
  return html`<label class="inline-field"><span>${t("keys.page_size")}</span>
    <select value=${value} onChange=${(e) => onSize(Number(e.currentTarget.value))}>
      ${sizes.map((size) => html`<option value=${size}>${size}</option>`)}
    </select></label>`;
}

// A sort choice beside a table: the column headers sort too, but a phone shows cards, no headers.
// `choices` are [value, label] pairs whose value is "column-order".
export function SortSelect({ choices, sort, order, onSort }) {
  return html`<label class="inline-field"><span>${t("common.sort")}</span>
    <select value=${`${sort}-${order}`} onChange=${(e) => {
      const [column, direction] = e.currentTarget.value.split("-");
      onSort(column, direction);
    }}>
      ${choices.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
    </select></label>`;
}

export function Pagination({ page, pageSize, total, onPage }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total ? (page - 1) * pageSize + 1 : 0;
  const last = Math.min(total, page * pageSize);
  const near = [...new Set([1, page - 1, page, page + 1, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  return html`<nav class="pagination" aria-label=${t("keys.pages")}>
    <span class="muted">${t("keys.showing", { first: format.number(first), last: format.number(last), total: format.number(total) })}</span>
    <div class="pager">
      <button type="button" class="button button-small" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>${t("keys.previous")}</button>
      ${near.map((n, i) => html`${i > 0 && n - near[i - 1] > 1 && html`<span class="gap" aria-hidden="true">…</span>`}
        <button type="button" class=${n === page ? "button button-small button-current" : "button button-small"}
          aria-current=${n === page ? "page" : undefined} aria-label=${t("keys.page_n", { n })} onClick=${() => onPage(n)}>${n}</button>`)}
      <button type="button" class="button button-small" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>${t("keys.next")}</button>
    </div>
  </nav>`;
}

// A message from the API shown under the field it is about (`error.param`).
export function FieldError({ id, message }) {
  return message ? html`<p id=${id} class="field-error" role="alert">${message}</p>` : null;
}

// --- the admin layout ---------------------------------------------------------------------------
export const NAV = [
  ["/admin", "nav.dashboard"],
  ["/keys", "nav.keys"],
  ["/client-keys", "nav.client_keys"],
  ["/logs", "nav.logs"],
  ["/settings", "nav.settings"],
  ["/docs", "nav.docs"],
];

// The frame of every page with a top bar: skip link, brand, navigation, the page, notices.
function Frame({ home, visitor = false, nav, children }) {
  return html`
    <a class="skip-link" href="#main">${t("nav.skip")}</a>
    <header class="topbar">
      <div class=${visitor ? "topbar-inner topbar-visitor" : "topbar-inner"}>
        <a class="brand-link" href=${home}><${Brand} /></a>
        ${nav}
      </div>
    </header>
    <main id="main" class="main" tabindex="-1">${children}</main>
    <${Notices} />`;
}

function NavLinks({ items, path }) {
  return html`<ul>
    ${items.map(([href, key]) => html`<li><a href=${href} aria-current=${href === path ? "page" : undefined}>
      ${t(key)}</a></li>`)}
  </ul>`;
}

export function Layout({ path, session, onLanguage, children }) {
  const [open, setOpen] = useState(false);
  const signOut = async () => {
    try { await api.post("/api/logout", {}, { signInOn401: false }); } catch { /* signed out either way */ }
    location.assign("/");
  };
  return html`<${Frame} home="/admin" nav=${html`
    <button type="button" class="icon-button menu-button" aria-expanded=${open ? "true" : "false"}
      aria-controls="main-nav" aria-label=${t("nav.menu")} onClick=${() => setOpen(!open)}>
      <${Icon} name=${open ? "close" : "menu"} /></button>
    <nav id="main-nav" class=${open ? "nav nav-open" : "nav"} aria-label=${t("nav.label")}>
      <${NavLinks} items=${NAV} path=${path} />
      <div class="nav-tools">
        <${LanguageSwitch} onLanguage=${onLanguage} />
        <span class="user" title=${t("nav.signed_in_as", { user: session.username })}>${session.username}</span>
        <button type="button" class="button button-quiet" onClick=${signOut}>
          <${Icon} name="logout" size=${16} />${t("nav.sign_out")}</button>
      </div>
    </nav>`}>${children}<//>`;
}

// The visitors' layout (the public page and the API docs in the open and guest modes): no
// admin navigation; a way to the admin sign-in (or, for the admin, to the dashboard).
export const VISITOR_NAV = [
  ["/", "nav.shared_keys"],
  ["/docs", "nav.docs"],
];

export function VisitorLayout({ path, info, onLanguage, children }) {
  const leave = async () => {
    try { await api.post("/api/guest/logout", {}, { signInOn401: false }); } catch { /* gone either way */ }
    location.assign("/");
  };
  return html`<${Frame} home="/" visitor nav=${html`
    <nav class="nav nav-visitor" aria-label=${t("nav.label")}>
      <${NavLinks} items=${VISITOR_NAV} path=${path} />
      <div class="nav-tools">
        <${LanguageSwitch} onLanguage=${onLanguage} />
        ${info?.guest && !info.admin && html`<button type="button" class="button button-quiet" onClick=${leave}>
          <${Icon} name="logout" size=${16} />${t("guest.leave")}</button>`}
        ${info?.admin ? html`<a class="button button-quiet" href="/admin">${t("nav.dashboard")}</a>`
          : html`<a class="button button-quiet" href="/login">${t("nav.admin_sign_in")}</a>`}
      </div>
    </nav>`}>${children}<//>`;
}

export function PageHeader({ title, subtitle, children }) {
  return html`<div class="page-head">
    <div><h1>${title}</h1>${subtitle && html`<p class="muted">${subtitle}</p>`}</div>
    ${children && html`<div class="page-actions">${children}</div>`}
  </div>`;
}
