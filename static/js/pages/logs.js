// `/logs`: the request log (find any request: filters, pages, CSV) and the audit trail, as tabs.
// The filters and the tab live in the URL, so reload and Back work.
import { html, useEffect, useRef, useState } from "../preact.js";
import { t } from "../i18n.js";
import { PageHeader } from "../ui.js";
import { readFilters, writeFilters } from "../logs/filters.js";
import { RequestLog } from "../logs/requests.js";
import { AuditTrail } from "../logs/audit.js";

export const title = "logs.title";
export const access = "admin";

const TABS = ["requests", "audit"];

function readView() {
  const tab = new URLSearchParams(location.search).get("tab");
  return { ...readFilters(), tab: TABS.includes(tab) ? tab : "requests" };
}

export function Page() {
  const [view, setView] = useState(readView);
  const written = useRef(false);
  useEffect(() => {
    writeFilters(view, !written.current);  // the first write tidies the URL in place
    written.current = true;
  }, [JSON.stringify(view)]);
  useEffect(() => {
    const back = () => setView(readView());
    addEventListener("popstate", back);
    return () => removeEventListener("popstate", back);
  }, []);
  const change = (patch) => setView((old) => ({ ...old, ...patch }));
  return html`
    <${PageHeader} title=${t("logs.heading")} subtitle=${t("logs.subtitle")} />
    <div class="tabs" role="tablist" aria-label=${t("logs.views")}>
      ${TABS.map((tab) => html`<button type="button" role="tab" id=${`tab-${tab}`} aria-controls=${`panel-${tab}`}
          class=${view.tab === tab ? "tab tab-active" : "tab"} aria-selected=${view.tab === tab ? "true" : "false"}
          onClick=${() => change({ tab })}>${t(`logs.tab_${tab}`)}</button>`)}
    </div>
    <div role="tabpanel" id=${`panel-${view.tab}`} aria-labelledby=${`tab-${view.tab}`} class="tab-panel">
      ${view.tab === "requests" ? html`<${RequestLog} view=${view} onChange=${change} />` : html`<${AuditTrail} />`}
    </div>`;
}
