"""Low-balance alerts: a JSON POST to the admin's webhook when the pool's
total balance or its number of valid keys falls below a threshold.

Once per crossing: the state of each threshold (low or not, sent or not) is
kept in the config table, so a tick that finds the pool still low sends
nothing, and one that finds it recovered re-arms the alert. A webhook that
fails is logged (by host only: webhook URLs often carry a token) and tried
again on the next tick, at most `MAX_TRIES` times per crossing. It never
breaks the tick.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from .ports import UpstreamError
from .services import Services

log = logging.getLogger("keypool.alerts")

STATE = "state.alerts"
MAX_TRIES = 3
TIMEOUT_S = 10
# reason -> the pool setting holding its threshold (0 = no alert)
THRESHOLDS = {"total_balance": "alert_min_total_balance", "valid_keys": "alert_min_valid_keys"}


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


class Alerts:
    def __init__(self, services: Services):
        self.services = services

    def calls_needed(self, pool: dict[str, Any]) -> int:
        """Upstream calls an evaluation may make (kept out of a Worker's check budget)."""
        return len(THRESHOLDS) if pool.get("alert_webhook_url") else 0

    async def evaluate(self, totals: dict[str, Any], pool: dict[str, Any], now: float) -> list[str]:
        """Compare the pool with the thresholds; POST what newly crossed. Returns the reasons sent."""
        state = dict(pool.get(STATE) or {})
        before = json.dumps(state, sort_keys=True)
        url = pool.get("alert_webhook_url") or ""
        sent = []
        for reason, setting in THRESHOLDS.items():
            threshold = pool.get(setting) or 0
            value = totals[reason]  # the total balance is None while no balance is known: no alert on it
            low = bool(threshold) and value is not None and value < threshold
            entry = dict(state.get(reason) or {"low": False, "sent": False, "tries": 0})
            if not low:
                entry = {"low": False, "sent": False, "tries": 0}
            elif not entry["low"]:
                entry = {"low": True, "sent": False, "tries": 0}
            if low and url and not entry["sent"] and entry["tries"] < MAX_TRIES:
                entry["tries"] += 1
                entry["sent"] = await self._post(url, {
                    "event": "pool_low", "reason": reason, "threshold": threshold,
                    "total_balance": totals["total_balance"], "valid_keys": totals["valid_keys"],
                    "thresholds": {name: pool.get(s) or 0 for name, s in THRESHOLDS.items()},
                    "ts": int(now),
                })
                if entry["sent"]:
                    sent.append(reason)
            state[reason] = entry
        if json.dumps(state, sort_keys=True) != before:
            await self.services.store.config.put_many({STATE: state})
        return sent

    async def _post(self, url: str, payload: dict[str, Any]) -> bool:
        body = json.dumps(payload).encode()
        try:
            response = await self.services.upstream.send(
                "POST", url, [("content-type", "application/json"), ("user-agent", "silicon-key-pool")],
                body, TIMEOUT_S)
            await response.read(4096)
        except UpstreamError as exc:
            log.warning("low-balance alert to %s failed: %s", _host(url), exc)
            return False
        except Exception as exc:  # never break the tick over an alert
            log.warning("low-balance alert to %s failed: %s", _host(url), type(exc).__name__)
            return False
        if not 200 <= response.status < 300:
            log.warning("low-balance alert to %s answered %s", _host(url), response.status)
            return False
        log.info("low-balance alert sent to %s (%s)", _host(url), payload["reason"])
        return True
