"""Backups: GET /api/backup streams the whole pool as one JSON document
(core/backup.py has its format); POST /api/restore?mode=merge|replace applies
one. The CLI (`python -m keypool backup|restore`) calls the same functions.

merge (the default) adds what the pool lacks and updates a key only where the
backup's record of it is newer (checked later); usage counters keep the larger
value, so restoring twice changes nothing. Settings the pool has set itself
are kept; the others come from the backup. replace first removes the pool's
keys, exclusions, balance history, client keys and settings, then writes the
backup's. Either way the document is checked whole before the first write,
and the writes are one transaction.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, AsyncIterator

from ..auth import require_admin
from ..clients import ClientGate
from ..core.backup import COUNTED, BackupError, BackupVersionError, document_head, document_tail, read_backup
from ..http import HTTPError, Request, Response
from ..pool import KeyPool
from ..ports import DatabaseError
from ..routing import Route
from ..services import Services
from ..settings import POOL_SETTINGS, validate_pool_settings
from ..store import Store
from ..store.backup import CHUNK_BYTES, MAX_ID
from .params import int_param

log = logging.getLogger("keypool.backup")

MODES = ("merge", "replace")
MAX_REASONS = 50  # rejections listed with their reason (all are counted)


async def backup_stream(store: Store, now: float, after: int = 0,
                        limit: int | None = None) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
    """The document as it is read, page by page, and what it holds: `keys`, and for a part
    (`limit` keys after id `after`) `until` (its last key's id) and whether `more` follow.
    A part is a whole backup too; only the first one carries the settings and client keys."""
    head = await store.backup.head(after, limit)
    if after:
        head.update(config={}, client_rows=[], pool_rows=[])
    settings = {name: value for name, value in head["config"].items() if name in POOL_SETTINGS}

    async def chunks() -> AsyncIterator[bytes]:
        counts = dict.fromkeys(COUNTED, 0)
        counts["client_keys"], counts["pool_history"] = len(head["client_rows"]), len(head["pool_rows"])
        yield document_head(int(now), settings, head["client_rows"], head["pool_rows"]).encode()
        separator = ""
        try:
            async for page in store.backup.key_pages(head["keys"], after, head["until"] if limit else None):
                counts["keys"] += len(page)
                counts["blocks"] += sum(row["blocks"] for row in page)
                counts["history"] += sum(row["history"] for row in page)
                yield (separator + ",\n".join(row["row"] for row in page)).encode()
                separator = ",\n"
        except Exception:
            # The response has started: cut it short. Without its "end" the document is refused on restore.
            log.exception("backup stopped after %d keys", counts["keys"])
            raise
        yield document_tail(counts).encode()

    return head, chunks()


def plan_settings(given: dict[str, Any], current: dict[str, Any], mode: str) -> dict[str, Any]:
    """Which settings a restore writes (name -> stored JSON text) and what it tells about them."""
    write: dict[str, str] = {}
    counts = {"added": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    rejected, kept = [], []
    for name, value in given.items():
        try:
            clean = validate_pool_settings({name: value})[name]
        except ValueError as exc:
            counts["rejected"] += 1
            if len(rejected) < MAX_REASONS:
                rejected.append({"kind": "setting", "name": str(name)[:100], "reason": str(exc)[:200]})
            continue
        if mode == "merge" and name in current:
            counts["unchanged"] += 1  # set here: the pool's own choice stays
            if current[name] != clean:
                kept.append(name)
            continue
        write[name] = json.dumps(clean)
        counts["added" if name not in current else "unchanged" if current[name] == clean else "updated"] += 1
    removed = sorted(set(current) - set(given)) if mode == "replace" else []
    return {"write": write, "counts": counts, "rejected": rejected, "kept": sorted(kept), "removed": removed}


def _tally(total: int, changes: dict[str, int], kind: str) -> dict[str, int]:
    added, updated = changes.get(f"{kind}.added", 0), changes.get(f"{kind}.updated", 0)
    return {"added": added, "updated": updated, "unchanged": total - added - updated, "rejected": 0}


async def restore_document(store: Store, body: bytes, mode: str) -> dict[str, Any]:
    """Check a backup whole, then apply it in one transaction. Raises HTTPError."""
    if mode not in MODES:
        raise HTTPError(400, f"mode must be one of {', '.join(MODES)}")
    try:
        backup = read_backup(body, CHUNK_BYTES)
    except BackupVersionError as exc:
        raise HTTPError(400, f"backup refused, the pool is unchanged: {exc}", code="unsupported_backup_version") from None
    except BackupError as exc:
        raise HTTPError(400, f"backup refused, the pool is unchanged: {exc}", code="invalid_backup") from None
    current = {name: value for name, value in (await store.config.get_all()).items() if name in POOL_SETTINGS}
    settings = plan_settings(backup.settings, current, mode)
    started = time.monotonic()
    try:
        changes, statements = await store.backup.restore(backup, mode, settings["write"], list(POOL_SETTINGS))
    except DatabaseError as exc:
        log.error("restore failed: %s", exc)
        raise HTTPError(500, f"the restore could not be written and the pool is unchanged (it runs as one "
                             f"transaction): {exc}", code="restore_failed") from None
    counts = backup.counts
    result: dict[str, Any] = {
        "mode": mode,
        "keys": _tally(counts["keys"], changes, "keys"),
        "client_keys": _tally(counts["client_keys"], changes, "client_keys"),
        "settings": settings["counts"],
        "blocks": _tally(counts["blocks"], changes, "blocks"),
        "history": _tally(counts["history"], changes, "history"),
        "pool_history": _tally(counts["pool_history"], changes, "pool_history"),
        "rejected": settings["rejected"],
        "statements": statements,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }
    if mode == "merge":
        result["settings_kept"] = settings["kept"]
    else:
        result["deleted"] = {kind: changes.get(f"deleted.{kind}", 0)
                             for kind in ("keys", "blocks", "history", "client_keys", "settings")}
        result["settings_reset"] = settings["removed"]
    return result


def routes(services: Services, pool: KeyPool, gate: ClientGate) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    async def download(request: Request) -> Response:
        require_admin(request, settings)
        now = clock.now()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
        headers = [("content-type", "application/json; charset=utf-8"), ("cache-control", "no-store"),
                   ("content-disposition", f'attachment; filename="silicon-key-pool-backup-{stamp}.json"')]
        after = int_param(request.query.get("after"), "after", 0, 0, MAX_ID)
        limit = int_param(request.query.get("limit"), "limit", 0, 1, 10_000_000) or None
        if request.method == "HEAD":
            return Response(200, headers, b"")
        part, body = await backup_stream(store, now, after, limit)
        if limit and part["more"]:  # the next part starts after this one's last key
            headers.append(("x-backup-next-after", str(part["until"])))
        await services.audit.record(request, "backup.download", count=part["keys"],
                                    detail={"after": after, "limit": limit} if limit or after else None)
        return Response(200, headers, body)

    async def restore(request: Request) -> Response:
        require_admin(request, settings)
        result = await restore_document(store, request.body, request.query.get("mode") or "merge")
        pool.invalidate()   # the proxy's snapshot of usable keys, and
        gate.invalidate()   # the client keys it knows, come from the database again
        await services.audit.record(request, "backup.restore", count=result["keys"]["added"] + result["keys"]["updated"],
                                    detail={name: result[name] for name in ("mode", "keys", "client_keys", "settings")})
        return Response.json(result)

    return [
        Route("/api/backup", download, ("GET",)),
        Route("/api/restore", restore, ("POST",)),
    ]
