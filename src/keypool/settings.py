"""Settings: deployment settings from the environment (Worker vars/secrets or
process env), and pool settings the admin edits at run time (config table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

DEFAULT_UPSTREAM = "https://api.siliconflow.cn"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    admin_username: str = "admin"
    admin_password: str | None = None
    admin_token: str | None = None
    session_secret: str | None = None
    upstream_base_url: str = DEFAULT_UPSTREAM
    max_body_bytes: int = 32 * 1024 * 1024
    # Seconds the request recorder groups writes for (0: the pool setting log_flush_s decides).
    log_flush_delay_s: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        base = env.get("UPSTREAM_BASE_URL") or env.get("BASE_URL") or DEFAULT_UPSTREAM
        return cls(
            admin_username=env.get("ADMIN_USERNAME") or "admin",
            admin_password=env.get("ADMIN_PASSWORD") or None,
            admin_token=env.get("ADMIN_TOKEN") or None,
            session_secret=env.get("SESSION_SECRET") or None,
            upstream_base_url=base.rstrip("/"),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes),
        )


# Pool settings: name -> (default, type, minimum, maximum or allowed values).
POOL_SETTINGS: dict[str, tuple[Any, type, Any, Any]] = {
    "strategy": ("round_robin", str, None, ("round_robin", "random", "weighted", "drain")),
    # Keys tried after transient failures (429, 5xx, timeouts, connection errors) ...
    "max_attempts": (3, int, 1, 10),
    # ... and after answers that prove a key unusable (401, 402/30001, other 403), per request.
    # Both together stay under the free plan's 50 subrequests per Worker invocation.
    "max_key_failovers": (10, int, 0, 30),
    # No further key is tried once a request has been this long in the pool.
    "request_deadline_s": (30, int, 1, 900),
    "upstream_timeout_s": (120, int, 1, 900),
    "candidate_ttl_s": (60, int, 1, 3600),
    # Keys held in memory for picking; a Worker isolate re-reads this many rows per TTL.
    "candidate_window": (1000, int, 10, 1_000_000),
    "log_retention_days": (30, int, 1, 3650),
    "log_max_rows": (100_000, int, 1000, 10_000_000),
    # Which requests get a request-log row (usage totals count every request either way).
    "request_log": ("all", str, None, ("all", "errors", "sampled", "off")),
    "request_log_sample_rate": (0.1, float, 0.0, 1.0),  # successes logged with `sampled`; errors always
    # Worker: seconds an isolate collects finished requests before writing them in one batch
    # (waitUntil lasts 30 s). The local server writes every quarter second.
    "log_flush_s": (20, int, 0, 25),
    "free_models": ([], list, None, None),
    # Balance checks: defaults for a job (its request may override them) and the refresh.
    "check_concurrency": (10, int, 1, 200),
    "check_interval_ms": (0, int, 0, 60_000),       # fixed pause between call starts
    "check_interval_min_ms": (0, int, 0, 60_000),   # random pause in [min, max] when max > 0
    "check_interval_max_ms": (0, int, 0, 60_000),
    "check_retries": (2, int, 0, 10),               # extra tries after a 5xx or timeout
    # Upstream calls per Worker invocation (free plan: 50 subrequests, some left for the rest).
    "check_budget": (40, int, 2, 100_000),
    "check_timeout_s": (15, int, 1, 300),
    "check_on_import": (True, bool, None, None),    # imported keys are checked in the background
    "refresh_interval_s": (600, int, 10, 86_400),   # the local server's periodic tick
    "refresh_batch": (100, int, 0, 100_000),        # keys re-checked per tick (0: no refresh)
    "client_side_checking": (False, bool, None, None),
    "alert_webhook_url": ("", str, None, None),
    "alert_min_total_balance": (0.0, float, 0.0, 1e12),  # 0: no alert
    "alert_min_valid_keys": (0, int, 0, 10_000_000),     # 0: no alert
}


def pool_defaults() -> dict[str, Any]:
    return {name: spec[0] for name, spec in POOL_SETTINGS.items()}


def validate_pool_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Checked copy of a settings update; raises ValueError with a message."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in POOL_SETTINGS:
            raise ValueError(f"unknown setting {name!r}")
        default, kind, low, high = POOL_SETTINGS[name]
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer")
            if value < low or value > high:
                raise ValueError(f"{name} must be between {low} and {high}")
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number")
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low:g} and {high:g}")
            value = float(value)
        elif kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
        elif kind is str and high is None:
            if not isinstance(value, str) or len(value) > 2000:
                raise ValueError(f"{name} must be text of at most 2000 characters")
            if name.endswith("_url") and value and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http:// or https:// URL, or empty")
        elif kind is str:
            if value not in high:
                raise ValueError(f"{name} must be one of {', '.join(high)}")
        elif kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"{name} must be a list of non-empty strings")
        clean[name] = value
    return clean
