"""core/pacing.py: job settings, spacing, AIMD slow-down, backoff, speed and ETA."""

import random

import pytest

from keypool.core.pacing import (CUT_WINDOW_S, MAX_PENALTY_S, MIN_PENALTY_S, CheckSettings, Pacer, backoff_s,
                                 chunk_keys, eta_s, speed)
from keypool.settings import pool_defaults


def settings(**values) -> CheckSettings:
    return CheckSettings.resolve({}, values)


def test_job_values_override_pool_defaults():
    pool = {**pool_defaults(), "check_concurrency": 7, "check_retries": 4}
    resolved = CheckSettings.resolve(pool, {"concurrency": 30, "interval_ms": 250})
    assert resolved == CheckSettings(concurrency=30, interval_ms=250, retries=4, budget=40, timeout_s=15)
    assert CheckSettings.resolve(pool).concurrency == 7


@pytest.mark.parametrize("values, message", [
    ({"concurrency": 0}, "concurrency must be between"),
    ({"concurrency": "5"}, "concurrency must be an integer"),
    ({"retries": True}, "retries must be an integer"),
    ({"budget": 1}, "budget must be between"),
    ({"interval_min_ms": 500, "interval_max_ms": 100}, "interval_min_ms must not exceed"),
])
def test_bad_job_settings_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        settings(**values)


def test_fixed_and_random_intervals():
    rng = random.Random(1)
    assert settings(interval_ms=300).interval_s(rng) == 0.3
    drawn = [settings(interval_min_ms=100, interval_max_ms=200).interval_s(rng) for _ in range(200)]
    assert all(0.1 <= d <= 0.2 for d in drawn) and max(drawn) - min(drawn) > 0.05


def test_reserve_spaces_call_starts_by_the_interval():
    pacer = Pacer(settings(interval_ms=500), random.Random(0))
    assert [pacer.reserve(10.0) for _ in range(3)] == [10.0, 10.5, 11.0]
    assert pacer.reserve(20.0) == 20.0  # an idle gap is not owed
    unpaced = Pacer(settings(), random.Random(0))
    assert [unpaced.reserve(5.0) for _ in range(3)] == [5.0, 5.0, 5.0]


def test_a_429_halves_concurrency_once_per_window():
    pacer = Pacer(settings(concurrency=20), random.Random(0))
    assert pacer.on_rate_limited(100.0)
    assert (pacer.concurrency(), pacer.slowdowns, pacer.penalty_s) == (10, 1, 0.0)
    assert not pacer.on_rate_limited(100.0 + CUT_WINDOW_S / 2)  # same burst
    assert (pacer.concurrency(), pacer.rate_limited) == (10, 2)
    for n in range(1, 4):
        pacer.on_rate_limited(100.0 + n * CUT_WINDOW_S)
    assert (pacer.concurrency(), pacer.penalty_s) == (1, 0.0)


def test_at_one_call_at_a_time_a_429_spaces_calls_out():
    pacer = Pacer(settings(concurrency=1), random.Random(0))
    pacer.on_rate_limited(10.0)
    assert pacer.penalty_s == MIN_PENALTY_S
    assert pacer.reserve(10.0) == 10.0 + MIN_PENALTY_S  # the next call waits
    for n in range(1, 20):
        pacer.on_rate_limited(10.0 + n * CUT_WINDOW_S)
    assert pacer.penalty_s == MAX_PENALTY_S
    start = pacer.reserve(100.0)
    assert pacer.reserve(100.0) == start + MAX_PENALTY_S


def test_successes_recover_speed_gradually():
    pacer = Pacer(settings(concurrency=8), random.Random(0))
    for n in range(4):
        pacer.on_rate_limited(n * CUT_WINDOW_S)
    assert (pacer.concurrency(), pacer.penalty_s) == (1, MIN_PENALTY_S)
    pacer.on_success(6.0)
    assert (pacer.concurrency(), pacer.penalty_s) == (1, 0.0)  # first the pause goes
    pacer.on_success(6.0)
    assert pacer.concurrency() == 2  # then a slot per round of successes
    pacer.on_success(6.0)
    assert pacer.concurrency() == 2  # one success is not a round of two
    pacer.on_success(6.0)
    assert pacer.concurrency() == 3
    for _ in range(100):
        pacer.on_success(7.0)
    assert pacer.concurrency() == 8 and pacer.penalty_s == 0.0


def test_a_slow_down_carries_over_to_the_next_chunk():
    pacer = Pacer(settings(concurrency=16), random.Random(0))
    pacer.on_rate_limited(0.0)
    again = Pacer(settings(concurrency=16), random.Random(0), pacer.snapshot())
    assert (again.concurrency(), again.slowdowns, again.rate_limited) == (8, 1, 1)
    assert again.penalty_s == pacer.penalty_s
    lowered = Pacer(settings(concurrency=4), random.Random(0), pacer.snapshot())
    assert lowered.concurrency() == 4  # never above the job's own setting


def test_backoff_grows_with_jitter_and_honours_retry_after():
    rng = random.Random(3)
    for attempt, (low, high) in enumerate([(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)], start=1):
        assert low <= backoff_s(attempt, rng, cap_s=8) <= high
    assert backoff_s(10, rng, cap_s=4) <= 4
    assert backoff_s(1, rng, cap_s=4, retry_after=2.5) == 2.5
    assert backoff_s(1, rng, cap_s=4, retry_after=60) == 4


def test_chunk_sizes():
    assert chunk_keys(settings(budget=40), limited=True) == 40
    assert chunk_keys(settings(concurrency=20), limited=False) == 500
    assert chunk_keys(settings(concurrency=1), limited=False) == 50
    assert chunk_keys(settings(concurrency=200), limited=False) == 1000


def test_speed_and_eta():
    assert speed(100, 0, 10.0, 20.0) == 10.0
    assert speed(150, 100, 10.0, 20.0) == 5.0  # since the resume mark
    assert speed(0, 0, 10.0, 20.0) is None and speed(5, 0, 10.0, 10.0) is None
    assert eta_s(1000, 100, 10.0) == 90.0
    assert eta_s(100, 100, None) == 0.0 and eta_s(100, 10, None) is None
