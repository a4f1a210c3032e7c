"""What an upstream answer means for the key that got it, and whether to try another.

The table lives in DESIGN.md ("SiliconFlow upstream facts"); this is it as code.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# How long a key stays out of rotation for a model after each kind of answer.
EXHAUSTED_BLOCK_S = 6 * 3600       # re-checked by the balance job sooner if credit returns
FORBIDDEN_BLOCK_S = 24 * 3600      # permissions (real-name verification) change rarely
RATE_LIMIT_MINUTE_S = 60           # TPM / RPM
RATE_LIMIT_HOUR_S = 3600           # RPH
UPSTREAM_TROUBLE_S = 5             # 5xx: a short pause, no penalty
UNREACHABLE_S = 10                 # timeout / connection error
MAX_RETRY_AFTER_S = 24 * 3600
BEIJING = timezone(timedelta(hours=8))


# Answers that are definite about the key (not about the moment): trying another key is a
# failover, bounded by `max_key_failovers`, not a retry bounded by `max_attempts`.
ABOUT_THE_KEY = frozenset({"invalid", "exhausted", "forbidden"})
# Answers that show the key exists and authenticates (it is no dead key).
KEY_ANSWERED = frozenset({"ok", "client_error", "rate_limited", "exhausted", "forbidden"})


@dataclass(frozen=True)
class Outcome:
    error_class: str              # ok, invalid, exhausted, forbidden, rate_limited, upstream_error, client_error
    retry: bool                   # try the request again with another key
    key_status: str | None = None  # new status for the key, if the answer proves one
    block_s: float | None = None  # exclude this key for this model for that long
    message: str = ""

    @property
    def about_the_key(self) -> bool:
        return self.error_class in ABOUT_THE_KEY

    @property
    def key_answered(self) -> bool:
        return self.error_class in KEY_ANSWERED


OK = Outcome("ok", retry=False)


def error_code_and_message(body: bytes) -> tuple[int | None, str]:
    """SiliconFlow answers {"code", "message"}, OpenAI-style {"error": {...}}, or a bare string."""
    try:
        data = json.loads(body.decode("utf-8", "replace")) if body else None
    except ValueError:
        return None, body[:200].decode("utf-8", "replace").strip()
    if isinstance(data, str):
        return None, data[:200]
    if not isinstance(data, dict):
        return None, ""
    error = data.get("error") if isinstance(data.get("error"), dict) else data
    code = error.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    message = error.get("message") or error.get("msg") or ""
    return code, str(message)[:200]


def seconds_until_beijing_midnight(now: float) -> float:
    local = datetime.fromtimestamp(now, BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - local).total_seconds(), 60.0)


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date), within
    [1 s, 24 h]; None when it says nothing usable ("nan", "inf", garbage)."""
    if not value:
        return None
    value = value.strip()[:100]
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 1.0), MAX_RETRY_AFTER_S)


def rate_limit_cooldown(message: str, retry_after: str | None, now: float) -> float:
    told = retry_after_s(retry_after, now)
    if told is not None:
        return told
    text = message.upper()
    if re.search(r"\bRPD\b|\bTPD\b|PER DAY|DAILY", text):
        return seconds_until_beijing_midnight(now)
    if re.search(r"\bRPH\b|\bTPH\b|PER HOUR", text):
        return RATE_LIMIT_HOUR_S
    return RATE_LIMIT_MINUTE_S


def classify(status: int, body: bytes, retry_after: str | None, now: float) -> Outcome:
    """The pool's reading of an upstream answer with status >= 400."""
    if status < 400:
        return OK
    code, message = error_code_and_message(body)
    if status == 401:
        return Outcome("invalid", True, key_status="invalid", message=message or "invalid key")
    if status == 402 or (status == 403 and code == 30001):
        return Outcome("exhausted", True, key_status="exhausted", block_s=EXHAUSTED_BLOCK_S,
                       message=message or "insufficient balance")
    if status == 403:
        return Outcome("forbidden", True, block_s=FORBIDDEN_BLOCK_S, message=message or "forbidden")
    if status == 429:
        return Outcome("rate_limited", True, block_s=rate_limit_cooldown(message, retry_after, now),
                       message=message or "rate limited")
    if status >= 500:
        return Outcome("upstream_error", True, block_s=UPSTREAM_TROUBLE_S,
                       message=message or f"upstream answered {status}")
    # 400 (e.g. 20012 model does not exist), 404, 413, 422: the request's fault.
    return Outcome("client_error", False, message=message)


def unreachable(message: str) -> Outcome:
    return Outcome("upstream_error", True, block_s=UNREACHABLE_S, message=message)
