"""core/stats.py: the dashboard's balance bins, quartiles, outlier fence and request buckets."""

from __future__ import annotations

import random
import statistics

import pytest

from keypool.core.stats import (BALANCE_EDGES, bins, bins_with_outliers, fence_of, median_of, quartile_offsets,
                                series_start, tz_offset_s, upper_fence)


def test_bins_suit_trial_credit_keys():
    assert [b["bucket"] for b in bins()] == ["0-1", "1-5", "5-10", "10-14", "14-50", "50-100", ">100"]
    assert bins()[0] == {"bucket": "0-1", "low": None, "high": 1} and bins()[-1]["high"] is None


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9, 10, 11, 101, 1000])
def test_quartile_offsets_find_the_order_statistics(n):
    values = sorted(random.Random(n).uniform(0, 50) for _ in range(n))
    offsets = quartile_offsets(n)
    q1 = values[offsets["q1"][0]]
    start, count = offsets["median"]
    q3 = sorted(values, reverse=True)[offsets["q3"][0]]
    assert q1 == values[(n - 1) // 4] and q3 == values[n - 1 - (n - 1) // 4]
    assert median_of(values[start:start + count]) == pytest.approx(statistics.median(values))
    # the three reads walk about half the values from each end, never the whole list twice
    assert offsets["q1"][0] + start + count + offsets["q3"][0] <= n + 2


def test_no_values_no_quartiles():
    assert quartile_offsets(0) == {} and upper_fence(None, 3) is None and fence_of([None, None]) is None


def test_fence_of_short_lists():
    assert fence_of([133, 134, 135, 136, 5000, 138, 139]) == 139 + 1.5 * (139 - 134)
    assert fence_of([7]) == 7


def test_outliers_go_to_the_bins_above_the_fence():
    counts = [1, 2, 1, 4, 1, 0, 1]  # 0.5 | 2 3 | 7 | 12 14 14 14 | 30 | - | 500
    assert [b["outliers"] for b in bins_with_outliers(counts, 30.5, 1)] == [0, 0, 0, 0, 0, 0, 1]
    # fence inside 14-50: two of its three are outliers, the 500 one too
    assert [b["outliers"] for b in bins_with_outliers([0, 0, 0, 0, 3, 0, 1], 20.0, 3)] == [0, 0, 0, 0, 2, 0, 1]
    # fence on an edge: (10, 14] keeps its keys, (14, 50] is all outliers
    assert [b["outliers"] for b in bins_with_outliers([0, 0, 0, 2, 2, 0, 0], 14.0, 2)] == [0, 0, 0, 0, 2, 0, 0]
    assert all(b["outliers"] == 0 for b in bins_with_outliers([1] * 7, None, 0))
    assert len(bins_with_outliers([0] * (len(BALANCE_EDGES) + 1), None, 0)) == 7


def test_series_start_at_the_browsers_midnight_and_whole_hours():
    now = 1_700_000_000.5  # 2023-11-14 22:13:20 UTC
    assert series_start(now, 3600, 24) == 1_700_000_000 // 3600 * 3600 - 23 * 3600
    start = series_start(now, 86400, 7, tz_offset_s(480))  # UTC+8: already the 15th there
    assert (start + 8 * 3600) % 86400 == 0 and start + 7 * 86400 > now >= start + 6 * 86400
    assert tz_offset_s(10_000) == 14 * 3600 and tz_offset_s(-10_000) == -14 * 3600
