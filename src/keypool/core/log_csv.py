"""The request log as CSV (the logs page's download): one row per request, newest first.

Rows come from the admin API's read of the log, the upstream key already
masked. Text a client chose (model names, endpoints, client key names) is
kept from being read as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any, Iterable

COLUMNS = ("id", "time", "client_key", "client_key_id", "upstream_key", "key_id", "method", "endpoint", "model",
           "stream", "status", "latency_ms", "ttfb_ms", "attempts", "error_class", "prompt_tokens",
           "completion_tokens")
# A UTF-8 byte order mark: spreadsheet programs read the file as UTF-8 (Chinese names) with it.
BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _time(ts: Any) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(float(ts), timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def csv_row(row: dict[str, Any]) -> list[str]:
    return [
        _number(row["id"]), _time(row["ts"]), _text(row.get("client_name")), _number(row.get("client_key_id")),
        _text(row.get("upstream_key")), _number(row.get("key_id")), _text(row.get("method")),
        _text(row.get("endpoint")), _text(row.get("model")), "1" if row.get("stream") else "0",
        _number(row.get("status")), _number(row.get("latency_ms")), _number(row.get("ttfb_ms")),
        _number(row.get("attempts")), _text(row.get("error_class")), _number(row.get("prompt_tokens")),
        _number(row.get("completion_tokens")),
    ]


def csv_part(rows: Iterable[dict[str, Any]], header: bool) -> str:
    """A part of the export; the first one (header=True) starts with the BOM and the column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        out.write(BOM)
        writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(csv_row(row))
    return out.getvalue()


def csv_filename(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("keypool-requests-%Y%m%d-%H%M.csv")
