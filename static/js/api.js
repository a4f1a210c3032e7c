// The admin API client: JSON in and out, the session's CSRF token on every unsafe call,
// and a 401 sends the person to sign in, with a way back to where they were.
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, message, code = null, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token) { csrfToken = token; }

export function signInUrl(next = location.pathname + location.search) {
  return next && next !== "/" ? `/?next=${encodeURIComponent(next)}` : "/";
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

async function request(method, path, { params, body, signal, as = "json", signInOn401 = true } = {}) {
  const headers = { accept: as === "json" ? "application/json" : "text/plain" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await fetch(withQuery(path, params), {
    method, headers, signal, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let message = response.statusText || `HTTP ${response.status}`;
    let code = null;
    try {
      const error = (await response.json()).error;
      if (error?.message) message = error.message;
      code = error?.code ?? null;
    } catch { /* not our JSON error: keep the status text */ }
    const retry = Number(response.headers.get("retry-after"));
    const failure = new ApiError(response.status, message, code, Number.isFinite(retry) && retry > 0 ? retry : null);
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
  delete: (path, options = {}) => request("DELETE", path, options),
};

// The signed-in admin and a fresh CSRF token; a 401 goes to sign-in.
export async function loadSession() {
  const session = await api.get("/api/session");
  setCsrfToken(session.csrf_token);
  return session;
}
