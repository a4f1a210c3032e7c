// Client-side checking: this browser asks SiliconFlow about each key itself (for when the
// server's address is rate limited) and posts the raw answers to the server, which reads
// them as it reads its own (POST /api/keys/check-results). Same figures as a server job.
import { api } from "../api.js";

const TARGETS_PER_REQUEST = 200;
const RESULTS_PER_POST = 25;
const MAX_RATE_LIMITED = 10;
const MAX_REQUEUES = 3;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ClientCheck {
  // selection: {ids: [...]} or a filter ({status, q}); settings: the check dialog's job settings.
  constructor(selection, total, settings, onChange) {
    this.selection = selection;
    this.settings = settings;
    this.onChange = onChange;
    this.view = { id: null, state: "running", done: 0, total, valid: 0, invalid: 0, exhausted: 0, errors: 0,
      keys_per_s: null, eta_s: null, created_at: Date.now() / 1000, updated_at: Date.now() / 1000,
      finished_at: null, user_info: null, message: null };
    this.queue = [];
    this.pending = [];
    this.inFlight = new Set();
    this.tries = new Map();
    this.keys = new Map();  // id -> key, until the key's check is final
    this.source = { ids: selection.ids ? [...selection.ids] : null, after: 0, exhausted: false };
    this.urls = null;
    this.nextStart = 0;
    this.posting = Promise.resolve();
    this.stopped = false;
  }

  stop() {
    this.stopped = true;
    for (const controller of this.inFlight) controller.abort();
  }

  emit() {
    const view = this.view;
    const now = Date.now() / 1000;
    view.updated_at = now;
    const elapsed = now - view.created_at;
    view.keys_per_s = elapsed > 0 && view.done ? view.done / elapsed : null;
    view.eta_s = view.keys_per_s ? (view.total - view.done) / view.keys_per_s : null;
    view.total = Math.max(view.total, view.done);
    this.onChange({ ...view });
  }

  async run() {
    try {
      do {  // the last answers may send keys back (need_models, retry): then work on
        await Promise.all(Array.from({ length: Math.max(1, this.settings.concurrency) }, () => this.worker()));
        await this.flush(true);
      } while (this.queue.length && !this.stopped);
      this.view.state = this.stopped ? "stopped" : "done";
    } catch (failure) {
      this.view.state = "failed";
      this.view.message = failure.message;
    }
    this.view.finished_at = Date.now() / 1000;
    this.emit();
  }

  // The next key to check: a re-queued one first, else the next page of targets.
  async next() {
    while (!this.stopped) {
      if (this.queue.length) return this.queue.shift();
      if (this.source.exhausted) {  // answers still to come may send keys back (need_models, retry)
        if (this.inFlight.size) { await sleep(50); continue; }
        if (this.pending.length) { await this.flush(true); continue; }
        await this.posting;
        if (this.queue.length) continue;
        return null;
      }
      await (this.loading ||= this.load().finally(() => { this.loading = null; }));
    }
    return null;
  }

  async load() {
    const { source, selection } = this;
    let params;
    if (source.ids) {
      const ids = source.ids.splice(0, TARGETS_PER_REQUEST);
      if (!ids.length) { source.exhausted = true; return; }
      params = { ids: ids.join(",") };
      if (!source.ids.length) source.exhausted = true;
    } else {
      params = { status: selection.status, q: selection.q, limit: TARGETS_PER_REQUEST, after: source.after };
    }
    const answer = await api.get("/api/keys/check-targets", params);
    this.urls = { user_info: answer.user_info_url, models: answer.models_url };
    for (const item of answer.items) {
      this.keys.set(item.id, item.key);
      this.queue.push({ ...item, endpoint: this.view.user_info === "gone" ? "models" : "user_info" });
    }
    if (!source.ids) {
      if (answer.next_after === null || answer.next_after === undefined) source.exhausted = true;
      else source.after = answer.next_after;
    }
  }

  async worker() {
    for (;;) {
      const target = await this.next();
      if (!target || this.stopped) return;
      const answer = await this.ask(target);
      if (this.stopped) return;
      if (answer === null) {
        this.count("error");
        this.keys.delete(target.id);
        this.emit();
      } else {
        this.pending.push(answer);
        if (this.pending.length >= RESULTS_PER_POST) await this.flush();
      }
    }
  }

  // Calls start no closer than the job's interval (fixed, or random in [min, max]).
  async pace() {
    const { interval_ms: fixed, interval_min_ms: low, interval_max_ms: high } = this.settings;
    const gap = high > 0 ? low + Math.random() * (high - low) : fixed;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + gap;
    if (start > now) await sleep(start - now);
  }

  // One key's raw answer {id, status, body, endpoint}, or null when it never got one.
  async ask(target) {
    if (this.view.user_info === "gone" && target.endpoint === "user_info") target = { ...target, endpoint: "models" };
    let limited = 0;
    for (let attempt = 0; attempt <= this.settings.retries;) {
      await this.pace();
      if (this.stopped) return null;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.settings.timeout_s * 1000);
      this.inFlight.add(controller);
      try {
        const response = await fetch(this.urls[target.endpoint], {
          headers: { authorization: `Bearer ${target.key}` }, signal: controller.signal,
          credentials: "omit", referrerPolicy: "no-referrer", cache: "no-store",
        });
        const body = await response.text();
        if (response.status === 429 && limited < MAX_RATE_LIMITED) {
          limited += 1;
          const wait = Number(response.headers.get("retry-after")) || 2 ** limited;
          await sleep(Math.min(wait, 30) * 1000);
          continue;
        }
        if ((response.status >= 500 || response.status === 408) && attempt < this.settings.retries) {
          attempt += 1;
          await sleep(Math.min(8000, 250 * 2 ** attempt));
          continue;
        }
        if (target.endpoint === "user_info" && (response.status === 404 || response.status === 410)) {
          // user/info is retired: this key and every later one ask /v1/models (as the server's own checks do)
          this.view.user_info = "gone";
          target = { ...target, endpoint: "models" };
          continue;
        }
        return { id: target.id, status: response.status, body: body.slice(0, 60000), endpoint: target.endpoint };
      } catch {
        if (this.stopped) return null;
        attempt += 1;  // timeout or connection error: retried, then counted as an error
      } finally {
        clearTimeout(timer);
        this.inFlight.delete(controller);
      }
    }
    return null;
  }

  // Posts collected answers; one post at a time, in order.
  flush(all = false) {
    this.posting = this.posting.then(async () => {
      while (this.pending.length && (all || this.pending.length >= RESULTS_PER_POST)) {
        const batch = this.pending.splice(0, RESULTS_PER_POST);
        const endpoints = new Map(batch.map((item) => [item.id, item]));
        const answer = await api.post("/api/keys/check-results", batch);
        for (const result of answer.results) {
          this.count(result.result);
          this.keys.delete(result.id);
        }
        for (const rejected of answer.rejected) this.count("error", rejected);
        for (const id of answer.need_models) {
          this.view.user_info = "gone";
          this.requeue(id, "models");
        }
        for (const id of answer.retry) this.requeue(id, endpoints.get(id)?.endpoint || "user_info");
        this.emit();
      }
    });
    return this.posting;
  }

  count(outcome) {
    const view = this.view;
    if (outcome === "valid" || outcome === "invalid" || outcome === "exhausted") view[outcome] += 1;
    else view.errors += 1;
    view.done += 1;
  }

  requeue(id, endpoint) {
    const tries = (this.tries.get(id) || 0) + 1;
    this.tries.set(id, tries);
    const key = this.keys.get(id);
    if (tries > MAX_REQUEUES || !key) { this.count("error"); return; }
    this.queue.push({ id, key, endpoint });
  }
}
