// Every visible string comes from static/i18n/<lang>.json. The language is the one chosen
// before (localStorage), else the browser's; tests/unit/test_i18n.py checks both files.
const STORAGE_KEY = "keypool.lang";
export const LANGUAGES = { zh: "中文", en: "English" };

let current = "en";
let messages = {};

export function detectLanguage() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && saved in LANGUAGES) return saved;
  } catch { /* storage blocked: fall back to the browser's language */ }
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in LANGUAGES) return base;
  }
  return "en";
}

export async function loadLanguage(lang) {
  const response = await fetch(`/static/i18n/${lang}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`messages for ${lang}: HTTP ${response.status}`);
  messages = await response.json();
  current = lang;
  document.documentElement.lang = locale();
}

export async function chooseLanguage(lang) {
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* remembered for this page only */ }
  await loadLanguage(lang);
}

export function language() { return current; }
export function locale() { return current === "zh" ? "zh-CN" : "en"; }

// t("keys.selected", { n: 3 }) -> "3 selected"; "{n}" placeholders are filled as text.
export function t(key, vars) {
  let text = messages[key];
  if (text === undefined) {
    console.warn(`missing message ${key}`);
    text = key;
  }
  if (vars) text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  return text;
}
