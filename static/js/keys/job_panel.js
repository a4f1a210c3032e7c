// Progress of a check: a job on the server (polled; it survives a reload) or a check the
// browser runs itself (client-side checking). Both show the same figures.
import { html, useEffect, useState } from "../preact.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import * as format from "../format.js";
import { Icon, ProgressBar } from "../ui.js";

const POLL_MS = 1000;

// The job's latest view from GET /api/jobs/{id}, polled while it runs.
export function useServerJob(id, onFinished) {
  const [job, setJob] = useState(null);
  useEffect(() => {
    if (!id) return undefined;
    let stopped = false;
    let timer = null;
    const poll = async () => {
      try {
        const view = await api.get(`/api/jobs/${id}`);
        if (stopped) return;
        setJob(view);
        if (view.state === "running") timer = setTimeout(poll, POLL_MS);
        else onFinished?.(view);
      } catch (failure) {
        if (!stopped && failure.status !== 401) timer = setTimeout(poll, POLL_MS * 3);
      }
    };
    poll();
    return () => { stopped = true; clearTimeout(timer); };
  }, [id]);
  return [job, setJob];
}

function Figure({ name, label, value, tone }) {
  return html`<div class=${`figure ${tone || ""}`}><dt>${label}</dt><dd data-figure=${name}>${value}</dd></div>`;
}

export function JobPanel({ job, client, onStop, onClose }) {
  const [now, setNow] = useState(Date.now() / 1000);
  const running = job?.state === "running";
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (!job) return null;
  const percent = job.total ? Math.floor((job.done / job.total) * 100) : 100;
  const elapsed = (running ? Math.max(now, job.updated_at || now) : (job.finished_at || job.updated_at)) - job.created_at;
  return html`<section class="panel job-panel" aria-labelledby="job-title" data-state=${job.state}>
    <div class="panel-head">
      <h2 id="job-title">${client ? t("job.title_client") : t("job.title", { id: job.id })}
        <span class=${`badge badge-job-${job.state}`}>${t(`job.state_${job.state}`)}</span></h2>
      <div class="panel-actions">
        ${running && html`<button type="button" class="button button-danger-quiet" onClick=${onStop}>
          <${Icon} name="stop" size=${16} />${t("job.stop")}</button>`}
        ${!running && html`<button type="button" class="icon-button" onClick=${onClose} aria-label=${t("job.dismiss")}>
          <${Icon} name="close" /></button>`}
      </div>
    </div>
    <div class="job-progress">
      <${ProgressBar} value=${job.done} max=${job.total || 1} label=${t("job.progress")} />
      <span class="job-percent" data-figure="percent">${percent}%</span>
    </div>
    <dl class="figures">
      <${Figure} name="done" label=${t("job.done")} value=${`${format.number(job.done)} / ${format.number(job.total)}`} />
      <${Figure} name="valid" label=${t("status.valid")} value=${format.number(job.valid)} tone="ok" />
      <${Figure} name="invalid" label=${t("status.invalid")} value=${format.number(job.invalid)} tone="bad" />
      <${Figure} name="exhausted" label=${t("status.exhausted")} value=${format.number(job.exhausted)} tone="warn" />
      <${Figure} name="errors" label=${t("job.errors")} value=${format.number(job.errors)} />
      <${Figure} name="speed" label=${t("job.speed")} value=${job.keys_per_s ? t("job.per_s", { n: format.number(job.keys_per_s, 1) }) : "—"} />
      <${Figure} name="eta" label=${t("job.eta")} value=${running ? format.duration(job.eta_s) : "—"} />
      <${Figure} name="elapsed" label=${t("job.elapsed")} value=${format.duration(elapsed)} />
    </dl>
    ${job.user_info === "gone" && html`<p class="muted">${t("job.user_info_gone")}</p>`}
    ${job.message && html`<p class="muted">${job.message}</p>`}
  </section>`;
}
