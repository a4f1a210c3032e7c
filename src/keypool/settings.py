"""Settings: deployment settings from the environment (Worker vars/secrets or
process env), and pool settings the admin edits at run time (config table)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .core.addresses import parse_networks

DEFAULT_UPSTREAM = "https://api.siliconflow.cn"
MIN_TOKEN_LENGTH = 16


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in (env.get(name) or "").split(",") if v.strip())
    try:
        parse_networks(values)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return values


@dataclass(frozen=True)
class Settings:
    admin_username: str = "admin"
    admin_password: str | None = None
    admin_token: str | None = None
    session_secret: str | None = None
    upstream_base_url: str = DEFAULT_UPSTREAM
    max_body_bytes: int = 32 * 1024 * 1024
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto the local server believes (CIDRs; none by default).
    trusted_proxies: tuple[str, ...] = ()
    # Alert webhooks may target loopback, private and link-local addresses (off: no SSRF into the LAN).
    allow_private_webhooks: bool = False
    # Why a set ADMIN_TOKEN was refused (the Worker runs on without it), for the 401 message.
    admin_token_refused: str | None = None
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
            trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
            allow_private_webhooks=(env.get("ALLOW_PRIVATE_WEBHOOKS") or "").lower() in ("1", "true", "yes"),
        )

    def token_problem(self) -> str | None:
        """Why ADMIN_TOKEN is refused, or None."""
        if self.admin_token and len(self.admin_token) < MIN_TOKEN_LENGTH:
            return (f"ADMIN_TOKEN must have at least {MIN_TOKEN_LENGTH} characters; generate one with "
                    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`")
        return None


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
    # Rows per page on the admin UI's keys page (the API's own default stays 50).
    "page_size": (12, int, None, (12, 24, 50, 100)),
    # Admin sign-in and the admin API only from these addresses (CIDRs; empty: any address).
    "admin_ip_allowlist": ([], list, None, None),
    # Sharing the pool: "private" (admin only), "guest" (visitors with the guest password), "open" (anyone).
    "access_mode": ("private", str, None, ("private", "guest", "open")),
    # Visitors may copy full keys (each copy through the API, rate-limited, audited).
    "visitor_copy": (False, bool, None, None),
}
NETWORK_LISTS = ("admin_ip_allowlist",)


def pool_defaults() -> dict[str, Any]:
    return {name: spec[0] for name, spec in POOL_SETTINGS.items()}


_TYPE_NAMES = {int: "int", float: "float", bool: "bool", str: "text", list: "list"}


def pool_settings_schema() -> dict[str, dict[str, Any]]:
    """What each pool setting takes (for the settings page's forms): its type, default,
    and its bounds or allowed values. The checks stay in validate_pool_settings."""
    schema: dict[str, dict[str, Any]] = {}
    for name, (default, kind, low, high) in POOL_SETTINGS.items():
        entry: dict[str, Any] = {"type": _TYPE_NAMES[kind], "default": default}
        if isinstance(high, tuple):
            entry["choices"] = list(high)
        elif high is not None:
            entry["min"], entry["max"] = low, high
        schema[name] = entry
    return schema


def validate_pool_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Checked copy of a settings update; raises SettingError naming the setting."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in POOL_SETTINGS:
            raise SettingError(name, f"unknown setting {name!r}")
        clean[name] = _checked(name, value)
    return clean


class SettingError(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def _checked(name: str, value: Any) -> Any:
    default, kind, low, high = POOL_SETTINGS[name]
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError(name, f"{name} must be an integer")
        if isinstance(high, tuple):
            if value not in high:
                raise SettingError(name, f"{name} must be one of {', '.join(map(str, high))}")
        elif value < low or value > high:
            raise SettingError(name, f"{name} must be between {low} and {high}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SettingError(name, f"{name} must be a number")
        if not low <= value <= high:
            raise SettingError(name, f"{name} must be between {low:g} and {high:g}")
        value = float(value)
    elif kind is bool:
        if not isinstance(value, bool):
            raise SettingError(name, f"{name} must be true or false")
    elif kind is str and high is None:
        if not isinstance(value, str) or len(value) > 2000:
            raise SettingError(name, f"{name} must be text of at most 2000 characters")
        if name.endswith("_url") and value and not value.startswith(("http://", "https://")):
            raise SettingError(name, f"{name} must be an http:// or https:// URL, or empty")
    elif kind is str:
        if value not in high:
            raise SettingError(name, f"{name} must be one of {', '.join(high)}")
    elif kind is list:
        if (not isinstance(value, list) or len(value) > 1000
                or not all(isinstance(v, str) and v and len(v) <= 200 for v in value)):
            raise SettingError(name, f"{name} must be a list of non-empty strings")
        if name in NETWORK_LISTS:
            try:
                parse_networks(value)
            except ValueError as exc:
                raise SettingError(name, f"{name}: {exc}") from None
    return value
