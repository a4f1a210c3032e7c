// `/docs`: how to point a client at this pool, with this deployment's own URL.
import { html } from "../preact.js";
import { t } from "../i18n.js";
import { copyText, Icon, notify, PageHeader } from "../ui.js";

export const title = "docs.title";
export const admin = true;

function Example({ id, label, code }) {
  const copy = async () => notify(await copyText(code) ? t("common.copied") : t("common.copy_failed"),
    "info");
  return html`<section class="panel" aria-labelledby=${id}>
    <div class="panel-head"><h2 id=${id}>${label}</h2>
      <button type="button" class="button button-quiet" onClick=${copy}><${Icon} name="copy" size=${16} />
        ${t("common.copy")}</button></div>
    <pre class="code" tabindex="0" aria-label=${label}><code>${code}</code></pre>
  </section>`;
}

export function Page() {
  const base = `${location.origin}/v1`;
  const curl = `curl ${base}/chat/completions \\\n  -H "Authorization: Bearer $CLIENT_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '{"model": "deepseek-ai/DeepSeek-V3", "messages": [{"role": "user", "content": "Hello"}]}'`;
  const python = `from openai import OpenAI\n\nclient = OpenAI(base_url="${base}", api_key="sk-kp-...")\nreply = client.chat.completions.create(\n    model="deepseek-ai/DeepSeek-V3",\n    messages=[{"role": "user", "content": "Hello"}],\n)\nprint(reply.choices[0].message.content)`;
  return html`
    <${PageHeader} title=${t("docs.heading")} subtitle=${t("docs.subtitle")} />
    <div class="callout"><p>${t("docs.base_url")} <code class="break">${base}</code></p>
      <p class="muted">${t("docs.client_keys")}</p></div>
    <${Example} id="docs-curl" label="curl" code=${curl} />
    <${Example} id="docs-python" label=${t("docs.python")} code=${python} />`;
}
