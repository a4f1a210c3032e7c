// `/`: the admin sign-in. Signed in already: on to /admin (or where the person was going).
import { html, useEffect, useRef, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api, setCsrfToken } from "../api.js";
import { Brand, Icon, LanguageSwitch, Spinner } from "../ui.js";

export const title = "signin.title";
export const admin = false;

// Only a path on this site, never another origin (?next=https://elsewhere).
function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/admin";
}

function Disabled() {
  return html`<div class="callout callout-warn" role="note">
    <h2>${t("signin.disabled_title")}</h2>
    <p>${t("signin.disabled_intro")}</p>
    <h3>${t("signin.disabled_local")}</h3>
    <pre class="code"><code>ADMIN_PASSWORD='…' scripts/serve.sh</code></pre>
    <h3>${t("signin.disabled_worker")}</h3>
    <pre class="code"><code>npx wrangler secret put ADMIN_PASSWORD</code></pre>
    <p class="muted">${t("signin.disabled_after")}</p>
  </div>`;
}

export function Page({ onLanguage }) {
  const [state, setState] = useState(null);  // {enabled, signed_in}
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  const userRef = useRef(null);

  useEffect(() => {
    api.get("/api/login").then((info) => {
      if (info.signed_in) location.replace(nextPath());
      else setState(info);
    }, (failure) => setError(failure.message));
  }, []);
  useEffect(() => { if (state?.enabled) userRef.current?.focus(); }, [state]);
  useEffect(() => {  // the throttle's wait, counted down
    if (waitUntil <= Date.now()) return undefined;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= waitUntil) { clearInterval(timer); setError(""); }
    }, 500);
    return () => clearInterval(timer);
  }, [waitUntil]);

  const waiting = Math.max(0, Math.ceil((waitUntil - now) / 1000));
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    try {
      const answer = await api.post("/api/login", { username: form.get("username"), password: form.get("password") },
        { signInOn401: false });
      setCsrfToken(answer.csrf_token);
      location.assign(nextPath());
    } catch (failure) {
      setBusy(false);
      if (failure.code === "login_throttled") {
        setWaitUntil(Date.now() + (failure.retryAfter || 60) * 1000);
        setNow(Date.now());
        setError("throttled");
      } else if (failure.code === "invalid_credentials") setError(t("signin.wrong"));
      else if (failure.code === "login_disabled") setState({ enabled: false });
      else setError(t("common.failed", { message: failure.message }));
    }
  };

  return html`<div class="auth-page">
    <div class="auth-tools"><${LanguageSwitch} onLanguage=${onLanguage} /></div>
    <main class="auth-card" id="main">
      <${Brand} />
      <h1>${t("signin.heading")}</h1>
      <p class="muted">${t("signin.subtitle")}</p>
      ${state === null && !error && html`<${Spinner} />`}
      ${state && !state.enabled && html`<${Disabled} />`}
      ${(state?.enabled || (state === null && error)) && html`<form class="form" onSubmit=${submit} novalidate>
        <div class="field">
          <label for="username">${t("signin.username")}</label>
          <input id="username" name="username" autocomplete="username" required ref=${userRef} value="admin" />
        </div>
        <div class="field">
          <label for="password">${t("signin.password")}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        ${error && html`<p class="form-error" role="alert">
          ${error === "throttled" ? t("signin.throttled", { s: waiting }) : error}</p>`}
        <button class="button button-primary button-block" type="submit" disabled=${busy || waiting > 0}>
          ${busy ? html`<${Spinner} />` : html`<${Icon} name="check" />`}${t("signin.submit")}</button>
      </form>`}
    </main>
  </div>`;
}
