// `/docs`: how to point a client at this pool, with this deployment's own URL. Visitors see it
// too when the access mode lets them in, without the admin parts.
import { html } from "../preact.js";
import { t } from "../i18n.js";
import { copyText, Icon, notify, PageHeader } from "../ui.js";

export const title = "docs.title";
export const access = "visitor";

const MODEL = "deepseek-ai/DeepSeek-V3";
// What /v1 passes through to SiliconFlow (any other /v1 path is passed on as it is).
const ENDPOINTS = [
  ["POST", "/v1/chat/completions", "docs.ep_chat"],
  ["POST", "/v1/completions", "docs.ep_completions"],
  ["POST", "/v1/embeddings", "docs.ep_embeddings"],
  ["POST", "/v1/rerank", "docs.ep_rerank"],
  ["POST", "/v1/images/generations", "docs.ep_images"],
  ["POST", "/v1/audio/speech", "docs.ep_speech"],
  ["POST", "/v1/audio/transcriptions", "docs.ep_transcriptions"],
  ["POST", "/v1/messages", "docs.ep_messages"],
  ["GET", "/v1/models", "docs.ep_models"],
];
// The admin API in brief: ADMIN_TOKEN as a bearer token, or the signed-in admin's session.
const ADMIN_API = [
  ["GET", "/api/stats", "docs.admin_stats"],
  ["GET POST", "/api/keys", "docs.admin_keys"],
  ["POST", "/api/keys/check", "docs.admin_check"],
  ["POST", "/api/keys/delete · enable · disable", "docs.admin_bulk"],
  ["GET POST", "/api/keys/export", "docs.admin_export"],
  ["GET POST PATCH DELETE", "/api/client-keys", "docs.admin_client_keys"],
  ["GET DELETE", "/api/logs", "docs.admin_logs"],
  ["GET", "/api/logs/export", "docs.admin_logs_export"],
  ["GET PUT", "/api/settings", "docs.admin_settings"],
  ["GET", "/api/audit", "docs.admin_audit"],
  ["GET POST", "/api/backup · /api/restore", "docs.admin_backup"],
];

export function examples(origin) {
  const base = `${origin}/v1`;
  return {
    curl: `curl ${base}/chat/completions \\
  -H "Authorization: Bearer $CLIENT_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${MODEL}", "messages": [{"role": "user", "content": "Hello"}]}'`,
    python: `from openai import OpenAI

client = OpenAI(base_url="${base}", api_key="sk-kp-...")
reply = client.chat.completions.create(
    model="${MODEL}",
    messages=[{"role": "user", "content": "Hello"}],
)
print(reply.choices[0].message.content)`,
    javascript: `const response = await fetch("${base}/chat/completions", {
  method: "POST",
  headers: { "Authorization": "Bearer sk-kp-...", "Content-Type": "application/json" },
  body: JSON.stringify({ model: "${MODEL}", stream: true,
    messages: [{ role: "user", content: "Hello" }] }),
});
const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
let buffer = "";
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  buffer += value;
  const lines = buffer.split("\\n");
  buffer = lines.pop();
  for (const line of lines) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const delta = JSON.parse(line.slice(6)).choices[0]?.delta?.content;
    if (delta) console.log(delta);
  }
}`,
    anthropic: `import anthropic

client = anthropic.Anthropic(base_url="${origin}", api_key="sk-kp-...")
message = client.messages.create(
    model="${MODEL}",
    max_tokens=512,
    messages=[{"role": "user", "content": "Hello"}],
)
print(message.content[0].text)`,
    upstream: `curl ${origin}/api/key -H "Authorization: Bearer $CLIENT_KEY"
# → {"key": "sk-..."}  (a client key created with "may fetch an upstream key")`,
    admin: `curl ${origin}/api/stats -H "Authorization: Bearer $ADMIN_TOKEN"`,
  };
}

function Example({ id, label, code, note }) {
  const copy = async () => notify(await copyText(code) ? t("common.copied") : t("common.copy_failed"));
  return html`<section class="panel" aria-labelledby=${id} data-example=${id}>
    <div class="panel-head"><h2 id=${id}>${label}</h2>
      <button type="button" class="button button-quiet" onClick=${copy}
        aria-label=${t("docs.copy_example", { name: label })}><${Icon} name="copy" size=${16} />${t("common.copy")}</button></div>
    ${note && html`<p class="muted">${note}</p>`}
    <pre class="code" tabindex="0" aria-label=${label}><code>${code}</code></pre>
  </section>`;
}

function EndpointTable({ id, caption, rows }) {
  return html`<div class="table-card"><table class="table table-cards endpoints" id=${id}>
    <caption class="visually-hidden">${caption}</caption>
    <thead><tr><th scope="col">${t("docs.method")}</th><th scope="col">${t("docs.path")}</th>
      <th scope="col">${t("docs.what")}</th></tr></thead>
    <tbody>${rows.map(([method, path, key]) => html`<tr>
      <td data-label=${t("docs.method")}><code>${method}</code></td>
      <td data-label=${t("docs.path")}><code class="break">${path}</code></td>
      <td data-label=${t("docs.what")}>${t(key)}</td></tr>`)}</tbody>
  </table></div>`;
}

export function Page({ session }) {
  const origin = location.origin;
  const code = examples(origin);
  const admin = Boolean(session);
  return html`
    <${PageHeader} title=${t("docs.heading")} subtitle=${t("docs.subtitle")} />
    <div class="callout">
      <p>${t("docs.base_url")} <code class="break" data-base-url>${origin}/v1</code></p>
      <p class="muted">${admin ? html`${t("docs.client_keys_admin")} <a href="/client-keys">${t("nav.client_keys")}</a>`
        : t("docs.client_keys_visitor")}</p>
    </div>
    <${Example} id="docs-curl" label="curl" code=${code.curl} />
    <${Example} id="docs-python" label=${t("docs.python")} code=${code.python} />
    <${Example} id="docs-javascript" label=${t("docs.javascript")} code=${code.javascript} note=${t("docs.javascript_note")} />
    <${Example} id="docs-anthropic" label=${t("docs.anthropic")} code=${code.anthropic} note=${t("docs.anthropic_note")} />
    <section class="section" aria-labelledby="docs-endpoints">
      <h2 id="docs-endpoints" class="section-title">${t("docs.endpoints")}</h2>
      <p class="muted section-lead">${t("docs.endpoints_note")}</p>
      <${EndpointTable} id="endpoints-v1" caption=${t("docs.endpoints")} rows=${ENDPOINTS} />
    </section>
    <${Example} id="docs-upstream" label=${t("docs.upstream")} code=${code.upstream} note=${t("docs.upstream_note")} />
    ${admin && html`<section class="section" aria-labelledby="docs-admin">
      <h2 id="docs-admin" class="section-title">${t("docs.admin")}</h2>
      <p class="muted section-lead">${t("docs.admin_note")}</p>
      <${EndpointTable} id="endpoints-admin" caption=${t("docs.admin")} rows=${ADMIN_API} />
    </section>
    <${Example} id="docs-admin-token" label=${t("docs.admin_token")} code=${code.admin} />`}`;
}
