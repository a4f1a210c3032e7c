// The admin API client: JSON in and out, the session's CSRF token on every unsafe call,
// and a 401 sends the person to sign in, with a way back to where they were.
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;

// `param` names the field at fault (a refused setting), where the API says.
export class ApiError extends Error {
  constructor(status, message, code = null, retryAfter = null, param = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.param = param;
  }
}

export function setCsrfToken(token) { csrfToken = token; }

// The admin sign-in has a path of its own: `/` is the public page in the open and guest modes.
export function signInUrl(next = location.pathname + location.search) {
  return next && next !== "/" && next !== "/login" ? `/login?next=${encodeURIComponent(next)}` : "/login";
}

export function goToSignIn() { location.assign(signInUrl()); }

function withQuery(path, params) {
  if (!params) return path;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// `raw`: a body sent as it is (a file being restored), JSON all the same.
async function request(method, path, { params, body, raw, signal, as = "json", signInOn401 = true } = {}) {
  const headers = { accept: as === "json" ? "application/json" : "*/*" };
  if (body !== undefined || raw !== undefined) headers["content-type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await fetch(withQuery(path, params), {
    method, headers, signal, credentials: "same-origin",
    body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let message = response.statusText || `HTTP ${response.status}`;
    let code = null;
    let param = null;
    try {
      const error = (await response.json()).error;
      if (error?.message) message = error.message;
      code = error?.code ?? null;
      param = error?.param ?? null;
    } catch { /* not our JSON error: keep the status text */ }
    const retry = Number(response.headers.get("retry-after"));
    const failure = new ApiError(response.status, message, code, Number.isFinite(retry) && retry > 0 ? retry : null, param);
    if (response.status === 401 && signInOn401) goToSignIn();
    throw failure;
  }
  if (as === "response") return response;
  if (as === "text") return response.text();
  return response.status === 204 ? null : response.json();
}

export const api = {
  get: (path, params, options = {}) => request("GET", path, { ...options, params }),
  post: (path, body = {}, options = {}) => request("POST", path, { ...options, body }),
  put: (path, body = {}, options = {}) => request("PUT", path, { ...options, body }),
  patch: (path, body = {}, options = {}) => request("PATCH", path, { ...options, body }),
  delete: (path, options = {}) => request("DELETE", path, options),
};

// Part after part of an export that names where the next part starts in a header
// (`x-logs-next-before`): the text of every part, in order.
export async function fetchParts(path, params, nextHeader, cursor, onPart = () => {}) {
  const parts = [];
  let next = null;
  do {
    const response = await request("GET", path, { params: next ? { ...params, [cursor]: next } : params, as: "response" });
    parts.push(await response.text());
    next = response.headers.get(nextHeader);
    onPart(parts.length);
  } while (next);
  return parts;
}

// The signed-in admin and a fresh CSRF token; a 401 goes to sign-in.
export async function loadSession() {
  const session = await api.get("/api/session");
  setCsrfToken(session.csrf_token);
  return session;
}

// Who is looking at a page visitors may see too (the API docs): {info, session} with the
// admin's session, or {info, session: null} for a visitor the access mode lets in. Anyone
// else goes to `/`, which asks for the guest password or shows the sign-in; null then.
export async function loadVisitor() {
  const info = await api.get("/api/public/info");
  if (info.admin) return { info, session: await loadSession() };
  if (info.access_mode === "open" || (info.access_mode === "guest" && info.guest)) return { info, session: null };
  location.replace("/");
  return null;
}
