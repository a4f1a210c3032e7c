from keypool.core.tally import Tally


def entry(**fields):
    return {"ts": 1_800_000_000.5, "status": 200, "model": "m", "client_key_id": 1, "key_id": 7,
            "prompt_tokens": 2, "completion_tokens": 5, "latency_ms": 10.0, "charged": True, **fields}


def test_a_tally_adds_requests_per_model_client_and_key():
    tally = Tally()
    tally.add(entry())
    tally.add(entry(status=503, key_id=None, charged=False, prompt_tokens=None, completion_tokens=None))
    tally.add(entry(ts=1_800_000_100.0, key_id=8, model="n"))
    assert (tally.requests, tally.errors, tally.prompt_tokens, tally.completion_tokens) == (3, 1, 4, 10)
    assert tally.models == {"m": [2, 1, 7], "n": [1, 0, 7]}
    assert tally.clients == {1: [2, 0, 4, 10, 1_800_000_100]}  # the uncharged refusal is not counted
    assert tally.keys == {7: [1, 0, 2, 5, 1_800_000_000], 8: [1, 0, 2, 5, 1_800_000_100]}
    assert tally.client_usage() == {1: (2, 14)}
    assert tally.last_ts >= 1_800_000_100.0
