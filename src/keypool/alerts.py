"""Low-balance alerts: a JSON POST to the admin's webhook when the pool's
total balance or its number of valid keys falls below a threshold.

Once per crossing: the state of each threshold (low or not, sent or not) is
kept in the config table, so a tick that finds the pool still low sends
nothing, and one that finds it recovered re-arms the alert. A webhook that
fails is logged (by host only: webhook URLs often carry a token) and tried
again on the next tick, at most `MAX_TRIES` times per crossing. It never
breaks the tick.

The webhook is the one place an admin chooses where the server sends
requests. Unless ALLOW_PRIVATE_WEBHOOKS is set it must be a public address:
a URL naming a loopback, private or link-local address (or a local name) is
refused when saved, a host name is resolved before each call and refused if
any of its addresses is not public (locally; the Worker has no resolver, and
Cloudflare does not route its fetches into private networks), and redirects
are never followed (a 3xx counts as a failure).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from .core.addresses import is_public, private_host
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


def webhook_problem(url: str, allow_private: bool) -> str | None:
    """Why a webhook URL is refused when saved, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "alert_webhook_url is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "alert_webhook_url must be an http:// or https:// URL with a host"
    if not allow_private and private_host(parts.hostname):
        return ("alert_webhook_url points at a loopback, private or local address; set ALLOW_PRIVATE_WEBHOOKS=1 "
                "on the server to allow that")
    return None


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

    async def _refused(self, url: str) -> str | None:
        """Why this call must not go out now (checked again at each call: DNS can change)."""
        allow_private = self.services.settings.allow_private_webhooks
        if problem := webhook_problem(url, allow_private):
            return problem
        if not allow_private:
            addresses = await self.services.resolver.addresses(_host(url))
            if any(not is_public(address) for address in addresses):
                return "the webhook's host resolves to a loopback, private or local address"
        return None

    async def send_test(self, pool: dict[str, Any], now: float) -> dict[str, Any]:
        """POST /api/alerts/test: one test event to the configured webhook."""
        url = pool.get("alert_webhook_url") or ""
        if not url:
            return {"sent": False, "error": "no alert_webhook_url is set"}
        payload = {"event": "test", "reason": "test", "total_balance": None, "valid_keys": None,
                   "thresholds": {name: pool.get(s) or 0 for name, s in THRESHOLDS.items()}, "ts": int(now)}
        status, error = await self._deliver(url, payload)
        return {"sent": error is None, "status": status, "error": error}

    async def _post(self, url: str, payload: dict[str, Any]) -> bool:
        status, error = await self._deliver(url, payload)
        if status is not None and error is not None:
            log.warning("low-balance alert to %s answered %s", _host(url), status)
            return False
        if error is not None:
            log.warning("low-balance alert to %s failed: %s", _host(url), error)
            return False
        log.info("low-balance alert sent to %s (%s)", _host(url), payload["reason"])
        return True

    async def _deliver(self, url: str, payload: dict[str, Any]) -> tuple[int | None, str | None]:
        """(the webhook's status, why it failed or None)."""
        if problem := await self._refused(url):
            return None, f"refused: {problem}"
        body = json.dumps(payload).encode()
        try:
            response = await self.services.upstream.send(
                "POST", url, [("content-type", "application/json"), ("user-agent", "silicon-key-pool")],
                body, TIMEOUT_S)
            await response.read(4096)
        except UpstreamError as exc:
            return None, str(exc)
        except Exception as exc:  # never break the tick over an alert
            return None, type(exc).__name__
        if not 200 <= response.status < 300:  # a redirect too: never followed
            return response.status, f"answered {response.status}"
        return response.status, None
