// `/`, by access mode: private → the admin sign-in; guest → the guest password (with a way
// to the admin sign-in), then the shared keys; open → the shared keys for anyone.
import { html } from "../preact.js";
import { api } from "../api.js";
import { VisitorLayout } from "../ui.js";
import * as signIn from "./signin.js";
import { GuestSignIn } from "../public/guest_sign_in.js";
import { SharedKeys } from "../public/shared_keys.js";

export const access = "public";

// What `/` shows: "sign_in", "guest_sign_in" or "shared".
function viewOf(info) {
  if (info.access_mode === "private") return "sign_in";
  if (info.access_mode === "guest" && !info.guest && !info.admin) return "guest_sign_in";
  return "shared";
}

export async function load() {
  const info = await api.get("/api/public/info");
  return { info, view: viewOf(info) };
}

export function title({ view }) {
  return { sign_in: signIn.title, guest_sign_in: "guest.title", shared: "shared.title" }[view];
}

export function Page({ info, view, onLanguage }) {
  if (view === "sign_in") return html`<${signIn.Page} onLanguage=${onLanguage} />`;
  if (view === "guest_sign_in") return html`<${GuestSignIn} onLanguage=${onLanguage} />`;
  return html`<${VisitorLayout} path="/" info=${info} onLanguage=${onLanguage}><${SharedKeys} info=${info} /><//>`;
}
