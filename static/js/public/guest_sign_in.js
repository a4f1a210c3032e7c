// The guest password form of `/` in the guest mode (a guest session: signed, expiring,
// throttled like the admin sign-in, all by the API).
import { html, useEffect, useRef, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { Brand, Icon, LanguageSwitch, Spinner, useCountdown } from "../ui.js";

export function GuestSignIn({ onLanguage }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [waiting, startWait] = useCountdown();
  const passwordRef = useRef(null);
  useEffect(() => { passwordRef.current?.focus(); }, []);
  useEffect(() => { if (!waiting && error === "throttled") setError(""); }, [waiting]);

  const submit = async (event) => {
    event.preventDefault();
    const password = new FormData(event.currentTarget).get("password");
    setBusy(true);
    setError("");
    try {
      await api.post("/api/guest/login", { password }, { signInOn401: false });
      location.reload();  // the shared keys, now as a guest
    } catch (failure) {
      setBusy(false);
      if (failure.code === "login_throttled") {
        startWait(failure.retryAfter || 60);
        setError("throttled");
      } else if (failure.code === "invalid_credentials") setError(t("guest.wrong"));
      else if (failure.code === "guest_login_disabled") setError(t("guest.disabled"));
      else setError(t("common.failed", { message: failure.message }));
    }
  };

  return html`<div class="auth-page">
    <div class="auth-tools"><${LanguageSwitch} onLanguage=${onLanguage} /></div>
    <main class="auth-card" id="main">
      <${Brand} />
      <h1>${t("guest.heading")}</h1>
      <p class="muted">${t("guest.subtitle")}</p>
      <form class="form" onSubmit=${submit} novalidate>
        <div class="field">
          <label for="guest-password">${t("guest.password")}</label>
          <input id="guest-password" name="password" type="password" autocomplete="current-password" required
            ref=${passwordRef} />
        </div>
        ${error && html`<p class="form-error" role="alert">
          ${error === "throttled" ? t("guest.throttled", { s: waiting }) : error}</p>`}
        <button class="button button-primary button-block" type="submit" disabled=${busy || waiting > 0}>
          ${busy ? html`<${Spinner} />` : html`<${Icon} name="check" />`}${t("guest.submit")}</button>
      </form>
      <p class="auth-alt"><a href="/login">${t("guest.admin_link")}</a></p>
    </main>
  </div>`;
}
