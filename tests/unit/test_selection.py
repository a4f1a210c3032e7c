import random
from collections import Counter

import pytest

from keypool.core.selection import Candidate, NoKey, Selector

NOW = 1_800_000_000.0


def pool(n, status="valid", balance=1.0):
    return [Candidate(i, f"sk-{i}", status, balance) for i in range(1, n + 1)]


def test_round_robin_visits_every_key_in_turn():
    selector = Selector(pool(4))
    assert [selector.pick("m", NOW).id for _ in range(8)] == [1, 2, 3, 4, 1, 2, 3, 4]


def test_skips_keys_cooling_for_that_model_only():
    selector = Selector(pool(3))
    selector.block(2, "m", NOW + 60)
    assert [selector.pick("m", NOW).id for _ in range(4)] == [1, 3, 1, 3]
    assert 2 in {selector.pick("other", NOW).id for _ in range(3)}
    # the cooldown expires on its own
    assert 2 in {selector.pick("m", NOW + 61).id for _ in range(3)}


def test_all_cooling_reports_the_shortest_wait():
    selector = Selector(pool(2))
    selector.block(1, "m", NOW + 30)
    selector.block(2, "m", NOW + 90)
    found = selector.pick("m", NOW)
    assert isinstance(found, NoKey)
    assert found.retry_after == pytest.approx(30)


def test_retired_and_excluded_keys_are_not_picked():
    selector = Selector(pool(3))
    selector.health.retire(1, NOW)
    assert selector.pick("m", NOW, exclude={2}).id == 3
    found = selector.pick("m", NOW, exclude={2, 3})
    assert isinstance(found, NoKey) and found.retry_after is None


def test_exhausted_keys_serve_only_free_models():
    keys = pool(1) + [Candidate(9, "sk-9", "exhausted", 0.0)]
    selector = Selector(keys, free_models=["free/model"])
    assert {selector.pick("paid/model", NOW).id for _ in range(4)} == {1}
    assert {selector.pick("free/model", NOW).id for _ in range(4)} == {1, 9}


def test_empty_pool_says_so():
    found = Selector([]).pick("m", NOW)
    assert isinstance(found, NoKey) and "import keys" in found.reason


def test_drain_uses_smallest_balance_first_and_unknown_last():
    keys = [Candidate(1, "a", "valid", 5.0), Candidate(2, "b", "unchecked", None), Candidate(3, "c", "valid", 0.5)]
    selector = Selector(keys, "drain")
    assert selector.pick("m", NOW).id == 3
    selector.block(3, "m", NOW + 10)
    assert selector.pick("m", NOW).id == 1
    selector.block(1, "m", NOW + 10)
    assert selector.pick("m", NOW).id == 2


def test_weighted_prefers_larger_balances():
    keys = [Candidate(1, "a", "valid", 1.0), Candidate(2, "b", "valid", 9.0)]
    selector = Selector(keys, "weighted", rng=random.Random(7))
    counts = Counter(selector.pick("m", NOW).id for _ in range(2000))
    assert 0.85 < counts[2] / 2000 < 0.95


def test_random_spreads_over_all_keys():
    selector = Selector(pool(5), "random", rng=random.Random(3))
    assert {selector.pick("m", NOW).id for _ in range(200)} == {1, 2, 3, 4, 5}


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError):
        Selector(pool(1), "fastest")


def test_a_key_found_out_of_balance_keeps_serving_free_models():
    selector = Selector(pool(2), free_models=["free/model"])
    selector.health.exhaust(1, NOW)
    assert {selector.pick("paid/model", NOW).id for _ in range(4)} == {2}
    assert {selector.pick("free/model", NOW).id for _ in range(4)} == {1, 2}


def test_an_unproven_key_serves_one_request_at_a_time_until_it_answers():
    from keypool.core.selection import KeyHealth
    health = KeyHealth()
    selector = Selector(pool(2, status="unchecked"), health=health)
    first = selector.pick("m", NOW)
    health.claim(first)
    second = selector.pick("m", NOW)
    health.claim(second)
    assert first.id != second.id
    busy = selector.pick("m", NOW)
    assert isinstance(busy, NoKey) and busy.busy  # both are being tried: wait for an answer
    health.settle(first.id, answered=True)
    assert {selector.pick("m", NOW).id for _ in range(3)} == {first.id}  # proven: no longer exclusive
    health.claim(first)
    assert first.id not in health.probing


def test_what_answers_taught_outlives_the_snapshot_until_the_database_knows():
    from keypool.core.selection import KeyHealth
    health = KeyHealth()
    health.retire(1, NOW)
    fresh = Selector(pool(2), health=health)  # the next snapshot still lists key 1
    assert {fresh.pick("m", NOW).id for _ in range(4)} == {2}
    health.reconcile([(1, None), (2, None)], NOW + 1)
    assert 1 in health.dead  # the status write has not landed yet
    health.reconcile([(1, int(NOW) + 5)], NOW + 6)  # checked since: the database knows better
    assert 1 not in health.dead
