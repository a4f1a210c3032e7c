"""The admin API over balance checks: jobs, one key now, and client-direct checking."""

from __future__ import annotations

import json
from typing import Any

from ..auth import require_admin
from ..checks import MODELS_PATH, USER_INFO_PATH, Checked
from ..core.balance import ERROR, GONE, plan_update, read_models, read_user_info
from ..core.pacing import LIMITS, eta_s, speed
from ..http import HTTPError, Request, Response
from ..jobs import JobRunner
from ..routing import Route
from ..services import Services
from .keys import filter_from_body, filter_from_query, public_key
from .params import MAX_INT, int_param

RECENT_JOBS = 20
MAX_CLIENT_RESULTS = 1000
MAX_CLIENT_BODY = 64 * 1024
SELECTION_FIELDS = {"ids", "all", "status", "q", "min_balance", "max_balance", "zero_balance"}
READERS = {"user_info": read_user_info, "models": read_models}


def job_view(job: dict[str, Any], now: float) -> dict[str, Any]:
    progress = job["progress"]
    mark_ts, mark_done = progress.get("mark") or [job["created_at"], 0]
    running = job["state"] == "running"
    until = now if running else (job["finished_at"] or job["updated_at"])
    keys_per_s = speed(job["done"], mark_done, mark_ts, until)
    pacer = progress.get("pacer") or {}
    return {
        "id": job["id"], "kind": job["kind"], "state": job["state"],
        "active": bool(job["lease_until"] and job["lease_until"] > now),  # a chunk is running right now
        **{name: job[name] for name in ("done", "total", "valid", "invalid", "exhausted", "errors", "cursor")},
        "keys_per_s": round(keys_per_s, 3) if keys_per_s else None,
        "eta_s": (round(e, 1) if (e := eta_s(job["total"], job["done"], keys_per_s)) is not None else None)
        if running else None,
        "created_at": job["created_at"], "updated_at": job["updated_at"], "finished_at": job["finished_at"],
        "message": job["message"],
        "selection": job["params"].get("selection"), "settings": job["params"].get("settings"),
        "calls": progress.get("calls", 0),
        "user_info": progress.get("user_info"),  # "gone" once /v1/user/info answered 404/410 in this job
        "pacing": {"concurrency": pacer.get("limit"), "slowdowns": pacer.get("slowdowns", 0),
                   "rate_limited": pacer.get("rate_limited", 0),
                   "extra_interval_ms": round(pacer.get("penalty_s", 0) * 1000)},
    }


