"""What a balance check's answers mean, and how a key's row follows from them.

A check asks `GET /v1/user/info` with the key (balances as strings in
`data.totalBalance`, `data.balance`, `data.chargeBalance`). SiliconFlow has
been retiring that endpoint (404/410): then the balance is unknown and
`GET /v1/models` with the key decides validity. The rules:

| answer | verdict |
|---|---|
| user/info 200, totalBalance > 0 | valid, balances stored |
| user/info 200, totalBalance <= 0 (can be slightly negative) | exhausted, balances stored |
| 401 | invalid |
| 402, or 403 code 30001 | exhausted (balance as the answer gives it, else unknown) |
| user/info 404/410 | gone: ask /v1/models |
| models 200 | valid, balance unknown (an exhausted key stays exhausted: models cannot tell) |
| 429 | rate limited: slow down, retry the key later |
| 5xx, 408, timeout, unreadable 200 | retry with backoff; if it keeps failing, an error |
| anything else | an error: the key's status is left as it was |

Balances are parsed from the answer's own text, never taken as a bare number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

VALID = "valid"
EXHAUSTED = "exhausted"
INVALID = "invalid"
GONE = "gone"                  # user/info retired: ask /v1/models
RATE_LIMITED = "rate_limited"  # slow down and retry the key later
RETRY = "retry"                # upstream trouble: retry with backoff
ERROR = "error"                # decides nothing: leave the key as it is

FINAL = (VALID, EXHAUSTED, INVALID, ERROR)
MAX_AMOUNT = Decimal(10) ** 12
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Verdict:
    kind: str
    balance: float | None = None         # data.totalBalance
    gift_balance: float | None = None    # data.balance
    charge_balance: float | None = None  # data.chargeBalance
    message: str = ""
    retry_after: float | None = None

    @property
    def final(self) -> bool:
        return self.kind in FINAL


def parse_amount(value: Any) -> float | None:
    """A balance given as a string (or a plain number inside the JSON answer); None if absent or not sane."""
    if isinstance(value, bool) or value is None:
        return None
    if not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        return None
    return float(amount)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _code_and_message(data: Any, body: bytes) -> tuple[int | None, str]:
    if isinstance(data, str):
        return None, data[:MESSAGE_LIMIT]
    if isinstance(data, dict):
        error = data.get("error") if isinstance(data.get("error"), dict) else data
        code = error.get("code")
        try:
            code = int(code) if code is not None and not isinstance(code, bool) else None
        except (TypeError, ValueError):
            code = None
        return code, str(error.get("message") or error.get("msg") or "")[:MESSAGE_LIMIT]
    if data is None:  # not JSON: quote the start of the text
        return None, body[:MESSAGE_LIMIT].decode("utf-8", "replace").strip()
    return None, ""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: the caller's backoff decides
    return min(max(seconds, 0.0), 3600.0)


def _common(status: int, data: Any, body: bytes, retry_after: str | None, what: str) -> Verdict | None:
    """The answers both endpoints share; None for the endpoint's own cases."""
    code, message = _code_and_message(data, body)
    if status == 401:
        return Verdict(INVALID, message=message or "invalid key")
    if status == 402 or (status == 403 and code == 30001):
        return Verdict(EXHAUSTED, message=message or "insufficient balance")
    if status == 429:
        return Verdict(RATE_LIMITED, message=message or "rate limited", retry_after=parse_retry_after(retry_after))
    if status >= 500 or status == 408:
        return Verdict(RETRY, message=f"{what} answered {status}" + (f": {message}" if message else ""))
    if status >= 400:
        return Verdict(ERROR, message=f"{what} answered {status}" + (f": {message}" if message else ""))
    return None


def read_user_info(status: int, body: bytes, retry_after: str | None = None) -> Verdict:
    """The verdict of a `GET /v1/user/info` answer."""
    data = _json(body)
    if status in (404, 410):
        return Verdict(GONE, message=f"user/info answered {status}")
    if status != 200:
        return _common(status, data, body, retry_after, "user/info") or Verdict(
            ERROR, message=f"user/info answered {status}")
    info = data.get("data") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        if data is None:  # not JSON at all: a proxy page or a cut answer; worth another try
            return Verdict(RETRY, message="user/info answer is not JSON")
        _, message = _code_and_message(data, body)
        return Verdict(ERROR, message="user/info gave no account data" + (f": {message}" if message else ""))
    total = parse_amount(info.get("totalBalance"))
    gift = parse_amount(info.get("balance"))
    charge = parse_amount(info.get("chargeBalance"))
    if total is None and gift is not None and charge is not None:
        total = float(Decimal(str(gift)) + Decimal(str(charge)))
    if total is None:
        return Verdict(ERROR, message="user/info gave no readable totalBalance")
    return Verdict(VALID if total > 0 else EXHAUSTED, balance=total, gift_balance=gift, charge_balance=charge)


def read_models(status: int, body: bytes, retry_after: str | None = None) -> Verdict:
    """The verdict of a `GET /v1/models` answer: validity only, balance unknown."""
    if status == 200:
        return Verdict(VALID)
    data = _json(body)
    return _common(status, data, body, retry_after, "models") or Verdict(ERROR, message=f"models answered {status}")


# --- what a verdict does to a key's row ---------------------------------------

@dataclass(frozen=True)
class KeyUpdate:
    id: int
    status: str
    balance: float | None
    gift_balance: float | None
    charge_balance: float | None
    last_error: str | None
    changed: bool          # any stored field differs from the row as read
    balance_changed: bool  # a known balance that differs: worth a history row
    outcome: str           # valid, exhausted, invalid or error: what the job counts


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-9


def plan_update(row: Mapping[str, Any], verdict: Verdict) -> KeyUpdate:
    """The row after a final verdict. `row` has id, status, balance,
    gift_balance, charge_balance and last_error as stored."""
    old = (row["status"], row.get("balance"), row.get("gift_balance"), row.get("charge_balance"),
           row.get("last_error"))
    status, balance, gift, charge, error = old
    if verdict.kind in (VALID, EXHAUSTED):
        status = verdict.kind
        if verdict.kind == VALID and verdict.balance is None and row["status"] == EXHAUSTED:
            status = EXHAUSTED  # /v1/models answers exhausted keys too: only a balance proves credit is back
        balance, gift, charge, error = verdict.balance, verdict.gift_balance, verdict.charge_balance, None
        outcome = status
    elif verdict.kind == INVALID:
        status, error, outcome = INVALID, (verdict.message or "invalid key")[:MESSAGE_LIMIT], INVALID
    else:  # an error, or a retry / rate limit that ran out: the status stays what it was
        error, outcome = (verdict.message or "check failed")[:MESSAGE_LIMIT], ERROR
    new = (status, balance, gift, charge, error)
    changed = not (new[0] == old[0] and new[4] == old[4] and all(_same(a, b) for a, b in zip(new[1:4], old[1:4])))
    balance_changed = balance is not None and not _same(balance, old[1])
    return KeyUpdate(int(row["id"]), status, balance, gift, charge, error, changed, balance_changed, outcome)


def utc_day(now: float) -> str:
    """The day a pool total belongs to (UTC), as YYYY-MM-DD."""
    return datetime.fromtimestamp(now, timezone.utc).date().isoformat()
