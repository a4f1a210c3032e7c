"""The dashboard's rules: balance bins, quartiles and the outlier fence, request series.

Balance figures are over valid keys whose balance is known (unknown is not 0).
Bins suit trial-credit keys (a new SiliconFlow account has 14 of credit).
Quartiles are order statistics of the sorted balances (Q1 the value a
quarter of the way up, Q3 three quarters); the median is the middle value,
or the mean of the two middle ones. A balance above Q3 + 1.5 * (Q3 - Q1)
is an outlier, which the outlier filter leaves out of the charts' scale.
"""

from __future__ import annotations

from typing import Any, Sequence

# Upper edges of the balance bins: (-inf, 1], (1, 5], (5, 10], (10, 14], (14, 50], (50, 100], (100, inf).
BALANCE_EDGES = (1, 5, 10, 14, 50, 100)
FENCE_IQR = 1.5
HOUR_S = 3600
DAY_S = 86400
# The request charts' periods: name -> (bucket seconds, buckets).
REQUEST_RANGES = {"24h": (HOUR_S, 24), "7d": (DAY_S, 7), "30d": (DAY_S, 30)}
MAX_TZ_OFFSET_MIN = 14 * 60


def bins(edges: Sequence[float] = BALANCE_EDGES) -> list[dict[str, Any]]:
    """The bins as the API names them: label, lower bound (exclusive; None: open), upper bound (None: open)."""
    lows = [None, *edges]
    highs = [*edges, None]
    labels = [f"0-{edges[0]:g}", *(f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:])), f">{edges[-1]:g}"]
    return [{"bucket": label, "low": low, "high": high} for label, low, high in zip(labels, lows, highs)]


def quartile_offsets(n: int) -> dict[str, tuple[int, int]]:
    """Where each figure sits in n sorted values: name -> (offset from the low end, how many values).
    Q3 is counted from the high end (offset into the values sorted high to low), so no figure walks
    past the middle: the three reads together touch about n values."""
    if n <= 0:
        return {}
    middle = (n - 1) // 2
    return {"q1": ((n - 1) // 4, 1), "median": (middle, 1 if n % 2 else 2), "q3": ((n - 1) // 4, 1)}


def median_of(values: Sequence[float]) -> float:
    return values[0] if len(values) == 1 else (values[0] + values[1]) / 2


def upper_fence(q1: float | None, q3: float | None) -> float | None:
    if q1 is None or q3 is None:
        return None
    return q3 + FENCE_IQR * (q3 - q1)


def fence_of(values: Sequence[float | None]) -> float | None:
    """The same rule over a short list of values (the trend's daily totals)."""
    known = sorted(v for v in values if v is not None)
    offsets = quartile_offsets(len(known))
    if not offsets:
        return None
    return upper_fence(known[offsets["q1"][0]], known[len(known) - 1 - offsets["q3"][0]])


def bins_with_outliers(counts: Sequence[int], fence: float | None, outliers: int,
                       edges: Sequence[float] = BALANCE_EDGES) -> list[dict[str, Any]]:
    """Each bin with its count and how many of them are outliers. Bins wholly above the fence
    are all outliers; the one the fence falls in holds the rest of `outliers`."""
    result = []
    above = 0
    for item, count in reversed(list(zip(bins(edges), counts))):
        whole = fence is not None and item["low"] is not None and item["low"] >= fence
        part = count if whole else (max(0, outliers - above) if fence is not None and
                                    (item["high"] is None or item["high"] > fence) else 0)
        part = min(part, count)
        above += part
        result.append({**item, "count": count, "outliers": part})
    return result[::-1]


def tz_offset_s(minutes: int) -> int:
    """A browser's offset east of UTC (minutes) as seconds, bounded to real time zones."""
    return max(-MAX_TZ_OFFSET_MIN, min(MAX_TZ_OFFSET_MIN, minutes)) * 60


def series_start(now: float, step: int, count: int, offset_s: int = 0) -> int:
    """The first bucket of `count` buckets of `step` seconds ending with the one `now` is in;
    days start at midnight in the caller's time zone (`offset_s` east of UTC)."""
    current = int((now + offset_s) // step) * step - offset_s
    return current - (count - 1) * step