def _settings_overrides(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - SELECTION_FIELDS - set(LIMITS)
    if unknown:
        raise HTTPError(400, f"unknown field(s) {', '.join(sorted(unknown))}; job settings are "
                             f"{', '.join(LIMITS)}")
    return {name: body[name] for name in LIMITS if body.get(name) is not None}


def _client_body(value: Any) -> bytes | None:
    if isinstance(value, str):
        raw = value.encode()
    elif isinstance(value, (dict, list)):
        raw = json.dumps(value).encode()
    else:
        return None
    return raw if len(raw) <= MAX_CLIENT_BODY else None


def routes(services: Services, runner: JobRunner) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    async def require_client_checking() -> dict[str, Any]:
        pool = await runner.pool_settings()
        if not pool["client_side_checking"]:
            raise HTTPError(403, "client-side checking is off: PUT /api/settings {\"client_side_checking\": true}",
                            code="client_side_checking_off")
        return pool

    async def create_job(request: Request) -> Response:
        require_admin(request, settings)
        body = request.json_object()
        overrides = _settings_overrides(body)
        key_filter = filter_from_body(body)
        try:
            job_id, total = await runner.create(key_filter, overrides)
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        if total:
            runner.start(job_id, request.defer)
        await services.audit.record(request, "keys.check", count=total, detail={"job": job_id})
        return Response.json({"job": job_id, "total": total, "state": "running" if total else "done"})

    async def get_job(request: Request) -> Response:
        require_admin(request, settings)
        job = await store.jobs.get(request.path_params["id"])
        if job is None:
            raise HTTPError(404, "no such job")
        if job["state"] == "running":
            runner.start(job["id"], request.defer)  # Worker: each poll advances it a chunk, if nobody else does
        return Response.json(job_view(job, clock.now()))

    async def list_jobs(request: Request) -> Response:
        require_admin(request, settings)
        now = clock.now()
        return Response.json({"items": [job_view(job, now) for job in await store.jobs.recent(RECENT_JOBS)]})

    async def stop_job(request: Request) -> Response:
        require_admin(request, settings)
        job_id = request.path_params["id"]
        if await store.jobs.get(job_id) is None:
            raise HTTPError(404, "no such job")
        stopped = await runner.stop(job_id)
        await services.audit.record(request, "jobs.stop", detail={"job": job_id})
        return Response.json({"stopped": stopped, **job_view(await store.jobs.get(job_id), clock.now())})

    async def tick(request: Request) -> Response:
        """Run the scheduled tick now (what cron and the local periodic task run)."""
        require_admin(request, settings)
        return Response.json(await runner.tick())

    async def check_one(request: Request) -> Response:
        require_admin(request, settings)
        key_id = request.path_params["id"]
        checked = await runner.check_now(key_id)
        if checked is False:
            raise HTTPError(404, "no such key")
        if checked is None:
            raise HTTPError(503, "the check could not finish now (rate limited or out of budget); try again",
                            code="check_unfinished")
        item = public_key(await store.keys.get(key_id))
        return Response.json({**item, "result": checked.update.outcome, "message": checked.verdict.message or None})

    async def check_targets(request: Request) -> Response:
        """Keys (unmasked) and URLs for the admin's browser to check against SiliconFlow itself."""
        require_admin(request, settings)
        await require_client_checking()
        query = request.query
        limit = int_param(query.get("limit"), "limit", MAX_CLIENT_RESULTS, 1, MAX_INT)
        limit = min(limit, MAX_CLIENT_RESULTS)
        after = int_param(query.get("after"), "after", 0, 0, MAX_INT)
        ids = ([int_param(i, "ids", 0, 0, MAX_INT) for i in query["ids"].split(",") if i.strip()]
               if query.get("ids") else None)
        if ids is None:
            ids = [i for i in await store.keys.ids(filter_from_query(query)) if i > after]
        if len(ids) > limit:
            ids, next_after = ids[:limit], ids[limit - 1]
        else:
            next_after = None
        rows = await store.keys.check_rows(ids)
        base = settings.upstream_base_url
        return Response.json({
            "user_info_url": base + USER_INFO_PATH, "models_url": base + MODELS_PATH,
            "items": [{"id": row["id"], "key": row["key"]} for row in rows], "next_after": next_after,
        }, headers=[("cache-control", "no-store")])

    async def check_results(request: Request) -> Response:
        """What the admin's browser got from SiliconFlow, raw; parsed and applied here like our own checks."""
        require_admin(request, settings)
        pool = await require_client_checking()
        body = request.json()
        items = body.get("results") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise HTTPError(400, 'send a list of {"id", "status", "body", "endpoint"} (or {"results": [...]})')
        if len(items) > MAX_CLIENT_RESULTS:
            raise HTTPError(413, f"at most {MAX_CLIENT_RESULTS} results per request")
        rejected, wanted = [], {}
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                rejected.append({"index": index, "id": None, "reason": "not an object"})
                continue
            key_id, status, raw = item.get("id"), item.get("status"), _client_body(item.get("body", ""))
            endpoint = item.get("endpoint") or "user_info"
            reason = None
            if not isinstance(key_id, int) or isinstance(key_id, bool) or not 0 <= key_id <= MAX_INT:
                reason = "id must be an integer"
            elif not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
                reason = "status must be an HTTP status code"
            elif raw is None:
                reason = f"body must be the upstream's answer as text, at most {MAX_CLIENT_BODY} bytes"
            elif endpoint not in READERS:
                reason = "endpoint must be user_info or models"
            elif key_id in wanted:
                reason = "duplicate id"
            if reason:
                rejected.append({"index": index, "id": key_id if isinstance(key_id, int) else None, "reason": reason})
            else:
                wanted[key_id] = (index, READERS[endpoint](status, raw, None))
        rows = {row["id"]: row for row in await store.keys.check_rows(list(wanted))}
        checked, need_models, retry = [], [], []
        for key_id, (index, verdict) in wanted.items():
            row = rows.get(key_id)
            if row is None:
                rejected.append({"index": index, "id": key_id, "reason": "unknown key"})
            elif verdict.kind == GONE:
                need_models.append(key_id)
            elif not verdict.final:
                retry.append(key_id)
            elif verdict.kind == ERROR:  # an answer that decides nothing is no result to record
                rejected.append({"index": index, "id": key_id, "reason": verdict.message})
            else:
                checked.append(Checked(row, verdict, plan_update(row, verdict)))
        await runner.apply(checked, pool)
        return Response.json({
            "applied": len(checked),
            "results": [{"id": c.update.id, "status": c.update.status, "balance": c.update.balance,
                         "result": c.update.outcome} for c in checked],
            "need_models": need_models, "retry": retry,
            "rejected": sorted(rejected, key=lambda r: r["index"]),
        })

    return [
        Route("/api/keys/check", create_job, ("POST",)),
        Route("/api/keys/check-targets", check_targets, ("GET",)),
        Route("/api/keys/check-results", check_results, ("POST",)),
        Route("/api/keys/{id:int}/check", check_one, ("POST",)),
        Route("/api/jobs", list_jobs, ("GET",)),
        Route("/api/jobs/tick", tick, ("POST",)),
        Route("/api/jobs/{id:int}", get_job, ("GET",)),
        Route("/api/jobs/{id:int}/stop", stop_job, ("POST",)),
    ]
