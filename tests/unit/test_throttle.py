from keypool.core.throttle import RateWindow, Throttle


def test_a_rate_window_allows_limit_events_per_window():
    window = RateWindow(limit=3, window_s=60.0, max_keys=10)
    assert [window.take("a", t) for t in (0.0, 1.0, 2.0)] == [0.0, 0.0, 0.0]
    assert window.take("a", 3.0) == 57.0          # until the first ages out
    assert window.take("b", 3.0) == 0.0           # per key
    assert window.take("a", 60.5) == 0.0          # the first has aged out
    for i in range(100):
        window.take(f"k{i}", 100.0)
    assert len(window._events) == 10


def test_free_tries_then_growing_delays_counted_from_the_last_failure():
    throttle = Throttle(free=3, base_s=1.0, cap_s=8.0)
    for i in range(3):
        assert throttle.wait_s("a", 100.0 + i) == 0
        throttle.fail("a", 100.0 + i)
    waits = []
    now = 103.0
    for _ in range(6):
        waits.append(throttle.wait_s("a", now))
        now += waits[-1]
        throttle.fail("a", now)
    assert waits == [0.0, 2.0, 4.0, 8.0, 8.0, 8.0]  # the first delay (1 s) has passed; then doubling, capped
    assert throttle.wait_s("b", now) == 0          # another key is not affected


def test_success_clears_and_silence_forgets():
    throttle = Throttle(free=1, base_s=10.0, forget_s=60.0)
    throttle.fail("a", 0.0)
    throttle.fail("a", 1.0)
    assert throttle.wait_s("a", 2.0) > 0
    throttle.succeed("a")
    assert throttle.wait_s("a", 2.0) == 0
    throttle.fail("b", 0.0)
    throttle.fail("b", 0.0)
    assert throttle.wait_s("b", 61.0) == 0 and len(throttle) == 0


def test_the_table_is_bounded():
    throttle = Throttle(free=0, max_keys=100)
    for i in range(10_000):
        throttle.fail(f"addr{i}", float(i))
    assert len(throttle) == 100
    assert throttle.wait_s("addr9999", 9999.0) > 0   # the newest are kept
