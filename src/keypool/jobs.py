"""Balance-check jobs and the scheduled tick: the same code for the Worker's
cron, the local server's periodic task and `python -m keypool refresh`.

A job advances a chunk at a time (`advance`): take the job's lease, check
its next keys past the cursor, then write the keys, their balance history
and the job's progress in one batch. Where chunks run depends on the runtime:

- Worker (default): one chunk per invocation within the call budget
  (`check_budget`), started in the request's waitUntil when the job is
  created or polled, and by each cron tick.
- Local server (`start_background`): a task per running job runs chunk after
  chunk; running jobs resume from their cursor when the server starts.
- CLI (`limited=False`): one chunk per running job per tick, no budget.

A tick (`tick`): continue running jobs, else re-check the `refresh_batch`
keys checked longest ago; prune old logs (every 6 h); save the day's pool total;
evaluate low-balance alerts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, Awaitable, Callable

from .alerts import Alerts
from .checks import Checked, Run, tally, write_statements
from .core.balance import utc_day
from .core.pacing import CheckSettings, chunk_keys
from .services import Services
from .settings import pool_defaults
from .store import KeyFilter
from .store.keys import KeyStore

log = logging.getLogger("keypool.jobs")

LEASE_S = 120.0
WORKER_CHUNK_S = 20.0       # a Worker chunk starts no call after this (waitUntil lasts 30 s)
LOCAL_CHUNK_S = 10.0        # a local chunk starts no key after this, so progress is saved that often
WORKER_BACKOFF_CAP_S = 4.0
LOCAL_BACKOFF_CAP_S = 8.0
PRUNE_EVERY_S = 6 * 3600.0   # log rotation, usage folding and the other trims
PRUNED_AT = "state.pruned_at"
CHUNK_FAILURES = 3          # a local job fails after this many chunks in a row raised


class JobRunner:
    def __init__(self, services: Services, on_change: Callable[[], None] | None = None):
        self.services = services
        self.store = services.store
        self.clock = services.clock
        self.on_change = on_change or (lambda: None)
        self.alerts = Alerts(services)
        self.rng = random.Random()
        self.background = False   # local server: jobs run in tasks of their own
        self.limited = True       # Worker: calls per invocation within check_budget
        self._tasks: dict[int, asyncio.Task] = {}
        self._stopping: set[int] = set()
        self._closing = False
        self._wake: asyncio.Event | None = None  # created in the running loop (start_background)
        self._periodic: asyncio.Task | None = None

    async def pool_settings(self) -> dict[str, Any]:
        return {**pool_defaults(), **await self.store.config.get_all()}

    def _run(self, settings: CheckSettings, **options: Any) -> Run:
        limited, now = self.limited, self.clock.now()
        return Run(self.services.upstream, self.services.settings.upstream_base_url, self.clock, settings, self.rng,
                   budget=options.pop("budget", settings.budget if limited else None),
                   deadline=now + WORKER_CHUNK_S if limited else None,
                   start_by=None if limited else now + LOCAL_CHUNK_S,
                   backoff_cap_s=WORKER_BACKOFF_CAP_S if limited else LOCAL_BACKOFF_CAP_S, **options)

    # --- jobs ---------------------------------------------------------------

    async def create(self, key_filter: KeyFilter, overrides: dict[str, Any]) -> tuple[int, int]:
        """A new check job over the keys the filter selects; (job id, total). ValueError on bad settings."""
        settings = CheckSettings.resolve(await self.pool_settings(), overrides)
        total, max_id = await self.store.jobs.measure(key_filter)
        selection = {"status": key_filter.status, "q": key_filter.q, "min_balance": key_filter.min_balance,
                     "max_balance": key_filter.max_balance,
                     "ids": len(key_filter.ids) if key_filter.ids is not None else None}
        job_id = await self.store.jobs.create("check", {"selection": selection, "settings": settings.as_dict()},
                                              key_filter.ids, max_id, total, self.clock.now())
        return job_id, total

    async def check_new_keys(self, after_id: int, defer: Callable[[Awaitable[Any]], None]) -> int | None:
        """With `check_on_import` (default on): a check job over the keys added after `after_id`,
        started; its id, or None when the setting is off."""
        if not (await self.pool_settings())["check_on_import"]:
            return None
        job_id, total = await self.create(KeyFilter(ids=await self.store.keys.ids_after(after_id)), {})
        if total:
            self.start(job_id, defer)
        return job_id

    def start(self, job_id: int, defer: Callable[[Awaitable[Any]], None]) -> None:
        """Get a new (or polled) job going: its own task locally, a chunk after the response in a Worker."""
        if self.background:
            self._spawn(job_id)
        else:
            defer(self._advance_logged(job_id))

    async def stop(self, job_id: int) -> bool:
        self._stopping.add(job_id)
        return await self.store.jobs.stop(job_id, self.clock.now())

    async def _advance_logged(self, job_id: int) -> None:
        try:
            await self.advance(job_id)
        except Exception:
            log.exception("job %s: chunk failed", job_id)

    async def advance(self, job_id: int, budget: int | None = None, pool: dict[str, Any] | None = None,
                      wrap_up: bool = True) -> tuple[int, bool]:
        """One chunk of a job, if it is running and no other runner holds it.
        Returns (upstream calls made, whether the job has more to do)."""
        now = self.clock.now()
        if not await self.store.jobs.claim(job_id, now, LEASE_S):
            return 0, False
        try:
            job = await self.store.jobs.get(job_id)
            pool = pool or await self.pool_settings()
            calls, more = await self._chunk(job, pool, budget)
        except BaseException:
            await self.store.jobs.release(job_id)
            raise
        if wrap_up:
            await self.wrap_up(pool)
        return calls, more

    async def _chunk(self, job: dict[str, Any], pool: dict[str, Any], budget: int | None) -> tuple[int, bool]:
        job_id = job["id"]
        settings = CheckSettings.resolve({}, job["params"]["settings"])
        progress = job["progress"]
        ahead = progress.get("ahead") or []
        limit = chunk_keys(settings, self.limited)
        options: dict[str, Any] = {}
        if self.limited:
            budget = min(budget if budget is not None else settings.budget, settings.budget)
            limit, options["budget"] = min(limit, budget), budget
        rows = await self.store.jobs.next_keys(job, ahead, limit + 1)  # one more: are there keys left after?
        last_chunk, rows = len(rows) <= limit, rows[:limit]
        run = self._run(settings, user_info=progress.get("user_info"), pacer_state=progress.get("pacer"),
                        limited=progress.get("limited"),
                        halted=lambda: self._closing or job_id in self._stopping, **options)
        renewing = asyncio.ensure_future(self._keep_lease(job_id))
        try:
            await run.check_all(rows)
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
        now = self.clock.now()
        checked = [run.results[row["id"]] for row in rows if row["id"] in run.results]
        cursor = job["cursor"]
        for row in rows:  # the cursor passes keys finished in order; the rest wait in `ahead`
            if row["id"] not in run.results:
                break
            cursor = row["id"]
        finished = last_chunk and len(checked) == len(rows)
        progress = {
            **progress,
            "ahead": sorted(i for i in {*ahead, *run.results} if i > cursor),
            "limited": {str(k): v for k, v in run.limited.items() if k not in run.results},
            "user_info": run.user_info,
            "pacer": run.pacer.snapshot(),
            "calls": progress.get("calls", 0) + run.calls,
        }
        await self.store.db.batch([
            *write_statements(self.store, checked, now),
            self.store.jobs.progress_statement(job_id, tally(checked), cursor, progress, now, finished),
        ])
        if any(c.update.changed for c in checked):
            self.on_change()
        more = not finished and job_id not in self._stopping and not self._closing
        return run.calls, more

    async def _keep_lease(self, job_id: int) -> None:
        """A chunk slower than the lease (long intervals, slow upstream) keeps its job."""
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await self.store.jobs.renew(job_id, self.clock.now() + LEASE_S)

    async def check_now(self, key_id: int) -> Checked | None | bool:
        """Check one key at once (POST /api/keys/{id}/check). False: no such key; None: could not finish."""
        rows = await self.store.keys.check_rows([key_id])
        if not rows:
            return False
        pool = await self.pool_settings()
        run = self._run(CheckSettings.resolve(pool), halted=lambda: self._closing)
        checked = await run.check(rows[0])
        if checked is not None:
            await self.apply([checked], pool)
        return checked

    async def apply(self, checked: list[Checked], pool: dict[str, Any] | None = None) -> None:
        """Write checks made outside a job (one key, or the admin browser's results)."""
        if checked:
            await self.store.db.batch(write_statements(self.store, checked, self.clock.now()))
            if any(c.update.changed for c in checked):
                self.on_change()
        await self.wrap_up(pool or await self.pool_settings())

    # --- the tick -----------------------------------------------------------

    async def tick(self) -> dict[str, Any]:
        """What cron, the local periodic task and `refresh` run."""
        pool = await self.pool_settings()
        summary: dict[str, Any] = {"jobs": [], "refreshed": 0, "calls": 0}
        budget = pool["check_budget"] - self.alerts.calls_needed(pool) if self.limited else None
        running = await self.store.jobs.running_ids()
        for job_id in running:
            if self.background:
                self._spawn(job_id)
                continue
            if budget is not None and budget < 2:
                break
            try:
                calls, _ = await self.advance(job_id, budget, pool, wrap_up=False)
            except Exception:
                log.exception("job %s: chunk failed", job_id)
                continue
            summary["jobs"].append(job_id)
            summary["calls"] += calls
            if budget is not None:
                budget -= calls
        if not running and pool["refresh_batch"] > 0 and (budget is None or budget >= 1):
            summary["refreshed"], calls = await self.refresh(pool, budget)
            summary["calls"] += calls
        await self._prune(pool)
        summary["alerts"] = await self.wrap_up(pool)
        return summary

    async def refresh(self, pool: dict[str, Any], budget: int | None) -> tuple[int, int]:
        """Re-check the keys checked longest ago; (keys checked, calls made)."""
        settings = CheckSettings.resolve(pool)
        batch = pool["refresh_batch"] if budget is None else min(pool["refresh_batch"], budget)
        rows = await self.store.keys.stalest(batch)
        run = self._run(settings, budget=budget, halted=lambda: self._closing)
        await run.check_all(rows)
        checked = [run.results[row["id"]] for row in rows if row["id"] in run.results]
        if checked:
            await self.store.db.batch(write_statements(self.store, checked, self.clock.now()))
            if any(c.update.changed for c in checked):
                self.on_change()
        return len(checked), run.calls

    async def wrap_up(self, pool: dict[str, Any]) -> list[str]:
        """After checks: today's pool total, then the low-balance alerts. Returns the alerts sent."""
        now = self.clock.now()
        totals = await self.store.stats.pool_totals()
        await self.store.stats.save_day(utc_day(now), now, totals)
        try:
            return await self.alerts.evaluate(totals, pool, now)
        except Exception:
            log.exception("evaluating low-balance alerts failed")
            return []

    async def _prune(self, pool: dict[str, Any]) -> None:
        now = self.clock.now()
        if now - float(pool.get(PRUNED_AT) or 0) < PRUNE_EVERY_S:
            return
        older_than = now - pool["log_retention_days"] * 86400
        await self.store.logs.prune(now, pool["log_retention_days"] * 86400, pool["log_max_rows"])
        # Usage of the last hours into the keys' and client keys' totals, then old hours out.
        await self.store.db.batch(self.store.usage.fold_statements(now))
        await self.store.db.batch([KeyStore.prune_blocks_statement(now),
                                   self.store.usage.prune_statement(older_than),
                                   self.store.stats.prune_key_history_statement(older_than),
                                   *self.store.audit.prune_statements(older_than, pool["log_max_rows"]),
                                   self.store.secrets.prune_revoked_statement(now)])
        await self.store.config.put_many({PRUNED_AT: now})

    # --- local server -------------------------------------------------------

    async def start_background(self, tick_s: float | None = None) -> None:
        """Local server: run jobs in tasks, resume those left running, tick every `refresh_interval_s`."""
        self.background, self.limited = True, False
        self._wake = asyncio.Event()
        await self.store.jobs.clear_leases()  # one server per database file: a lease left is a dead process's
        now = self.clock.now()
        for job_id in await self.store.jobs.running_ids():
            job = await self.store.jobs.get(job_id)
            await self.store.jobs.mark(job_id, {**job["progress"], "mark": [now, job["done"]]})
            log.info("resuming job %s at %s/%s", job_id, job["done"], job["total"])
            self._spawn(job_id)
        self._periodic = asyncio.ensure_future(self._every(tick_s))

    def _spawn(self, job_id: int) -> None:
        if self._closing or (job_id in self._tasks and not self._tasks[job_id].done()):
            return
        self._tasks[job_id] = asyncio.ensure_future(self._run_job(job_id))

    async def _run_job(self, job_id: int) -> None:
        failures = 0
        try:
            while not self._closing:
                try:
                    _, more = await self.advance(job_id)
                except Exception as exc:
                    log.exception("job %s: chunk failed", job_id)
                    failures += 1
                    if failures >= CHUNK_FAILURES:
                        await self.store.jobs.fail(job_id, f"chunk failed: {type(exc).__name__}: {exc}",
                                                   self.clock.now())
                        return
                    await asyncio.sleep(1.0)
                    continue
                failures = 0
                if not more:
                    return
        finally:
            self._tasks.pop(job_id, None)
            self._stopping.discard(job_id)

    async def _every(self, tick_s: float | None) -> None:
        while not self._closing:
            try:
                interval = tick_s or (await self.pool_settings())["refresh_interval_s"]
            except Exception:
                log.exception("reading settings for the periodic tick failed")
                interval = 60.0
            try:
                await asyncio.wait_for(self._wake.wait(), interval)
            except asyncio.TimeoutError:
                pass
            if self._closing:
                return
            try:
                await self.tick()
            except Exception:
                log.exception("periodic tick failed")

    async def shutdown(self) -> None:
        """Stop starting calls; let each running chunk write what it finished."""
        self._closing = True
        if self._wake is not None:
            self._wake.set()
        tasks = [*self._tasks.values(), *([self._periodic] if self._periodic else [])]
        await asyncio.gather(*tasks, return_exceptions=True)
